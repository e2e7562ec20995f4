"""One service per ticket transition (STYLE.md point 3).

Every service runs :func:`run_transition`: atomic → ``select_for_update`` →
stale-copy check → scope and ``has_transition_perm`` → conditions →
transition → history user and reason → ``full_clean`` + ``save`` → a
timeline event → outbox rows (delivered after commit).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from warranty.roles import Role

from .. import notify
from ..models import (
    CLOSED_STATES,
    OPEN_STATES,
    ContactAttempt,
    Difficulty,
    Location,
    Report,
    Resolution,
    State,
    Ticket,
    TimelineEvent,
)
from ..signals import ticket_event
from .errors import ConditionFailed, Conflict, NotAllowed, NotPermitted, OutOfScope, ReadOnly, ServiceError
from .scope import ensure_can_act


def unmet(ticket: Ticket, name: str) -> list:
    """The conditions of transition ``name`` that the ticket does not meet now (tickets.conditions)."""
    method = getattr(ticket, name)
    transition = method._django_fsm.get_transition(ticket.state)
    if transition is None:
        return []
    return [cond for cond in transition.conditions if not cond(ticket)]


def unmet_conditions(ticket: Ticket, name: str) -> list[str]:
    """Labels of the conditions of transition ``name`` that the ticket does not meet now."""
    return [str(cond.label) for cond in unmet(ticket, name)]


def lock(ticket: Ticket, *, expected_state: str | None = None) -> Ticket:
    """Re-read the ticket under a row lock; refuse if it changed since the caller read it."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    seen = expected_state if expected_state is not None else ticket.state
    if locked.state != seen:
        raise Conflict()
    return locked


def timeline(ticket: Ticket, by, verb: str, *, from_state: str = "", to_state: str = "", note: str = "") -> None:
    """Write the timeline row and tell listeners (SLA clocks, escalations) inside the same transaction."""
    timelines(ticket, by, [{"verb": verb, "from_state": from_state, "to_state": to_state, "note": note}])


def timelines(ticket: Ticket, by, steps: list[dict]) -> None:
    """Write several timeline rows of one ticket in one INSERT, then tell the listeners of each in turn.

    ``steps``: the rows' ``verb``, ``from_state``, ``to_state`` and ``note``. A row the listeners write
    (an escalation's) comes after all of these.
    """
    events = TimelineEvent.objects.bulk_create([TimelineEvent(ticket=ticket, actor=by, **step) for step in steps])
    for event in events:
        ticket_event.send(sender=Ticket, ticket=ticket, event=event)
        refresh_queue_flags(ticket, event.verb, from_state=event.from_state, to_state=event.to_state)


# The front desk's queues read two stored flags from partial indexes instead of checking every open report
# or every ticket in callback for a reached call: Report.awaiting_first_contact and
# Ticket.awaiting_completion_notice. Every event that can change one passes through timeline().
Purpose = ContactAttempt.Purpose
FIRST_CONTACT_REACHED = f"contact_{Purpose.FIRST_CONTACT}_reached"
COMPLETION_REACHED = f"contact_{Purpose.COMPLETION}_reached"


def _reached(purpose: str, **outer) -> Exists:
    return Exists(ContactAttempt.objects.filter(purpose=purpose, reached=True, **outer))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def awaiting_first_contact() -> Q:
    """A report awaits its first contact: a ticket of it is open and nobody has reached the owner yet."""
    return Q(Exists(Ticket.objects.filter(report=OuterRef("pk"), state__in=OPEN_STATES))) & ~Q(
        _reached(Purpose.FIRST_CONTACT, report=OuterRef("pk"))
    )


def awaiting_completion_notice() -> Q:
    """A ticket awaits its completion notice: it is in callback and nobody has told the owner yet."""
    return Q(state=State.CALLBACK) & ~Q(_reached(Purpose.COMPLETION, ticket=OuterRef("pk")))


def refresh_queue_flags(ticket: Ticket, verb: str, *, from_state: str = "", to_state: str = "") -> None:
    """Store the queue flags an event may have changed, as one UPDATE computed from the saved rows.

    The first contact: the owner is reached, a ticket leaves or re-enters the open states, or a ticket opens
    on a report the queue had let go (a repeat; intake stores a new report as awaiting). The completion
    notice: the owner is told, or the ticket enters or leaves the callback.
    """
    moved = bool(from_state) and bool(to_state)
    created = not from_state and bool(to_state)
    if (
        verb == FIRST_CONTACT_REACHED
        or (moved and (from_state in OPEN_STATES) != (to_state in OPEN_STATES))
        or (created and to_state in OPEN_STATES and not ticket.report.awaiting_first_contact)
    ):
        Report.objects.filter(pk=ticket.report_id).update(awaiting_first_contact=_flag(awaiting_first_contact()))
    if verb == COMPLETION_REACHED or (moved and State.CALLBACK in (from_state, to_state)):
        Ticket.objects.filter(pk=ticket.pk).update(awaiting_completion_notice=_flag(awaiting_completion_notice()))


