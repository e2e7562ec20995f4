"""Front-desk pages: intake during a phone call, work queues, search, the report and ticket pages.

Views are thin: forms validate, ``tickets.services`` write, selectors read
within the user's scope (other projects' objects answer 404).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from markupsafe import Markup

from config.jinja2 import csrf, render_page
from warranty import prepared
from warranty.coverage import NoWarrantyPeriod, assess_coverage
from warranty.db import defer_all_but, joins_as_written
from warranty.dossier import Rows
from warranty.dossier import load as load_lists
from warranty.models import USER_NAME, Contractor, DefectCategory, Owner, Ownership, Project, Unit, User
from warranty.parsing import parse_aware_datetime, parse_id
from warranty.reversing import reverse_cached
from warranty.roles import Role
from warranty.scoping import project_ids, scope
from warranty.selectors import staff_with_role, with_primary_owner_id

from .. import services as s
from ..forms_frontdesk import (
    ActionForm,
    ContactAttemptForm,
    DefectFormSet,
    IntakeForm,
    SearchForm,
    UnitSearchForm,
    unit_search_filter,
)
from ..models import (
    Appointment,
    Attachment,
    ContactAttempt,
    Difficulty,
    DispatchNotice,
    Escalation,
    RepairPlan,
    Report,
    Resolution,
    State,
    Ticket,
    TimelineEvent,
)
from ..pdf import pdf_response
from ..queue_counts import cached_counts
from ..selectors import ACTIONS, action_label, coverage_assessment, reports_for, ticket_actions
from ..selectors_frontdesk import (
    RETRY_UNREACHED_AFTER,
    UNREACHED_LIMIT,
    first_contact_due,
    owners_not_reached,
    owners_to_notify,
    search_tickets,
    simple_jobs_to_book,
    web_reports_to_confirm,
)
from .common import add_service_error, get_ticket_or_404, role_required, serve_attachment, service_error_response

logger = logging.getLogger(__name__)

FRONT_DESK_ROLES = (Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.DIRECTOR)
INTAKE_ROLES = (Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.DIRECTOR, Role.STEWARD)
INTERNAL_ROLES = tuple(r for r in Role.values if r != Role.CONTRACTOR)
PAGE_SIZE = 25


# --- intake ------------------------------------------------------------------------------------


def _units(user):
    # The project numbers the report; the batch is what the batch-defect detector counts in.
    return scope(Unit.objects.select_related("project", "building__batch"), user)


def _intake_units(user, pk: int):
    return with_primary_owner_id(_units(user)).filter(pk=pk)


def intake_unit(user, pk: int) -> Unit | None:
    """The unit a report is logged on, in the user's scope, with its primary contact's id (SQL kept)."""
    found = prepared.rows("frontdesk:intake-unit", _intake_units, user=user, pk=pk)
    return found[0] if found else None


@role_required(*INTAKE_ROLES)
@require_http_methods(["GET", "POST"])
def intake(request):
    """Log a report while the owner is on the phone; the read-back happens in the page before the POST."""
    units = _units(request.user)
    if request.method == "POST":
        form = IntakeForm(request.POST, units=units, lookup=partial(intake_unit, request.user))
        formset = DefectFormSet(request.POST, request.FILES, prefix="defects")
        if form.is_valid() & formset.is_valid():
            data = form.cleaned_data
            try:
                report = s.report_create(
                    by=request.user,
                    unit=data["unit"],
                    reporter_name=data["reporter_name"],
                    reporter_relation=data["reporter_relation"],
                    contact_phone=str(data["contact_phone"]),
                    channel=data["channel"],
                    expected_at=data["expected_at"],
                    expected_note=data["expected_note"],
                    is_emergency=data["is_emergency"],
                    note=data["note"],
                    defects=formset.defects(),
                )
            except s.ServiceError as exc:
                if exc.status in (403, 404) and exc.field is None:
                    return service_error_response(request, exc)
                attach_error(form, formset, exc)
            else:
                messages.success(request, _("Report %(number)s saved.") % {"number": report.number})
                return redirect("tickets:report", number=report.number)
    else:
        form = IntakeForm(units=units, initial={"reporter_relation": "owner"})
        formset = DefectFormSet(prefix="defects")
    unit_card = None
    unit = form.cleaned_data.get("unit") if form.is_bound and hasattr(form, "cleaned_data") else None
    if unit is not None:
        unit_card = _unit_card_context(request.user, unit)
    return render(
        request,
        "tickets/frontdesk/intake.html",
        {
            "form": form,
            "formset": formset,
            "unit_card": unit_card,
            "uploads_lost": request.method == "POST" and bool(request.FILES),
        },
        status=400 if request.method == "POST" else 200,
    )


def attach_error(form, formset, exc: s.ServiceError) -> None:
    """Show a service's refusal beside the field it names: ``unit``, ``contact_phone``, ``defects-1-photos`` …"""
    field = exc.field or ""
    if field.startswith("defects-"):
        parts = field.split("-", 2)
        if len(parts) == 3 and parts[1].isdigit():
            changed = [f for f in formset.forms if f.has_changed()]
            index = int(parts[1])
            if index < len(changed):
                target = changed[index]
                name = parts[2] if parts[2] in target.fields else None
                target.add_error(name, str(exc.message))
                return
        formset._non_form_errors = formset.error_class([str(exc.message)])
        return
    add_service_error(form, exc)


