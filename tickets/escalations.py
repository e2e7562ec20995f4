"""Escalations (DOMAIN §5): detectors, the ticket flags that raise them, and the queue's services.

Every escalation is reported to the director and the project GM at once
(through the outbox); the GM names a person to follow it. One escalation per
reason and subject stays open at a time (a partial unique constraint), so a
detector that fires twice raises it once.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from warranty.history_sql import copy_to_history
from warranty.models import Building, Unit, User
from warranty.roles import Role
from warranty.scoping import can_see_project

from . import notify
from .models import CLOSED_STATES, ContactAttempt, Escalation, Location, State, Ticket, TimelineEvent
from .services.errors import NotAllowed, NotPermitted, OutOfScope, ServiceError
from .services.lifecycle import lock, timeline
from .services.scope import ensure_can_act
from .sla.clocks import NEW_TICKET_VERBS
from .sla.hours import add_months
from .sla.recipients import StaffIndex

Reason = Escalation.Reason

# DOMAIN §5 thresholds.
BATCH_SHARE_PERCENT = 20
# A defect in one flat is not "the same kind of defect in units of a batch", however small the batch.
BATCH_MIN_UNITS = 2
LONG_RUNNING_MONTHS = 2
UNREACHABLE_ATTEMPTS = 5

# Who is told when an escalation is raised, besides the director and the project GM.
ALSO_TOLD = {
    Reason.COMPENSATION: [Role.CUSTOMER_SERVICE],
    Reason.CONTRACTOR_STAFF: [Role.CUSTOMER_SERVICE],
    Reason.GROUP_COMPLAINT: [Role.CUSTOMER_SERVICE],
    Reason.OWNER_UNREACHABLE: [Role.CUSTOMER_SERVICE],
}

# Ticket flags and the escalation each raises (``is_major`` only marks the ticket: closing needs the GM).
FLAGS = {
    "compensation_claimed": Reason.COMPENSATION,
    "responsibility_unclear": Reason.RESPONSIBILITY_UNCLEAR,
    "group_complaint": Reason.GROUP_COMPLAINT,
    "is_major": None,
}
FLAGGERS = (Role.FRONT_DESK, Role.STEWARD, Role.DIRECTOR, Role.CUSTOMER_SERVICE, Role.PROJECT_GM)
QUEUE_ROLES = (Role.DIRECTOR, Role.PROJECT_GM)
# An escalation is open until resolved; one per reason and subject at a time (Escalation.Meta).
OPEN_STATUSES = [Escalation.Status.OPEN.value, Escalation.Status.ACKNOWLEDGED.value]


def ticket_evidence(*tickets: Ticket) -> list[dict]:
    return [{"ticket": t.number, "id": t.pk} for t in tickets if t is not None]


def raise_escalation(
    *,
    reason: str,
    project_id: int,
    subject_key: str,
    summary: str,
    evidence: list[dict] | None = None,
    ticket: Ticket | None = None,
    unit: Unit | None = None,
    batch=None,
    category=None,
    by=None,
    now: dt.datetime | None = None,
) -> Escalation | None:
    """Open an escalation and tell the queue's people; None when the same one is already open.

    When it is already open, new evidence is added to the open one instead.
    """
    now = now or timezone.now()
    escalation = Escalation(
        reason=reason,
        subject_key=subject_key[:100],
        project_id=project_id,
        ticket=ticket,
        unit=unit,
        batch=batch,
        category=category,
        summary=summary[:300],
        evidence=evidence or [],
        raised_at=now,
        raised_by=by,
    )
    escalation._history_user = by
    if connection.vendor == "postgresql":
        if not _insert_or_add_evidence(escalation, by):
            return None
    else:
        # Already open (the usual case for a unit or a batch that keeps reporting): one statement adds the
        # evidence, before trying an insert that the partial unique index would refuse.
        if _add_evidence(reason, subject_key, evidence or []):
            return None
        try:
            with transaction.atomic():
                escalation.save()
        except IntegrityError:
            _add_evidence(reason, subject_key, evidence or [])
            return None
    roles = [*QUEUE_ROLES, *ALSO_TOLD.get(reason, [])]
    users = StaffIndex([project_id], roles).recipients(project_id, roles)
    notify.queue(
        "escalation_raised",
        ticket=ticket,
        users=users,
        context={"reason": reason, "summary": escalation.summary, "escalation": escalation.pk},
        key=f"esc{escalation.pk}",
    )
    if ticket is not None:
        timeline(ticket, by, f"escalated_{reason}", note=escalation.summary[:200])
    return escalation


def _merged_evidence(table: str, new: str) -> str:
    """SQL: the open escalation's evidence and the entries of ``new`` (a jsonb array) it does not hold yet."""
    return f"""{table}.evidence || COALESCE(
        (SELECT jsonb_agg(e) FROM jsonb_array_elements({new}) AS e WHERE NOT {table}.evidence @> jsonb_build_array(e)),
        '[]'::jsonb)"""