def run_transition(
    ticket: Ticket,
    *,
    by,
    name: str,
    note: str = "",
    expected_state: str | None = None,
    before: Callable[[Ticket], None] | None = None,
    after: Callable[[Ticket], None] | None = None,
    kwargs: dict | None = None,
) -> Ticket:
    """Run transition ``name`` on ``ticket`` as user ``by``; return the saved, locked copy.

    ``before(locked)`` may set fields the conditions read (e.g. the triage
    result); ``after(locked)`` writes related records and notifications in the
    same transaction.
    """
    with transaction.atomic():
        locked = lock(ticket, expected_state=expected_state)
        ensure_can_act(by, locked)
        if locked.state in CLOSED_STATES:
            raise ReadOnly() if locked.state == State.ARCHIVED else NotAllowed()
        method = getattr(locked, name)
        if not can_proceed(method, check_conditions=False):
            raise NotAllowed(
                _("“%(action)s” is not possible while the ticket is in “%(state)s”.")
                % {"action": _(name.replace("_", " ")), "state": locked.get_state_display()}
            )
        # django_fsm.has_transition_perm() also evaluates the conditions; ask the
        # permission alone so a missing right and an unmet condition say different things.
        if not method._django_fsm.has_transition_perm(locked, locked.state, by):
            raise NotPermitted()
        if before:
            before(locked)
        missing = unmet_conditions(locked, name)
        if missing:
            raise ConditionFailed(missing)
        from_state = locked.state
        method(**(kwargs or {}))
        locked._history_user = by
        locked._change_reason = (note or name)[:100]  # the history column holds 100 characters
        try:
            locked.full_clean(exclude=["report", "category", "unit", "project", "state"])
        except ValidationError as exc:
            field, errors = next(iter(exc.message_dict.items()))
            raise ServiceError(errors[0], field=field) from exc
        try:
            locked.save()
        except ConcurrentTransition as exc:  # a stale copy slipped past the lock
            raise Conflict() from exc
        timeline(locked, by, name, from_state=from_state, to_state=locked.state, note=note)
        if after:
            after(locked)
    return locked


def _require(text: str, field: str = "note") -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Please give a reason."), field=field)
    return text


# --- the transitions ----------------------------------------------------------------


