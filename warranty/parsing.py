"""Reading ids and times from raw request parameters without trusting them."""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime

MAX_ID_DIGITS = 18  # a bigint; longer "numbers" are not ids (and int() on 10,000 digits raises)


def parse_id(value) -> int | None:
    """An object id from a query or form value, or None ("²".isdigit() is True, so isdigit() is not enough)."""
    text = str(value or "").strip()
    if not text or len(text) > MAX_ID_DIGITS or not (text.isascii() and text.isdecimal()):
        return None
    return int(text)


def parse_aware_datetime(value) -> dt.datetime | None:
    """A datetime from a form value (naive = Asia/Shanghai), or None when it is not a real date and time."""
    try:
        when = parse_datetime(str(value or "").strip())
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30T10:00
        return None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when