def _insert_or_add_evidence(escalation: Escalation, by) -> bool:
    """PostgreSQL: insert ``escalation``, or add its evidence to the open one of its reason and subject.

    One statement either way (the partial unique index arbitrates), instead of an UPDATE, then an
    INSERT in a savepoint; True when it was inserted, with its history row.
    """
    qn = connection.ops.quote_name
    table = qn(Escalation._meta.db_table)
    fields = [f for f in Escalation._meta.concrete_fields if not f.primary_key]
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)  # literals: the index's predicate is proven
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({", ".join(qn(f.column) for f in fields)}) VALUES ({", ".join(["%s"] * len(fields))})
            ON CONFLICT (reason, subject_key) WHERE status IN ({statuses})
            DO UPDATE SET evidence = {_merged_evidence(table, "EXCLUDED.evidence")}
            RETURNING id, xmax = 0
            """,
            [f.get_db_prep_save(getattr(escalation, f.attname), connection) for f in fields],
        )
        pk, inserted = cursor.fetchone()
    if inserted:
        escalation.pk = pk
        escalation._state.adding, escalation._state.db = False, connection.alias
        copy_to_history(Escalation, [pk], at=escalation.raised_at, reason=None, user_id=by.pk if by else None)
    return inserted


def _add_evidence(reason: str, subject_key: str, evidence: list[dict]) -> bool:
    """Add ``evidence`` to the open escalation of this reason and subject; False when none is open.

    Entries it holds already are not added twice. No history row: the evidence only grows, so the list
    is its own record, and a history row per added ticket would copy the whole list each time (a batch
    defect open for months collects hundreds) and bury the escalation's own steps on its page.
    On PostgreSQL one statement; elsewhere the row is locked, read and written back.
    """
    key = subject_key[:100]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Escalation._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table} SET evidence = {_merged_evidence(table, "%s::jsonb")}
                 WHERE reason = %s AND subject_key = %s AND status = ANY(%s)
                """,
                [json.dumps(evidence, ensure_ascii=False), reason, key, OPEN_STATUSES],
            )
            return cursor.rowcount > 0
    current = (
        Escalation.objects.select_for_update()
        .filter(reason=reason, subject_key=key, status__in=OPEN_STATUSES)
        .values_list("pk", "evidence")
        .first()
    )
    if current is None:
        return False
    pk, held = current
    new = [e for e in evidence if e not in held]
    if new:
        Escalation.objects.filter(pk=pk).update(evidence=[*held, *new])
    return True


# --- detectors --------------------------------------------------------------------------------


