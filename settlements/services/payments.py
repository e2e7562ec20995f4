"""The payment application: one service per transition (STYLE.md point 3).

Each runs :func:`run_transition`: atomic → ``select_for_update`` → stale-copy
check → scope → state → permission of the transition → segregation of duties
→ conditions → transition → history user and reason → ``save`` → the rows
beside it (countersignature, ledger entry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from tickets import notify
from warranty.roles import Role

from ..models import CommissionedRepair, Countersignature, CountersignStep, LedgerEntry, PaymentApplication
from .common import ensure_firm_or_project, money, on_ticket, require
from .errors import AboveAudit, ConditionFailed, Conflict, NotAllowed, NotPermitted, SegregationOfDuties, ServiceError
from .funds import _book, _lock


def unmet_conditions(application: PaymentApplication, name: str) -> list[str]:
    method = getattr(application, name)
    transition = method._django_fsm.get_transition(application.state)
    if transition is None:
        return []
    return [str(cond.label) for cond in transition.conditions if not cond(application)]


def lock(application: PaymentApplication, *, expected_state: str | None = None) -> PaymentApplication:
    """Re-read under a row lock; a copy read before someone else's transition is refused."""
    locked = PaymentApplication.objects.select_for_update().select_related("repair__ticket").get(pk=application.pk)
    seen = expected_state if expected_state is not None else application.state
    if locked.state != seen:
        raise Conflict()
    return locked


def _scope(by, application: PaymentApplication) -> None:
    repair = application.repair
    ensure_firm_or_project(by, firm_id=repair.firm_id, project_id=repair.ticket.project_id)


def run_transition(
    application: PaymentApplication,
    *,
    by,
    name: str,
    note: str = "",
    duties: Callable[[PaymentApplication], None] | None = None,
    kwargs: dict | None = None,
    after: Callable[[PaymentApplication], None] | None = None,
) -> PaymentApplication:
    with transaction.atomic():
        locked = lock(application)
        _scope(by, locked)
        method = getattr(locked, name)
        if not can_proceed(method, check_conditions=False):
            raise NotAllowed(
                _("“%(action)s” is not possible while the application is “%(state)s”.")
                % {"action": _(name.replace("_", " ")), "state": locked.get_state_display()}
            )
        # has_transition_perm() would also evaluate the conditions: ask for the permission alone.
        if not method._django_fsm.has_transition_perm(locked, locked.state, by):
            raise NotPermitted()
        if duties:
            duties(locked)
        missing = unmet_conditions(locked, name)
        if missing:
            raise ConditionFailed(missing)
        method(**(kwargs or {}))
        locked._history_user = by
        locked._change_reason = (note or name)[:100]  # the history column holds 100 characters
        locked.full_clean(exclude=["repair", "state", "chain"])
        try:
            locked.save()
        except ConcurrentTransition as exc:
            raise Conflict() from exc
        if after:
            after(locked)
        on_ticket(locked.repair.ticket, by, f"payment_{name}", note=f"{locked.number} {locked.amount} {note}".strip())
    return locked


def _tell_next(application: PaymentApplication) -> None:
    """Queue a notice for whoever acts next: the next countersigning role, or finance."""
    ticket = application.repair.ticket
    role = application.next_countersign_role
    if role is not None:
        notify.queue_role("payment_countersign_due", ticket=ticket, role=role, key=f"{application.number}:{role}")
    else:
        notify.queue_role("payment_awaiting_approval", ticket=ticket, role=Role.FINANCE, key=application.number)


def _signers(application: PaymentApplication) -> set[int]:
    return set(application.countersignatures.values_list("signed_by_id", flat=True))


def _not_the_requester(by, application: PaymentApplication, action: str) -> None:
    if by.pk == application.requested_by_id:
        raise SegregationOfDuties(
            _("%(user)s requested this payment and may not %(action)s it.") % {"user": by, "action": action}
        )


# --- the firm -----------------------------------------------------------------------------------


def payment_application_create(*, repair: CommissionedRepair, by, amount) -> PaymentApplication:
    """A draft application of the commissioned firm, for at most the audited total."""
    ensure_firm_or_project(by, firm_id=repair.firm_id, project_id=repair.ticket.project_id)
    if not by.has_perm("settlements.submit_paymentapplication"):
        raise NotPermitted()
    amount = money(amount)
    with transaction.atomic():
        locked = CommissionedRepair.objects.select_for_update().get(pk=repair.pk)
        audited = locked.audited_total
        if amount > audited:
            raise AboveAudit(
                _("%(amount)s yuan exceeds the audited total of %(audited)s yuan.")
                % {"amount": amount, "audited": audited},
                field="amount",
            )
        count = locked.applications.aggregate(n=Count("pk"))["n"]
        application = PaymentApplication(
            number=f"{locked.ticket.number}-FK{count + 1}", repair=locked, amount=amount, requested_by=by
        )
        application._history_user = by
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError as exc:
            raise NotAllowed(_("This repair already has a payment application.")) from exc
    return application


def payment_application_amend(*, application: PaymentApplication, by, amount) -> PaymentApplication:
    """Change the amount of a draft."""
    amount = money(amount)
    with transaction.atomic():
        locked = lock(application)
        _scope(by, locked)
        if locked.state != PaymentApplication.State.DRAFT:
            raise NotAllowed(_("Only a draft can be changed."))
        if by.pk != locked.requested_by_id and not by.is_superuser:
            raise NotPermitted()
        if amount > locked.repair.audited_total:
            raise AboveAudit(
                _("%(amount)s yuan exceeds the audited total of %(audited)s yuan.")
                % {"amount": amount, "audited": locked.repair.audited_total},
                field="amount",
            )
        locked.amount = amount
        locked._history_user = by
        locked._change_reason = "amended"
        locked.save()
    return locked


