"""Benchmark: the daily report (F03) and the dashboard for one project with many tickets.

    make bench-report BENCH_REPORT_TICKETS=200000
    # or:
    createdb -h 127.0.0.1 -U postgres baoxiu_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/baoxiu_bench DJANGO_SETTINGS_MODULE=config.settings.test \
        python bench/report_dashboard.py --tickets 200000

Migrates the database, seeds project BENCH with COPY (reports, tickets, callbacks, SLA clocks,
appointments, dispatch notices, completion notices; no history rows), then prints the time and the
query count of: building the report, rendering it (HTML + text), the PDF, the dashboard's numbers,
and the whole dashboard page. Targets: report < 2 s, dashboard < 1 s, query counts independent of
the data size (run it with --tickets 1000 and compare). Re-running with the same --tickets reuses
the seeded rows; another number re-seeds (only project BENCH is touched).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

CODE = "BENCH"
UNITS_PER_BUILDING = 100
BUILDINGS_PER_BATCH = 10
BATCHES = 3
LOCATIONS = ["bathroom", "master_bathroom", "kitchen", "living_room", "bedroom", "balcony", "exterior_wall", "roof"]


def copy_rows(model, rows: list[dict]) -> None:
    """COPY rows into the model's table; missing columns get the field default (or NULL)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    defaults = {}
    for f in fields:
        default = f.get_default()  # "" for text columns without a default, None for nullable ones
        defaults[f.attname] = json.dumps(default) if isinstance(default, list | dict) else default
    with connection.cursor() as cur:
        raw = cur.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for f in fields:
                    v = row.get(f.attname, defaults[f.attname])
                    if isinstance(v, list | dict):
                        v = json.dumps(v)
                    values.append(v)
                copy.write_row(values)


def ids_of(model, **filters) -> list[int]:
    return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


def wipe(project_id: int) -> None:
    """Delete project BENCH's rows, children first (raw SQL: no history, no signals)."""
    statements = [
        "DELETE FROM tickets_slaalert WHERE clock_id IN (SELECT id FROM tickets_slaclock WHERE project_id = %s)",
        "DELETE FROM tickets_slaclock WHERE project_id = %s",
        "DELETE FROM tickets_historicalescalation WHERE project_id = %s",
        "DELETE FROM tickets_escalation WHERE project_id = %s",
        # rows the SLA benchmark (same project code, same database) leaves behind
        "DELETE FROM tickets_timelineevent WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE project_id = %s)",
        "DELETE FROM tickets_outboxmessage WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE project_id = %s)",
        "DELETE FROM tickets_dailyreport WHERE project_id = %s",
        "DELETE FROM callbacks_callback WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE project_id = %s)",
        "DELETE FROM tickets_dispatchnotice WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE project_id = %s)",
        "DELETE FROM tickets_appointment WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE project_id = %s)",
        "DELETE FROM tickets_contactattempt WHERE report_id IN (SELECT id FROM tickets_report WHERE project_id = %s)",
        "UPDATE tickets_ticket SET repeat_of_id = NULL WHERE project_id = %s",
        "DELETE FROM tickets_ticket WHERE project_id = %s",
        "DELETE FROM tickets_report WHERE project_id = %s",
    ]
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql, [project_id])


