"""warranty.dossier: a record's lists in one query, the same instances as the ORM gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import category
from tickets import services as s
from tickets.models import Appointment, Escalation, Location, State, Ticket
from tickets.services import DefectInput
from tickets.views.frontdesk import TICKET_PAGE_LISTS
from warranty import dossier

from .conftest import escalate, jpeg_upload, new_report
from .lifecycle import advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich(world):
    """A ticket in repair with something in every list: a photo, calls, a plan (JSON materials), an
    appointment, a notice to a contractor, escalations with and without a follower, two other defects."""
    defects = [
        DefectInput(location=Location.KITCHEN, category=category("waterproofing"), description=f"渗水{i}")
        for i in range(3)
    ]
    ticket = new_report(world, defects=defects).tickets.order_by("seq").first()
    ticket = advance(world, ticket, State.REPAIR)
    s.attachment_add(ticket=ticket, by=world.users["front_desk"], upload=jpeg_upload(), caption="顶棚")
    for reached in (False, True):
        s.contact_attempt_record(ticket=ticket, by=world.users["customer_service"], purpose="progress", reached=reached)
    for reason, follower in (
        (Escalation.Reason.COMPENSATION, world.users["director"]),
        (Escalation.Reason.GROUP_COMPLAINT, None),
    ):
        escalate(ticket, reason, follower, evidence="很长的证据")
    return Ticket.objects.get(pk=ticket.pk)


def loaded(ticket, one_query):
    ticket = Ticket.objects.get(pk=ticket.pk)
    dossier.load(ticket, TICKET_PAGE_LISTS, {"ticket": ticket.pk, "report": ticket.report_id}, one_query=one_query)
    return ticket


def as_values(instance):
    """Every loaded field of an instance (deferred ones left out), with their types."""
    return {
        f.attname: (type(instance.__dict__[f.attname]), instance.__dict__[f.attname])
        for f in instance._meta.concrete_fields
        if f.attname in instance.__dict__
    }


def listed(ticket, rows):
    value = getattr(ticket, rows.name)
    return list(value.all()) if hasattr(value, "all") else value


def test_one_query_gives_the_instances_the_orm_gives(rich):
    with CaptureQueriesContext(connection) as ctx:
        one = loaded(rich, True)
    assert len(ctx.captured_queries) == 2  # the ticket, then every list
    orm = loaded(rich, False)
    for rows in TICKET_PAGE_LISTS:
        mine, theirs = listed(one, rows), listed(orm, rows)
        assert mine, rows.name  # the fixture gives every list something
        assert [type(i) for i in mine] == [type(i) for i in theirs]
        assert [as_values(i) for i in mine] == [as_values(i) for i in theirs], rows.name
        for fk, _ in rows.joined():  # the joined target comes with each row, with the same fields
            targets = [(fk.get_cached_value(i), fk.get_cached_value(j)) for i, j in zip(mine, theirs, strict=True)]
            assert [a and as_values(a) for a, _ in targets] == [b and as_values(b) for _, b in targets]
    # A decimal stays a Decimal, a JSON list a list, a time an aware datetime.
    plan = one.plans.all()[0]
    assert plan.materials == ["防水涂料"] and timezone.is_aware(plan.written_at)
    escalations = list(one.escalations.all())
    assert {e.assignee_id is None for e in escalations} == {True, False}
    assert [e.assignee for e in escalations if e.assignee_id is None] == [None]


def test_the_lists_read_like_prefetched_ones(rich, django_assert_num_queries):
    ticket = loaded(rich, True)
    others = set(rich.report.tickets.exclude(pk=rich.pk).values_list("pk", flat=True))
    with django_assert_num_queries(0):
        names = [str(e.actor) for e in ticket.timeline.all()]
        notice = ticket.notices.all()[0]
        assert notice.ticket is ticket and notice.contractor.name
        assert ticket.appointments.all()[0].ticket is ticket
        assert {t.pk for t in ticket.siblings} == others
    assert str(rich.timeline.first().actor) == names[0]
    with django_assert_num_queries(1):  # a filter on a loaded relation queries as before
        assert list(ticket.appointments.filter(kind=Appointment.Kind.REPAIR)) == [
            a for a in ticket.appointments.all() if a.kind == Appointment.Kind.REPAIR
        ]
    with django_assert_num_queries(1):  # a deferred field loads when read
        assert ticket.escalations.all()[0].evidence == "很长的证据"


def test_the_ticket_page_reads_its_lists_in_one_query(client, world, rich):
    client.force_login(world.users["front_desk"])
    client.get(rich.get_absolute_url())
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(rich.get_absolute_url())
    assert response.status_code == 200
    lists = [q for q in ctx.captured_queries if "json_agg" in q["sql"]]
    assert len(lists) == 1
    html = response.content.decode()
    assert rich.notices.get().contractor.name in html and str(world.users["director"]) in html


def test_the_conditions_read_the_latest_notice_and_plan_from_the_loaded_lists(world, rich, django_assert_num_queries):
    from tickets import conditions
    from tickets.models import RepairPlan

    newer = RepairPlan.objects.create(ticket=rich, cause="复查", method="补做", written_by=world.users["steward"])
    notice = rich.notices.get()
    ticket = loaded(rich, True)
    with django_assert_num_queries(0):
        assert conditions._latest(ticket.plans.all()) == newer
        assert conditions._latest(ticket.notices.all()) == notice
        assert conditions.notice_accepted(ticket) == (notice.status == "accepted")
    with django_assert_num_queries(1):  # not loaded: a query, the same answer
        assert conditions._latest(rich.plans.all()) == newer
