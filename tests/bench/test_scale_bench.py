"""Smoke test of the scale bench (make bench), so the harness does not rot: a tiny seed with the
foreign-key checks on, the in-process query counts of every page, the jobs, and the table. The load
runs (gunicorn + wrk) and the Celery worker are left to `make bench`; no time is asserted."""

import pytest
from django.core.management import call_command

from bench.scale import dataset, inprocess, load, targets
from bench.scale.__main__ import build_table, render
from tests.reference_data import ensure_reference_data


@pytest.fixture
def seeded(transactional_db, settings):
    settings.ROOT_URLCONF = "bench.urls"
    call_command("flush", interactive=False, verbosity=0)
    ensure_reference_data()
    result = dataset.seed(600, recreate=False, check_foreign_keys=True, log=lambda *a: None)
    yield result
    call_command("flush", interactive=False, verbosity=0)


def test_seed_then_every_page_and_job_in_process(seeded):
    from tickets.models import SlaClock, Ticket

    assert seeded.tickets == 600
    assert Ticket.objects.count() == 600
    assert seeded.rows["tickets_historicalticket"] > seeded.tickets  # one history row per transition
    assert seeded.rows["tickets_timelineevent"] > seeded.tickets
    assert SlaClock.objects.filter(stopped_at__isnull=True).exists()  # open tickets keep running clocks
    assert {"archived", "referred", "cancelled"} <= set(Ticket.objects.values_list("state", flat=True))

    picked = targets.pick(samples=50)
    counts = inprocess.page_counts(picked, repeat=2)
    for page in targets.PAGES:
        assert counts[page.key]["status"] in page.expect, page.key
        assert counts[page.key]["queries"] > 0
    assert counts["dashboard_page"]["status"] == 200
    assert all(counts[f"queue:{slug}"]["rows"] >= 0 for slug in targets.QUEUES)

    jobs = inprocess.job_timings(picked, repeat=1, sweep_repeat=1)
    assert jobs["sweep"].queries > 0 and jobs["daily"].queries > 0 and jobs["dashboard"].queries > 0
    assert Ticket.objects.count() == 602  # the sweep rolled back; the two intake reports stayed

    sessions = {"": {"csrftoken": "x" * 32}}
    sessions.update({u: {"sessionid": "s", "csrftoken": "t" * 32} for u in picked.front_desks.values()})
    import random

    for page in targets.PAGES:
        lines = load.request_lines(page.key, picked, sessions, random.Random(1))
        assert lines and all(line.count("\t") == 4 for line in lines), page.key

    table = build_table(type("Args", (), {})(), seeded, seeded.rows, counts, {}, jobs, loads={}, web_memory={}, work={})
    text = render(table)
    assert "trivial view" in text and "SLA sweep" in text and "dashboard" in text


def test_each_page_is_compared_with_the_ceiling_measured_on_both_sides_of_it():
    def run(p50):
        return load.LoadResult("k", 100, 1.0, p50, p50, p50, 100, 0, "", 0)

    keys = [page.key for page in targets.PAGES]
    results = {"trivial": run(10.0), "trivial:end": run(30.0)}
    for i, key in enumerate(keys[1:], start=1):
        results[f"trivial:{key}"] = run(10.0 * i)  # the machine slows down page by page
    assert load.ceiling_p50(results, "trivial") == 10.0
    assert load.ceiling_p50(results, keys[1]) == (10.0 + 20.0) / 2  # before it, and before the next page
    assert load.ceiling_p50(results, keys[-1]) == (10.0 * (len(keys) - 1) + 30.0) / 2  # the last: and after it
