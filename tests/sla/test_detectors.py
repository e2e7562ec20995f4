"""Escalation detectors of DOMAIN §5 at their boundaries, the flag service and the unique open escalation."""

import datetime as dt

import pytest

from tests.factories import UnitFactory, category
from tests.tickets.lifecycle import advance
from tickets import services as s
from tickets.escalations import _add_evidence, batch_defect_share, escalation_raise, ticket_evidence, ticket_flag
from tickets.models import Escalation, Location, OutboxMessage, State, Ticket

from .conftest import local

pytestmark = pytest.mark.django_db
R = Escalation.Reason


def report(world, unit=None, *, location=Location.MASTER_BATHROOM, code="waterproofing", detail=""):
    defect = s.DefectInput(location=location, category=category(code), description="渗水", location_detail=detail)
    return s.report_create(
        by=world.users["front_desk"],
        unit=unit or world.unit,
        reporter_name="业主",
        contact_phone="13800000000",
        defects=[defect],
    ).tickets.get()


def escalations(reason, **filters):
    return Escalation.objects.filter(reason=reason, **filters)


def test_raising_is_one_statement_that_inserts_or_adds_evidence(sla_world, django_assert_num_queries):
    """On PostgreSQL the partial unique index arbitrates: the escalation is inserted (with its history row),
    or the open one of the same reason and subject takes the new evidence; a resolved one is not touched."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.escalations import raise_escalation

    ticket, other = report(sla_world), report(sla_world, location=Location.KITCHEN)
    args = {"reason": R.CONTRACTOR_STAFF, "project_id": ticket.project_id, "subject_key": f"ticket:{ticket.pk}"}
    with CaptureQueriesContext(connection) as raised:
        escalation = raise_escalation(
            **args, summary="粗暴", evidence=ticket_evidence(ticket), ticket=ticket, by=sla_world.users["director"]
        )
    sql = [q["sql"] for q in raised.captured_queries]
    assert [q.split()[0] for q in sql if "tickets_escalation" in q and "historicalescalation" not in q] == ["INSERT"]
    assert not [q for q in sql if "SAVEPOINT" in q]  # no UPDATE tried first, no savepoint
    stored = Escalation.objects.get(pk=escalation.pk)
    assert (stored.status, stored.summary, stored.ticket, stored.raised_by) == (
        Escalation.Status.OPEN,
        "粗暴",
        ticket,
        sla_world.users["director"],
    )
    assert not escalation._state.adding and escalation.evidence == stored.evidence == ticket_evidence(ticket)
    history = stored.history.get()
    assert (history.history_type, history.history_user, history.summary) == ("+", sla_world.users["director"], "粗暴")
    with django_assert_num_queries(1):
        assert raise_escalation(**args, summary="again", evidence=ticket_evidence(other, ticket)) is None
    stored = Escalation.objects.get(pk=escalation.pk)
    assert (stored.summary, stored.evidence) == ("粗暴", ticket_evidence(ticket, other))
    assert stored.history.count() == 1  # the evidence is its own record
    Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.RESOLVED)
    again = raise_escalation(**args, summary="third", evidence=ticket_evidence(other))
    assert again.pk != escalation.pk and Escalation.objects.get(pk=escalation.pk).evidence == stored.evidence


# --- second repair at the same location ---------------------------------------------------------


def test_a_second_repair_at_the_same_location_is_escalated(sla_world):
    first = report(sla_world)
    assert not escalations(R.REPEAT_REPAIR).exists()
    second = report(sla_world)
    assert second.repeat_of == first
    escalation = escalations(R.REPEAT_REPAIR).get()
    assert escalation.ticket == second and escalation.unit == sla_world.unit
    assert {e["ticket"] for e in escalation.evidence} == {first.number, second.number}
    assert set(
        OutboxMessage.objects.filter(event="escalation_raised").values_list("recipient__username", flat=True)
    ) == {"director", "project_gm"}


def test_a_repair_at_another_location_of_the_unit_is_not(sla_world):
    report(sla_world, location=Location.MASTER_BATHROOM)
    report(sla_world, location=Location.KITCHEN)
    assert not escalations(R.REPEAT_REPAIR).exists()


def test_a_third_repair_adds_evidence_to_the_open_escalation(sla_world):
    tickets = [report(sla_world) for _ in range(3)]
    escalation = escalations(R.REPEAT_REPAIR).get()
    assert {e["ticket"] for e in escalation.evidence} == {t.number for t in tickets}


def test_evidence_joins_an_open_escalation_once_in_one_statement_without_a_history_row(
    sla_world, django_assert_num_queries
):
    first, second = report(sla_world), report(sla_world)
    escalation = escalations(R.REPEAT_REPAIR).get()
    steps = escalation.history.count()
    third = Ticket.objects.get(pk=report(sla_world).pk)
    key = escalation.subject_key
    with django_assert_num_queries(1):  # an UPDATE that appends what the list does not hold yet
        assert _add_evidence(R.REPEAT_REPAIR, key, ticket_evidence(third, first))
    escalation = Escalation.objects.get(pk=escalation.pk)
    assert [e["ticket"] for e in escalation.evidence] == [second.number, first.number, third.number]
    # The evidence is its own record: the escalation's history keeps its steps only.
    assert escalation.history.count() == steps
    # A resolved escalation takes no more evidence; the next repair opens a new one.
    Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.RESOLVED)
    assert not _add_evidence(R.REPEAT_REPAIR, key, ticket_evidence(third))
    fourth = report(sla_world)
    assert escalations(R.REPEAT_REPAIR, status=Escalation.Status.OPEN).get().evidence == ticket_evidence(fourth, third)


# --- a unit with repairs for 2 months -----------------------------------------------------------


@pytest.mark.parametrize(
    ("later", "expected"),
    [(dt.timedelta(days=60), False), (dt.timedelta(days=61), True)],  # 28 Sep → 28 Nov is exactly 2 months
)
def test_new_defects_after_two_months_of_open_repairs(sla_world, at, later, expected):
    start = at(local(2026, 9, 28, 9, 0))
    advance(sla_world, report(sla_world, location=Location.LIVING_ROOM, code="civil"), State.REPAIR)
    at(start + later)
    report(sla_world, location=Location.KITCHEN, code="plumbing_electrical")
    assert escalations(R.LONG_RUNNING_UNIT, unit=sla_world.unit).exists() == expected


def test_closed_old_repairs_do_not_count_as_going_on(sla_world, at):
    start = at(local(2026, 9, 28, 9, 0))
    advance(sla_world, report(sla_world, location=Location.LIVING_ROOM, code="civil"), State.ARCHIVED)
    at(start + dt.timedelta(days=90))
    report(sla_world, location=Location.KITCHEN, code="plumbing_electrical")
    assert not escalations(R.LONG_RUNNING_UNIT).exists()


# --- the same defect in 20 % of a batch ---------------------------------------------------------


@pytest.fixture
def batch_of_100(sla_world):
    units = [sla_world.unit] + [UnitFactory(building=sla_world.building, number=f"3-1-{i}") for i in range(99)]
    return units


def test_19_percent_of_a_batch_is_not_escalated_20_percent_is(sla_world, batch_of_100):
    for unit in batch_of_100[:19]:
        report(sla_world, unit, location=Location.BALCONY, code="waterproofing")
    # A second ticket in an affected unit does not make another unit affected.
    report(sla_world, batch_of_100[0], location=Location.KITCHEN, code="waterproofing")
    assert batch_defect_share(sla_world.batch.pk, category("waterproofing").pk) == (19, 100)
    assert not escalations(R.BATCH_DEFECT).exists()
    # Another category in the 20th unit does not count either.
    report(sla_world, batch_of_100[19], location=Location.BALCONY, code="civil")
    assert not escalations(R.BATCH_DEFECT).exists()
    report(sla_world, batch_of_100[19], location=Location.BALCONY, code="waterproofing")
    escalation = escalations(R.BATCH_DEFECT).get()
    assert escalation.batch == sla_world.batch and escalation.category == category("waterproofing")
    assert {"affected_units": 20, "units": 100} in escalation.evidence
    later = report(sla_world, batch_of_100[20], location=Location.BALCONY, code="waterproofing")
    assert escalations(R.BATCH_DEFECT).count() == 1  # one open escalation per batch and category
    # While it is open a new ticket joins its evidence without recounting the batch.
    assert escalations(R.BATCH_DEFECT).get().evidence[-1]["ticket"] == later.number


def test_cancelled_tickets_do_not_count_towards_a_batch_share(sla_world, batch_of_100):
    for unit in batch_of_100[:19]:
        report(sla_world, unit, location=Location.BALCONY)
    cancelled = report(sla_world, batch_of_100[19], location=Location.BALCONY)
    Escalation.objects.filter(reason=R.BATCH_DEFECT).delete()
    s.ticket_cancel(ticket=cancelled, by=sla_world.users["director"], note="误报")
    assert batch_defect_share(sla_world.batch.pk, category("waterproofing").pk) == (19, 100)


# --- flags and complaints -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("compensation_claimed", R.COMPENSATION),
        ("responsibility_unclear", R.RESPONSIBILITY_UNCLEAR),
        ("group_complaint", R.GROUP_COMPLAINT),
    ],
)
def test_a_flag_sets_the_ticket_writes_history_and_timeline_and_escalates(sla_world, flag, reason):
    ticket = report(sla_world)
    ticket_flag(ticket=ticket, by=sla_world.users["customer_service"], flag=flag, note="业主要求赔偿")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert getattr(ticket, flag) is True
    assert ticket.history.first().history_user == sla_world.users["customer_service"]
    assert ticket.timeline.filter(verb=f"flag_{flag}").exists()
    assert ticket.timeline.filter(verb=f"escalated_{reason}").exists()
    escalation = escalations(reason, ticket=ticket).get()
    assert escalation.raised_by == sla_world.users["customer_service"]
    # Flagging again changes nothing and raises nothing new.
    ticket_flag(ticket=ticket, by=sla_world.users["director"], flag=flag, note="再次")
    assert escalations(reason, ticket=ticket).count() == 1


def test_compensation_is_also_told_to_customer_service(sla_world):
    ticket = report(sla_world)
    ticket_flag(ticket=ticket, by=sla_world.users["steward"], flag="compensation_claimed", note="索赔")
    told = set(OutboxMessage.objects.filter(event="escalation_raised").values_list("recipient__username", flat=True))
    assert told == {"director", "project_gm", "customer_service"}


def test_major_flag_raises_no_escalation(sla_world):
    ticket = report(sla_world)
    ticket_flag(ticket=ticket, by=sla_world.users["director"], flag="is_major", note="结构问题")
    assert Ticket.objects.get(pk=ticket.pk).is_major
    assert not Escalation.objects.filter(ticket=ticket).exclude(reason=R.BATCH_DEFECT).exists()


def test_flags_are_refused_to_contractors_and_other_projects(sla_world):
    ticket = report(sla_world)
    with pytest.raises(s.NotPermitted):
        ticket_flag(ticket=ticket, by=sla_world.users["contractor"], flag="group_complaint", note="x")
    with pytest.raises(s.OutOfScope):
        ticket_flag(ticket=ticket, by=sla_world.users["outsider"], flag="group_complaint", note="x")
    with pytest.raises(s.ServiceError):
        ticket_flag(ticket=ticket, by=sla_world.users["director"], flag="state", note="x")
    assert not Ticket.objects.get(pk=ticket.pk).group_complaint


def test_a_complaint_about_contractor_staff_is_escalated_once_while_open(sla_world):
    ticket = report(sla_world)
    first = escalation_raise(
        ticket=ticket, by=sla_world.users["customer_service"], reason=R.CONTRACTOR_STAFF, note="工人态度恶劣"
    )
    again = escalation_raise(
        ticket=ticket, by=sla_world.users["customer_service"], reason=R.CONTRACTOR_STAFF, note="又来投诉"
    )
    assert first is not None and again is None
    assert escalations(R.CONTRACTOR_STAFF).count() == 1
