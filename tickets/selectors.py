"""Reads for ticket pages: scoped querysets with their joins, and the actions a user may take now."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from warranty.scoping import scope

from .models import Report, State, Ticket
from .services.lifecycle import unmet_conditions

# The transitions in the order a user meets them, with their buttons' labels.
ACTIONS = [
    "confirm",
    "resolve_by_phone",
    "triage",
    "refer",
    "dispatch",
    "withdraw_dispatch",
    "complete_repair",
    "return_to_repair",
    "sign_off",
    "archive",
    "reopen",
    "cancel",
]


@dataclass
class Action:
    name: str
    label: str
    enabled: bool
    reasons: list[str] = field(default_factory=list)


def tickets_for(user) -> QuerySet[Ticket]:
    """Tickets the user may see, with everything a list row shows joined in."""
    return scope(Ticket.objects.all(), user).select_related(
        "report", "unit", "unit__building", "project", "category", "steward", "repairing_contractor"
    )


def reports_for(user) -> QuerySet[Report]:
    return scope(Report.objects.all(), user).select_related("unit", "project", "received_by")


def ticket_actions(ticket: Ticket, user) -> list[Action]:
    """Transitions possible from the ticket's state that the user's role holds.

    Each is enabled only when its conditions hold; otherwise ``reasons`` lists
    the conditions still missing, to show beside the disabled button.
    """
    if ticket.state in (State.ARCHIVED, State.REFERRED, State.CANCELLED):
        return []
    actions = []
    for name in ACTIONS:
        method = getattr(ticket, name)
        meta = method._django_fsm
        transition = meta.get_transition(ticket.state)
        if transition is None or not meta.has_transition_perm(ticket, ticket.state, user):
            continue
        reasons = unmet_conditions(ticket, name)
        actions.append(Action(name, action_label(name), not reasons, reasons))
    return actions


def action_label(name: str) -> str:
    from django.utils.translation import gettext as _

    labels = {
        "confirm": _("Confirm report"),
        "resolve_by_phone": _("Resolved by phone"),
        "triage": _("Triage"),
        "refer": _("Refer out of warranty"),
        "dispatch": _("Dispatch"),
        "withdraw_dispatch": _("Withdraw dispatch"),
        "complete_repair": _("Repair complete"),
        "return_to_repair": _("Return to repair"),
        "sign_off": _("Close sign-off"),
        "archive": _("Archive"),
        "reopen": _("Reopen as repeat repair"),
        "cancel": _("Cancel ticket"),
    }
    return labels[name]
