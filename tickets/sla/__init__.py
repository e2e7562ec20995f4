"""SLA clocks: promises to owners as data (SlaPolicy), running clocks as rows (SlaClock).

The lifecycle never calls this package: it listens to ``tickets.signals.ticket_event``
(sent inside the business transaction for every timeline row), so clocks start and
stop in the same transaction as the event that moves them. Beat runs
:func:`sweep_clocks` every minute.

Public API: :func:`start_clock`, :func:`stop_clocks`, :func:`sweep_clocks`,
:func:`ensure_ledger_clocks`, :func:`policy_for`.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ..models import SlaPolicy
from ..signals import ticket_event
from .clocks import ensure_ledger_clocks, forget_policies, policy_for, start_clock, stop_clocks
from .clocks import on_ticket_event as _clocks_on_event
from .sweep import sweep_clocks

__all__ = ["ensure_ledger_clocks", "policy_for", "start_clock", "stop_clocks", "sweep_clocks"]


post_save.connect(forget_policies, sender=SlaPolicy, dispatch_uid="tickets.sla.forget_policies.saved")
post_delete.connect(forget_policies, sender=SlaPolicy, dispatch_uid="tickets.sla.forget_policies.deleted")


@receiver(ticket_event, dispatch_uid="tickets.sla.on_ticket_event")
def _on_ticket_event(sender, *, ticket, event, **kwargs):
    if event.verb.startswith("escalated_"):  # written by the escalations themselves
        return
    from .. import escalations

    _clocks_on_event(ticket=ticket, verb=event.verb, at=event.at, to_state=event.to_state)
    escalations.on_ticket_event(ticket=ticket, verb=event.verb)


def _register_menu() -> None:
    from django.utils.translation import gettext_lazy as _

    from warranty.navigation import register
    from warranty.roles import Role

    register(_("Escalations"), "escalations:list", [Role.DIRECTOR, Role.PROJECT_GM], order=80)


_register_menu()
