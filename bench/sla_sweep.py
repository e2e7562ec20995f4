"""Benchmark the SLA sweep: N open clocks on PostgreSQL, 1 % of them due, one sweep.

    make bench-sla BENCH_CLOCKS=1000000
    # or: DATABASE_URL=postgres://postgres@127.0.0.1:5432/baoxiu_bench python bench/sla_sweep.py --clocks 1000000

The scale benchmark (``make bench``, bench/scale) measures the sweep on a realistic dataset instead;
this one isolates the sweep under a synthetic load of due clocks.

Uses (and migrates) the database in DATABASE_URL, which must be a throw-away one:
its name must contain "bench" (the script empties the ticket tables). Seeding is
done in SQL (INSERT … SELECT generate_series), so a million clocks take seconds.
Prints the sweep time, the number of queries, and EXPLAIN ANALYZE of the locking
query to show it reads the partial index, not the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tickets.models import OutboxMessage, SlaAlert, SlaClock, SlaPolicy  # noqa: E402
from tickets.sla.sweep import PASSES, sweep_clocks  # noqa: E402

TICKETS_PER_REPORT = 30000
TICKET_CODES = [c for c in SlaPolicy.Code.values if c != SlaPolicy.Code.WARRANTY_FUND_LEDGER]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--due-percent", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="sweeps of the same due clocks (reset between runs)")
    args = parser.parse_args()

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"Refusing to seed {connection.vendor} database {name!r}: use a PostgreSQL database named *bench*.")
    call_command("migrate", verbosity=0)

    now = timezone.now()
    t0 = time.perf_counter()
    due = seed(args.clocks, args.due_percent, now)
    print(f"seeded {args.clocks:,} open clocks ({due:,} due) in {time.perf_counter() - t0:.1f} s")

    settle()

    print("\nEXPLAIN ANALYZE of the locking query (breach pass):")
    print(explain("breach", now, args.batch_size))

    # A worker has its broker connection open already: open it here too, so the timing is the sweep's.
    from tickets.notify import kick

    kick()
    times = []
    for run in range(1, args.repeat + 1):
        if run > 1:
            reset(now)
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            result = sweep_clocks(now=now, batch_size=args.batch_size)
            elapsed = time.perf_counter() - t0
        times.append(elapsed)
        print(
            f"\nsweep {run}: {elapsed:.2f} s, {len(queries.captured_queries)} queries; "
            f"{result.breach:,} breaches, {result.warning:,} warnings, {result.escalation:,} rungs, "
            f"{result.notifications:,} notifications, {result.escalations_raised:,} escalations"
        )
        db_time = sum(float(q["time"]) for q in queries.captured_queries)
        print(f"  time in the database {db_time:.2f} s, in Python {elapsed - db_time:.2f} s; slowest statements:")
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
        for q in slowest:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {' '.join(q['sql'].split())[:110]}")
        batches = -(-due // args.batch_size)
        print(f"  = {len(queries.captured_queries) / max(batches, 1):.1f} queries per batch of {args.batch_size}")
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        again = sweep_clocks(now=now, batch_size=args.batch_size)
        elapsed = time.perf_counter() - t0
    print(
        f"second sweep (nothing due): {elapsed * 1000:.0f} ms, {len(queries.captured_queries)} queries, {again.alerts} alerts"
    )
    print(f"alerts {SlaAlert.objects.count():,}, outbox rows {OutboxMessage.objects.count():,}")
    verdict = "OK" if statistics.median(times) < 2 else "OVER TARGET (2 s)"
    print(
        f"\nSLA sweep, {args.clocks:,} open clocks, {due:,} due: median {statistics.median(times):.2f} s "
        f"of {len(times)} (min {min(times):.2f}, max {max(times):.2f})  {verdict}"
    )


def settle() -> None:
    """Leave the freshly bulk-loaded table as a running system has it: vacuumed, analysed, checkpointed.

    Otherwise autovacuum and the checkpoint after a million inserts run during the sweep.
    """
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) tickets_slaclock, tickets_ticket, tickets_outboxmessage, tickets_slaalert")
        cur.execute("CHECKPOINT")


def reset(now: dt.datetime) -> None:
    """Undo a sweep (its alerts, outbox rows, escalations and levels) so the next run has the same work."""
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE tickets_slaalert, tickets_outboxmessage, tickets_escalation, tickets_historicalescalation"
        )
        cur.execute("DELETE FROM tickets_timelineevent WHERE verb LIKE 'escalated_%%'")
        cur.execute(
            "UPDATE tickets_slaclock SET breached_at = NULL, escalate_at = NULL, ladder_step = 0,"
            " warned_at = CASE WHEN warned_at = %s THEN NULL ELSE warned_at END WHERE breached_at = %s",
            [now, now],
        )
    settle()


def explain(kind: str, now: dt.datetime, batch_size: int) -> str:
    pending, column = PASSES[kind]
    with transaction.atomic():
        plan = (
            SlaClock.objects.filter(pending, **{f"{column}__lte": now})
            .order_by(column)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch_size]
            .explain(analyze=True, buffers=True)
        )
        transaction.set_rollback(True)
    return plan


def seed(n: int, due_percent: float, now: dt.datetime) -> int:
    """Empty the ticket tables and write ``n`` open clocks on n / 8 tickets; returns how many are due."""
    from django.contrib.auth.models import Group

    from warranty.models import Building, DefectCategory, DeliveryBatch, Project, Unit, User

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE tickets_slaalert, tickets_slaclock, tickets_outboxmessage, tickets_escalation,"
            " tickets_historicalescalation, tickets_timelineevent, tickets_ticket, tickets_historicalticket,"
            " tickets_report, tickets_historicalreport RESTART IDENTITY CASCADE"
        )
    project, _ = Project.objects.get_or_create(code="BENCH", defaults={"name": "Bench", "city": "杭州"})
    batch, _ = DeliveryBatch.objects.get_or_create(
        project=project,
        name="B1",
        defaults={"acceptance_date": dt.date(2025, 1, 1), "delivery_date": dt.date(2025, 3, 1)},
    )
    building, _ = Building.objects.get_or_create(project=project, name="1", defaults={"batch": batch})
    unit, _ = Unit.objects.get_or_create(building=building, number="1-1-101")
    staff = {}
    for role in ("front_desk", "steward", "director", "customer_service", "project_gm", "engineer", "project_dept"):
        user, created = User.objects.get_or_create(
            username=f"bench_{role}", defaults={"email": f"{role}@bench.example"}
        )
        if created:
            user.groups.add(Group.objects.get(name=role))
            user.projects.add(project)
        staff[role] = user
    category = DefectCategory.objects.get(code="waterproofing")

    n_tickets = -(-n // len(TICKET_CODES))
    n_reports = -(-n_tickets // TICKETS_PER_REPORT)
    received = now - dt.timedelta(days=1)
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO tickets_report (number, project_id, unit_id, reporter_name, reporter_relation, contact_phone,
                channel, received_at, expected_note, is_emergency, note)
            SELECT 'BENCH-' || g, %s, %s, '业主', 'owner', '+8613800000000', 'phone', %s, '', false, ''
            FROM generate_series(1, %s) g
            """,
            [project.pk, unit.pk, received, n_reports],
        )
        cur.execute("SELECT array_agg(id ORDER BY id) FROM tickets_report")
        report_ids = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO tickets_ticket (report_id, seq, number, project_id, unit_id, location, location_detail, part,
                category_id, description, state, resolution, difficulty, coverage_reason, payer, steward_id,
                is_emergency, is_major, compensation_claimed, responsibility_unclear, group_complaint,
                created_at, signoff_round, close_reason)
            SELECT (%s::bigint[])[(g - 1) / %s + 1], (g - 1) %% %s + 1, 'BENCH-T' || g, %s, %s, 'kitchen', '', '',
                %s, 'bench', 'repair', '', 'general', '', '', %s,
                false, false, false, false, false, %s, 1, ''
            FROM generate_series(1, %s) g
            """,
            [
                report_ids,
                TICKETS_PER_REPORT,
                TICKETS_PER_REPORT,
                project.pk,
                unit.pk,
                category.pk,
                staff["steward"].pk,
                received,
                n_tickets,
            ],
        )
        policies = dict(SlaPolicy.objects.filter(project__isnull=True).values_list("code", "pk"))
        codes_sql = "ARRAY[" + ",".join(f"'{c}'" for c in TICKET_CODES) + "]"
        ids_sql = "ARRAY[" + ",".join(str(policies[c]) for c in TICKET_CODES) + "]::bigint[]"
        every = max(int(round(100 / due_percent)), 1) if due_percent > 0 else 0
        # Clock k: ticket k / 8, policy k % 8. Every clock of every `every`-th ticket is past due; a fifth of the rest
        # already warned; the others due later. Nothing else is stopped: the whole table is "open".
        cur.execute(
            f"""
            INSERT INTO tickets_slaclock (policy_id, code, project_id, ticket_id, started_at, warn_at, due_at,
                stopped_by_event, warned_at, ladder_step)
            SELECT ({ids_sql})[k %% {len(TICKET_CODES)} + 1], ({codes_sql})[k %% {len(TICKET_CODES)} + 1], %s,
                t0 + k / {len(TICKET_CODES)},
                %s - interval '1 day',
                CASE WHEN %s > 0 AND (k / 8) %% %s = 0 THEN %s - interval '2 hours'
                     WHEN k %% 5 = 1 THEN %s - interval '1 hour'
                     ELSE %s + interval '1 day' + (k %% 1000) * interval '1 minute' END,
                CASE WHEN %s > 0 AND (k / 8) %% %s = 0 THEN %s - interval '1 minute'
                     ELSE %s + interval '2 days' + (k %% 1000) * interval '1 minute' END,
                '',
                CASE WHEN NOT (%s > 0 AND (k / 8) %% %s = 0) AND k %% 5 = 1 THEN %s - interval '1 hour' END,
                0
            FROM generate_series(0, %s - 1) k, (SELECT min(id) AS t0 FROM tickets_ticket) first
            """,
            [project.pk, now, every, every or 1, now, now, now, every, every or 1, now, now, every, every or 1, now, n],
        )
        cur.execute("ANALYZE tickets_slaclock")
        cur.execute("ANALYZE tickets_ticket")
    return SlaClock.objects.filter(stopped_at__isnull=True, breached_at__isnull=True, due_at__lte=now).count()


if __name__ == "__main__":
    main()
