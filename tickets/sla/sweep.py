"""The beat sweep: warnings, breaches and escalation rungs of due clocks, each recorded once.

Each pass locks a batch of due clock ids through a partial index with
``FOR UPDATE SKIP LOCKED`` (a second sweep running at the same time takes other
rows or none), records an SlaAlert per clock and level (unique: a retried task is
a no-op), marks the clock and writes the outbox rows, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import notify
from ..models import SlaAlert, SlaClock
from .clocks import deadline
from .recipients import StaffIndex

logger = logging.getLogger(__name__)
BATCH_SIZE = 500

# level -> (filter of pending rows, the indexed deadline column)
PASSES = {
    "breach": (Q(stopped_at__isnull=True, breached_at__isnull=True), "due_at"),
    "warning": (Q(stopped_at__isnull=True, warned_at__isnull=True), "warn_at"),
    "escalation": (Q(stopped_at__isnull=True, escalate_at__isnull=False), "escalate_at"),
}


@dataclass
class SweepResult:
    warning: int = 0
    breach: int = 0
    escalation: int = 0
    notifications: int = 0
    escalations_raised: int = 0
    levels: list[str] = field(default_factory=list)

    @property
    def alerts(self) -> int:
        return self.warning + self.breach + self.escalation


def sweep_clocks(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Record and notify every warning, breach and escalation rung that is due at ``now``."""
    now = now or timezone.now()
    result = SweepResult()
    for kind in ("breach", "warning", "escalation"):
        while True:
            selected = _sweep_batch(kind, now, batch_size, result)
            if selected < batch_size:
                break
    return result


def _sweep_batch(kind: str, now: dt.datetime, batch_size: int, result: SweepResult) -> int:
    pending, column = PASSES[kind]
    with transaction.atomic():
        ids = list(
            SlaClock.objects.filter(pending, **{f"{column}__lte": now})
            .order_by(column)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return 0
        clocks = list(
            SlaClock.objects.filter(pk__in=ids)
            .select_related("policy", "ticket", "ticket__steward", "ticket__engineer", "batch")
            .order_by("pk")
        )
        roles = {r for c in clocks for r in (*c.policy.warn_roles, *c.policy.breach_roles, *c.policy.ladder)}
        staff = StaffIndex({c.project_id for c in clocks}, roles)
        alerts, messages, breached_for_escalation = [], [], []
        for clock in clocks:
            level, roles_now = _advance(clock, kind, now)
            users = staff.users(clock.project_id, roles_now, ticket=clock.ticket)
            alerts.append(SlaAlert(clock=clock, level=level, at=now, recipients=[u.pk for u in users]))
            messages.extend(_messages(clock, level, users, now))
            if kind == "breach" and clock.policy.escalation_reason:
                breached_for_escalation.append(clock)
        SlaAlert.objects.bulk_create(alerts, ignore_conflicts=True)
        SlaClock.objects.bulk_update(clocks, ["warned_at", "breached_at", "ladder_step", "escalate_at"])
        result.notifications += notify.queue_bulk(messages)
        if breached_for_escalation:
            from ..escalations import raise_for_breached_clocks

            result.escalations_raised += raise_for_breached_clocks(breached_for_escalation, now=now)
        setattr(result, kind, getattr(result, kind) + len(clocks))
    return len(ids)


def _advance(clock: SlaClock, kind: str, now: dt.datetime) -> tuple[str, list[str]]:
    """Move the clock one level on; return the alert level and the role tokens to tell."""
    policy = clock.policy
    if kind == "warning":
        clock.warned_at = now
        return "warning", list(policy.warn_roles)
    if kind == "breach":
        clock.breached_at = now
        clock.warned_at = clock.warned_at or now  # a late sweep does not send a warning after the breach
        clock.ladder_step = 1 if policy.ladder else 0
        clock.escalate_at = _next_rung_at(clock)
        return "breach", [*policy.breach_roles, *policy.ladder[:1]]
    clock.ladder_step += 1
    step = clock.ladder_step
    clock.escalate_at = _next_rung_at(clock)
    return f"ladder_{step}", list(policy.ladder[step - 1 : step])


def _next_rung_at(clock: SlaClock) -> dt.datetime | None:
    """One more target period after the breach per rung already reached; None at the top."""
    if clock.ladder_step >= len(clock.policy.ladder):
        return None
    return deadline(clock.policy, clock.due_at, periods=clock.ladder_step)


def _messages(clock: SlaClock, level: str, users, now: dt.datetime) -> list[notify.Message]:
    event = "sla_warning" if level == "warning" else "sla_breach" if level == "breach" else "sla_escalation"
    context = {
        "policy": clock.code,
        "level": level,
        "due_at": clock.due_at.isoformat(),
        "started_at": clock.started_at.isoformat(),
        "batch": str(clock.batch) if clock.batch_id else "",
    }
    return [
        notify.Message(
            event=event,
            ticket=clock.ticket,
            user=user,
            context=context,
            key=f"clock{clock.pk}:{level}",
        )
        for user in users
    ]
