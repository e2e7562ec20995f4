"""The contractor's view: only its own dispatch notices, owners' phones only on its current jobs."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets import services as s
from tickets.models import DispatchNotice, State, WorkLog

from .conftest import in_future, jpeg_upload
from .lifecycle import advance, fresh, new_ticket


def url(name, *args):
    return reverse(f"tickets:{name}", args=args)


def local_input(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def dispatched(world, contractor=None):
    """A ticket in repair with a sent (unanswered) notice to ``contractor`` (default: the liable waterproofer)."""
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    s.plan_submit(ticket=ticket, by=world.users["steward"], cause="防水层破损", method="重做防水")
    target = contractor or world.waterproof
    return s.ticket_dispatch(
        ticket=fresh(ticket),
        by=world.users["steward"],
        contractor=target,
        scheduled_at=in_future(3),
        override_reason="" if target == world.waterproof else "指定维修",
    )


@pytest.fixture
def wp_client(client, world):
    client.force_login(world.users["waterproof_contractor"])
    return client


def phone(world) -> str:
    return str(world.owner.phone.national_number)


def test_another_contractors_notice_is_not_found(client, world):
    """Every page of a notice answers 404 to a user of another firm, and the list leaves it out."""
    notice = dispatched(world)
    client.force_login(world.users["contractor"])  # the general contractor's user
    for name in ("contractor_notice", "field_notice_pdf"):
        assert client.get(url(name, notice.number)).status_code == 404
    for name in ("contractor_accept", "contractor_decline", "contractor_arrival"):
        assert client.post(url(name, notice.number), {"reason": "x", "answer": "confirm"}).status_code == 404
    assert notice.number not in client.get(url("contractor_notices")).content.decode()
    assert DispatchNotice.objects.get(pk=notice.pk).status == "sent"


def test_contractor_never_sees_owner_phones_outside_its_own_jobs(client, world):
    notice = dispatched(world)
    other = dispatched(world, contractor=world.general)
    client.force_login(world.users["waterproof_contractor"])
    # Before accepting: the job is not theirs yet.
    html = client.get(url("contractor_notice", notice.number)).content.decode()
    assert phone(world) not in html
    assert phone(world) not in client.get(url("contractor_notices")).content.decode()
    # Staff pages are closed to contractors.
    assert client.get(url("field_workspace", other.ticket.number)).status_code == 302
    assert client.get(url("field_my_day")).status_code == 302
    # Accepted: the phone of its own job shows.
    client.post(url("contractor_accept", notice.number), {"answer": "confirm"})
    html = client.get(url("contractor_notice", notice.number)).content.decode()
    assert f"tel:+86{phone(world)}" in html
    pdf = client.get(url("field_notice_pdf", notice.number))
    assert pdf.status_code == 200
    # The general contractor's user sees neither the job nor the phone.
    client.force_login(world.users["contractor"])
    html = client.get(url("contractor_notice", other.number)).content.decode()
    assert phone(world) not in html
    assert client.get(url("contractor_notice", notice.number)).status_code == 404


def test_declined_job_no_longer_shows_the_phone(wp_client, world):
    notice = dispatched(world)
    bad = wp_client.post(url("contractor_decline", notice.number), {"reason": ""})
    assert bad.status_code == 400
    assert wp_client.post(url("contractor_decline", notice.number), {"reason": "人手不足"}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == "declined" and notice.decline_reason == "人手不足"
    assert fresh(notice.ticket).state == State.DISPATCH
    html = wp_client.get(url("contractor_notice", notice.number)).content.decode()
    assert phone(world) not in html


def test_accept_with_a_proposed_time_in_the_past_is_refused(wp_client, world):
    notice = dispatched(world)
    response = wp_client.post(
        url("contractor_accept", notice.number),
        {"answer": "propose", "proposed_at": local_input(timezone.now() - dt.timedelta(hours=3))},
    )
    assert response.status_code == 400
    notice.refresh_from_db()
    assert notice.status == "sent"
    later = in_future(30)
    ok = wp_client.post(
        url("contractor_accept", notice.number), {"answer": "propose", "proposed_at": local_input(later)}
    )
    assert ok.status_code == 302
    pending = notice.ticket.appointments.filter(kind="repair", outcome="").get()
    assert abs((pending.scheduled_at - later).total_seconds()) < 60


def test_a_simple_job_without_a_plan_opens_and_is_accepted(wp_client, world):
    """Simple defects are dispatched without a repair plan: the notice page rendered the plan's materials
    as a filter argument and answered 500, so the contractor could not take the job."""
    ticket = advance(world, new_ticket(world), State.DISPATCH, difficulty="simple")
    assert not ticket.plans.exists()
    notice = s.ticket_dispatch(
        ticket=fresh(ticket), by=world.users["steward"], contractor=world.waterproof, scheduled_at=in_future(3)
    )
    page = wp_client.get(url("contractor_notice", notice.number))
    assert page.status_code == 200
    assert wp_client.post(url("contractor_accept", notice.number), {"answer": "confirm"}).status_code == 302
    assert wp_client.get(url("contractor_notice", notice.number)).status_code == 200


def test_accept_with_a_proposed_time_years_ahead_is_refused(wp_client, world):
    notice = dispatched(world)
    response = wp_client.post(
        url("contractor_accept", notice.number), {"answer": "propose", "proposed_at": "9999-12-31T23:59"}
    )
    assert response.status_code == 400
    assert "at most a year ahead" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == "sent"


def test_an_empty_progress_report_is_refused_and_nothing_saved(wp_client, world):
    notice = dispatched(world)
    wp_client.post(url("contractor_accept", notice.number), {"answer": "confirm"})
    wp_client.post(url("contractor_arrival", notice.number))
    response = wp_client.post(url("contractor_progress", notice.number), {"kind": "progress", "note": "  "})
    assert response.status_code == 400
    assert "Describe what was done" in response.content.decode()
    assert not WorkLog.objects.filter(ticket=notice.ticket, kind="progress").exists()
    # a material alone says what was done
    ok = wp_client.post(
        url("contractor_progress", notice.number),
        {"kind": "progress", "material_0": "防水涂料", "quantity_0": "1", "unit_0": "桶"},
    )
    assert ok.status_code == 302


def test_arrival_progress_and_completion(wp_client, world):
    notice = dispatched(world)
    wp_client.post(url("contractor_accept", notice.number), {"answer": "confirm"})
    assert wp_client.post(url("contractor_arrival", notice.number)).status_code == 302
    assert notice.ticket.appointments.filter(arrived_at__isnull=False).exists()
    progress = wp_client.post(
        url("contractor_progress", notice.number),
        {"kind": "progress", "note": "拆除旧瓷砖", "material_0": "防水涂料", "quantity_0": "1.5", "unit_0": "桶",
         "photos": [jpeg_upload()]},
    )  # fmt: skip
    assert progress.status_code == 302
    assert WorkLog.objects.filter(ticket=notice.ticket, kind="progress").get().photos.count() == 1
    done = wp_client.post(url("contractor_complete", notice.number), {"kind": "completion", "note": "闭水试验通过"})
    assert done.status_code == 302
    assert fresh(notice.ticket).state == State.SIGNOFF
    told = [str(m) for m in wp_client.get(done.url).context["messages"]]
    assert told[-1] == "Completion reported: the steward re-inspects the repair next."  # not just "Saved."
    # Once completed the job leaves the contractor's hands: no more reports.
    assert wp_client.get(url("contractor_progress", notice.number)).status_code == 404


def test_completion_before_arrival_is_refused_and_the_report_kept(wp_client, world):
    notice = dispatched(world)
    wp_client.post(url("contractor_accept", notice.number), {"answer": "confirm"})
    response = wp_client.post(
        url("contractor_complete", notice.number),
        {"kind": "completion", "note": "已完成闭水试验", "material_0": "防水涂料", "quantity_0": "2", "unit_0": "桶"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "已完成闭水试验" in html and 'value="桶"' in html
    assert "arrival on site is recorded" in html or "到场" in html
    assert not WorkLog.objects.filter(ticket=notice.ticket, kind="completion").exists()
    assert fresh(notice.ticket).state == State.REPAIR


def test_contractor_proposes_another_time_for_an_accepted_job(wp_client, world):
    notice = dispatched(world)
    wp_client.post(url("contractor_accept", notice.number), {"answer": "confirm"})
    past = wp_client.post(
        url("contractor_propose", notice.number),
        {"scheduled_at": local_input(timezone.now() - dt.timedelta(hours=1)), "note": "材料未到"},
    )
    assert past.status_code == 400 and "材料未到" in past.content.decode()
    later = in_future(48)
    ok = wp_client.post(
        url("contractor_propose", notice.number), {"scheduled_at": local_input(later), "note": "材料未到"}
    )
    assert ok.status_code == 302
    pending = notice.ticket.appointments.filter(kind="repair", outcome="").get()
    assert abs((pending.scheduled_at - later).total_seconds()) < 60


def test_photos_of_another_contractors_job_are_not_found(client, world):
    notice = dispatched(world)
    s.notice_accept(notice=notice, by=world.users["waterproof_contractor"])
    log = s.worklog_add(
        ticket=fresh(notice.ticket), by=world.users["steward"], kind="site_visit", photos=[jpeg_upload()]
    )
    photo = log.photos.get()
    client.force_login(world.users["contractor"])
    assert client.get(url("field_attachment", photo.pk)).status_code == 404
    client.force_login(world.users["waterproof_contractor"])
    response = client.get(url("field_attachment", photo.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
