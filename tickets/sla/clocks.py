"""Starting and stopping SLA clocks. Deadlines are computed here once and stored on the clock."""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import (
    CLOSED_STATES,
    AgreedCadence,
    Difficulty,
    SlaCalendar,
    SlaClock,
    SlaPolicy,
    SlaUnit,
    State,
    Ticket,
)
from . import hours

# A plan estimated at this many days or more is a long repair: progress feedback 3 times a week.
LONG_REPAIR_DAYS = 7
# The timeline verbs written right after a ticket is created (intake, a repeat of a reopened ticket).
NEW_TICKET_VERBS = ("reported", "created_as_repeat")


def policy_for(code: str, project_id: int | None) -> SlaPolicy | None:
    """The project's override of policy ``code`` if it has one, else the default; None when inactive."""
    rows = SlaPolicy.objects.filter(Q(project_id=project_id) | Q(project__isnull=True), code=code)
    chosen = None
    for row in rows:
        if row.project_id is not None or chosen is None:
            chosen = row
    return chosen if chosen is not None and chosen.is_active else None


# Policies in force per project, kept by each process for this long: an edit made in another process
# (the admin's) starts new clocks by the edited policy within a minute; in this process at once.
POLICIES_SECONDS = 60
_policies: dict[int, tuple[float, dict[str, SlaPolicy]]] = {}


def policies_for(project_id: int) -> dict[str, SlaPolicy]:
    """Every active policy in force on a project, by code (one query, then kept; see POLICIES_SECONDS).

    Every intake reads them; they change when someone edits them in the admin. The instances are
    shared: read them, do not change them (``with_agreed_cadence`` changes a copy).
    """
    now = time.monotonic()
    kept = _policies.get(project_id)
    if kept is not None and now - kept[0] < POLICIES_SECONDS:
        return kept[1]
    chosen: dict[str, SlaPolicy] = {}
    for row in SlaPolicy.objects.filter(Q(project_id=project_id) | Q(project__isnull=True)).order_by("project_id"):
        if row.project_id is not None or row.code not in chosen:
            chosen[row.code] = row
    in_force = {code: row for code, row in chosen.items() if row.is_active}
    _policies[project_id] = (now, in_force)
    return in_force


def forget_policies(**kwargs) -> None:
    """A policy was saved or deleted: read them again, now and once its transaction commits."""
    _policies.clear()
    if kwargs.get("sender") is not None:
        transaction.on_commit(_policies.clear, robust=True)


def deadline(policy: SlaPolicy, start: dt.datetime, *, periods: int = 1) -> dt.datetime:
    """The moment ``periods`` target periods after ``start`` on the policy's calendar."""
    n = policy.target * periods
    if policy.unit == SlaUnit.WORKDAYS:
        return hours.end_of_workdays(start, n)
    if policy.unit == SlaUnit.MONTHS:
        return hours.add_months(start, n)
    minutes = {SlaUnit.MINUTES: 1, SlaUnit.HOURS: 60, SlaUnit.DAYS: 24 * 60}[policy.unit] * n
    if policy.calendar == SlaCalendar.WORKING_HOURS and policy.unit != SlaUnit.DAYS:
        return hours.add_working_minutes(start, minutes)
    return start + dt.timedelta(minutes=minutes)


