"""Every measure of the dashboard against the hand-built month of conftest.py; right answers written here."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Location
from tickets.reporting import kpis

from .conftest import at, data_queries

MARCH = {"start": at("2026-03-01 00:00"), "end": at("2026-04-01 00:00"), "now": at("2026-04-05 12:00")}


def march(month, **kw):
    return kpis.Filters(project_ids=frozenset([month.project.pk]), **{**MARCH, **kw})


def test_satisfaction_per_dimension_and_overall(month):
    """Reached callbacks in March: T1 S/S/S, T2 S/N/S, T3 D/S/–; T6 was not reached and does not count."""
    rates = kpis.satisfaction(march(month))
    assert (rates["quality"].num, rates["quality"].den) == (2, 3)
    assert (rates["attitude"].num, rates["attitude"].den) == (2, 3)
    assert (rates["timeliness"].num, rates["timeliness"].den) == (2, 2)  # T3 left timeliness unanswered
    assert (rates["overall"].num, rates["overall"].den) == (1, 3)  # only T1 satisfied on every answer
    assert rates["quality"].pct == 66.7
    assert rates["overall"].pct == 33.3
    assert rates["timeliness"].pct == 100.0


def test_on_time_per_policy(month):
    """first_contact: T1 on time, T2 late (T7 due in April, T6 in February: not decided) → 1/2.
    dispatch_general: T1 stopped exactly at due (on time), T2 on time, T3 still running past due → 2/3."""
    rates = kpis.on_time(march(month))
    assert set(rates) == {"first_contact", "dispatch_general"}
    assert (rates["first_contact"].num, rates["first_contact"].den) == (1, 2)
    assert (rates["dispatch_general"].num, rates["dispatch_general"].den) == (2, 3)
    assert rates["dispatch_general"].pct == 66.7


def test_on_time_counts_batch_clocks_and_follows_the_batch_filter(month):
    """Batch B's warranty-fund ledger clock, stopped late in March, counts for the project and for batch B;
    with batch A chosen it is left out, and only batch A's tickets' clocks remain (T1, T2, T3)."""
    from tickets.models import SlaClock, SlaPolicy

    SlaClock.objects.create(
        policy=SlaPolicy.objects.get(code="warranty_fund_ledger", project=None),
        code="warranty_fund_ledger",
        project=month.project,
        batch=month.batch_b,
        started_at=at("2026-02-01 00:00"),
        warn_at=at("2026-02-20 00:00"),
        due_at=at("2026-03-01 00:00"),
        stopped_at=at("2026-03-02 09:00"),
    )
    everything = kpis.on_time(march(month))
    assert (everything["warranty_fund_ledger"].num, everything["warranty_fund_ledger"].den) == (0, 1)
    batch_b = kpis.on_time(march(month, batch_id=month.batch_b.pk))
    assert set(batch_b) == {"warranty_fund_ledger"}  # T6's clock stopped in February, T7's is not due
    batch_a = kpis.on_time(march(month, batch_id=month.batch_a.pk))
    assert "warranty_fund_ledger" not in batch_a
    assert (batch_a["first_contact"].num, batch_a["first_contact"].den) == (1, 2)
    assert (batch_a["dispatch_general"].num, batch_a["dispatch_general"].den) == (2, 3)


def test_running_clock_not_yet_due_is_not_decided(month):
    """Seen on 2026-03-05 08:00, T3's dispatch clock (due 12:00) is neither on time nor late yet."""
    rates = kpis.on_time(march(month, now=at("2026-03-05 08:00")))
    assert (rates["dispatch_general"].num, rates["dispatch_general"].den) == (2, 2)


def test_first_time_fix(month):
    """Archived in March after a judged repair: T1 (resolved, no repeat) ✓, T2 (resolved, T5 repeats it) ✗,
    T3 (unresolved) ✗, T6 (resolved) ✓. T9 (resolved by phone) is left out → 2/4."""
    rate = kpis.first_time_fix(march(month))
    assert (rate.num, rate.den, rate.pct) == (2, 4, 50.0)


