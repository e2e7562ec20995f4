"""Services for the records beside a ticket: contacts, appointments, plans, dispatch notices,
work logs, owner consents and sign-offs. Each is atomic, locks the ticket, checks role and
scope, and writes a timeline event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from warranty.coverage import Payer
from warranty.roles import Role
from warranty.scoping import is_contractor

from .. import notify
from ..attachments import check_signature_png, check_upload
from ..models import (
    Appointment,
    Attachment,
    ContactAttempt,
    DispatchNotice,
    OwnerConsent,
    RepairPlan,
    SignOff,
    State,
    Ticket,
    WorkLog,
)
from .errors import Conflict, NotAllowed, NotPermitted, ReadOnly, ServiceError
from .lifecycle import lock, run_transition, timeline
from .scope import ensure_can_act


def _guard(ticket: Ticket, by, *, states=None, roles=None, perm: str | None = None) -> Ticket:
    """Lock the ticket and check scope, state, role and permission for a record action."""
    locked = lock(ticket)
    ensure_can_act(by, locked)
    if locked.state == State.ARCHIVED:
        raise ReadOnly()
    if states is not None and locked.state not in states:
        raise NotAllowed()
    if not by.is_superuser:
        if roles is not None and not by.has_role(*roles):
            raise NotPermitted()
        if perm is not None and not by.has_perm(perm):
            raise NotPermitted()
    return locked


def _save(obj, by, reason: str = ""):
    obj._history_user = by
    if reason:
        obj._change_reason = reason[:100]
    obj.full_clean()
    obj.save()
    return obj


STAFF = (Role.FRONT_DESK, Role.STEWARD, Role.DIRECTOR, Role.ENGINEER, Role.CUSTOMER_SERVICE)
FIELD_STAFF = (Role.STEWARD, Role.DIRECTOR, Role.ENGINEER)


# --- contact with the owner ------------------------------------------------------------------


@transaction.atomic
def contact_attempt_record(
    *, ticket: Ticket, by, purpose: str, reached: bool, method: str = "phone", note: str = ""
) -> ContactAttempt:
    """Record a call or visit to the owner (first contact, progress feedback, completion notice)."""
    locked = _guard(ticket, by, roles=STAFF)
    attempt = _save(
        ContactAttempt(
            report_id=locked.report_id,
            ticket=locked,
            purpose=purpose,
            method=method,
            by=by,
            reached=reached,
            note=note,
        ),
        by,
    )
    verb = f"contact_{purpose}_{'reached' if reached else 'not_reached'}"
    timeline(locked, by, verb, note=note)
    return attempt


# --- survey, plan and approval ---------------------------------------------------------------


# How far ahead a visit may be booked: further is a typing error (a year of 9999), not a plan.
BOOKING_HORIZON = dt.timedelta(days=366)


def _future(when: dt.datetime, field: str = "scheduled_at") -> dt.datetime:
    if when is None:
        raise ServiceError(_("Choose a date and time."), field=field)
    if when < timezone.now() - dt.timedelta(minutes=5):
        raise ServiceError(_("The appointment cannot be in the past."), field=field)
    if when > timezone.now() + BOOKING_HORIZON:
        raise ServiceError(_("An appointment can be booked at most a year ahead."), field=field)
    return when


@transaction.atomic
def appointment_schedule(*, ticket: Ticket, by, kind: str, scheduled_at: dt.datetime, note: str = "") -> Appointment:
    """Book a survey (during dispatch) or rebook a repair visit (during repair)."""
    allowed = {Appointment.Kind.SURVEY: [State.DISPATCH], Appointment.Kind.REPAIR: [State.REPAIR]}[kind]
    locked = _guard(ticket, by, states=allowed, roles=STAFF + (Role.CONTRACTOR,))
    _future(scheduled_at)
    # A new booking replaces any pending one of the same kind.
    for pending in locked.appointments.filter(kind=kind, outcome=""):
        pending.outcome = Appointment.Outcome.REBOOKED
        _save(pending, by, "rebooked")
    appointment = _save(Appointment(ticket=locked, kind=kind, scheduled_at=scheduled_at, note=note, created_by=by), by)
    timeline(locked, by, f"{kind}_booked", note=timezone.localtime(scheduled_at).strftime("%Y-%m-%d %H:%M"))
    return appointment


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, by, at: dt.datetime | None = None) -> Appointment:
    """Arrival on site: records the deviation from the appointment (more than ±15 minutes is flagged)."""
    locked = _guard(
        appointment.ticket, by, states=[State.DISPATCH, State.REPAIR], roles=FIELD_STAFF + (Role.CONTRACTOR,)
    )
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk, ticket=locked)
    if appointment.arrived_at is not None:
        raise NotAllowed(_("Arrival is already recorded."))
    if appointment.outcome:
        raise NotAllowed(_("This appointment is closed."))
    appointment.arrived_at = at or timezone.now()
    appointment.deviation_minutes = round((appointment.arrived_at - appointment.scheduled_at).total_seconds() / 60)
    _save(appointment, by, "arrived")
    WorkLog.objects.create(ticket=locked, kind=WorkLog.Kind.ARRIVAL, by=by, at=appointment.arrived_at)
    flagged = _(" (flagged)") if appointment.is_late else ""
    timeline(locked, by, "arrived", note=appointment.punctuality + flagged)
    return appointment


@transaction.atomic
def appointment_owner_absent(
    *, appointment: Appointment, by, note: str, rebook_at: dt.datetime | None = None
) -> Appointment | None:
    """The owner was not home: leave a note, close this visit, optionally book the next one."""
    if not (note or "").strip():
        raise ServiceError(_("Say what note was left for the owner."), field="note")
    locked = _guard(
        appointment.ticket, by, states=[State.DISPATCH, State.REPAIR], roles=FIELD_STAFF + (Role.CONTRACTOR,)
    )
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk, ticket=locked)
    if rebook_at is not None:
        _future(rebook_at, "rebook_at")
    appointment.outcome = Appointment.Outcome.OWNER_ABSENT
    appointment.note = note[:200]
    _save(appointment, by, "owner absent")
    timeline(locked, by, "owner_absent", note=note)
    if rebook_at is None:
        return None
    new = _save(
        Appointment(ticket=locked, kind=appointment.kind, scheduled_at=rebook_at, created_by=by, note=_("Rebooked")),
        by,
    )
    timeline(locked, by, f"{appointment.kind}_booked", note=timezone.localtime(rebook_at).strftime("%Y-%m-%d %H:%M"))
    return new


@transaction.atomic
def plan_submit(
    *,
    ticket: Ticket,
    by,
    cause: str,
    method: str,
    materials: list | None = None,
    materials_note: str = "",
    estimated_days: int = 1,
) -> RepairPlan:
    """Write the repair plan. A complex plan is sent to the director's approval queue."""
    locked = _guard(ticket, by, states=[State.DISPATCH], roles=FIELD_STAFF)
    for name, value in (("cause", cause), ("method", method)):
        if not (value or "").strip():
            raise ServiceError(_("This field is required."), field=name)
    if not 1 <= int(estimated_days) <= 365:
        raise ServiceError(_("Between 1 and 365 days."), field="estimated_days")
    plan = _save(
        RepairPlan(
            ticket=locked,
            cause=cause.strip(),
            method=method.strip(),
            materials=list(materials or []),
            materials_note=materials_note.strip(),
            estimated_days=estimated_days,
            written_by=by,
        ),
        by,
    )
    timeline(locked, by, "plan_written", note=plan.method[:200])
    if locked.difficulty == "complex":
        notify.queue_role("plan_needs_approval", ticket=locked, role=Role.DIRECTOR, key=str(plan.pk))
    return plan