def deadlines(policy: SlaPolicy, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(warn_at, due_at): the warning at ``warn_percent`` of the time the target allows."""
    due = deadline(policy, start)
    if policy.calendar == SlaCalendar.WORKING_HOURS and policy.unit != SlaUnit.DAYS:
        allowed = hours.working_minutes_between(start, due)
        warn = hours.add_working_minutes(start, allowed * policy.warn_percent // 100)
    else:
        warn = start + (due - start) * policy.warn_percent / 100
    return warn, due


def applies(code: str, ticket: Ticket) -> bool:
    """Conditions of a policy on the ticket that data alone cannot say (difficulty, long repair)."""
    if code == SlaPolicy.Code.DISPATCH_GENERAL:
        return ticket.difficulty != Difficulty.COMPLEX
    if code == SlaPolicy.Code.DISPATCH_COMPLEX:
        return ticket.difficulty == Difficulty.COMPLEX
    if code in (SlaPolicy.Code.PROGRESS_FEEDBACK, SlaPolicy.Code.PROGRESS_FEEDBACK_LONG):
        if ticket.state != State.REPAIR:
            return False
        if agreed_cadence(ticket) is not None:  # the owner's cadence replaces both defaults
            return code == SlaPolicy.Code.PROGRESS_FEEDBACK
        plan = ticket.plans.order_by("-written_at", "-pk").only("estimated_days").first()
        long = plan is not None and plan.estimated_days >= LONG_REPAIR_DAYS
        return long == (code == SlaPolicy.Code.PROGRESS_FEEDBACK_LONG)
    return True


def agreed_cadence(ticket: Ticket) -> AgreedCadence | None:
    return AgreedCadence.objects.filter(ticket_id=ticket.pk).first()


def with_agreed_cadence(policy: SlaPolicy, ticket: Ticket) -> SlaPolicy:
    """The progress policy with the target agreed with the owner (an unsaved copy), else the policy."""
    if policy.code != SlaPolicy.Code.PROGRESS_FEEDBACK:
        return policy
    cadence = agreed_cadence(ticket)
    if cadence is None:
        return policy
    agreed = copy.copy(policy)
    agreed.target, agreed.unit, agreed.calendar = cadence.every_hours, SlaUnit.HOURS, SlaCalendar.ROUND_THE_CLOCK
    return agreed


def start_clock(
    *,
    policy: SlaPolicy,
    ticket: Ticket | None = None,
    batch=None,
    started_at: dt.datetime | None = None,
) -> SlaClock | None:
    """Start ``policy``'s clock on a ticket or a delivery batch; None when one is already running."""
    clock = _new_clock(policy, started_at or timezone.now(), ticket=ticket, batch=batch)
    # The partial unique index keeps one running clock per subject and policy, even under races.
    try:
        with transaction.atomic():
            clock.save()
    except IntegrityError:
        return None
    return clock


def _new_clock(policy: SlaPolicy, started_at: dt.datetime, *, ticket: Ticket | None = None, batch=None) -> SlaClock:
    warn_at, due_at = deadlines(policy, started_at)
    return SlaClock(
        policy=policy,
        code=policy.code,
        project_id=ticket.project_id if ticket is not None else batch.project_id,
        ticket=ticket,
        batch=batch,
        started_at=started_at,
        warn_at=warn_at,
        due_at=due_at,
    )


def stop_clocks(
    *,
    subject=None,
    ticket: Ticket | None = None,
    policy_code: str | Iterable[str] | None = None,
    event: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Stop the running clocks of a subject (a Ticket or a DeliveryBatch), optionally of some policies only.

    Safe to call twice: a stopped clock is left alone. Returns how many were stopped.
    The settlements app calls ``stop_clocks(subject=batch, policy_code="warranty_fund_ledger")``
    when the warranty-fund ledger of a batch is opened.
    """
    from warranty.models import DeliveryBatch

    subject = subject if subject is not None else ticket
    qs = SlaClock.objects.filter(stopped_at__isnull=True)
    if isinstance(subject, Ticket):
        qs = qs.filter(ticket=subject)
    elif isinstance(subject, DeliveryBatch):
        qs = qs.filter(batch=subject)
    else:
        raise TypeError("stop_clocks needs a Ticket or a DeliveryBatch")
    if policy_code:
        codes = [policy_code] if isinstance(policy_code, str) else list(policy_code)
        qs = qs.filter(code__in=codes)
    return qs.update(stopped_at=at or timezone.now(), stopped_by_event=event[:60], escalate_at=None)


def on_ticket_event(*, ticket: Ticket, verb: str, at: dt.datetime | None = None, to_state: str = "") -> None:
    """Apply one timeline event to the ticket's clocks: stop what it stops, start what it starts.

    A verb that both stops and starts a policy (progress feedback given) restarts its clock.
    """
    at = at or timezone.now()
    # The clocks this instance started as the ticket was written, when this is the event right after
    # (an intake's confirm): nobody else can have started or stopped one of an uncommitted ticket.
    fresh = ticket.__dict__.pop("_sla_started", None)
    if to_state in CLOSED_STATES or ticket.state in CLOSED_STATES:
        stop_clocks(ticket=ticket, event=verb, at=at)
        return
    # An intake writes two events on one instance (reported, confirm): the policies are read once.
    policies = ticket.__dict__.get("_sla_policies")
    if policies is None:
        policies = ticket._sla_policies = policies_for(ticket.project_id)
    if verb in NEW_TICKET_VERBS:  # the ticket was written a moment ago: no clock can be running yet
        running = set()
    elif fresh is not None:
        running = fresh
    else:
        clocks = SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).order_by()
        running = set(clocks.values_list("code", flat=True))
    to_stop = {code for code in running if verb in policies.get(code, _NONE).stop_events or not _applies(code, ticket)}
    if to_stop:
        stop_clocks(ticket=ticket, policy_code=to_stop, event=verb, at=at)
        running -= to_stop
    starts = [
        (with_agreed_cadence(policy, ticket), ticket.created_at if policy.anchor == "ticket_created" else at)
        for code, policy in policies.items()
        if verb in policy.start_events and code not in running and applies(code, ticket)
    ]
    if starts:
        # One INSERT for all of them (an intake starts three); a clock of the same policy that a
        # concurrent transaction started first wins, as in start_clock (the partial unique index).
        SlaClock.objects.bulk_create(
            [_new_clock(policy, started_at, ticket=ticket) for policy, started_at in starts], ignore_conflicts=True
        )
    if verb in NEW_TICKET_VERBS:
        ticket._sla_started = {policy.code for policy, _started_at in starts}


class _NoPolicy:
    stop_events: list = []


_NONE = _NoPolicy()


def _applies(code: str, ticket: Ticket) -> bool:
    # Only the conditional policies can stop applying while running.
    if code in (SlaPolicy.Code.DISPATCH_GENERAL, SlaPolicy.Code.DISPATCH_COMPLEX):
        return applies(code, ticket)
    return True


def ensure_ledger_clocks(*, today: dt.date | None = None, lookback_days: int = 62) -> int:
    """Start the warranty-fund ledger clock of each batch delivered recently that has never had one.

    Run daily by beat; idempotent. The clock counts from 00:00 of the delivery date.
    """
    from warranty.models import DeliveryBatch

    today = today or timezone.localdate()
    batches = DeliveryBatch.objects.filter(
        delivery_date__lte=today, delivery_date__gte=today - dt.timedelta(days=lookback_days)
    ).exclude(sla_clocks__code=SlaPolicy.Code.WARRANTY_FUND_LEDGER)
    started = 0
    tz = timezone.get_current_timezone()
    for batch in batches:
        policy = policy_for(SlaPolicy.Code.WARRANTY_FUND_LEDGER, batch.project_id)
        if policy is None:
            continue
        start = dt.datetime.combine(batch.delivery_date, dt.time.min, tzinfo=tz)
        if start_clock(policy=policy, batch=batch, started_at=start) is not None:
            started += 1
    return started
