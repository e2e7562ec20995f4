"""The beat sweep: warnings, breaches and escalation rungs of due clocks, each recorded once.

Each pass locks and reads a batch of due clocks in one statement through a partial
index with ``FOR UPDATE SKIP LOCKED`` (a second sweep running at the same time takes
other rows or none), records an SlaAlert per clock and level (unique: a retried task
is a no-op), marks the clock, writes the outbox rows and raises the escalations, all
in one transaction.

A batch costs a fixed number of queries whatever its size and whatever the size
of the table; rows are read as tuples and written set-based (``INSERT … SELECT``
from one JSON document), because at ten thousand breaches a minute model instances
are the bottleneck (bench/sla_sweep.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import notify
from ..models import SlaAlert, SlaClock, SlaPolicy
from .clocks import deadline
from .recipients import StaffIndex

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000

# level -> (filter of pending rows, the indexed deadline column)
PASSES = {
    "breach": (Q(stopped_at__isnull=True, breached_at__isnull=True), "due_at"),
    "warning": (Q(stopped_at__isnull=True, warned_at__isnull=True), "warn_at"),
    "escalation": (Q(stopped_at__isnull=True, escalate_at__isnull=False), "escalate_at"),
}
EVENTS = {"warning": "sla_warning", "breach": "sla_breach"}


@dataclass
class SweepResult:
    warning: int = 0
    breach: int = 0
    escalation: int = 0
    notifications: int = 0
    escalations_raised: int = 0

    @property
    def alerts(self) -> int:
        return self.warning + self.breach + self.escalation


@dataclass(slots=True)
class DueClock:
    """The columns of a due clock the sweep needs (no model instance)."""

    pk: int
    code: str
    project_id: int
    ticket_id: int | None
    batch_id: int | None
    policy_id: int
    due_at: dt.datetime
    warned_at: dt.datetime | None
    breached_at: dt.datetime | None
    ladder_step: int
    escalate_at: dt.datetime | None
    ticket_number: str | None
    steward_id: int | None
    engineer_id: int | None
    batch_label: str
    policy: SlaPolicy | None = None


FIELDS = [
    "pk",
    "code",
    "project_id",
    "ticket_id",
    "batch_id",
    "policy_id",
    "due_at",
    "warned_at",
    "breached_at",
    "ladder_step",
    "escalate_at",
    "ticket__number",
    "ticket__steward_id",
    "ticket__engineer_id",
]


def sweep_clocks(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Record and notify every warning, breach and escalation rung that is due at ``now``."""
    now = now or timezone.now()
    result = SweepResult()
    policies = SlaPolicy.objects.in_bulk()
    for kind in ("breach", "warning", "escalation"):
        while True:
            selected = _sweep_batch(kind, now, batch_size, result, policies)
            if selected < batch_size:
                break
    return result


def _sweep_batch(kind: str, now: dt.datetime, batch_size: int, result: SweepResult, policies) -> int:
    pending, column = PASSES[kind]
    with transaction.atomic():
        # One statement locks and reads the batch: FOR UPDATE OF the clock rows only (not the joined ones).
        rows = (
            SlaClock.objects.filter(pending, **{f"{column}__lte": now})
            .order_by(column)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list(*FIELDS, "batch__project__code", "batch__name")[:batch_size]
        )
        clocks = _load(rows, policies)
        if not clocks:
            return 0
        roles = {r for c in clocks for r in (*c.policy.warn_roles, *c.policy.breach_roles, *c.policy.ladder)}
        personal = {pid for c in clocks for pid in (c.steward_id, c.engineer_id) if pid}
        staff = StaffIndex({c.project_id for c in clocks}, roles, personal_ids=personal)
        alerts, messages, escalating = [], [], []
        for clock in clocks:
            level, roles_now = _advance(clock, kind, now)
            users = staff.contacts(
                clock.project_id, roles_now, steward_id=clock.steward_id, engineer_id=clock.engineer_id
            )
            alerts.append({"clock_id": clock.pk, "level": level, "recipients": [pk for pk, _ in users]})
            messages.extend(_messages(clock, level, users))
            if kind == "breach" and clock.policy.escalation_reason and clock.ticket_id:
                escalating.append(clock)
        _insert_alerts(alerts, now)
        _save_levels(clocks)
        result.notifications += notify.queue_rows(messages, now=now)
        if escalating:
            from ..escalations import raise_for_breached_clocks

            result.escalations_raised += raise_for_breached_clocks(escalating, now=now)
        setattr(result, kind, getattr(result, kind) + len(clocks))
    return len(clocks)