def payment_application_submit(*, application: PaymentApplication, by) -> PaymentApplication:
    """Draft → submitted, after sign-off and the full audit; the countersignature chain is fixed now."""

    def duties(locked):
        if by.pk != locked.requested_by_id and not by.is_superuser:
            raise NotPermitted(_("Only the person who drafted the application submits it."))
        if locked.amount > locked.repair.audited_total:
            raise AboveAudit(
                _("%(amount)s yuan exceeds the audited total of %(audited)s yuan.")
                % {"amount": locked.amount, "audited": locked.repair.audited_total},
                field="amount",
            )

    chain = CountersignStep.chain_for(application.repair.ticket.project)
    if not chain:
        raise ServiceError(_("No countersignature chain is configured."))
    return run_transition(application, by=by, name="submit", duties=duties, kwargs={"chain": chain}, after=_tell_next)


# --- the countersignature chain ------------------------------------------------------------------


def payment_application_countersign(*, application: PaymentApplication, by, comment: str = "") -> PaymentApplication:
    """The next role of the chain signs (会签). Nobody signs twice; the requester never signs."""
    signed: dict = {}

    def duties(locked):
        _not_the_requester(by, locked, _("countersign"))
        if by.pk in _signers(locked):
            raise SegregationOfDuties(
                _("%(user)s has already signed this application; nobody signs twice.") % {"user": by}
            )
        role = locked.next_countersign_role
        if role is not None and not by.has_role(role) and not by.is_superuser:
            raise NotPermitted(
                _("The next signature is for %(role)s.") % {"role": Role(role).label if role in Role.values else role}
            )
        signed["position"] = locked.countersignatures.count() + 1
        signed["role"] = role

    def after(locked):
        try:
            with transaction.atomic():
                Countersignature.objects.create(
                    application=locked,
                    position=signed["position"],
                    role=signed["role"],
                    signed_by=by,
                    comment=comment.strip()[:200],
                )
        except IntegrityError as exc:  # another signer took the same step at the same time
            raise Conflict() from exc
        _tell_next(locked)

    return run_transition(application, by=by, name="countersign", duties=duties, after=after)


# --- finance ---------------------------------------------------------------------------------------


def payment_application_approve(*, application: PaymentApplication, by) -> PaymentApplication:
    """Countersigning → approved by finance; neither the requester nor a countersigner may approve."""

    def duties(locked):
        _not_the_requester(by, locked, _("approve"))
        if by.pk in _signers(locked):
            raise SegregationOfDuties(
                _("%(user)s countersigned this application and may not approve it as well.") % {"user": by}
            )
        if locked.amount > locked.repair.audited_total:
            raise AboveAudit(
                _("%(amount)s yuan exceeds the audited total of %(audited)s yuan.")
                % {"amount": locked.amount, "audited": locked.repair.audited_total}
            )

    return run_transition(application, by=by, name="approve", duties=duties, kwargs={"by": by})


def payment_application_record_payment(
    *, application: PaymentApplication, by, voucher_no: str, payment_date: dt.date
) -> PaymentApplication:
    """Approved → paid, with the voucher; the fund that answers for the repair is debited in the same transaction."""
    voucher_no = (voucher_no or "").strip()
    if not voucher_no:
        raise ServiceError(_("Enter the voucher number."), field="voucher_no")
    if payment_date is None:
        raise ServiceError(_("Enter the payment date."), field="payment_date")

    def duties(locked):
        _not_the_requester(by, locked, _("pay"))
        if by.pk in _signers(locked):
            raise SegregationOfDuties(
                _("%(user)s countersigned this application and may not pay it as well.") % {"user": by}
            )

    def after(locked):
        fund = _lock(locked.repair.fund)
        _book(
            fund,
            kind=LedgerEntry.Kind.DEDUCTION,
            amount=-locked.amount,
            by=by,
            booked_on=payment_date,
            application=locked,
            approved_by=locked.approved_by,
            reason=_("Commissioned repair %(ticket)s, voucher %(voucher)s")
            % {"ticket": locked.repair.ticket.number, "voucher": voucher_no},
        )
        notify.queue("payment_paid", ticket=locked.repair.ticket, users=[locked.requested_by], key=locked.number)

    return run_transition(
        application,
        by=by,
        name="record_payment",
        duties=duties,
        after=after,
        kwargs={"by": by, "voucher_no": voucher_no, "payment_date": payment_date},
    )


def payment_application_reject(*, application: PaymentApplication, by, reason: str) -> PaymentApplication:
    """Submitted, countersigning or approved → rejected, with a reason. The requester cannot reject their own."""
    reason = require(reason)

    def duties(locked):
        _not_the_requester(by, locked, _("reject"))

    def after(locked):
        notify.queue(
            "payment_rejected",
            ticket=locked.repair.ticket,
            users=[locked.requested_by],
            key=locked.number,
            context={"note": reason},
        )

    return run_transition(
        application,
        by=by,
        name="reject",
        note=reason,
        duties=duties,
        after=after,
        kwargs={"by": by, "reason": reason},
    )
