"""The steward's tablet pages: my day, triage, plan and approval, dispatch, on site, sign-off, F02."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets import services as s
from tickets.models import Appointment, OutboxMessage, SignOff, State, WorkLog

from .conftest import in_future, jpeg_upload, new_report, png_bytes
from .lifecycle import advance, fresh, new_ticket


def url(name, *args):
    return reverse(f"tickets:{name}", args=args)


def local_input(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def steward_client(client, world):
    client.force_login(world.users["steward"])
    return client


def phone_digits(world) -> str:
    return str(world.owner.phone.national_number)


def test_role_home_of_steward_and_contractor(client, world):
    client.force_login(world.users["steward"])
    assert client.get("/")["Location"] == url("field_my_day")
    client.force_login(world.users["contractor"])
    assert client.get("/")["Location"] == url("contractor_notices")


def test_my_day_lists_todays_appointments_overdue_first_with_tap_to_call(steward_client, world):
    """Overdue visits come first; each row shows the unit and a tel: link for the ticket's steward."""
    late = advance(world, new_ticket(world), State.DISPATCH)
    soon = advance(world, new_ticket(world), State.DISPATCH)
    now = timezone.now()
    Appointment.objects.create(
        ticket=late, kind="survey", scheduled_at=now - dt.timedelta(minutes=40), created_by=world.users["steward"]
    )
    end_of_day = timezone.localtime(now).replace(hour=23, minute=50)
    if end_of_day > now + dt.timedelta(minutes=5):
        s.appointment_schedule(ticket=soon, by=world.users["steward"], kind="survey", scheduled_at=end_of_day)
    response = steward_client.get(url("field_my_day"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3-2-1201" in html
    assert f'href="tel:+86{phone_digits(world)}"' in html
    assert html.index("overdue") < html.index(soon.number) if soon.number in html else True
    first = html.index(late.number)
    if soon.number in html:
        assert first < html.index(soon.number)


def test_my_day_lists_jobs_without_todays_site_visit(steward_client, world):
    ticket = advance(world, new_ticket(world), State.REPAIR)
    html = steward_client.get(url("field_my_day")).content.decode()
    assert 'id="visits-due"' in html and url("field_worklog", ticket.number) in html
    s.worklog_add(ticket=ticket, by=world.users["steward"], kind="site_visit", note="巡查")
    html = steward_client.get(url("field_my_day")).content.decode()
    assert url("field_worklog", ticket.number) not in html


def test_my_day_runs_a_fixed_number_of_queries(steward_client, world):
    """The list costs the same number of queries for one appointment as for four."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def book():
        ticket = advance(world, new_ticket(world), State.DISPATCH)
        when = timezone.now() - dt.timedelta(minutes=20)
        Appointment.objects.create(ticket=ticket, kind="survey", scheduled_at=when, created_by=world.users["steward"])

    book()
    steward_client.get(url("field_my_day"))  # warm the session and the user's roles
    with CaptureQueriesContext(connection) as one:
        assert steward_client.get(url("field_my_day")).status_code == 200
    for _i in range(3):
        book()
    with CaptureQueriesContext(connection) as four:
        response = steward_client.get(url("field_my_day"))
    assert response.content.decode().count("day-item overdue") == 4
    assert len(four) == len(one)


def test_my_tickets_groups_by_state(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    response = steward_client.get(url("field_my_tickets"))
    assert response.status_code == 200
    assert ticket.number in response.content.decode()


def test_a_steward_finds_the_new_tickets_to_triage_emergencies_first(client, world):
    """New tickets have no steward yet: "My tickets" lists them for the project's stewards (it listed only
    their own, so a new emergency was nowhere on a steward's pages); not for another project's."""
    plain = advance(world, new_ticket(world), State.TRIAGE)
    urgent = advance(world, new_report(world, is_emergency=True).tickets.get(), State.TRIAGE)
    client.force_login(world.users["steward"])
    html = client.get(url("field_my_tickets")).content.decode()
    assert plain.number in html and urgent.number in html
    assert html.index(urgent.number) < html.index(plain.number) and "No steward yet" in html
    client.force_login(world.users["outsider"])
    html = client.get(url("field_my_tickets")).content.decode()
    assert plain.number not in html and urgent.number not in html


def test_triage_shows_coverage_and_moves_to_dispatch(steward_client, world):
    ticket = advance(world, new_ticket(world), State.TRIAGE)
    page = steward_client.get(url("field_triage", ticket.number))
    html = page.content.decode()
    assert page.status_code == 200
    assert world.waterproof.name in html  # the liable contractor from the coverage check
    response = steward_client.post(
        url("field_triage", ticket.number), {"difficulty": "general", "steward": world.users["steward"].pk}
    )
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.state == State.DISPATCH and ticket.steward == world.users["steward"]
    assert ticket.coverage_reason


def test_plan_form_keeps_input_and_saves_materials(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    bad = steward_client.post(
        url("field_plan", ticket.number),
        {"cause": "", "method": "重做防水", "materials": ["sealant"], "estimated_days": "2"},
    )
    assert bad.status_code == 400
    assert "重做防水" in bad.content.decode()
    ok = steward_client.post(
        url("field_plan", ticket.number),
        {
            "cause": "防水层破损",
            "method": "重做防水",
            "materials": ["waterproof_coating", "sealant"],
            "materials_note": "美纹纸",
            "estimated_days": "2",
        },
    )
    assert ok.status_code == 302
    plan = ticket.plans.get()
    assert plan.materials == ["waterproof_coating", "sealant"] and plan.materials_note == "美纹纸"


def test_steward_cannot_approve_their_own_complex_plan(client, world):
    """The approval queue refuses a steward (no right) and a director approving their own plan."""
    ticket = advance(world, new_ticket(world), State.DISPATCH, difficulty="complex")
    plan = s.plan_submit(ticket=ticket, by=world.users["steward"], cause="结构裂缝", method="注浆加固")
    client.force_login(world.users["steward"])
    response = client.post(url("field_plan_approve", plan.pk))
    assert response.status_code == 403
    assert fresh(ticket).plans.get().approved_by is None

    own = s.plan_submit(ticket=ticket, by=world.users["director"], cause="结构裂缝", method="注浆加固（主任）")
    client.force_login(world.users["director"])
    queue = client.get(url("field_approvals"))
    assert "注浆加固（主任）" in queue.content.decode()
    response = client.post(url("field_plan_approve", own.pk))
    assert response.status_code == 403
    assert "Nobody approves a plan they wrote" in response.content.decode() or "自己" in response.content.decode()
    own.refresh_from_db()
    assert own.approved_by is None

    client.force_login(world.users["director2"])
    assert client.post(url("field_plan_approve", own.pk)).status_code == 302
    own.refresh_from_db()
    assert own.approved_by == world.users["director2"]


def _ready_to_dispatch(world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    s.plan_submit(
        ticket=ticket, by=world.users["steward"], cause="防水层破损", method="重做防水", materials=["sealant"]
    )
    return fresh(ticket)


def test_dispatch_in_the_past_is_refused_and_the_form_is_kept(steward_client, world):
    ticket = _ready_to_dispatch(world)
    response = steward_client.post(
        url("field_dispatch", ticket.number),
        {
            "contractor": world.third_party.pk,
            "override_reason": "原单位无法按时到场",
            "scheduled_at": local_input(timezone.now() - dt.timedelta(days=1)),
            "materials_note": "密封胶两支",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "past" in html or "过去" in html
    assert "原单位无法按时到场" in html and "密封胶两支" in html
    assert fresh(ticket).state == State.DISPATCH and not ticket.notices.exists()


def test_dispatch_to_another_contractor_needs_a_reason(steward_client, world):
    ticket = _ready_to_dispatch(world)
    response = steward_client.post(
        url("field_dispatch", ticket.number),
        {"contractor": world.third_party.pk, "scheduled_at": local_input(in_future(3))},
    )
    assert response.status_code == 400
    assert fresh(ticket).state == State.DISPATCH


def test_dispatch_issues_a_numbered_f02_pdf(steward_client, world):
    ticket = _ready_to_dispatch(world)
    page = steward_client.get(url("field_dispatch", ticket.number))
    assert f'value="{world.waterproof.pk}" selected' in page.content.decode()  # the liable one preselected
    response = steward_client.post(
        url("field_dispatch", ticket.number),
        {"contractor": world.waterproof.pk, "scheduled_at": local_input(in_future(3)), "materials_note": "密封胶"},
    )
    assert response.status_code == 302
    notice = fresh(ticket).notices.get()
    assert fresh(ticket).state == State.REPAIR
    # The contractor's users are notified through the outbox.
    assert OutboxMessage.objects.filter(
        event="dispatch_notice", recipient=world.users["waterproof_contractor"], ticket=ticket
    ).exists()
    pdf = steward_client.get(url("field_notice_pdf", notice.number))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_check_in_records_the_deviation_and_flags_lateness(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    appointment = Appointment.objects.create(
        ticket=ticket,
        kind="survey",
        scheduled_at=timezone.now() - dt.timedelta(minutes=30),
        created_by=world.users["steward"],
    )
    response = steward_client.post(url("field_check_in", ticket.number, appointment.pk), follow=True)
    appointment.refresh_from_db()
    assert appointment.deviation_minutes >= 29 and appointment.is_late
    assert "15" in response.content.decode()


def test_check_in_with_htmx_swaps_the_appointments_card(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    appointment = s.appointment_schedule(
        ticket=ticket, by=world.users["steward"], kind="survey", scheduled_at=in_future(1)
    )
    response = steward_client.post(url("field_check_in", ticket.number, appointment.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="appointments"' in html and 'hx-swap-oob="true"' in html
    assert 'role="status"' in html
    again = steward_client.post(url("field_check_in", ticket.number, appointment.pk), HTTP_HX_REQUEST="true")
    assert "already recorded" in again.content.decode() or "已" in again.content.decode()


def test_survey_in_the_past_is_refused_and_the_note_kept(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    response = steward_client.post(
        url("field_survey", ticket.number),
        {"scheduled_at": local_input(timezone.now() - dt.timedelta(hours=2)), "note": "业主下午三点后在家"},
    )
    assert response.status_code == 400
    assert "业主下午三点后在家" in response.content.decode()
    assert not ticket.appointments.exists()


def test_survey_more_than_a_year_ahead_is_refused(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    for when in ["9999-12-31T23:59", local_input(timezone.now() + dt.timedelta(days=400))]:
        response = steward_client.post(url("field_survey", ticket.number), {"scheduled_at": when, "note": "x"})
        assert response.status_code == 400
        assert "at most a year ahead" in response.content.decode()
    assert not ticket.appointments.exists()


def test_owner_absent_needs_a_note_and_rebooks(steward_client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    appointment = s.appointment_schedule(
        ticket=ticket, by=world.users["steward"], kind="survey", scheduled_at=in_future(1)
    )
    target = url("field_owner_absent", ticket.number, appointment.pk)
    bad = steward_client.post(target, {"note": "", "rebook_at": local_input(in_future(26))})
    assert bad.status_code == 400
    ok = steward_client.post(target, {"note": "门上留了联系卡", "rebook_at": local_input(in_future(26))})
    assert ok.status_code == 302
    appointment.refresh_from_db()
    assert appointment.outcome == Appointment.Outcome.OWNER_ABSENT
    assert ticket.appointments.filter(outcome="").count() == 1


def test_a_refused_log_says_its_good_photo_must_be_chosen_again(steward_client, world):
    """Another field's error sends the page back without the chosen photo: the page says so."""
    ticket = advance(world, new_ticket(world), State.REPAIR)
    response = steward_client.post(
        url("field_worklog", ticket.number),
        {
            "kind": "site_visit",
            "note": "已涂刷",
            "material_0": "防水涂料",
            "quantity_0": "-1",
            "photos": [jpeg_upload()],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "choose the photos again" in html and "已涂刷" in html
    assert 'id="id_quantity_0_error"' in html


def test_failed_photo_upload_keeps_the_rest_of_the_log(steward_client, world):
    ticket = advance(world, new_ticket(world), State.REPAIR)
    from django.core.files.uploadedfile import SimpleUploadedFile

    broken = SimpleUploadedFile("site.jpg", b"not really a photo", content_type="image/jpeg")
    response = steward_client.post(
        url("field_worklog", ticket.number),
        {
            "kind": "site_visit",
            "note": "防水层已涂刷两遍",
            "material_0": "防水涂料",
            "quantity_0": "2",
            "unit_0": "桶",
            "photos": [broken],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "site.jpg" in html  # the error names the file
    assert "防水层已涂刷两遍" in html and "防水涂料" in html and 'value="桶"' in html
    assert not WorkLog.objects.filter(ticket=ticket, kind="site_visit").exists()

    ok = steward_client.post(
        url("field_worklog", ticket.number),
        {"kind": "site_visit", "note": "防水层已涂刷两遍", "material_0": "防水涂料", "quantity_0": "2",
         "unit_0": "桶", "photos": [jpeg_upload()]},
    )  # fmt: skip
    assert ok.status_code == 302
    log = WorkLog.objects.get(ticket=ticket, kind="site_visit")
    assert log.materials_used == [{"name": "防水涂料", "quantity": "2", "unit": "桶"}]
    photo = log.photos.get()
    assert steward_client.get(url("field_attachment_thumb", photo.pk)).status_code == 200


def test_consent_needs_a_signature_when_signed_on_screen(steward_client, world):
    ticket = advance(world, new_ticket(world), State.REPAIR)
    data = {"subject": "extra_cost", "what": "更换整块瓷砖", "amount": "300", "how": "signed", "consented": "on"}
    bad = steward_client.post(url("field_consent", ticket.number), {**data, "signature": ""})
    assert bad.status_code == 400
    assert "更换整块瓷砖" in bad.content.decode()
    import base64

    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    ok = steward_client.post(url("field_consent", ticket.number), {**data, "signature": signature})
    assert ok.status_code == 302
    assert ticket.consents.get().signature


def test_empty_owner_signature_is_refused_and_the_name_kept(steward_client, world):
    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    response = steward_client.post(
        url("field_owner_signoff", ticket.number), {"signer_name": "李业主", "comment": "满意", "signature": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "signature is empty" in html or "签名" in html
    assert 'value="李业主"' in html and "满意" in html
    assert not ticket.signoffs.filter(kind="owner").exists()


def test_owner_signature_ends_up_in_the_f02_pdf(steward_client, world):
    import base64

    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    checks = {f"check_{k}": "on" for k in ("as_planned", "tested", "clean", "no_damage")}
    assert steward_client.post(url("field_reinspect", ticket.number), {**checks, "passed": "1"}).status_code == 302
    signature = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    response = steward_client.post(
        url("field_owner_signoff", ticket.number), {"signer_name": world.owner.name, "signature": signature}
    )
    assert response.status_code == 302
    assert steward_client.post(url("field_transition", ticket.number, "sign_off")).status_code == 302
    assert fresh(ticket).state == State.CALLBACK
    pdf = steward_client.get(url("field_notice_pdf", ticket.notices.get().number)).content
    assert b"/Subtype /Image" in pdf


def test_joint_signoff_needs_two_different_people_and_gm_for_major(client, world):
    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    ticket.is_major = True
    ticket.save()
    s.signoff_record(ticket=ticket, by=world.users["steward"], kind=SignOff.Kind.REINSPECTION)
    client.force_login(world.users["director"])
    assert client.post(url("field_joint_signoff", ticket.number), {"as": "director"}).status_code == 302
    refused = client.post(url("field_transition", ticket.number, "sign_off"), follow=True)
    assert fresh(ticket).state == State.SIGNOFF
    assert refused.status_code == 200
    client.force_login(world.users["customer_service"])
    page = client.get(url("field_signoff", ticket.number)).content.decode()
    assert 'value="cs"' in page and 'value="director"' not in page
    assert client.post(url("field_joint_signoff", ticket.number), {"as": "cs"}).status_code == 302
    client.force_login(world.users["project_gm"])
    assert client.post(url("field_gm_approval", ticket.number)).status_code == 302
    client.force_login(world.users["director"])
    client.post(url("field_transition", ticket.number, "sign_off"))
    assert fresh(ticket).state == State.CALLBACK


def test_the_signoff_page_has_one_element_per_id(client, world):
    """Re-inspection, the owner's signature and the joint sign-off each have a comment box; with one id for
    all three, every "comment" label named the re-inspection's box (and what was typed went there)."""
    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    client.force_login(world.users["director"])
    html = client.get(url("field_signoff", ticket.number)).content.decode()
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert {'for="reinspect_comment"', 'for="id_comment"', 'for="joint_comment"'} <= set(
        re.findall(r'for="[^"]+"', html)
    )


def test_a_joint_signature_is_given_once_a_round(client, world):
    """After signing as director the button is gone, and a second post (another tab) is refused: the
    second click used to add a second "director signed" row."""
    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    s.signoff_record(ticket=ticket, by=world.users["steward"], kind=SignOff.Kind.REINSPECTION)
    client.force_login(world.users["director"])
    assert 'value="director"' in client.get(url("field_signoff", ticket.number)).content.decode()
    assert client.post(url("field_joint_signoff", ticket.number), {"as": "director"}).status_code == 302
    assert 'value="director"' not in client.get(url("field_signoff", ticket.number)).content.decode()
    again = client.post(url("field_joint_signoff", ticket.number), {"as": "director"})
    assert again.status_code == 409 and "signed already" in again.content.decode()
    assert ticket.signoffs.filter(kind=SignOff.Kind.JOINT_DIRECTOR).count() == 1


def test_a_workspace_page_action_opens_when_only_what_its_page_does_is_missing(client, world, settings):
    """Dispatch books the appointment on its page: without a plan the link is closed and says why
    ("not yet, first: …", in words that read as a requirement in Chinese); with one it opens."""
    settings.LANGUAGE_CODE = "zh-hans"
    ticket = advance(world, new_ticket(world), State.DISPATCH)  # general, no plan yet
    client.force_login(world.users["steward"])
    dispatch_page = url("field_dispatch", ticket.number)
    html = client.get(url("field_workspace", ticket.number)).content.decode()
    assert f'href="{dispatch_page}"' not in html and 'aria-disabled="true"' in html
    why = html[html.index('id="why-dispatch"') : html.index("</p>", html.index('id="why-dispatch"'))]
    assert "暂不可操作，需先满足：" in why and "已编制维修方案" in why and "已预约维修时间" not in why
    s.plan_submit(
        ticket=ticket, by=world.users["steward"], cause="防水层破损", method="重做防水", materials=["防水涂料"]
    )
    html = client.get(url("field_workspace", ticket.number)).content.decode()
    assert f'href="{dispatch_page}"' in html and "暂不可操作" not in html


def test_workspace_shows_actions_and_hides_the_phone_from_others(client, world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    client.force_login(world.users["steward"])
    html = client.get(url("field_workspace", ticket.number)).content.decode()
    assert f"tel:+86{phone_digits(world)}" in html
    assert "Not yet" in html or "尚未" in html or "a repair plan is written" in html
    client.force_login(world.users["customer_service"])
    html = client.get(url("field_workspace", ticket.number)).content.decode()
    assert phone_digits(world) not in html
    client.force_login(world.users["outsider"])
    assert client.get(url("field_workspace", ticket.number)).status_code == 404


def test_records_name_themselves_in_local_time(world):
    """An appointment booked for 15:00 in Shanghai (07:00 UTC) is "15:00" wherever it is named (the
    owner-absent page's heading showed 07:00)."""
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    when = dt.datetime(2030, 5, 6, 7, 0, tzinfo=dt.UTC)
    appointment = Appointment(ticket=ticket, kind=Appointment.Kind.SURVEY, scheduled_at=when)
    assert str(appointment).endswith("2030-05-06 15:00")
