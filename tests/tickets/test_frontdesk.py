"""Front-desk pages: intake, report page and F01, the ticket page, access by role and by project."""

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.factories import (
    BuildingFactory,
    DeliveryBatchFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
    category,
)
from tickets import services as s
from tickets.models import Attachment, Escalation, Location, Report, State, Ticket
from tickets.selectors import action_label
from tickets.services import DefectInput, report_create
from warranty.models import DefectCategory

from .conftest import escalate, in_future, jpeg_upload, new_report
from .lifecycle import advance, out_of_warranty_ticket

pytestmark = pytest.mark.django_db


def login(client, world, role):
    client.force_login(world.users[role])
    return client


def intake_data(world, **overrides):
    data = {
        "unit": str(world.unit.pk),
        "reporter_name": world.owner.name,
        "reporter_relation": "owner",
        "contact_phone": "13812345678",
        "channel": "phone",
        "expected_at": "",
        "expected_note": "工作日晚上",
        "note": "",
        "defects-TOTAL_FORMS": "2",
        "defects-INITIAL_FORMS": "0",
        "defects-MIN_NUM_FORMS": "1",
        "defects-MAX_NUM_FORMS": "10",
        "defects-0-location": Location.MASTER_BATHROOM,
        "defects-0-location_detail": "",
        "defects-0-part": "顶棚",
        "defects-0-category": str(category("waterproofing").pk),
        "defects-0-description": "主卫顶棚渗水",
        "defects-1-location": Location.LIVING_ROOM,
        "defects-1-location_detail": "",
        "defects-1-part": "墙面",
        "defects-1-category": str(category("civil").pk),
        "defects-1-description": "客厅墙面开裂",
    }
    data.update(overrides)
    return data


def test_the_report_records_the_primary_contact_read_with_the_unit(client, world):
    """The intake form reads the unit's primary contact in the unit's own query, not one query more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import OwnershipFactory

    world.unit.ownerships.update(is_primary=False)  # a co-owner is the primary contact now
    contact = OwnershipFactory(unit=world.unit, is_primary=True).owner
    OwnershipFactory(unit=world.unit, is_primary=True, since=dt.date(2019, 1, 1), until=dt.date(2020, 1, 1))  # sold
    login(client, world, "front_desk")
    with CaptureQueriesContext(connection) as queries:
        assert client.post(reverse("tickets:intake"), intake_data(world)).status_code == 302
    assert Report.objects.get().owner == contact
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "warranty_ownership"')]


def other_world_report(world):
    """A report in a project the world's users do not serve."""
    batch = DeliveryBatchFactory(project=world.other_project)
    unit = UnitFactory(building=BuildingFactory(project=world.other_project, batch=batch), number="9-9-909")
    owner = OwnershipFactory(unit=unit).owner
    desk = UserFactory(role="front_desk", projects=[world.other_project])
    return report_create(
        by=desk,
        unit=unit,
        reporter_name=owner.name,
        contact_phone=str(owner.phone),
        defects=[
            DefectInput(
                location=Location.KITCHEN,
                category=category("civil"),
                description="厨房墙面开裂",
                photos=[jpeg_upload()],
            )
        ],
    )


# --- intake ------------------------------------------------------------------------------------


