"""The workday calendar: holidays, make-up workdays, and the fallback for unknown years."""

import datetime as dt
import types
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.checks import run_checks
from django.core.management import call_command

from warranty import calendar
from warranty.models import CalendarDay

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def calendar_warnings():
    return [issue for issue in run_checks() if issue.id == "warranty.W001"]


def test_national_day_is_a_holiday():
    """2026-10-01 (a Thursday) is a day off, named in the table."""
    assert calendar.is_workday(D(2026, 10, 1)) is False
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"


def test_make_up_saturday_is_a_workday():
    """2026-10-10 is a Saturday worked to make up for National Day (调休)."""
    assert D(2026, 10, 10).weekday() == 5
    assert calendar.is_workday(D(2026, 10, 10)) is True


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Oct 1–7 off, then Thu 8, Fri 9 and the make-up Saturday 10.
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 9, 30), 4, D(2026, 10, 12)),  # Sunday 11 is off
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 10, 8), -1, D(2026, 9, 30)),
        (D(2026, 9, 30), 0, D(2026, 9, 30)),
    ],
)
def test_add_workdays_skips_national_day(start, n, expected):
    """Adding workdays skips the holiday and counts the make-up workday."""
    assert calendar.add_workdays(start, n) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 9, 30), D(2026, 10, 7), 0),
        (D(2026, 9, 30), D(2026, 10, 12), 4),  # 8, 9, 10 (make-up) and 12
        (D(2026, 11, 2), D(2026, 11, 9), 5),  # an ordinary week
        (D(2026, 10, 12), D(2026, 9, 30), 0),
    ],
)
def test_workdays_between_across_national_day(start, end, expected):
    """Workdays after start up to and including end."""
    assert calendar.workdays_between(start, end) == expected


def test_aware_datetimes_count_from_the_shanghai_date():
    """01:00 on 9 October in Shanghai is still 8 October in UTC; the Shanghai date counts."""
    early_morning = dt.datetime(2026, 10, 9, 1, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
    assert calendar.add_workdays(early_morning, 1) == D(2026, 10, 10)
    assert calendar.workdays_between(early_morning, D(2026, 10, 12)) == 2


@time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_unknown_year_falls_back_to_monday_to_friday_and_the_check_warns():
    """A 2027 date is answered Monday–Friday without an exception; the check then names 2027."""
    assert calendar_warnings() == []

    assert calendar.is_workday(D(2027, 1, 1)) is True  # New Year's Day, but the table does not know it
    assert calendar.is_workday(D(2027, 1, 2)) is False  # a Saturday
    assert calendar.add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 4)
    assert calendar.year_is_known(2027) is False

    [warning] = calendar_warnings()
    assert "2027" in warning.msg
    assert warning.obj == "2027"

    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "warranty.W001" in err.getvalue()
    assert "2027" in err.getvalue()


@time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_december_warns_about_next_year_before_it_is_used():
    """From December on the check asks for next year's holidays (published in November)."""
    assert [w.obj for w in calendar_warnings()] == ["2027"]


@time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_adding_the_year_in_the_admin_ends_the_fallback_and_the_warning():
    """Once 2027 has rows (and the cache is cleared, as the admin does) its holidays count."""
    assert calendar.is_workday(D(2027, 1, 1)) is True
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    calendar.clear_cache()

    assert calendar.is_workday(D(2027, 1, 1)) is False
    assert calendar.is_workday(D(2027, 1, 4)) is True  # a Monday with no row of its own
    assert calendar_warnings() == []


def test_other_processes_see_an_edit_after_the_cache_period(monkeypatch):
    """A process that did not clear its cache re-reads a year after CACHE_SECONDS."""
    now = [1000.0]
    monkeypatch.setattr(calendar, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    assert calendar.is_workday(D(2027, 1, 1)) is True

    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")  # edited elsewhere
    assert calendar.is_workday(D(2027, 1, 1)) is True  # still cached here

    now[0] += calendar.CACHE_SECONDS
    assert calendar.is_workday(D(2027, 1, 1)) is False
