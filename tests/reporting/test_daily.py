"""F03: recipients per DOMAIN §6, every section, the Shanghai day boundary, and one email per project and day."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from callbacks.models import Callback
from tests.factories import UserFactory
from tickets.models import (
    ContactAttempt,
    DailyReport,
    Escalation,
    ReportRecipient,
    SlaAlert,
    SlaClock,
    WorkLog,
)
from tickets.reporting import daily
from tickets.tasks import send_daily_reports

from .conftest import at, data_queries, make_clock, make_ticket


def give_emails(world):
    for user in world.users.values():
        user.email = f"{user.username}@yqf.example.cn"
        user.save(update_fields=["email"])


def add_outside_recipients(project):
    """The people without a user in the system, as the project's ReportRecipient rows."""
    ReportRecipient.objects.create(project=project, kind="to", label="工程管理部", email="eng-mgmt@dev.example.cn")
    ReportRecipient.objects.create(project=project, kind="to", label="物业客服主管", email="pm-cs@wy.example.cn")
    ReportRecipient.objects.create(project=project, kind="cc", label="客服经理", email="cs-manager@dev.example.cn")
    ReportRecipient.objects.create(project=project, kind="cc", label="工程经理", email="eng-manager@dev.example.cn")
    ReportRecipient.objects.create(project=project, kind="cc", label="物业处主任", email="pm-head@wy.example.cn")


EXPECTED_TO = [
    "director@yqf.example.cn",  # warranty center: directors,
    "director2@yqf.example.cn",
    "steward@yqf.example.cn",  # stewards,
    "front_desk@yqf.example.cn",  # front desk
    "project_dept@yqf.example.cn",  # project department
    "customer_service@yqf.example.cn",  # CS specialist
    "eng-mgmt@dev.example.cn",  # engineering management
    "pm-cs@wy.example.cn",  # property management CS supervisor
]
EXPECTED_CC = [
    "project_gm@yqf.example.cn",  # project GM
    "cs-manager@dev.example.cn",  # CS manager
    "eng-manager@dev.example.cn",  # engineering manager
    "pm-head@wy.example.cn",  # property office head
]


def test_recipients_exactly_as_domain_6(world):
    """Engineer, finance, contractors, inactive users, other projects' staff and inactive rows are left out."""
    give_emails(world)
    add_outside_recipients(world.project)
    UserFactory(role="director", projects=[world.project], username="gone", email="gone@x.cn", is_active=False)
    UserFactory(role="steward", projects=[world.other_project], username="elsewhere", email="else@x.cn")
    ReportRecipient.objects.create(project=world.project, kind="cc", label="旧", email="old@x.cn", is_active=False)
    to, cc = daily.daily_report_recipients(world.project)
    assert to == EXPECTED_TO
    assert cc == EXPECTED_CC


def test_an_address_in_to_is_not_repeated_in_cc(world):
    give_emails(world)
    ReportRecipient.objects.create(project=world.project, kind="cc", label="主任", email="director@yqf.example.cn")
    to, cc = daily.daily_report_recipients(world.project)
    assert "director@yqf.example.cn" in to
    assert "director@yqf.example.cn" not in cc


def test_ticket_at_2359_counts_on_that_day_and_0001_on_the_next(month):
    """T7 was logged 2026-03-31 23:59 Shanghai (15:59 UTC), T8 2026-04-01 00:01."""
    on_31 = daily.daily_report_build(month.project, dt.date(2026, 3, 31), now=at("2026-03-31 18:00"))
    on_1 = daily.daily_report_build(month.project, dt.date(2026, 4, 1), now=at("2026-04-01 18:00"))
    assert [t["number"] for t in on_31["received"]] == [month.t[7].number]
    assert on_31["totals"]["received_day"] == 1
    assert [t["number"] for t in on_1["received"]] == [month.t[8].number]
    assert on_1["totals"]["received_day"] == 1