def raise_for_breached_clocks(clocks, *, now: dt.datetime) -> int:
    """Policies with an escalation reason (not finished in 7 days) escalate at their breach.

    In bulk, for the sweep (``clocks`` are its DueClock rows): set-based SQL, a fixed number of
    statements per batch and no model instances. A ticket that already has the same escalation
    open gets no second one (the partial unique index; ``ON CONFLICT DO NOTHING``). The history
    rows are copied in SQL; the timeline rows are not sent as ``ticket_event`` (see
    tickets.signals: escalation rows are the escalations' own echo).
    """
    candidates = [c for c in clocks if c.ticket_id is not None and c.policy.escalation_reason]
    if not candidates:
        return 0
    rows = [
        {
            "reason": c.policy.escalation_reason,
            "subject_key": f"ticket:{c.ticket_id}",
            "project_id": c.project_id,
            "ticket_id": c.ticket_id,
            "summary": (
                _("%(ticket)s is not finished %(n)s %(unit)s after the report.")
                % {"ticket": c.ticket_number, "n": c.policy.target, "unit": c.policy.get_unit_display()}
            )[:300],
            "evidence": [
                {"ticket": c.ticket_number, "id": c.ticket_id},
                {"clock": c.pk, "due_at": c.due_at.isoformat()},
            ],
        }
        for c in candidates
    ]
    table, timeline_table = Escalation._meta.db_table, TimelineEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (reason, subject_key, project_id, ticket_id, summary, evidence, status, raised_at,
                                 resolution_note)
            SELECT v.reason, v.subject_key, v.project_id, v.ticket_id, v.summary, v.evidence, %s, %s, ''
              FROM jsonb_to_recordset(%s::jsonb)
                   AS v(reason varchar, subject_key varchar, project_id bigint, ticket_id bigint, summary varchar,
                        evidence jsonb)
            ON CONFLICT DO NOTHING
            RETURNING id, reason, project_id, ticket_id, summary
            """,
            [Escalation.Status.OPEN, now, json.dumps(rows, ensure_ascii=False)],
        )
        created = cursor.fetchall()
        if not created:
            return 0
        cursor.execute(
            f"""
            INSERT INTO {timeline_table} (ticket_id, at, verb, from_state, to_state, note)
            SELECT ticket_id, %s, 'escalated_' || reason, '', '', left(summary, 200)
              FROM {table} WHERE id = ANY(%s)
            """,
            [now, [pk for pk, *_ in created]],
        )
    copy_to_history(Escalation, [pk for pk, *_ in created], at=now, reason="raised by the SLA sweep")
    roles = {*QUEUE_ROLES, *(r for _pk, reason, *_ in created for r in ALSO_TOLD.get(reason, []))}
    staff = StaffIndex({project_id for _pk, _r, project_id, *_ in created}, roles)
    numbers = {c.ticket_id: c.ticket_number for c in candidates}
    messages = []
    for pk, reason, project_id, ticket_id, summary in created:
        context = {"ticket": numbers.get(ticket_id, ""), "reason": reason, "summary": summary, "escalation": pk}
        for user_id, email in staff.contacts(project_id, [*QUEUE_ROLES, *ALSO_TOLD.get(reason, [])]):
            key = f"escalation_raised:{ticket_id}:{user_id}:esc{pk}"
            messages.append(
                notify.row(
                    "escalation_raised", key, ticket_id=ticket_id, user_id=user_id, address=email, context=context
                )
            )
    notify.queue_rows(messages, now=now)
    return len(created)


def detect_repeat_repair(ticket: Ticket) -> Escalation | None:
    """A second repair at the same location of the same unit (``repeat_of`` is set at creation)."""
    if ticket.repeat_of_id is None:
        return None
    earlier = ticket.repeat_of
    where = ticket.location if ticket.location != Location.OTHER else f"other:{ticket.location_detail.lower()}"
    return raise_escalation(
        reason=Reason.REPEAT_REPAIR,
        project_id=ticket.project_id,
        subject_key=f"unit:{ticket.unit_id}:location:{where}",
        summary=_("%(unit)s: another repair at %(location)s (earlier: %(earlier)s).")
        % {"unit": ticket.unit, "location": ticket.get_location_display(), "earlier": earlier.number},
        evidence=ticket_evidence(ticket, earlier),
        ticket=ticket,
        unit=ticket.unit,
    )


def detect_long_running_unit(ticket: Ticket) -> Escalation | None:
    """New defects in a unit whose repairs have gone on for 2 months (an earlier ticket still open)."""
    cutoff = add_months(ticket.created_at, -LONG_RUNNING_MONTHS)
    earlier = ticket.__dict__.get("_earlier_tickets")  # an intake read the unit's tickets already
    if earlier is None:
        earlier = (
            Ticket.objects.filter(unit_id=ticket.unit_id, created_at__lte=cutoff)
            .exclude(state__in=CLOSED_STATES)
            .only("pk", "number", "state", "created_at")  # "state": the FSM mixin reads it on load
        )
    oldest = min(
        (t for t in earlier if t.pk != ticket.pk and t.created_at <= cutoff and t.state not in CLOSED_STATES),
        key=lambda t: (t.created_at, t.pk),
        default=None,
    )
    if oldest is None:
        return None
    return raise_escalation(
        reason=Reason.LONG_RUNNING_UNIT,
        project_id=ticket.project_id,
        subject_key=f"unit:{ticket.unit_id}",
        summary=_("%(unit)s: repairs open since %(since)s and a new defect reported.")
        % {"unit": ticket.unit, "since": timezone.localdate(oldest.created_at)},
        evidence=ticket_evidence(ticket, oldest),
        ticket=ticket,
        unit=ticket.unit,
    )


def batch_defect_share(batch_id: int, category_id: int) -> tuple[int, int]:
    """(units of the batch with a ticket of this category, units of the batch); cancelled tickets do not count."""
    # One statement of two independent counts: the batch's tickets of the category from the index
    # (batch, category, unit) they lead, and the batch's units through its buildings. Written out: run
    # at most intakes, and the ORM took longer to build this from two subqueries than the database
    # took to answer it.
    qn = connection.ops.quote_name
    ticket, unit, building = (qn(m._meta.db_table) for m in (Ticket, Unit, Building))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT COUNT(DISTINCT unit_id) FROM {ticket}
                     WHERE batch_id = %s AND category_id = %s AND state <> %s),
                   (SELECT COUNT(*) FROM {unit} u JOIN {building} b ON b.id = u.building_id WHERE b.batch_id = %s)
            """,
            [batch_id, category_id, State.CANCELLED, batch_id],
        )
        affected, total = cursor.fetchone()
    return affected, total


