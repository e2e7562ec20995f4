"""Owner-paid repairs: a quote before work, the owner's consent, payment recorded by finance, a receipt."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from tickets.models import OwnerConsent, State, Ticket
from warranty.coverage import Payer

from ..models import LineKind, OwnerPayment, PaidRepairQuote, QuoteLine
from .commissions import LineInput
from .common import ensure_in_project, ensure_perm, money, on_ticket, save
from .errors import NotAllowed, ServiceError


def quote_create(*, ticket: Ticket, by, lines: list[LineInput]) -> PaidRepairQuote:
    """A quote with its lines for a repair outside the owner's warranty; given before the work."""
    ensure_perm(by, "settlements.add_paidrepairquote")
    ensure_in_project(by, ticket.project_id)
    if ticket.payer != Payer.OWNER:
        raise NotAllowed(_("Only a repair outside the owner's warranty is paid by the owner."))
    if ticket.state not in (State.DISPATCH, State.REPAIR):
        raise NotAllowed(_("A quote is given before the repair is finished."))
    if not lines:
        raise ServiceError(_("Add at least one line."), field="lines")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        count = PaidRepairQuote.objects.filter(ticket=locked).aggregate(n=Count("pk"))["n"]
        quote = save(PaidRepairQuote(number=f"{locked.number}-BJ{count + 1}", ticket=locked, created_by=by), by)
        for line in lines:
            if line.kind not in LineKind.values or not line.description.strip():
                raise ServiceError(_("Each line needs a kind and a description."), field="lines")
            save(
                QuoteLine(
                    quote=quote,
                    kind=line.kind,
                    description=line.description.strip(),
                    unit=line.unit.strip(),
                    quantity=Decimal(str(line.quantity)),
                    unit_price=Decimal(str(line.unit_price)),
                ),
                by,
                exclude=["line_total"],
            )
        on_ticket(locked, by, "paid_repair_quoted", note=f"{quote.number} {quote.total}")
    return quote


def quote_attach_consent(*, quote: PaidRepairQuote, by, consent: OwnerConsent) -> PaidRepairQuote:
    """Link the owner's recorded consent (tickets' OwnerConsent, subject “quote”) to the quote it accepts."""
    ensure_perm(by, "settlements.add_paidrepairquote")
    ensure_in_project(by, quote.ticket.project_id)
    if consent.ticket_id != quote.ticket_id or consent.subject != OwnerConsent.Subject.QUOTE:
        raise ServiceError(_("This is not the owner's consent to a quote for this ticket."), field="consent")
    if not consent.consented:
        raise ServiceError(_("The owner did not agree to the quote."), field="consent")
    if consent.amount != quote.total:
        raise ServiceError(
            _("The owner agreed to %(agreed)s yuan; the quote is %(total)s yuan.")
            % {"agreed": consent.amount, "total": quote.total},
            field="consent",
        )
    quote.consent = consent
    return save(quote, by, "owner consented")


def owner_payment_record(
    *, quote: PaidRepairQuote, by, amount, method: str, receipt_no: str, paid_on: dt.date, payer_name: str
) -> OwnerPayment:
    """Finance records the owner's payment of the agreed quote; cash to a worker is not a method."""
    ensure_perm(by, "settlements.record_owner_payment")
    ensure_in_project(by, quote.ticket.project_id)
    if method not in OwnerPayment.Method.values:
        raise ServiceError(_("Choose how the owner paid; workers never take cash."), field="method")
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise ServiceError(_("Enter the receipt number."), field="receipt_no")
    amount = money(amount)
    with transaction.atomic():
        locked = PaidRepairQuote.objects.select_for_update().get(pk=quote.pk)
        if locked.consent_id is None:
            raise NotAllowed(_("The owner has not consented to the quote yet."))
        if amount != locked.total:
            raise ServiceError(
                _("The quote is %(total)s yuan, not %(amount)s.") % {"total": locked.total, "amount": amount},
                field="amount",
            )
        if OwnerPayment.objects.filter(quote=locked).exists():
            raise NotAllowed(_("This quote is already paid."))
        payment = OwnerPayment(
            quote=locked,
            amount=amount,
            method=method,
            receipt_no=receipt_no,
            paid_on=paid_on,
            payer_name=(payer_name or "").strip() or str(locked.ticket.report.reporter_name),
            recorded_by=by,
        )
        try:
            with transaction.atomic():
                save(payment, by, "owner paid")
        except IntegrityError as exc:
            raise ServiceError(_("This receipt number is already used."), field="receipt_no") from exc
        on_ticket(locked.ticket, by, "owner_paid", note=f"{receipt_no} {amount}")
    return payment
