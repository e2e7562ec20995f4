"""Working-time arithmetic on the 2026 workday calendar (National Day Oct 1–7, make-up Sat Oct 10)."""

import pytest

from tickets.sla.hours import add_months, add_working_minutes, end_of_workdays, working_minutes_between

from .conftest import local

pytestmark = pytest.mark.django_db


def test_minutes_jump_over_the_holiday_week():
    assert add_working_minutes(local(2026, 9, 30, 17, 0), 30) == local(2026, 9, 30, 17, 30)
    assert add_working_minutes(local(2026, 9, 30, 17, 0), 31) == local(2026, 10, 8, 8, 31)
    assert add_working_minutes(local(2026, 10, 3, 12, 0), 60) == local(2026, 10, 8, 9, 30)


def test_the_make_up_saturday_is_a_workday_and_sunday_is_not():
    assert add_working_minutes(local(2026, 10, 9, 17, 0), 60) == local(2026, 10, 10, 9, 0)
    assert add_working_minutes(local(2026, 10, 10, 17, 0), 60) == local(2026, 10, 12, 9, 0)


def test_before_opening_hours_counts_from_08_30():
    assert add_working_minutes(local(2026, 9, 29, 6, 0), 120) == local(2026, 9, 29, 10, 30)


def test_working_minutes_between_is_the_inverse():
    start = local(2026, 9, 30, 10, 0)
    for minutes in (0, 1, 450, 451, 1000, 2070):
        assert working_minutes_between(start, add_working_minutes(start, minutes)) == minutes


def test_end_of_workdays_and_months():
    assert end_of_workdays(local(2026, 9, 30, 10, 0), 1) == local(2026, 10, 8, 17, 30)
    assert end_of_workdays(local(2026, 9, 30, 10, 0), 3) == local(2026, 10, 10, 17, 30)
    assert add_months(local(2026, 1, 31, 0, 0), 1) == local(2026, 2, 28, 0, 0)
    assert add_months(local(2026, 11, 28, 9, 0), -2) == local(2026, 9, 28, 9, 0)
