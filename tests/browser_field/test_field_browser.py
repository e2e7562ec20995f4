"""The field pages in a real Chromium at tablet size (820×1180), with screenshots as artifacts."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.tickets.conftest import in_future, new_report
from tests.tickets.lifecycle import advance, fresh
from tickets import services as s
from tickets.models import DispatchNotice, OutboxMessage, SignOff, State

from .conftest import PHONE, TABLET, TABLET_LANDSCAPE, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def local_input(when) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def draw_signature(page) -> None:
    """Sign with the mouse: a few strokes across the canvas."""
    canvas = page.locator("[data-signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for row in (0.35, 0.6):
        page.mouse.move(x + w * 0.1, y + h * row)
        page.mouse.down()
        for i in range(1, 21):
            page.mouse.move(x + w * (0.1 + 0.04 * i), y + h * (row + (0.12 if i % 2 else -0.12)), steps=2)
        page.mouse.up()


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "f02.pdf"
    path.write_bytes(data)
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed: bin/ensure-browser should install it")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_steward_takes_a_general_ticket_from_triage_to_the_owners_signature(world, new_page, shot, tmp_path):
    """Triage, plan, dispatch, arrival, re-inspection and the owner's signature, all on the tablet; F02 holds it."""
    ticket = new_report(world, confirm=True).tickets.get()
    assert ticket.state == State.TRIAGE
    page = new_page(TABLET)
    login(page, "steward")
    assert page.url.endswith("/field/")
    shot(page, "01-my-day")

    # Triage: the coverage reason and dates, the difficulty, the steward (preselected: me).
    page.goto(f"/field/t/{ticket.number}/triage/")
    assert world.waterproof.name in page.locator("#coverage").inner_text()
    page.locator("input[name=difficulty][value=general]").check()
    shot(page, "02-triage")
    submit(page, "main form[data-draft]")
    assert fresh(ticket).state == State.DISPATCH

    # The plan: cause, method, materials from the list plus free text, duration.
    page.goto(f"/field/t/{ticket.number}/plan/")
    page.fill("#id_cause", "主卫防水层破损，楼板渗水")
    page.fill("#id_method", "凿除地面，重做防水层并闭水试验48小时")
    page.locator("input[name=materials][value=waterproof_coating]").check()
    page.locator("input[name=materials][value=sealant]").check()
    page.fill("#id_materials_note", "地漏一个")
    page.fill("#id_estimated_days", "3")
    shot(page, "03-plan")
    submit(page, "main form[data-draft]")
    assert fresh(ticket).plans.count() == 1

    # Dispatch: the liable contractor is preselected; the appointment; F02 is issued.
    page.goto(f"/field/t/{ticket.number}/dispatch/")
    assert page.locator("#id_contractor").input_value() == str(world.waterproof.pk)
    page.fill("#id_scheduled_at", local_input(in_future(2)))
    shot(page, "04-dispatch")
    submit(page, "main form[data-draft]")
    ticket = fresh(ticket)
    assert ticket.state == State.REPAIR
    notice = ticket.notices.get()

    # The contractor accepts (its own view is tested below); the steward records arrival on site.
    s.notice_accept(notice=notice, by=world.users["waterproof_contractor"])
    page.goto(f"/field/t/{ticket.number}/")
    # Check-in goes through htmx: the appointments card and the actions bar are swapped in place.
    page.locator("#appointments form[action*='check-in'] button").click()
    page.locator("#appointments [role=status]").wait_for()
    assert ticket.appointments.filter(arrived_at__isnull=False).exists()
    assert page.locator("form[action$='/do/complete_repair/'] button").is_enabled()
    shot(page, "05-workspace-repair")
    page.set_viewport_size(TABLET_LANDSCAPE)
    shot(page, "05b-workspace-landscape")
    page.set_viewport_size(PHONE)
    shot(page, "05c-workspace-phone")
    page.set_viewport_size(TABLET)
    with page.expect_navigation():
        page.locator("form[action$='/do/complete_repair/'] button").click()
    assert fresh(ticket).state == State.SIGNOFF

    # Sign-off: the re-inspection checklist, then the owner signs on the canvas.
    page.goto(f"/field/t/{ticket.number}/signoff/")
    for box in page.locator("#reinspection input[type=checkbox]").all():
        box.check()
    submit(page, "#reinspection form")
    assert fresh(ticket).signoffs.filter(kind=SignOff.Kind.REINSPECTION, passed=True).exists()
    assert page.locator("#id_signer_name").input_value() == world.owner.name
    draw_signature(page)
    assert page.locator("input[name=signature]").input_value().startswith("data:image/png;base64,")
    shot(page, "06-owner-signs")
    submit(page, "#owner-signature form")
    owner_signoff = fresh(ticket).signoffs.get(kind=SignOff.Kind.OWNER)
    assert owner_signoff.signature and owner_signoff.signer_name == world.owner.name
    with page.expect_navigation():
        page.locator("form[action$='/do/sign_off/'] button").click()
    assert fresh(ticket).state == State.CALLBACK

    # The F02 PDF, downloaded as the steward would: the signature image, the owner's name, the number.
    page.goto(f"/field/t/{ticket.number}/signoff/")
    shot(page, "07-signed-off")
    with page.expect_download() as download:
        page.locator("[data-f02-link]").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" in pdf
    text = pdf_text(pdf, tmp_path)
    assert world.owner.name in text
    assert notice.number in text


