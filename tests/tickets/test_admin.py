"""The ticket admin: fixed queries whatever the row count, transitions only through services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets import services as s
from tickets.models import ContactAttempt, Report, State, Ticket

from .conftest import new_report
from .lifecycle import fresh


def _copy_tickets(template: Ticket, n: int, start: int):
    """Many tickets fast (no history needed for a list test)."""
    rows = []
    for i in range(start, start + n):
        rows.append(
            Ticket(
                report=template.report,
                seq=100 + i,
                number=f"{template.number}-x{i}",
                project=template.project,
                unit=template.unit,
                location=template.location,
                category=template.category,
                description="批量",
            )
        )
    Ticket.objects.bulk_create(rows)


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:tickets_ticket_changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_ticket_changelist_runs_the_same_queries_for_50_and_500_rows(world, admin_client):
    template = new_report(world).tickets.get()
    _copy_tickets(template, 49, 0)
    at_50 = _changelist_queries(admin_client)
    _copy_tickets(template, 450, 49)
    assert Ticket.objects.count() == 500
    at_500 = _changelist_queries(admin_client)
    assert at_50 == at_500


def test_admin_transition_goes_through_the_service(world, client):
    director = world.users["director"]
    client.force_login(director)
    ticket = new_report(world, confirm=False).tickets.get()
    url = reverse("admin:tickets_ticket_transition", args=[ticket.pk, "cancel"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"note": ""}, follow=True)  # a reason is required
    assert fresh(ticket).state == State.INTAKE
    assert "reason" in response.content.decode().lower() or "原因" in response.content.decode()
    client.post(url, {"note": "重复报修"})
    ticket = fresh(ticket)
    assert ticket.state == State.CANCELLED
    assert ticket.history.first().history_user == director


def test_admin_refuses_raw_state_edits_and_history_revert(world, admin_client):
    ticket = new_report(world).tickets.get()
    change = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    response = admin_client.post(change, {"state": State.ARCHIVED})
    assert response.status_code in (302, 403)
    assert fresh(ticket).state == State.TRIAGE
    history_id = ticket.history.first().history_id
    revert = reverse("admin:tickets_ticket_simple_history", args=[ticket.pk, history_id])
    response = admin_client.post(revert, {})
    assert response.status_code in (403, 302, 405)
    assert fresh(ticket).state == State.TRIAGE


def test_a_recorded_call_cannot_be_deleted_even_by_a_superuser(world, admin_client):
    ticket = new_report(world).tickets.get()
    attempt = s.contact_attempt_record(
        ticket=ticket, by=world.users["front_desk"], purpose="first_contact", reached=True
    )
    assert admin_client.get(reverse("admin:tickets_contactattempt_delete", args=[attempt.pk])).status_code == 403
    response = admin_client.post(
        reverse("admin:tickets_contactattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert ContactAttempt.objects.filter(pk=attempt.pk).exists()
    assert not Report.objects.get(pk=ticket.report_id).awaiting_first_contact


def test_visits_dispatch_notices_and_outbox_rows_cannot_be_deleted_even_by_a_superuser(world, admin_client):
    from tickets.models import Appointment, DispatchNotice, OutboxMessage

    from .lifecycle import advance

    advance(world, new_report(world).tickets.get(), State.REPAIR)
    for model in (Appointment, DispatchNotice, OutboxMessage):
        row = model.objects.first()
        assert row is not None, model
        name = f"admin:tickets_{model._meta.model_name}"
        assert admin_client.get(reverse(f"{name}_delete", args=[row.pk])).status_code == 403
        changelist = admin_client.get(reverse(f"{name}_changelist"))
        assert changelist.status_code == 200 and "delete_selected" not in changelist.content.decode()
        admin_client.post(
            reverse(f"{name}_changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
        )
        assert model.objects.filter(pk=row.pk).exists(), model


def test_steward_of_another_project_sees_no_tickets_in_the_admin(world, client):
    new_report(world)
    outsider = world.users["outsider"]
    outsider.is_staff = True
    outsider.save()
    from django.contrib.auth.models import Permission

    outsider.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(outsider)
    response = client.get(reverse("admin:tickets_ticket_changelist"))
    assert response.status_code == 200
    assert "YQF-" not in response.content.decode()


@pytest.mark.parametrize(
    "name", ["tickets_report", "tickets_ticket", "tickets_dispatchnotice", "tickets_outboxmessage"]
)
def test_admin_pages_render(world, admin_client, name):
    new_report(world)
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