def seed(n: int) -> tuple:
    from django.contrib.auth.models import Group

    from callbacks.models import Callback
    from tickets.models import (
        Appointment,
        ContactAttempt,
        DispatchNotice,
        Escalation,
        Report,
        SlaAlert,
        SlaClock,
        SlaPolicy,
        State,
        Ticket,
    )
    from warranty.models import Building, Contractor, DefectCategory, DeliveryBatch, Project, Unit, User

    project, _ = Project.objects.get_or_create(code=CODE, defaults={"name": "基准测试花园", "city": "杭州"})
    existing = Ticket.objects.filter(project=project).count()
    director = User.objects.filter(username="bench_director").first()
    if existing == n and director:
        print(f"reusing {existing} tickets of project {CODE}")
        return project, director
    t0 = time.perf_counter()
    wipe(project.pk)
    rng = random.Random(8)
    today = timezone.localdate()
    if not DeliveryBatch.objects.filter(project=project).exists():
        for b in range(BATCHES):
            batch = DeliveryBatch.objects.create(
                project=project,
                name=f"第{b + 1}批",
                acceptance_date=today - dt.timedelta(days=900 - 120 * b),
                delivery_date=today - dt.timedelta(days=800 - 120 * b),
            )
            for k in range(BUILDINGS_PER_BATCH):
                building = Building.objects.create(project=project, batch=batch, name=f"{b + 1}{k:02d}")
                Unit.objects.bulk_create(
                    Unit(building=building, project=project, number=f"{building.name}-1-{u:04d}")
                    for u in range(1, UNITS_PER_BUILDING + 1)
                )
    unit_batch = dict(Unit.objects.filter(project=project).values_list("pk", "building__batch_id"))
    units = sorted(unit_batch)
    categories = list(DefectCategory.objects.values_list("pk", flat=True))
    contractors = []
    for i in range(12):
        c, _ = Contractor.objects.get_or_create(name=f"基准维保单位{i:02d}")
        contractors.append(c.pk)
    users = {}
    for role in ("director", "steward", "front_desk", "project_dept", "customer_service", "project_gm", "engineer"):
        user, _ = User.objects.get_or_create(username=f"bench_{role}", defaults={"email": f"{role}@bench.example.cn"})
        user.groups.add(Group.objects.get(name=role))
        user.projects.add(project)
        users[role] = user
    steward_id = users["steward"].pk
    now = timezone.now()
    span = dt.timedelta(days=730)

    plan = []  # per ticket: created, state, resolution, signed_off, closed, contractor, unit, ...
    for i in range(n):
        created = now - span * (1 - (i + rng.random()) / n)  # ascending in time
        r = rng.random()
        if (created > now - dt.timedelta(days=20) and r < 0.6) or r < 0.05:  # recent ones are mostly open
            state = rng.choice([State.INTAKE, State.TRIAGE, State.DISPATCH, State.REPAIR, State.SIGNOFF])
        elif r < 0.08:
            state = State.CANCELLED
        elif r < 0.10:
            state = State.REFERRED
        elif created > now - dt.timedelta(days=10):
            state = State.CALLBACK
        else:
            state = State.ARCHIVED
        signed = created + dt.timedelta(hours=rng.randint(6, 24 * 20))
        repaired = state in (State.CALLBACK, State.ARCHIVED) and signed < now
        if state in (State.CALLBACK, State.ARCHIVED) and not repaired:
            state = State.SIGNOFF
        closed = signed + dt.timedelta(days=rng.randint(1, 4)) if state == State.ARCHIVED else None
        if state in (State.CANCELLED, State.REFERRED):
            closed = created + dt.timedelta(hours=rng.randint(1, 48))
        if closed and closed > now:
            closed = now
        plan.append(
            {
                "created": created,
                "state": state,
                "resolution": ("unresolved" if rng.random() < 0.05 else "resolved") if state == State.ARCHIVED else "",
                "signed": signed if repaired else None,
                "closed": closed,
                "contractor": rng.choice(contractors) if repaired or state == State.REPAIR else None,
                "unit": rng.choice(units),
                "category": rng.choice(categories),
                "location": rng.choice(LOCATIONS),
            }
        )

    copy_rows(
        Report,
        (
            {
                "number": f"{CODE}-{p['created']:%Y%m%d}-{i:07d}",
                "project_id": project.pk,
                "unit_id": p["unit"],
                "reporter_name": "业主",
                "contact_phone": "+8613800000000",
                "channel": "phone",
                "received_at": p["created"],
                "reporter_relation": "owner",
                "is_emergency": False,
            }
            for i, p in enumerate(plan)
        ),
    )
    report_ids = ids_of(Report, project=project)
    copy_rows(
        Ticket,
        (
            {
                "report_id": rid,
                "seq": 1,
                "number": f"{CODE}-{p['created']:%Y%m%d}-{i:07d}-1",
                "project_id": project.pk,
                "unit_id": p["unit"],
                "batch_id": unit_batch[p["unit"]],
                "location": p["location"],
                "category_id": p["category"],
                "description": "渗水",
                "state": p["state"],
                "resolution": p["resolution"],
                "difficulty": "general",
                "repairing_contractor_id": p["contractor"],
                "steward_id": steward_id,
                "created_at": p["created"],
                "signed_off_at": p["signed"],
                "repaired_at": p["signed"],
                "closed_at": p["closed"],
            }
            for i, (rid, p) in enumerate(zip(report_ids, plan, strict=True))
        ),
    )
    ticket_ids = ids_of(Ticket, project=project)
    with connection.cursor() as cur:  # every 25th ticket repeats the one before it
        cur.execute(
            "UPDATE tickets_ticket SET repeat_of_id = id - 1 WHERE project_id = %s AND id %% 25 = 0 AND id > %s",
            [project.pk, ticket_ids[0]],
        )
    sat = ["satisfied"] * 18 + ["neutral", "dissatisfied"]
    done = [(tid, rid, p) for tid, rid, p in zip(ticket_ids, report_ids, plan, strict=True) if p["signed"]]
    copy_rows(
        Callback,
        (
            {
                "ticket_id": tid,
                "status": "done",
                "due_from": p["signed"].date(),
                "due_by": p["signed"].date() + dt.timedelta(days=3),
                "reached": True,
                "called_at": p["signed"] + dt.timedelta(days=1),
                "quality": rng.choice(sat),
                "attitude": rng.choice(sat),
                "timeliness": rng.choice(sat),
                "suggestions": "",
                "non_warranty_issues": "门禁卡" if k % 200 == 0 else "",
                "outcome": "archived",
                "failed_attempts": 0,
                "created_at": p["signed"],
            }
            for k, (tid, _rid, p) in enumerate(done)
        ),
    )
    copy_rows(
        ContactAttempt,
        (
            {
                "report_id": rid,
                "ticket_id": tid,
                "purpose": "completion",
                "method": "phone",
                "at": p["signed"] + dt.timedelta(hours=2),
                "by_id": users["front_desk"].pk,
                "reached": rng.random() < 0.9,
                "note": "",
            }
            for tid, rid, p in done
        ),
    )
    policies = dict(SlaPolicy.objects.filter(project=None).values_list("code", "pk"))
    copy_rows(
        SlaClock,
        (
            {
                "policy_id": policies["first_contact"],
                "code": "first_contact",
                "project_id": project.pk,
                "ticket_id": tid,
                "started_at": p["created"],
                "warn_at": p["created"] + dt.timedelta(minutes=90),
                "due_at": p["created"] + dt.timedelta(hours=2),
                "stopped_at": p["created"] + dt.timedelta(minutes=rng.choice([20, 45, 80, 110, 150])),
                "ladder_step": 0,
            }
            for tid, p in zip(ticket_ids, plan, strict=True)
        ),
    )
    with_contractor = [(tid, p) for tid, p in zip(ticket_ids, plan, strict=True) if p["contractor"]]
    copy_rows(
        Appointment,
        (
            {
                "ticket_id": tid,
                "kind": "repair",
                "scheduled_at": p["created"] + dt.timedelta(hours=4),
                "arrived_at": p["created"] + dt.timedelta(hours=4),
                "deviation_minutes": rng.choice([0, 5, -10, 20, 30]),
                "outcome": "done",
                "note": "",
                "created_by_id": steward_id,
            }
            for tid, p in with_contractor
        ),
    )
    appointment_ids = ids_of(Appointment, ticket__project=project)
    copy_rows(
        DispatchNotice,
        (
            {
                "number": f"F02-{CODE}-{tid}",
                "ticket_id": tid,
                "contractor_id": p["contractor"],
                "appointment_id": aid,
                "issued_at": p["created"] + dt.timedelta(hours=1),
                "issued_by_id": steward_id,
                "status": "declined" if rng.random() < 0.03 else "accepted",
                "override_reason": "",
                "materials_note": "",
                "decline_reason": "",
            }
            for aid, (tid, p) in zip(appointment_ids, with_contractor, strict=True)
        ),
    )
    open_recent = Ticket.objects.filter(project=project, state=State.REPAIR).order_by("-pk")[:300]
    Escalation.objects.bulk_create(
        Escalation(
            reason="open_7_days",
            subject_key=f"ticket:{t.pk}",
            project=project,
            ticket=t,
            summary=f"{t.number} 超过7天未完成",
        )
        for t in open_recent[:150]
    )
    clocks = list(SlaClock.objects.filter(project=project).order_by("-pk")[:400])
    SlaAlert.objects.bulk_create(SlaAlert(clock=c, level="breach", at=now - dt.timedelta(hours=3)) for c in clocks)
    print(f"seeded {n} tickets in {time.perf_counter() - t0:.1f} s")
    return project, users["director"]