def test_totals_and_week_to_date(month):
    """Thursday 2026-03-12: received T4 that day; week from Monday 9 March: T9 and T4. Signed off in the week:
    T3 (11 March). Closed that day: T3; in the week: T2 (9th), T9 (10th), T3 (12th)."""
    r = daily.daily_report_build(month.project, dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    t = r["totals"]
    assert (t["received_day"], t["received_week"]) == (1, 2)
    assert (t["completed_day"], t["completed_week"]) == (0, 1)
    assert (t["closed_day"], t["closed_week"]) == (1, 3)
    assert (t["callbacks_day"], t["callbacks_week"]) == (1, 1)  # T2's callback was on Sunday the 8th
    assert t["open_now"] == 2  # open as they stand today and reported by the 12th: T4, T10
    assert [row["number"] for row in r["in_progress"]] == [month.t[10].number, month.t[4].number]
    assert [row["age_days"] for row in r["in_progress"]] == [70, 0]  # from the report to 18:00 on the 12th
    assert r["number"] == "F03-YQF-20260312"


def test_every_call_counts_on_its_own_day_reached_or_not(month):
    """T6's owner was not reached on Tuesday 3 March and is reached on Wednesday the 4th. The callback row
    keeps only its latest call; the report counts calls, so each day counts its own and the week both."""
    from callbacks.models import CallbackAttempt

    callback = month.t[6].callback
    callback.reached, callback.called_at, callback.quality = True, at("2026-03-04 10:00"), "satisfied"
    callback.save()
    CallbackAttempt.objects.create(
        callback=callback, at=at("2026-03-04 10:00"), reached=True, by=month.world.users["customer_service"]
    )
    tuesday = daily.daily_report_build(month.project, dt.date(2026, 3, 3), now=at("2026-03-03 18:00"))
    wednesday = daily.daily_report_build(month.project, dt.date(2026, 3, 4), now=at("2026-03-04 18:00"))
    assert (tuesday["totals"]["callbacks_day"], tuesday["totals"]["callbacks_week"]) == (1, 1)
    assert [(c["ticket"], c["reached"], c["answers"]["quality"]) for c in tuesday["callbacks"]] == [
        (month.t[6].number, False, "")
    ]
    assert (wednesday["totals"]["callbacks_day"], wednesday["totals"]["callbacks_week"]) == (1, 2)
    assert [(c["ticket"], c["reached"]) for c in wednesday["callbacks"]] == [(month.t[6].number, True)]
    assert wednesday["callbacks"][0]["answers"]["quality"]  # the answers go with the call that reached


def full_day(month):
    """One more row for every section on 2026-03-12."""
    w = month.world
    t3, t4 = month.t[3], month.t[4]
    Callback.objects.filter(ticket=t3).update(non_warranty_issues="小区门禁卡失灵")
    ContactAttempt.objects.create(
        report=t3.report, ticket=t3, purpose="completion", at=at("2026-03-12 11:00"), by=w.users["front_desk"],
        reached=False,
    )  # fmt: skip
    done = make_ticket(
        month.project, month.a[4], 50, created=at("2026-03-10 09:00"), cat="fitout", location="study",
        state="callback", signed_off_at=at("2026-03-12 16:00"), steward=w.users["steward"],
    )  # fmt: skip
    WorkLog.objects.create(
        ticket=t4, kind="progress", at=at("2026-03-12 15:00"), by=w.users["steward"], note="旧管已拆除"
    )
    clock = make_clock(t4, "first_contact", due=at("2026-03-12 12:00"))
    SlaAlert.objects.create(clock=clock, level="breach", at=at("2026-03-12 12:01"))
    Escalation.objects.create(
        reason="repeat_repair", subject_key="unit:x", project=month.project, ticket=t4, summary="厨房二次维修"
    )
    referred = make_ticket(
        month.project, month.a[5], 51, created=at("2026-03-12 08:00"), cat="civil", location="garage",
        state="referred", closed_at=at("2026-03-12 09:00"), close_reason="车库地坪不在保修范围，转物业",
    )  # fmt: skip
    return done, referred


def test_html_contains_every_section(month):
    done, referred = full_day(month)
    r = daily.daily_report_build(month.project, dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    html = daily.render_report(r)["html"]
    for section in ("totals", "received", "in-progress", "completed", "notified", "callbacks", "sla", "escalations"):
        assert f'id="{section}"' in html, section
    assert 'id="non-warranty"' in html
    t4 = month.t[4]
    assert t4.number in html  # received that day and in progress
    assert done.number in html  # completed
    assert "小区门禁卡失灵" in html  # non-warranty issue at the callback
    assert "车库地坪不在保修范围" in html  # referred out of warranty
    assert "厨房二次维修" in html  # open escalation
    assert "2026-03-12 15:00 旧管已拆除" in html  # the latest progress of an open ticket
    assert "<script" not in html
    assert "<style" not in html  # inline CSS only: mail clients drop style blocks
    assert [a["is_breach"] for a in r["sla"]] == [True]
    assert [n["reached"] for n in r["notified"]] == [False]
    text = daily.render_report(r)["text"]
    assert done.number in text and "小区门禁卡失灵" in text


def test_build_query_count_is_fixed(month):
    full_day(month)
    with CaptureQueriesContext(connection) as ctx:
        daily.daily_report_build(month.project, dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    assert len(data_queries(ctx)) == 12  # calls counted from the attempts, overdue callbacks apart


@time_machine.travel(at("2026-03-12 18:00"), tick=False)
def test_sent_once_with_html_text_and_pdf_even_when_the_task_runs_twice(month):
    give_emails(month.world)
    add_outside_recipients(month.project)
    full_day(month)
    send_daily_reports()
    send_daily_reports()
    # One email per project: YQF, and LW (whose steward is "outsider"); the second run sends nothing.
    assert sorted(m.subject.split("]")[0] for m in mail.outbox) == ["[F03-LW-20260312", "[F03-YQF-20260312"]
    (message,) = [m for m in mail.outbox if "F03-YQF-20260312" in m.subject]
    assert message.to == EXPECTED_TO and message.cc == EXPECTED_CC
    assert "F03-YQF-20260312" in message.subject
    assert message.alternatives[0].mimetype == "text/html"
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("F03-YQF-20260312.pdf", "application/pdf")
    assert content[:5] == b"%PDF-"
    kept = DailyReport.objects.get(project=month.project, day=dt.date(2026, 3, 12))
    assert kept.sent_at is not None and kept.sent_by is None
    with kept.pdf.open("rb") as stored:  # the PDF as sent is kept, not rendered again on each download
        assert stored.read() == content
    assert kept.recipients_to == EXPECTED_TO
    assert DailyReport.objects.filter(day=dt.date(2026, 3, 12)).count() == 2


def test_a_failed_send_keeps_nothing_and_the_next_run_sends(month, monkeypatch):
    give_emails(month.world)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(ConnectionRefusedError):
        daily.daily_report_send(project=month.project, day=dt.date(2026, 3, 12))
    assert not DailyReport.objects.exists()
    monkeypatch.undo()
    daily.daily_report_send(project=month.project, day=dt.date(2026, 3, 12))
    assert len(mail.outbox) == 1


@time_machine.travel(at("2026-03-12 18:00"), tick=False)
def test_the_task_retries_the_same_day_when_a_project_fails(month, monkeypatch):
    """YQF's send fails: LW is still sent, and the task asks Celery to retry 2026-03-12."""
    from celery.exceptions import Retry

    give_emails(month.world)
    real_send = daily.daily_report_send

    def flaky(*, project, **kwargs):
        if project.code == "YQF":
            raise ConnectionRefusedError("smtp down")
        return real_send(project=project, **kwargs)

    monkeypatch.setattr(daily, "daily_report_send", flaky)
    retried = []
    monkeypatch.setattr(send_daily_reports, "retry", lambda **kw: retried.append(kw) or Retry("retry", None))
    with pytest.raises(Retry):
        send_daily_reports()
    assert retried[0]["kwargs"] == {"day": "2026-03-12"}
    assert [m.subject.split("]")[0] for m in mail.outbox] == ["[F03-LW-20260312"]
    monkeypatch.setattr(daily, "daily_report_send", real_send)
    send_daily_reports(day="2026-03-12")  # the retry: YQF now, LW not again
    assert sorted(m.subject.split("]")[0] for m in mail.outbox) == ["[F03-LW-20260312", "[F03-YQF-20260312"]


def test_a_kept_report_does_not_change_when_tickets_move_on(month):
    give_emails(month.world)
    report = daily.daily_report_send(project=month.project, day=dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    before = dict(report.data)
    SlaClock.objects.all().delete()
    month.t[5].__class__.objects.filter(pk=month.t[5].pk).update(description="changed")
    report.refresh_from_db()
    assert report.data == before


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_one_email(world):
    """Two workers start the same day's report at the same moment on PostgreSQL: one email, one row."""
    give_emails(world)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            daily.daily_report_send(project=world.project, day=dt.date(2026, 3, 12))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(mail.outbox) == 1
    assert DailyReport.objects.filter(project=world.project, day=dt.date(2026, 3, 12)).count() == 1


def test_schedule_reads_the_setting_when_setup_schedules_runs(db, settings):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    settings.DAILY_REPORT_TIME = "17:45"
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    task = PeriodicTask.objects.get(task="tickets.tasks.send_daily_reports")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("17", "45", "Asia/Shanghai")
    settings.DAILY_REPORT_TIME = "18:00"
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    task.refresh_from_db()
    assert (task.crontab.hour, task.crontab.minute) == ("18", "0")
