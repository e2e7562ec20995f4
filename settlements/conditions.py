"""Conditions of the payment-application transitions: pure predicates that name themselves."""

from django.utils.translation import gettext_lazy as _

from tickets.models import Resolution, State


def condition(label):
    def decorate(fn):
        fn.label = label
        return fn

    return decorate


@condition(_("the ticket has passed sign-off"))
def ticket_signed_off(application) -> bool:
    ticket = application.repair.ticket
    return ticket.state == State.CALLBACK or (
        ticket.state == State.ARCHIVED and ticket.resolution == Resolution.RESOLVED
    )


@condition(_("the commissioned firm did the repair"))
def firm_did_the_repair(application) -> bool:
    return application.repair.ticket.repairing_contractor_id == application.repair.firm_id


@condition(_("customer service has audited every cost line"))
def fully_audited(application) -> bool:
    return application.repair.is_fully_audited


@condition(_("the amount does not exceed the audited total"))
def within_audited_total(application) -> bool:
    return application.amount is not None and application.amount <= application.repair.audited_total


@condition(_("a countersignature is still due"))
def countersignature_due(application) -> bool:
    return application.next_countersign_role is not None


@condition(_("every countersignature of the chain is given"))
def fully_countersigned(application) -> bool:
    return bool(application.chain) and application.next_countersign_role is None