def test_front_desk_logs_a_report_with_two_defects_and_a_photo(client, world):
    """A valid intake saves one report with two confirmed tickets and the photo, then shows the number."""
    login(client, world, "front_desk")
    data = intake_data(world)
    data["defects-0-photos"] = jpeg_upload()
    response = client.post(reverse("tickets:intake"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert response.url == reverse("tickets:report", args=[report.number])
    assert report.tickets.count() == 2
    assert set(report.tickets.values_list("state", flat=True)) == {State.TRIAGE}
    assert Attachment.objects.filter(ticket__report=report).count() == 1
    assert report.owner == world.owner  # the unit's primary contact, read with the unit
    page = client.get(response.url)
    assert report.number in page.content.decode()
    assert reverse("tickets:owner_lookup") in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field_hint"),
    [
        ({"unit": ""}, "unit_errors"),
        ({"contact_phone": "12345"}, "id_contact_phone_error"),
        ({"defects-0-description": "   "}, "id_defects-0-description_error"),
    ],
    ids=["no-unit", "invalid-phone", "empty-description"],
)
def test_bad_input_shows_errors_next_to_fields_and_saves_nothing(client, world, overrides, field_hint):
    login(client, world, "front_desk")
    response = client.post(reverse("tickets:intake"), intake_data(world, **overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert field_hint in html
    if field_hint.startswith("id_"):  # the field points at its message (Django's aria-describedby) and it exists
        assert re.search(rf'aria-describedby="[^"]*{re.escape(field_hint)}\b', html), field_hint
        assert f'id="{field_hint}"' in html
    assert not Report.objects.exists()
    assert not Ticket.objects.exists()


def _big_jpeg(mb=11) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(out, format="JPEG")
    return SimpleUploadedFile("huge.jpg", out.getvalue() + b"\0" * (mb * 1024 * 1024), content_type="image/jpeg")


@pytest.mark.parametrize(
    "upload",
    [
        lambda: _big_jpeg(11),
        lambda: SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03" + b"\0" * 2000, content_type="image/jpeg"),
    ],
    ids=["11MB-photo", "exe-renamed-jpg"],
)
def test_bad_uploads_are_refused_beside_the_photo_field(client, world, upload, settings, tmp_path):
    login(client, world, "front_desk")
    data = intake_data(world)
    data["defects-1-photos"] = upload()
    response = client.post(reverse("tickets:intake"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "id_defects-1-photos_error" in html
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()
    private = tmp_path / "media" / "private"
    assert not private.exists() or not any(p.is_file() for p in private.rglob("*"))


def test_unit_search_finds_by_number_name_and_phone_and_stays_in_scope(client, world):
    login(client, world, "front_desk")
    url = reverse("tickets:unit_search")
    for q in ["1201", world.owner.name, str(world.owner.phone.national_number)[-6:]]:
        html = client.post(url, {"q": q}).content.decode()
        assert "3-2-1201" in html, q
    other = other_world_report(world)
    assert "9-9-909" not in client.post(url, {"q": "9-9-909"}).content.decode()
    assert client.get(reverse("tickets:unit_card", args=[other.unit_id])).status_code == 404
    card = client.get(reverse("tickets:unit_card", args=[world.unit.pk]))
    assert card.status_code == 200
    assert world.owner.name in card.content.decode()


def test_unit_card_warns_of_open_tickets_for_a_repeat(client, world):
    ticket = new_report(world).tickets.get()
    login(client, world, "front_desk")
    html = client.get(reverse("tickets:unit_card", args=[world.unit.pk])).content.decode()
    assert ticket.number in html
    assert f'data-ticket-location="{ticket.location}"' in html


# --- F01 -----------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_f01_pdf_contains_the_number_and_the_unit(client, world, tmp_path):
    report = new_report(world)
    login(client, world, "front_desk")
    response = client.get(reverse("tickets:report_f01", args=[report.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "f01.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert report.number in text
    assert "3-2-1201" in text


def test_f01_print_page_has_a_print_stylesheet(client, world):
    report = new_report(world)
    login(client, world, "front_desk")
    html = client.get(reverse("tickets:report_f01_print", args=[report.number])).content.decode()
    assert "@media print" in html and report.number in html


# --- the ticket page ---------------------------------------------------------------------------


def test_ticket_page_shows_actions_disabled_with_reasons(client, world):
    ticket = new_report(world).tickets.get()
    ticket = advance(world, ticket, State.TRIAGE)
    login(client, world, "director")
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert 'data-action="triage"' in html
    # The steward's triage needs nothing missing; a dispatch-stage ticket shows its conditions.
    ticket = advance(world, ticket, State.DISPATCH)
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "disabled" in html and "repair plan" in html


def test_ticket_page_queries_do_not_grow_with_the_other_defects_of_its_report(client, world):
    """The other defects of the report are listed with one query, however many there are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def defects(n):
        return [
            DefectInput(location=Location.KITCHEN, category=category("civil"), description=f"裂缝{i}") for i in range(n)
        ]

    login(client, world, "front_desk")
    counts = []
    for n in (2, 6):
        ticket = new_report(world, defects=defects(n)).tickets.order_by("seq").first()
        client.get(ticket.get_absolute_url())
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(ticket.get_absolute_url())
        assert response.status_code == 200
        assert response.content.decode().count("/tickets/" + ticket.report.number) >= n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_ticket_page_loads_names_and_numbers_in_a_fixed_number_of_queries(client, world):
    """Joined people come as names and the repeated ticket as its number (deferred columns): nothing is
    loaded per call, event or field, and the page shows them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = advance(world, new_report(world).tickets.get(), State.REPAIR)
    ticket = advance(world, new_report(world).tickets.get(), State.REPAIR)
    Ticket.objects.filter(pk=ticket.pk).update(repeat_of=first)
    login(client, world, "front_desk")

    def page():
        client.get(ticket.get_absolute_url())
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(ticket.get_absolute_url())
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    before, html = page()
    assert f">{first.number}</a>" in html and str(world.users["steward"]) in html
    for reached in (False, False, True):
        s.contact_attempt_record(ticket=ticket, by=world.users["customer_service"], purpose="progress", reached=reached)
    for reason, follower in (
        (Escalation.Reason.COMPENSATION, "director"),
        (Escalation.Reason.GROUP_COMPLAINT, "finance"),
    ):
        escalate(ticket, reason, world.users[follower])
    after, html = page()
    assert after == before
    assert html.count(str(world.users["customer_service"])) >= 6  # three calls, three timeline events
    assert str(world.users["director"]) in html and str(world.users["finance"]) in html  # who follows each


def test_the_history_of_changes_is_fetched_when_opened(client, world, django_assert_num_queries):
    """The ticket page's collapsed history section holds a link; opening it fetches the rows (htmx),
    the link without JavaScript opens them as a page; both within the user's projects."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = new_report(world).tickets.get()
    url = reverse("tickets:history", args=[ticket.number])
    login(client, world, "front_desk")
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert f'hx-get="{url}" hx-trigger="toggle once"' in html and f'<a href="{url}">' in html
    with CaptureQueriesContext(connection) as ctx:
        client.get(ticket.get_absolute_url())
    assert not [q for q in ctx.captured_queries if "historicalticket" in q["sql"]]
    client.get(url, headers={"HX-Request": "true"})
    with django_assert_num_queries(3):  # the user, the ticket in scope, its history (the session is cached)
        rows = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert rows.count("<tr>") == 2 and "<html" not in rows
    assert action_label("confirm") in rows and str(world.users["front_desk"]) in rows
    page = client.get(url)
    assert "HX-Request" in page["Vary"]
    assert (
        page.status_code == 200
        and "<html" in page.content.decode()
        and action_label("confirm") in page.content.decode()
    )
    other = other_world_report(world).tickets.get()
    assert client.get(reverse("tickets:history", args=[other.number])).status_code == 404
    login(client, world, "contractor")
    assert client.get(url).status_code == 403


def test_ticket_page_escapes_what_people_typed(client, world):
    """The Jinja2 body escapes like the Django templates did: descriptions keep their line breaks only."""
    hostile = "<script>alert(1)</script>"
    report = new_report(
        world,
        defects=[
            DefectInput(location=Location.KITCHEN, category=category("civil"), description=f"{hostile}\n第二行"),
            DefectInput(location=Location.KITCHEN, category=category("civil"), description="另一处"),
        ],
        note=f"<img src=x onerror=alert(1)>\n{hostile}",
        expected_note=hostile,
    )
    Report.objects.filter(pk=report.pk).update(reporter_name=hostile)
    ticket = report.tickets.order_by("seq").first()
    s.contact_attempt_record(
        ticket=ticket, by=world.users["front_desk"], purpose="progress", reached=False, note=hostile
    )
    login(client, world, "front_desk")
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in html


def test_ticket_action_confirms_through_the_service(client, world):
    ticket = new_report(world, confirm=False).tickets.get()
    login(client, world, "front_desk")
    response = client.post(reverse("tickets:ticket_action", args=[ticket.number, "confirm"]))
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).state == State.TRIAGE
    # Confirming again is not possible in triage: 409, not a 500.
    response = client.post(reverse("tickets:ticket_action", args=[ticket.number, "confirm"]))
    assert response.status_code == 409


def test_attachment_download_is_checked(client, world):
    report = new_report(
        world,
        defects=[
            DefectInput(
                location=Location.KITCHEN, category=category("civil"), description="裂缝", photos=[jpeg_upload()]
            )
        ],
    )
    ticket = report.tickets.get()
    attachment = ticket.attachments.get()
    login(client, world, "front_desk")
    response = client.get(reverse("tickets:attachment_thumb", args=[ticket.number, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    client.force_login(world.users["outsider"])
    assert client.get(reverse("tickets:attachment", args=[ticket.number, attachment.pk])).status_code == 404


# --- access: 403 by role, 404 by project -----------------------------------------------------------


FRONT_DESK_PAGES = [
    ("tickets:intake", []),
    ("tickets:queues", []),
    ("tickets:queue", ["to-notify"]),
    ("tickets:search", []),
]


@pytest.mark.parametrize(("name", "args"), FRONT_DESK_PAGES)
@pytest.mark.parametrize("role", ["contractor", "finance", "project_gm", "project_dept", "engineer"])
def test_front_desk_pages_answer_403_to_other_roles(client, world, name, args, role):
    login(client, world, role)
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), FRONT_DESK_PAGES)
def test_front_desk_pages_open_for_the_front_desk(client, world, name, args):
    login(client, world, "front_desk")
    assert client.get(reverse(name, args=args)).status_code == 200


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(reverse("tickets:intake"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_ticket_page_is_403_for_contractors(client, world):
    ticket = new_report(world).tickets.get()
    login(client, world, "contractor")
    assert client.get(ticket.get_absolute_url()).status_code == 403


def test_other_projects_objects_answer_404(client, world):
    other = other_world_report(world)
    ticket = other.tickets.get()
    attachment = ticket.attachments.get()
    login(client, world, "front_desk")
    urls = [
        ticket.get_absolute_url(),
        reverse("tickets:report", args=[other.number]),
        reverse("tickets:report_f01", args=[other.number]),
        reverse("tickets:report_f01_print", args=[other.number]),
        reverse("tickets:attachment", args=[ticket.number, attachment.pk]),
        reverse("tickets:attachment_thumb", args=[ticket.number, attachment.pk]),
        reverse("tickets:unit_card", args=[other.unit_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("tickets:contact_attempt", args=[ticket.number]),
        reverse("tickets:ticket_action", args=[ticket.number, "confirm"]),
        reverse("tickets:web_report_confirm", args=[other.number]),
    ]:
        assert client.post(url, {"purpose": "first_contact", "reached": "1"}).status_code == 404, url
    # and an intake for the other project's unit is refused next to the unit field
    response = client.post(reverse("tickets:intake"), intake_data(world, unit=str(other.unit_id)))
    assert response.status_code == 400
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "role",
    ["front_desk", "steward", "director", "engineer", "customer_service", "project_gm", "project_dept", "finance"],
)
def test_ticket_page_opens_for_every_internal_role(client, world, role):
    ticket = new_report(world).tickets.get()
    login(client, world, role)
    response = client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert ticket.description in response.content.decode()


def test_unknown_objects_get_the_sites_404_page(client, world):
    login(client, world, "front_desk")
    response = client.get(reverse("tickets:detail", args=["NOPE-1"]))
    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]


def test_the_english_switch_works_on_front_desk_pages(client, world):
    report = new_report(world)
    login(client, world, "front_desk")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for url in [
        reverse("tickets:intake"),
        reverse("tickets:queues"),
        reverse("tickets:report", args=[report.number]),
        report.tickets.get().get_absolute_url(),
        reverse("tickets:owner_lookup"),
    ]:
        assert '<html lang="en">' in client.get(url).content.decode(), url
    # timeline verbs are shown by name, not as codes
    html = client.get(report.tickets.get().get_absolute_url()).content.decode()
    assert "Reported" in html and "Confirm report" in html


def test_front_desk_books_a_simple_job_from_the_ticket_page(client, world):
    ticket = advance(world, new_report(world).tickets.get(), State.DISPATCH, difficulty="simple")
    login(client, world, "front_desk")
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert 'data-action="dispatch"' in html
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    response = client.post(
        reverse("tickets:ticket_action", args=[ticket.number, "dispatch"]),
        {"contractor": str(ticket.liable_contractor_id), "scheduled_at": when},
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).state == State.REPAIR


def test_a_refused_action_shows_the_reason_and_changes_nothing(client, world):
    ticket = advance(world, new_report(world).tickets.get(), State.DISPATCH, difficulty="simple")
    login(client, world, "front_desk")
    response = client.post(
        reverse("tickets:ticket_action", args=[ticket.number, "dispatch"]),
        {"contractor": str(ticket.liable_contractor_id), "scheduled_at": "not a date"},
        follow=True,
    )
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).state == State.DISPATCH
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_steward_triages_from_the_ticket_page(client, world):
    ticket = new_report(world).tickets.get()
    login(client, world, "steward")
    response = client.post(
        reverse("tickets:ticket_action", args=[ticket.number, "triage"]),
        {"difficulty": "general", "steward": str(world.users["steward"].pk)},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == State.DISPATCH and ticket.steward == world.users["steward"]


def action_item(html: str, name: str) -> str:
    start = html.index(f'data-action="{name}"')
    return html[start : html.index("</li>", start)]


def test_triage_and_dispatch_are_open_where_their_own_forms_meet_their_conditions(client, world):
    """The triage form sets the difficulty and the steward, the dispatch form books the appointment: what
    they set does not disable them (tickets.selectors.MET_BY_THE_ACTION); a missing plan does."""
    ticket = new_report(world).tickets.get()
    login(client, world, "steward")
    triage = action_item(client.get(ticket.get_absolute_url()).content.decode(), "triage")
    assert 'name="difficulty"' in triage and 'name="steward"' in triage and "disabled" not in triage
    simple = advance(world, new_report(world).tickets.get(), State.DISPATCH, difficulty="simple")
    dispatch = action_item(client.get(simple.get_absolute_url()).content.decode(), "dispatch")
    assert 'name="scheduled_at"' in dispatch and "disabled" not in dispatch
    general = advance(world, new_report(world).tickets.get(), State.DISPATCH)  # no repair plan yet
    dispatch = action_item(client.get(general.get_absolute_url()).content.decode(), "dispatch")
    assert "disabled" in dispatch and "a repair plan is written" in dispatch
    assert "appointment" not in dispatch and 'name="scheduled_at"' not in dispatch


def test_referral_is_judged_on_the_coverage_it_would_assess(client, world):
    """Refer assesses the coverage itself (as triage does): out of the owner's warranty it is open before
    anyone stored an assessment; in warranty it is closed for that reason alone."""
    login(client, world, "director")
    out = out_of_warranty_ticket(world)
    assert out.coverage_assessed_at is None
    refer = action_item(client.get(out.get_absolute_url()).content.decode(), "refer")
    assert "disabled" not in refer and 'name="note"' in refer
    client.post(reverse("tickets:ticket_action", args=[out.number, "refer"]), {"note": "转物业"})
    assert Ticket.objects.get(pk=out.pk).state == State.REFERRED
    inside = new_report(world).tickets.get()
    refer = action_item(client.get(inside.get_absolute_url()).content.decode(), "refer")
    assert "disabled" in refer and "out of the owner&#x27;s warranty" in refer and "coverage" not in refer


def test_a_closed_action_links_what_it_needs_to_the_page_where_it_is_done(client, world):
    """A paid simple job waits for the owner's consent to the quote: the ticket page says so and links the
    consent page (it named the condition with no way to meet it); with the consent the booking opens."""
    ticket = out_of_warranty_ticket(world)
    ticket = s.ticket_triage(
        ticket=ticket, by=world.users["steward"], difficulty="simple", steward=world.users["steward"]
    )
    login(client, world, "front_desk")
    dispatch = action_item(client.get(ticket.get_absolute_url()).content.decode(), "dispatch")
    consent_page = reverse("tickets:field_consent", args=[ticket.number])
    assert "disabled" in dispatch and f'<a href="{consent_page}">the owner consented to the quote' in dispatch
    assert client.get(consent_page).status_code == 200
    s.consent_record(
        ticket=ticket, by=world.users["front_desk"], subject="quote", what="更换窗扇", how="phone", amount=Decimal(300)
    )
    dispatch = action_item(client.get(ticket.get_absolute_url()).content.decode(), "dispatch")
    assert "disabled" not in dispatch and 'name="scheduled_at"' in dispatch


@pytest.mark.parametrize("action", ["triage", "refer"])
def test_a_category_without_a_warranty_period_is_refused_in_words(client, world, action):
    """Triage and referral assess the coverage; a category nobody gave a period is a message, not a 500."""
    orphan = DefectCategory.objects.create(code="orphan", name_zh="无期限类别", trade=category("civil").trade)
    ticket = new_report(
        world, defects=[DefectInput(location=Location.LIVING_ROOM, category=orphan, description="说不清的问题")]
    ).tickets.get()
    login(client, world, "director")
    data = {"difficulty": "general", "steward": str(world.users["steward"].pk), "note": "转物业"}
    response = client.post(reverse("tickets:ticket_action", args=[ticket.number, action]), data, follow=True)
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).state == State.TRIAGE
    assert any("has no warranty period" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"unit": "abc", "defects-TOTAL_FORMS": "x"},
        {"unit": "999999999", "contact_phone": "+" * 40, "expected_at": "yesterday"},
        {"defects-TOTAL_FORMS": "1", "defects-INITIAL_FORMS": "0", "defects-0-category": "-1"},
    ],
    ids=["empty", "garbage-formset", "garbage-fields", "unknown-category"],
)
def test_garbage_intake_posts_are_400_not_500(client, world, data):
    login(client, world, "front_desk")
    assert client.post(reverse("tickets:intake"), data).status_code == 400
    assert not Report.objects.exists()


def test_an_expected_time_years_ahead_is_refused_and_the_form_kept(client, world):
    login(client, world, "front_desk")
    response = client.post(reverse("tickets:intake"), intake_data(world, expected_at="9999-12-31T23:59"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most a year ahead" in html and "主卫顶棚渗水" in html
    assert not Report.objects.exists()


def test_a_report_without_defects_says_so_in_words(client, world):
    login(client, world, "front_desk")
    data = {k: v for k, v in intake_data(world).items() if not k.startswith("defects-")}
    data.update({"defects-TOTAL_FORMS": "0", "defects-INITIAL_FORMS": "0", "defects-MIN_NUM_FORMS": "1"})
    html = client.post(reverse("tickets:intake"), data).content.decode()
    assert "Add at least one defect." in html and "submit at least" not in html


def test_garbage_elsewhere_is_never_a_500(client, world):
    ticket = new_report(world).tickets.get()
    login(client, world, "front_desk")
    assert (
        client.get(reverse("tickets:queue", args=["first-contact"]), {"page": "x", "project": "y"}).status_code == 200
    )
    assert client.get(reverse("tickets:queue", args=["nope"])).status_code == 404
    assert client.post(reverse("tickets:search"), {"q": "x" * 500, "page": "-3"}).status_code == 200
    assert client.post(reverse("tickets:ticket_action", args=[ticket.number, "explode"])).status_code == 404
    assert client.get(reverse("tickets:web_report_confirm", args=[ticket.report.number])).status_code == 405
    assert client.post(reverse("tickets:owner_lookup"), {"number": "x" * 500, "last4": "1"}).status_code == 400


def test_attachment_downloads_are_checked_and_logged(world, client):
    """Anonymous → login; another project's user → 404; each download writes an access-log row."""
    from django.urls import reverse

    from tests.tickets.conftest import jpeg_upload, new_report
    from tickets.models import Attachment, AttachmentAccess
    from tickets.services import DefectInput

    defect = DefectInput(location="kitchen", category=category("civil"), description="厨房", photos=[jpeg_upload()])
    report = new_report(world, defects=[defect])
    attachment = Attachment.objects.get(ticket__report=report)
    url = reverse("tickets:attachment", args=[attachment.ticket.number, attachment.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(world.users["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(world.users["front_desk"])
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert AttachmentAccess.objects.filter(attachment=attachment, user=world.users["front_desk"]).count() == 1
    assert not AttachmentAccess.objects.filter(user=world.users["outsider"]).exists()


def test_the_ticket_page_shows_the_coverage_triage_will_store(client, world):
    """Triaging from the ticket page, the steward sees who pays before choosing the difficulty (the tablet's
    triage page showed it; the ticket page said "not assessed yet")."""
    ticket = out_of_warranty_ticket(world)
    login(client, world, "steward")
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "Not assessed yet; triage will store:" in html and "coverage-reason" in html
    assert Ticket.objects.get(pk=ticket.pk).coverage_assessed_at is None  # shown, not stored


def test_a_contractor_whose_liability_ended_needs_no_reason_to_be_passed_over(client, world):
    """A paid repair (the owner's warranty and the contractor's liability both over): the front desk books
    any contractor without "a reason for choosing another than the liable one"."""
    ticket = out_of_warranty_ticket(world)
    ticket = s.ticket_triage(
        ticket=ticket, by=world.users["steward"], difficulty="simple", steward=world.users["steward"]
    )
    assert ticket.payer == "owner" and ticket.liable_contractor_id is not None
    s.consent_record(
        ticket=ticket, by=world.users["front_desk"], subject="quote", what="修补墙面", how="phone", amount=Decimal(200)
    )
    other = world.third_party if ticket.liable_contractor_id != world.third_party.pk else world.general
    s.ticket_dispatch(ticket=ticket, by=world.users["front_desk"], contractor=other, scheduled_at=in_future())
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == State.REPAIR and ticket.repairing_contractor == other


def test_the_upload_hint_is_in_the_page_language(client, world, settings):
    """The photo-size hint was formatted at import, in Chinese, and stayed Chinese on the English page."""
    login(client, world, "front_desk")
    settings.LANGUAGE_CODE = "en"
    assert "Photos up to 10 MB, videos up to 50 MB." in client.get(reverse("tickets:intake")).content.decode()
    settings.LANGUAGE_CODE = "zh-hans"
    assert "照片不超过10 MB，视频不超过50 MB。" in client.get(reverse("tickets:intake")).content.decode()
