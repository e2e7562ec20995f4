"""Work queues, contact attempts in two clicks, search: right rows, fixed query counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import timezone

from tests.factories import category
from tickets import services as s
from tickets.models import OPEN_STATES, Channel, ContactAttempt, Location, Report, State, Ticket
from tickets.services import DefectInput
from warranty.personal_data import mask_phone
from warranty.reversing import reverse_cached
from warranty.reversing import reverse_cached as jinja_url  # what the rows call as url()

from .conftest import new_report
from .lifecycle import advance

pytestmark = pytest.mark.django_db

QUEUE_SLUGS = ["first-contact", "to-book", "to-notify", "not-reached", "web"]


def fill_queues(world, n):
    """``n`` more rows in every queue (reports past intake get a reached first contact)."""
    desk = world.users["front_desk"]
    for _ in range(n):
        new_report(world)  # first contact due
        simple = new_report(world).tickets.get()
        advance(world, simple, State.DISPATCH, difficulty="simple")  # to book
        done = advance(world, new_report(world).tickets.get(), State.CALLBACK)  # to notify
        unreached = advance(world, new_report(world).tickets.get(), State.CALLBACK)
        s.contact_attempt_record(ticket=unreached, by=desk, purpose="completion", reached=False)
        assert done.state == State.CALLBACK
        new_report(world, by=None, confirm=False, channel=Channel.WEB)  # web report to confirm
    for report in world.project.reports.exclude(channel=Channel.WEB):
        if not report.contact_attempts.filter(purpose="first_contact").exists() and report.tickets.filter(
            state__in=[State.DISPATCH, State.CALLBACK]
        ):
            s.contact_attempt_record(ticket=report.tickets.first(), by=desk, purpose="first_contact", reached=True)


def count_queries(client, url):
    client.get(url)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("slug", QUEUE_SLUGS)
def test_each_queue_runs_a_fixed_number_of_queries(client, world, slug, django_assert_num_queries):
    client.force_login(world.users["front_desk"])
    url = reverse("tickets:queue", args=[slug])
    fill_queues(world, 1)
    small, response = count_queries(client, url)
    # owners not reached are still owners to notify; web reports also wait for their first contact
    per_fill = 2 if slug in ("to-notify", "first-contact") else 1
    assert response.context["page"].paginator.count == per_fill, slug
    fill_queues(world, 2)
    client.get(url)
    with django_assert_num_queries(small):
        response = client.get(url)
    assert response.context["page"].paginator.count == 3 * per_fill, slug


def test_first_contact_queue_sorts_by_deadline_and_marks_overdue(client, world):
    late = new_report(world, received_at=timezone.now() - dt.timedelta(hours=3))
    fresh = new_report(world)
    client.force_login(world.users["front_desk"])
    response = client.get(reverse("tickets:queue", args=["first-contact"]))
    rows = list(response.context["page"].object_list)
    assert [r.number for r in rows] == [late.number, fresh.number]
    assert rows[0].deadline == late.received_at + dt.timedelta(hours=2)
    html = response.content.decode()
    assert 'class="overdue"' in html
    overdue_only = client.get(reverse("tickets:queue", args=["first-contact"]), {"overdue": "1"})
    assert [r.number for r in overdue_only.context["page"].object_list] == [late.number]


def test_contact_attempt_in_two_clicks_moves_the_report_out_of_the_queue(client, world):
    report = new_report(world)
    ticket = report.tickets.get()
    client.force_login(world.users["front_desk"])
    url = reverse("tickets:contact_attempt", args=[ticket.number])
    # not reached: the row stays, with the attempt counted
    response = client.post(
        url, {"purpose": "first_contact", "reached": "0", "queue": "first-contact"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert report.number in response.content.decode()
    assert ContactAttempt.objects.filter(report=report, reached=False).count() == 1
    # reached: the row is replaced by a confirmation, and the queue is empty
    response = client.post(
        url, {"purpose": "first_contact", "reached": "1", "queue": "first-contact"}, HTTP_HX_REQUEST="true"
    )
    assert 'class="done"' in response.content.decode()
    queue = client.get(reverse("tickets:queue", args=["first-contact"]))
    assert queue.context["page"].paginator.count == 0


def test_completion_notice_counts_attempts_and_reaching_clears_the_queues(client, world):
    ticket = advance(world, new_report(world).tickets.get(), State.CALLBACK)
    client.force_login(world.users["front_desk"])
    url = reverse("tickets:contact_attempt", args=[ticket.number])
    for _ in range(2):
        client.post(url, {"purpose": "completion", "reached": "0", "queue": "not-reached"})
    page = client.get(reverse("tickets:queue", args=["not-reached"]))
    rows = list(page.context["page"].object_list)
    assert [(r.number, r.attempts) for r in rows] == [(ticket.number, 2)]
    last = ContactAttempt.objects.filter(ticket=ticket).latest("at").at
    next_try = timezone.localtime(last + dt.timedelta(days=2)).strftime("%m-%d")
    assert f"next try {next_try}" in page.content.decode()  # two days after the last failed call
    client.post(url, {"purpose": "completion", "reached": "1"})
    for slug in ("to-notify", "not-reached"):
        assert client.get(reverse("tickets:queue", args=[slug])).context["page"].paginator.count == 0


def test_contact_attempt_with_bad_input_is_400_and_saves_nothing(client, world):
    ticket = new_report(world).tickets.get()
    client.force_login(world.users["front_desk"])
    response = client.post(reverse("tickets:contact_attempt", args=[ticket.number]), {"purpose": "gossip"})
    assert response.status_code == 400
    assert not ContactAttempt.objects.exists()


def test_web_reports_are_confirmed_from_their_queue(client, world):
    report = new_report(world, by=None, confirm=False, channel=Channel.WEB)
    client.force_login(world.users["front_desk"])
    rows = client.get(reverse("tickets:queue", args=["web"])).context["page"].object_list
    assert [r.number for r in rows] == [report.number]
    response = client.post(reverse("tickets:web_report_confirm", args=[report.number]))
    assert response.status_code == 302
    assert report.tickets.get().state == State.TRIAGE
    assert client.get(reverse("tickets:queue", args=["web"])).context["page"].paginator.count == 0


def test_queue_filters_sorting_and_pagination(client, world, settings):
    from tickets.views import frontdesk

    reports = [new_report(world, received_at=timezone.now() - dt.timedelta(minutes=i)) for i in range(3)]
    client.force_login(world.users["front_desk"])
    url = reverse("tickets:queue", args=["first-contact"])
    original = frontdesk.PAGE_SIZE
    frontdesk.PAGE_SIZE = 2
    try:
        page1 = client.get(url, {"sort": "-deadline"})
        page2 = client.get(url, {"sort": "-deadline", "page": "2"})
    finally:
        frontdesk.PAGE_SIZE = original
    assert [r.number for r in page1.context["page"].object_list] == [reports[0].number, reports[1].number]
    assert [r.number for r in page2.context["page"].object_list] == [reports[2].number]
    assert client.get(url, {"emergency": "1"}).context["page"].paginator.count == 0
    assert client.get(url, {"project": str(world.other_project.pk)}).context["page"].paginator.count == 0
    assert client.get(url, {"sort": "drop table"}).status_code == 200


def test_the_project_filter_is_offered_to_those_who_serve_several_projects(client, world):
    url = reverse("tickets:queue", args=["to-book"])
    desk = world.users["front_desk"]
    client.force_login(desk)
    assert 'name="project"' not in client.get(url).content.decode()  # one project: nothing to choose

    desk.projects.add(world.other_project)
    page = client.get(url).content.decode()
    assert 'name="project"' in page
    assert f'value="{world.project.pk}"' in page and f'value="{world.other_project.pk}"' in page


def test_search_by_number_unit_phone_and_name_with_fixed_queries(client, world, django_assert_num_queries):
    report = new_report(world)
    client.force_login(world.users["front_desk"])
    url = reverse("tickets:search")
    phone_digits = str(world.owner.phone.national_number)
    for q in [report.number, "3-2-1201", phone_digits[-8:], world.owner.name]:
        response = client.post(url, {"q": q})
        assert [t.number for t in response.context["page"].object_list] == [report.tickets.get().number], q
    client.post(url, {"q": "3-2-1201"})
    with CaptureQueriesContext(connection) as ctx:
        client.post(url, {"q": "3-2-1201"})
    for _ in range(3):
        new_report(world)
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.post(url, {"q": "3-2-1201"})
    assert response.context["page"].paginator.count == 4
    # the outsider (other project) finds nothing
    client.force_login(world.users["outsider"])
    assert client.post(url, {"q": report.number}).status_code == 403


def test_tab_counts_are_cached_until_a_write_in_the_project(client, world, django_assert_num_queries):
    """The five counts are computed once; a report, a ticket change or a contact attempt in the
    project retires them, so the badges never lag behind the front desk's own work."""
    from django.core.cache import cache

    cache.clear()
    client.force_login(world.users["front_desk"])
    url = reverse("tickets:queue", args=["to-book"])
    first, response = count_queries(client, url)  # the second request of the two is served from the cache
    counts = {tab["queue"].slug: tab["count"] for tab in response.context["tabs"]}
    assert counts["first-contact"] == 0
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    # a cold cache counts all five queues (and the session, cached too, is read from its table again)
    assert len(cold.captured_queries) == first + len(QUEUE_SLUGS) + 1

    report = new_report(world)  # a write in the project: the counts follow at once
    response = client.get(url)
    assert {tab["queue"].slug: tab["count"] for tab in response.context["tabs"]}["first-contact"] == 1
    s.contact_attempt_record(
        ticket=report.tickets.get(), by=world.users["front_desk"], purpose="first_contact", reached=True
    )
    response = client.get(reverse("tickets:queue", args=["first-contact"]))
    assert response.context["page"].paginator.count == 0
    assert {tab["queue"].slug: tab["count"] for tab in response.context["tabs"]}["first-contact"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_retires_the_tab_counts_once_when_it_commits(client, world, monkeypatch):
    """A report with two defects writes five rows the counts depend on: the generations are written
    once, at commit; meanwhile the transaction sees its own rows and nobody caches them for others."""
    from django.core.cache import cache
    from django.db import transaction

    from tickets import queue_counts
    from tickets.services import DefectInput
    from tickets.views.frontdesk import QUEUES

    from .conftest import category

    cache.clear()
    desk = world.users["front_desk"]

    def counted():
        return queue_counts.cached_counts(
            desk, lambda: {"first-contact": QUEUES["first-contact"].selector(desk).count()}
        )

    assert counted() == {"first-contact": 0}
    bumps = []
    real_set_many = cache.set_many
    monkeypatch.setattr(cache, "set_many", lambda data, **kw: bumps.append(sorted(data)) or real_set_many(data, **kw))
    defects = [
        DefectInput(location="kitchen", category=category("waterproofing"), description="水槽下渗水"),
        DefectInput(location="balcony", category=category("waterproofing"), description="地漏返水"),
    ]
    with transaction.atomic():
        new_report(world, defects=defects)
        assert bumps == []  # nothing retired while the rows are not committed
        assert counted() == {"first-contact": 1}  # but this transaction sees its own report
    assert bumps == [sorted(["queues:gen:all", f"queues:gen:{world.project.pk}"])]  # once, at commit
    assert counted() == {"first-contact": 1}

    # A rolled-back report retires nothing; what it saw is not what the next transaction sees.
    with pytest.raises(RuntimeError), transaction.atomic():
        new_report(world)
        assert counted() == {"first-contact": 2}
        raise RuntimeError
    assert len(bumps) == 1
    with transaction.atomic():
        world.project.reports.first().tickets.first().save()
        assert counted() == {"first-contact": 1}
    assert len(bumps) == 2


def test_tab_counts_without_a_cache_are_counted(client, world, monkeypatch):
    """A cache that is down costs speed, never the page."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set_many", down)
    new_report(world)
    client.force_login(world.users["front_desk"])
    response = client.get(reverse("tickets:queue", args=["first-contact"]))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1


@pytest.mark.parametrize("number", ["P01-261123-001-1", "a b", "报修-7", "50%", "x?y#z"])
def test_row_urls_are_what_reverse_gives(number):
    """The queue rows' url() reverses a route once and fills in each number (config.jinja2)."""
    for name in ("tickets:report", "tickets:detail", "tickets:contact_attempt", "tickets:web_report_confirm"):
        assert jinja_url(name, number) == reverse(name, args=[number])
    set_script_prefix("/baoxiu/")
    try:
        assert jinja_url("tickets:detail", number) == reverse("tickets:detail", args=[number])
        assert jinja_url("tickets:detail", number).startswith("/baoxiu/tickets/")
    finally:
        set_script_prefix("/")
    assert jinja_url("tickets:attachment", number, 3) == reverse("tickets:attachment", args=[number, 3])
    with pytest.raises(NoReverseMatch):
        jinja_url("tickets:detail", "a/b")
    for name in ("home", "tickets:queues", "admin:index"):  # the menu's routes, without arguments
        assert reverse_cached(name) == reverse(name)
    assert reverse_cached("tickets:queue", "to-book") == reverse("tickets:queue", args=["to-book"])
    with pytest.raises(NoReverseMatch):
        reverse_cached("tickets:queue")


def test_a_queue_row_shows_its_report_in_local_time_with_the_two_click_call(client, world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    received = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)  # 07:30 on the 23rd in Shanghai
    report = new_report(world, received_at=received, is_emergency=True)
    client.force_login(world.users["front_desk"])
    html = client.get(reverse("tickets:queue", args=["first-contact"])).content.decode()
    row = html[html.index(f'data-report="{report.number}"') : html.index("</tr>", html.index(report.number))]
    assert f'href="{reverse("tickets:report", args=[report.number])}"' in row
    assert "紧急" in row and "已超时" in row  # emergency, and overdue (received + 2 h has passed)
    assert "11-23 07:30" in row and "11-23 09:30" in row  # received, deadline
    assert world.owner.name in row and mask_phone(world.owner.phone) in row and str(world.owner.phone) not in row
    action = reverse("tickets:contact_attempt", args=[report.tickets.get().number])
    assert f'action="{action}"' in row and 'name="csrfmiddlewaretoken"' in row
    assert 'name="queue" value="first-contact"' in row and "已联系上" in row and "未联系上" in row


def test_ticket_rows_show_unit_reporter_category_and_steward_in_the_pages_language(client, world):
    """The to-book and to-notify rows get these as annotated names (no joined instances): the same words as
    the models give them, the category in English on English pages, a dash without a steward."""
    from django.utils import translation

    booked = advance(world, new_report(world).tickets.get(), State.DISPATCH, difficulty="simple")
    told = advance(world, new_report(world).tickets.get(), State.CALLBACK)
    steward = world.users["steward"]
    client.force_login(world.users["front_desk"])

    def row(slug, ticket):
        html = client.get(reverse("tickets:queue", args=[slug])).content.decode()
        start = html.index(f'data-ticket="{ticket.number}"')
        return html[start : html.index("</tr>", start)]

    for language in ("zh-hans", "en"):
        client.post(reverse("set_language"), {"language": language, "next": "/"})
        with translation.override(language):
            name = booked.category.name
        for slug, ticket in (("to-book", booked), ("to-notify", told)):
            html = row(slug, ticket)
            assert ticket.unit.number in html and f"· {name}</td>" in html, (language, slug)
            assert f"<td>{steward.display_name}</td>" in html
        assert told.report.reporter_name in row("to-notify", told)
    assert booked.category.name_en and booked.category.name_en != booked.category.name_zh
    Ticket.objects.filter(pk=booked.pk).update(steward=None)
    assert "<td>—</td>" in row("to-book", booked)


def test_queue_rows_escape_what_owners_typed(client, world):
    """The rows are Jinja2 templates (autoescaped, as Django's): a web report's reporter name is text."""
    report = new_report(world, by=None, confirm=False, channel=Channel.WEB)
    Report.objects.filter(pk=report.pk).update(reporter_name='<script>alert("x")</script>')
    client.force_login(world.users["front_desk"])
    html = client.get(reverse("tickets:queue", args=["web"])).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def defect(description: str, location: str = Location.MASTER_BATHROOM) -> DefectInput:
    return DefectInput(location=location, category=category("waterproofing"), description=description)


def awaiting_by_definition(project) -> set[str]:
    """The first-contact queue as its definition reads: an open ticket, and no reached first contact."""
    return {
        r.number
        for r in project.reports.all()
        if r.tickets.filter(state__in=OPEN_STATES).exists()
        and not r.contact_attempts.filter(purpose="first_contact", reached=True).exists()
    }


def test_the_first_contact_queue_follows_the_tickets_and_the_calls(client, world):
    """``Report.awaiting_first_contact`` is stored; every event that can change it keeps it equal to the
    definition: a new report, a failed and a reached call, a cancelled ticket, a callback and a repeat."""
    desk = world.users["front_desk"]
    client.force_login(desk)

    def queue() -> set[str]:
        stored = set(world.project.reports.filter(awaiting_first_contact=True).values_list("number", flat=True))
        assert stored == awaiting_by_definition(world.project)
        response = client.get(reverse("tickets:queue", args=["first-contact"]))
        return {r.number for r in response.context["page"].object_list}

    two = new_report(world, defects=[defect("漏水"), defect("墙面开裂", location=Location.LIVING_ROOM)])
    cancelled = new_report(world)
    reached = new_report(world)
    web = new_report(world, by=None, confirm=False, channel=Channel.WEB)
    assert queue() == {two.number, cancelled.number, reached.number, web.number}

    s.contact_attempt_record(ticket=reached.tickets.first(), by=desk, purpose="first_contact", reached=False)
    assert reached.number in queue()  # a failed call keeps it
    s.contact_attempt_record(ticket=reached.tickets.first(), by=desk, purpose="first_contact", reached=True)
    s.ticket_cancel(ticket=cancelled.tickets.get(), by=world.users["director"], note="业主撤回")
    first, second = two.tickets.order_by("seq")
    s.ticket_cancel(ticket=first, by=world.users["director"], note="重复登记")
    assert queue() == {two.number, web.number}  # one of its two defects is still open

    # Nobody called, and the work is done: the callback is not an open state, so the queue lets it go …
    done = advance(world, second, State.CALLBACK)
    assert queue() == {web.number}
    # … until the owner, still never reached, has the defect reopened.
    s.ticket_reopen(ticket=done, by=world.users["customer_service"], note="仍然漏水")
    assert queue() == {two.number, web.number}
    # A repeat on a report whose owner was reached does not come back.
    again = advance(world, reached.tickets.get(), State.CALLBACK)
    s.ticket_reopen(ticket=again, by=world.users["customer_service"], note="仍然漏水")
    assert queue() == {two.number, web.number}


def test_the_to_notify_queue_follows_the_callback_and_the_completion_calls(client, world):
    """``Ticket.awaiting_completion_notice`` is stored and kept equal to its definition (in callback, and no
    reached completion notice); a copy of the ticket read before a call and saved after it does not put
    the old value back."""
    desk = world.users["front_desk"]
    client.force_login(desk)

    def queue() -> set[str]:
        stored = set(Ticket.objects.filter(awaiting_completion_notice=True).values_list("number", flat=True))
        by_definition = {
            t.number
            for t in Ticket.objects.filter(state=State.CALLBACK)
            if not t.contacts.filter(purpose="completion", reached=True).exists()
        }
        assert stored == by_definition
        response = client.get(reverse("tickets:queue", args=["to-notify"]))
        return {t.number for t in response.context["page"].object_list}

    told, reopened, archived = (advance(world, new_report(world).tickets.get(), State.CALLBACK) for _ in range(3))
    assert queue() == {told.number, reopened.number, archived.number}
    stale = Ticket.objects.get(pk=told.pk)
    s.contact_attempt_record(ticket=told, by=desk, purpose="completion", reached=False)
    assert told.number in queue()
    s.contact_attempt_record(ticket=told, by=desk, purpose="completion", reached=True)
    stale.close_reason = "saved from a copy read before the call"
    stale.save()
    assert queue() == {reopened.number, archived.number}
    repeat = s.ticket_reopen(ticket=reopened, by=world.users["customer_service"], note="仍然漏水")
    s.ticket_archive(ticket=archived, by=world.users["customer_service"])
    assert queue() == set()
    # The repeat's own callback is a new notice to give.
    repeat = advance(world, repeat, State.CALLBACK)
    assert queue() == {repeat.number}
