"""The contractor's restricted view: its own dispatch notices only.

Every lookup goes through ``scope()``: another contractor's notice is a 404,
and an owner's phone shows only on the contractor's current job.
"""

import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warranty.scoping import is_contractor, scope

from .. import forms_field as f
from .. import services as s
from ..models import Appointment, DispatchNotice, State, WorkLog
from .field import done, draft_key, owner_contact, refused, render_field, status_for, worklog_form_page


def contractor_only(view):
    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (is_contractor(request.user) or request.user.is_superuser):
            return HttpResponseForbidden(_("This page is for contractors."))
        return view(request, *args, **kwargs)

    return wrapper


def notices_for(user):
    return scope(DispatchNotice.objects.all(), user).select_related(
        "ticket__unit__project",
        "ticket__project",
        "ticket__category",
        "ticket__report__owner",
        "appointment",
        "contractor",
    )


def get_notice(request, number) -> DispatchNotice:
    return get_object_or_404(notices_for(request.user), number=number)


def notice_url(notice: DispatchNotice) -> str:
    return reverse("tickets:contractor_notice", args=[notice.number])


def is_current_job(notice: DispatchNotice) -> bool:
    """The notice is the ticket's latest, accepted, and the ticket is still being repaired by this firm."""
    ticket = notice.ticket
    latest = ticket.notices.order_by("-pk").first()
    return (
        latest is not None
        and latest.pk == notice.pk
        and notice.status == DispatchNotice.Status.ACCEPTED
        and ticket.state == State.REPAIR
        and ticket.repairing_contractor_id == notice.contractor_id
    )


@contractor_only
def notices(request):
    """New notices to answer first, then jobs in hand, then the rest."""
    rows = list(notices_for(request.user).order_by("-issued_at"))
    to_answer = [n for n in rows if n.status == DispatchNotice.Status.SENT]
    in_hand = [n for n in rows if n.status == DispatchNotice.Status.ACCEPTED and n.ticket.state == State.REPAIR]
    others = [n for n in rows if n not in to_answer and n not in in_hand]
    return render_field(
        request,
        "tickets/contractor/notices.html",
        {"to_answer": to_answer, "in_hand": in_hand, "others": others},
    )


@contractor_only
def notice(request, number, **forms):
    n = get_notice(request, number)
    ticket = n.ticket
    current = is_current_job(n)
    pending = ticket.appointments.filter(kind=Appointment.Kind.REPAIR, outcome="").order_by("-pk").first()
    context = {
        "notice": n,
        "ticket": ticket,
        "contact": owner_contact(request.user, ticket),
        "plan": f.with_materials_text(n.plan),
        "current": current,
        "answerable": n.status == DispatchNotice.Status.SENT and ticket.state == State.REPAIR,
        "pending": pending if current else None,
        "logs": list(ticket.work_logs.filter(by__contractor=n.contractor).prefetch_related("photos"))
        if current
        else [],
        "accept_form": forms.get("accept_form") or f.AcceptNoticeForm(),
        "decline_form": forms.get("decline_form") or f.DeclineNoticeForm(),
        "appointment_form": forms.get("appointment_form") or f.AppointmentForm(),
        "draft_decline": draft_key("decline", ticket),
    }
    return render_field(request, "tickets/contractor/notice.html", context, status=forms.get("status", 200))


def _rerender(request, n, form_name, form, error=None):
    if error is not None:
        if error.status == 404:
            raise Http404 from error
        f.add_service_error(form, error)
    status = status_for(error) if error is not None else 400
    return notice(request, n.number, **{form_name: form, "status": status})


@contractor_only
@require_POST
def accept(request, number):
    """Accept: confirm the appointment or propose another time."""
    n = get_notice(request, number)
    form = f.AcceptNoticeForm(request.POST)
    if not form.is_valid():
        return _rerender(request, n, "accept_form", form)
    proposed = form.cleaned_data["proposed_at"] if form.cleaned_data["answer"] == "propose" else None
    try:
        s.notice_accept(notice=n, by=request.user, proposed_at=proposed)
    except s.ServiceError as error:
        if error.field == "scheduled_at":
            error.field = "proposed_at"
        return _rerender(request, n, "accept_form", form, error)
    done(request, _("Notice %(number)s accepted.") % {"number": n.number})
    return redirect(notice_url(n))


@contractor_only
@require_POST
def decline(request, number):
    n = get_notice(request, number)
    form = f.DeclineNoticeForm(request.POST)
    if not form.is_valid():
        return _rerender(request, n, "decline_form", form)
    try:
        s.notice_decline(notice=n, by=request.user, reason=form.cleaned_data["reason"])
    except s.ServiceError as error:
        return _rerender(request, n, "decline_form", form, error)
    done(request, _("Notice %(number)s declined.") % {"number": n.number}, draft_key("decline", n.ticket))
    return redirect("tickets:contractor_notices")


@contractor_only
@require_POST
def propose(request, number):
    """Propose another time for an accepted job; it replaces the pending appointment."""
    n = get_notice(request, number)
    form = f.AppointmentForm(request.POST)
    if not form.is_valid():
        return _rerender(request, n, "appointment_form", form)
    try:
        s.appointment_schedule(
            ticket=n.ticket,
            by=request.user,
            kind=Appointment.Kind.REPAIR,
            scheduled_at=form.cleaned_data["scheduled_at"],
            note=form.cleaned_data["note"] or _("Proposed by the contractor"),
        )
    except s.ServiceError as error:
        return _rerender(request, n, "appointment_form", form, error)
    done(request, _("New time proposed."))
    return redirect(notice_url(n))


@contractor_only
@require_POST
def arrival(request, number):
    """Report arrival on site for the pending repair appointment."""
    n = get_notice(request, number)
    pending = n.ticket.appointments.filter(kind=Appointment.Kind.REPAIR, outcome="", arrived_at__isnull=True).last()
    if pending is None or not is_current_job(n):
        return refused(request, s.NotAllowed(_("There is no appointment to arrive for.")), notice_url(n))
    try:
        appointment = s.appointment_check_in(appointment=pending, by=request.user)
    except s.ServiceError as error:
        return refused(request, error, notice_url(n))
    done(request, _("Arrival recorded: %(punctuality)s.") % {"punctuality": appointment.punctuality})
    return redirect(notice_url(n))


def _report(request, number, kind):
    n = get_notice(request, number)
    if not is_current_job(n):
        raise Http404
    ticket = n.ticket

    def on_saved(log):
        if kind == WorkLog.Kind.COMPLETION:
            s.ticket_complete_repair(ticket=ticket, by=request.user, note=log.note[:200])
        return redirect(notice_url(n))

    title = _("Report completion") if kind == WorkLog.Kind.COMPLETION else _("Report progress")
    return worklog_form_page(
        request,
        ticket,
        kinds=[kind],
        template="tickets/contractor/report.html",
        extra={"notice": n, "title": title},
        on_saved=on_saved,
    )


@contractor_only
def progress(request, number):
    return _report(request, number, WorkLog.Kind.PROGRESS)


@contractor_only
def complete(request, number):
    return _report(request, number, WorkLog.Kind.COMPLETION)