def test_repeat_repair(month):
    """Reported in March: T1 T2 T3 T4 T5 T7 T9 (T7 at 23:59 counts, T8 at 00:01 on 1 April does not);
    repeats T4 and T5 → 2/7."""
    rate = kpis.repeat_repair(march(month))
    assert (rate.num, rate.den, rate.pct) == (2, 7, 28.6)


def test_mean_days_to_signoff(month):
    """Signed off in March: T1 2 days, T2 4, T3 6, T6 10 (20 Feb → 2 Mar) → 22/4 = 5.5."""
    assert kpis.mean_days_to_signoff(march(month)) == 5.5


def test_open_by_age(month):
    """Open on 5 April 12:00: T7 (4.5 days) and T8 (4.5) in 3–7; T5 (16) and T4 (24) in 15–30; T10 (94) > 30."""
    buckets = {b["label"]: b["count"] for b in kpis.open_by_age(march(month))}
    assert buckets == {"0–2": 0, "3–7": 2, "8–14": 0, "15–30": 2, "> 30": 1}


def test_trend_by_week(month):
    """Weeks start on Monday (1 March 2026 is a Sunday): reported 2 Mar: T1 T2 T3; 9 Mar: T9 T4; 16 Mar: T5;
    30 Mar: T7. Signed off 2 Mar: T6 T1 T2; 9 Mar: T3."""
    rows = {r["period"]: r for r in kpis.trend(march(month), "week")}
    assert {d: r["reported"] for d, r in rows.items() if r["reported"]} == {
        dt.date(2026, 3, 2): 3,
        dt.date(2026, 3, 9): 2,
        dt.date(2026, 3, 16): 1,
        dt.date(2026, 3, 30): 1,
    }
    assert {d: r["signed_off"] for d, r in rows.items() if r["signed_off"]} == {
        dt.date(2026, 3, 2): 3,
        dt.date(2026, 3, 9): 1,
    }
    assert rows[dt.date(2026, 3, 2)]["mean_days"] == round((10 + 2 + 4) / 3, 1)


def test_trend_by_month_and_quarter(month):
    f = kpis.Filters(
        project_ids=frozenset([month.project.pk]), start=at("2026-01-01 00:00"), end=at("2026-07-01 00:00")
    )
    months = {r["period"]: r for r in kpis.trend(f, "month")}
    assert {d.month: r["reported"] for d, r in months.items()} == {1: 1, 2: 1, 3: 7, 4: 1}
    march_row = months[dt.date(2026, 3, 1)]
    assert (march_row["repeats"], march_row["signed_off"]) == (2, 4)
    assert (march_row["sat_num"], march_row["sat_den"]) == (1, 3)
    assert (march_row["ftf_num"], march_row["ftf_den"]) == (2, 4)
    quarters = {r["period"]: r["reported"] for r in kpis.trend(f, "quarter")}
    assert quarters == {dt.date(2026, 1, 1): 9, dt.date(2026, 4, 1): 1}


def test_heat_map_share_of_units_and_warning_at_20_percent(month):
    """Batch A (10 units): waterproofing in A1, A2 = 2/10 = 20% → warning (at the threshold);
    plumbing in A2 = 10%; civil in A3 = 10%. Batch B (10 units): civil in B2 = 10% (T8 is April)."""
    heat = kpis.heat_map(march(month))
    cells = {(b, c): cell for (b, c), cell in heat["cells"].items()}
    by_code = {c.code: c.pk for c in heat["categories"]}
    a, b = month.batch_a.pk, month.batch_b.pk
    assert cells[(a, by_code["waterproofing"])]["units"] == 2
    assert cells[(a, by_code["waterproofing"])]["tickets"] == 3  # T1, T2, T5: two units
    assert cells[(a, by_code["waterproofing"])]["share"].pct == 20.0
    assert cells[(a, by_code["waterproofing"])]["warn"] is True
    assert cells[(a, by_code["plumbing_electrical"])]["share"].pct == 10.0
    assert cells[(a, by_code["civil"])]["warn"] is False
    assert cells[(b, by_code["civil"])]["units"] == 1
    assert [(w["batch"].pk, w["category"].code) for w in heat["warnings"]] == [(a, "waterproofing")]


