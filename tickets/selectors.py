"""Reads for ticket pages: scoped querysets with their joins, and the actions a user may take now."""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils import timezone

from warranty.reversing import reverse_cached
from warranty.roles import Role
from warranty.scoping import scope

from . import conditions
from .models import Escalation, OwnerConsent, Report, SignOff, State, Ticket, WorkLog
from .services.lifecycle import ticket_coverage, unmet

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
    # (reason, the page where it is met or "") for the user: the reasons as links where the user can act
    steps: list[tuple[str, str]] = field(default_factory=list)


# Staff who work on the tablet pages (tickets.views.field), where most conditions are met.
FIELD_ROLES = (Role.STEWARD, Role.DIRECTOR, Role.ENGINEER, Role.CUSTOMER_SERVICE, Role.PROJECT_GM, Role.FRONT_DESK)


def tickets_for(user) -> QuerySet[Ticket]:
    """Tickets the user may see, with everything a list row shows joined in."""
    return scope(Ticket.objects.all(), user).select_related(
        "report", "unit", "unit__building", "project", "category", "steward", "repairing_contractor"
    )


def reports_for(user) -> QuerySet[Report]:
    return scope(Report.objects.all(), user).select_related("unit", "project", "received_by")


# Conditions an action's own form meets as it runs: triage assesses the coverage and sets the difficulty
# and the steward (tickets.services.ticket_triage), dispatch books the repair appointment
# (ticket_dispatch). Their missing does not close the action: it is what the form is for.
MET_BY_THE_ACTION = {
    "triage": (conditions.coverage_assessed, conditions.difficulty_set, conditions.steward_assigned),
    "dispatch": (conditions.appointment_set,),
}


# Actions that assess the coverage as they run when nobody has yet (ticket_triage, ticket_refer): their
# conditions ("out of the owner's warranty", "ours to repair") are judged on the assessment they would store.
ASSESS_COVERAGE = {"triage", "refer"}


class _CoveragePreview:
    """The ticket as an action that assesses its coverage would see it; reads everything else from the ticket."""

    def __init__(self, ticket: Ticket, **coverage):
        self._ticket = ticket
        self.__dict__.update(coverage)

    def __getattr__(self, name):
        return getattr(self._ticket, name)


def coverage_assessment(ticket: Ticket):
    """The coverage an assessment of ``ticket`` now would give (nothing saved); None if no warranty period applies."""
    from warranty.coverage import NoWarrantyPeriod

    if "_coverage_assessment" in ticket.__dict__:  # the actions and the page of one request ask once
        return ticket.__dict__["_coverage_assessment"]
    try:
        result = ticket_coverage(ticket)
    except NoWarrantyPeriod:
        result = None
    ticket.__dict__["_coverage_assessment"] = result
    return result


def coverage_preview(ticket: Ticket):
    """``ticket`` with the coverage its triage or referral would assess; as it is if assessed already or if
    no warranty period applies (the action then says so itself)."""
    if ticket.coverage_assessed_at is not None:
        return ticket
    result = coverage_assessment(ticket)
    if result is None:
        return ticket
    return _CoveragePreview(
        ticket, coverage_assessed_at=timezone.now(), in_owner_warranty=result.in_owner_warranty, payer=result.payer
    )


def ticket_actions(ticket: Ticket, user) -> list[Action]:
    """Transitions possible from the ticket's state that the user's role holds.

    Each is enabled only when its conditions hold (but those its own form meets, ``MET_BY_THE_ACTION``);
    otherwise ``reasons`` lists the conditions still missing, to show beside the disabled button.
    """
    if ticket.state in (State.ARCHIVED, State.REFERRED, State.CANCELLED):
        return []
    actions = []
    preview = None
    on_field_pages = user.is_superuser or user.has_role(*FIELD_ROLES)
    for name in ACTIONS:
        method = getattr(ticket, name)
        meta = method._django_fsm
        transition = meta.get_transition(ticket.state)
        if transition is None or not meta.has_transition_perm(ticket, ticket.state, user):
            continue
        judged = ticket
        if name in ASSESS_COVERAGE:
            preview = judged = preview or coverage_preview(ticket)
        missing = [cond for cond in unmet(judged, name) if cond not in MET_BY_THE_ACTION.get(name, ())]
        reasons = [str(cond.label) for cond in missing]
        steps = [
            (str(cond.label), reverse_cached(cond.where, ticket.number) if cond.where and on_field_pages else "")
            for cond in missing
        ]
        actions.append(Action(name, action_label(name), not reasons, reasons, steps))
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


def timeline_label(verb: str) -> str:
    """A readable name for a timeline verb; transitions use their button labels."""
    from django.utils.translation import gettext as _

    if verb in ACTIONS:
        return action_label(verb)
    labels = {
        "reported": _("Reported"),
        "created_as_repeat": _("Opened as a repeat repair"),
        "contact_first_contact_reached": _("First contact: owner reached"),
        "contact_first_contact_not_reached": _("First contact: owner not reached"),
        "contact_progress_reached": _("Progress feedback: owner reached"),
        "contact_progress_not_reached": _("Progress feedback: owner not reached"),
        "contact_completion_reached": _("Completion notice: owner reached"),
        "contact_completion_not_reached": _("Completion notice: owner not reached"),
        "survey_booked": _("Survey booked"),
        "repair_booked": _("Repair visit booked"),
        "arrived": _("Arrived on site"),
        "owner_absent": _("Owner not home"),
        "plan_written": _("Repair plan written"),
        "plan_approved": _("Repair plan approved"),
        "notice_accepted": _("Dispatch notice accepted"),
        "notice_declined": _("Dispatch notice declined"),
        "attachment_added": _("Photo or video added"),
        "progress_cadence_agreed": _("Progress feedback cadence agreed with the owner"),
    }
    if verb in labels:
        return labels[verb]
    # The families of verbs written with a kind: "signoff_owner", "worklog_progress", "flag_is_major", …
    prefix, _sep, kind = verb.partition("_")
    families = {
        "signoff": (_("Sign-off: %(kind)s"), SignOff.Kind),
        "worklog": (_("Work log: %(kind)s"), WorkLog.Kind),
        "consent": (_("Owner consent: %(kind)s"), OwnerConsent.Subject),
        "escalated": (_("Escalated: %(kind)s"), Escalation.Reason),
    }
    if prefix in families and kind:
        text, choices = families[prefix]
        return text % {"kind": choices(kind).label if kind in choices.values else kind.replace("_", " ")}
    if prefix == "flag" and kind:
        try:
            name = Ticket._meta.get_field(kind).verbose_name
        except FieldDoesNotExist:  # a flag field since removed: its name
            name = kind.replace("_", " ")
        return _("Flagged: %(kind)s") % {"kind": name}
    return verb.replace("_", " ")
