"""The supervisors' measures (DOMAIN §6). Each function's docstring is the measure's written definition.

Every function runs a fixed number of aggregate queries, whatever the number of tickets: the
counting happens in the database (``annotate``/``aggregate`` with conditional ``Count``), never
row by row in Python.

Periods are half-open ``[start, end)`` in aware datetimes; days, weeks and months are those of
Asia/Shanghai (the active time zone), so a ticket logged at 23:59 Shanghai time belongs to that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from callbacks.models import DIMENSIONS, Callback, Satisfaction
from warranty.models import Contractor, DefectCategory, DeliveryBatch, Unit

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
            qs = qs.filter(unit__building__batch_id=self.batch_id)
        return qs

    def in_period(self, qs: QuerySet, column: str) -> QuerySet:
        return qs.filter(**{f"{column}__gte": self.start, f"{column}__lt": self.end})


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[00:00, next 00:00) of ``day`` in the active time zone (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def period_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the start of ``first`` to the end of ``last`` (both local days, inclusive)."""
    return local_day_bounds(first)[0], local_day_bounds(last)[1]


# --- satisfaction -----------------------------------------------------------------------------


def satisfaction(f: Filters) -> dict[str, Rate]:
    """Satisfaction rate, per dimension and overall (target ≥ 90 %).

    Callbacks counted: owner reached, called in the period, on tickets of the filter.

    - per dimension (quality, attitude, timeliness): callbacks whose answer on that dimension is
      "satisfied" / callbacks that answered that dimension (neutral and dissatisfied count against);
    - ``overall``: callbacks whose every answered dimension is "satisfied" / callbacks that answered
      at least one dimension.
    """
    qs = f.in_period(Callback.objects.filter(ticket__in=f.tickets(), reached=True), "called_at")
    answered_any = Q()
    not_all_satisfied = Q()
    aggregates = {}
    for dim in DIMENSIONS:
        answered = ~Q(**{dim: ""})
        answered_any |= answered
        not_all_satisfied |= answered & ~Q(**{dim: Satisfaction.SATISFIED})
        aggregates[f"{dim}_num"] = Count("pk", filter=Q(**{dim: Satisfaction.SATISFIED}))
        aggregates[f"{dim}_den"] = Count("pk", filter=answered)
    aggregates["overall_den"] = Count("pk", filter=answered_any)
    aggregates["overall_num"] = Count("pk", filter=answered_any & ~not_all_satisfied)
    row = qs.aggregate(**aggregates)
    return {key: Rate(row[f"{key}_num"], row[f"{key}_den"]) for key in (*DIMENSIONS, "overall")}


# --- on time ---------------------------------------------------------------------------------


def on_time(f: Filters) -> dict[str, Rate]:
    """On-time rate per SLA policy.

    A clock is *decided* in the period when it stopped in the period, or when it is still running
    and its due time fell in the period (and has passed). On-time rate = decided clocks that stopped
    at or before their due time / decided clocks. A clock that stopped late counts once, when it
    stopped. Keys are the policy codes; policies without decided clocks are left out.
    """
    qs = SlaClock.objects.filter(ticket__in=f.tickets())
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


def first_time_fix(f: Filters) -> Rate:
    """First-time-fix rate.

    Tickets archived in the period after a repair was judged at the callback (resolution
    "resolved", or "not resolved" when the callback reopened it): those resolved that no later
    ticket references as ``repeat_of`` / all of them. Tickets resolved by phone guidance or closed
    as unreachable are not repairs judged by the owner and are left out.
    """
    has_repeat = Exists(Ticket.objects.filter(repeat_of=OuterRef("pk")))
    qs = f.in_period(
        f.tickets().filter(state=State.ARCHIVED, resolution__in=[Resolution.RESOLVED, Resolution.UNRESOLVED]),
        "closed_at",
    ).annotate(rep=has_repeat)
    row = qs.aggregate(den=Count("pk"), num=Count("pk", filter=Q(resolution=Resolution.RESOLVED, rep=False)))
    return Rate(row["num"], row["den"])


def repeat_repair(f: Filters) -> Rate:
    """Repeat-repair rate: tickets reported in the period with ``repeat_of`` set (a second repair of the
    same defect or location) / tickets reported in the period."""
    row = f.in_period(f.tickets(), "created_at").aggregate(
        den=Count("pk"), num=Count("pk", filter=Q(repeat_of__isnull=False))
    )
    return Rate(row["num"], row["den"])


def mean_days_to_signoff(f: Filters) -> float | None:
    """Mean days from the report to sign-off, over tickets signed off in the period (one decimal)."""
    row = f.in_period(f.tickets().filter(signed_off_at__isnull=False), "signed_off_at").aggregate(
        mean=Avg(F("signed_off_at") - F("created_at"))
    )
    if row["mean"] is None:
        return None
    return round(row["mean"].total_seconds() / 86400, 1)


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

TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def _bucket(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def trend(f: Filters, by: str = "week") -> list[dict]:
    """Per week (Monday), month or quarter of the period: tickets reported, tickets signed off,
    repeat tickets reported, callbacks reached with an overall answer and those satisfied
    (as in :func:`satisfaction`), and tickets archived after a judged repair and those fixed first
    time (as in :func:`first_time_fix`). Four grouped queries."""
    trunc = TRUNC[by]
    rows: dict[dt.date, dict] = {}

    def slot(key) -> dict:
        key = _bucket(key)
        return rows.setdefault(
            key,
            {
                "period": key,
                "reported": 0,
                "repeats": 0,
                "signed_off": 0,
                "mean_days": None,
                "sat_num": 0,
                "sat_den": 0,
                "ftf_num": 0,
                "ftf_den": 0,
            },
        )

    for row in (
        f.in_period(f.tickets(), "created_at")
        .annotate(p=trunc("created_at"))
        .values("p")
        .annotate(n=Count("pk"), r=Count("pk", filter=Q(repeat_of__isnull=False)))
    ):
        s = slot(row["p"])
        s["reported"], s["repeats"] = row["n"], row["r"]
    for row in (
        f.in_period(f.tickets().filter(signed_off_at__isnull=False), "signed_off_at")
        .annotate(p=trunc("signed_off_at"))
        .values("p")
        .annotate(n=Count("pk"), mean=Avg(F("signed_off_at") - F("created_at")))
    ):
        s = slot(row["p"])
        s["signed_off"] = row["n"]
        s["mean_days"] = round(row["mean"].total_seconds() / 86400, 1) if row["mean"] is not None else None
    answered_any, not_all = Q(), Q()
    for dim in DIMENSIONS:
        answered_any |= ~Q(**{dim: ""})
        not_all |= ~Q(**{dim: ""}) & ~Q(**{dim: Satisfaction.SATISFIED})
    for row in (
        f.in_period(Callback.objects.filter(ticket__in=f.tickets(), reached=True), "called_at")
        .annotate(p=trunc("called_at"))
        .values("p")
        .annotate(den=Count("pk", filter=answered_any), num=Count("pk", filter=answered_any & ~not_all))
    ):
        s = slot(row["p"])
        s["sat_num"], s["sat_den"] = row["num"], row["den"]
    has_repeat = Exists(Ticket.objects.filter(repeat_of=OuterRef("pk")))
    for row in (
        f.in_period(
            f.tickets().filter(state=State.ARCHIVED, resolution__in=[Resolution.RESOLVED, Resolution.UNRESOLVED]),
            "closed_at",
        )
        .annotate(p=trunc("closed_at"), rep=has_repeat)
        .values("p")
        .annotate(den=Count("pk"), num=Count("pk", filter=Q(resolution=Resolution.RESOLVED, rep=False)))
    ):
        s = slot(row["p"])
        s["ftf_num"], s["ftf_den"] = row["num"], row["den"]
    result = []
    for key in sorted(rows):
        s = rows[key]
        s["satisfaction"] = Rate(s["sat_num"], s["sat_den"])
        s["first_time_fix"] = Rate(s["ftf_num"], s["ftf_den"])
        s["repeat_rate"] = Rate(s["repeats"], s["reported"])
        result.append(s)
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
        .values("unit__building__batch_id", "category_id")
        .annotate(units=Count("unit_id", distinct=True), tickets=Count("pk"))
    )
    batch_list = [b for b in batches if unit_counts.get(b.pk)]
    cells: dict[tuple[int, int], dict] = {}
    category_ids: set[int] = set()
    for row in counts:
        batch_id, category_id = row["unit__building__batch_id"], row["category_id"]
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
    has_repeat = Exists(Ticket.objects.filter(repeat_of=OuterRef("pk")))
    answered_any, not_all = Q(), Q()
    for dim in DIMENSIONS:
        answered_any |= ~Q(**{f"callback__{dim}": ""})
        not_all |= ~Q(**{f"callback__{dim}": ""}) & ~Q(**{f"callback__{dim}": Satisfaction.SATISFIED})
    answered_any &= Q(callback__reached=True)
    cards: dict[int, dict] = {}

    def card(pk) -> dict:
        return cards.setdefault(
            pk,
            {"jobs": 0, "repeats": 0, "sat_num": 0, "sat_den": 0, "arr_num": 0, "arr_den": 0, "dec": 0, "notices": 0},
        )

    for row in (
        tickets.annotate(rep=has_repeat)
        .values("repairing_contractor_id")
        .annotate(
            jobs=Count("pk", distinct=True),
            repeats=Count("pk", filter=Q(rep=True), distinct=True),
            sat_den=Count("callback", filter=answered_any, distinct=True),
            sat_num=Count("callback", filter=answered_any & ~not_all, distinct=True),
        )
    ):
        c = card(row["repairing_contractor_id"])
        c.update(jobs=row["jobs"], repeats=row["repeats"], sat_num=row["sat_num"], sat_den=row["sat_den"])
    for row in (
        Appointment.objects.filter(ticket__in=tickets, kind=Appointment.Kind.REPAIR, arrived_at__isnull=False)
        .values("ticket__repairing_contractor_id")
        .annotate(
            den=Count("pk"),
            num=Count("pk", filter=Q(deviation_minutes__gte=-15, deviation_minutes__lte=15)),
        )
    ):
        c = card(row["ticket__repairing_contractor_id"])
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


def summary(f: Filters) -> dict:
    """Every headline measure of the dashboard at once."""
    return {
        "satisfaction": satisfaction(f),
        "on_time": on_time_labels(on_time(f)),
        "first_time_fix": first_time_fix(f),
        "repeat_repair": repeat_repair(f),
        "mean_days_to_signoff": mean_days_to_signoff(f),
        "open_by_age": open_by_age(f),
    }
