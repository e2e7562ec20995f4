"""Reads for the callback pages: scoped, with their joins, a fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from tickets.models import CLOSED_STATES, ContactAttempt, SignOff, State, Ticket
from warranty.coverage import DEFAULT_SEASONS, _end_of_nth_season, _last_day, _owner_period
from warranty.models import Ownership, Season, Unit, WarrantyPeriod
from warranty.scoping import scope

from .models import (
    Callback,
    ContactChangeTask,
    DossierAccess,
    FollowUpCase,
    JointReinspection,
    NotificationRound,
    SurveyCampaign,
    SurveyResponse,
)

TICKET_JOINS = (
    "ticket",
    "ticket__project",
    "ticket__unit",
    "ticket__report",
    "ticket__report__owner",
    "ticket__category",
)


def callbacks_for(user) -> QuerySet[Callback]:
    return scope(Callback.objects.all(), user).select_related(*TICKET_JOINS, "ticket__steward")


@dataclass
class CallbackQueue:
    overdue: list[Callback]
    due_today: list[Callback]
    upcoming: list[Callback]

    @property
    def by_project(self) -> list[dict]:
        """Counts per project: [{"project", "overdue", "due_today", "upcoming"}], by project code."""
        counts: dict[int, dict] = {}
        for name in ("overdue", "due_today", "upcoming"):
            for cb in getattr(self, name):
                project = cb.ticket.project
                row = counts.setdefault(project.pk, {"project": project, "overdue": 0, "due_today": 0, "upcoming": 0})
                row[name] += 1
        return sorted(counts.values(), key=lambda r: r["project"].code)


def callback_queue(user, *, project_id: int | None = None, today: dt.date | None = None) -> CallbackQueue:
    """Open callbacks of the user's projects: overdue (past the 3rd workday), due today, not yet due.

    A callback waiting for a retry shows from its next attempt day on. One query.
    """
    today = today or timezone.localdate()
    qs = callbacks_for(user).filter(status=Callback.Status.DUE, ticket__state=State.CALLBACK)
    if project_id:
        qs = qs.filter(ticket__project_id=project_id)
    overdue, due_today, upcoming = [], [], []
    for cb in qs.order_by("due_by", "ticket__project__code", "id"):
        if cb.due_by < today:
            overdue.append(cb)
        elif cb.due_from <= today and (cb.next_attempt_on is None or cb.next_attempt_on <= today):
            due_today.append(cb)
        else:
            upcoming.append(cb)
    return CallbackQueue(overdue, due_today, upcoming)


def notification_list(user, *, today: dt.date | None = None) -> QuerySet[NotificationRound]:
    """The front desk's daily list: tickets in callback whose owner has not been told (no reached
    completion contact) and whose next attempt is due."""
    today = today or timezone.localdate()
    reached = ContactAttempt.objects.filter(
        ticket=OuterRef("ticket"), purpose=ContactAttempt.Purpose.COMPLETION, reached=True
    )
    return (
        scope(NotificationRound.objects.all(), user)
        .filter(status=NotificationRound.Status.PENDING, ticket__state=State.CALLBACK, next_attempt_on__lte=today)
        .exclude(Exists(reached))
        .select_related(*TICKET_JOINS)
        .order_by("next_attempt_on", "ticket__number")
    )


def reinspections_for(user) -> QuerySet[JointReinspection]:
    return (
        scope(JointReinspection.objects.filter(closed_at__isnull=True, ticket__state=State.CALLBACK), user)
        .select_related(*TICKET_JOINS, "director", "customer_service")
        .order_by("opened_at")
    )


def follow_ups_for(user, *, open_only: bool = True) -> QuerySet[FollowUpCase]:
    qs = scope(FollowUpCase.objects.all(), user).select_related(*TICKET_JOINS, "director", "customer_service")
    return qs.filter(status=FollowUpCase.Status.OPEN) if open_only else qs


def contact_changes_for(user) -> QuerySet[ContactChangeTask]:
    return (
        scope(ContactChangeTask.objects.filter(done_at__isnull=True), user)
        .select_related(*TICKET_JOINS, "owner", "raised_by")
        .order_by("raised_at")
    )


def access_log_for(user) -> QuerySet[DossierAccess]:
    return scope(DossierAccess.objects.all(), user).select_related("ticket", "ticket__project", "user")


def archived_tickets(user, *, query: str = "") -> QuerySet[Ticket]:
    """The archive: closed tickets the user may see (archived, referred, cancelled: each keeps its records),
    newest first, found by ticket number or unit."""
    qs = (
        scope(Ticket.objects.filter(state__in=CLOSED_STATES), user)
        .select_related("project", "unit", "category", "report")
        .order_by("-closed_at", "-id")
    )
    query = query.strip()
    if query:
        qs = qs.filter(Q(number__istartswith=query) | Q(unit__number=query) | Q(report__number=query))
    return qs


def dossiers_past_retention(user, *, today: dt.date | None = None) -> QuerySet[Ticket]:
    """Archived tickets closed more than ``DOSSIER_RETENTION_YEARS`` ago: due for review and disposal."""
    from .services import dossier_retention_years

    today = today or timezone.localdate()
    years = dossier_retention_years()
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - years, day=28)
    return archived_tickets(user).filter(closed_at__date__lt=cutoff)


def non_warranty_issues(user, *, day: dt.date) -> QuerySet[Callback]:
    """Callbacks of ``day`` in which the owner raised non-warranty issues (for the daily report F03)."""
    return callbacks_for(user).filter(called_at__date=day).exclude(non_warranty_issues="")


def dossier_ticket(user, number: str) -> Ticket | None:
    """An archived (or closed) ticket with every record of its dossier, or None when out of scope."""
    qs = (
        scope(Ticket.objects.filter(number=number), user)
        .select_related(
            "report",
            "report__owner",
            "report__received_by",
            "project",
            "unit",
            "category",
            "steward",
            "repairing_contractor",
            "repeat_of",
        )
        .prefetch_related(
            "plans",
            "notices__contractor",
            "appointments",
            "work_logs__by",
            Prefetch("signoffs", queryset=SignOff.objects.select_related("by")),
            "attachments",
            "contacts__by",
            "timeline__actor",
            "follow_ups",
            Prefetch("callback", queryset=Callback.objects.select_related("called_by", "repeat_ticket")),
        )
    )
    return qs.first()


def owner_signature(ticket: Ticket) -> SignOff | None:
    """The owner's passed signature of the last sign-off round, if any."""
    signed = [s for s in ticket.signoffs.all() if s.kind == SignOff.Kind.OWNER and s.passed and s.signature]
    return signed[-1] if signed else None


