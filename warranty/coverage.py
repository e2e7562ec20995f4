"""Warranty coverage (DOMAIN §3): is a defect covered, and who pays for the repair.

Two clocks run for every defect. The owner's runs from the unit's delivery
for the period of the defect's category (a project's own period wins over the
default). The contractor's runs from the batch's completion acceptance for
the term of its engagement for the category's trade. ``assess_coverage``
reads both clocks and answers with an immutable :class:`CoverageResult`.
"""

import dataclasses
import datetime as dt
import types
from calendar import monthrange
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from .models import BilingualName, Contractor, DefectCategory, Engagement, Season, Unit, WarrantyPeriod


class Payer(models.TextChoices):
    """Who bears the cost of a repair."""

    CONTRACTOR = "contractor", _("Liable contractor, at its own cost")
    DEVELOPER = "developer", _("Developer, from the project's warranty budget")
    OWNER = "owner", _("Owner: paid repair after a quote")
    PROPERTY_MANAGEMENT = "property_management", _("Property management (referral)")


class ReasonCode(models.TextChoices):
    """Which explanation a :class:`CoverageResult` gives; the text is rendered per language."""

    CONTRACTOR_LIABLE = "contractor_liable"
    CONTRACTOR_EXPIRED = "contractor_expired"
    NO_ENGAGEMENT = "no_engagement"
    OUT_OF_WARRANTY = "out_of_warranty"


# Used when a project has no Season row of the kind a period counts in.
DEFAULT_SEASONS: Mapping[str, tuple[tuple[int, int], tuple[int, int]]] = types.MappingProxyType(
    {
        Season.Kind.HEATING: ((11, 15), (3, 15)),
        Season.Kind.COOLING: ((6, 1), (9, 30)),
    }
)


class NoWarrantyPeriod(LookupError):
    """The category has neither a default period nor one for the unit's project."""


@dataclasses.dataclass(frozen=True)
class OwnerPeriod:
    """The owner-warranty period that was applied; ``str()`` describes it in the active language."""

    kind: str  # WarrantyPeriod.Kind
    length: int  # years, seasons, or the project's design life in years
    is_project_override: bool
    season_kind: str = ""  # Season.Kind, for kind "seasons"
    season_start: tuple[int, int] | None = None  # (month, day)
    season_end: tuple[int, int] | None = None
    season_is_default: bool = False  # the project has no Season row of that kind

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        n = self.length
        if self.kind == WarrantyPeriod.Kind.DESIGN_LIFE:
            return ngettext("the design life of %(n)s year", "the design life of %(n)s years", n) % {"n": n}
        if self.kind == WarrantyPeriod.Kind.SEASONS:
            if self.season_kind == Season.Kind.COOLING:
                return ngettext("%(n)s cooling season", "%(n)s cooling seasons", n) % {"n": n}
            return ngettext("%(n)s heating season", "%(n)s heating seasons", n) % {"n": n}
        return ngettext("%(n)s year", "%(n)s years", n) % {"n": n}


_REASONS = {
    ReasonCode.CONTRACTOR_LIABLE: _(
        "Reported on %(reported_on)s: within the owner warranty for %(category)s (%(period)s from handover on "
        "%(start)s, covered through %(until)s). The contractor %(contractor)s is still liable under its contract "
        "(through %(contractor_until)s) and repairs at its own cost."
    ),
    ReasonCode.CONTRACTOR_EXPIRED: _(
        "Reported on %(reported_on)s: within the owner warranty for %(category)s (%(period)s from handover on "
        "%(start)s, covered through %(until)s). The contractor %(contractor)s was liable only through "
        "%(contractor_until)s (its term counts from completion acceptance on %(acceptance)s), so the developer "
        "pays from the project's warranty budget."
    ),
    ReasonCode.NO_ENGAGEMENT: _(
        "Reported on %(reported_on)s: within the owner warranty for %(category)s (%(period)s from handover on "
        "%(start)s, covered through %(until)s). No contractor is engaged for the trade “%(trade)s” on this "
        "project, so the developer pays from the project's warranty budget."
    ),
    ReasonCode.OUT_OF_WARRANTY: _(
        "Reported on %(reported_on)s: the owner warranty for %(category)s (%(period)s from handover on "
        "%(start)s) ended on %(until)s. The repair is at the owner's cost once the owner accepts a quote; "
        "alternatively we can refer the owner to property management or a specialist supplier."
    ),
}


