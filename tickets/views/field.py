"""The steward's tablet workspace: my day, my tickets, the ticket workspace and its forms.

Views stay thin: they parse a form, call one service, and turn a ServiceError
into a form error (re-rendering with what was typed) or a 403/404/409 page.
"""

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warranty.roles import Role
from warranty.scoping import is_contractor, scope
from warranty.selectors import current_primary_owner

from .. import forms_field as f
from .. import services as s
from ..models import (
    OPEN_STATES,
    Appointment,
    Attachment,
    DispatchNotice,
    RepairPlan,
    SignOff,
    State,
    Ticket,
    WorkLog,
)
from ..selectors import FIELD_ROLES, action_label, coverage_assessment, ticket_actions, tickets_for
from .common import serve_attachment

DRAFT_CLEAR_KEY = "field_draft_clear"


# --- helpers -------------------------------------------------------------------------------


def staff_only(view):
    """Logged-in staff only; a contractor's user has its own view."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_contractor(request.user):
            return redirect("tickets:contractor_notices")
        if not (request.user.is_superuser or request.user.has_role(*FIELD_ROLES)):
            return HttpResponseForbidden(_("Your role may not open this page."))
        return view(request, *args, **kwargs)

    return wrapper


def get_ticket(request, number: str) -> Ticket:
    """The ticket if the user may see it; 404 otherwise (never tell what exists elsewhere)."""
    return get_object_or_404(tickets_for(request.user), number=number)


def owner_of(ticket: Ticket):
    return ticket.report.owner or current_primary_owner(ticket.unit)


def owner_name(ticket: Ticket) -> str:
    owner = owner_of(ticket)
    return owner.name if owner else ticket.report.reporter_name


def can_see_owner_phone(user, ticket: Ticket) -> bool:
    """The ticket's steward (and engineer), directors of its project, and the contractor on its current job.

    A contractor's job is "current" once it accepted the latest notice and until sign-off ends.
    """
    if user.is_superuser:
        return True
    if is_contractor(user):
        if ticket.repairing_contractor_id != user.contractor_id or ticket.state not in (State.REPAIR, State.SIGNOFF):
            return False
        latest = ticket.notices.order_by("-pk").first()
        return latest is not None and latest.contractor_id == user.contractor_id and latest.status == "accepted"
    return user.pk in (ticket.steward_id, ticket.engineer_id) or user.has_role(Role.DIRECTOR)


def owner_contact(user, ticket: Ticket) -> dict:
    """Name and phone of the person to call; the phone only for those who may see it."""
    visible = can_see_owner_phone(user, ticket)
    phone = ticket.report.contact_phone
    digits = str(phone.national_number) if phone else ""
    name = owner_name(ticket)
    reporter = ticket.report.reporter_name
    return {
        "name": name,
        # Someone else may have reported for the owner (a relative, a tenant): the phone is theirs.
        "reporter": reporter if reporter and reporter != name else "",
        "phone_visible": visible,
        "phone": digits if visible else "",
        "tel": f"tel:{phone.as_e164}" if visible and phone else "",
        "masked": f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****",
    }


def render_field(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render a field page; tell the browser which saved drafts to drop after a success."""
    context.setdefault("draft_clear", request.session.pop(DRAFT_CLEAR_KEY, []))
    return render(request, template, context, status=status)


def done(request, message: str, draft_key: str = ""):
    messages.success(request, message)
    if draft_key:
        request.session[DRAFT_CLEAR_KEY] = [*request.session.get(DRAFT_CLEAR_KEY, []), draft_key]


def refused(request, error: s.ServiceError, redirect_to: str):
    """A refusal without a form to re-render: say why on the page the user came from."""
    if error.status == 404:
        raise Http404(str(error))
    messages.error(request, str(error))
    return redirect(redirect_to)


def form_refused(form, error) -> int:
    """Put a service's refusal on the form and return the page's status; out of scope is a 404."""
    if error.status == 404:
        raise Http404 from error
    f.add_service_error(form, error)
    return status_for(error)


def status_for(error: s.ServiceError) -> int:
    """Form errors answer 400; refusals keep their 403/409 so scripts and tests can tell."""
    return error.status if error.status in (403, 409) else 400