def detect_batch_defect(ticket: Ticket) -> Escalation | None:
    """The same category of defect in at least 20 % of the units of one delivery batch."""
    batch = ticket.unit.building.batch
    subject_key = f"batch:{batch.pk}:category:{ticket.category_id}"
    # Already open: one more ticket can only keep the share at or above the threshold, so it joins
    # the evidence without recounting the batch (the count is the expensive part of an intake).
    if _add_evidence(Reason.BATCH_DEFECT, subject_key, ticket_evidence(ticket)):
        return None
    affected, total = batch_defect_share(batch.pk, ticket.category_id)
    if affected < BATCH_MIN_UNITS or affected * 100 < BATCH_SHARE_PERCENT * total:
        return None
    return raise_escalation(
        reason=Reason.BATCH_DEFECT,
        project_id=ticket.project_id,
        subject_key=subject_key,
        summary=_("%(batch)s: %(category)s in %(affected)s of %(total)s units.")
        % {"batch": batch, "category": ticket.category, "affected": affected, "total": total},
        evidence=[*ticket_evidence(ticket), {"affected_units": affected, "units": total}],
        ticket=ticket,
        batch=batch,
        category=ticket.category,
    )


def detect_owner_unreachable(ticket: Ticket) -> Escalation | None:
    """5 failed attempts to reach the owner with the completion notice: director and CS re-inspect jointly."""
    failed = ContactAttempt.objects.filter(
        ticket=ticket, purpose=ContactAttempt.Purpose.COMPLETION, reached=False
    ).count()
    if failed < UNREACHABLE_ATTEMPTS:
        return None
    return raise_escalation(
        reason=Reason.OWNER_UNREACHABLE,
        project_id=ticket.project_id,
        subject_key=f"ticket:{ticket.pk}",
        summary=_("%(ticket)s: owner not reached after %(n)s attempts; joint re-inspection by director and CS.")
        % {"ticket": ticket.number, "n": failed},
        evidence=[*ticket_evidence(ticket), {"failed_attempts": failed}],
        ticket=ticket,
    )


def on_ticket_event(*, ticket: Ticket, verb: str) -> None:
    """Run the detectors that a timeline event can trigger."""
    if verb in NEW_TICKET_VERBS:
        detect_repeat_repair(ticket)
        detect_long_running_unit(ticket)
        detect_batch_defect(ticket)
    elif verb == "contact_completion_not_reached":
        detect_owner_unreachable(ticket)


# --- services ---------------------------------------------------------------------------------