@role_required(*INTAKE_ROLES)
@require_POST
def unit_search(request):
    """htmx: units matching what is typed (number, owner name, phone). POST keeps phones out of URLs and logs."""
    form = UnitSearchForm(request.POST)
    form.is_valid()
    q = form.cleaned_data.get("q", "")
    units = []
    if len(q) >= 2:
        units = list(
            _units(request.user)
            .filter(unit_search_filter(q))
            .distinct()
            .select_related("project", "building")
            .prefetch_related(
                Prefetch(
                    "ownerships",
                    queryset=Ownership.objects.filter(until__isnull=True).select_related("owner"),
                    to_attr="current_ownerships",
                )
            )
            .order_by("project__code", "number")[:10]
        )
    return render(request, "tickets/frontdesk/_unit_results.html", {"units": units, "q": q})


@role_required(*INTAKE_ROLES)
@require_GET
def unit_card(request, pk: int):
    """htmx: the chosen unit with owners, warranty per category, open and recent tickets."""
    try:
        unit = _units(request.user).get(pk=pk)
    except Unit.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "tickets/frontdesk/_unit_card.html", {"card": _unit_card_context(request.user, unit)})


@dataclass
class CoverageRow:
    category: DefectCategory
    in_warranty: bool | None
    until: object = None
    payer: str = ""
    reason: str = ""


def _unit_card_context(user, unit: Unit) -> dict:
    today = timezone.localdate()
    owners = list(Ownership.objects.filter(unit=unit, until__isnull=True).select_related("owner"))
    coverage = []
    for category in DefectCategory.objects.filter(is_active=True).select_related("trade").order_by("sort_order"):
        try:
            result = assess_coverage(unit=unit, category=category, reported_on=today)
        except NoWarrantyPeriod:
            coverage.append(CoverageRow(category, None))
            continue
        coverage.append(
            CoverageRow(
                category,
                result.in_owner_warranty,
                result.owner_warranty_until,
                result.payer.label,
                result.reason,
            )
        )
    recent_since = timezone.now() - timezone.timedelta(days=365)
    tickets = list(
        Ticket.objects.filter(pk__in=scope(Ticket.objects.filter(unit=unit), user).values("pk"))
        .filter(Q(state__in=[*OPEN, State.CALLBACK]) | Q(created_at__gte=recent_since))
        .select_related("category", "steward")
        .order_by("-created_at")[:15]
    )
    return {
        "unit": unit,
        "owners": owners,
        "coverage": coverage,
        "open_tickets": [t for t in tickets if t.is_open],
        "recent_tickets": [t for t in tickets if not t.is_open],
    }


OPEN = [State.INTAKE, State.TRIAGE, State.DISPATCH, State.REPAIR, State.SIGNOFF]


# --- after saving: the report page, F01 ----------------------------------------------------------


