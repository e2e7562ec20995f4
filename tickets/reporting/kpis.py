"""The supervisors' measures (DOMAIN §6). Each function's docstring is the measure's written definition.

Every function runs a fixed number of aggregate queries, whatever the number of tickets: the
counting happens in the database (``annotate``/``aggregate`` with conditional ``Count``), never
row by row in Python.

Periods are half-open ``[start, end)`` in aware datetimes; days, weeks and months are those of
Asia/Shanghai (the active time zone), so a ticket logged at 23:59 Shanghai time belongs to that day.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from callbacks.models import DIMENSIONS, Callback, Satisfaction
from warranty.db import set_local
from warranty.models import Contractor, DefectCategory, DeliveryBatch, Project, Unit

from ..models import OPEN_STATES, Appointment, DispatchNotice, Resolution, SlaClock, SlaPolicy, State, Ticket

# A defect in this share of a batch's units or more is systemic (DOMAIN §5).
SYSTEMIC_SHARE = 0.20
# Open tickets by age, in whole days since the report: (label, from, to) with ``to`` exclusive.
AGE_BUCKETS: list[tuple[str, int, int | None]] = [
    ("0–2", 0, 3),
    ("3–7", 3, 8),
    ("8–14", 8, 15),
    ("15–30", 15, 31),
    ("> 30", 31, None),
]
TOP_LOCATIONS = 10


@dataclass(frozen=True)
class Rate:
    """A share with its parts, so every percentage can be checked by hand."""

    num: int
    den: int

    @property
    def pct(self) -> float | None:
        return None if not self.den else round(100.0 * self.num / self.den, 1)

    def __str__(self):
        return "—" if self.pct is None else f"{self.pct:.1f}%"


@dataclass(frozen=True)
class Filters:
    """What a measure looks at: projects (``None`` = every project), an optional batch and a period."""

    project_ids: frozenset[int] | None
    start: dt.datetime
    end: dt.datetime
    batch_id: int | None = None
    now: dt.datetime = field(default_factory=timezone.now)

    def tickets(self) -> QuerySet[Ticket]:
        """Tickets of the projects and batch, any time."""
        qs = Ticket.objects.all()
        if self.project_ids is not None:
            qs = qs.filter(project_id__in=self.project_ids)
        if self.batch_id:
            qs = qs.filter(batch_id=self.batch_id)
        return qs

    def in_period(self, qs: QuerySet, column: str) -> QuerySet:
        return qs.filter(**{f"{column}__gte": self.start, f"{column}__lt": self.end})


@contextmanager
def reporting_reads():
    """A transaction for a page's worth of reporting queries; on PostgreSQL with JIT compilation off.

    Each query scans at most some ten thousand rows per project and period; compiling it costs more
    (50–70 ms a query in bench/report_dashboard.py) than it saves. Also usable as a decorator.
    """
    with transaction.atomic():
        # The period's day series sort some 100,000 rows: in memory (work_mem), not in temporary files.
        set_local(jit="off", work_mem="32MB")
        yield


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[00:00, next 00:00) of ``day`` in the active time zone (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def period_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the start of ``first`` to the end of ``last`` (both local days, inclusive)."""
    return local_day_bounds(first)[0], local_day_bounds(last)[1]


# --- the per-day series ------------------------------------------------------------------------
# Satisfaction, first-time fix, repeat repairs, mean days to sign-off and their trends are all sums
# over local days: four grouped queries give one row per day of the period (at most the period's
# length, whatever the number of tickets), and every measure and trend below adds those rows up.
# The dashboard computes the series once and hands it to each measure.

DAY_FIELDS = (
    "reported",
    "repeats",
    "signed_off",
    "signoff_seconds",
    "ftf_num",
    "ftf_den",
    "sat_num",
    "sat_den",
    *(f"{d}_{part}" for d in DIMENSIONS for part in ("num", "den")),
)


def has_repeat(f: Filters, *, reported_since: dt.datetime | None = None) -> Q:
    """The ticket is referenced as ``repeat_of`` by a later ticket.

    As ``id IN (the set of repeated ids)``: PostgreSQL hashes that set once (a hashed SubPlan),
    where ``EXISTS`` would probe the index once per ticket of the period. The set is only the
    filter's projects' repeats (a repeat is at the same unit, so in the same project), and, for
    tickets reported since ``reported_since``, only repeats reported since then (a repeat comes
    after the ticket it repeats): a range of the ``(project, created_at)`` index instead of every
    repeat of ten years.
    """
    repeats = Ticket.objects.filter(repeat_of__isnull=False)
    if f.project_ids is not None:
        repeats = repeats.filter(project_id__in=f.project_ids)
    if reported_since is not None:
        repeats = repeats.filter(created_at__gte=reported_since)
    return Q(pk__in=repeats.values("repeat_of_id"))