@transaction.atomic
def plan_approve(*, plan: RepairPlan, by, note: str = "") -> RepairPlan:
    """The director approves a complex plan; nobody approves a plan they wrote."""
    locked = _guard(plan.ticket, by, states=[State.DISPATCH], perm="tickets.approve_plan")
    plan = RepairPlan.objects.select_for_update().get(pk=plan.pk, ticket=locked)
    if plan.written_by_id == by.pk:
        raise NotPermitted(_("Nobody approves a plan they wrote."))
    if plan.approved_by_id:
        raise NotAllowed(_("This plan is already approved."))
    latest = locked.plans.order_by("-pk").first()
    if latest.pk != plan.pk:
        raise NotAllowed(_("A newer plan exists; approve that one."))
    plan.approved_by = by
    plan.approved_at = timezone.now()
    _save(plan, by, "approved")
    timeline(locked, by, "plan_approved", note=note)
    return plan


# --- dispatch and the contractor's answer ---------------------------------------------------


def next_notice_number(ticket: Ticket) -> str:
    return f"F02-{ticket.number}-{ticket.notices.count() + 1}"


def ticket_dispatch(
    *,
    ticket: Ticket,
    by,
    contractor,
    scheduled_at: dt.datetime,
    override_reason: str = "",
    materials_note: str = "",
    note: str = "",
) -> DispatchNotice:
    """Dispatch → repair: a numbered F02 notice to the contractor with the appointment; the contractor is told.

    The liable contractor is the default; choosing another needs a reason while it bears the cost (its
    liability period has not ended: payer "contractor"). After that any contractor may be chosen.
    """
    if contractor is None:
        raise ServiceError(_("Choose a contractor."), field="contractor")
    _future(scheduled_at)
    front_desk_only = by.has_role(Role.FRONT_DESK) and not by.has_role(Role.STEWARD, Role.DIRECTOR)
    if front_desk_only and not by.is_superuser and ticket.difficulty != "simple":
        raise NotPermitted(_("The front desk books simple jobs only."))
    created: list[DispatchNotice] = []

    def before(locked: Ticket) -> None:
        still_liable = locked.liable_contractor_id and locked.payer == Payer.CONTRACTOR
        if still_liable and contractor.pk != locked.liable_contractor_id and not override_reason.strip():
            raise ServiceError(
                _("Give a reason for choosing another contractor than the liable one."), field="override_reason"
            )
        if not still_liable and locked.payer == Payer.DEVELOPER and not contractor.is_commissionable:
            raise ServiceError(_("No contractor is liable: commission a third-party firm."), field="contractor")
        locked.repairing_contractor = contractor
        appointment = Appointment.objects.create(
            ticket=locked, kind=Appointment.Kind.REPAIR, scheduled_at=scheduled_at, created_by=by
        )
        notice = DispatchNotice(
            number=next_notice_number(locked),
            ticket=locked,
            contractor=contractor,
            override_reason=override_reason.strip(),
            appointment=appointment,
            plan=locked.plans.order_by("-pk").first(),
            materials_note=materials_note.strip(),
            issued_by=by,
        )
        _save(notice, by, "issued")
        created.append(notice)

    def after(locked: Ticket) -> None:
        users = list(contractor.users.filter(is_active=True))
        notify.queue("dispatch_notice", ticket=locked, users=users, key=created[0].number)

    run_transition(ticket, by=by, name="dispatch", note=note, before=before, after=after)
    return created[0]