def _get_report(user, number: str):
    try:
        return (
            reports_for(user)
            .select_related("owner", "project", "unit__building__batch")
            .prefetch_related(
                Prefetch(
                    "tickets",
                    queryset=Ticket.objects.select_related("category", "steward", "repeat_of")
                    .prefetch_related("attachments")
                    .order_by("seq"),
                )
            )
            .get(number=number)
        )
    except Report.DoesNotExist as exc:
        raise Http404 from exc


def lookup_url(request=None) -> str:
    path = reverse("tickets:owner_lookup")
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path


def _report_context(request, report) -> dict:
    tickets = list(report.tickets.all())
    first_contact_by = timezone.localtime(report.received_at + timezone.timedelta(hours=2))
    return {
        "report": report,
        "tickets": tickets,
        "first_contact_by": first_contact_by,
        "lookup_url": lookup_url(request),
        "phone_last4": str(report.contact_phone.national_number)[-4:] if report.contact_phone else "",
        "center_phone": report.project.center_phone,
        "printed_at": timezone.localtime(),
    }


@role_required(*INTAKE_ROLES)
@require_GET
def report_page(request, number: str):
    """The saved report: its number, what to tell the owner, F01 to print."""
    report = _get_report(request.user, number)
    return render(request, "tickets/frontdesk/report.html", _report_context(request, report))


@role_required(*INTERNAL_ROLES)
@require_GET
def report_f01_pdf(request, number: str):
    """F01 业主报修情况记录表 as a PDF (WeasyPrint, Noto Sans CJK)."""
    report = _get_report(request.user, number)
    return pdf_response(
        "tickets/frontdesk/f01.html",
        _report_context(request, report),
        filename=f"F01-{report.number}.pdf",
        request=request,
        inline=request.GET.get("inline") == "1",
    )


@role_required(*INTERNAL_ROLES)
@require_GET
def report_f01_print(request, number: str):
    """F01 as a page for the browser's print (its print stylesheet hides everything else)."""
    report = _get_report(request.user, number)
    return render(request, "tickets/frontdesk/f01.html", _report_context(request, report))


# --- work queues -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str
    help: str
    selector: object
    rows: str  # "report" or "ticket": what one row is
    sorts: dict
    default_sort: str


QUEUES = {
    q.slug: q
    for q in [
        Queue(
            "first-contact",
            gettext_lazy("First contact due"),
            gettext_lazy("Reach every owner within 2 hours of the report. Overdue rows are marked."),
            first_contact_due,
            "report",
            {"deadline": ("deadline", "pk"), "-deadline": ("-deadline", "-pk"), "attempts": ("-attempts", "deadline")},
            "deadline",
        ),
        Queue(
            "to-book",
            gettext_lazy("Simple jobs to book"),
            gettext_lazy("Simple defects waiting for the front desk to book a worker."),
            simple_jobs_to_book,
            "ticket",
            {"created": ("created_at", "pk"), "-created": ("-created_at", "-pk")},
            "created",
        ),
        Queue(
            "to-notify",
            gettext_lazy("Owners to notify"),
            gettext_lazy("Finished work: tell the owner the repair is done."),
            owners_to_notify,
            "ticket",
            {"signed": ("signed_off_at", "pk"), "-signed": ("-signed_off_at", "-pk"), "attempts": ("-attempts", "pk")},
            "signed",
        ),
        Queue(
            "not-reached",
            gettext_lazy("Owners not reached"),
            gettext_lazy("Try again every other day; after 5 failed attempts the director and CS re-inspect jointly."),
            owners_not_reached,
            "ticket",
            {"attempts": ("-attempts", "last_attempt_at", "pk"), "last": ("last_attempt_at", "pk")},
            "attempts",
        ),
        Queue(
            "web",
            gettext_lazy("Web reports to confirm"),
            gettext_lazy("Reports owners made online: call the owner, read back, then confirm."),
            web_reports_to_confirm,
            "report",
            {"received": ("received_at", "pk"), "-received": ("-received_at", "-pk")},
            "received",
        ),
    ]
}