def _answer_conditions(prefix: str = "") -> tuple[Q, Q, dict[str, tuple[Q, Q]]]:
    """(answered at least one dimension, every answered dimension satisfied, per dimension (satisfied, answered))."""
    answered_any, not_all = Q(), Q()
    per_dim = {}
    for dim in DIMENSIONS:
        answered = ~Q(**{f"{prefix}{dim}": ""})
        satisfied = Q(**{f"{prefix}{dim}": Satisfaction.SATISFIED})
        answered_any |= answered
        not_all |= answered & ~satisfied
        per_dim[dim] = (satisfied, answered)
    return answered_any, answered_any & ~not_all, per_dim


def day_series(f: Filters) -> dict[dt.date, dict[str, int | float]]:
    """One row per local day of the period with the counts every rate below is made of. Four queries."""
    days: dict[dt.date, dict] = {}

    def day(value) -> dict:
        key = value.date() if isinstance(value, dt.datetime) else value
        return days.setdefault(key, dict.fromkeys(DAY_FIELDS, 0))

    for row in (
        f.in_period(f.tickets(), "created_at")
        .annotate(d=TruncDate("created_at"))
        .values("d")
        .annotate(n=Count("pk"), r=Count("pk", filter=Q(repeat_of__isnull=False)))
    ):
        day(row["d"]).update(reported=row["n"], repeats=row["r"])
    for row in (
        f.in_period(f.tickets().filter(signed_off_at__isnull=False), "signed_off_at")
        .annotate(d=TruncDate("signed_off_at"))
        .values("d")
        .annotate(n=Count("pk"), total=Sum(F("signed_off_at") - F("created_at")))
    ):
        day(row["d"]).update(signed_off=row["n"], signoff_seconds=row["total"].total_seconds())
    for row in (
        f.in_period(
            f.tickets().filter(state=State.ARCHIVED, resolution__in=[Resolution.RESOLVED, Resolution.UNRESOLVED]),
            "closed_at",
        )
        .annotate(d=TruncDate("closed_at"))
        .values("d")
        .annotate(den=Count("pk"), num=Count("pk", filter=Q(resolution=Resolution.RESOLVED) & ~has_repeat(f)))
    ):
        day(row["d"]).update(ftf_num=row["num"], ftf_den=row["den"])
    answered_any, all_satisfied, per_dim = _answer_conditions()
    aggregates = {"sat_den": Count("pk", filter=answered_any), "sat_num": Count("pk", filter=all_satisfied)}
    for dim, (satisfied, answered) in per_dim.items():
        aggregates[f"{dim}_num"] = Count("pk", filter=satisfied)
        aggregates[f"{dim}_den"] = Count("pk", filter=answered)
    for row in (
        f.in_period(Callback.objects.filter(ticket__in=f.tickets(), reached=True), "called_at")
        .annotate(d=TruncDate("called_at"))
        .values("d")
        .annotate(**aggregates)
    ):
        day(row["d"]).update({k: row[k] for k in aggregates})
    return days


def _total(days: dict[dt.date, dict], *fields: str) -> list[float]:
    return [sum(row[name] for row in days.values()) for name in fields]


def satisfaction(f: Filters, days: dict | None = None) -> dict[str, Rate]:
    """Satisfaction rate, per dimension and overall (target ≥ 90 %).

    Callbacks counted: owner reached, called in the period, on tickets of the filter.

    - per dimension (quality, attitude, timeliness): callbacks whose answer on that dimension is
      "satisfied" / callbacks that answered that dimension (neutral and dissatisfied count against);
    - ``overall``: callbacks whose every answered dimension is "satisfied" / callbacks that answered
      at least one dimension.
    """
    days = day_series(f) if days is None else days
    rates = {dim: Rate(*map(int, _total(days, f"{dim}_num", f"{dim}_den"))) for dim in DIMENSIONS}
    rates["overall"] = Rate(*map(int, _total(days, "sat_num", "sat_den")))
    return rates


# --- on time ---------------------------------------------------------------------------------


