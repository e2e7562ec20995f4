"""Callback pages. Views are thin: role check (403), scoped lookups (404), then a service."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.models import CLOSED_STATES
from tickets.services import ServiceError
from warranty.models import Project, Unit
from warranty.parsing import parse_id
from warranty.roles import Role
from warranty.scoping import scope

from . import selectors, services
from .forms import CallbackForm, NoteForm, NotificationAttemptForm, SatisfactionForm
from .models import ContactChangeTask, DossierAccess, FollowUpCase, JointReinspection

CS = (Role.CUSTOMER_SERVICE, Role.DIRECTOR)
FRONT = (Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.DIRECTOR)
# Who may open an archived dossier (owner data is personal data): every view is logged.
DOSSIER = (Role.DIRECTOR, Role.CUSTOMER_SERVICE, Role.STEWARD, Role.PROJECT_GM)


def role_required(*roles):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.is_superuser and not request.user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _apply_error(exc: ServiceError, form=None):
    """403 / 404 for permission and scope; other errors become form errors (or a message)."""
    if exc.status == 403:
        raise PermissionDenied(str(exc))
    if exc.status == 404:
        raise Http404
    if form is not None:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc))


# --- callbacks ------------------------------------------------------------------------------------------


@role_required(*CS)
def queue(request):
    projects = scope(Project.objects.all(), request.user).order_by("code")
    project_id = request.GET.get("project")
    project_id = parse_id(project_id)
    q = selectors.callback_queue(request.user, project_id=project_id)
    return render(
        request,
        "callbacks/callback_queue.html",
        {"queue": q, "projects": projects, "project_id": project_id, "today": timezone.localdate()},
    )


@role_required(*CS)
def take(request, number):
    callback = get_object_or_404(selectors.callbacks_for(request.user), ticket__number=number)
    form = CallbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not callback.is_open:
            messages.error(request, _("This callback is already closed."))
            return redirect("callbacks:queue")
        try:
            done = services.callback_record(callback=callback, by=request.user, answer=form.answer())
        except ServiceError as exc:
            _apply_error(exc, form)
        else:
            messages.success(request, _outcome_message(done))
            return redirect("callbacks:queue")
    attempts = list(callback.attempts.select_related("by"))
    return render(
        request,
        "callbacks/callback_form.html",
        {
            "callback": callback,
            "ticket": callback.ticket,
            "form": form,
            "attempts": attempts,
            "today": timezone.localdate(),
        },
    )


def _outcome_message(cb) -> str:
    if cb.outcome == cb.Outcome.REOPENED:
        return _("Reopened as repeat ticket %(number)s.") % {"number": cb.repeat_ticket.number}
    if cb.outcome == cb.Outcome.FOLLOW_UP:
        return _("Archived; a follow-up case was opened for the director and customer service.")
    if cb.outcome == cb.Outcome.ARCHIVED:
        return _("Callback recorded; the ticket is archived.")
    if cb.status == cb.Status.UNREACHABLE:
        return _("Fifth failed attempt: a joint re-inspection was opened.")
    return _("Not reached: try again on %(day)s.") % {"day": cb.next_attempt_on}


# --- completion notices (front desk) -------------------------------------------------------------------


@role_required(*FRONT)
def notifications(request):
    rounds = selectors.notification_list(request.user)
    return render(request, "callbacks/notification_list.html", {"rounds": rounds, "form": NotificationAttemptForm()})


@require_POST
@role_required(*FRONT)
def notification_attempt(request, number):
    round_ = get_object_or_404(selectors.notification_list(request.user), ticket__number=number)
    form = NotificationAttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please say whether the owner was reached."))
        return redirect("callbacks:notifications")
    d = form.cleaned_data
    try:
        services.notification_attempt_record(
            ticket=round_.ticket,
            by=request.user,
            reached=d["reached"],
            method=d["method"],
            note=d["note"],
            new_phone=str(d["new_phone"] or ""),
        )
    except ServiceError as exc:
        _apply_error(exc)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recorded."))
    return redirect("callbacks:notifications")


# --- joint re-inspections, follow-ups, contact changes ------------------------------------------------------


@role_required(*CS)
def reinspections(request):
    return render(
        request,
        "callbacks/reinspection_list.html",
        {"tasks": selectors.reinspections_for(request.user), "form": NoteForm()},
    )


@require_POST
@role_required(*CS)
def reinspection_sign(request, pk):
    task = get_object_or_404(scope(JointReinspection.objects.all(), request.user), pk=pk)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        services.joint_reinspection_sign(task=task, by=request.user, note=form.cleaned_data.get("note", ""))
    except ServiceError as exc:
        _apply_error(exc)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Signed."))
    return redirect("callbacks:reinspections")


@role_required(*CS)
def follow_ups(request):
    return render(
        request, "callbacks/followup_list.html", {"cases": selectors.follow_ups_for(request.user), "form": NoteForm()}
    )


@require_POST
@role_required(*CS)
def follow_up_close(request, pk):
    case = get_object_or_404(scope(FollowUpCase.objects.all(), request.user), pk=pk)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        services.follow_up_close(case=case, by=request.user, note=form.cleaned_data.get("note", ""))
    except ServiceError as exc:
        _apply_error(exc)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Follow-up case closed."))
    return redirect("callbacks:follow_ups")


@role_required(Role.CUSTOMER_SERVICE)
def contact_changes(request):
    return render(request, "callbacks/contactchange_list.html", {"tasks": selectors.contact_changes_for(request.user)})


@require_POST
@role_required(Role.CUSTOMER_SERVICE)
def contact_change_done(request, pk):
    task = get_object_or_404(scope(ContactChangeTask.objects.all(), request.user), pk=pk)
    try:
        services.contact_change_done(task=task, by=request.user, apply_phone=request.POST.get("apply") == "1")
    except ServiceError as exc:
        _apply_error(exc)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("callbacks:contact_changes")


# --- the archive ------------------------------------------------------------------------------------------


def _dossier(request, number):
    ticket = selectors.dossier_ticket(request.user, number)
    if ticket is None:
        raise Http404
    if ticket.state not in CLOSED_STATES:
        raise Http404  # the dossier is the archive of closed tickets; open ones live on the ticket pages
    return ticket


@role_required(*DOSSIER)
def archive(request):
    query = request.GET.get("q", "")
    rows = selectors.archived_tickets(request.user, query=query)[:100]
    return render(request, "callbacks/archive.html", {"rows": rows, "q": query})


@role_required(*DOSSIER)
def dossier(request, number):
    ticket = _dossier(request, number)
    services.dossier_access_log(ticket=ticket, by=request.user, kind=DossierAccess.Kind.PAGE)
    from .pdf import dossier_context

    return render(request, "callbacks/dossier.html", dossier_context(ticket))


@role_required(*DOSSIER)
def dossier_pdf(request, number):
    ticket = _dossier(request, number)
    services.dossier_access_log(ticket=ticket, by=request.user, kind=DossierAccess.Kind.PDF)
    from .pdf import render_dossier_pdf

    response = HttpResponse(render_dossier_pdf(ticket), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="dossier-{ticket.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.DIRECTOR)
def access_log(request):
    rows = selectors.access_log_for(request.user)[:500]
    return render(request, "callbacks/access_log.html", {"rows": rows})


# --- extended care ---------------------------------------------------------------------------------------


def _int(request, name, default, lo=1, hi=24):
    try:
        return max(lo, min(hi, int(request.GET.get(name, default))))
    except ValueError:
        return default


@role_required(*CS)
def extended_care(request):
    months = _int(request, "months", 3)
    after = _int(request, "after", 3)
    return render(
        request,
        "callbacks/extended_care.html",
        {
            "months": months,
            "after": after,
            "expiring": selectors.warranty_expiring(request.user, within_months=months),
            "courtesy": selectors.courtesy_visits_due(request.user, months_after=after),
        },
    )


@role_required(*CS)
def surveys(request):
    return render(request, "callbacks/survey_list.html", {"campaigns": selectors.campaigns_for(request.user)})


@role_required(*CS)
def survey_detail(request, pk):
    campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
    return render(
        request,
        "callbacks/survey_detail.html",
        {"campaign": campaign, "rows": selectors.survey_call_list(campaign)},
    )


@role_required(*CS)
def survey_take(request, pk, unit_pk):
    campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
    unit = get_object_or_404(Unit.objects.filter(project_id=campaign.project_id), pk=unit_pk)
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer_record(campaign=campaign, unit=unit, by=request.user, answer=form.answer())
        except ServiceError as exc:
            _apply_error(exc, form)
        else:
            messages.success(request, _("Answer recorded."))
            return redirect("callbacks:survey_detail", pk=campaign.pk)
    return render(request, "callbacks/survey_form.html", {"campaign": campaign, "unit": unit, "form": form})
