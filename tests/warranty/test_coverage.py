"""assess_coverage: the owner's and the contractor's clocks, and who pays (DOMAIN §3)."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.factories import (
    BuildingFactory,
    DeliveryBatchFactory,
    EngagementFactory,
    ProjectFactory,
    UnitFactory,
    category,
    trade,
)
from warranty.coverage import NoWarrantyPeriod, Payer, ReasonCode, assess_coverage
from warranty.models import DefectCategory, Season, Unit, WarrantyPeriod

pytestmark = pytest.mark.django_db

D = dt.date
ONE_DAY = dt.timedelta(days=1)
# The factories' batch: accepted 2024-03-01, delivered 2024-06-30.
ACCEPTED, DELIVERED = D(2024, 3, 1), D(2024, 6, 30)


def assess(unit, code, reported_on):
    return assess_coverage(unit=unit, category=category(code), reported_on=reported_on)


@pytest.fixture
def unit():
    """A unit of the factories' batch; its project has no engagement and no Season rows."""
    return UnitFactory()


# Last day of owner warranty for a unit delivered 2024-06-30, per seeded category.
LAST_DAY_BY_CATEGORY = [
    ("structure", D(2074, 6, 29)),  # design life, 50 years by default
    ("waterproofing", D(2029, 6, 29)),  # 5 years
    ("civil", D(2026, 6, 29)),
    ("plumbing_electrical", D(2026, 6, 29)),
    ("heating", D(2026, 3, 15)),  # default seasons 2024-11-15→2025-03-15, 2025-11-15→2026-03-15
    ("cooling", D(2026, 9, 30)),  # 2024's began before delivery: 2025-06-01→09-30, 2026-06-01→09-30
    ("doors_windows", D(2026, 6, 29)),
    ("fitout", D(2026, 6, 29)),
    ("equipment", D(2026, 6, 29)),
]


def test_the_table_covers_every_seeded_category():
    """A category added to the seed must be added to LAST_DAY_BY_CATEGORY too."""
    assert {code for code, _ in LAST_DAY_BY_CATEGORY} == set(DefectCategory.objects.values_list("code", flat=True))


@pytest.mark.parametrize(("code", "last_day"), LAST_DAY_BY_CATEGORY)
@pytest.mark.parametrize(
    ("offset", "covered"), [(-1, True), (0, True), (1, False)], ids=["day-before-end", "last-day", "day-after-end"]
)
def test_owner_warranty_ends_on_the_categorys_last_day(unit, code, last_day, offset, covered):
    """Covered up to and including the last day; the day after, the owner pays."""
    result = assess(unit, code, last_day + offset * ONE_DAY)

    assert result.owner_clock_start == DELIVERED
    assert result.owner_warranty_until == last_day
    assert result.in_owner_warranty is covered
    if covered:
        assert (result.payer, result.reason_code) == (Payer.DEVELOPER, ReasonCode.NO_ENGAGEMENT)
    else:
        assert (result.payer, result.reason_code) == (Payer.OWNER, ReasonCode.OUT_OF_WARRANTY)


# Civil works (trade "general"): owner covered through 2026-06-29.
@pytest.mark.parametrize(
    ("months", "reported_on", "contractor_until", "contractor_liable", "payer", "reason"),
    [
        (24, D(2026, 2, 28), D(2026, 2, 28), True, Payer.CONTRACTOR, ReasonCode.CONTRACTOR_LIABLE),
        # The gap: the contractor's clock started at acceptance, four months before the owner's.
        (24, D(2026, 3, 1), D(2026, 2, 28), False, Payer.DEVELOPER, ReasonCode.CONTRACTOR_EXPIRED),
        (24, D(2026, 6, 29), D(2026, 2, 28), False, Payer.DEVELOPER, ReasonCode.CONTRACTOR_EXPIRED),
        (24, D(2026, 6, 30), D(2026, 2, 28), False, Payer.OWNER, ReasonCode.OUT_OF_WARRANTY),
        # A contract longer than the owner warranty does not make the repair free for the owner.
        (36, D(2026, 7, 1), D(2027, 2, 28), True, Payer.OWNER, ReasonCode.OUT_OF_WARRANTY),
    ],
)
def test_contractor_clock_runs_from_acceptance(
    unit, months, reported_on, contractor_until, contractor_liable, payer, reason
):
    """The contractor is liable for its term from acceptance; after it, in owner warranty, the developer pays."""
    engagement = EngagementFactory(project=unit.project, trade=trade("general"), warranty_months=months)

    result = assess(unit, "civil", reported_on)

    assert result.engagement == engagement
    assert result.contractor == engagement.contractor
    assert result.contractor_liable_until == contractor_until
    assert result.contractor_liable is contractor_liable
    assert (result.payer, result.reason_code) == (payer, reason)


def test_in_the_gap_the_reason_names_the_contractor_and_both_dates(unit):
    engagement = EngagementFactory(project=unit.project, trade=trade("general"), warranty_months=24)

    result = assess(unit, "civil", D(2026, 4, 1))

    zh, en = result.reason_in("zh-hans"), result.reason_in("en")
    assert engagement.contractor.name in zh
    assert "2026年2月28日" in zh  # the contractor's last day
    assert "2024年3月1日" in zh  # acceptance, where its clock started
    assert "2026年6月29日" in zh  # the owner's last day
    assert "开发商" in zh
    assert engagement.contractor.name in en
    assert "developer pays" in en