# How each sort of a queue is offered in its "Sort" list.
SORT_LABELS = {
    "deadline": gettext_lazy("Deadline, earliest first"),
    "-deadline": gettext_lazy("Deadline, latest first"),
    "attempts": gettext_lazy("Most attempts first"),
    "created": gettext_lazy("Oldest first"),
    "-created": gettext_lazy("Newest first"),
    "signed": gettext_lazy("Signed off, oldest first"),
    "-signed": gettext_lazy("Signed off, newest first"),
    "last": gettext_lazy("Last attempt, oldest first"),
    "received": gettext_lazy("Received, oldest first"),
    "-received": gettext_lazy("Received, newest first"),
}


@dataclass(frozen=True)
class QueueFilters:
    """What narrows a queue page, read from its query string."""

    project: int | None
    emergency: bool
    overdue: bool
    sort: str

    @classmethod
    def read(cls, queue: Queue, params) -> QueueFilters:
        sort = params.get("sort") if params.get("sort") in queue.sorts else queue.default_sort
        overdue = queue.slug == "first-contact" and params.get("overdue") == "1"
        return cls(parse_id(params.get("project")), params.get("emergency") == "1", overdue, sort)

    @property
    def narrowed(self) -> bool:
        return self.project is not None or self.emergency or self.overdue


def _filtered(queue: Queue, user, filters: QueueFilters, project: int | None = None) -> QuerySet:
    """The queue's rows as ``user`` sees them, filtered and sorted (``project``: the filter's value)."""
    qs = queue.selector(user)
    if project is not None:
        qs = qs.filter(project_id=project)
    if filters.emergency:
        qs = qs.filter(is_emergency=True)
    if filters.overdue:
        qs = qs.filter(deadline__lt=timezone.now())
    return qs.order_by(*queue.sorts[filters.sort])


def _page_rows(queue: Queue, user, filters: QueueFilters, offset: int) -> list:
    """One page of the queue; the SQL of each queue, sort, filter and page is compiled once per process
    (warranty.prepared), but for "overdue", which compares with the time now."""
    project = {"project": filters.project} if filters.project is not None else {}

    def build(user, **values):
        return _filtered(queue, user, filters, **values)[offset : offset + PAGE_SIZE]

    if filters.overdue:
        return list(build(user, **project))
    key = f"queue:{queue.slug}:{filters.sort}:{filters.emergency}:{bool(project)}:{offset}"
    return prepared.rows(key, build, user=user, **project)


