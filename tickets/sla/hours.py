"""Deadline arithmetic on the two SLA calendars.

Round the clock is plain ``timedelta``. Working hours are 08:30–17:30 on the
workdays of :mod:`warranty.calendar` (public holidays off, make-up workdays on),
in Asia/Shanghai local time.
"""

import calendar as _calendar
import datetime as dt

from django.utils import timezone

from warranty.calendar import add_workdays, is_workday

WORK_START = dt.time(8, 30)
WORK_END = dt.time(17, 30)
MINUTES_PER_WORKDAY = 9 * 60
# A clock that would need more than this many days of search has a broken calendar.
_MAX_DAYS = 3660


def _window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, WORK_START, tzinfo=tz), dt.datetime.combine(day, WORK_END, tzinfo=tz)


def add_working_minutes(start: dt.datetime, minutes: int) -> dt.datetime:
    """The moment ``minutes`` working minutes after ``start``.

    A deadline that falls exactly at the end of a working day stays there (17:30),
    instead of moving to 08:30 of the next workday.
    """
    local = timezone.localtime(start)
    day = local.date()
    remaining = max(int(minutes), 0)
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            begin, end = _window(day)
            cursor = max(local, begin)
            if cursor <= end:
                available = int((end - cursor).total_seconds() // 60)
                if remaining <= available:
                    return cursor + dt.timedelta(minutes=remaining)
                remaining -= available
        day += dt.timedelta(days=1)
        local = _window(day)[0]
    raise ValueError("no workday found within ten years")


def working_minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working minutes from ``start`` to ``end`` (0 when end <= start)."""
    if end <= start:
        return 0
    a, b = timezone.localtime(start), timezone.localtime(end)
    day, total = a.date(), 0
    while day <= b.date():
        if is_workday(day):
            begin, finish = _window(day)
            lo, hi = max(a, begin), min(b, finish)
            if hi > lo:
                total += int((hi - lo).total_seconds() // 60)
        day += dt.timedelta(days=1)
    return total


def end_of_workdays(start: dt.datetime, n: int) -> dt.datetime:
    """17:30 on the ``n``-th workday after the day of ``start`` (that day not counted)."""
    return _window(add_workdays(start, n))[1]


def add_months(start: dt.datetime, n: int) -> dt.datetime:
    """The same local time ``n`` months later (the 31st becomes the month's last day)."""
    local = timezone.localtime(start)
    month0 = local.month - 1 + n
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, _calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)