def _load(rows, policies: dict[int, SlaPolicy]) -> list[DueClock]:
    clocks = []
    for row in rows:
        *head, project_code, batch_name = row
        clock = DueClock(*head, batch_label=f"{project_code} {batch_name}" if batch_name else "")
        clock.policy = policies.get(clock.policy_id) or SlaPolicy.objects.get(pk=clock.policy_id)
        clocks.append(clock)
    return clocks


def _advance(clock: DueClock, kind: str, now: dt.datetime) -> tuple[str, list[str]]:
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


def _next_rung_at(clock: DueClock) -> dt.datetime | None:
    """One more target period after the breach per rung already reached; None at the top."""
    if clock.ladder_step >= len(clock.policy.ladder):
        return None
    return deadline(clock.policy, clock.due_at, periods=clock.ladder_step)


def _messages(clock: DueClock, level: str, users: list[tuple[int, str]]) -> list[dict]:
    event = EVENTS.get(level, "sla_escalation")
    # What the message shows (templates/notifications): kept small, it is written once per recipient.
    context = {
        "ticket": clock.ticket_number or "",
        "policy": clock.code,
        "level": level,
        "due_at": clock.due_at.isoformat(),
    }
    if clock.batch_label:
        context["batch"] = clock.batch_label
    key = f"clock{clock.pk}:{level}"
    subject = clock.ticket_id if clock.ticket_id else "-"
    return [
        notify.row(
            event,
            f"{event}:{subject}:{pk}:{key}",
            ticket_id=clock.ticket_id,
            user_id=pk,
            address=email,
            context=context,
        )
        for pk, email in users
    ]


# Rows travel as one JSON document (jsonb_to_recordset): quoting one string is far cheaper than
# quoting thousands of array elements client-side.


def _insert_alerts(alerts: list[dict], now: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SlaAlert._meta.db_table} (clock_id, level, at, recipients)
            SELECT v.clock_id, v.level, %s, v.recipients
              FROM jsonb_to_recordset(%s::jsonb) AS v(clock_id bigint, level varchar, recipients jsonb)
            ON CONFLICT (clock_id, level) DO NOTHING
            """,
            [now, json.dumps(alerts)],
        )


def _save_levels(clocks: list[DueClock]) -> None:
    """One UPDATE for the whole batch (bulk_update's CASE WHEN is slow at 1,000 rows)."""
    rows = [
        {
            "id": c.pk,
            "warned_at": c.warned_at and c.warned_at.isoformat(),
            "breached_at": c.breached_at and c.breached_at.isoformat(),
            "ladder_step": c.ladder_step,
            "escalate_at": c.escalate_at and c.escalate_at.isoformat(),
        }
        for c in clocks
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {SlaClock._meta.db_table} AS c
               SET warned_at = v.warned_at, breached_at = v.breached_at,
                   ladder_step = v.ladder_step, escalate_at = v.escalate_at
              FROM jsonb_to_recordset(%s::jsonb)
                   AS v(id bigint, warned_at timestamptz, breached_at timestamptz, ladder_step smallint,
                        escalate_at timestamptz)
             WHERE c.id = v.id
            """,
            [json.dumps(rows)],
        )