def test_contractor_declines_one_notice_and_accepts_another(world, new_page, shot):
    notices = []
    for _i in range(2):
        ticket = advance(world, new_report(world, confirm=True).tickets.get(), State.DISPATCH)
        s.plan_submit(ticket=ticket, by=world.users["steward"], cause="渗水", method="重做防水")
        notices.append(
            s.ticket_dispatch(
                ticket=fresh(ticket), by=world.users["steward"], contractor=world.waterproof, scheduled_at=in_future(5)
            )
        )
    first, second = notices
    page = new_page(TABLET)
    login(page, "wp_contractor")
    assert page.url.endswith("/contractor/")
    assert page.locator(f"[data-notice='{first.number}']").count() == 1
    shot(page, "01-notices")

    page.locator(f"[data-notice='{first.number}']").click()
    page.wait_for_url(f"**/contractor/notices/{first.number}/")
    page.fill("#decline textarea[name=reason]", "本周施工队已排满，无法按时到场")
    shot(page, "02-decline")
    submit(page, "#decline form")
    first.refresh_from_db()
    assert first.status == DispatchNotice.Status.DECLINED
    assert fresh(first.ticket).state == State.DISPATCH

    page.locator(f"[data-notice='{second.number}']").click()
    page.wait_for_url(f"**/contractor/notices/{second.number}/")
    page.locator("#accept input[name=answer][value=confirm]").check()
    submit(page, "#accept form")
    second.refresh_from_db()
    assert second.status == DispatchNotice.Status.ACCEPTED
    # Its own accepted job shows the owner's phone to call.
    assert page.locator("a.call").count() == 1
    shot(page, "03-accepted")


def test_joint_signoff_by_director_and_customer_service(world, new_page, shot):
    """The owner cannot be there: the director and CS sign, each logged in; the front desk is asked to tell the owner."""
    ticket = advance(world, new_report(world, confirm=True).tickets.get(), State.SIGNOFF)
    s.signoff_record(ticket=ticket, by=world.users["steward"], kind=SignOff.Kind.REINSPECTION)

    director = new_page(TABLET)
    login(director, "director")
    director.goto(f"/field/t/{ticket.number}/signoff/")
    director.fill("#joint textarea[name=comment]", "业主出国，主任与客服联合验收")
    with director.expect_navigation():
        director.locator("#joint button[name=as][value=director]").click()
    shot(director, "01-director-signed")
    assert ticket.signoffs.filter(kind=SignOff.Kind.JOINT_DIRECTOR).exists()
    # Not yet closable: the CS signature is missing.
    assert director.locator("form[action$='/do/sign_off/'] button").is_disabled()

    cs = new_page(TABLET)
    login(cs, "customer_service")
    cs.goto("/field/signoffs/")
    cs.locator(f"a[href$='/field/t/{ticket.number}/signoff/']").click()
    cs.wait_for_url(f"**/field/t/{ticket.number}/signoff/")
    assert cs.locator("#joint button[name=as][value=director]").count() == 0
    with cs.expect_navigation():
        cs.locator("#joint button[name=as][value=cs]").click()
    shot(cs, "02-cs-signed")

    director.reload()
    with director.expect_navigation():
        director.locator("form[action$='/do/sign_off/'] button").click()
    assert fresh(ticket).state == State.CALLBACK
    assert OutboxMessage.objects.filter(ticket=ticket, event="notify_owner_of_joint_signoff").exists()
    shot(director, "03-closed")


