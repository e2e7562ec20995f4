"""Public owner pages: progress lookup (no personal data, rate-limited) and web reporting."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import category
from tickets import services as s
from tickets.models import Channel, Location, Report, State

from .conftest import jpeg_upload, new_report
from .lifecycle import advance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def last4(phone) -> str:
    return str(phone.national_number)[-4:]


def wrong(world) -> str:
    """Four digits that end neither the owner's phone nor the report's contact phone."""
    return "9876" if last4(world.owner.phone) != "9876" else "1234"


def lookup(client, number, digits, ip="10.0.0.1"):
    return client.post(reverse("tickets:owner_lookup"), {"number": number, "last4": digits}, REMOTE_ADDR=ip)


def test_lookup_shows_states_steward_and_next_step_without_personal_data(client, world):
    report = new_report(world, note="内部备注：业主脾气急")
    ticket = advance(world, report.tickets.get(), State.DISPATCH)
    response = lookup(client, report.number.lower(), last4(world.owner.phone))
    assert response.status_code == 200
    html = response.content.decode()
    assert report.number in html
    assert ticket.get_state_display() in html
    assert world.users["steward"].display_name in html
    assert "survey" in html or "勘" in html  # the next step of the dispatch stage
    assert world.owner.name not in html
    phone = str(world.owner.phone.national_number)
    assert phone not in html and phone[-4:] not in html
    assert "内部备注" not in html


def test_a_defect_reopened_at_the_callback_is_not_called_closed(client, world):
    """Reopened at the callback, a ticket is archived as unresolved and a repeat continues it in the same
    report: the owner read "Closed. Thank you for your patience." beside the first."""
    ticket = advance(world, new_report(world).tickets.get(), State.CALLBACK)
    repeat = s.ticket_reopen(ticket=ticket, by=world.users["customer_service"], note="仍然渗水")
    html = lookup(client, ticket.report.number, last4(world.owner.phone)).content.decode()
    assert f"Not solved yet: the repair continues as {repeat.number}." in html
    assert "Thank you for your patience" not in html


def test_lookup_page_html_contains_neither_owner_name_nor_phone(client, world):
    """The form page and the result page never show the owner's name or phone, whole or masked."""
    report = new_report(world)
    pages = [client.get(reverse("tickets:owner_lookup")), lookup(client, report.number, last4(world.owner.phone))]
    phone = str(world.owner.phone.national_number)
    for page in pages:
        html = page.content.decode()
        assert world.owner.name not in html
        assert phone not in html
        assert world.owner.masked_phone not in html
        assert report.reporter_name not in html


def test_the_progress_page_offers_the_warranty_center_as_a_call(client, world):
    world.project.center_phone = "0571-8888 6666"
    world.project.save()
    report = new_report(world)
    html = lookup(client, report.number, last4(world.owner.phone)).content.decode()
    assert '<a href="tel:057188886666">0571-8888 6666</a>' in html


def test_lookup_fails_with_one_message_for_wrong_digits_and_unknown_numbers(client, world):
    report = new_report(world)
    refused = lookup(client, report.number, wrong(world))
    unknown = lookup(client, "YQF-000000-999", last4(world.owner.phone), ip="10.0.0.2")
    assert refused.status_code == unknown.status_code == 400
    assert 'id="lookup-error"' in refused.content.decode()
    assert "Report progress" not in refused.content.decode()
    invalid = lookup(client, report.number, "12a", ip="10.0.0.3")
    assert invalid.status_code == 400 and "id_last4_error" in invalid.content.decode()


def test_lookup_locks_out_after_five_failures_per_address(client, world):
    report = new_report(world)
    for _ in range(4):
        assert lookup(client, report.number, wrong(world)).status_code == 400
    locked = lookup(client, report.number, wrong(world))
    assert locked.status_code == 429
    assert 'id="locked-message"' in locked.content.decode()
    # even the right digits are refused while locked
    assert lookup(client, report.number, last4(world.owner.phone)).status_code == 429
    # another report from the same address is locked too
    other = new_report(world)
    assert lookup(client, other.number, last4(world.owner.phone)).status_code == 429


def test_lookup_locks_out_a_report_number_tried_from_many_addresses(client, world):
    report = new_report(world)
    for i in range(5):
        lookup(client, report.number, wrong(world), ip=f"10.1.0.{i}")
    assert lookup(client, report.number, last4(world.owner.phone), ip="10.9.9.9").status_code == 429
    # other numbers from a fresh address still work
    other = new_report(world)
    assert lookup(client, other.number, last4(world.owner.phone), ip="10.9.9.8").status_code == 200


def test_lookup_accepts_the_contact_phone_of_the_report(client, world):
    report = new_report(world)
    report.contact_phone = "+8613900001111"
    report.save()
    assert lookup(client, report.number, "1111").status_code == 200


def web_report_data(world, **overrides):
    data = {
        "project": str(world.project.pk),
        "unit_number": "3-2-1201",
        "owner_phone": str(world.owner.phone.national_number),
        "reporter_name": "李先生",
        "contact_phone": "",
        "expected_note": "周末",
        "defects-TOTAL_FORMS": "1",
        "defects-INITIAL_FORMS": "0",
        "defects-MIN_NUM_FORMS": "1",
        "defects-MAX_NUM_FORMS": "10",
        "defects-0-location": Location.KITCHEN,
        "defects-0-location_detail": "",
        "defects-0-part": "水槽",
        "defects-0-category": str(category("plumbing_electrical").pk),
        "defects-0-description": "厨房水槽下方漏水",
    }
    data.update(overrides)
    return data


def test_owner_web_report_waits_in_intake_for_the_front_desk(client, world):
    data = web_report_data(world)
    data["defects-0-photos"] = jpeg_upload()
    response = client.post(reverse("tickets:owner_report"), data)
    assert response.status_code == 200, response.content.decode()[:3000]
    report = Report.objects.get()
    assert report.number in response.content.decode()
    assert report.channel == Channel.WEB and report.received_by is None
    assert report.tickets.get().state == State.INTAKE
    assert report.tickets.get().attachments.count() == 1


@pytest.mark.parametrize(
    ("overrides", "hint"),
    [
        ({"owner_phone": "13900000000"}, "id_owner_phone_error"),
        ({"unit_number": "9-9-999"}, "id_owner_phone_error"),
        ({"owner_phone": "123"}, "id_owner_phone_error"),
        ({"defects-0-description": ""}, "id_defects-0-description_error"),
        ({"unit_number": "3/2/1201"}, "id_unit_number_error"),
    ],
    ids=["wrong-phone", "unknown-unit", "invalid-phone", "empty-description", "bad-unit-number"],
)
def test_owner_web_report_bad_input(client, world, overrides, hint):
    response = client.post(reverse("tickets:owner_report"), web_report_data(world, **overrides))
    assert response.status_code == 400
    assert hint in response.content.decode()
    assert not Report.objects.exists()


def test_owner_web_report_is_rate_limited(client, world):
    for _ in range(5):
        client.post(reverse("tickets:owner_report"), web_report_data(world, owner_phone="13900000000"))
    response = client.post(reverse("tickets:owner_report"), web_report_data(world))
    assert response.status_code == 429
    assert not Report.objects.exists()


def test_owner_pages_are_public_and_mobile_friendly(client, world):
    for name in ("tickets:owner_lookup", "tickets:owner_report"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert 'name="viewport"' in response.content.decode()