@dataclasses.dataclass(frozen=True)
class CoverageResult:
    """The answer of :func:`assess_coverage`. Dates are inclusive: ``*_until`` is the last day covered."""

    unit: Unit
    category: DefectCategory
    reported_on: dt.date
    owner_clock_start: dt.date
    owner_warranty_until: dt.date
    in_owner_warranty: bool
    period: OwnerPeriod
    engagement: Engagement | None
    contractor: Contractor | None
    contractor_liable_until: dt.date | None
    contractor_liable: bool
    payer: Payer
    reason_code: ReasonCode
    reason_params: Mapping[str, Any] = dataclasses.field(hash=False)

    @property
    def reason(self) -> str:
        """The reason in the active language, to read to the owner."""
        text = str(_REASONS[self.reason_code]) % {k: _render(v) for k, v in self.reason_params.items()}
        if self.period.season_is_default:
            start, end = self.period.season_start, self.period.season_end
            # Shown as month and day only; 2000 is a leap year, so 29 February formats too.
            note = gettext(
                "This project has no %(season)s dates on record, so the default %(season_start)s to "
                "%(season_end)s was used."
            ) % {
                "season": gettext("cooling season")
                if self.period.season_kind == Season.Kind.COOLING
                else gettext("heating season"),
                "season_start": date_format(dt.date(2000, *start), "MONTH_DAY_FORMAT"),
                "season_end": date_format(dt.date(2000, *end), "MONTH_DAY_FORMAT"),
            }
            # Translators decide how two sentences join (Chinese puts no space after 。).
            text = pgettext("joins two sentences", "%(first)s %(second)s") % {"first": text, "second": note}
        return text

    def reason_in(self, language_code: str) -> str:
        """The reason in ``language_code`` (e.g. ``"zh-hans"`` or ``"en"``)."""
        with translation.override(language_code):
            return self.reason


def assess_coverage(*, unit: Unit, category: DefectCategory, reported_on: dt.date) -> CoverageResult:
    """Read both warranty clocks for a defect of ``category`` in ``unit`` reported on ``reported_on``.

    In owner warranty and the contractor still liable → the contractor pays;
    in owner warranty but no contractor liable (its term ended, or no
    engagement for the category's trade) → the developer's warranty budget;
    out of owner warranty → the owner (a paid repair, or a referral to
    property management). A defect reported before the handover counts as
    covered: the unit is still the developer's. Runs two to four queries
    whatever the data.

    Raises :class:`NoWarrantyPeriod` when the category has no period.
    """
    if isinstance(reported_on, dt.datetime):
        reported_on = timezone.localdate(reported_on) if timezone.is_aware(reported_on) else reported_on.date()
    unit = _with_registry(unit)
    batch, project = unit.building.batch, unit.project

    rows = list(
        WarrantyPeriod.objects.filter(category_id=category.pk)
        .filter(Q(project__isnull=True) | Q(project_id=project.pk))
        .select_related("category__trade")
    )
    if not rows:
        raise NoWarrantyPeriod(f"No owner-warranty period for category {category.pk} ({category.code}).")
    row = max(rows, key=lambda r: r.project_id is not None)  # the project's override wins
    category = row.category

    start = unit.delivered_on
    period, until = _owner_period(row, project, start)
    in_owner_warranty = reported_on <= until

    engagement = _engagement_for(unit, category)
    contractor_until = _last_day(batch.acceptance_date, engagement.warranty_months) if engagement else None
    contractor_liable = contractor_until is not None and reported_on <= contractor_until

    if not in_owner_warranty:
        payer, code = Payer.OWNER, ReasonCode.OUT_OF_WARRANTY
    elif contractor_liable:
        payer, code = Payer.CONTRACTOR, ReasonCode.CONTRACTOR_LIABLE
    elif engagement:
        payer, code = Payer.DEVELOPER, ReasonCode.CONTRACTOR_EXPIRED
    else:
        payer, code = Payer.DEVELOPER, ReasonCode.NO_ENGAGEMENT

    params = {
        "reported_on": reported_on,
        "category": category,
        "period": period,
        "start": start,
        "until": until,
        "trade": category.trade,
        "contractor": engagement.contractor.name if engagement else "",
        "contractor_until": contractor_until or "",
        "acceptance": batch.acceptance_date,
    }
    return CoverageResult(
        unit=unit,
        category=category,
        reported_on=reported_on,
        owner_clock_start=start,
        owner_warranty_until=until,
        in_owner_warranty=in_owner_warranty,
        period=period,
        engagement=engagement,
        contractor=engagement.contractor if engagement else None,
        contractor_liable_until=contractor_until,
        contractor_liable=contractor_liable,
        payer=payer,
        reason_code=code,
        reason_params=types.MappingProxyType(params),
    )