def workspace_url(ticket: Ticket, anchor: str = "") -> str:
    url = reverse("tickets:field_workspace", args=[ticket.number])
    return f"{url}#{anchor}" if anchor else url


def draft_key(name: str, ticket: Ticket | None = None) -> str:
    return f"{name}:{ticket.number}" if ticket else name


def local_day_bounds(day: dt.date):
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


# --- my day and my tickets -------------------------------------------------------------------


def _my_filter(user) -> Q:
    return Q(steward=user) | Q(engineer=user)


@staff_only
def my_day(request):
    """Today's appointments in time order, overdue ones first, each with the unit and a tap-to-call phone."""
    user = request.user
    now = timezone.now()
    start, end = local_day_bounds(timezone.localdate())
    mine = tickets_for(user).filter(_my_filter(user), state__in=OPEN_STATES)
    appointments = (
        scope(Appointment.objects.all(), user)
        .filter(ticket__in=mine.values("pk"), outcome="")
        .filter(Q(scheduled_at__lt=end, arrived_at__isnull=True) | Q(scheduled_at__gte=start, scheduled_at__lt=end))
        .select_related("ticket__report__owner", "ticket__unit__project", "ticket__project", "ticket__category")
        .order_by("scheduled_at")
    )
    rows = []
    for appointment in appointments:
        overdue = appointment.arrived_at is None and appointment.scheduled_at < now
        rows.append(
            {"appointment": appointment, "overdue": overdue, "contact": owner_contact(user, appointment.ticket)}
        )
    rows.sort(key=lambda r: (not r["overdue"], r["appointment"].scheduled_at))
    waiting = mine.filter(state__in=[State.TRIAGE, State.DISPATCH, State.SIGNOFF]).count()
    # Jobs under repair get the steward's site visit at least once a day (DOMAIN §4.6).
    visits_due = (
        mine.filter(state=State.REPAIR, steward=user)
        .annotate(last_visit=Max("work_logs__at", filter=Q(work_logs__kind=WorkLog.Kind.SITE_VISIT)))
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=start))
        .select_related("unit__project")
        .order_by("dispatched_at")
    )
    return render_field(
        request,
        "tickets/field/my_day.html",
        {"rows": rows, "today": timezone.localdate(), "waiting": waiting, "now": now, "visits_due": visits_due},
    )


@staff_only
def my_tickets(request):
    """Open tickets by state, emergencies first: the user's own (steward or engineer) and the project's new ones
    nobody has triaged yet (a steward triages them); a director sees the whole project."""
    user = request.user
    qs = (
        tickets_for(user)
        .filter(state__in=OPEN_STATES)
        .select_related("unit__project")
        .order_by("-is_emergency", "created_at")
    )
    if not (user.is_superuser or user.has_role(Role.DIRECTOR)):
        qs = qs.filter(_my_filter(user) | Q(state=State.TRIAGE, steward__isnull=True))
    groups = {state: [] for state in OPEN_STATES}
    for ticket in qs:
        groups[ticket.state].append(ticket)
    sections = [{"state": State(state), "tickets": tickets} for state, tickets in groups.items()]
    return render_field(request, "tickets/field/my_tickets.html", {"sections": sections, "count": qs.count()})


# --- the workspace -------------------------------------------------------------------------

# How each transition is done from the tablet: a page of its own, a button, or a button with a reason.
ACTION_UI = {
    "triage": ("link", "tickets:field_triage"),
    "dispatch": ("link", "tickets:field_dispatch"),
    "complete_repair": ("post", "tickets:field_transition"),
    "sign_off": ("post", "tickets:field_transition"),
    "return_to_repair": ("note", "tickets:field_transition"),
    "refer": ("note", "tickets:field_transition"),
    "cancel": ("note", "tickets:field_transition"),
}


def field_actions(ticket: Ticket, user) -> list[dict]:
    """The transitions of ``ticket_actions`` that the tablet offers, each with how to do it."""
    rows = []
    for action in ticket_actions(ticket, user):
        if action.name not in ACTION_UI:
            continue  # the front desk's and callback steps are done on their pages
        ui, url_name = ACTION_UI[action.name]
        args = [ticket.number] if ui == "link" else [ticket.number, action.name]
        rows.append({"action": action, "ui": ui, "url": reverse(url_name, args=args)})
    return rows