def _answer_notice(notice: DispatchNotice, by) -> tuple[Ticket, DispatchNotice]:
    locked = _guard(notice.ticket, by, states=[State.REPAIR])
    notice = DispatchNotice.objects.select_for_update().get(pk=notice.pk, ticket=locked)
    if not by.is_superuser and not (is_contractor(by) and by.contractor_id == notice.contractor_id):
        raise NotPermitted(_("Only the contractor named on the notice answers it."))
    if notice.status != DispatchNotice.Status.SENT:
        raise NotAllowed(_("This notice has already been answered."))
    latest = locked.notices.order_by("-pk").first()
    if latest.pk != notice.pk:
        raise NotAllowed(_("This notice has been replaced by a newer one."))
    return locked, notice


@transaction.atomic
def notice_accept(*, notice: DispatchNotice, by, proposed_at: dt.datetime | None = None) -> DispatchNotice:
    """The contractor accepts; it may propose another time, which replaces the appointment."""
    locked, notice = _answer_notice(notice, by)
    notice.status = DispatchNotice.Status.ACCEPTED
    notice.answered_at = timezone.now()
    notice.answered_by = by
    _save(notice, by, "accepted")
    timeline(locked, by, "notice_accepted", note=notice.number)
    if proposed_at is not None:
        appointment_schedule(
            ticket=locked,
            by=by,
            kind=Appointment.Kind.REPAIR,
            scheduled_at=proposed_at,
            note=_("Proposed by the contractor"),
        )
    return notice


