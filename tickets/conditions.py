"""Conditions of the ticket transitions: pure predicates that name themselves.

Each has a ``label`` a user can read when a button is disabled. They read
the ticket and its records and change nothing.
"""

from django.utils.translation import gettext_lazy as _


def condition(label, where: str = ""):
    """``label``: the condition in words; ``where``: the staff page (a URL name taking the ticket's number)
    on which it is met, linked beside a closed action; "" when it is met elsewhere (the contractor's page)."""

    def decorate(fn):
        fn.label = label
        fn.where = where
        return fn

    return decorate


def _latest(qs):
    """The record of ``qs`` with the highest key; from the list when it is loaded already (the ticket page
    loads the ticket's notices and plans with it), else with a query."""
    if qs._result_cache is not None:
        return max(qs, key=lambda record: record.pk, default=None)
    return qs.order_by("-pk").first()


@condition(_("the coverage has been assessed"), where="tickets:field_triage")
def coverage_assessed(ticket) -> bool:
    return ticket.coverage_assessed_at is not None


@condition(_("the difficulty is set"), where="tickets:field_triage")
def difficulty_set(ticket) -> bool:
    return bool(ticket.difficulty)


@condition(_("a steward is assigned"), where="tickets:field_triage")
def steward_assigned(ticket) -> bool:
    return ticket.steward_id is not None


@condition(_("the repair is ours or a paid repair (not a referral)"))
def repairable(ticket) -> bool:
    return ticket.payer != "property_management"


@condition(_("the defect is out of the owner's warranty"))
def out_of_owner_warranty(ticket) -> bool:
    return ticket.in_owner_warranty is False


@condition(_("a repair plan is written (general and complex defects)"), where="tickets:field_plan")
def plan_ready(ticket) -> bool:
    if ticket.difficulty == "simple":
        return True
    return ticket.plans.exists()


@condition(_("the complex plan is approved by the director"), where="tickets:field_plan")
def complex_plan_approved(ticket) -> bool:
    if ticket.difficulty != "complex":
        return True
    plan = _latest(ticket.plans.all())
    return plan is not None and plan.approved_by_id is not None


@condition(_("the owner consented to the quote (paid repair)"), where="tickets:field_consent")
def quote_consented(ticket) -> bool:
    if ticket.payer != "owner":
        return True
    return ticket.consents.filter(subject="quote", consented=True).exists()


@condition(_("a repair appointment is set"), where="tickets:field_dispatch")
def appointment_set(ticket) -> bool:
    return ticket.appointments.filter(kind="repair", outcome="").exists()


@condition(_("the contractor declined the dispatch notice"))
def notice_declined(ticket) -> bool:
    notice = _latest(ticket.notices.all())
    return notice is not None and notice.status == "declined"


@condition(_("the contractor accepted the dispatch notice"))
def notice_accepted(ticket) -> bool:
    notice = _latest(ticket.notices.all())
    return notice is not None and notice.status == "accepted"


@condition(_("arrival on site is recorded"), where="tickets:field_workspace")
def arrival_recorded(ticket) -> bool:
    return ticket.appointments.filter(kind="repair", arrived_at__isnull=False).exists()


def _signoffs(ticket):
    return ticket.signoffs.filter(round=ticket.signoff_round)


@condition(_("the steward re-inspected the repair and it passed"), where="tickets:field_signoff")
def reinspected(ticket) -> bool:
    latest = _latest(_signoffs(ticket).filter(kind="reinspection"))
    return latest is not None and latest.passed


@condition(_("the owner signed, or the director and customer service signed jointly"), where="tickets:field_signoff")
def signed_by_owner_or_jointly(ticket) -> bool:
    kinds = {}
    for kind, by_id, passed in _signoffs(ticket).values_list("kind", "by_id", "passed"):
        if passed:
            kinds.setdefault(kind, set()).add(by_id)
    if "owner" in kinds:
        return True
    directors, cs = kinds.get("joint_director", set()), kinds.get("joint_cs", set())
    return any(d != s for d in directors for s in cs)


@condition(_("a major ticket has the project GM's approval"), where="tickets:field_signoff")
def major_approved_by_gm(ticket) -> bool:
    if not ticket.is_major:
        return True
    return _signoffs(ticket).filter(kind="gm_approval", passed=True).exists()