def workspace_context(request, ticket: Ticket) -> dict:
    """Everything the workspace (and its htmx fragments) shows about one ticket, in a fixed number of queries."""
    ticket = (
        Ticket.objects.filter(pk=ticket.pk)
        .select_related(
            "report__owner",
            "unit__building__batch",
            "project",
            "category",
            "steward",
            "engineer",
            "liable_contractor",
        )
        .prefetch_related(
            Prefetch("plans", queryset=RepairPlan.objects.select_related("written_by", "approved_by")),
            Prefetch("appointments", queryset=Appointment.objects.select_related("created_by")),
            Prefetch("notices", queryset=DispatchNotice.objects.select_related("contractor", "appointment")),
            Prefetch("work_logs", queryset=WorkLog.objects.select_related("by").prefetch_related("photos")),
            "consents",
            Prefetch("signoffs", queryset=SignOff.objects.select_related("by")),
        )
        .get()
    )
    user = request.user
    plans = list(ticket.plans.all())
    return {
        "ticket": ticket,
        "contact": owner_contact(user, ticket),
        "plan": f.with_materials_text(plans[-1]) if plans else None,
        "appointments": list(ticket.appointments.all()),
        "notices": list(ticket.notices.all()),
        "logs": list(ticket.work_logs.all()),
        "consents": list(ticket.consents.all()),
        "signoffs": [so for so in ticket.signoffs.all() if so.round == ticket.signoff_round],
        "actions": field_actions(ticket, user),
        "note_form": f.NoteForm(),
        "is_field_staff": user.is_superuser or user.has_role(Role.STEWARD, Role.DIRECTOR, Role.ENGINEER),
    }


@staff_only
def workspace(request, number):
    """Everything about one ticket on one tablet page, with the actions the user may take now."""
    ticket = get_ticket(request, number)
    return render_field(request, "tickets/field/workspace.html", workspace_context(request, ticket))


# --- triage --------------------------------------------------------------------------------


