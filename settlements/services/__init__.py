"""Every write to settlements goes through these services."""

from .commissions import LineInput, cost_line_add, cost_line_audit, fund_for, repair_commission
from .errors import (
    AboveAudit,
    ConditionFailed,
    Conflict,
    InsufficientBalance,
    NotAllowed,
    NotPermitted,
    OutOfScope,
    SegregationOfDuties,
    ServiceError,
)
from .funds import fund_open, fund_release, funds_due_for_release, ledger_adjust, overdraft_approve
from .owner_paid import owner_payment_record, quote_attach_consent, quote_create
from .payments import (
    payment_application_amend,
    payment_application_approve,
    payment_application_countersign,
    payment_application_create,
    payment_application_record_payment,
    payment_application_reject,
    payment_application_submit,
)
from .reconciliation import reconciliation_prepare, reconciliation_report, reconciliation_sign

__all__ = [
    "AboveAudit",
    "ConditionFailed",
    "Conflict",
    "InsufficientBalance",
    "LineInput",
    "NotAllowed",
    "NotPermitted",
    "OutOfScope",
    "SegregationOfDuties",
    "ServiceError",
    "cost_line_add",
    "cost_line_audit",
    "fund_for",
    "fund_open",
    "fund_release",
    "funds_due_for_release",
    "ledger_adjust",
    "overdraft_approve",
    "owner_payment_record",
    "payment_application_amend",
    "payment_application_approve",
    "payment_application_countersign",
    "payment_application_create",
    "payment_application_record_payment",
    "payment_application_reject",
    "payment_application_submit",
    "quote_attach_consent",
    "quote_create",
    "reconciliation_prepare",
    "reconciliation_report",
    "reconciliation_sign",
    "repair_commission",
]
