"""Chinese working days: public holidays and make-up workdays (调休).

The table ``CalendarDay`` is seeded from ``chinesecalendar`` for the years it
knows and is editable in the admin. For a year with no rows the calendar
falls back to Monday–Friday and says so (system check warranty.W001 and an
admin banner) instead of crashing.
"""

import datetime as dt
import logging
import time
from functools import lru_cache

from django.utils import timezone

logger = logging.getLogger(__name__)


def _years_in_table() -> frozenset[int]:
    from .models import CalendarDay

    return frozenset(d.year for d in CalendarDay.objects.dates("date", "year"))


# Other processes (web workers, Celery) do not see clear_cache() from the one that
# edited the table, so a cached year is also re-read after this many seconds.
CACHE_SECONDS = 300


def _year_table(year: int) -> dict[dt.date, bool] | None:
    """The year's rows as {date: is_workday}, or None when the table has none."""
    return _cached_year_table(year, int(time.monotonic() // CACHE_SECONDS))


@lru_cache(maxsize=64)
def _cached_year_table(year: int, _period: int) -> dict[dt.date, bool] | None:
    from .models import CalendarDay

    rows = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))
    return rows or None


def clear_cache() -> None:
    """Forget cached years in this process (called when the admin edits the table)."""
    _cached_year_table.cache_clear()


# Years this process had to guess (Monday–Friday) because the table lacked them.
_guessed_years: set[int] = set()


def is_workday(day: dt.date) -> bool:
    table = _year_table(day.year)
    if table is None:
        if day.year not in _guessed_years:
            _guessed_years.add(day.year)
            logger.warning("No holidays in the workday calendar for %s: assuming Monday-Friday", day.year)
        return day.weekday() < 5
    if day in table:
        return table[day]
    return day.weekday() < 5


def year_is_known(year: int) -> bool:
    return _year_table(year) is not None


def add_workdays(start: dt.date | dt.datetime, n: int) -> dt.date:
    """The date ``n`` workdays after ``start`` (``start`` itself not counted)."""
    day = _local_date(start)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        day += dt.timedelta(days=step)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> int:
    """Workdays after ``start`` up to and including ``end`` (0 when end <= start)."""
    a, b = _local_date(start), _local_date(end)
    count = 0
    day = a
    while day < b:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    """The calendar date in Asia/Shanghai of a date or datetime.

    An aware datetime (as read from the database, in UTC) is converted first:
    01:00 in Shanghai is still the previous day in UTC.
    """
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def missing_years_warning_years(today: dt.date | None = None) -> list[int]:
    """Years in use that lack holiday rows.

    This year always; next year from December on (the State Council
    publishes the holiday schedule in November); and any year for which this
    process already had to fall back to Monday–Friday.
    """
    today = today or timezone.localdate()
    known = _years_in_table()
    wanted = {today.year, *_guessed_years}
    if today.month == 12:
        wanted.add(today.year + 1)
    return sorted(y for y in wanted if y not in known)


def seed_from_chinesecalendar(years=None) -> int:
    """Fill the table from chinesecalendar for the years it knows; returns rows written."""
    import chinese_calendar

    from .models import CalendarDay

    start_year, end_year = _chinesecalendar_range()
    _HOLIDAY_ZH = _holiday_names_zh()  # noqa: N806
    wanted = range(start_year, end_year + 1) if years is None else years
    written = 0
    for year in wanted:
        if not start_year <= year <= end_year:
            logger.warning("chinesecalendar knows no holidays for %s", year)
            continue
        day = dt.date(year, 1, 1)
        rows = []
        while day.year == year:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            workday = chinese_calendar.is_workday(day)
            label = ""
            if name:
                label = _HOLIDAY_ZH.get(name, name)
                if workday:
                    label = f"{label} (调休上班)"
            rows.append(CalendarDay(date=day, is_workday=workday, name=label[:50]))
            day += dt.timedelta(days=1)
        CalendarDay.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["date"], update_fields=["is_workday", "name"]
        )
        written += len(rows)
    clear_cache()
    return written


def _holiday_names_zh() -> dict[str, str]:
    import chinese_calendar.constants as c

    return {h.value: getattr(h, "chinese", h.value) for h in c.Holiday}


def _chinesecalendar_range() -> tuple[int, int]:
    import chinese_calendar.constants as c

    years = sorted({d.year for d in c.holidays})
    return years[0], years[-1]