def _with_registry(unit: Unit) -> Unit:
    """``unit`` with its building, batch and project loaded, fetching them in one query if needed."""
    building_field = Unit._meta.get_field("building")
    loaded = (
        building_field.is_cached(unit)
        and Unit._meta.get_field("project").is_cached(unit)
        and unit.building._meta.get_field("batch").is_cached(unit.building)
    )
    if loaded:
        return unit
    return Unit.objects.select_related("project", "building__batch").get(pk=unit.pk)


def _owner_period(row: WarrantyPeriod, project, start: dt.date) -> tuple[OwnerPeriod, dt.date]:
    """The period a WarrantyPeriod row describes and the last day it covers from ``start``."""
    override = row.project_id is not None
    if row.kind == WarrantyPeriod.Kind.DESIGN_LIFE:
        years = project.design_life_years
        period = OwnerPeriod(kind=row.kind, length=years, is_project_override=override)
        return period, _last_day(start, 12 * years)
    if row.kind == WarrantyPeriod.Kind.SEASONS:
        season = Season.objects.filter(project_id=project.pk, kind=row.season_kind).first()
        if season:
            season_start, season_end = (season.start_month, season.start_day), (season.end_month, season.end_day)
        else:
            season_start, season_end = DEFAULT_SEASONS[row.season_kind]
        period = OwnerPeriod(
            kind=row.kind,
            length=row.length,
            is_project_override=override,
            season_kind=row.season_kind,
            season_start=season_start,
            season_end=season_end,
            season_is_default=season is None,
        )
        return period, _end_of_nth_season(start, row.length, season_start, season_end)
    period = OwnerPeriod(kind=row.kind, length=row.length, is_project_override=override)
    return period, _last_day(start, 12 * row.length)


def _engagement_for(unit: Unit, category: DefectCategory) -> Engagement | None:
    """The engagement answering for the category's trade in the unit's batch, or None.

    A contract for the unit's batch wins over a project-wide one; among
    several at the same level, the one with the longest term.
    """
    candidates = list(
        Engagement.objects.filter(project_id=unit.project_id, trade_id=category.trade_id)
        .filter(Q(batch__isnull=True) | Q(batch_id=unit.building.batch_id))
        .select_related("contractor", "project", "batch", "trade")
    )
    if not candidates:
        return None
    return max(candidates, key=lambda e: (e.batch_id is not None, e.warranty_months, -e.pk))


def _last_day(start: dt.date, months: int) -> dt.date:
    """The last day of ``months`` counted from ``start``: the day before the same date ``months`` later.

    When that date does not exist (29 February, the 31st) the period runs to
    the end of that month, as the Civil Code (art. 203) counts it.
    """
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    try:
        same_date = dt.date(year, month0 + 1, start.day)
    except ValueError:
        same_date = dt.date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1)
    return same_date - dt.timedelta(days=1)


def _end_of_nth_season(start: dt.date, n: int, season_start: tuple[int, int], season_end: tuple[int, int]) -> dt.date:
    """The last day of the ``n``-th season that begins on or after ``start``."""
    first_year = start.year if _month_day(start.year, *season_start) >= start else start.year + 1
    year = first_year + n - 1
    # A season whose end comes before its start in the calendar (heating: Nov → Mar) ends the next year.
    end_year = year + 1 if season_end < season_start else year
    return _month_day(end_year, *season_end)


def _month_day(year: int, month: int, day: int) -> dt.date:
    """The date, or the month's last day when the month is shorter (29 February in a common year)."""
    return dt.date(year, month, min(day, monthrange(year, month)[1]))


def _render(value: Any) -> str:
    """A reason parameter as text in the active language."""
    if isinstance(value, dt.date):
        return date_format(value)
    if isinstance(value, BilingualName):
        return value.name
    return str(value)