def on_time(f: Filters) -> dict[str, Rate]:
    """On-time rate per SLA policy.

    A clock is *decided* in the period when it stopped in the period, or when it is still running
    and its due time fell in the period (and has passed). On-time rate = decided clocks that stopped
    at or before their due time / decided clocks. A clock that stopped late counts once, when it
    stopped. Clocks of tickets and of delivery batches (the warranty-fund ledger) both count. Keys are
    the policy codes; policies without decided clocks are left out.
    """
    # The clock's own project column (no join), and every project by its id when the filter has all:
    # the index (project, stopped_at) is read one project range at a time (0.48 s → 0.16 s at 4.7 M clocks).
    ids = f.project_ids if f.project_ids is not None else list(Project.objects.values_list("pk", flat=True))
    qs = SlaClock.objects.filter(project_id__in=ids)
    if f.batch_id:  # a ticket's clock by the ticket's unit, a batch's clock (warranty-fund ledger) by its batch
        qs = qs.filter(Q(ticket__batch_id=f.batch_id) | Q(batch_id=f.batch_id))
    stopped_in = Q(stopped_at__gte=f.start, stopped_at__lt=f.end)
    overdue_in = Q(stopped_at__isnull=True, due_at__gte=f.start, due_at__lt=min(f.end, f.now))
    rows = (
        qs.filter(stopped_in | overdue_in)
        .values("code")
        .annotate(den=Count("pk"), num=Count("pk", filter=stopped_in & Q(stopped_at__lte=F("due_at"))))
        .order_by("code")
    )
    return {row["code"]: Rate(row["num"], row["den"]) for row in rows}


def on_time_labels(rates: dict[str, Rate]) -> list[dict]:
    return [{"code": code, "label": SlaPolicy.Code(code).label, "rate": rate} for code, rate in rates.items()]


# --- fixes and repeats -----------------------------------------------------------------------


def first_time_fix(f: Filters, days: dict | None = None) -> Rate:
    """First-time-fix rate.

    Tickets archived in the period after a repair was judged at the callback (resolution
    "resolved", or "not resolved" when the callback reopened it): those resolved that no ticket
    references as ``repeat_of`` / all of them. Tickets resolved by phone guidance or closed as
    unreachable are not repairs judged by the owner and are left out.
    """
    days = day_series(f) if days is None else days
    return Rate(*map(int, _total(days, "ftf_num", "ftf_den")))


def repeat_repair(f: Filters, days: dict | None = None) -> Rate:
    """Repeat-repair rate: tickets reported in the period with ``repeat_of`` set (a second repair of the
    same defect or location) / tickets reported in the period."""
    days = day_series(f) if days is None else days
    return Rate(*map(int, _total(days, "repeats", "reported")))


def mean_days_to_signoff(f: Filters, days: dict | None = None) -> float | None:
    """Mean days from the report to sign-off, over tickets signed off in the period (one decimal)."""
    days = day_series(f) if days is None else days
    seconds, n = _total(days, "signoff_seconds", "signed_off")
    return round(seconds / n / 86400, 1) if n else None


def open_by_age(f: Filters) -> list[dict]:
    """Open tickets now (intake to sign-off, whatever the period) by whole days since the report."""
    now = f.now
    aggregates = {}
    for i, (_label, lo, hi) in enumerate(AGE_BUCKETS):
        cond = Q(created_at__lte=now - dt.timedelta(days=lo))
        if hi is not None:
            cond &= Q(created_at__gt=now - dt.timedelta(days=hi))
        aggregates[f"b{i}"] = Count("pk", filter=cond)
    row = f.tickets().filter(state__in=OPEN_STATES).aggregate(**aggregates)
    return [{"label": label, "count": row[f"b{i}"]} for i, (label, _lo, _hi) in enumerate(AGE_BUCKETS)]


# --- trends ----------------------------------------------------------------------------------


def period_start(day: dt.date, by: str) -> dt.date:
    """The Monday of the week, the first day of the month or of the quarter."""
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    if by == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(by)


def trend(f: Filters, by: str = "week", days: dict | None = None) -> list[dict]:
    """Per week (from Monday), month or quarter of the period, the day series added up: tickets
    reported and repeats among them, tickets signed off and their mean days to sign-off, the overall
    satisfaction and the first-time fix (as defined above). Only periods with some activity appear."""
    days = day_series(f) if days is None else days
    periods: dict[dt.date, dict] = {}
    for day, row in days.items():
        total = periods.setdefault(period_start(day, by), dict.fromkeys(DAY_FIELDS, 0))
        for name in DAY_FIELDS:
            total[name] += row[name]
    result = []
    for key in sorted(periods):
        s = periods[key]
        result.append(
            {
                "period": key,
                **{name: (int(v) if name != "signoff_seconds" else v) for name, v in s.items()},
                "mean_days": round(s["signoff_seconds"] / s["signed_off"] / 86400, 1) if s["signed_off"] else None,
                "satisfaction": Rate(s["sat_num"], s["sat_den"]),
                "first_time_fix": Rate(s["ftf_num"], s["ftf_den"]),
                "repeat_rate": Rate(s["repeats"], s["reported"]),
            }
        )
    return result


