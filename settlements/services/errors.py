"""Errors of the settlement services: the ticket service errors, with money-specific messages."""

from django.utils.translation import gettext_lazy as _

from tickets.services.errors import ConditionFailed, NotAllowed, NotPermitted, OutOfScope, ServiceError
from tickets.services.errors import Conflict as _TicketConflict


class Conflict(_TicketConflict):
    default_message = _("Someone else changed this record in the meantime. Reload the page and try again.")


class SegregationOfDuties(NotPermitted):
    """The same person may not request and approve, nor sign twice."""

    default_message = _("Segregation of duties: someone else must do this.")


class AboveAudit(ServiceError):
    status = 409
    default_message = _("The amount exceeds the audited total.")


class InsufficientBalance(ServiceError):
    status = 409
    default_message = _("The fund's balance would go below zero without an approved exception.")


__all__ = [
    "AboveAudit",
    "ConditionFailed",
    "Conflict",
    "InsufficientBalance",
    "NotAllowed",
    "NotPermitted",
    "OutOfScope",
    "SegregationOfDuties",
    "ServiceError",
]
