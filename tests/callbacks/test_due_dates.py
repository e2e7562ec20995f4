"""The callback is due from the 1st to the 3rd Chinese workday after sign-off."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from callbacks.services import callback_window
from tests.tickets.lifecycle import advance, new_ticket
from tickets.models import State
from warranty import calendar
from warranty.models import CalendarDay

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_national_day_holiday_and_make_up_saturday():
    """Signed off 2026-09-30: the Golden Week (1–7 October) is skipped; the 3rd workday is the make-up Saturday."""
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).is_workday  # 调休上班
    assert not calendar.is_workday(dt.date(2026, 10, 5))
    due_from, due_by = callback_window(dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI))
    assert (due_from, due_by) == (dt.date(2026, 10, 8), dt.date(2026, 10, 10))
    assert due_from == calendar.add_workdays(dt.date(2026, 9, 30), 1)
    assert calendar.workdays_between(dt.date(2026, 9, 30), due_by) == 3


@pytest.mark.django_db
def test_sign_off_late_evening_counts_in_shanghai_time():
    """23:30 in Shanghai on a Friday is 15:30 UTC the same day: the window starts on Monday."""
    signed = dt.datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI).astimezone(dt.UTC)
    assert callback_window(signed) == (dt.date(2026, 11, 23), dt.date(2026, 11, 25))


@pytest.mark.django_db
def test_signing_off_creates_the_callback_with_its_window(world):
    """The ticket_event receiver opens the callback and the completion-notice round at sign-off."""
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=True):
        ticket = advance(world, new_ticket(world), State.CALLBACK)
    callback = ticket.callback
    assert (callback.due_from, callback.due_by) == (dt.date(2026, 10, 8), dt.date(2026, 10, 10))
    assert callback.status == "due"
    assert ticket.notification_round.status == "pending"
    assert ticket.notification_round.next_attempt_on == dt.date(2026, 9, 30)
