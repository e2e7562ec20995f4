"""The escalation queue pages: director and GM only (403), project-scoped, the GM names a follower."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tickets.escalations import escalation_raise
from tickets.models import Escalation, OutboxMessage

from .test_detectors import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalation(sla_world):
    ticket = report(sla_world)
    return escalation_raise(
        ticket=ticket, by=sla_world.users["customer_service"], reason=Escalation.Reason.CONTRACTOR_STAFF, note="态度差"
    )


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["director", "project_gm"])
def test_director_and_gm_see_the_queue(client, sla_world, escalation, role):
    response = login(client, sla_world.users[role]).get(reverse("escalations:list"))
    assert response.status_code == 200
    assert escalation.summary in response.content.decode()
    detail = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert detail.status_code == 200
    # The evidence links the ticket, in words rather than the stored keys ("id: 40 · ticket: …").
    ticket = escalation.ticket
    assert f'<a href="{reverse("tickets:detail", args=[ticket.number])}">{ticket.number}</a>' in detail.content.decode()
    assert f"id: {ticket.pk}" not in detail.content.decode()


def test_a_detectors_figures_are_labelled():
    escalation = Escalation(evidence=[{"ticket": "P1-1", "id": 1}, {"affected_units": 3, "units": 12}])
    assert escalation.evidence_lines == [
        {"ticket": "P1-1"},
        {"text": "units with this defect: 3 · units in the batch: 12"},
    ]


@pytest.mark.parametrize("role", ["steward", "front_desk", "contractor", "finance"])
def test_other_roles_get_403(client, sla_world, escalation, role):
    login(client, sla_world.users[role])
    assert client.get(reverse("escalations:list")).status_code == 403
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 403


def test_a_director_of_another_project_sees_nothing(client, sla_world, escalation):
    login(client, sla_world.users["outsider"])
    assert escalation.summary not in client.get(reverse("escalations:list")).content.decode()
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 404


def test_the_gm_names_a_person_who_is_told_and_can_resolve(client, sla_world, escalation):
    follower = sla_world.users["customer_service"]
    login(client, sla_world.users["project_gm"])
    url = reverse("escalations:action", args=[escalation.pk, "assign"])
    assert client.post(url, {"assignee": follower.pk, "note": "请跟进"}).status_code == 302
    escalation = Escalation.objects.get(pk=escalation.pk)
    assert escalation.assignee == follower and escalation.status == Escalation.Status.ACKNOWLEDGED
    assert OutboxMessage.objects.filter(event="escalation_assigned", recipient=follower).exists()
    # The named person (not a queue role) may open and resolve it.
    login(client, follower)
    assert client.get(reverse("escalations:detail", args=[escalation.pk])).status_code == 200
    client.post(reverse("escalations:action", args=[escalation.pk, "resolve"]), {"note": "已更换施工人员"})
    escalation = Escalation.objects.get(pk=escalation.pk)
    assert escalation.status == Escalation.Status.RESOLVED and escalation.resolution_note == "已更换施工人员"
    assert escalation.history.count() >= 3


def test_only_the_gm_names_the_follower(client, sla_world, escalation):
    login(client, sla_world.users["director"])
    response = client.post(
        reverse("escalations:action", args=[escalation.pk, "assign"]), {"assignee": sla_world.users["steward"].pk}
    )
    assert response.status_code == 403
    escalation = Escalation.objects.get(pk=escalation.pk)
    assert escalation.assignee is None


def test_the_follower_must_serve_the_project(client, sla_world, escalation):
    stranger = UserFactory(role="customer_service", projects=[sla_world.other_project])
    login(client, sla_world.users["project_gm"])
    client.post(reverse("escalations:action", args=[escalation.pk, "assign"]), {"assignee": stranger.pk})
    escalation = Escalation.objects.get(pk=escalation.pk)
    assert escalation.assignee is None


def test_a_resolved_escalation_can_be_raised_again(sla_world, escalation):
    from tickets.escalations import escalation_resolve

    escalation_resolve(escalation=escalation, by=sla_world.users["director"], note="处理完毕")
    again = escalation_raise(
        ticket=escalation.ticket, by=sla_world.users["customer_service"], reason=escalation.reason, note="再次投诉"
    )
    assert again is not None and again.pk != escalation.pk


def test_admin_pages_for_sla_models_open(admin_client, settings, sla_world, escalation):
    for name in ["slapolicy", "slaclock", "escalation", "agreedcadence"]:
        response = admin_client.get(reverse(f"admin:tickets_{name}_changelist"))
        assert response.status_code == 200, name