def notice_decline(*, notice: DispatchNotice, by, reason: str) -> DispatchNotice:
    """The contractor declines with a reason: the ticket goes back to dispatch and the steward is told."""
    if not (reason or "").strip():
        raise ServiceError(_("Please give a reason."), field="reason")
    answered: list[DispatchNotice] = []

    def before(locked: Ticket) -> None:
        _locked, n = _answer_notice(notice, by)
        n.status = DispatchNotice.Status.DECLINED
        n.answered_at = timezone.now()
        n.answered_by = by
        n.decline_reason = reason.strip()[:200]
        _save(n, by, "declined")
        for pending in locked.appointments.filter(kind="repair", outcome=""):
            pending.outcome = Appointment.Outcome.REBOOKED
            _save(pending, by, "notice declined")
        answered.append(n)

    def after(locked: Ticket) -> None:
        if locked.steward_id:
            notify.queue(
                "notice_declined",
                ticket=locked,
                users=[locked.steward],
                key=answered[0].number,
                context={"note": reason},
            )

    run_transition(notice.ticket, by=by, name="withdraw_dispatch", note=reason, before=before, after=after)
    return answered[0]


# --- on site ------------------------------------------------------------------------------------


@transaction.atomic
def worklog_add(
    *,
    ticket: Ticket,
    by,
    kind: str,
    note: str = "",
    materials_used: list | None = None,
    test_result: str = "",
    photos=(),
) -> WorkLog:
    """A site visit or progress entry with materials and photos (checked by content)."""
    checked = [check_upload(p, field="photos") for p in photos]
    locked = _guard(
        ticket, by, states=[State.REPAIR, State.SIGNOFF, State.DISPATCH], roles=FIELD_STAFF + (Role.CONTRACTOR,)
    )
    for row in materials_used or []:
        try:
            if Decimal(str(row.get("quantity", "0"))) < 0:
                raise ValueError
        except Exception as exc:
            raise ServiceError(_("Quantities must be numbers of zero or more."), field="materials_used") from exc
    log = _save(
        WorkLog(
            ticket=locked,
            kind=kind,
            by=by,
            note=note.strip(),
            materials_used=list(materials_used or []),
            test_result=test_result.strip(),
        ),
        by,
    )
    for upload in checked:
        attach(locked, upload, by=by, stage=Attachment.Stage.REPAIR, work_log=log)
    timeline(locked, by, f"worklog_{kind}", note=note[:200])
    return log


