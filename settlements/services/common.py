"""Helpers shared by the settlement services: scope, permission and saving with history."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from warranty.scoping import can_see_project, is_contractor

from ..money import to_cents
from .errors import NotPermitted, OutOfScope, ServiceError


def ensure_in_project(user, project_id: int) -> None:
    """Staff act only in the projects they serve; contractors never through this path."""
    if not user.is_authenticated or not user.is_active:
        raise OutOfScope()
    if user.is_superuser:
        return
    if is_contractor(user) or not can_see_project(user, project_id):
        raise OutOfScope()


def ensure_firm_or_project(user, *, firm_id: int, project_id: int) -> None:
    """A contractor's user acts for its own firm only; staff for their projects."""
    if not user.is_authenticated or not user.is_active:
        raise OutOfScope()
    if user.is_superuser:
        return
    if is_contractor(user):
        if user.contractor_id != firm_id:
            raise OutOfScope()
        return
    if not can_see_project(user, project_id):
        raise OutOfScope()


def ensure_perm(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise NotPermitted()


def save(obj, by, reason: str = "", *, exclude=None):
    """Validate and save with the history user; a validation error becomes a message for the user."""
    obj._history_user = by
    if reason:
        obj._change_reason = reason[:100]
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = list(getattr(exc, "error_dict", {}) or [])
        raise ServiceError("; ".join(exc.messages), field=fields[0] if len(fields) == 1 else None) from exc
    obj.save()
    return obj


def money(value, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse an amount in yuan; refuse more than two decimals instead of rounding silently."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ServiceError(_("Enter an amount in yuan."), field=field) from exc
    if not amount.is_finite() or to_cents(amount) != amount:
        raise ServiceError(_("Enter an amount in yuan with at most two decimals."), field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ServiceError(_("The amount must be more than zero."), field=field)
    return to_cents(amount)


def require(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Please give a reason."), field=field)
    return text


def on_ticket(ticket, by, verb: str, note: str = "") -> None:
    """Write the step on the ticket's timeline, so the archive keeps the settlement beside the repair."""
    from tickets.services.lifecycle import timeline

    timeline(ticket, by, verb, note=note[:200])