def test_no_engagement_for_the_trade_names_the_trade(unit):
    """Engagements for another trade, another project or another batch do not answer for the defect."""
    other_batch = DeliveryBatchFactory(project=unit.project)
    EngagementFactory(project=unit.project, trade=trade("waterproofing"))
    EngagementFactory(trade=trade("general"))  # another project
    EngagementFactory(project=unit.project, batch=other_batch, trade=trade("general"))

    result = assess(unit, "civil", D(2025, 1, 10))

    assert result.engagement is None and result.contractor is None
    assert result.contractor_liable_until is None and result.contractor_liable is False
    assert result.payer == Payer.DEVELOPER
    assert result.reason_code == ReasonCode.NO_ENGAGEMENT
    assert "“总包”" in result.reason_in("zh-hans")
    assert "“General contractor”" in result.reason_in("en")


def test_a_batch_engagement_wins_over_the_project_wide_one(unit):
    """The batch's own contract answers even when the project-wide one would still run."""
    EngagementFactory(project=unit.project, trade=trade("general"), warranty_months=60)
    own = EngagementFactory(project=unit.project, batch=unit.building.batch, trade=trade("general"), warranty_months=12)

    result = assess(unit, "civil", D(2025, 6, 1))

    assert result.engagement == own
    assert result.contractor_liable_until == D(2025, 2, 28)
    assert result.payer == Payer.DEVELOPER


def test_a_project_wide_engagement_covers_every_batch(unit):
    wide = EngagementFactory(project=unit.project, trade=trade("general"), warranty_months=60)

    result = assess(unit, "civil", D(2025, 6, 1))

    assert result.engagement == wide
    assert result.payer == Payer.CONTRACTOR


def test_a_unit_handed_over_later_starts_its_own_owner_clock(unit):
    """The owner's clock starts at the unit's own handover; the contractor's still at batch acceptance."""
    late = UnitFactory(building=unit.building, handover_date=D(2024, 12, 31))
    EngagementFactory(project=unit.project, trade=trade("general"), warranty_months=24)

    on_time = assess(unit, "civil", D(2026, 7, 15))
    result = assess(late, "civil", D(2026, 7, 15))

    assert on_time.payer == Payer.OWNER
    assert result.owner_clock_start == D(2024, 12, 31)
    assert result.owner_warranty_until == D(2026, 12, 30)
    assert result.in_owner_warranty is True
    assert result.contractor_liable_until == D(2026, 2, 28)
    assert (result.payer, result.reason_code) == (Payer.DEVELOPER, ReasonCode.CONTRACTOR_EXPIRED)
    assert "2024年12月31日" in result.reason_in("zh-hans")


@pytest.mark.parametrize(
    ("code", "override", "last_day"),
    [
        ("civil", {"kind": WarrantyPeriod.Kind.YEARS, "length": 3}, D(2027, 6, 29)),
        ("waterproofing", {"kind": WarrantyPeriod.Kind.YEARS, "length": 8}, D(2032, 6, 29)),
        ("heating", {"kind": WarrantyPeriod.Kind.SEASONS, "length": 3, "season_kind": "heating"}, D(2027, 3, 15)),
    ],
)
def test_a_project_override_wins_over_the_default(unit, code, override, last_day):
    """The project's own period applies to its units only."""
    WarrantyPeriod.objects.create(category=category(code), project=unit.project, **override)
    elsewhere = UnitFactory()

    result = assess(unit, code, D(2025, 1, 1))

    assert result.owner_warranty_until == last_day
    assert result.period.is_project_override is True
    assert assess(elsewhere, code, D(2025, 1, 1)).period.is_project_override is False
    assert assess(elsewhere, code, D(2025, 1, 1)).owner_warranty_until == dict(LAST_DAY_BY_CATEGORY)[code]


@pytest.mark.parametrize(
    ("delivered", "last_day"),
    [
        (D(2024, 6, 30), D(2026, 3, 31)),
        (D(2024, 11, 1), D(2026, 3, 31)),  # delivered on the first day: that season counts
        (D(2024, 11, 2), D(2027, 3, 31)),  # that season is not complete for the owner
    ],
)
def test_heating_seasons_use_the_projects_season(delivered, last_day):
    """Two complete heating seasons starting on or after delivery, with the project's dates."""
    batch = DeliveryBatchFactory(acceptance_date=D(2024, 3, 1), delivery_date=delivered)
    unit = UnitFactory(building=BuildingFactory(batch=batch))
    Season.objects.create(project=batch.project, kind="heating", start_month=11, start_day=1, end_month=3, end_day=31)

    result = assess(unit, "heating", D(2025, 1, 1))

    assert result.owner_warranty_until == last_day
    assert result.period.season_is_default is False
    assert (result.period.season_start, result.period.season_end) == ((11, 1), (3, 31))
    assert "默认" not in result.reason_in("zh-hans")
    assert "2个采暖期" in result.reason_in("zh-hans")


