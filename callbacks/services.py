"""Writes after sign-off: callbacks and their outcomes, completion notices, joint re-inspections,
follow-up cases, contact changes, dossier access and survey answers.

The ticket's own state changes go through ``tickets.services`` (``ticket_archive``,
``ticket_reopen``); these services only add the records beside them, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import notify
from tickets.models import ContactAttempt, Resolution, State, Ticket
from tickets.services import (
    NotAllowed,
    NotPermitted,
    ReadOnly,
    ServiceError,
    contact_attempt_record,
    ticket_archive,
    ticket_reopen,
)
from tickets.services.scope import ensure_can_act
from warranty.calendar import add_workdays
from warranty.roles import Role
from warranty.selectors import current_primary_owner, staff_with_role

from .models import (
    DIMENSIONS,
    MAX_FAILED_ATTEMPTS,
    RETRY_EVERY_DAYS,
    Callback,
    CallbackAttempt,
    ContactChangeTask,
    DossierAccess,
    FollowUpCase,
    JointReinspection,
    NotificationRound,
    Satisfaction,
    SurveyCampaign,
    SurveyResponse,
)

# The callback is made from the 1st to the 3rd workday after sign-off (DOMAIN §4.9).
CALLBACK_FIRST_WORKDAY = 1
CALLBACK_LAST_WORKDAY = 3

CALLBACK_ROLES = (Role.CUSTOMER_SERVICE, Role.DIRECTOR)
NOTIFY_ROLES = (Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.DIRECTOR)


def dossier_retention_years() -> int:
    """How long an archived dossier is kept (setting ``DOSSIER_RETENTION_YEARS``, read at call time)."""
    return int(getattr(settings, "DOSSIER_RETENTION_YEARS", 10))


def callback_window(signed_off_at: dt.datetime | dt.date) -> tuple[dt.date, dt.date]:
    """(due_from, due_by): the 1st and 3rd Chinese workdays after the sign-off day."""
    return add_workdays(signed_off_at, CALLBACK_FIRST_WORKDAY), add_workdays(signed_off_at, CALLBACK_LAST_WORKDAY)


def _require_role(by, roles) -> None:
    if not by.is_superuser and not by.has_role(*roles):
        raise NotPermitted()


def _today() -> dt.date:
    return timezone.localdate()


# --- created when a ticket is signed off ---------------------------------------------------------


def callback_open_for(*, ticket: Ticket) -> Callback:
    """Create the callback and the completion-notice round of a ticket that just entered callback (idempotent)."""
    signed_off_at = ticket.signed_off_at or timezone.now()
    due_from, due_by = callback_window(signed_off_at)
    callback, _created = Callback.objects.get_or_create(
        ticket=ticket, defaults={"due_from": due_from, "due_by": due_by, "next_attempt_on": due_from}
    )
    NotificationRound.objects.get_or_create(
        ticket=ticket, defaults={"next_attempt_on": timezone.localdate(signed_off_at)}
    )
    return callback


def on_ticket_event(sender, *, ticket, event, **kwargs) -> None:
    """Receiver of ``tickets.signals.ticket_event``: a signed-off ticket gets its callback."""
    if event.verb == "sign_off" and ticket.state == State.CALLBACK:
        callback_open_for(ticket=ticket)


# --- the callback ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackAnswer:
    """What the agent recorded in one call."""

    reached: bool
    resolved: bool | None = None
    quality: str = ""
    attitude: str = ""
    timeliness: str = ""
    meets_standard: bool | None = None
    suggestions: str = ""
    non_warranty_issues: str = ""
    note: str = ""
    contact_changed_phone: str = ""


def _validate(answer: CallbackAnswer) -> None:
    if not answer.reached:
        return
    if answer.resolved is None:
        raise ServiceError(_("Was the defect resolved?"), field="resolved")
    if answer.resolved:
        for dim in DIMENSIONS:
            if getattr(answer, dim) not in Satisfaction.values:
                raise ServiceError(_("Ask about every dimension."), field=dim)
        if answer.quality == Satisfaction.DISSATISFIED and answer.meets_standard is None:
            raise ServiceError(
                _("The owner is unhappy with the quality: does the work meet the acceptance standard?"),
                field="meets_standard",
            )


def follow_up_reasons(callback: Callback, answer: CallbackAnswer) -> list[str]:
    """Why a resolved ticket still needs a follow-up case (empty when the owner is content)."""
    reasons = []
    if answer.quality == Satisfaction.DISSATISFIED:
        reasons.append(FollowUpCase.Reason.DISSATISFIED_ACCEPTABLE)
    if answer.timeliness == Satisfaction.DISSATISFIED:
        reasons.append(FollowUpCase.Reason.DELAY)
    if answer.attitude == Satisfaction.DISSATISFIED:
        reasons.append(FollowUpCase.Reason.ATTITUDE)
    dissatisfied = any(getattr(answer, d) == Satisfaction.DISSATISFIED for d in DIMENSIONS)
    if dissatisfied and callback.ticket.repeat_of_id:
        reasons.append(FollowUpCase.Reason.REPEAT_REPAIR)
    return reasons


@transaction.atomic
def callback_record(*, callback: Callback, by, answer: CallbackAnswer) -> Callback:
    """Record one callback call and apply the outcome rules (DOMAIN §4.9).

    - not reached → a failed attempt, retried every other day; after 5 a joint re-inspection;
    - reached, not resolved (or quality below the acceptance standard) → ``ticket_reopen``:
      a linked repeat ticket, the original archived as unresolved;
    - reached, resolved, satisfied → ``ticket_archive`` (resolved);
    - reached, resolved, dissatisfied (quality acceptable, delay, attitude, a repeat repair)
      → archived (resolved) plus one follow-up case per reason for the director and CS.
    """
    _require_role(by, CALLBACK_ROLES)
    cb = Callback.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=callback.pk)
    ensure_can_act(by, cb.ticket)
    if cb.ticket.state == State.ARCHIVED:
        raise ReadOnly()
    if cb.status != Callback.Status.DUE or cb.ticket.state != State.CALLBACK:
        raise NotAllowed(_("This callback is already closed."))
    _validate(answer)
    now = timezone.now()
    CallbackAttempt.objects.create(callback=cb, by=by, reached=answer.reached, note=answer.note[:200], at=now)
    if answer.contact_changed_phone:
        contact_change_raise(ticket=cb.ticket, by=by, new_phone=answer.contact_changed_phone, note=answer.note)
    cb.called_by, cb.called_at = by, now
    cb._history_user = by

    if not answer.reached:
        cb.failed_attempts += 1
        cb.reached = False
        if cb.failed_attempts >= MAX_FAILED_ATTEMPTS:
            cb.status = Callback.Status.UNREACHABLE
            cb.next_attempt_on = None
            cb.save()
            joint_reinspection_open(ticket=cb.ticket, trigger=JointReinspection.Trigger.CALLBACK)
        else:
            cb.next_attempt_on = _today() + dt.timedelta(days=RETRY_EVERY_DAYS)
            cb.save()
        return cb

    cb.reached = True
    cb.resolved = answer.resolved
    cb.meets_standard = answer.meets_standard
    for field in (*DIMENSIONS, "suggestions", "non_warranty_issues"):
        setattr(cb, field, getattr(answer, field))
    cb.status = Callback.Status.DONE
    cb.next_attempt_on = None
    note = answer.note or answer.suggestions

    below_standard = answer.quality == Satisfaction.DISSATISFIED and answer.meets_standard is False
    if not answer.resolved or below_standard:
        cb.repeat_ticket = ticket_reopen(ticket=cb.ticket, by=by, note=note or _("Not resolved at the callback."))
        cb.outcome = Callback.Outcome.REOPENED
        cb.save()
        return cb

    reasons = follow_up_reasons(cb, answer)
    ticket_archive(ticket=cb.ticket, by=by, resolution=Resolution.RESOLVED, note=note)
    if reasons:
        for reason in reasons:
            follow_up_open(ticket=cb.ticket, callback=cb, by=by, reason=reason, note=note)
        cb.outcome = Callback.Outcome.FOLLOW_UP
    else:
        cb.outcome = Callback.Outcome.ARCHIVED
    cb.save()
    return cb


# --- follow-up cases -----------------------------------------------------------------------------------


def follow_up_open(
    *, ticket: Ticket, by, reason: str, callback: Callback | None = None, note: str = ""
) -> FollowUpCase:
    """Open (or return the open) follow-up case of ``ticket`` for ``reason``; the director and CS own it."""
    director = staff_with_role(ticket.project_id, Role.DIRECTOR).order_by("pk").first()
    cs = by if by.has_role(Role.CUSTOMER_SERVICE) else staff_with_role(ticket.project_id, Role.CUSTOMER_SERVICE).first()
    case, created = FollowUpCase.objects.get_or_create(
        ticket=ticket,
        reason=reason,
        defaults={"callback": callback, "director": director, "customer_service": cs, "note": note},
    )
    if created:
        notify.queue("follow_up_opened", ticket=ticket, users=[director, cs], key=reason)
    return case


@transaction.atomic
def follow_up_close(*, case: FollowUpCase, by, note: str) -> FollowUpCase:
    """The owner is satisfied: the director or CS closes the case with what was done."""
    _require_role(by, CALLBACK_ROLES)
    locked = FollowUpCase.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=case.pk)
    ensure_can_act(by, locked.ticket)
    if locked.status != FollowUpCase.Status.OPEN:
        raise NotAllowed(_("This follow-up case is already closed."))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Please say how the owner was satisfied."), field="note")
    locked.status = FollowUpCase.Status.SATISFIED
    locked.note = f"{locked.note}\n{note}".strip()
    locked.closed_at, locked.closed_by = timezone.now(), by
    locked._history_user = by
    locked.save()
    return locked


# --- owner notification rounds ---------------------------------------------------------------------


@transaction.atomic
def notification_attempt_record(
    *, ticket: Ticket, by, reached: bool, method: str = "phone", note: str = "", new_phone: str = ""
) -> NotificationRound:
    """The front desk tried to tell the owner the work is done (recorded as a completion ContactAttempt).

    Not reached: tried again in two days; after 5 failed attempts a joint re-inspection opens.
    """
    _require_role(by, NOTIFY_ROLES)
    round_ = NotificationRound.objects.select_for_update().get(ticket=ticket)
    if round_.status != NotificationRound.Status.PENDING:
        raise NotAllowed(_("The owner has already been notified or the round is closed."))
    contact_attempt_record(
        ticket=ticket, by=by, purpose=ContactAttempt.Purpose.COMPLETION, reached=reached, method=method, note=note
    )
    if new_phone:
        contact_change_raise(ticket=ticket, by=by, new_phone=new_phone, note=note)
    round_._history_user = by
    if reached:
        round_.status = NotificationRound.Status.NOTIFIED
        round_.notified_at = timezone.now()
    else:
        round_.failed_attempts += 1
        round_.next_attempt_on = _today() + dt.timedelta(days=RETRY_EVERY_DAYS)
        if round_.failed_attempts >= MAX_FAILED_ATTEMPTS:
            round_.status = NotificationRound.Status.UNREACHABLE
            joint_reinspection_open(ticket=ticket, trigger=JointReinspection.Trigger.NOTIFICATION)
    round_.save()
    return round_


def joint_reinspection_open(*, ticket: Ticket, trigger: str) -> JointReinspection:
    task, created = JointReinspection.objects.get_or_create(ticket=ticket, defaults={"trigger": trigger})
    if created:
        for role in (Role.DIRECTOR, Role.CUSTOMER_SERVICE):
            notify.queue_role("joint_reinspection", ticket=ticket, role=role)
    return task


@transaction.atomic
def joint_reinspection_sign(*, task: JointReinspection, by, note: str = "") -> JointReinspection:
    """The director or CS records their part of the joint re-inspection.

    When both have signed (two different people) the ticket is archived as unreachable.
    """
    locked = JointReinspection.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=task.pk)
    ensure_can_act(by, locked.ticket)
    if locked.closed_at:
        raise NotAllowed(_("This re-inspection is already closed."))
    now = timezone.now()
    if by.has_role(Role.DIRECTOR) and locked.director_id is None and locked.customer_service_id != by.pk:
        locked.director, locked.director_at = by, now
    elif by.has_role(Role.CUSTOMER_SERVICE) and locked.customer_service_id is None and locked.director_id != by.pk:
        locked.customer_service, locked.customer_service_at = by, now
    elif by.has_role(Role.DIRECTOR, Role.CUSTOMER_SERVICE):
        raise NotPermitted(_("The joint re-inspection needs a director and a customer-service colleague."))
    else:
        raise NotPermitted()
    if note:
        locked.note = f"{locked.note}\n{note}".strip()
    locked._history_user = by
    if locked.director_id and locked.customer_service_id:
        locked.closed_at = now
        ticket_archive(
            ticket=locked.ticket,
            by=by,
            resolution=Resolution.UNREACHABLE,
            note=locked.note or _("Owner unreachable after 5 attempts; re-inspected jointly."),
        )
        # Saved one by one (not queryset.update) so their history records who closed them.
        for cb in Callback.objects.filter(ticket=locked.ticket).exclude(status=Callback.Status.DONE):
            cb.status, cb.outcome, cb.next_attempt_on = (
                Callback.Status.CLOSED_UNREACHABLE,
                Callback.Outcome.UNREACHABLE,
                None,
            )
            cb._history_user = by
            cb.save()
        for round_ in NotificationRound.objects.filter(ticket=locked.ticket, status__in=["pending", "unreachable"]):
            round_.status = NotificationRound.Status.CLOSED
            round_._history_user = by
            round_.save()
    locked.save()
    return locked


# --- contact changes -------------------------------------------------------------------------------


def contact_change_raise(*, ticket: Ticket, by, new_phone: str = "", note: str = "") -> ContactChangeTask:
    """Changed contact details go to the CS department as a task."""
    task = ContactChangeTask(
        ticket=ticket,
        owner=ticket.report.owner or current_primary_owner(ticket.unit),
        new_phone=new_phone,
        note=note[:200],
        raised_by=by,
    )
    task._history_user = by
    task.full_clean(exclude=["owner"])
    task.save()
    notify.queue_role("contact_changed", ticket=ticket, role=Role.CUSTOMER_SERVICE, key=str(task.pk))
    return task


@transaction.atomic
def contact_change_done(*, task: ContactChangeTask, by, apply_phone: bool = True) -> ContactChangeTask:
    """CS has checked the new details; with ``apply_phone`` the owner's phone is updated (history kept)."""
    _require_role(by, (Role.CUSTOMER_SERVICE,))
    locked = ContactChangeTask.objects.select_for_update(of=("self",)).select_related("ticket", "owner").get(pk=task.pk)
    ensure_can_act(by, locked.ticket)
    if locked.done_at:
        raise NotAllowed(_("This task is already done."))
    if apply_phone and locked.owner and locked.new_phone:
        owner = locked.owner
        owner.phone = locked.new_phone
        owner._history_user = by
        owner._change_reason = "contact change task"
        owner.full_clean()
        owner.save()
    locked.done_by, locked.done_at = by, timezone.now()
    locked._history_user = by
    locked.save()
    return locked


# --- the archive -----------------------------------------------------------------------------------------


def dossier_access_log(*, ticket: Ticket, by, kind: str) -> DossierAccess:
    """Every view of a dossier is logged (who, when, which ticket, page or PDF)."""
    return DossierAccess.objects.create(ticket=ticket, user=by, kind=kind)


# --- quarterly survey -----------------------------------------------------------------------------------


@transaction.atomic
def survey_answer_record(*, campaign: SurveyCampaign, unit, by, answer: CallbackAnswer) -> SurveyResponse:
    """One owner's answer to the quarterly survey (the callback form, without the outcome rules)."""
    _require_role(by, CALLBACK_ROLES)
    if not by.is_superuser and not by.projects.filter(pk=campaign.project_id).exists():
        from tickets.services import OutOfScope

        raise OutOfScope()
    if unit.project_id != campaign.project_id:
        raise ServiceError(_("The unit is not in this project."), field="unit")
    values = {f: getattr(answer, f) for f in (*DIMENSIONS, "suggestions", "non_warranty_issues")}
    response, _created = SurveyResponse.objects.update_or_create(
        campaign=campaign, unit=unit, defaults={"reached": answer.reached, "by": by, **values}
    )
    return response
