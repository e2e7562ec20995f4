"""Reads of the front desk's work queues and search.

Every list is one scoped queryset with its joins and counts annotated, so a
page runs the same number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from warranty.models import DefectCategory, User
from warranty.scoping import scope

from .models import Appointment, Channel, ContactAttempt, Difficulty, Report, State, Ticket
from .selectors import tickets_for

# What a queue row shows (templates/jinja2/tickets/frontdesk/rows/): a few columns, not the hundred of
# every table a ticket or report list joins, which the page would compile, fetch and turn into model
# instances for nothing. A ticket row is the ticket's own columns, what it refers to annotated as names
# and numbers by _ticket_rows (one model instance per row instead of five); a report row joins its unit.
TICKET_ROW = ("number", "state", "location", "created_at", "signed_off_at")
REPORT_ROW = (
    "number",
    "is_emergency",
    "reporter_name",
    "received_at",
    "channel",
    "unit",
    "unit__number",
)


def _phone(path: str) -> ExpressionWrapper:
    """The contact phone at ``path`` as stored (E.164 text), annotated as ``phone``: a row only shows it
    masked, and a PhoneNumberField would parse every row's number (``phonenumbers.parse``)."""
    return ExpressionWrapper(F(path), output_field=CharField())


FIRST_CONTACT_WITHIN = dt.timedelta(hours=2)
RETRY_UNREACHED_AFTER = dt.timedelta(days=2)
UNREACHED_LIMIT = 5

Purpose = ContactAttempt.Purpose


def _attempts(purpose: str, *, per: str = "report") -> QuerySet:
    return ContactAttempt.objects.filter(purpose=purpose, **{per: OuterRef("pk")})


def _count(qs: QuerySet, by: str) -> Coalesce:
    """``COUNT(*)`` of ``qs`` (already filtered on an ``OuterRef``) as a correlated subquery."""
    counted = qs.order_by().values(by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _first_ticket_number() -> Subquery:
    return Subquery(Ticket.objects.filter(report=OuterRef("pk")).order_by("seq").values("number")[:1])


def _reports_with_tickets(user, **ticket_filter) -> QuerySet[Report]:
    """The user's reports with a ticket matching ``ticket_filter``.

    Written as ``pk IN (the user's matching tickets)`` rather than ``EXISTS`` per report, so that
    PostgreSQL starts from the few open tickets of the user's projects (the ``(project, state)``
    index) instead of every report those projects ever had.
    """
    tickets = scope(Ticket.objects.filter(**ticket_filter), user).values("report_id")
    return _report_rows(user).filter(pk__in=tickets)


def _report_rows(user) -> QuerySet[Report]:
    """The user's reports with what a queue row shows."""
    return scope(Report.objects.select_related("unit").only(*REPORT_ROW).annotate(phone=_phone("contact_phone")), user)


def _ticket_rows(user) -> QuerySet[Ticket]:
    """The user's tickets with what a queue row shows: the reporter, the phone, the unit's number, the
    category's and the steward's names, annotated (the same joins, no instance of each per row)."""
    rows = Ticket.objects.only(*TICKET_ROW).annotate(
        reporter_name=F("report__reporter_name"),
        phone=_phone("report__contact_phone"),
        unit_number=F("unit__number"),
        category_name=DefectCategory.name_at("category"),
        steward_name=User.name_at("steward"),
    )
    return scope(rows, user)


def first_contact_due(user) -> QuerySet[Report]:
    """Reports whose owner nobody has reached yet, earliest deadline (received + 2 hours) first."""
    return (
        _report_rows(user)
        .filter(awaiting_first_contact=True)  # a few rows of a partial index (see Report.awaiting_first_contact)
        .annotate(
            deadline=ExpressionWrapper(F("received_at") + FIRST_CONTACT_WITHIN, output_field=DateTimeField()),
            attempts=_count(_attempts(Purpose.FIRST_CONTACT), "report"),
            defects=_count(Ticket.objects.filter(report=OuterRef("pk")), "report"),
            first_ticket=_first_ticket_number(),
        )
        .order_by("deadline", "pk")
    )


def simple_jobs_to_book(user) -> QuerySet[Ticket]:
    """Simple defects triaged and waiting for the front desk to book a worker."""
    return (
        _ticket_rows(user)
        .filter(state=State.DISPATCH, difficulty=Difficulty.SIMPLE)
        .annotate(appointments_pending=_count(Appointment.objects.filter(ticket=OuterRef("pk"), outcome=""), "ticket"))
        .order_by("created_at", "pk")
    )


def owners_to_notify(user) -> QuerySet[Ticket]:
    """Finished work (callback) whose owner has not yet been told: no reached completion notice, with the
    attempts so far and the last one's time (the row shows when to try again: ``RETRY_UNREACHED_AFTER`` later)."""
    return (
        _ticket_rows(user)
        .filter(awaiting_completion_notice=True)  # in callback, not yet told (see Ticket.awaiting_completion_notice)
        .annotate(
            attempts=_count(_attempts(Purpose.COMPLETION, per="ticket"), "ticket"),
            last_attempt_at=Subquery(
                _attempts(Purpose.COMPLETION, per="ticket").order_by("-at").values("at")[:1],
                output_field=DateTimeField(),
            ),
        )
        .order_by("signed_off_at", "pk")
    )


def owners_not_reached(user) -> QuerySet[Ticket]:
    """Completion notices that failed at least once and never reached the owner, with the attempt counts."""
    return owners_to_notify(user).filter(attempts__gte=1).order_by("-attempts", "last_attempt_at", "pk")


def web_reports_to_confirm(user) -> QuerySet[Report]:
    """Reports owners made online, still waiting in intake for the front desk to call and confirm."""
    return (
        _reports_with_tickets(user, state=State.INTAKE)
        .filter(channel=Channel.WEB)
        .annotate(
            defects=_count(Ticket.objects.filter(report=OuterRef("pk")), "report"),
            first_ticket=_first_ticket_number(),
        )
        .order_by("received_at", "pk")
    )


def search_tickets(user, q: str) -> QuerySet[Ticket]:
    """Tickets by report or ticket number, unit number, reporter or owner name, contact or owner phone."""
    qs = tickets_for(user)
    if not q:
        return qs.none()
    condition = (
        Q(number__icontains=q)
        | Q(report__number__icontains=q)
        | Q(unit__number__icontains=q)
        | Q(report__reporter_name__icontains=q)
        | Q(report__owner__name__icontains=q)
    )
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 4:
        condition |= Q(report__contact_phone__contains=digits) | Q(report__owner__phone__contains=digits)
    return qs.filter(condition).order_by("-created_at", "-pk")