# --- extended care ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringWarranty:
    unit: Unit
    owner: object
    category: object
    until: dt.date


def _months_later(day: dt.date, months: int) -> dt.date:
    return _last_day(day, months) + dt.timedelta(days=1)


def warranty_expiring(user, *, within_months: int = 3, today: dt.date | None = None) -> list[ExpiringWarranty]:
    """Owners, units and categories whose owner warranty ends in the next ``within_months`` months.

    Uses the periods of warranty.coverage (a project's own period wins over the default).
    Four queries whatever the number of units.
    """
    today = today or timezone.localdate()
    horizon = _months_later(today, within_months)
    units = list(
        scope(Unit.objects.all(), user)
        .select_related("building__batch", "project")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.filter(until__isnull=True, is_primary=True).select_related("owner"),
                to_attr="current",
            )
        )
    )
    periods = list(WarrantyPeriod.objects.select_related("category").order_by("category__sort_order"))
    # Seasons read once here: warranty.coverage reads them per call, which would be a query per unit.
    seasons = {
        (s.project_id, s.kind): ((s.start_month, s.start_day), (s.end_month, s.end_day))
        for s in Season.objects.filter(project__in={u.project_id for u in units})
    }
    rows = []
    for unit in units:
        by_category = {}
        for period in periods:
            applies = period.project_id in (None, unit.project_id)
            if applies and (period.category_id not in by_category or period.project_id is not None):
                by_category[period.category_id] = period
        start = unit.delivered_on
        for period in by_category.values():
            if period.kind == WarrantyPeriod.Kind.SEASONS:
                season_start, season_end = seasons.get(
                    (unit.project_id, period.season_kind), DEFAULT_SEASONS[period.season_kind]
                )
                until = _end_of_nth_season(start, period.length, season_start, season_end)
            else:
                _period, until = _owner_period(period, unit.project, start)
            if today <= until < horizon:
                owner = unit.current[0].owner if unit.current else None
                rows.append(ExpiringWarranty(unit, owner, period.category, until))
    return sorted(rows, key=lambda r: (r.until, r.unit.number))


def courtesy_visits_due(user, *, months_after: int = 3, window_days: int = 31, today: dt.date | None = None):
    """Units delivered ``months_after`` months ago (within a window of ``window_days``): a courtesy visit."""
    today = today or timezone.localdate()
    latest = today - dt.timedelta(days=0)
    # delivered_on + months_after months falls in [today - window_days, today]
    units = (
        scope(Unit.objects.all(), user)
        .select_related("building__batch", "project")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.filter(until__isnull=True, is_primary=True).select_related("owner"),
                to_attr="current",
            )
        )
    )
    due = []
    for unit in units:
        visit_on = _months_later(unit.delivered_on, months_after)
        if latest - dt.timedelta(days=window_days) <= visit_on <= latest:
            due.append((unit, unit.current[0].owner if unit.current else None, visit_on))
    return sorted(due, key=lambda r: (r[2], r[0].number))


def campaigns_for(user) -> QuerySet[SurveyCampaign]:
    return scope(SurveyCampaign.objects.all(), user).select_related("project")


def survey_call_list(campaign: SurveyCampaign):
    """The campaign's units with their owner and answer (if any)."""
    answers = {r.unit_id: r for r in SurveyResponse.objects.filter(campaign=campaign)}
    units = (
        Unit.objects.filter(project_id=campaign.project_id)
        .select_related("building")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.filter(until__isnull=True, is_primary=True).select_related("owner"),
                to_attr="current",
            )
        )
        .order_by("number")
    )
    return [(u, u.current[0].owner if u.current else None, answers.get(u.pk)) for u in units]
