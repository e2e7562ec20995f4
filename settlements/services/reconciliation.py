"""The quarterly reconciliation of the ledger by the project department and customer service."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from warranty.models import Project

from ..models import Reconciliation, ReconciliationLine, WarrantyFund
from .common import ensure_in_project, ensure_perm, save
from .errors import NotAllowed, SegregationOfDuties, ServiceError


def reconciliation_prepare(
    *,
    project: Project,
    year: int,
    quarter: int,
    by,
    figures: Mapping[int, Decimal],
    explanations: Mapping[int, str] | None = None,
) -> Reconciliation:
    """One line per fund open at quarter end: the department's figure, the ledger balance, the difference.

    ``figures`` maps a fund's id to the project department's figure in yuan.
    """
    ensure_perm(by, "settlements.prepare_reconciliation")
    ensure_in_project(by, project.pk)
    explanations = explanations or {}
    if quarter not in (1, 2, 3, 4):
        raise ServiceError(_("A quarter is 1 to 4."), field="quarter")
    with transaction.atomic():
        if Reconciliation.objects.filter(project=project, year=year, quarter=quarter).exists():
            raise NotAllowed(_("This quarter is already reconciled."))
        rec = save(Reconciliation(project=project, year=year, quarter=quarter, prepared_by=by), by)
        funds = list(
            WarrantyFund.objects.filter(project=project, opened_at__date__lte=rec.quarter_end).select_related(
                "engagement__contractor"
            )
        )
        missing = [str(f) for f in funds if f.pk not in figures]
        if missing:
            raise ServiceError(
                _("Enter the project department's figure for: %(funds)s.") % {"funds": ", ".join(missing)},
                field="figures",
            )
        for fund in funds:
            save(
                ReconciliationLine(
                    reconciliation=rec,
                    fund=fund,
                    dept_figure=Decimal(str(figures[fund.pk])),
                    ledger_balance=fund.balance_on(rec.quarter_end),
                    explanation=(explanations.get(fund.pk) or "").strip(),
                ),
                by,
                exclude=["difference"],
            )
    return rec


SIDES = {
    "dept": ("settlements.sign_reconciliation_dept", "dept_signed_by", "dept_signed_at"),
    "cs": ("settlements.sign_reconciliation_cs", "cs_signed_by", "cs_signed_at"),
}


def reconciliation_sign(*, reconciliation: Reconciliation, by, side: str) -> Reconciliation:
    """The project department (``side="dept"``) and customer service (``"cs"``) each sign, two people."""
    if side not in SIDES:
        raise ServiceError(_("Choose which side signs."))
    perm, by_field, at_field = SIDES[side]
    ensure_perm(by, perm)
    ensure_in_project(by, reconciliation.project_id)
    with transaction.atomic():
        locked = Reconciliation.objects.select_for_update().get(pk=reconciliation.pk)
        if getattr(locked, f"{by_field}_id"):
            raise NotAllowed(_("This side has already signed."))
        other = "cs_signed_by_id" if side == "dept" else "dept_signed_by_id"
        if getattr(locked, other) == by.pk:
            raise SegregationOfDuties(_("%(user)s signed for the other side; both sides sign.") % {"user": by})
        setattr(locked, by_field, by)
        setattr(locked, at_field, timezone.now())
        return save(locked, by, f"signed ({side})")


def reconciliation_report(reconciliation: Reconciliation) -> dict:
    """What the quarterly report shows: every fund with the two figures, and the differences."""
    lines = list(reconciliation.lines.select_related("fund__engagement__contractor", "fund__project"))
    return {
        "reconciliation": reconciliation,
        "lines": lines,
        "differences": [line for line in lines if line.difference != 0],
        "total_ledger": sum((line.ledger_balance for line in lines), Decimal("0.00")),
        "total_dept": sum((line.dept_figure for line in lines), Decimal("0.00")),
        "total_difference": sum((line.difference for line in lines), Decimal("0.00")),
    }
