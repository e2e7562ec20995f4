"""Creating reports: fixed query counts, bad input refused with nothing half-saved."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import UnitFactory, category
from tickets import services as s
from tickets.models import Attachment, Location, Report, State, Ticket

from .conftest import jpeg_upload, new_report


def defects(n=3, photos=False):
    return [
        s.DefectInput(
            location=loc, category=category(cat), description=f"缺陷{i}", photos=[jpeg_upload()] if photos else []
        )
        for i, (loc, cat) in enumerate(
            [
                (Location.MASTER_BATHROOM, "waterproofing"),
                (Location.KITCHEN, "civil"),
                (Location.BALCONY, "doors_windows"),
            ][:n]
        )
    ]


def test_report_with_three_defects_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    new_report(world)  # warm caches (content types, sequences)
    # About 10 queries per defect: the ticket, its two history rows (one INSERT) and its two timeline rows
    # (one INSERT), the SLA clocks (one INSERT for all) and the escalation detectors that listen to the
    # events; the unit's earlier tickets are read once for the repeat lookup and the long-running-unit
    # detector, the report number is one upsert. Fixed: it does not grow with the data (65 when this was
    # first written, 34 now).
    with django_assert_max_num_queries(34):
        report = new_report(world, defects=defects(3))
    assert [t.number for t in report.tickets.order_by("seq")] == [f"{report.number}-{n}" for n in (1, 2, 3)]
    assert all(t.state == State.TRIAGE for t in report.tickets.all())


def test_a_confirmed_ticket_is_written_once_and_keeps_both_steps(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    new_report(world)  # warm caches
    with CaptureQueriesContext(connection) as queries:
        report = new_report(world, defects=defects(1))
    ticket = report.tickets.get()
    assert ticket.state == State.TRIAGE
    # one INSERT of the ticket row, no UPDATE of it (the state is in most of the table's indexes)
    written = [q["sql"] for q in queries.captured_queries if '"tickets_ticket"' in q["sql"].split(" (")[0]]
    assert [sql.split()[0] for sql in written if not sql.startswith("SELECT")] == ["INSERT"]
    # its clocks are started once and not read back for the confirm (nobody else can see them yet)
    clocks = [q["sql"] for q in queries.captured_queries if '"tickets_slaclock"' in q["sql"]]
    assert [sql.split()[0] for sql in clocks] == ["INSERT"]
    running = ticket.sla_clocks.filter(stopped_at__isnull=True).values_list("code", flat=True)
    assert sorted(running) == ["dispatch_general", "first_contact", "repair_finished"]
    # the history as the step-by-step writes left it: created in intake, then confirmed by the front desk
    rows = list(ticket.history.order_by("history_date", "history_id"))
    assert [(r.history_type, r.state, r.history_change_reason, r.history_user) for r in rows] == [
        ("+", State.INTAKE, None, world.users["front_desk"]),
        ("~", State.TRIAGE, "confirm", world.users["front_desk"]),
    ]
    assert rows[0].number == rows[1].number == ticket.number and rows[0].id == ticket.pk
    assert rows[0].description == rows[1].description == ticket.description and rows[0].category == ticket.category
    # the report's history row, copied from it in SQL like the ticket's
    report_rows = list(report.history.values_list("history_type", "number", "reporter_name", "history_user"))
    assert report_rows == [("+", report.number, report.reporter_name, world.users["front_desk"].pk)]
    # each in one statement: both history rows, both timeline rows (the repeat's escalation writes its own)
    for table in ('"tickets_historicalticket"', '"tickets_timelineevent"'):
        sql = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(f"INSERT INTO {table}")]
        assert len([s for s in sql if "'escalated_" not in s]) == 1, table
    steps = ticket.timeline.exclude(verb__startswith="escalated_")  # the warm-up report makes this a repeat
    events = list(steps.order_by("at", "pk").values_list("verb", "from_state", "to_state"))
    assert events == [("reported", "", State.INTAKE), ("confirm", State.INTAKE, State.TRIAGE)]
    # a report not confirmed yet (a web report) stays in intake, with its one history row
    waiting = new_report(world, confirm=False, defects=defects(1)).tickets.get()
    assert waiting.state == State.INTAKE
    assert list(waiting.history.values_list("history_type", "state")) == [("+", State.INTAKE)]


def test_report_number_format(world):
    report = new_report(world)
    code, day, seq = report.number.split("-")
    assert code == "YQF" and len(day) == 6 and seq == "001"
    assert new_report(world).number.endswith("-002")


def test_photos_are_stored_privately_with_thumbnails_and_no_exif(world):
    report = new_report(world, defects=defects(1, photos=True))
    attachment = Attachment.objects.get(ticket__report=report)
    assert attachment.kind == "photo" and attachment.thumbnail
    assert "private" in attachment.file.path
    with Image.open(attachment.file.path) as image:
        assert not image.getexif()


def _nothing_saved():
    assert Report.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_photo_too_large_is_refused_and_nothing_saved(world):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024), content_type="image/jpeg")
    items = defects(2)
    items[1].photos = [big]
    with pytest.raises(s.ServiceError) as err:
        new_report(world, defects=items)
    assert err.value.field == "defects-1-photos" and "10 MB" in str(err.value)
    _nothing_saved()


def test_renamed_executable_is_refused_and_nothing_saved(world):
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 2048, content_type="image/jpeg")
    items = defects(1)
    items[0].photos = [jpeg_upload(), exe]
    with pytest.raises(s.ServiceError) as err:
        new_report(world, defects=items)
    assert "photo.jpg" in str(err.value)
    _nothing_saved()


def test_unit_outside_the_users_projects_is_refused(world):
    foreign_unit = UnitFactory(building__project=world.other_project, building__batch__project=world.other_project)
    with pytest.raises(s.OutOfScope):
        s.report_create(
            by=world.users["front_desk"],
            unit=foreign_unit,
            reporter_name="王",
            contact_phone="13800000001",
            defects=defects(1),
        )
    _nothing_saved()


@pytest.mark.parametrize("phone", ["12345", "not a phone", ""])
def test_invalid_contact_phone_is_a_field_error(world, phone):
    with pytest.raises(s.ServiceError) as err:
        s.report_create(
            by=world.users["front_desk"], unit=world.unit, reporter_name="王", contact_phone=phone, defects=defects(1)
        )
    assert err.value.field == "contact_phone"
    _nothing_saved()


def test_empty_description_is_a_field_error(world):
    items = defects(2)
    items[1].description = "   "
    with pytest.raises(s.ServiceError) as err:
        new_report(world, defects=items)
    assert err.value.field == "defects-1-description"
    _nothing_saved()


def test_contractor_cannot_log_reports(world):
    with pytest.raises(s.NotPermitted):
        new_report(world, by=world.users["contractor"])
    _nothing_saved()


def test_a_video_is_accepted_by_its_content(world):
    mp4 = SimpleUploadedFile("clip.bin", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000, content_type="application/x")
    items = defects(1)
    items[0].photos = [mp4]
    report = new_report(world, defects=items)
    assert Attachment.objects.get(ticket__report=report).content_type == "video/mp4"


def _png(size=(10, 10)):
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="PNG")
    return out.getvalue()