def ticket_confirm(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Intake → triage: the report was read back and confirmed."""
    return run_transition(ticket, by=by, name="confirm", note=note)


def ticket_resolve_by_phone(*, ticket: Ticket, by, note: str) -> Ticket:
    """Intake/triage → archived: solved by guidance on the phone."""
    note = _require(note)
    return run_transition(ticket, by=by, name="resolve_by_phone", note=note, kwargs={"note": note})


def ticket_triage(*, ticket: Ticket, by, difficulty: str, steward, engineer=None, note: str = "") -> Ticket:
    """Triage → dispatch: store the coverage result, the difficulty and the one responsible steward."""

    if difficulty and difficulty not in Difficulty.values:
        raise ServiceError(_("Choose simple, general or complex."), field="difficulty")
    if steward is None or not steward.has_role(Role.STEWARD, Role.DIRECTOR):
        raise ServiceError(_("Choose a warranty steward."), field="steward")
    if not steward.projects.filter(pk=ticket.project_id).exists() and not steward.is_superuser:
        raise ServiceError(_("The steward does not serve this project."), field="steward")
    if engineer is not None and not engineer.has_role(Role.ENGINEER):
        raise ServiceError(_("Choose a warranty engineer."), field="engineer")

    def before(locked: Ticket) -> None:
        apply_coverage(locked, _assess(locked))
        locked.difficulty = difficulty
        locked.steward = steward
        locked.engineer = engineer

    def after(locked: Ticket) -> None:
        notify.queue("ticket_assigned", ticket=locked, users=[steward])
        if difficulty == "complex":
            notify.queue_role("complex_ticket", ticket=locked, role=Role.DIRECTOR)

    return run_transition(ticket, by=by, name="triage", note=note, before=before, after=after)


def ticket_coverage(ticket: Ticket):
    """The coverage of ``ticket`` assessed now (not stored); raises ``NoWarrantyPeriod`` like assess_coverage."""
    from warranty.coverage import assess_coverage

    return assess_coverage(
        unit=ticket.unit, category=ticket.category, reported_on=timezone.localdate(ticket.report.received_at)
    )


def _assess(ticket: Ticket):
    """The ticket's coverage now; a refusal the user can act on when its category has no warranty period."""
    from warranty.coverage import NoWarrantyPeriod

    try:
        return ticket_coverage(ticket)
    except NoWarrantyPeriod as exc:
        raise ServiceError(
            _("The category %(category)s has no warranty period: the project department sets one in the admin.")
            % {"category": ticket.category}
        ) from exc


def apply_coverage(ticket: Ticket, result) -> None:
    """Copy an immutable coverage result onto the ticket (it is kept, not recomputed)."""
    from django.utils import timezone

    ticket.coverage_assessed_at = timezone.now()
    ticket.in_owner_warranty = result.in_owner_warranty
    ticket.owner_warranty_until = result.owner_warranty_until
    ticket.contractor_liable_until = result.contractor_liable_until
    ticket.payer = result.payer
    ticket.coverage_reason = str(result.reason)
    ticket.liable_engagement = result.engagement
    ticket.liable_contractor = result.contractor


def ticket_refer(*, ticket: Ticket, by, note: str) -> Ticket:
    """Triage → referred: out of the owner's warranty, sent to property management or a supplier."""

    note = _require(note)

    def before(locked: Ticket) -> None:
        if locked.coverage_assessed_at is None:
            apply_coverage(locked, _assess(locked))

    return run_transition(ticket, by=by, name="refer", note=note, before=before, kwargs={"note": note})


def ticket_cancel(*, ticket: Ticket, by, note: str) -> Ticket:
    """Any open stage before sign-off → cancelled, by the director, with a reason."""
    note = _require(note)
    return run_transition(ticket, by=by, name="cancel", note=note, kwargs={"note": note})


def ticket_complete_repair(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Repair → sign-off: the contractor reports the work done."""

    def after(locked: Ticket) -> None:
        if locked.steward_id:
            notify.queue("repair_completed", ticket=locked, users=[locked.steward])

    return run_transition(ticket, by=by, name="complete_repair", note=note, after=after)


def ticket_return_to_repair(*, ticket: Ticket, by, note: str) -> Ticket:
    """Sign-off → repair: the re-inspection failed or the owner refused; a new sign-off round follows."""
    note = _require(note)
    return run_transition(ticket, by=by, name="return_to_repair", note=note)


def ticket_sign_off(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """Sign-off → callback. When the owner did not sign in person, the front desk must tell them."""

    def after(locked: Ticket) -> None:
        owner_signed = locked.signoffs.filter(round=locked.signoff_round, kind="owner", passed=True).exists()
        if not owner_signed:
            notify.queue_role("notify_owner_of_joint_signoff", ticket=locked, role=Role.FRONT_DESK)

    return run_transition(ticket, by=by, name="sign_off", note=note, after=after)


def ticket_archive(*, ticket: Ticket, by, resolution: str = Resolution.RESOLVED, note: str = "") -> Ticket:
    """Callback → archived."""
    if resolution not in (Resolution.RESOLVED, Resolution.UNREACHABLE):
        raise ServiceError(_("Choose how the ticket ends."), field="resolution")
    return run_transition(ticket, by=by, name="archive", note=note, kwargs={"resolution": resolution, "note": note})


def ticket_reopen(*, ticket: Ticket, by, note: str) -> Ticket:
    """Callback → archived as unresolved, and a new linked repeat ticket opens in triage."""
    note = _require(note)
    created: list[Ticket] = []

    def after(locked: Ticket) -> None:
        from .reports import next_ticket_seq

        seq = next_ticket_seq(locked.report)
        repeat = Ticket(
            report=locked.report,
            seq=seq,
            number=f"{locked.report.number}-{seq}",
            project_id=locked.project_id,
            unit_id=locked.unit_id,
            location=locked.location,
            location_detail=locked.location_detail,
            part=locked.part,
            category_id=locked.category_id,
            description=locked.description,
            repeat_of=locked,
            steward_id=locked.steward_id,
            is_major=locked.is_major,
        )
        repeat._history_user = by
        repeat._change_reason = "reopened"
        repeat.save()
        timeline(repeat, by, "created_as_repeat", to_state=repeat.state, note=note)
        run_transition_inline(repeat, by=by, name="confirm")
        created.append(repeat)
        notify.queue_role("ticket_reopened", ticket=repeat, role=Role.DIRECTOR)
        if repeat.steward_id:
            notify.queue("ticket_reopened", ticket=repeat, users=[repeat.steward])

    run_transition(ticket, by=by, name="reopen", note=note, after=after, kwargs={"note": note})
    return created[0]


def run_transition_inline(ticket: Ticket, *, by, name: str) -> None:
    """A system step inside another service's transaction (no permission check: the caller had one)."""
    from_state = ticket.state
    getattr(ticket, name)()
    ticket._history_user = by
    ticket._change_reason = name[:100]
    ticket.save()
    timeline(ticket, by, name, from_state=from_state, to_state=ticket.state)


def same_location(a_location: str, a_detail: str, b_location: str, b_detail: str) -> bool:
    """Two defects are at the same place when the location matches (and, for “other”, the detail)."""
    if a_location != b_location:
        return False
    if a_location == Location.OTHER:
        return a_detail.strip().lower() == b_detail.strip().lower()
    return True


__all__ = [
    "ConditionFailed",
    "Conflict",
    "NotAllowed",
    "NotPermitted",
    "OutOfScope",
    "ReadOnly",
    "ServiceError",
]