def test_empty_signature_and_drafts_keep_what_was_typed(world, new_page, shot):
    """Submitting without drawing says the signature is empty and keeps the name; a reload restores a draft."""
    ticket = advance(world, new_report(world, confirm=True).tickets.get(), State.SIGNOFF)
    page = new_page(TABLET)
    login(page, "steward")
    page.goto(f"/field/t/{ticket.number}/signoff/")
    page.fill("#id_signer_name", "业主之子 李明")
    page.fill("#owner-signature textarea[name=comment]", "已验收")
    submit(page, "#owner-signature form")
    assert page.locator("#owner-signature .errorlist").count() >= 1
    assert page.locator("#id_signer_name").input_value() == "业主之子 李明"
    shot(page, "01-empty-signature")
    page.set_viewport_size(PHONE)
    shot(page, "01b-signoff-phone")
    page.set_viewport_size(TABLET_LANDSCAPE)
    shot(page, "01c-signoff-landscape")
    page.set_viewport_size(TABLET)

    # The network drops before a form is sent: what was typed comes back from the session draft.
    fresh_ticket = advance(world, new_report(world, confirm=True).tickets.get(), State.DISPATCH)
    page.goto(f"/field/t/{fresh_ticket.number}/plan/")
    page.fill("#id_cause", "外墙开裂渗水")
    page.locator("input[name=materials][value=sealant]").check()
    page.wait_for_timeout(500)
    page.reload()
    assert page.locator("#id_cause").input_value() == "外墙开裂渗水"
    assert page.locator("input[name=materials][value=sealant]").is_checked()
    assert page.locator(".draft-note").count() == 1
    shot(page, "02-draft-restored")

    # Offline when sending: the page stays, with a warning and everything typed; online again, it saves.
    page.fill("#id_method", "切缝注胶")
    page.context.set_offline(True)
    page.locator("main form[data-draft] button[type=submit]").click()
    page.locator("[data-net-error]").wait_for()
    assert page.locator("#id_cause").input_value() == "外墙开裂渗水"
    assert page.locator("#id_method").input_value() == "切缝注胶"
    shot(page, "03-offline")
    page.context.set_offline(False)
    submit(page, "main form[data-draft]")
    assert fresh_ticket.plans.get().method == "切缝注胶"


def test_camera_photos_are_downscaled_in_the_browser_before_upload(world, new_page, shot, tmp_path):
    """A large photo is redrawn at most 1600 px wide as JPEG (canvas → Blob → DataTransfer) before it is sent."""
    from PIL import Image

    from tickets.models import WorkLog

    big = tmp_path / "IMG_0001.jpg"
    Image.effect_noise((3200, 2400), 60).convert("RGB").save(big, format="JPEG", quality=95)
    original_size = big.stat().st_size
    ticket = advance(world, new_report(world, confirm=True).tickets.get(), State.REPAIR)
    page = new_page(TABLET)
    login(page, "steward")
    page.goto(f"/field/t/{ticket.number}/log/")
    photo_input = page.locator("input[type=file][name=photos]")
    assert photo_input.get_attribute("capture") == "environment"
    assert photo_input.get_attribute("accept") == "image/*"
    page.fill("#id_note", "每日巡查：防水层养护中")
    photo_input.set_input_files(str(big))
    # A locator wait, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("[data-photo-status]")).to_contain_text("KB")
    sent = page.evaluate(
        "(() => { const f = document.querySelector('input[name=photos]').files[0]; return [f.size, f.type]; })()"
    )
    assert sent[1] == "image/jpeg" and sent[0] < original_size
    shot(page, "01-photo-ready")
    submit(page, "main form[data-draft]")
    log = WorkLog.objects.get(ticket=ticket, kind="site_visit")
    with log.photos.get().file.open("rb") as fh, Image.open(fh) as stored:
        assert max(stored.size) <= 1600


def test_on_a_phone_the_menu_is_a_row_and_a_form_error_takes_the_focus(new_page, world):
    """At 390 px the steward's menu was squeezed beside the account controls into a column of one
    character per line (the header took 613 of 844 px). After a refused form the keyboard lands on the
    first field to fix, which points at its message."""
    ticket = advance(world, new_report(world).tickets.get(), State.DISPATCH)
    page = new_page(PHONE)
    login(page, "steward")
    page.goto("/field/")
    nav = page.locator(".mainnav").bounding_box()
    header = page.locator(".topbar").bounding_box()
    assert nav["width"] > 300 and header["height"] < 250, (nav, header)
    for link in page.locator(".mainnav a").all():
        assert link.bounding_box()["height"] >= 44
    page.goto(f"/field/t/{ticket.number}/survey/")
    page.fill("input[name='scheduled_at']", "2020-01-01T09:00")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state("domcontentloaded")
    focused = page.evaluate("document.activeElement.name")
    assert focused == "scheduled_at"
    described = page.evaluate("document.activeElement.getAttribute('aria-describedby')")
    assert described and page.locator(f"#{described.split()[-1]}").count() == 1
