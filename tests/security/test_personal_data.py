"""Owners' personal data: masked in lists, exported on request, anonymised after retention."""

import datetime as dt
import io
import json

from django.core.management import call_command

from tests.factories import OwnerFactory, OwnershipFactory
from tests.tickets.conftest import new_report
from tickets.models import Report, Ticket
from warranty.personal_data import mask_phone, owner_anonymise, owners_due_for_anonymising


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+8613812341234") == "138****1234"
    assert mask_phone("") == ""


def test_export_contains_the_owner_and_their_reports(world):
    report = new_report(world)
    out = io.StringIO()
    call_command("export_owner", str(world.owner.pk), stdout=out)
    data = json.loads(out.getvalue())
    assert data["owner"]["name"] == world.owner.name
    assert [r["number"] for r in data["reports"]] == [report.number]
    csv_out = io.StringIO()
    call_command("export_owner", str(world.owner.pk), "--format", "csv", stdout=csv_out)


def test_anonymise_keeps_statistics_and_scrubs_history(world):
    report = new_report(world)
    owner = world.owner
    old_name, old_phone = owner.name, str(owner.phone)
    owner_anonymise(owner)
    owner.refresh_from_db()
    assert owner.anonymised_at and not owner.phone and owner.name.startswith("已匿名")
    assert not owner.history.filter(name=old_name).exists()
    report.refresh_from_db()
    assert report.reporter_name.startswith("已匿名") and not report.contact_phone
    assert not Report.history.filter(reporter_name=old_name).exists()
    assert not Report.history.filter(contact_phone=old_phone).exists()
    assert Ticket.objects.filter(report=report).count() == 1  # statistics unchanged


def test_only_former_owners_past_retention_are_due(world, settings):
    settings.OWNER_DATA_RETENTION_YEARS = 5
    current = world.owner
    former = OwnerFactory()
    OwnershipFactory(
        unit=world.unit, owner=former, since=dt.date(2010, 1, 1), until=dt.date(2015, 1, 1), is_primary=False
    )
    recent_former = OwnerFactory()
    OwnershipFactory(
        unit=world.unit, owner=recent_former, since=dt.date(2020, 1, 1), until=dt.date(2025, 1, 1), is_primary=False
    )
    due = set(owners_due_for_anonymising())
    assert former in due and current not in due and recent_former not in due
    out = io.StringIO()
    call_command("anonymise_owners", stdout=out)
    assert "1 owners anonymised" in out.getvalue()


def test_lists_show_masked_phones_and_the_ticket_page_shows_them_on_need(world, client):
    """Queues and search mask the number; the ticket page shows it in full to the front desk and the
    ticket's steward, masked to roles that do not call owners."""
    from django.urls import reverse

    from tests.tickets.lifecycle import advance
    from tickets.models import State

    report = new_report(world, confirm=False)
    ticket = advance(world, report.tickets.get(), State.DISPATCH)
    digits = str(report.contact_phone.national_number)
    full, masked = report.contact_phone.as_national, f"{digits[:3]}****{digits[-4:]}"

    client.force_login(world.users["front_desk"])
    queue = client.get(reverse("tickets:queue", args=["first-contact"])).content.decode()
    assert masked in queue and full not in queue and digits not in queue
    page = reverse("tickets:detail", args=[ticket.number])
    assert full in client.get(page).content.decode()

    client.force_login(world.users["steward"])  # the ticket's steward (advance() assigned them)
    assert full in client.get(page).content.decode()

    client.force_login(world.users["finance"])
    body = client.get(page).content.decode()
    assert masked in body and full not in body