# --- defects by category × batch --------------------------------------------------------------


def heat_map(f: Filters) -> dict:
    """Defect heat map: for each delivery batch and defect category, the share of the batch's units
    with at least one ticket of that category reported in the period (distinct units with ≥ 1 such
    ticket / units in the batch). A cell at or above 20 % is a systemic-defect warning (DOMAIN §5).

    Returns ``{"batches": [...], "categories": [...], "cells": {(batch_id, category_id): {...}},
    "warnings": [...]}``; only categories with at least one ticket appear. Three queries.
    """
    units = Unit.objects.all()
    batches = DeliveryBatch.objects.select_related("project")
    if f.project_ids is not None:
        units = units.filter(project_id__in=f.project_ids)
        batches = batches.filter(project_id__in=f.project_ids)
    if f.batch_id:
        units = units.filter(building__batch_id=f.batch_id)
        batches = batches.filter(pk=f.batch_id)
    unit_counts = dict(
        units.values("building__batch_id").annotate(n=Count("pk")).values_list("building__batch_id", "n")
    )
    counts = (
        f.in_period(f.tickets(), "created_at")
        .values("batch_id", "category_id")
        .annotate(units=Count("unit_id", distinct=True), tickets=Count("pk"))
    )
    batch_list = [b for b in batches if unit_counts.get(b.pk)]
    cells: dict[tuple[int, int], dict] = {}
    category_ids: set[int] = set()
    for row in counts:
        batch_id, category_id = row["batch_id"], row["category_id"]
        total = unit_counts.get(batch_id, 0)
        share = Rate(row["units"], total)
        cells[(batch_id, category_id)] = {
            "units": row["units"],
            "tickets": row["tickets"],
            "batch_units": total,
            "share": share,
            "warn": bool(total) and row["units"] >= SYSTEMIC_SHARE * total,
        }
        category_ids.add(category_id)
    categories = list(DefectCategory.objects.filter(pk__in=category_ids).order_by("sort_order", "code"))
    by_batch = {b.pk: b for b in batch_list}
    by_category = {c.pk: c for c in categories}
    warnings = [
        {"batch": by_batch[b], "category": by_category[c], **cell}
        for (b, c), cell in sorted(cells.items(), key=lambda kv: -(kv[1]["share"].pct or 0))
        if cell["warn"] and b in by_batch
    ]
    rows = [
        {"batch": b, "cells": [cells.get((b.pk, c.pk)) for c in categories], "units": unit_counts.get(b.pk, 0)}
        for b in batch_list
    ]
    return {"batches": batch_list, "categories": categories, "rows": rows, "cells": cells, "warnings": warnings}


# --- contractors ------------------------------------------------------------------------------


