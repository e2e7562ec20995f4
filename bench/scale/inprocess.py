"""In-process measurements: each page's query count (django.test.Client), and the times and query
counts of the SLA sweep, the daily report and the dashboard (the calls in :mod:`bench.scale.jobs`)."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from . import jobs
from .targets import PAGES, Targets, intake_form, lookup_form, path


@dataclass
class Timing:
    times: list[float]
    queries: int
    size: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return percentile(self.times, 50)

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: with few samples the 95th is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def queries_on_one_connection(fn) -> int:
    """The queries ``fn`` runs, with the dashboard's halves on this connection one after the other:
    warranty.db.alongside runs one half on a helper thread's connection, which the count would miss."""
    with override_settings(DB_READS_ALONGSIDE=False), CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def timed(fn, repeat: int, *, alongside: bool = False) -> Timing:
    """``alongside``: ``fn`` may read on a second connection; its queries are counted in one more run
    without it (:func:`queries_on_one_connection`)."""
    times, queries, result = [], 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
        queries = len(ctx.captured_queries)
    if alongside:
        queries = queries_on_one_connection(fn)
    timing = Timing(times, queries)
    timing.extra["result"] = result
    return timing


def _client(username: str | None) -> Client:
    from warranty.models import User

    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def page_counts(targets: Targets, repeat: int = 3) -> dict[str, dict]:
    """Status, query count (warm: the last of ``repeat`` requests) and in-process time of every page;
    for the queues also their length (an empty page runs one query less: no rows to fetch)."""
    from tickets.views.frontdesk import QUEUES
    from warranty.models import User

    staff = _client(targets.front_desk)
    anonymous = _client(None)
    out = {}
    pages = sorted(PAGES, key=lambda p: p.key != "intake")  # its reports join the first-contact queue
    for page in pages:
        if page.key == "intake":
            # A warm-up report on one unit without tickets, then the counted one on another: each
            # POST writes a report, so only the first on a unit is the same at every size.
            rng = random.Random(0)
            desk = _client(targets.intake_front_desk)
            desk.post(path("intake", targets), intake_form(targets.intake_units[0], targets.warmup_category_id, rng))
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = desk.post(
                    path("intake", targets), intake_form(targets.intake_units[1], targets.category_id, rng)
                )
                elapsed = time.perf_counter() - t0
            out[page.key] = {"status": response.status_code, "queries": len(ctx.captured_queries), "ms": elapsed * 1000}
            continue
        times, queries, status = [], 0, 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                if page.key == "lookup":
                    response = anonymous.post(path("lookup", targets), lookup_form(*targets.lookup))
                else:
                    response = staff.get(path(page.key, targets))
                times.append(time.perf_counter() - t0)
            queries, status = len(ctx.captured_queries), response.status_code
        out[page.key] = {"status": status, "queries": queries, "ms": percentile(times, 50) * 1000}
        if page.key.startswith("queue:"):
            user = User.objects.get(username=targets.front_desk)
            out[page.key]["rows"] = QUEUES[page.key.split(":", 1)[1]].selector(user).count()
    # The dashboard page as the busiest project's director sees it by default (90 days, his project).
    director = _client(targets.director)
    director.get(jobs.DASHBOARD_URL)
    t0 = time.perf_counter()
    response = director.get(jobs.DASHBOARD_URL)
    elapsed = time.perf_counter() - t0
    queries = queries_on_one_connection(lambda: director.get(jobs.DASHBOARD_URL))
    out["dashboard_page"] = {"status": response.status_code, "queries": queries, "ms": elapsed * 1000}
    return out


def job_timings(targets: Targets, *, repeat: int = 5, sweep_repeat: int = 3, now: dt.datetime | None = None) -> dict:
    """The sweep (rolled back after each run, so every run has the same work), the daily report and
    the dashboard, each timed ``repeat`` times with its query count."""
    from tickets.models import SlaClock
    from warranty.models import Project

    now = now or timezone.now()
    today = timezone.localdate(now)
    project = Project.objects.get(pk=targets.project_id)
    out = {}

    t0 = time.perf_counter()
    jobs.prepare_reporting()
    out["prepare"] = time.perf_counter() - t0

    due = SlaClock.objects.filter(stopped_at__isnull=True, breached_at__isnull=True, due_at__lte=now).count()
    warn = SlaClock.objects.filter(stopped_at__isnull=True, warned_at__isnull=True, warn_at__lte=now).count()
    running = SlaClock.objects.filter(stopped_at__isnull=True).count()
    total = SlaClock.objects.count()

    def sweep():
        from tickets.notify import kick

        kick()  # a worker has its broker connection open already; so does this process before timing
        with transaction.atomic():
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                result = jobs.sla_sweep(now)
            elapsed = time.perf_counter() - t
            transaction.set_rollback(True)
        return elapsed, len(ctx.captured_queries), result

    runs = [sweep() for _ in range(sweep_repeat)]
    result = runs[-1][2]
    out["sweep"] = Timing(
        [r[0] for r in runs],
        runs[-1][1],
        size=f"{total:,} clocks, {running:,} running; due: {due:,} breaches, {warn:,} warnings",
        extra={
            "alerts": result.alerts,
            "notifications": result.notifications,
            "escalations": result.escalations_raised,
        },
    )
    out["daily"] = timed(lambda: jobs.daily_report(project, today), repeat)
    projects = list(Project.objects.order_by("pk"))
    out["daily_all"] = timed(lambda: [jobs.daily_report(p, today) for p in projects], 1)
    first, last = jobs.default_period(today)
    out["dashboard"] = timed(lambda: jobs.dashboard([project.pk], first, last), repeat, alongside=True)
    out["dashboard_365"] = timed(
        lambda: jobs.dashboard([project.pk], today - dt.timedelta(days=364), today), repeat, alongside=True
    )
    out["dashboard_all"] = timed(lambda: jobs.dashboard(None, first, last), repeat, alongside=True)
    return out


def job_counts(targets: Targets) -> dict[str, int]:
    """Query counts of the daily report and the dashboard's numbers (compared across sizes)."""
    from warranty.models import Project

    today = timezone.localdate()
    project = Project.objects.get(pk=targets.project_id)
    first, last = jobs.default_period(today)
    jobs.prepare_reporting()
    return {
        "daily": timed(lambda: jobs.daily_report(project, today), 2).queries,
        "dashboard": timed(lambda: jobs.dashboard([project.pk], first, last), 2, alongside=True).queries,
    }