def test_a_cooling_season_within_one_year(unit):
    Season.objects.create(project=unit.project, kind="cooling", start_month=5, start_day=15, end_month=10, end_day=15)

    result = assess(unit, "cooling", D(2025, 1, 1))

    # 2024-05-15 began before delivery; 2025 and 2026 count.
    assert result.owner_warranty_until == D(2026, 10, 15)
    assert "2 cooling seasons" in result.reason_in("en")


def test_without_a_season_row_the_default_is_used_and_said(unit):
    result = assess(unit, "heating", D(2025, 1, 1))

    assert result.period.season_is_default is True
    assert "November 15" in result.reason_in("en") and "default" in result.reason_in("en")
    assert "11月15日" in result.reason_in("zh-hans") and "默认" in result.reason_in("zh-hans")


def test_design_life_comes_from_the_project():
    unit = UnitFactory(
        building=BuildingFactory(batch=DeliveryBatchFactory(project=ProjectFactory(design_life_years=70)))
    )

    result = assess(unit, "structure", D(2090, 1, 1))

    assert result.owner_warranty_until == D(2094, 6, 29)
    assert result.period.length == 70
    assert "70" in result.reason_in("en")


def test_delivered_on_29_february():
    """Years from 29 February end on 28 February; months from 31 January end at the month's end."""
    batch = DeliveryBatchFactory(acceptance_date=D(2024, 1, 31), delivery_date=D(2024, 2, 29))
    unit = UnitFactory(building=BuildingFactory(batch=batch))
    EngagementFactory(project=batch.project, trade=trade("general"), warranty_months=13)

    result = assess(unit, "civil", D(2026, 2, 28))

    assert result.owner_warranty_until == D(2026, 2, 28)
    assert result.in_owner_warranty is True
    assert result.contractor_liable_until == D(2025, 2, 28)
    assert assess(unit, "civil", D(2026, 3, 1)).payer == Payer.OWNER


def test_out_of_warranty_offers_a_paid_repair_or_a_referral(unit):
    result = assess(unit, "civil", D(2027, 1, 1))

    assert result.payer == Payer.OWNER
    en, zh = result.reason_in("en"), result.reason_in("zh-hans")
    assert "quote" in en and "property management" in en
    assert "报价" in zh and "物业" in zh


def test_reason_follows_the_active_language(unit):
    """``reason`` speaks the active language; ``reason_in`` does not change it."""
    result = assess(unit, "civil", D(2025, 1, 1))

    with translation.override("zh-hans"):
        assert result.reason == result.reason_in("zh-hans")
        assert "保修" in result.reason
    with translation.override("en"):
        assert result.reason == result.reason_in("en")
        assert result.reason.startswith("Reported on Jan. 1, 2025")
        result.reason_in("zh-hans")
        assert translation.get_language() == "en"
    assert str(Payer.DEVELOPER.label) != Payer.DEVELOPER.value


def test_the_result_is_immutable(unit):
    result = assess(unit, "civil", D(2025, 1, 1))

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.payer = Payer.OWNER
    with pytest.raises(TypeError):
        result.reason_params["until"] = D(2099, 1, 1)
    assert hash(result) == hash(assess(unit, "civil", D(2025, 1, 1)))


def test_payer_choices():
    assert set(Payer.values) == {"contractor", "developer", "owner", "property_management"}


def test_an_aware_datetime_is_read_as_the_shanghai_date(unit):
    """00:30 on 30 June in Shanghai is still 29 June in UTC; the Shanghai date counts."""
    reported = dt.datetime(2026, 6, 30, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)

    result = assess(unit, "civil", reported)

    assert result.reported_on == D(2026, 6, 30)
    assert result.payer == Payer.OWNER


def test_a_category_without_a_period_is_an_error(unit):
    orphan = DefectCategory.objects.create(code="orphan", name_zh="其他", trade=trade("general"))

    with pytest.raises(NoWarrantyPeriod):
        assess_coverage(unit=unit, category=orphan, reported_on=D(2025, 1, 1))


@pytest.mark.parametrize(("code", "queries"), [("civil", 2), ("heating", 3)])
def test_queries_are_few_and_fixed(unit, django_assert_num_queries, code, queries):
    """Periods, (the season,) engagements; one more only when the unit comes without its registry rows."""
    EngagementFactory(project=unit.project, trade=category(code).trade)
    EngagementFactory(project=unit.project, batch=unit.building.batch, trade=category(code).trade)
    loaded = Unit.objects.select_related("project", "building__batch").get(pk=unit.pk)
    bare = Unit.objects.get(pk=unit.pk)
    cat = category(code)

    with django_assert_num_queries(queries):
        result = assess_coverage(unit=loaded, category=cat, reported_on=D(2025, 1, 1))
        str(result.engagement), result.reason_in("en"), result.reason_in("zh-hans")
    with django_assert_num_queries(queries + 1):
        assess_coverage(unit=bare, category=cat, reported_on=D(2025, 1, 1))