@staff_only
def triage(request, number):
    """Coverage with its reason and dates, the difficulty and the one responsible steward."""
    ticket = get_ticket(request, number)
    key = draft_key("triage", ticket)
    initial = {"steward": ticket.steward_id or request.user.pk, "difficulty": ticket.difficulty or None}
    form = f.TriageForm(request.POST or None, project=ticket.project, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            s.ticket_triage(
                ticket=ticket,
                by=request.user,
                difficulty=form.cleaned_data["difficulty"],
                steward=form.cleaned_data["steward"],
                engineer=form.cleaned_data["engineer"],
                note=form.cleaned_data["note"],
            )
        except s.ServiceError as error:
            status = form_refused(form, error)
        else:
            done(request, _("Triaged. The steward is told."), key)
            return redirect(workspace_url(ticket))
    elif request.method == "POST":
        status = 400
    return render_field(
        request,
        "tickets/field/triage.html",
        {"ticket": ticket, "form": form, "coverage": coverage_assessment(ticket), "draft": key},
        status=status,
    )


# --- survey appointment and plan ---------------------------------------------------------------


@staff_only
def survey(request, number):
    """Book the survey visit with the owner."""
    ticket = get_ticket(request, number)
    key = draft_key("survey", ticket)
    form = f.AppointmentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                s.appointment_schedule(
                    ticket=ticket,
                    by=request.user,
                    kind=Appointment.Kind.SURVEY,
                    scheduled_at=form.cleaned_data["scheduled_at"],
                    note=form.cleaned_data["note"],
                )
            except s.ServiceError as error:
                status = form_refused(form, error)
            else:
                done(request, _("Survey booked."), key)
                return redirect(workspace_url(ticket, "appointments"))
    return render_field(
        request,
        "tickets/field/form_page.html",
        {
            "ticket": ticket,
            "form": form,
            "draft": key,
            "title": _("Book the survey"),
            "submit": _("Book survey"),
        },
        status=status,
    )


@staff_only
def plan(request, number):
    """Cause, method, materials (from the list plus free text) and duration; a complex plan goes to the director."""
    ticket = get_ticket(request, number)
    key = draft_key("plan", ticket)
    latest = ticket.plans.order_by("-pk").first()
    initial = {}
    if latest:
        initial = {
            "cause": latest.cause,
            "method": latest.method,
            "materials": [m for m in latest.materials if m in f.MATERIAL_LABELS],
            "materials_note": latest.materials_note,
            "estimated_days": latest.estimated_days,
        }
    form = f.PlanForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                s.plan_submit(ticket=ticket, by=request.user, **form.cleaned_data)
            except s.ServiceError as error:
                status = form_refused(form, error)
            else:
                if ticket.difficulty == "complex":
                    done(request, _("Plan saved and sent to the director for approval."), key)
                else:
                    done(request, _("Plan saved."), key)
                return redirect(workspace_url(ticket, "plan"))
    return render_field(
        request,
        "tickets/field/plan.html",
        {"ticket": ticket, "form": form, "draft": key, "latest": latest},
        status=status,
    )


@staff_only
def approvals(request):
    """The director's queue: complex plans waiting for approval."""
    plans = (
        scope(RepairPlan.objects.all(), request.user)
        .filter(ticket__state=State.DISPATCH, ticket__difficulty="complex", approved_by__isnull=True)
        .select_related("ticket__unit__project", "ticket__project", "ticket__category", "written_by")
        .order_by("written_at")
    )
    # Only the latest plan of a ticket can be approved.
    latest_ids = {}
    for p in plans:
        latest_ids[p.ticket_id] = f.with_materials_text(p)
    can_approve = request.user.is_superuser or request.user.has_perm("tickets.approve_plan")
    return render_field(
        request,
        "tickets/field/approvals.html",
        {"plans": list(latest_ids.values()), "can_approve": can_approve, "form": f.CommentForm()},
    )


@staff_only
@require_POST
def plan_approve(request, pk):
    plan = get_object_or_404(scope(RepairPlan.objects.all(), request.user).select_related("ticket"), pk=pk)
    form = f.CommentForm(request.POST)
    form.is_valid()
    try:
        s.plan_approve(plan=plan, by=request.user, note=form.cleaned_data.get("comment", ""))
    except s.ServiceError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, str(error))
        response = approvals(request)
        response.status_code = error.status
        return response
    done(request, _("Plan for %(ticket)s approved.") % {"ticket": plan.ticket.number})
    return redirect("tickets:field_approvals")


# --- dispatch --------------------------------------------------------------------------------


