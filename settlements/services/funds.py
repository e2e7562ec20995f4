"""The warranty fund and its append-only ledger (DOMAIN §7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from warranty.coverage import _last_day
from warranty.models import Engagement, Project

from ..models import LedgerEntry, OverdraftApproval, PaymentApplication, WarrantyFund
from .common import ensure_in_project, ensure_perm, money, require, save
from .errors import InsufficientBalance, NotAllowed, SegregationOfDuties, ServiceError

LIVE_STATES = [
    PaymentApplication.State.SUBMITTED,
    PaymentApplication.State.COUNTERSIGNING,
    PaymentApplication.State.APPROVED,
]


def retention_term_end(engagement: Engagement) -> dt.date | None:
    """The last day of the contractor's term, counted from the batch's completion acceptance."""
    if engagement.batch_id is None:
        return None
    return _last_day(engagement.batch.acceptance_date, engagement.warranty_months)


def fund_open(
    *,
    by,
    engagement: Engagement | None = None,
    project: Project | None = None,
    opening_amount=None,
    term_ends_on: dt.date | None = None,
    booked_on: dt.date | None = None,
) -> WarrantyFund:
    """Open a contractor's retention (``engagement``) or the project's developer account (``project``).

    The opening amount is booked as the first ledger entry. A retention
    defaults to the engagement's retention amount and to the end of its
    contract term (when the engagement names its delivery batch).
    """
    if (engagement is None) == (project is None):
        raise ServiceError(_("Choose an engagement or, for the developer account, a project."))
    ensure_perm(by, "settlements.open_warrantyfund")
    if engagement is not None:
        project = engagement.project
        kind = WarrantyFund.Kind.CONTRACTOR_RETENTION
        amount = money(engagement.retention_amount if opening_amount is None else opening_amount, allow_zero=True)
        term_ends_on = term_ends_on or retention_term_end(engagement)
        if term_ends_on is None:
            raise ServiceError(_("Enter the date the retention term ends."), field="term_ends_on")
    else:
        kind = WarrantyFund.Kind.DEVELOPER_BUDGET
        amount = money(opening_amount if opening_amount is not None else 0, allow_zero=True)
    ensure_in_project(by, project.pk)
    with transaction.atomic():
        fund = WarrantyFund(
            kind=kind,
            project=project,
            engagement=engagement,
            opening_amount=amount,
            term_ends_on=term_ends_on,
            opened_by=by,
        )
        save(fund, by, "opened")
        if amount:
            _book(fund, kind=LedgerEntry.Kind.OPENING, amount=amount, by=by, booked_on=booked_on)
    return fund


def _lock(fund: WarrantyFund) -> WarrantyFund:
    return WarrantyFund.objects.select_for_update().get(pk=fund.pk)


def _book(
    fund: WarrantyFund,
    *,
    kind: str,
    amount: Decimal,
    by,
    booked_on: dt.date | None = None,
    reason: str = "",
    application: PaymentApplication | None = None,
    approved_by=None,
) -> LedgerEntry:
    """Append one entry to a fund the caller has locked; refuse a balance below the approved exception."""
    balance = fund.balance + amount
    if amount < 0 and balance < -fund.overdraft_limit:
        raise InsufficientBalance(
            _("The balance of %(fund)s is %(balance)s yuan; %(amount)s yuan would take it below zero.")
            % {"fund": fund, "balance": fund.balance, "amount": -amount}
        )
    entry = LedgerEntry(
        fund=fund,
        kind=kind,
        amount=amount,
        balance_after=balance,
        booked_on=booked_on or timezone.localdate(),
        reason=reason,
        payment_application=application,
        created_by=by,
        approved_by=approved_by,
    )
    entry.full_clean()
    entry.save()
    return entry


def ledger_adjust(*, fund: WarrantyFund, by, requested_by, amount, reason: str, booked_on=None) -> LedgerEntry:
    """An adjustment (positive or negative) requested by one person and approved by ``by``, with a reason."""
    ensure_perm(by, "settlements.adjust_ledger")
    ensure_in_project(by, fund.project_id)
    reason = require(reason)
    if requested_by is None or requested_by.pk == by.pk:
        raise SegregationOfDuties(_("The person who requests an adjustment may not approve it."))
    try:
        value = Decimal(str(amount))
    except Exception as exc:
        raise ServiceError(_("Enter an amount in yuan."), field="amount") from exc
    signed = money(abs(value)) * (1 if value > 0 else -1)
    with transaction.atomic():
        locked = _lock(fund)
        return _book(
            locked,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            amount=signed,
            by=requested_by,
            approved_by=by,
            reason=reason,
            booked_on=booked_on,
        )


def overdraft_approve(*, fund: WarrantyFund, by, requested_by, limit, reason: str) -> OverdraftApproval:
    """An approved exception: the balance may go below zero by up to ``limit`` more yuan."""
    ensure_perm(by, "settlements.approve_overdraft")
    ensure_in_project(by, fund.project_id)
    reason = require(reason)
    if requested_by is None or requested_by.pk == by.pk:
        raise SegregationOfDuties(_("The person who requests an exception may not approve it."))
    return save(
        OverdraftApproval(
            fund=fund, limit=money(limit, field="limit"), reason=reason, requested_by=requested_by, approved_by=by
        ),
        by,
    )


def funds_due_for_release(*, on: dt.date | None = None):
    """Retention funds whose term has ended and that are not yet released."""
    on = on or timezone.localdate()
    return WarrantyFund.objects.filter(
        kind=WarrantyFund.Kind.CONTRACTOR_RETENTION, term_ends_on__lt=on, released_at__isnull=True
    ).select_related("project", "engagement__contractor")


def fund_release(*, fund: WarrantyFund, by, on: dt.date | None = None) -> LedgerEntry | None:
    """Release the remaining retention after the term ended; the fund takes no further deductions.

    Refused while a payment application charged to the fund is still open.
    Returns the release entry (None when nothing was left to release).
    """
    ensure_perm(by, "settlements.release_warrantyfund")
    ensure_in_project(by, fund.project_id)
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = _lock(fund)
        if locked.kind != WarrantyFund.Kind.CONTRACTOR_RETENTION:
            raise NotAllowed(_("Only a contractor's retention is released."))
        if locked.released_at is not None:
            raise NotAllowed(_("%(fund)s was already released.") % {"fund": locked})
        if locked.term_ends_on >= on:
            raise NotAllowed(
                _("The term of %(fund)s runs until %(date)s.") % {"fund": locked, "date": locked.term_ends_on}
            )
        pending = PaymentApplication.objects.filter(Q(repair__fund=locked), state__in=LIVE_STATES)
        if pending.exists():
            raise NotAllowed(
                _("%(fund)s still has payment applications in progress: %(numbers)s.")
                % {"fund": locked, "numbers": ", ".join(pending.values_list("number", flat=True))}
            )
        balance = locked.balance
        entry = None
        if balance > 0:
            entry = _book(
                locked,
                kind=LedgerEntry.Kind.RELEASE,
                amount=-balance,
                by=by,
                booked_on=on,
                reason=_("Term ended on %(date)s") % {"date": locked.term_ends_on},
            )
        locked.released_at = timezone.now()
        save(locked, by, "released")
    return entry