def measure(label: str, fn, target: float | None = None):
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    verdict = "" if target is None else ("  OK" if elapsed < target else f"  OVER TARGET ({target} s)")
    print(f"{label:<42} {elapsed * 1000:8.0f} ms  {len(ctx.captured_queries):3d} queries{verdict}")
    return result


def main() -> None:
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--no-pdf", action="store_true", help="skip timing the PDF")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
    with transaction.atomic():
        project, director = seed(args.tickets)
    with connection.cursor() as cur:  # outside the transaction: clear dead rows of a re-seed, fresh statistics
        cur.execute("VACUUM ANALYZE")

    from django.conf import settings

    from tickets.reporting import daily, kpis
    from tickets.reporting.views import dashboard_data, default_period

    settings.ALLOWED_HOSTS = ["*"]
    today = timezone.localdate()
    print(f"project {CODE}: {args.tickets} tickets; day {today}")
    for _ in range(2):  # the second round shows warm-cache numbers
        data = measure("daily report: build", lambda: daily.daily_report_build(project, today), 2.0)
        measure("daily report: render HTML + text", lambda data=data: daily.render_report(data))
        if not args.no_pdf:
            measure("daily report: PDF (WeasyPrint)", lambda data=data: daily.render_pdf(data))
        first, last = default_period(today)
        start, end = kpis.period_bounds(first, last)
        f = kpis.Filters(project_ids=frozenset([project.pk]), start=start, end=end)
        measure("dashboard: numbers (90 days)", lambda f=f: dashboard_data(f), 1.0)
        start_year = kpis.period_bounds(today - dt.timedelta(days=364), today)[0]
        f_year = kpis.Filters(project_ids=frozenset([project.pk]), start=start_year, end=end)
        measure("dashboard: numbers (365 days)", lambda f=f_year: dashboard_data(f), 1.0)
        client = Client()
        client.force_login(director)
        response = measure(
            "dashboard: whole page (90 days, rendered)", lambda c=client: c.get("/reports/dashboard/"), 1.0
        )
        assert response.status_code == 200, response.status_code
        print("-")


if __name__ == "__main__":
    main()
