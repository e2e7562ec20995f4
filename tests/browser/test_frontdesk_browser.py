"""The front desk and owner pages in a real Chromium at 1366×768, screenshots saved as artifacts."""

import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from tests.factories import category
from tests.tickets.conftest import new_report, world  # noqa: F401  (the shared world fixture)
from tests.tickets.lifecycle import advance
from tickets.models import State, Ticket

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_front_desk_logs_a_report_reads_it_back_prints_f01_and_finds_it_in_the_queue(
    page,
    live_server,
    world,  # noqa: F811
    tmp_path,
):
    photo = tmp_path / "leak.jpg"
    Image.new("RGB", (640, 480), (90, 140, 200)).save(photo, format="JPEG")
    login(page, live_server, "front_desk")
    page.goto(f"{live_server.url}/frontdesk/intake/")

    # 1. find the unit while the owner talks
    page.fill("#unit-q", "1201")
    page.click(".unit-result")
    page.wait_for_selector("[data-unit-card]")
    page.click("[data-fill-reporter]")
    assert page.input_value("#id_unit") == str(world.unit.pk)

    # 2. two defects, a photo on the first
    page.select_option("select[name='defects-0-location']", "master_bathroom")
    page.fill("[data-defect] [data-category-filter]", "防水")
    # typing in the filter chooses the first match (the empty "---------" choice used to stay chosen)
    assert page.input_value("select[name='defects-0-category']") != ""
    page.select_option("select[name='defects-0-category']", str(category("waterproofing").pk))
    page.fill("textarea[name='defects-0-description']", "主卫顶棚渗水，面积约一平米")
    page.set_input_files("input[name='defects-0-photos']", str(photo))
    page.click("#add-defect")
    page.select_option("select[name='defects-1-location']", "living_room")
    page.select_option("select[name='defects-1-category']", str(category("civil").pk))
    page.fill("textarea[name='defects-1-description']", "客厅墙面开裂")
    page.fill("#id_expected_note", "工作日晚上七点后")

    # 3. read back before saving
    page.click("#read-back")
    dialog = page.locator("#readback-dialog")
    dialog.wait_for(state="visible")
    summary = page.inner_text("#readback-summary")
    assert "3-2-1201" in summary
    assert "主卫顶棚渗水" in summary and "客厅墙面开裂" in summary
    screenshot(page, "frontdesk-intake-readback")
    page.click("#readback-confirm")

    # 4. the number and what to tell the owner
    page.wait_for_url(re.compile(r"/frontdesk/reports/"))
    number = page.inner_text("#report-number").strip()
    report = world.project.reports.get(number=number)
    assert report.tickets.count() == 2
    assert report.tickets.get(seq=1).attachments.count() == 1
    assert "/owner/lookup/" in page.content()
    screenshot(page, "frontdesk-report-saved")

    # 5. F01 as a PDF with the number and the unit in its text
    with page.expect_download() as download_info:
        page.click("#f01-pdf")
    pdf = tmp_path / "f01.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:4] == b"%PDF"
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: bin/ensure-browser must install poppler-utils")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert number in text
    assert "3-2-1201" in text

    # 6. the report waits in the first-contact queue
    page.goto(f"{live_server.url}/frontdesk/queues/first-contact/")
    row = page.locator(f"tr[data-report='{number}']")
    row.wait_for()
    screenshot(page, "frontdesk-queue-first-contact")
    row.locator("[data-contact='reached']").click()
    page.wait_for_selector("tr.done")
    assert report.contact_attempts.filter(reached=True).count() == 1

    # 7. the ticket page: the photo's thumbnail comes through the checked view, actions with reasons
    page.goto(f"{live_server.url}/tickets/{number}-1/")
    page.wait_for_function(
        "() => { const img = document.querySelector('.thumbs img'); return img && img.complete && img.naturalWidth > 0; }"
    )
    screenshot(page, "ticket-detail")
    # its history of changes is fetched when the section is opened: reported (intake), then confirmed
    history = page.locator("details:has(#hist-h)")
    assert history.locator("tbody td").count() == 1  # the link, for browsers without JavaScript
    history.locator("summary").click()
    history.locator("tbody tr:nth-child(2)").wait_for()
    assert history.locator("tbody tr").count() == 2


def test_owner_lookup_succeeds_fails_and_locks_out(page, live_server, world):  # noqa: F811
    report = new_report(world)
    digits = str(world.owner.phone.national_number)[-4:]
    wrong = "9876" if digits != "9876" else "1234"
    url = f"{live_server.url}/owner/lookup/"

    page.goto(url)
    page.fill("#id_number", report.number)
    page.fill("#id_last4", digits)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#progress")
    html = page.content()
    assert report.number in html
    assert world.owner.name not in html
    assert str(world.owner.phone.national_number) not in html
    screenshot(page, "owner-lookup-success")

    for attempt in range(5):
        page.goto(url)
        page.fill("#id_number", report.number)
        page.fill("#id_last4", wrong)
        page.click("button[type=submit].primary")
        if attempt < 4:
            page.wait_for_selector("#lookup-error")
            if attempt == 0:
                screenshot(page, "owner-lookup-failed")
    page.wait_for_selector("#locked-message")
    screenshot(page, "owner-lookup-locked")

    # locked: even the right digits no longer work for a while
    page.goto(url)
    assert page.locator("#id_number").count() == 1
    page.fill("#id_number", report.number)
    page.fill("#id_last4", digits)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#locked-message")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], indirect=True)
def test_owner_reports_online_from_a_phone(page, live_server, world):  # noqa: F811
    page.goto(f"{live_server.url}/owner/report/")
    page.select_option("#id_project", str(world.project.pk))
    page.fill("#id_unit_number", "3-2-1201")
    page.fill("#id_owner_phone", str(world.owner.phone.national_number))
    page.fill("#id_reporter_name", "李先生")
    page.select_option("select[name='defects-0-location']", "kitchen")
    page.select_option("select[name='defects-0-category']", str(category("plumbing_electrical").pk))
    page.fill("textarea[name='defects-0-description']", "厨房水槽下方漏水")
    screenshot(page, "owner-web-report-mobile")
    page.click("main button[type=submit]")
    page.wait_for_selector("#report-number")
    number = page.inner_text("#report-number").strip()
    assert world.project.reports.get(number=number).channel == "web"
    screenshot(page, "owner-web-report-sent-mobile")


def test_front_desk_books_a_simple_job_from_its_queue(page, live_server, world):  # noqa: F811
    """To-book queue → "Book a worker" → the ticket page's dispatch form (contractor preselected, the
    appointment to choose) → the job is in repair. The button used to wait for the appointment its own
    form books, so the page showed no form."""
    ticket = advance(world, new_report(world).tickets.get(), State.DISPATCH, difficulty="simple")
    login(page, live_server, "front_desk")
    page.goto(f"{live_server.url}/frontdesk/queues/to-book/")
    page.locator(f"tr[data-ticket='{ticket.number}'] a.button.primary").click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.number}/"))
    form = page.locator("li[data-action='dispatch'] form")
    assert form.locator("select[name='contractor']").input_value() == str(ticket.liable_contractor_id)
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    form.locator("input[name='scheduled_at']").fill(when)
    screenshot(page, "ticket-book-simple-job")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.wait_for_function("() => !document.querySelector(\"li[data-action='dispatch']\")")
    assert Ticket.objects.get(pk=ticket.pk).state == State.REPAIR