class CountedPaginator(Paginator):
    """A paginator told its count (the cached queue count) instead of running ``COUNT(*)`` again."""

    def __init__(self, object_list, per_page, *, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property


def queue_rows(request, queue: Queue, rows, **context) -> str:
    """The ``<tr>`` of ``rows`` in ``queue`` (Jinja2: templates/jinja2/tickets/frontdesk/rows/, config.jinja2).

    ``done`` with no rows says the call recorded took the row out of the queue.
    """
    template = engines["jinja2"].get_template(f"tickets/frontdesk/rows/{queue.slug}.html")
    context = {
        "rows": rows,
        "queue": queue,
        "now": timezone.now(),
        "unreached_limit": UNREACHED_LIMIT,
        "retry_after": RETRY_UNREACHED_AFTER,
        **csrf(request),
        **context,
    }
    return template.render(context)


def tab_counts(user) -> dict[str, int]:
    """The length of every queue as ``user`` sees it (cached: :mod:`tickets.queue_counts`)."""
    return cached_counts(user, lambda: {q.slug: q.selector(user).count() for q in QUEUES.values()})


def _queue_url(slug: str) -> str:
    return reverse_cached("tickets:queue", slug)


@role_required(*FRONT_DESK_ROLES)
@require_GET
def queue_page(request, slug: str = "first-contact"):
    """One work queue, filtered, sorted and paginated; a fixed number of queries whatever its length."""
    queue = QUEUES.get(slug)
    if queue is None:
        raise Http404
    filters = QueueFilters.read(queue, request.GET)
    counts = tab_counts(request.user)
    ids = project_ids(request.user)  # None: a superuser's, every project
    count = _filtered(queue, request.user, filters, filters.project).count() if filters.narrowed else counts[slug]
    page = CountedPaginator([], PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    # Ticket rows join five tables with up to three correlated subqueries: planned in the written order they
    # cost PostgreSQL 0.3-0.4 ms less (1M tickets), a little more than the transaction's three round trips.
    # Report rows join their unit, and PostgreSQL must be free to start from the open tickets (the subquery).
    with joins_as_written() if queue.rows == "ticket" else nullcontext():
        page.object_list = _page_rows(queue, request.user, filters, max(page.start_index() - 1, 0))
    tabs = [{"queue": q, "count": counts[q.slug], "url": _queue_url(q.slug)} for q in QUEUES.values()]
    params = request.GET.copy()
    params.pop("page", None)
    return render_page(
        request,
        "tickets/frontdesk/queue.html",
        {
            "queue": queue,
            "tabs": tabs,
            "page": page,
            "sort": filters.sort,
            "sorts": [(key, SORT_LABELS[key]) for key in queue.sorts],
            "rows": Markup(queue_rows(request, queue, page.object_list)),  # rendered and escaped by Jinja2
            # Filtering by project only for those who serve more than one (a superuser: every project).
            "projects": scope(Project.objects.only("name"), request.user) if ids is None or len(ids) > 1 else [],
            "filters": {name: request.GET.get(name, "") for name in ("project", "emergency", "overdue")},
            "query_string": params.urlencode(),
        },
        title=queue.title,
        stylesheets=["css/frontdesk.css"],
        scripts=["js/frontdesk.js"],
    )


@role_required(*FRONT_DESK_ROLES)
@require_http_methods(["GET", "POST"])
def search(request):
    """Global search by number, unit, phone or name. POST, so phones and names stay out of URLs and logs."""
    form = SearchForm(request.POST or None)
    page = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        qs = search_tickets(request.user, form.cleaned_data["q"])
        page = Paginator(qs, PAGE_SIZE).get_page(form.cleaned_data.get("page") or 1)
    return render(request, "tickets/frontdesk/search.html", {"form": form, "page": page})


# --- contact attempts and actions --------------------------------------------------------------


def _queue_row(queue: Queue, user, ticket: Ticket):
    qs = queue.selector(user)
    pk = ticket.report_id if queue.rows == "report" else ticket.pk
    return qs.filter(pk=pk).first()


@role_required(*FRONT_DESK_ROLES, Role.STEWARD, Role.ENGINEER)
@require_POST
def contact_attempt(request, number: str):
    """Record a call to the owner in one click: reached or not reached (htmx swaps the row in place)."""
    ticket = get_ticket_or_404(request.user, number)
    form = ContactAttemptForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "errors/fragment.html" if request.htmx else "errors/400.html",
            {"message": _("Choose what happened on the call."), "status": 400},
            status=400,
        )
    data = form.cleaned_data
    try:
        s.contact_attempt_record(
            ticket=ticket,
            by=request.user,
            purpose=data["purpose"],
            reached=data["reached"],
            method=data.get("method") or ContactAttempt.Method.PHONE,
            note=data.get("note", ""),
        )
    except s.ServiceError as exc:
        return service_error_response(request, exc)
    queue = QUEUES.get(request.POST.get("queue", ""))
    if request.htmx and queue is not None:
        row = _queue_row(queue, request.user, ticket)
        rows = [row] if row is not None else []
        return HttpResponse(queue_rows(request, queue, rows, recorded=data, ticket=ticket, done=row is None))
    messages.success(request, _("Contact attempt recorded."))
    return redirect(ticket.get_absolute_url())


# Actions that need nothing but an optional note; those marked True require it.
NOTE_ACTIONS = {
    "confirm": (s.ticket_confirm, False),
    "resolve_by_phone": (s.ticket_resolve_by_phone, True),
    "refer": (s.ticket_refer, True),
    "cancel": (s.ticket_cancel, True),
    "return_to_repair": (s.ticket_return_to_repair, True),
    "reopen": (s.ticket_reopen, True),
    "complete_repair": (s.ticket_complete_repair, False),
    "sign_off": (s.ticket_sign_off, False),
}
FORM_ACTIONS = {"triage", "dispatch", "archive"}
SUPPORTED_ACTIONS = set(NOTE_ACTIONS) | FORM_ACTIONS


@role_required(*INTERNAL_ROLES)
@require_POST
def ticket_action(request, number: str, name: str):
    """Run one transition through its service; a refusal comes back as 403/404/409 or a field error."""
    ticket = get_ticket_or_404(request.user, number)
    if name not in SUPPORTED_ACTIONS:
        raise Http404
    form = ActionForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if name in NOTE_ACTIONS:
            service, needs_note = NOTE_ACTIONS[name]
            service(ticket=ticket, by=request.user, **({"note": note} if note or needs_note else {}))
        elif name == "archive":
            s.ticket_archive(
                ticket=ticket,
                by=request.user,
                resolution=form.cleaned_data.get("resolution") or Resolution.RESOLVED,
                note=note,
            )
        elif name == "triage":
            steward = staff_with_role(ticket.project_id, Role.STEWARD).filter(pk=parse_id(request.POST.get("steward")))
            s.ticket_triage(
                ticket=ticket,
                by=request.user,
                difficulty=request.POST.get("difficulty", ""),
                steward=steward.first(),
                note=note,
            )
        elif name == "dispatch":
            contractor = _contractors_for(ticket).filter(pk=parse_id(request.POST.get("contractor"))).first()
            when = parse_aware_datetime(request.POST.get("scheduled_at"))
            s.ticket_dispatch(
                ticket=ticket,
                by=request.user,
                contractor=contractor,
                scheduled_at=when,
                override_reason=request.POST.get("override_reason", ""),
                note=note,
            )
    except s.ServiceError as exc:
        if exc.status == 400 or exc.field:
            messages.error(request, str(exc.message))
            return redirect(ticket.get_absolute_url())
        return service_error_response(request, exc)
    messages.success(request, _("Done: %(action)s.") % {"action": action_label(name)})
    return redirect(ticket.get_absolute_url())


def _contractors_for(ticket: Ticket):
    return Contractor.objects.filter(
        Q(engagements__project_id=ticket.project_id) | Q(is_commissionable=True)
    ).distinct()


@role_required(*FRONT_DESK_ROLES)
@require_POST
def web_report_confirm(request, number: str):
    """The front desk called the owner back about a web report and confirms its defects into triage."""
    report = _get_report(request.user, number)
    try:
        for ticket in report.tickets.all():
            if ticket.state == State.INTAKE:
                s.ticket_confirm(ticket=ticket, by=request.user, note=_("Web report confirmed by phone"))
    except s.ServiceError as exc:
        return service_error_response(request, exc)
    messages.success(request, _("Report %(number)s confirmed.") % {"number": report.number})
    if request.htmx:
        return render(request, "tickets/frontdesk/rows/web_confirmed.html", {"report": report})
    return redirect("tickets:queue", slug="web")


# --- the ticket page ---------------------------------------------------------------------------


# What the ticket page lists: the names and fields its template and the conditions of its actions read.
TICKET_PAGE_LISTS = (
    Rows("attachments", Attachment, where=(("ticket", "ticket"),)),
    Rows("timeline", TimelineEvent, where=(("ticket", "ticket"),), joins=(("actor", USER_NAME),)),
    Rows("contacts", ContactAttempt, where=(("ticket", "ticket"),), joins=(("by", USER_NAME),)),
    Rows("appointments", Appointment, where=(("ticket", "ticket"),)),
    Rows("notices", DispatchNotice, where=(("ticket", "ticket"),), joins=(("contractor", ("name",)),)),
    Rows("plans", RepairPlan, where=(("ticket", "ticket"),)),  # the conditions of the actions read the latest
    # Who follows each (a name); the evidence can be long and is not shown here.
    Rows(
        "escalations", Escalation, where=(("ticket", "ticket"),), defer=("evidence",), joins=(("assignee", USER_NAME),)
    ),
    # The other defects of its report.
    Rows(
        "siblings",
        Ticket,
        where=(("report", "report"), ("id", "ticket", "<>")),
        only=("report", "number", "state", "location"),
    ),
)


@role_required(*INTERNAL_ROLES)
@require_GET
def ticket_detail(request, number: str):
    """Everything about one defect for internal staff, with the actions the user may take now."""
    # One scoped query for the ticket and everything it shows (not a scoped lookup, then the ticket again).
    # What the page shows of a joined person is a name (User.__str__), of the owner a name, of the ticket this one
    # repeats its number: the other columns are neither compiled, fetched nor turned into fields.
    dossier = (
        Ticket.objects.select_related(
            "report__owner", "unit", "project", "category", "steward", "engineer", "repairing_contractor"
        )
        .defer(*named("steward"), *named("engineer"), *defer_all_but("report__owner", Owner, "name"))
        .annotate(repeat_of_number=F("repeat_of__number"))
    )
    with joins_as_written(unless_plans_kept=True):
        ticket = get_ticket_or_404(request.user, number, dossier, key="frontdesk:ticket-dossier")
    # Its lists in one more query (not one each): see warranty.dossier.
    load_lists(ticket, TICKET_PAGE_LISTS, {"ticket": ticket.pk, "report": ticket.report_id})
    actions = ticket_actions(ticket, request.user)
    for action in actions:
        if action.name not in SUPPORTED_ACTIONS:
            action.enabled = False
            action.reasons = [*action.reasons, _("done from the dispatch notice page")]
    context = {
        "ticket": ticket,
        "report": ticket.report,
        "actions": actions,
        "siblings": ticket.siblings,
        "contact_purposes": ContactAttempt.Purpose,
        "can_contact": request.user.is_superuser
        or request.user.has_role(*FRONT_DESK_ROLES, Role.STEWARD, Role.ENGINEER),
    }
    if any(a.name == "triage" for a in actions):
        context["stewards"] = staff_with_role(ticket.project_id, Role.STEWARD)
        context["difficulties"] = Difficulty.choices
        # What triage will store, shown before the difficulty is chosen (a paid repair is booked differently).
        context["coverage"] = coverage_assessment(ticket) if ticket.coverage_assessed_at is None else None
    if any(a.name == "dispatch" for a in actions):
        context["contractors"] = _contractors_for(ticket)
    if any(a.name == "archive" for a in actions):
        context["resolutions"] = [(Resolution.RESOLVED.value, Resolution.RESOLVED.label)] + [
            (Resolution.UNREACHABLE.value, Resolution.UNREACHABLE.label)
        ]
    return render_page(
        request,
        "tickets/detail.html",
        context,
        title=ticket.number,
        stylesheets=["css/frontdesk.css"],
        scripts=["js/frontdesk.js"],
    )


HISTORY_ROWS = 30


@role_required(*INTERNAL_ROLES)
@require_GET
def ticket_history(request, number: str):
    """The ticket's history of changes (the latest 30): its rows for the ticket page's collapsed section,
    fetched when it is opened (htmx), or a page of its own (the section's link, without JavaScript)."""
    ticket = get_ticket_or_404(request.user, number, Ticket.objects.only("pk", "number", "state", "project_id"))
    history = list(
        ticket.history.select_related("history_user")
        .only("history_date", "history_change_reason", "state", *(f"history_user__{f}" for f in USER_NAME))
        .order_by("-history_date", "-history_id")[:HISTORY_ROWS]
    )
    for h in history:  # a transition's reason is its name unless a note was given
        reason = h.history_change_reason or ""
        h.reason_label = action_label(reason) if reason in ACTIONS else reason
    context = {"ticket": ticket, "history": history}
    if request.htmx:
        response = HttpResponse(engines["jinja2"].get_template("tickets/_history_rows.html").render(context, request))
    else:
        response = render_page(request, "tickets/history.html", context, title=_("History of changes"))
    patch_vary_headers(response, ["HX-Request"])  # one URL, two bodies: a cache must not serve one for the other
    return response


def named(path: str) -> list[str]:
    """``defer()`` arguments that load only the name of the user joined at ``path``."""
    return defer_all_but(path, User, *USER_NAME)


@role_required(*INTERNAL_ROLES)
@require_GET
def attachment_file(request, number: str, pk: int, variant: str = "file"):
    """Serve a private attachment (or its thumbnail) after checking the ticket is in the user's scope."""
    ticket = get_ticket_or_404(request.user, number)
    try:
        attachment = Attachment.objects.get(pk=pk, ticket=ticket)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
    return serve_attachment(request, attachment, thumb=variant == "thumb")
