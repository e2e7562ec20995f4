"""Seed, measure, print one table. See bench/scale/__init__.py and the README (make bench).

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://postgres@127.0.0.1:5432/baoxiu_scale_bench \\
        python -m bench.scale --tickets 1000000

``python -m bench.scale counts --tickets 2000`` seeds (another) database and prints the pages' query
counts as JSON: the main run calls it on ``<name>_small`` to show the counts do not grow with the data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.scale import dataset, inprocess, load, targets, worker  # noqa: E402

# Targets of issue #10.
PAGE_RATIO = 3.0
INTAKE_PER_SECOND = 100
SWEEP_SECONDS = 2.0
REPORT_SECONDS = 2.0
DASHBOARD_SECONDS = 1.0
WEB_RSS_MB = 150
SEED_SECONDS = 600


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "counts", "seed"])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--small",
        type=int,
        help="tickets of the query-count comparison (0: skip; default: a tenth, at most 20,000, at least 2,000)",
    )
    parser.add_argument("--backlog-hours", type=float, default=24, help="SLA sweep: how long the beat was down")
    parser.add_argument("--skip-seed", action="store_true", help="measure the data already there")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn and wrk")
    parser.add_argument("--no-worker", action="store_true", help="skip the Celery worker")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each load run")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each in-process job")
    parser.add_argument("--check-foreign-keys", action="store_true", help="seed with foreign-key checks on")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    if args.small is None:
        args.small = min(20_000, max(2_000, args.tickets // 10))
    dataset.check_database()

    if args.command == "counts":
        if not args.skip_seed:
            dataset.seed(args.tickets, check_foreign_keys=True, log=lambda *a: None)
        picked = targets.pick()
        counts = {k: [v["queries"], v.get("rows")] for k, v in inprocess.page_counts(picked).items()}
        counts.update({k: [v, None] for k, v in inprocess.job_counts(picked).items()})
        print("COUNTS " + json.dumps(counts))
        return
    if args.command == "seed":
        seeded = dataset.seed(args.tickets, backlog=dt.timedelta(hours=args.backlog_hours))
        print(f"seeded {seeded.tickets:,} tickets in {seeded.seconds:.0f} s")
        return
    run(args)


def run(args) -> None:
    started = dt.datetime.now().astimezone()
    print(f"Baoxiu scale bench — {started:%Y-%m-%d %H:%M %Z}; {machine()}")
    small = {}
    if args.small:
        print(f"\n[1/5] query counts at {args.small:,} tickets (database {small_name()})")
        small = small_counts(args.small)

    print(f"\n[2/5] seeding {args.tickets:,} tickets into {connection.settings_dict['NAME']}")
    seeded = None
    if not args.skip_seed:
        seeded = dataset.seed(
            args.tickets,
            backlog=dt.timedelta(hours=args.backlog_hours),
            check_foreign_keys=args.check_foreign_keys,
        )
        print(f"  seeded in {seeded.seconds:.0f} s; database {dataset.database_size()}")
    rows = dataset.table_sizes()
    from tickets.models import Ticket

    rows["tickets_ticket"] = Ticket.objects.count()  # exact: the others are PostgreSQL's estimates
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in list(rows.items())[:12]))
    picked = targets.pick()
    print(f"  busiest project {picked.project_code}; pages as {picked.front_desk}, ticket {picked.ticket}")

    print("\n[3/5] in-process: query counts, SLA sweep, daily report, dashboard")
    counts = inprocess.page_counts(picked)
    for key, c in counts.items():
        small_q, small_rows = small.get(key, [None, None])
        length = f"; {c['rows']} rows ({small_rows} at {args.small:,})" if "rows" in c else ""
        print(
            f"  {key:<24} {c['status']}  {c['queries']:3d} queries ({small_q} at {args.small:,})"
            f"  {c['ms']:7.1f} ms in-process{length}"
        )
    jobs = inprocess.job_timings(picked, repeat=args.repeat)
    for key in ("daily", "dashboard"):
        counts[key] = {"queries": jobs[key].queries, "status": None, "ms": jobs[key].p50 * 1000}
    print(f"  prepare_reporting {jobs['prepare']:.2f} s")
    for key in ("sweep", "daily", "daily_all", "dashboard", "dashboard_365", "dashboard_all"):
        t = jobs[key]
        print(f"  {key:<24} p50 {t.p50 * 1000:8.0f} ms  p95 {t.p95 * 1000:8.0f} ms  {t.queries} queries {t.size}")
    print(f"  sweep result: {jobs['sweep'].extra}")

    loads, web_memory = {}, {}
    if not args.no_load:
        print(
            f"\n[4/5] load: gunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections}"
            f" -d{args.duration}s (after a {args.warmup} s warm-up) per page"
        )
        loads, web_memory = load.run(
            picked,
            workers=args.workers,
            connections=args.connections,
            threads=args.threads,
            seconds=args.duration,
            warmup=args.warmup,
            env=child_env(),
        )
    work = {}
    if not args.no_worker:
        print("\n[5/5] a Celery worker: the sweep and the daily reports, committed")
        work = worker.run(child_env())

    table = build_table(args, seeded, rows, counts, small, jobs, loads, web_memory, work)
    print("\n" + render(table))
    print(f"\nfinished in {(dt.datetime.now().astimezone() - started).total_seconds() / 60:.1f} min")
    if args.json:
        Path(args.json).write_text(json.dumps({"table": table, "machine": machine()}, indent=1, default=str))


def machine() -> str:
    cpus = os.cpu_count()
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        mem = 0
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        buffers = cur.fetchone()[0]
    load1 = os.getloadavg()[0]
    return (
        f"{platform.node()}: {cpus} cores, {mem:.0f} GiB, Python {platform.python_version()}, "
        f"PostgreSQL {pg.split()[0]} (shared_buffers {buffers}), load average {load1:.1f} at start"
    )


def child_env() -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["DATABASE_URL"] = database_url(connection.settings_dict["NAME"])
    return env


def database_url(name: str) -> str:
    s = connection.settings_dict
    auth = s.get("USER") or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{name}"


def small_name() -> str:
    return connection.settings_dict["NAME"] + "_small"


def small_counts(tickets: int) -> dict:
    env = child_env()
    env["DATABASE_URL"] = database_url(small_name())
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", "counts", "--tickets", str(tickets)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"the small run failed:\n{out.stdout}\n{out.stderr}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("COUNTS "))
    counts = json.loads(line[len("COUNTS ") :])
    print(f"  {counts} ({time.perf_counter() - t0:.0f} s)")
    return counts


# --- the table -----------------------------------------------------------------------------------------

COLUMNS = ["step", "size", "p50", "p95", "throughput", "queries (small)", "× trivial", "target", "verdict"]


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def build_table(args, seeded, rows, counts, small, jobs, loads, web_memory, work) -> list[dict]:
    table = []
    size = f"{rows.get('tickets_ticket', 0):,} tickets"

    def add(step, size="", p50="—", p95="—", throughput="—", queries="—", ratio="—", target="", verdict="—"):
        table.append(
            dict(zip(COLUMNS, [step, size, p50, p95, throughput, queries, ratio, target, verdict], strict=True))
        )

    if seeded:
        units = rows.get("warranty_unit", 0)
        add(
            "seed (COPY + INSERT … SELECT, indexes, VACUUM ANALYZE)",
            f"{seeded.tickets:,} tickets, 20 projects, {units:,} units, ~{sum(seeded.rows.values()):,} rows",
            p50=f"{seeded.seconds:,.0f} s (+{seeded.setup_seconds:.0f} s create, migrate)",
            target=f"< {SEED_SECONDS // 60} min",
            verdict="met" if seeded.seconds < SEED_SECONDS else "MISSED",
        )

    def queries(key):
        """'big (small)' and whether they are equal; a queue empty at one size is not compared."""
        big = counts.get(key, {}).get("queries")
        if big is None:
            return "—", True
        other, other_rows = small.get(key, [None, None])
        if other is None:
            return f"{big}", True
        if (counts[key].get("rows") == 0) != (other_rows == 0):
            return f"{big} ({other}, empty)", True
        return f"{big} ({other})", big == other

    trivials = [r.p50_ms for k, r in loads.items() if k == "trivial" or k.startswith("trivial:")]
    for page in targets.PAGES:
        q, same = queries(page.key)
        result = loads.get(page.key)
        status_ok = counts.get(page.key, {}).get("status") in page.expect
        if result is None:
            add(page.label, size, queries=q, verdict="met (queries)" if same and status_ok else "MISSED")
            continue
        ceiling = load.ceiling_p50(loads, page.key)
        ratio = result.p50_ms / ceiling if ceiling else None
        problems = []
        if not same:
            problems.append("queries grow")
        if not status_ok or result.bad or result.socket_errors:
            problems.append(f"{result.bad + result.socket_errors} failed")
        if page.key == "trivial":
            # Each page's ratio is to the trivial page measured on both sides of it: the spread of those runs.
            target = f"the ceiling (p50 {min(trivials):.1f}–{max(trivials):.1f} ms next to the pages)"
        elif page.key == "intake":
            target = f"≥ {INTAKE_PER_SECOND}/s"
            if result.throughput < INTAKE_PER_SECOND:
                problems.append(f"{result.throughput:.0f}/s")
        else:
            target = f"≤ {PAGE_RATIO:.0f}× trivial"
            if ratio and ratio > PAGE_RATIO:
                problems.append(f"{ratio:.1f}×")
        add(
            page.label,
            size,
            p50=f"{result.p50_ms:,.1f} ms",
            p95=f"{result.p95_ms:,.1f} ms",
            throughput=f"{result.throughput:,.1f}/s",
            queries=q,
            ratio=f"{ratio:.2f}" if ratio else "—",
            target=target,
            verdict="MISSED: " + ", ".join(problems) if problems else "met",
        )

    sweep = jobs["sweep"]
    add(
        "SLA sweep (in-process, rolled back)",
        sweep.size,
        ms(sweep.p50),
        ms(sweep.p95),
        queries=str(sweep.queries),
        target=f"< {SWEEP_SECONDS:.0f} s",
        verdict="met" if sweep.p95 < SWEEP_SECONDS else "MISSED",
    )
    if work:
        add(
            "SLA sweep (Celery worker, committed)",
            sweep.size,
            ms(work["sweep"]),
            target=f"< {SWEEP_SECONDS:.0f} s",
            verdict="met" if work["sweep"] < SWEEP_SECONDS else "MISSED",
        )
    daily = jobs["daily"]
    q, same = queries("daily")
    add(
        "daily report: build (busiest project)",
        size,
        ms(daily.p50),
        ms(daily.p95),
        queries=q,
        target=f"< {REPORT_SECONDS:.0f} s",
        verdict=("met" if daily.p95 < REPORT_SECONDS else "MISSED") + ("" if same else ", queries grow"),
    )
    add("daily report: build, all 20 projects", size, ms(jobs["daily_all"].p50), queries=str(jobs["daily_all"].queries))
    if work:
        add(
            f"daily reports in the worker ({work['projects']} × build, HTML, PDF, mail)",
            size,
            ms(work["daily_reports"]),
        )
    for key, label in (
        ("dashboard", "dashboard numbers (busiest project, 90 days)"),
        ("dashboard_365", "dashboard numbers (busiest project, 365 days)"),
        ("dashboard_all", "dashboard numbers (all 20 projects, 90 days)"),
    ):
        t = jobs[key]
        q, same = queries(key) if key == "dashboard" else (str(t.queries), True)
        add(
            label,
            size,
            ms(t.p50),
            ms(t.p95),
            queries=q,
            target=f"< {DASHBOARD_SECONDS:.0f} s",
            verdict=("met" if t.p95 < DASHBOARD_SECONDS else "MISSED") + ("" if same else ", queries grow"),
        )
    page = counts.get("dashboard_page", {})
    q, same = queries("dashboard_page")
    if page:
        seconds = page["ms"] / 1000
        add(
            "dashboard page (director, default filters, in-process)",
            size,
            ms(seconds),
            queries=q,
            target=f"< {DASHBOARD_SECONDS:.0f} s",
            verdict=("met" if seconds < DASHBOARD_SECONDS else "MISSED") + ("" if same else ", queries grow"),
        )
    if web_memory:
        peaks = [m.get("VmHWM", 0) for pid, m in web_memory.items() if pid != "master"]
        peak = max(peaks) / 1024 if peaks else 0
        add(
            f"web process peak RSS (gunicorn worker, max of {len(peaks)})",
            "after every load run",
            p50=f"{peak:.0f} MB",
            target=f"< {WEB_RSS_MB} MB",
            verdict="met" if peak < WEB_RSS_MB else "MISSED",
        )
    if work and work.get("memory"):
        kids = [m.get("VmHWM", 0) for pid, m in work["memory"].items() if pid != "main"]
        peak = max(kids) / 1024 if kids else 0
        main_peak = work["memory"].get("main", {}).get("VmHWM", 0) / 1024
        add(
            "worker process peak RSS (Celery prefork child)",
            f"after the sweep and {work['projects']} reports; main process {main_peak:.0f} MB",
            p50=f"{peak:.0f} MB",
        )
    return table


def render(table: list[dict]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in COLUMNS}
    line = "| " + " | ".join(c.ljust(widths[c]) for c in COLUMNS) + " |"
    rule = "|" + "|".join("-" * (widths[c] + 2) for c in COLUMNS) + "|"
    body = ["| " + " | ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS) + " |" for r in table]
    return "\n".join([line, rule, *body])


if __name__ == "__main__":
    main()