def test_heat_map_below_threshold_does_not_warn(month):
    """One more unit in batch A makes waterproofing 2/11 = 18.2%: no warning."""
    from tests.factories import UnitFactory

    UnitFactory(building=month.world.unit.building, number="3-9-0901")
    heat = kpis.heat_map(march(month))
    assert heat["warnings"] == []


def test_contractor_scorecards(month):
    """general: jobs T1 T2; arrivals +5 (on time) and +20 (late) → 1/2; repeats T2 → 1; satisfaction T1 only
    → 1/2; notices 3, one declined. waterproof: jobs T3 T4; arrival −10 → 1/1; repeats T3 → 1;
    satisfaction T3 not satisfied → 0/1; notices 1, none declined."""
    cards = {c["name"]: c for c in kpis.contractor_scorecards(march(month))}
    general = cards[month.world.general.name]
    assert general["jobs"] == 2
    assert (general["on_time"].num, general["on_time"].den) == (1, 2)
    assert general["repeats"] == 1
    assert (general["satisfaction"].num, general["satisfaction"].den) == (1, 2)
    assert (general["declines"], general["notices"]) == (1, 3)
    wp = cards[month.world.waterproof.name]
    assert wp["jobs"] == 2
    assert (wp["on_time"].num, wp["on_time"].den) == (1, 1)
    assert wp["repeats"] == 1
    assert (wp["satisfaction"].num, wp["satisfaction"].den) == (0, 1)
    assert (wp["declines"], wp["notices"]) == (0, 1)
    assert set(cards) == {month.world.general.name, month.world.waterproof.name}


def test_top_and_repeat_locations(month):
    """March: bathroom T1 T2 T5, kitchen T3 T4, entrance T9, living room T7 (7 tickets)."""
    top = kpis.top_locations(march(month))
    assert [(r["location"], r["count"]) for r in top] == [
        ("bathroom", 3),
        ("kitchen", 2),
        ("entrance", 1),
        ("living_room", 1),
    ]
    assert top[0]["share"].pct == 42.9
    repeats = kpis.repeat_locations(march(month))
    # A2 (3-1-0201): bathroom T2 + T5, kitchen T3 + T4.
    assert sorted((r["unit"], str(r["location"]), r["count"]) for r in repeats) == sorted(
        [("YQF 3-1-0201", str(Location.BATHROOM.label), 2), ("YQF 3-1-0201", str(Location.KITCHEN.label), 2)]
    )


def test_batch_filter(month):
    """Only batch B: reported in March is T7 alone, no repeats."""
    rate = kpis.repeat_repair(march(month, batch_id=month.batch_b.pk))
    assert (rate.num, rate.den) == (0, 1)


def test_other_projects_are_not_counted(month):
    f = kpis.Filters(project_ids=frozenset([month.world.other_project.pk]), **MARCH)
    assert kpis.repeat_repair(f).den == 0
    assert kpis.satisfaction(f)["overall"].den == 0


@pytest.mark.parametrize("extra", [0, 30])
def test_dashboard_queries_do_not_grow_with_data(month, extra, django_assert_max_num_queries):
    """The whole dashboard runs the same number of queries with 30 more tickets of new contractors."""
    from tests.factories import ContractorFactory
    from tickets.reporting.views import dashboard_data

    from .conftest import make_ticket

    for i in range(extra):
        make_ticket(
            month.project, month.b[i % 10], 100 + i, created=at("2026-03-15 10:00"), cat="fitout",
            location="study", repairing_contractor=ContractorFactory(),
        )  # fmt: skip
    with CaptureQueriesContext(connection) as ctx:
        dashboard_data(march(month))
    assert len(data_queries(ctx)) == 16


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_read_on_two_connections_gives_what_one_gives(month, settings):
    """Outside a transaction on PostgreSQL the dashboard's two halves run at once (warranty.db.alongside);
    every number is the same as when they run one after the other."""
    from tickets.reporting.views import dashboard_data
    from warranty.db import can_read_alongside

    assert can_read_alongside()
    at_once = dashboard_data(march(month))
    settings.DB_READS_ALONGSIDE = False
    one_by_one = dashboard_data(march(month))
    assert repr(at_once) == repr(one_by_one)
    assert at_once["heat"]["warnings"] and at_once["scorecards"] and at_once["first_time_fix"].den
