"""Admin pages of the daily report, and the schedule's time parsing."""

import datetime as dt

import pytest
from django.urls import reverse

from config.schedules import PERIODIC_TASKS, DailyAt, parse_hhmm
from tickets.models import DailyReport, ReportRecipient
from tickets.reporting import daily

from .conftest import at


def test_admin_lists_recipients_and_kept_reports(month, admin_client):
    ReportRecipient.objects.create(project=month.project, kind="to", label="物业客服主管", email="pm@wy.example.cn")
    report = daily.daily_report_send(project=month.project, day=dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    assert admin_client.get(reverse("admin:tickets_reportrecipient_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:tickets_reportrecipient_add")).status_code == 200
    assert admin_client.get(reverse("admin:tickets_dailyreport_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:tickets_dailyreport_change", args=[report.pk])).status_code == 200
    assert DailyReport.objects.get().number == "F03-YQF-20260312"


def test_daily_report_schedule_defaults_to_18_00(settings):
    del settings.DAILY_REPORT_TIME
    task, schedule = PERIODIC_TASKS["reports: daily report F03"]
    assert task == "tickets.tasks.send_daily_reports"
    assert "every_seconds" not in schedule and "crontab" in schedule
    assert (schedule["crontab"]["hour"], schedule["crontab"]["minute"]) == ("18", "0")


@pytest.mark.parametrize("value", ["24:00", "7:60", "noon"])
def test_a_bad_time_is_refused(value, settings):
    settings.DAILY_REPORT_TIME = value
    with pytest.raises(ValueError):
        DailyAt("DAILY_REPORT_TIME", "18:00")["crontab"]


def test_time_parsing():
    assert parse_hhmm("07:05") == (7, 5)
    assert parse_hhmm("9") == (9, 0)
