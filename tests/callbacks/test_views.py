"""CS pages: role checks (403), project scope (404), a fixed number of queries, the form's outcomes."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from callbacks.models import Callback, FollowUpCase, SurveyCampaign, SurveyResponse
from callbacks.selectors import callback_queue, courtesy_visits_due, warranty_expiring
from tests.factories import OwnershipFactory, UnitFactory, category
from tests.tickets.lifecycle import advance, fresh, new_ticket
from tickets.models import State
from warranty.coverage import _last_day

pytestmark = pytest.mark.django_db


def test_queue_groups_by_due_date(world, in_callback):
    cb = in_callback.callback
    today = timezone.localdate()
    cs = world.users["customer_service"]
    Callback.objects.filter(pk=cb.pk).update(due_from=today, due_by=today + dt.timedelta(days=2))
    assert [c.pk for c in callback_queue(cs).due_today] == [cb.pk]
    Callback.objects.filter(pk=cb.pk).update(due_from=today - dt.timedelta(days=5), due_by=today - dt.timedelta(days=1))
    assert [c.pk for c in callback_queue(cs).overdue] == [cb.pk]
    Callback.objects.filter(pk=cb.pk).update(due_from=today + dt.timedelta(days=1), due_by=today + dt.timedelta(days=3))
    assert [c.pk for c in callback_queue(cs).upcoming] == [cb.pk]
    assert callback_queue(cs, project_id=world.other_project.pk).upcoming == []
    assert callback_queue(world.users["outsider"]).upcoming == []


def test_queue_page_has_a_fixed_number_of_queries(client, world, in_callback):
    client.force_login(world.users["customer_service"])
    url = reverse("callbacks:queue")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    advance(world, new_ticket(world), State.CALLBACK)
    advance(world, new_ticket(world), State.CALLBACK)
    with CaptureQueriesContext(connection) as three:
        page = client.get(url)
    assert page.content.count(b"/callbacks/take/") == 3
    assert len(three) == len(one)


@pytest.mark.parametrize("name", ["queue", "follow_ups", "reinspections", "extended_care", "surveys"])
def test_cs_pages_refuse_other_roles(client, world, name):
    client.force_login(world.users["steward"])
    assert client.get(reverse(f"callbacks:{name}")).status_code == 403
    client.force_login(world.users["customer_service"])
    assert client.get(reverse(f"callbacks:{name}")).status_code == 200


def test_front_desk_list_and_contact_changes_roles(client, world, in_callback):
    client.force_login(world.users["contractor"])
    assert client.get(reverse("callbacks:notifications")).status_code == 403
    client.force_login(world.users["front_desk"])
    page = client.get(reverse("callbacks:notifications"))
    assert in_callback.number.encode() in page.content
    assert client.get(reverse("callbacks:contact_changes")).status_code == 403
    response = client.post(
        reverse("callbacks:notification_attempt", args=[in_callback.number]), {"reached": "no", "method": "phone"}
    )
    assert response.status_code == 302
    assert fresh(in_callback).notification_round.failed_attempts == 1


def test_callback_form_out_of_scope_is_404(client, world, in_callback):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="customer_service", projects=[world.other_project]))
    assert client.get(reverse("callbacks:take", args=[in_callback.number])).status_code == 404


def test_callback_form_satisfied_archives(client, world, in_callback):
    client.force_login(world.users["customer_service"])
    url = reverse("callbacks:take", args=[in_callback.number])
    page = client.get(url)
    assert page.status_code == 200 and b"autofocus" in page.content and b"accesskey" in page.content
    data = {
        "reached": "yes",
        "resolved": "yes",
        "quality": "satisfied",
        "attitude": "satisfied",
        "timeliness": "neutral",
    }
    assert client.post(url, data).status_code == 302
    assert fresh(in_callback).state == State.ARCHIVED


def test_callback_form_shows_service_errors_on_the_field(client, world, in_callback):
    client.force_login(world.users["director"])
    url = reverse("callbacks:take", args=[in_callback.number])
    data = {
        "reached": "yes",
        "resolved": "yes",
        "quality": "dissatisfied",
        "attitude": "satisfied",
        "timeliness": "satisfied",
    }
    page = client.post(url, data)
    assert page.status_code == 200 and page.context["form"].errors["meets_standard"]
    assert b'value="dissatisfied" id="id_quality_2" checked' in page.content  # answers survive the error
    assert page.content.count(b"autofocus") == 1
    data["meets_standard"] = "yes"
    assert client.post(url, data).status_code == 302
    assert FollowUpCase.objects.get().reason == "acceptable"


def test_warranty_expiry_reminders(world):
    """Plumbing and electrical (2 years) ends 2 years after delivery: listed when that falls in the next N months."""
    delivered = world.unit.delivered_on
    plumbing = category("plumbing_electrical")
    ends = _last_day(delivered, 24)
    cs = world.users["customer_service"]
    rows = warranty_expiring(cs, within_months=2, today=ends - dt.timedelta(days=30))
    assert any(r.category == plumbing and r.until == ends and r.owner == world.owner for r in rows)
    assert all(
        r.category != plumbing for r in warranty_expiring(cs, within_months=2, today=ends + dt.timedelta(days=1))
    )
    assert all(
        r.category != plumbing for r in warranty_expiring(cs, within_months=2, today=ends - dt.timedelta(days=90))
    )
    assert warranty_expiring(world.users["outsider"], within_months=60) == []


def test_courtesy_visits(world):
    delivered = world.unit.delivered_on
    visit_on = _last_day(delivered, 3) + dt.timedelta(days=1)
    due = courtesy_visits_due(world.users["customer_service"], months_after=3, today=visit_on + dt.timedelta(days=3))
    assert [(u, o) for u, o, _ in due] == [(world.unit, world.owner)]
    assert (
        courtesy_visits_due(world.users["customer_service"], months_after=3, today=visit_on - dt.timedelta(days=1))
        == []
    )


def test_survey_reuses_the_callback_questions(client, world):
    campaign = SurveyCampaign.objects.create(
        project=world.project,
        name="2026 Q4",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        created_by=world.users["director"],
    )
    other = UnitFactory(building=world.unit.building, number="3-2-1202")
    OwnershipFactory(unit=other)
    client.force_login(world.users["customer_service"])
    page = client.get(reverse("callbacks:survey_detail", args=[campaign.pk]))
    assert b"3-2-1202" in page.content
    url = reverse("callbacks:survey_take", args=[campaign.pk, other.pk])
    data = {
        "reached": "yes",
        "quality": "satisfied",
        "attitude": "neutral",
        "timeliness": "dissatisfied",
        "suggestions": "快一点",
    }
    assert client.post(url, data).status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.unit, answer.timeliness, answer.by) == (other, "dissatisfied", world.users["customer_service"])
    client.force_login(world.users["outsider"])
    assert client.get(url).status_code == 403


def test_warranty_expiry_list_has_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for n in range(5):
        unit = UnitFactory(building=world.unit.building, number=f"3-1-{n}01")
        OwnershipFactory(unit=unit)
    # role and projects of the user, units, owners, periods, seasons: whatever the number of units
    with django_assert_max_num_queries(6):
        warranty_expiring(world.users["customer_service"], within_months=60)


def test_non_warranty_issues_are_listed_for_the_daily_report(world, in_callback):
    from callbacks import services as cbs
    from callbacks.selectors import non_warranty_issues

    answer = cbs.CallbackAnswer(
        reached=True,
        resolved=True,
        quality="satisfied",
        attitude="satisfied",
        timeliness="satisfied",
        non_warranty_issues="电梯异响",
    )
    cbs.callback_record(callback=in_callback.callback, by=world.users["customer_service"], answer=answer)
    rows = non_warranty_issues(world.users["director"], day=timezone.localdate())
    assert [r.non_warranty_issues for r in rows] == ["电梯异响"]


def test_queue_counts_by_project(world, in_callback):
    queue = callback_queue(world.users["customer_service"])
    assert [(r["project"], r["overdue"] + r["due_today"] + r["upcoming"]) for r in queue.by_project] == [
        (world.project, 1)
    ]