@staff_only
def dispatch(request, number):
    """The contractor (the liable one preselected), the appointment and the numbered F02 notice."""
    ticket = get_ticket(request, number)
    key = draft_key("dispatch", ticket)
    latest = ticket.plans.order_by("-pk").first()
    materials = f.materials_text(f.with_materials_text(latest))
    initial = {"contractor": ticket.liable_contractor_id, "materials_note": materials[:300]}
    form = f.DispatchForm(request.POST or None, project=ticket.project, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                notice = s.ticket_dispatch(ticket=ticket, by=request.user, **form.cleaned_data)
            except s.ServiceError as error:
                status = form_refused(form, error)
            else:
                done(
                    request,
                    _("Dispatch notice %(number)s sent to %(contractor)s.")
                    % {"number": notice.number, "contractor": notice.contractor},
                    key,
                )
                return redirect(workspace_url(ticket, "notices"))
    return render_field(
        request,
        "tickets/field/dispatch.html",
        {"ticket": ticket, "form": form, "draft": key, "plan": latest, "contact": owner_contact(request.user, ticket)},
        status=status,
    )


# --- on site -------------------------------------------------------------------------------------


def _appointment(request, ticket: Ticket, pk: int) -> Appointment:
    return get_object_or_404(scope(Appointment.objects.all(), request.user), pk=pk, ticket=ticket)


@staff_only
@require_POST
def check_in(request, number, pk):
    """Arrival on site now: the deviation from the appointment is recorded, more than 15 minutes off is flagged.

    With htmx, answers the appointments card and the actions bar (out of band) instead of a redirect.
    """
    ticket = get_ticket(request, number)
    appointment = _appointment(request, ticket, pk)
    warn = False
    try:
        appointment = s.appointment_check_in(appointment=appointment, by=request.user)
    except s.ServiceError as error:
        if not request.htmx or error.status == 404:
            return refused(request, error, workspace_url(ticket, "appointments"))
        flash, warn = str(error), True
    else:
        arrival = {"punctuality": appointment.punctuality}
        if appointment.is_late:
            warn = True
            flash = _("Arrival recorded: %(punctuality)s (more than 15 minutes off: flagged).") % arrival
        else:
            flash = _("Arrival recorded: %(punctuality)s.") % arrival
    if request.htmx:
        context = {**workspace_context(request, ticket), "flash": flash, "flash_warn": warn}
        return render(request, "tickets/field/_check_in_response.html", context)
    (messages.warning if warn else messages.success)(request, flash)
    return redirect(workspace_url(ticket, "appointments"))


@staff_only
def owner_absent(request, number, pk):
    """The owner was not home: the note left, and a new booking."""
    ticket = get_ticket(request, number)
    appointment = _appointment(request, ticket, pk)
    key = draft_key(f"absent-{pk}", ticket)
    form = f.OwnerAbsentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                s.appointment_owner_absent(appointment=appointment, by=request.user, **form.cleaned_data)
            except s.ServiceError as error:
                status = form_refused(form, error)
            else:
                done(request, _("Owner absence recorded."), key)
                return redirect(workspace_url(ticket, "appointments"))
    return render_field(
        request,
        "tickets/field/form_page.html",
        {
            "ticket": ticket,
            "form": form,
            "draft": key,
            "title": _("Owner not home"),
            "intro": str(appointment),
            "submit": _("Save and rebook"),
        },
        status=status,
    )


def worklog_form_page(request, ticket: Ticket, *, kinds, template: str, extra: dict, on_saved):
    """A work log with materials and camera photos; used by stewards and contractors.

    When a photo is refused, the page comes back with the note and the
    materials as typed (a browser cannot re-fill file inputs: the error says
    to choose the photo again).
    """
    key = draft_key(f"log-{'-'.join(kinds)}", ticket)
    form = f.WorkLogForm(request.POST or None, request.FILES or None, kinds=kinds)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                with transaction.atomic():
                    log = s.worklog_add(
                        ticket=ticket,
                        by=request.user,
                        kind=form.cleaned_data["kind"],
                        note=form.cleaned_data["note"],
                        test_result=form.cleaned_data["test_result"],
                        materials_used=form.materials_used(),
                        photos=form.cleaned_data["photos"],
                    )
                    response = on_saved(log)
            except s.ServiceError as error:
                status = form_refused(form, error)
            else:
                completed = log.kind == WorkLog.Kind.COMPLETION
                done(
                    request,
                    _("Completion reported: the steward re-inspects the repair next.") if completed else _("Saved."),
                    key,
                )
                return response
    # Photos chosen for a refused entry are not sent back by the browser: say so rather than drop them silently.
    context = {"ticket": ticket, "form": form, "draft": key, "uploads_lost": status == 400 and bool(request.FILES)}
    return render_field(request, template, {**context, **extra}, status=status)


@staff_only
def worklog(request, number):
    """The steward's daily site visit or a progress entry, with photos and materials used."""
    ticket = get_ticket(request, number)
    return worklog_form_page(
        request,
        ticket,
        kinds=[WorkLog.Kind.SITE_VISIT, WorkLog.Kind.PROGRESS],
        template="tickets/field/worklog.html",
        extra={"title": _("Site visit or progress")},
        on_saved=lambda log: redirect(workspace_url(ticket, "logs")),
    )


@staff_only
def consent(request, number):
    """A change of plan or an extra cost: the owner's consent captured on screen before the work."""
    ticket = get_ticket(request, number)
    key = draft_key("consent", ticket)
    form = f.ConsentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                s.consent_record(
                    ticket=ticket,
                    by=request.user,
                    subject=data["subject"],
                    what=data["what"],
                    how=data["how"],
                    amount=data["amount"],
                    consented=data["consented"],
                    signature_png=f.decode_signature(data["signature"]),
                )
            except s.ServiceError as error:
                status = form_refused(form, error)
            else:
                done(request, _("The owner's consent is recorded."), key)
                return redirect(workspace_url(ticket, "consents"))
    return render_field(
        request,
        "tickets/field/consent.html",
        {"ticket": ticket, "form": form, "draft": key, "contact": owner_contact(request.user, ticket)},
        status=status,
    )


# --- sign-off --------------------------------------------------------------------------------


# The sign-off page holds several forms with a "comment": each its own ids, so every label names its own box.
REINSPECT_ID, JOINT_ID, GM_ID = "reinspect_%s", "joint_%s", "gm_%s"


def _signoff_context(request, ticket: Ticket, **forms) -> dict:
    user = request.user
    current = list(ticket.signoffs.filter(round=ticket.signoff_round).select_related("by"))
    contact = owner_contact(user, ticket)
    signed = {so.kind for so in current if so.passed}  # the once-a-round signatures are not offered again
    context = {
        "ticket": ticket,
        "signoffs": current,
        "contact": contact,
        "reinspection_form": forms.get("reinspection_form") or f.ReinspectionForm(auto_id=REINSPECT_ID),
        "owner_form": forms.get("owner_form") or f.OwnerSignOffForm(initial={"signer_name": contact["name"]}),
        "joint_form": forms.get("joint_form") or f.CommentForm(auto_id=JOINT_ID),
        "gm_form": forms.get("gm_form") or f.CommentForm(auto_id=GM_ID),
        "return_form": forms.get("return_form") or f.NoteForm(),
        "can_reinspect": user.is_superuser or user.has_role(Role.STEWARD, Role.DIRECTOR, Role.ENGINEER),
        "can_owner": user.is_superuser or user.has_role(Role.STEWARD, Role.DIRECTOR),
        "can_joint_director": user.has_perm("tickets.sign_jointly_director")
        and SignOff.Kind.JOINT_DIRECTOR not in signed,
        "can_joint_cs": user.has_perm("tickets.sign_jointly_cs") and SignOff.Kind.JOINT_CS not in signed,
        "can_gm": user.has_perm("tickets.approve_major_closure")
        and ticket.is_major
        and SignOff.Kind.GM_APPROVAL not in signed,
        "actions": {a.name: a for a in ticket_actions(ticket, user)},
        "checklist_labels": dict(f.CHECKLIST),
        "draft_owner": draft_key("owner-signoff", ticket),
        "draft_reinspect": draft_key("reinspect", ticket),
        "notice": ticket.notices.order_by("-pk").first(),
    }
    return context


@staff_only
def signoff_queue(request):
    """Tickets waiting in sign-off: for the joint sign-off (director, CS) and the GM's approval of major ones."""
    tickets = (
        tickets_for(request.user)
        .filter(state=State.SIGNOFF)
        .select_related("unit__project")
        .order_by("repaired_at", "created_at")
    )
    return render_field(request, "tickets/field/signoff_queue.html", {"tickets": tickets})


@staff_only
def signoff(request, number):
    """Re-inspection, the owner's signature, the joint path, the GM's approval and closing sign-off."""
    ticket = get_ticket(request, number)
    return render_field(request, "tickets/field/signoff.html", _signoff_context(request, ticket))


def _record_signoff(request, ticket, *, form_name, form, kind, draft="", **kwargs):
    try:
        s.signoff_record(ticket=ticket, by=request.user, kind=kind, **kwargs)
    except s.ServiceError as error:
        if error.status == 404:
            raise Http404 from error
        if error.status == 409:  # signed already (another tab, a second click): the form is no longer shown
            messages.error(request, str(error))
        else:
            f.add_service_error(form, error)
        context = _signoff_context(request, ticket, **{form_name: form})
        return render_field(request, "tickets/field/signoff.html", context, status=status_for(error))
    done(request, _("Signed: %(kind)s.") % {"kind": SignOff.Kind(kind).label}, draft)
    return redirect(reverse("tickets:field_signoff", args=[ticket.number]))


@staff_only
@require_POST
def reinspect(request, number):
    ticket = get_ticket(request, number)
    form = f.ReinspectionForm(request.POST, auto_id=REINSPECT_ID)
    if not form.is_valid():
        return render_field(
            request, "tickets/field/signoff.html", _signoff_context(request, ticket, reinspection_form=form), 400
        )
    return _record_signoff(
        request,
        ticket,
        form_name="reinspection_form",
        form=form,
        kind=SignOff.Kind.REINSPECTION,
        draft=draft_key("reinspect", ticket),
        passed=form.cleaned_data["passed"],
        checklist=form.checklist(),
        comment=form.cleaned_data["comment"],
    )


@staff_only
@require_POST
def owner_signoff(request, number):
    """The owner signs on the tablet: the drawn signature arrives as a PNG data URL."""
    ticket = get_ticket(request, number)
    form = f.OwnerSignOffForm(request.POST)
    form.is_valid()
    return _record_signoff(
        request,
        ticket,
        form_name="owner_form",
        form=form,
        kind=SignOff.Kind.OWNER,
        draft=draft_key("owner-signoff", ticket),
        signer_name=form.cleaned_data.get("signer_name", ""),
        comment=form.cleaned_data.get("comment", ""),
        signature_png=f.decode_signature(form.cleaned_data.get("signature", "")),
    )


@staff_only
@require_POST
def joint_signoff(request, number):
    """The director or customer service signs the joint sign-off, each logged in as themselves."""
    ticket = get_ticket(request, number)
    form = f.CommentForm(request.POST, auto_id=JOINT_ID)
    form.is_valid()
    role = request.POST.get("as")
    kind = {"director": SignOff.Kind.JOINT_DIRECTOR, "cs": SignOff.Kind.JOINT_CS}.get(role)
    if kind is None:
        return HttpResponse(_("Choose whether you sign as director or as customer service."), status=400)
    return _record_signoff(
        request, ticket, form_name="joint_form", form=form, kind=kind, comment=form.cleaned_data.get("comment", "")
    )


@staff_only
@require_POST
def gm_approval(request, number):
    ticket = get_ticket(request, number)
    form = f.CommentForm(request.POST, auto_id=GM_ID)
    form.is_valid()
    return _record_signoff(
        request,
        ticket,
        form_name="gm_form",
        form=form,
        kind=SignOff.Kind.GM_APPROVAL,
        comment=form.cleaned_data.get("comment", ""),
    )


# --- transitions without a form of their own ---------------------------------------------------

TRANSITIONS = {
    "complete_repair": (s.ticket_complete_repair, False),
    "sign_off": (s.ticket_sign_off, False),
    "return_to_repair": (s.ticket_return_to_repair, True),
    "refer": (s.ticket_refer, True),
    "cancel": (s.ticket_cancel, True),
}


@staff_only
@require_POST
def transition(request, number, name):
    ticket = get_ticket(request, number)
    if name not in TRANSITIONS:
        raise Http404
    service, needs_note = TRANSITIONS[name]
    note = request.POST.get("note", "")
    back = request.POST.get("back") == "signoff"
    back_url = reverse("tickets:field_signoff", args=[ticket.number]) if back else workspace_url(ticket)
    try:
        service(ticket=ticket, by=request.user, note=note)
    except s.ServiceError as error:
        return refused(request, error, back_url)
    done(request, _("Done: %(action)s.") % {"action": action_label(name)})
    return redirect(workspace_url(ticket))


# --- files ---------------------------------------------------------------------------------------


@login_required
def attachment(request, pk, thumb=False):
    """A photo of a ticket, for users who may see the ticket (contractors: their own jobs only)."""
    item = get_object_or_404(scope(Attachment.objects.all(), request.user), pk=pk)
    return serve_attachment(request, item, thumb=thumb)


@login_required
def notice_pdf(request, number):
    """The F02 dispatch notice as a PDF, with the owner's signature once signed."""
    from ..pdf_f02 import render_f02

    notice = get_object_or_404(
        scope(DispatchNotice.objects.all(), request.user).select_related(
            "ticket__report", "ticket__unit", "ticket__project", "contractor", "appointment", "plan", "issued_by"
        ),
        number=number,
    )
    pdf = render_f02(notice, show_phone=can_see_owner_phone(request.user, notice.ticket))
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{notice.number}.pdf"'
    return response