def ticket_flag(*, ticket: Ticket, by, flag: str, note: str) -> Ticket:
    """Set a flag on the ticket (with history and a timeline row) and raise its escalation."""
    if flag not in FLAGS:
        raise ServiceError(_("Unknown flag."), field="flag")
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Please give a reason."), field="note")
    if not (by.is_superuser or by.has_role(*FLAGGERS)):
        raise NotPermitted()
    with transaction.atomic():
        locked = lock(ticket)
        ensure_can_act(by, locked)
        if locked.state == State.ARCHIVED:
            raise NotAllowed()
        if not getattr(locked, flag):
            setattr(locked, flag, True)
            locked._history_user = by
            locked._change_reason = f"flag {flag}: {note}"[:100]
            locked.save(update_fields=[flag])
            timeline(locked, by, f"flag_{flag}", note=note[:200])
        reason = FLAGS[flag]
        if reason:
            raise_escalation(
                reason=reason,
                project_id=locked.project_id,
                subject_key=f"ticket:{locked.pk}",
                summary=f"{locked.number}: {note}",
                evidence=ticket_evidence(locked),
                ticket=locked,
                by=by,
            )
    return locked


def escalation_raise(*, ticket: Ticket, by, reason: str, note: str) -> Escalation | None:
    """Raise an escalation by hand, e.g. a complaint about contractor staff."""
    if reason not in Reason.values:
        raise ServiceError(_("Choose a reason."), field="reason")
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Please give a reason."), field="note")
    if not (by.is_superuser or by.has_role(*FLAGGERS)):
        raise NotPermitted()
    with transaction.atomic():
        locked = lock(ticket)
        ensure_can_act(by, locked)
        return raise_escalation(
            reason=reason,
            project_id=locked.project_id,
            subject_key=f"ticket:{locked.pk}",
            summary=f"{locked.number}: {note}",
            evidence=ticket_evidence(locked),
            ticket=locked,
            by=by,
        )


def _lock_escalation(escalation: Escalation, by) -> Escalation:
    locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if not can_see_project(by, locked.project_id):
        raise OutOfScope()
    return locked


def _may_follow(by, escalation: Escalation) -> bool:
    return by.is_superuser or by.has_role(*QUEUE_ROLES) or escalation.assignee_id == by.pk


@transaction.atomic
def escalation_assign(*, escalation: Escalation, by, assignee: User, note: str = "") -> Escalation:
    """The project GM names the person who follows the escalation; it is then being followed."""
    locked = _lock_escalation(escalation, by)
    if not (by.is_superuser or by.has_role(Role.PROJECT_GM)):
        raise NotPermitted()
    if locked.status == Escalation.Status.RESOLVED:
        raise NotAllowed()
    if not assignee.is_active or not assignee.projects.filter(pk=locked.project_id).exists():
        raise ServiceError(_("The person does not serve this project."), field="assignee")
    locked.assignee = assignee
    locked.assigned_by = by
    locked.assigned_at = timezone.now()
    if locked.status == Escalation.Status.OPEN:
        locked.acknowledge()
    locked._history_user = by
    locked._change_reason = (note or "assigned")[:100]
    locked.save()
    notify.queue(
        "escalation_assigned",
        ticket=locked.ticket,
        users=[assignee],
        context={"reason": locked.reason, "summary": locked.summary, "escalation": locked.pk, "note": note},
        key=f"esc{locked.pk}:{assignee.pk}",
    )
    return locked


@transaction.atomic
def escalation_acknowledge(*, escalation: Escalation, by) -> Escalation:
    """The director, the GM or the named person takes the escalation up."""
    locked = _lock_escalation(escalation, by)
    if not _may_follow(by, locked):
        raise NotPermitted()
    if locked.status != Escalation.Status.OPEN:
        raise NotAllowed()
    locked.acknowledge()
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def escalation_resolve(*, escalation: Escalation, by, note: str) -> Escalation:
    """Close the escalation with what was done."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Please say how it was resolved."), field="note")
    locked = _lock_escalation(escalation, by)
    if not _may_follow(by, locked):
        raise NotPermitted()
    if locked.status == Escalation.Status.RESOLVED:
        raise NotAllowed()
    locked.resolve(note=note)
    locked._history_user = by
    locked.save()
    return locked