def attach(ticket: Ticket, upload, *, by, stage: str, work_log: WorkLog | None = None) -> Attachment:
    attachment = Attachment(
        ticket=ticket,
        kind=upload.kind,
        content_type=upload.content_type,
        size=upload.size,
        original_name=upload.original_name,
        uploaded_by=by,
        stage=stage,
        work_log=work_log,
    )
    attachment.file.save(upload.content.name, upload.content, save=False)
    if upload.thumbnail:
        attachment.thumbnail.save(upload.thumbnail.name, upload.thumbnail, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_add(
    *, ticket: Ticket, by, upload, stage: str = Attachment.Stage.INTAKE, caption: str = ""
) -> Attachment:
    checked = check_upload(upload, field="file")
    locked = _guard(ticket, by, roles=STAFF + (Role.CONTRACTOR,))
    attachment = attach(locked, checked, by=by, stage=stage)
    if caption:
        attachment.caption = caption[:200]
        attachment.save(update_fields=["caption"])
    timeline(locked, by, "attachment_added", note=checked.original_name)
    return attachment


@transaction.atomic
def consent_record(
    *,
    ticket: Ticket,
    by,
    subject: str,
    what: str,
    how: str,
    amount: Decimal | None = None,
    consented: bool = True,
    signature_png: bytes | None = None,
) -> OwnerConsent:
    """The owner's consent to a plan change, an extra cost or a quote, captured before the work."""
    if not (what or "").strip():
        raise ServiceError(_("Say what the owner agreed to."), field="what")
    if subject in ("extra_cost", "quote") and (amount is None or amount < 0):
        raise ServiceError(_("Enter the amount in yuan."), field="amount")
    signature = None
    if how == OwnerConsent.How.SIGNED_ON_SCREEN:
        if not signature_png:
            raise ServiceError(_("The signature is empty. Please sign in the box."), field="signature")
        signature = check_signature_png(signature_png)
    locked = _guard(ticket, by, states=[State.DISPATCH, State.REPAIR], roles=FIELD_STAFF + (Role.FRONT_DESK,))
    consent = OwnerConsent(
        ticket=locked, subject=subject, what=what.strip(), amount=amount, how=how, consented=consented, recorded_by=by
    )
    if signature is not None:
        consent.signature.save(signature.name, signature, save=False)
    _save(consent, by)
    timeline(locked, by, f"consent_{subject}", note=what[:200])
    return consent


# --- sign-off --------------------------------------------------------------------------------

SIGNOFF_RULES = {
    SignOff.Kind.REINSPECTION: {"roles": (Role.STEWARD, Role.DIRECTOR, Role.ENGINEER), "perm": None},
    SignOff.Kind.OWNER: {"roles": (Role.STEWARD, Role.DIRECTOR), "perm": None},
    SignOff.Kind.JOINT_DIRECTOR: {"roles": None, "perm": "tickets.sign_jointly_director"},
    SignOff.Kind.JOINT_CS: {"roles": None, "perm": "tickets.sign_jointly_cs"},
    SignOff.Kind.GM_APPROVAL: {"roles": None, "perm": "tickets.approve_major_closure"},
}


# Signatures that stand for a role, once each per sign-off round (a second click added a second row).
ONCE_A_ROUND = (SignOff.Kind.JOINT_DIRECTOR, SignOff.Kind.JOINT_CS, SignOff.Kind.GM_APPROVAL)


@transaction.atomic
def signoff_record(
    *,
    ticket: Ticket,
    by,
    kind: str,
    signer_name: str = "",
    passed: bool = True,
    checklist: dict | None = None,
    comment: str = "",
    signature_png: bytes | None = None,
) -> SignOff:
    """Record one signature of the sign-off stage.

    The owner signs on the steward's tablet (a drawn signature is required);
    the joint path needs a director and a customer-service user, each
    logged in, and they must be different people.
    """
    rule = SIGNOFF_RULES[kind]
    locked = _guard(ticket, by, states=[State.SIGNOFF], roles=rule["roles"], perm=rule["perm"])
    signature = None
    if kind == SignOff.Kind.OWNER:
        if not (signer_name or "").strip():
            raise ServiceError(_("Enter the name of the person signing."), field="signer_name")
        if not signature_png:
            raise ServiceError(_("The signature is empty. Please sign in the box."), field="signature")
        signature = check_signature_png(signature_png)
    if kind in ONCE_A_ROUND and locked.signoffs.filter(round=locked.signoff_round, kind=kind, passed=True).exists():
        raise Conflict(_("%(kind)s is signed already in this round.") % {"kind": SignOff.Kind(kind).label})
    if kind in (SignOff.Kind.JOINT_DIRECTOR, SignOff.Kind.JOINT_CS):
        other = SignOff.Kind.JOINT_CS if kind == SignOff.Kind.JOINT_DIRECTOR else SignOff.Kind.JOINT_DIRECTOR
        if locked.signoffs.filter(round=locked.signoff_round, kind=other, by=by).exists():
            raise NotPermitted(_("The joint sign-off needs two different people."))
    if kind == SignOff.Kind.REINSPECTION and checklist is not None and not all(checklist.values()) and passed:
        raise ServiceError(_("Every checklist item must pass, or mark the re-inspection failed."), field="checklist")
    signoff = SignOff(
        ticket=locked,
        kind=kind,
        by=by,
        signer_name=(signer_name or by.display_name).strip()[:50],
        passed=passed,
        checklist=checklist or {},
        comment=comment.strip(),
        round=locked.signoff_round,
    )
    if signature is not None:
        signoff.signature.save(signature.name, signature, save=False)
    _save(signoff, by)
    timeline(locked, by, f"signoff_{kind}", note=("" if passed else _("failed: ")) + comment[:200])
    return signoff
