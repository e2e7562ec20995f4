"""Commissioned repairs: a third-party firm repairs, customer service audits its cost lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import State, Ticket
from warranty.coverage import Payer

from ..models import CommissionedRepair, CommissionReason, CostLine, LineKind, PaymentApplication, WarrantyFund
from .common import ensure_firm_or_project, ensure_in_project, ensure_perm, on_ticket, save
from .errors import NotAllowed, ServiceError

NOT_COMMISSIONABLE_STATES = [State.INTAKE, State.TRIAGE, State.REFERRED, State.CANCELLED]


def fund_for(ticket: Ticket) -> WarrantyFund:
    """The defaulting contractor's retention, or the project's developer account when no contractor is liable."""
    if ticket.liable_engagement_id:
        fund = WarrantyFund.objects.filter(engagement_id=ticket.liable_engagement_id).first()
        if fund is None:
            raise ServiceError(
                _("The retention of %(engagement)s is not open yet: the project department opens it first.")
                % {"engagement": ticket.liable_engagement}
            )
        return fund
    fund = WarrantyFund.objects.filter(project_id=ticket.project_id, kind=WarrantyFund.Kind.DEVELOPER_BUDGET).first()
    if fund is None:
        raise ServiceError(_("The project's developer account is not open yet: the project department opens it first."))
    return fund


def repair_commission(*, ticket: Ticket, by, firm, reason: str, note: str = "") -> CommissionedRepair:
    """Link the ticket to a commissionable firm; the cost will be charged to the fund that answers for it."""
    ensure_perm(by, "settlements.commission_repair")
    ensure_in_project(by, ticket.project_id)
    if reason not in CommissionReason.values:
        raise ServiceError(_("Choose why the repair is commissioned."), field="reason")
    if firm is None or not firm.is_commissionable:
        raise ServiceError(_("Choose a third-party firm that can be commissioned."), field="firm")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.state in NOT_COMMISSIONABLE_STATES or locked.payer not in (Payer.CONTRACTOR, Payer.DEVELOPER):
            raise NotAllowed(_("Only a triaged warranty repair can be commissioned."))
        if reason == CommissionReason.NO_CONTRACTOR_LIABLE:
            if locked.liable_contractor_id:
                raise ServiceError(
                    _("%(contractor)s is still liable for this defect.") % {"contractor": locked.liable_contractor},
                    field="reason",
                )
        elif not locked.liable_contractor_id:
            raise ServiceError(_("No contractor is liable for this defect."), field="reason")
        if firm.pk == locked.liable_contractor_id:
            raise ServiceError(_("The defaulting contractor cannot be its own commissioned firm."), field="firm")
        if CommissionedRepair.objects.filter(ticket=locked).exists():
            raise NotAllowed(_("This ticket is already commissioned."))
        repair = save(
            CommissionedRepair(
                ticket=locked,
                firm=firm,
                reason=reason,
                defaulting_contractor=locked.liable_contractor,
                fund=fund_for(locked),
                note=note.strip(),
                commissioned_by=by,
            ),
            by,
            "commissioned",
        )
        on_ticket(locked, by, "commissioned", note=f"{firm} ({repair.get_reason_display()})")
        return repair


@dataclass(frozen=True)
class LineInput:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = ""


def _lines_open(repair: CommissionedRepair) -> None:
    if repair.applications.exclude(
        state__in=[PaymentApplication.State.DRAFT, PaymentApplication.State.REJECTED]
    ).exists():
        raise NotAllowed(_("The payment application is submitted: the cost lines are frozen."))


def cost_line_add(*, repair: CommissionedRepair, by, line: LineInput) -> CostLine:
    """The firm (or staff for it) enters a material or labour line."""
    ensure_firm_or_project(by, firm_id=repair.firm_id, project_id=repair.ticket.project_id)
    ensure_perm(by, "settlements.enter_cost_lines")
    if line.kind not in LineKind.values:
        raise ServiceError(_("Choose material or labour."), field="kind")
    if not line.description.strip():
        raise ServiceError(_("Describe the line."), field="description")
    with transaction.atomic():
        locked = CommissionedRepair.objects.select_for_update().get(pk=repair.pk)
        _lines_open(locked)
        return save(
            CostLine(
                repair=locked,
                kind=line.kind,
                description=line.description.strip(),
                unit=line.unit.strip(),
                quantity=Decimal(str(line.quantity)),
                unit_price=Decimal(str(line.unit_price)),
                entered_by=by,
            ),
            by,
            exclude=["line_total", "audited_total"],
        )


def cost_line_audit(
    *, line: CostLine, by, quantity: Decimal | None = None, unit_price: Decimal | None = None, reason: str = ""
) -> CostLine:
    """Customer service approves the line as entered, or adjusts quantity and/or unit price with a reason."""
    ensure_perm(by, "settlements.audit_cost_lines")
    ensure_in_project(by, line.repair.ticket.project_id)
    with transaction.atomic():
        repair = CommissionedRepair.objects.select_for_update().get(pk=line.repair_id)
        _lines_open(repair)
        locked = CostLine.objects.select_for_update().get(pk=line.pk)
        if locked.entered_by_id == by.pk:
            raise ServiceError(_("Nobody audits a line they entered themselves."))
        q = locked.quantity if quantity is None else Decimal(str(quantity))
        p = locked.unit_price if unit_price is None else Decimal(str(unit_price))
        if q < 0 or p < 0:
            raise ServiceError(_("Quantities and prices cannot be negative."))
        adjusted = q != locked.quantity or p != locked.unit_price
        if adjusted and not (reason or "").strip():
            raise ServiceError(_("Give a reason for the adjustment."), field="reason")
        locked.audited_quantity = q
        locked.audited_unit_price = p
        locked.audit_status = CostLine.Audit.ADJUSTED if adjusted else CostLine.Audit.APPROVED
        locked.audit_reason = reason.strip() if adjusted else ""
        locked.audited_by = by
        locked.audited_at = timezone.now()
        return save(locked, by, "audited", exclude=["line_total", "audited_total"])