def contractor_scorecards(f: Filters) -> list[dict]:
    """Per repairing contractor, over tickets reported in the period:

    - ``jobs``: tickets with that repairing contractor;
    - ``on_time``: repair appointments of those tickets with an arrival within ±15 minutes /
      repair appointments with an arrival recorded (DOMAIN §4.6);
    - ``repeats``: jobs that a later ticket references as ``repeat_of``;
    - ``satisfaction``: as the overall rate of :func:`satisfaction`, over callbacks of its jobs
      (reached, any time);
    - ``declines``: dispatch notices to the contractor issued in the period and declined, of
      notices issued in the period.

    Four grouped queries plus one for the names, whatever the number of contractors.
    """
    tickets = f.in_period(f.tickets().filter(repairing_contractor__isnull=False), "created_at")
    answered_any, all_satisfied, _per_dim = _answer_conditions("reached_callback__")
    cards: dict[int, dict] = {}

    def card(pk) -> dict:
        return cards.setdefault(
            pk,
            {"jobs": 0, "repeats": 0, "sat_num": 0, "sat_den": 0, "arr_num": 0, "arr_den": 0, "dec": 0, "notices": 0},
        )

    # A callback comes after its ticket's report, so those of tickets reported in the period were made
    # since its start: the join reads the period's reached callbacks (their called_at index), not all.
    reached = FilteredRelation("callback", condition=Q(callback__reached=True, callback__called_at__gte=f.start))
    for row in (
        tickets.annotate(reached_callback=reached)
        .values("repairing_contractor_id")
        .annotate(
            # One callback per ticket at most (one-to-one), so the join does not multiply rows.
            jobs=Count("pk"),
            repeats=Count("pk", filter=has_repeat(f, reported_since=f.start)),
            sat_den=Count("reached_callback", filter=answered_any),
            sat_num=Count("reached_callback", filter=answered_any & all_satisfied),
        )
    ):
        c = card(row["repairing_contractor_id"])
        c.update(jobs=row["jobs"], repeats=row["repeats"], sat_num=row["sat_num"], sat_den=row["sat_den"])
    # From the tickets (their index carries the contractor) to their repair visits with an arrival: one
    # join, where starting from the appointments looked every ticket up twice. A visit is booked after
    # the report, so only visits scheduled since the period's start are read (their scheduled_at index).
    arrived = FilteredRelation(
        "appointments",
        condition=Q(
            appointments__kind=Appointment.Kind.REPAIR,
            appointments__arrived_at__isnull=False,
            appointments__scheduled_at__gte=f.start,
        ),
    )
    within = Q(arrived__deviation_minutes__gte=-15, arrived__deviation_minutes__lte=15)
    for row in (
        tickets.annotate(arrived=arrived)
        .values("repairing_contractor_id")
        .annotate(den=Count("arrived"), num=Count("arrived", filter=within))
    ):
        c = card(row["repairing_contractor_id"])
        c.update(arr_num=row["num"], arr_den=row["den"])
    notices = f.in_period(DispatchNotice.objects.filter(ticket__in=f.tickets()), "issued_at")
    for row in notices.values("contractor_id").annotate(
        n=Count("pk"), dec=Count("pk", filter=Q(status=DispatchNotice.Status.DECLINED))
    ):
        c = card(row["contractor_id"])
        c.update(notices=row["n"], dec=row["dec"])
    names = dict(Contractor.objects.filter(pk__in=cards).values_list("pk", "name"))
    result = [
        {
            "contractor_id": pk,
            "name": names.get(pk, "?"),
            "jobs": c["jobs"],
            "on_time": Rate(c["arr_num"], c["arr_den"]),
            "repeats": c["repeats"],
            "repeat_rate": Rate(c["repeats"], c["jobs"]),
            "satisfaction": Rate(c["sat_num"], c["sat_den"]),
            "declines": c["dec"],
            "notices": c["notices"],
        }
        for pk, c in cards.items()
    ]
    return sorted(result, key=lambda r: (-r["jobs"], r["name"]))


# --- locations ---------------------------------------------------------------------------------


def top_locations(f: Filters, limit: int = TOP_LOCATIONS) -> list[dict]:
    """Where in the unit defects are reported most, over tickets reported in the period: location,
    tickets, share of all tickets reported in the period."""
    qs = f.in_period(f.tickets(), "created_at")
    total = qs.count()
    rows = qs.values("location").annotate(n=Count("pk")).order_by("-n", "location")[:limit]
    from ..models import Location

    return [
        {
            "location": r["location"],
            "label": Location(r["location"]).label,
            "count": r["n"],
            "share": Rate(r["n"], total),
        }
        for r in rows
    ]


def repeat_locations(f: Filters, limit: int = 100) -> list[dict]:
    """Engineering warning: the same location of the same unit with two or more tickets reported in the
    period (DOMAIN §5, a second repair of the same location), most tickets first."""
    from ..models import Location

    rows = (
        f.in_period(f.tickets(), "created_at")
        .values("unit_id", "unit__number", "unit__project__code", "location")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .order_by("-n", "unit__number", "location")[:limit]
    )
    return [
        {
            "unit": f"{r['unit__project__code']} {r['unit__number']}",
            "location": Location(r["location"]).label,
            "count": r["n"],
        }
        for r in rows
    ]


def summary(f: Filters, days: dict | None = None) -> dict:
    """Every headline measure of the dashboard at once (the day series read once)."""
    days = day_series(f) if days is None else days
    return {
        "satisfaction": satisfaction(f, days),
        "on_time": on_time_labels(on_time(f)),
        "first_time_fix": first_time_fix(f, days),
        "repeat_repair": repeat_repair(f, days),
        "mean_days_to_signoff": mean_days_to_signoff(f, days),
        "open_by_age": open_by_age(f),
    }
