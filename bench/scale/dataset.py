"""Seed a developer's ten years: 20 projects, ~N/5 units with owners, staff per role, contractors, and
N tickets with everything that happens to a ticket (COPY for the generated rows, INSERT … SELECT for
the rows derived from them).

The shape follows the issue: 20 projects and about 200,000 units at 1,000,000 tickets; the developer
grew about 25 % a year, so the last twelve months hold about a quarter of the tickets (250,000 a year
at 1,000,000). Projects were delivered one after another (four batches eight months apart), and a
unit's defects come mostly in its first years. Every ticket walks the lifecycle on a plausible
schedule (a few side paths: resolved by phone, cancelled, referred out of warranty; a small share of
long repairs); where that schedule reaches now, the ticket stops, so the open tail, the queues and
the running SLA clocks come out of the same rules as ten years of closed tickets.

Ids are given explicitly (tickets 1..N in time order, one-per-ticket rows share the ticket's id), so
derived rows can be written in SQL without lookups. The database is dropped and re-created first:
its name must contain "bench".
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

PROJECTS = 20
BATCHES_PER_PROJECT = 4
BUILDINGS_PER_BATCH = 5
TICKETS_PER_UNIT = 5  # 1,000,000 tickets → 200,000 units
YEARS = 10
GROWTH = 0.225  # per year: ∫₀¹⁰ e^(−0.225 s) ds ≈ 4, so the last year holds a quarter of the tickets
YEAR = dt.timedelta(days=365.25)
LOCAL = dt.timedelta(hours=8)  # Asia/Shanghai, no daylight saving time
PASSWORD = "bench-password-2026"  # every bench user's; the bench logs in over HTTP with it
STAFF_PER_PROJECT = {
    "front_desk": 2,
    "steward": 6,
    "director": 1,
    "engineer": 2,
    "customer_service": 2,
    "project_gm": 1,
    "project_dept": 1,
}
# Tables loaded in bulk: their secondary indexes are dropped during the load and rebuilt after it.
BULK_TABLES = [
    "warranty_unit",
    "warranty_owner",
    "warranty_ownership",
    "tickets_report",
    "tickets_historicalreport",
    "tickets_ticket",
    "tickets_historicalticket",
    "tickets_timelineevent",
    "tickets_contactattempt",
    "tickets_slaclock",
    "tickets_slaalert",
    "tickets_appointment",
    "tickets_dispatchnotice",
    "tickets_worklog",
    "tickets_signoff",
    "tickets_repairplan",
    "tickets_escalation",
    "callbacks_callback",
    "callbacks_callbackattempt",
]

MOBILE_PREFIXES = ["30", "31", "35", "36", "37", "38", "39", "50", "51", "52", "58", "59", "77", "86", "87", "88", "89"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯晨欣怡思雨嘉琪子轩梓涵"
LOCATIONS = [  # (code, weight)
    ("bathroom", 18),
    ("master_bathroom", 10),
    ("kitchen", 14),
    ("living_room", 10),
    ("dining_room", 3),
    ("master_bedroom", 7),
    ("bedroom", 8),
    ("study", 2),
    ("balcony", 9),
    ("entrance", 3),
    ("corridor", 2),
    ("exterior_wall", 5),
    ("roof", 3),
    ("garage", 2),
    ("whole_unit", 2),
    ("other", 2),
]
CATEGORY_WEIGHTS = {
    "waterproofing": 24,
    "civil": 15,
    "plumbing_electrical": 20,
    "doors_windows": 12,
    "fitout": 15,
    "heating": 4,
    "cooling": 4,
    "equipment": 5,
    "structure": 1,
}
CATEGORY_YEARS = {"structure": 50, "waterproofing": 5, "heating": 2, "cooling": 2}  # others: 2 years
CHANNELS = [("phone", 55), ("walk_in", 10), ("web", 15), ("wechat", 10), ("property", 7), ("patrol", 3)]
DESCRIPTIONS = [
    "卫生间地面渗水，楼下天花板有水迹",
    "厨房墙面瓷砖空鼓开裂",
    "窗户密封不严，下雨时窗台进水",
    "入户门关不严，门框变形",
    "客厅墙面出现裂缝，约一米长",
    "阳台地漏排水慢，积水",
    "插座无电，空开跳闸",
    "暖气片不热，阀门漏水",
    "空调冷凝水管渗漏",
    "木地板起拱变形",
]


@dataclass
class Batch:
    id: int
    project_id: int
    delivered: dt.datetime
    accepted: dt.date
    unit_lo: int  # unit ids [unit_lo, unit_hi)
    unit_hi: int


@dataclass
class Registry:
    now: dt.datetime
    projects: list[tuple[int, str]] = field(default_factory=list)  # (id, code)
    batches: list[Batch] = field(default_factory=list)
    unit_batch: list[int] = field(default_factory=list)  # index: unit id → index into batches
    unit_building: list[int] = field(default_factory=list)  # unit id → building number within its project
    unit_owner: list[int] = field(default_factory=list)  # unit id → current primary owner id
    owner_name: list[str] = field(default_factory=list)  # owner id → name
    owner_phone: list[str] = field(default_factory=list)  # owner id → phone (E.164)
    staff: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (project id, role) → user ids
    engagements: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    commissionable: list[int] = field(default_factory=list)
    categories: list[tuple[int, str, int]] = field(default_factory=list)  # (id, code, trade id)


@dataclass
class Seeded:
    tickets: int
    reports: int
    units: int
    seconds: float  # the seeding itself
    rows: dict[str, int]  # PostgreSQL's estimates (pg_stat_user_tables) after VACUUM ANALYZE
    now: dt.datetime
    setup_seconds: float = 0.0  # dropping, creating and migrating the database before


# --- the database --------------------------------------------------------------------------------


def check_database(alias: str = "default", *, test_ok: bool = False) -> str:
    """The database's name: it must contain "bench" (or, with ``test_ok``, be a Django test database)."""
    name = connections[alias].settings_dict["NAME"]
    throwaway = "bench" in name or (test_ok and name.startswith("test_"))
    if connections[alias].vendor != "postgresql" or not throwaway:
        raise SystemExit(f"Refusing to use database {name!r}: a PostgreSQL database whose name contains 'bench'.")
    return name


def recreate_database() -> None:
    """Drop and create the bench database (the name check first), then migrate it."""
    import psycopg

    name = check_database()
    params = connection.settings_dict
    connection.close()
    conninfo = {
        "dbname": "postgres",
        "user": params.get("USER") or "postgres",
        "host": params.get("HOST") or "127.0.0.1",
        "port": params.get("PORT") or 5432,
    }
    if params.get("PASSWORD"):
        conninfo["password"] = params["PASSWORD"]
    with psycopg.connect(**conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


TIMINGS: list[tuple[float, str]] = []  # (seconds, statement) of the last seed, for --verbose


def execute(sql: str, params=()) -> int:
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    TIMINGS.append((time.perf_counter() - t0, " ".join(sql.split())[:90]))
    return rows


def copy(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples in the order of ``columns``) into ``table``."""
    n = 0
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


@contextmanager
def bulk_load(tables: list[str], *, check_foreign_keys: bool):
    """Drop the tables' secondary indexes for the load and build them again after it.

    Without ``check_foreign_keys`` the session skips foreign-key triggers (session_replication_role =
    replica) for speed; the generator writes consistent ids, and the smoke test runs with the checks on.
    """
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [tables],
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET synchronous_commit = off")
        if not check_foreign_keys:
            cur.execute("SET session_replication_role = replica")
    try:
        yield
    except BaseException:
        # Put the indexes back for a database that outlives the error (a re-used test database);
        # a failure here must not hide the original one.
        with connection.cursor() as cur:
            for _, definition in indexes:
                with suppress(Exception):
                    cur.execute(definition.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
        raise
    with connection.cursor() as cur:
        if not check_foreign_keys:
            cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            t0 = time.perf_counter()
            cur.execute(definition)
            TIMINGS.append((time.perf_counter() - t0, definition))
        cur.execute("RESET maintenance_work_mem")


# --- the registry: projects, batches, buildings, units, owners, staff, contractors ----------------


def seed_registry(reg: Registry, n_units: int, rng: random.Random) -> None:
    from django.contrib.auth.models import Group

    from warranty.models import (
        Building,
        Contractor,
        DefectCategory,
        DeliveryBatch,
        Engagement,
        Project,
        Trade,
        User,
    )

    now = reg.now
    per_building = max(2, round(n_units / (PROJECTS * BATCHES_PER_PROJECT * BUILDINGS_PER_BATCH)))
    projects = Project.objects.bulk_create(
        Project(
            code=f"P{p + 1:02d}",
            name=f"基准·{'东南西北'[p % 4]}苑{p + 1:02d}",
            city=["杭州", "苏州", "南京", "宁波", "无锡"][p % 5],
            center_phone=f"0571-8800 {p + 1:04d}",
            center_email=f"p{p + 1:02d}-baoxiu@bench.example.cn",
        )
        for p in range(PROJECTS)
    )
    reg.projects = [(p.pk, p.code) for p in projects]

    # Project p delivers its first batch 12 − p/2 years ago (the last one 2.5 years ago), then one
    # batch every 8 months: the youngest batch is being handed over now.
    batch_rows = []
    for p, project in enumerate(projects):
        first = now - 12 * YEAR + p * (9.5 / (PROJECTS - 1)) * YEAR
        for b in range(BATCHES_PER_PROJECT):
            delivered = min(first + b * dt.timedelta(days=243), now - dt.timedelta(days=30))
            delivered = delivered.replace(hour=2, minute=0, second=0, microsecond=0)
            batch_rows.append(
                DeliveryBatch(
                    project=project,
                    name=f"{b + 1}期",
                    acceptance_date=(delivered - dt.timedelta(days=75)).date(),
                    delivery_date=(delivered + LOCAL).date(),
                )
            )
    batches = DeliveryBatch.objects.bulk_create(batch_rows)
    building_rows = []
    for batch in batches:
        b = int(batch.name[0]) - 1
        for k in range(BUILDINGS_PER_BATCH):
            building_rows.append(
                Building(project=batch.project, batch=batch, name=str(b * BUILDINGS_PER_BATCH + k + 1))
            )
    buildings = Building.objects.bulk_create(building_rows)

    # Units (explicit ids, in batch order), one current owner each, and a former owner for 8 %.
    unit_rows, owner_rows, ownership_rows = [], [], []
    reg.unit_batch, reg.unit_building, reg.unit_owner = [0], [0], [0]
    reg.owner_name, reg.owner_phone = [""], [""]
    unit_id = owner_id = 0
    for g, batch in enumerate(batches):
        lo = unit_id + 1
        for building in buildings[g * BUILDINGS_PER_BATCH : (g + 1) * BUILDINGS_PER_BATCH]:
            for k in range(per_building):
                unit_id += 1
                number = f"{building.name}-{k % 2 + 1}-{k // 20 + 1}{(k // 2) % 10 + 1:02d}"
                area = 70 + (unit_id * 37) % 110
                unit_rows.append((unit_id, building.pk, batch.project_id, number, area))
                reg.unit_batch.append(g)
                reg.unit_building.append(int(building.name))
                since = batch.delivery_date
                if rng.random() < 0.08:
                    owner_id += 1
                    name, phone = _person(rng)
                    reg.owner_name.append(name)
                    reg.owner_phone.append(phone)
                    owner_rows.append((owner_id, name, phone))
                    until = since + dt.timedelta(days=rng.randint(200, 1500))
                    if until < now.date() - dt.timedelta(days=30):
                        ownership_rows.append((unit_id, owner_id, since, until, True))
                        since = until
                owner_id += 1
                name, phone = _person(rng)
                reg.owner_name.append(name)
                reg.owner_phone.append(phone)
                owner_rows.append((owner_id, name, phone))
                ownership_rows.append((unit_id, owner_id, since, None, True))
                reg.unit_owner.append(owner_id)
        reg.batches.append(
            Batch(
                id=batch.pk,
                project_id=batch.project_id,
                delivered=dt.datetime.combine(batch.delivery_date, dt.time(), tzinfo=dt.UTC) - LOCAL,
                accepted=batch.acceptance_date,
                unit_lo=lo,
                unit_hi=unit_id + 1,
            )
        )
    copy("warranty_unit", ["id", "building_id", "project_id", "number", "floor_area"], unit_rows)
    copy(
        "warranty_owner",
        ["id", "name", "phone", "other_phone", "email", "note"],
        ((i, name, phone, "", "", "") for i, name, phone in owner_rows),
    )
    copy("warranty_ownership", ["unit_id", "owner_id", "since", "until", "is_primary"], ownership_rows)

    # Staff: one group per role, serving their project; the bench's logins are named <code>_<role>_<k>.
    groups = {g.name: g for g in Group.objects.all()}
    password = make_password(PASSWORD)
    users = []
    for pk, code in reg.projects:
        for role, count in STAFF_PER_PROJECT.items():
            for k in range(1, count + 1):
                name, phone = _person(rng)
                users.append(
                    (
                        pk,
                        role,
                        User(
                            username=f"{code.lower()}_{role}_{k}",
                            password=password,
                            last_name=name[0],
                            first_name=name[1:],
                            email=f"{code.lower()}.{role}.{k}@bench.example.cn",
                            phone=phone,
                            is_staff=role in ("director", "project_dept"),
                        ),
                    )
                )
    regional = [
        (None, "project_gm", User(username="bench_region_gm", password=password, email="region.gm@bench.example.cn")),
        (None, "finance", User(username="bench_finance", password=password, email="finance@bench.example.cn")),
    ]
    created = User.objects.bulk_create([u for _, _, u in users + regional])
    Through = User.groups.through
    Projects = User.projects.through
    all_projects = [pk for pk, _ in reg.projects]
    Through.objects.bulk_create(
        Through(user_id=u.pk, group_id=groups[role].pk)
        for (_, role, _), u in zip(users + regional, created, strict=True)
    )
    Projects.objects.bulk_create(
        Projects(user_id=u.pk, project_id=pk)
        for (project_pk, _, _), u in zip(users + regional, created, strict=True)
        for pk in ([project_pk] if project_pk else all_projects)
    )
    for (project_pk, role, _), u in zip(users, created[: len(users)], strict=True):
        reg.staff.setdefault((project_pk, role), []).append(u.pk)

    # Contractors: four firms per trade, each engaged on every fourth project; four third-party firms.
    trades = list(Trade.objects.order_by("code"))
    firms = []
    for trade in trades:
        for k in range(4):
            firms.append((trade, Contractor(name=f"基准{trade.name_zh}工程有限公司{k + 1:02d}", contact_name="联系人")))
    third_party = [Contractor(name=f"基准维修服务有限公司{k + 1:02d}", is_commissionable=True) for k in range(4)]
    Contractor.objects.bulk_create([c for _, c in firms] + third_party)
    Contractor.trades.through.objects.bulk_create(
        [Contractor.trades.through(contractor_id=c.pk, trade_id=t.pk) for t, c in firms]
        + [Contractor.trades.through(contractor_id=c.pk, trade_id=t.pk) for c in third_party for t in trades]
    )
    reg.commissionable = [c.pk for c in third_party]
    engagement_rows = []
    for p, (pk, code) in enumerate(reg.projects):
        for t, trade in enumerate(trades):
            contractor = firms[t * 4 + p % 4][1]
            months = 60 if trade.code == "waterproofing" else 24
            engagement_rows.append(
                Engagement(
                    contractor=contractor,
                    project_id=pk,
                    trade=trade,
                    contract_no=f"{code}-{trade.code}-01",
                    warranty_months=months,
                    retention_amount=500000,
                )
            )
    for e in Engagement.objects.bulk_create(engagement_rows):
        reg.engagements[(e.project_id, e.trade_id)] = (e.pk, e.contractor_id, e.warranty_months)
    reg.categories = list(DefectCategory.objects.order_by("pk").values_list("pk", "code", "trade_id"))


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    phone = f"+861{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
    return name, phone


# --- reports and tickets ---------------------------------------------------------------------------

REPORT_COLUMNS = [
    "id",
    "number",
    "project_id",
    "unit_id",
    "owner_id",
    "reporter_name",
    "reporter_relation",
    "contact_phone",
    "channel",
    "received_at",
    "received_by_id",
    "expected_note",
    "is_emergency",
    "note",
]
TICKET_COLUMNS = [
    "id",
    "report_id",
    "seq",
    "number",
    "project_id",
    "unit_id",
    "batch_id",
    "location",
    "location_detail",
    "part",
    "category_id",
    "description",
    "state",
    "resolution",
    "difficulty",
    "coverage_assessed_at",
    "in_owner_warranty",
    "owner_warranty_until",
    "contractor_liable_until",
    "payer",
    "coverage_reason",
    "liable_engagement_id",
    "liable_contractor_id",
    "repairing_contractor_id",
    "steward_id",
    "engineer_id",
    "is_emergency",
    "is_major",
    "compensation_claimed",
    "responsibility_unclear",
    "group_complaint",
    "repeat_of_id",
    "created_at",
    "dispatched_at",
    "repaired_at",
    "signed_off_at",
    "closed_at",
    "signoff_round",
    "close_reason",
]
# What SQL needs beyond the ticket's own columns; times after now are NULL.
PLAN_COLUMNS = [
    "ticket_id",
    "report_id",
    "seq",
    "confirmed_at",
    "triaged_at",
    "front_desk_id",
    "cs_id",
    "first_contact_at",
    "first_contact_failed_at",
    "notice_at",
    "notice_reached",
    "cancelled_from",
    "progress_from",
]


def report_times(n_reports: int, now: dt.datetime, rng: random.Random) -> list[dt.datetime]:
    """Ascending report times over ten years, the rate growing by GROWTH a year, in office hours."""
    span = 1 - math.exp(-GROWTH * YEARS)
    times = []
    for r in range(n_reports):
        u = (r + rng.random()) / n_reports
        years_ago = -math.log(1 - u * span) / GROWTH
        t = now - years_ago * YEAR
        local_midnight = dt.datetime.combine((t + LOCAL).date(), dt.time(), tzinfo=dt.UTC) - LOCAL
        # Office hours, except a fifth around the clock (web and WeChat reports, emergencies).
        hours = 8 + 12 * rng.random() if rng.random() < 0.8 else 24 * rng.random()
        t = local_midnight + dt.timedelta(hours=hours)
        if t >= now:
            t = now - dt.timedelta(minutes=5 + 120 * rng.random())
        times.append(t)
    times.sort()
    return times


def _batch_picker(reg: Registry, now: dt.datetime):
    """Per month back from now, cumulative weights over batches: units delivered × a unit's defect rate."""
    sizes = [b.unit_hi - b.unit_lo for b in reg.batches]
    months = YEARS * 12 + 2
    tables = []
    for m in range(months):
        t = now - dt.timedelta(days=30.44 * (m + 0.5))
        acc, cum = 0.0, []
        for b, size in zip(reg.batches, sizes, strict=True):
            age = (t - b.delivered).days / 365.25
            if age > 0:
                acc += size * (math.exp(-age / 1.2) + 0.04)
            cum.append(acc)
        tables.append((cum, acc))
    for m in range(months - 2, -1, -1):  # before the first delivery: use the next month that has one
        if tables[m][1] == 0:
            tables[m] = tables[m + 1]
    for m in range(1, months):
        if tables[m][1] == 0:
            tables[m] = tables[m - 1]
    return tables


def seed_tickets(reg: Registry, n_tickets: int, rng: random.Random, chunk: int = 50_000) -> tuple[int, int]:
    """COPY reports, tickets and the plan rows; returns (reports, tickets)."""
    now = reg.now
    sizes = []
    total = 0
    while total < n_tickets:
        r = rng.random()
        k = 1 if r < 0.72 else 2 if r < 0.92 else 3
        k = min(k, n_tickets - total)
        sizes.append(k)
        total += k
    times = report_times(len(sizes), now, rng)
    picker = _batch_picker(reg, now)
    codes = dict(reg.projects)
    cat_choices = [c for c in reg.categories if c[1] in CATEGORY_WEIGHTS]
    cat_weights = [CATEGORY_WEIGHTS[c[1]] for c in cat_choices]
    loc_codes = [c for c, _ in LOCATIONS]
    loc_weights = [w for _, w in LOCATIONS]
    channels = [c for c, _ in CHANNELS]
    channel_weights = [w for _, w in CHANNELS]
    sequences: Counter = Counter()
    last_at: dict[tuple[int, str], int] = {}
    execute(
        "CREATE UNLOGGED TABLE bench_plan (ticket_id bigint PRIMARY KEY, report_id bigint, seq int,"
        " confirmed_at timestamptz, triaged_at timestamptz, front_desk_id bigint, cs_id bigint, first_contact_at timestamptz,"
        " first_contact_failed_at timestamptz, notice_at timestamptz, notice_reached boolean,"
        " cancelled_from varchar(20), progress_from timestamptz)"
    )
    ticket_id = 0
    D = dt.timedelta(days=1)
    for start in range(0, len(sizes), chunk):
        reports, tickets, plans = [], [], []
        for r in range(start, min(start + chunk, len(sizes))):
            report_id = r + 1
            received = times[r]
            months_ago = min(int((now - received).days / 30.44), len(picker) - 1)
            cum, acc = picker[months_ago]
            g = bisect.bisect_right(cum, rng.random() * acc)
            g = min(g, len(reg.batches) - 1)
            batch = reg.batches[g]
            unit = rng.randrange(batch.unit_lo, batch.unit_hi)
            project = batch.project_id
            day = (received + LOCAL).date()
            sequences[(project, day)] += 1
            number = f"{codes[project]}-{day:%y%m%d}-{sequences[(project, day)]:03d}"
            channel = rng.choices(channels, channel_weights)[0]
            if not 8 <= (received + LOCAL).hour < 20 and channel not in ("web", "wechat"):
                channel = "web" if rng.random() < 0.7 else "wechat"
            owner = reg.unit_owner[unit]
            front_desk = rng.choice(reg.staff[(project, "front_desk")])
            stewards = reg.staff[(project, "steward")]
            steward = stewards[reg.unit_building[unit] % len(stewards)]
            cs = rng.choice(reg.staff[(project, "customer_service")])
            engineer = rng.choice(reg.staff[(project, "engineer")])
            emergency = rng.random() < 0.02
            by_owner = rng.random() < 0.85
            reports.append(
                (
                    report_id,
                    number,
                    project,
                    unit,
                    owner,
                    reg.owner_name[owner] if by_owner else reg.owner_name[owner][0] + "女士",
                    "owner" if by_owner else "relative",
                    reg.owner_phone[owner],
                    channel,
                    received,
                    None if channel == "web" else front_desk,
                    "",
                    emergency,
                    "",
                )
            )
            web = channel == "web"
            # Web reports wait for the front desk to call back (in office hours); the rest is read back
            # during the call. A few owners are never reached at first contact.
            confirmed = (
                office_hours(received) + dt.timedelta(hours=0.5 + 3.5 * rng.random())
                if web
                else received + dt.timedelta(minutes=4 * rng.random())
            )
            first_contact = office_hours(received) + dt.timedelta(
                minutes=10 + (200 if rng.random() < 0.1 else 100) * rng.random()
            )
            first_contact_failed = received + dt.timedelta(minutes=5) if rng.random() < 0.12 else None
            if rng.random() < 0.015:
                first_contact, first_contact_failed = None, received + dt.timedelta(minutes=5)
            for seq in range(1, sizes[r] + 1):
                ticket_id += 1
                cat_id, cat_code, trade_id = rng.choices(cat_choices, cat_weights)[0]
                location = rng.choices(loc_codes, loc_weights)[0]
                years = CATEGORY_YEARS.get(cat_code, 2)
                owner_until = _add_years(batch.delivered.date(), years)
                in_warranty = received.date() < owner_until
                engagement_id, engaged_contractor, months = reg.engagements[(project, trade_id)]
                contractor_until = _add_years(batch.accepted, months // 12)
                contractor_liable = in_warranty and received.date() < contractor_until
                payer = "contractor" if contractor_liable else "developer" if in_warranty else "owner"
                r1 = rng.random()
                if not in_warranty:
                    path = "referred" if r1 < 0.4 else "full"
                    payer = "property_management" if path == "referred" else "owner"
                else:
                    path = "phone" if r1 < 0.03 else "cancelled" if r1 < 0.07 else "full"
                r2 = rng.random()
                difficulty = "simple" if r2 < 0.3 else "general" if r2 < 0.9 else "complex"
                triaged = confirmed + dt.timedelta(minutes=5 + 30 * rng.random())
                if difficulty == "complex":  # the director's plan first
                    dispatched = triaged + dt.timedelta(hours=3 + 11 * rng.random())
                elif difficulty == "simple":  # the front desk books a worker
                    dispatched = office_hours(triaged + dt.timedelta(hours=0.5 + 5.5 * rng.random()))
                else:
                    dispatched = triaged + dt.timedelta(hours=0.2 + 1.1 * rng.random())
                if rng.random() < 0.08:
                    dispatched += D * (1 + 2 * rng.random())
                r3 = rng.random()
                if r3 < 0.005:
                    duration = D * (60 + 840 * rng.random())
                elif r3 < 0.03:
                    duration = D * (10 + 50 * rng.random())
                else:
                    duration = D * min(2.0 * math.exp(0.9 * rng.gauss(0, 1)), 20)
                repaired = dispatched + duration
                signed = repaired + dt.timedelta(hours=2 + 46 * rng.random())
                notice = signed + dt.timedelta(hours=1 + 23 * rng.random())
                notice_reached = rng.random() < 0.88
                closed = signed + D * (1 + 3.3 * rng.random())
                if not notice_reached:  # tried again two days later; the callback waits for it
                    closed = max(closed, notice + D * (2.1 + rng.random()))
                resolution = "resolved" if rng.random() < 0.96 else "unresolved"
                if path == "phone":  # resolved by phone guidance during the call
                    closed = confirmed + dt.timedelta(minutes=5 + 25 * rng.random())
                    events = [(received, "intake"), (confirmed, "triage"), (closed, "archived")]
                    resolution = "resolved_by_phone"
                elif path == "referred":  # out of owner warranty: assessed at triage, then referred
                    closed = triaged + dt.timedelta(hours=1 + 23 * rng.random())
                    events = [(received, "intake"), (confirmed, "triage"), (closed, "referred")]
                elif path == "cancelled":
                    closed = received + dt.timedelta(hours=1 + 71 * rng.random())
                    events = [
                        e for e in [(received, "intake"), (confirmed, "triage"), (triaged, "dispatch")] if e[0] < closed
                    ]
                    events.append((closed, "cancelled"))
                else:
                    events = [
                        (received, "intake"),
                        (confirmed, "triage"),
                        (triaged, "dispatch"),
                        (dispatched, "repair"),
                        (repaired, "signoff"),
                        (signed, "callback"),
                        (closed, "archived"),
                    ]
                state, cancelled_from, happened = "intake", "", set()
                for at, name in events:
                    if at > now:
                        break
                    if name == "cancelled":
                        cancelled_from = state
                    state = name
                    happened.add(name)
                if state not in ("archived",):
                    resolution = ""
                confirmed_ = confirmed if "triage" in happened else None
                triaged_ = triaged if "dispatch" in happened else None  # the triage transition
                dispatched_ = dispatched if "repair" in happened else None
                repaired_ = repaired if "signoff" in happened else None
                signed_ = signed if "callback" in happened else None
                notice_ = notice if signed_ and notice <= now else None
                closed_ = closed if state in ("archived", "referred", "cancelled") else None
                # Coverage is assessed at triage; a referral is assessed and then closed.
                assessed = triaged_ or (
                    triaged if path == "referred" and "triage" in happened and triaged <= now else None
                )
                # The progress-feedback clock restarts at each call to the owner; the row kept is the
                # last one (started 20–38 hours before the repair ended, or now), except for the 15 %
                # of tickets whose steward never called.
                progress_from = dispatched_
                if dispatched_ and ticket_id % 20 < 17:
                    progress_from = max(dispatched_, (repaired_ or now) - dt.timedelta(hours=20 + ticket_id % 19))
                repairing = None
                if dispatched_:
                    repairing = engaged_contractor if payer == "contractor" else rng.choice(reg.commissionable)
                key = (unit, location)
                repeat_of = last_at.get(key)
                last_at[key] = ticket_id
                tickets.append(
                    (
                        ticket_id,
                        report_id,
                        seq,
                        f"{number}-{seq}",
                        project,
                        unit,
                        reg.batches[reg.unit_batch[unit]].id,
                        location,
                        "",
                        "",
                        cat_id,
                        rng.choice(DESCRIPTIONS),
                        state,
                        resolution,
                        difficulty if triaged_ else "",
                        assessed,
                        in_warranty if assessed else None,
                        owner_until if assessed else None,
                        contractor_until if assessed else None,
                        payer if assessed else "",
                        _reason(payer, owner_until, contractor_until) if assessed else "",
                        engagement_id if assessed and payer == "contractor" else None,
                        engaged_contractor if assessed and payer == "contractor" else None,
                        repairing,
                        steward if triaged_ else None,
                        engineer if triaged_ and difficulty == "complex" else None,
                        emergency,
                        difficulty == "complex" and rng.random() < 0.1,
                        False,
                        False,
                        False,
                        repeat_of,
                        received,
                        dispatched_,
                        repaired_,
                        signed_,
                        closed_,
                        1,
                        "业主不在保修期内，已转物业" if state == "referred" else "",
                    )
                )
                plans.append(
                    (
                        ticket_id,
                        report_id,
                        seq,
                        confirmed_,
                        triaged_,
                        front_desk,
                        cs,
                        first_contact if first_contact and first_contact <= now else None,
                        first_contact_failed if first_contact_failed and first_contact_failed <= now else None,
                        notice_,
                        notice_reached,
                        cancelled_from,
                        progress_from,
                    )
                )
        copy("tickets_report", REPORT_COLUMNS, reports)
        copy("tickets_ticket", TICKET_COLUMNS, tickets)
        copy("bench_plan", PLAN_COLUMNS, plans)
    copy(
        "tickets_reportsequence",
        ["project_id", "day", "last"],
        ((project, day, last) for (project, day), last in sequences.items()),
    )
    return len(sizes), ticket_id


def office_hours(t: dt.datetime) -> dt.datetime:
    """``t``, or 08:30 (Asia/Shanghai) of the same or the next day when ``t`` is outside 08:00–20:00."""
    local = t + LOCAL
    if 8 <= local.hour < 20:
        return t
    day = local.date() + dt.timedelta(days=1 if local.hour >= 20 else 0)
    return dt.datetime.combine(day, dt.time(8, 30), tzinfo=dt.UTC) - LOCAL


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _reason(payer: str, owner_until: dt.date, contractor_until: dt.date) -> str:
    if payer == "contractor":
        return f"在业主保修期内（至{owner_until}），施工单位仍在保修期内（至{contractor_until}），由施工单位负责维修。"
    if payer == "developer":
        return f"在业主保修期内（至{owner_until}），施工单位保修期已过（{contractor_until}），由开发商保修金支付。"
    return f"已过业主保修期（{owner_until}），可有偿维修或转物业。"


# --- rows derived in SQL ------------------------------------------------------------------------------

# Each transition of the lifecycle as (verb, from, to, time, actor, condition) over t (ticket), p (plan).
TIMELINE = [
    ("reported", "''", "'intake'", "t.created_at", "r.received_by_id", "true"),
    (
        "contact_first_contact_not_reached",
        "''",
        "''",
        "p.first_contact_failed_at",
        "p.front_desk_id",
        "p.seq = 1 AND p.first_contact_failed_at IS NOT NULL",
    ),
    (
        "contact_first_contact_reached",
        "''",
        "''",
        "p.first_contact_at",
        "p.front_desk_id",
        "p.seq = 1 AND p.first_contact_at IS NOT NULL AND (t.closed_at IS NULL OR p.first_contact_at < t.closed_at)",
    ),
    ("confirm", "'intake'", "'triage'", "p.confirmed_at", "p.front_desk_id", "p.confirmed_at IS NOT NULL"),
    (
        "triage",
        "'triage'",
        "'dispatch'",
        "p.triaged_at",
        "t.steward_id",
        "p.triaged_at IS NOT NULL",
    ),
    ("dispatch", "'dispatch'", "'repair'", "t.dispatched_at", "t.steward_id", "t.dispatched_at IS NOT NULL"),
    ("complete_repair", "'repair'", "'signoff'", "t.repaired_at", "t.steward_id", "t.repaired_at IS NOT NULL"),
    ("sign_off", "'signoff'", "'callback'", "t.signed_off_at", "t.steward_id", "t.signed_off_at IS NOT NULL"),
    (
        "contact_completion_reached",
        "''",
        "''",
        "p.notice_at",
        "p.front_desk_id",
        "p.notice_at IS NOT NULL AND p.notice_reached",
    ),
    (
        "contact_completion_not_reached",
        "''",
        "''",
        "p.notice_at",
        "p.front_desk_id",
        "p.notice_at IS NOT NULL AND NOT p.notice_reached",
    ),
    (
        "contact_completion_reached",
        "''",
        "''",
        "p.notice_at + interval '2 days'",
        "p.front_desk_id",
        "p.notice_at IS NOT NULL AND NOT p.notice_reached AND p.notice_at + interval '2 days' <= %(now)s",
    ),
    (
        "archive",
        "'callback'",
        "'archived'",
        "t.closed_at",
        "p.cs_id",
        "t.state = 'archived' AND t.resolution IN ('resolved', 'unreachable')",
    ),
    (
        "reopen",
        "'callback'",
        "'archived'",
        "t.closed_at",
        "p.cs_id",
        "t.state = 'archived' AND t.resolution = 'unresolved'",
    ),
    (
        "resolve_by_phone",
        "'triage'",
        "'archived'",
        "t.closed_at",
        "p.front_desk_id",
        "t.state = 'archived' AND t.resolution = 'resolved_by_phone'",
    ),
    ("refer", "'triage'", "'referred'", "t.closed_at", "p.front_desk_id", "t.state = 'referred'"),
    ("cancel", "p.cancelled_from", "'cancelled'", "t.closed_at", "p.front_desk_id", "t.state = 'cancelled'"),
]


def seed_derived(reg: Registry, backlog: dt.timedelta) -> None:
    """Timeline, history, contacts, SLA clocks and alerts, callbacks, appointments and the rest, in SQL."""
    from tickets.models import SlaPolicy

    now = reg.now
    # Timeline (and from its transitions, the ticket's history rows): every step of TIMELINE in one pass.
    steps = ",\n".join(
        f"('{verb}', {from_state}, {to_state}, {at}, {actor}, {condition})"
        for verb, from_state, to_state, at, actor, condition in TIMELINE
    )
    execute(
        f"""
        INSERT INTO tickets_timelineevent (ticket_id, at, actor_id, verb, from_state, to_state, note)
        SELECT t.id, v.at, v.actor, v.verb, v.from_state, v.to_state, ''
        FROM tickets_ticket t JOIN bench_plan p ON p.ticket_id = t.id JOIN tickets_report r ON r.id = t.report_id
        CROSS JOIN LATERAL (VALUES {steps}) v(verb, from_state, to_state, at, actor, ok)
        WHERE v.ok
        """,
        {"now": now},
    )
    ticket_fields = [c for c in TICKET_COLUMNS if c not in ("seq", "batch_id")]  # as Ticket.history
    stamp = {"dispatched_at", "repaired_at", "signed_off_at", "closed_at", "coverage_assessed_at"}
    select = ", ".join(
        f"CASE WHEN t.{c} <= e.at THEN t.{c} END" if c in stamp else ("e.to_state" if c == "state" else f"t.{c}")
        for c in ticket_fields
    )
    execute(
        f"""
        INSERT INTO tickets_historicalticket ({", ".join(ticket_fields)}, history_date, history_change_reason,
            history_type, history_user_id)
        SELECT {select}, e.at, NULL, CASE WHEN e.verb = 'reported' THEN '+' ELSE '~' END, e.actor_id
        FROM tickets_timelineevent e JOIN tickets_ticket t ON t.id = e.ticket_id
        WHERE e.to_state <> ''
        """
    )
    report_fields = list(REPORT_COLUMNS)
    execute(
        f"""
        INSERT INTO tickets_historicalreport ({", ".join(report_fields)}, expected_at, history_date,
            history_change_reason, history_type, history_user_id)
        SELECT {", ".join("r." + c for c in report_fields)}, NULL, r.received_at, NULL, '+', r.received_by_id
        FROM tickets_report r
        """
    )

    # Contacts with the owner: first contact (a failed try for some), completion notices.
    execute(
        """
        INSERT INTO tickets_contactattempt (report_id, ticket_id, purpose, method, at, by_id, reached, note)
        SELECT p.report_id, p.ticket_id, 'first_contact', 'phone', p.first_contact_failed_at, p.front_desk_id, false, '无人接听'
        FROM bench_plan p WHERE p.seq = 1 AND p.first_contact_failed_at IS NOT NULL
        UNION ALL
        SELECT p.report_id, p.ticket_id, 'first_contact', 'phone', p.first_contact_at, p.front_desk_id, true, ''
        FROM bench_plan p JOIN tickets_ticket t ON t.id = p.ticket_id
        WHERE p.seq = 1 AND p.first_contact_at IS NOT NULL AND (t.closed_at IS NULL OR p.first_contact_at < t.closed_at)
        UNION ALL
        SELECT p.report_id, p.ticket_id, 'completion', 'phone', p.notice_at, p.front_desk_id, p.notice_reached, ''
        FROM bench_plan p WHERE p.notice_at IS NOT NULL
        UNION ALL
        SELECT p.report_id, p.ticket_id, 'completion', 'phone', p.notice_at + interval '2 days', p.front_desk_id, true, ''
        FROM bench_plan p WHERE p.notice_at IS NOT NULL AND NOT p.notice_reached AND p.notice_at + interval '2 days' <= %s
        """,
        [now],
    )
    # The queues' flags (Report.awaiting_first_contact, Ticket.awaiting_completion_notice): the rows that await,
    # by the definitions the service keeps them by.
    from tickets.models import Report, Ticket
    from tickets.services.lifecycle import awaiting_completion_notice, awaiting_first_contact

    t0 = time.perf_counter()
    Report.objects.filter(awaiting_first_contact()).update(awaiting_first_contact=True)
    Ticket.objects.filter(awaiting_completion_notice()).update(awaiting_completion_notice=True)
    TIMINGS.append((time.perf_counter() - t0, "queue flags (Report/Ticket awaiting …)"))
    execute(
        """
        INSERT INTO tickets_appointment (id, ticket_id, kind, scheduled_at, arrived_at, deviation_minutes, outcome,
            note, created_by_id)
        SELECT t.id, t.id, 'repair', t.dispatched_at + interval '3 hours',
            CASE WHEN t.repaired_at IS NOT NULL THEN t.dispatched_at + interval '3 hours' + (t.id %% 41 - 15) * interval '1 minute' END,
            CASE WHEN t.repaired_at IS NOT NULL THEN t.id %% 41 - 15 END,
            CASE WHEN t.repaired_at IS NOT NULL THEN 'done' ELSE '' END, '', t.steward_id
        FROM tickets_ticket t WHERE t.dispatched_at IS NOT NULL
        """
    )
    execute(
        """
        INSERT INTO tickets_dispatchnotice (id, number, ticket_id, contractor_id, override_reason, appointment_id,
            materials_note, issued_at, issued_by_id, status, answered_at, answered_by_id, decline_reason)
        SELECT t.id, 'F02-' || t.number, t.id, t.repairing_contractor_id, '', t.id, '', t.dispatched_at, t.steward_id,
            'accepted', t.dispatched_at + interval '20 minutes', NULL, ''
        FROM tickets_ticket t WHERE t.dispatched_at IS NOT NULL
        """
    )
    execute(
        """
        INSERT INTO tickets_repairplan (id, ticket_id, cause, method, materials, materials_note, estimated_days,
            written_by_id, written_at, approved_by_id, approved_at)
        SELECT t.id, t.id, '防水层破损', '拆除重做防水层，闭水试验48小时', '[]', '', 3, t.engineer_id,
            t.coverage_assessed_at + interval '2 hours', d.user_id, t.coverage_assessed_at + interval '3 hours'
        FROM tickets_ticket t
        JOIN LATERAL (SELECT up.user_id FROM warranty_user_projects up JOIN warranty_user_groups ug ON ug.user_id = up.user_id
                      JOIN auth_group g ON g.id = ug.group_id AND g.name = 'director'
                      WHERE up.project_id = t.project_id LIMIT 1) d ON true
        WHERE t.difficulty = 'complex' AND t.dispatched_at IS NOT NULL
        """
    )
    execute(
        """
        INSERT INTO tickets_worklog (ticket_id, kind, at, by_id, note, materials_used, test_result)
        SELECT t.id, 'completion', t.repaired_at, t.steward_id, '维修完成，现场已清理', '[]'::jsonb, '闭水试验合格'
        FROM tickets_ticket t WHERE t.repaired_at IS NOT NULL
        UNION ALL
        SELECT t.id, 'site_visit', greatest(t.dispatched_at, %s - (t.id %% 20) * interval '1 hour'), t.steward_id,
            '管家现场巡查，施工进行中', '[]'::jsonb, ''
        FROM tickets_ticket t WHERE t.state = 'repair'
        """,
        [now],
    )
    execute(
        """
        INSERT INTO tickets_signoff (ticket_id, kind, by_id, signer_name, at, passed, checklist, comment, signature, round)
        SELECT t.id, 'owner', t.steward_id, r.reporter_name, t.signed_off_at, true, '{}', '', '', 1
        FROM tickets_ticket t JOIN tickets_report r ON r.id = t.report_id WHERE t.signed_off_at IS NOT NULL
        """
    )
    execute(
        """
        INSERT INTO callbacks_callback (id, ticket_id, status, due_from, due_by, next_attempt_on, failed_attempts, reached,
            resolved, meets_standard, outcome, called_by_id, called_at, repeat_ticket_id, created_at,
            quality, attitude, timeliness, suggestions, non_warranty_issues)
        SELECT t.id, t.id, CASE WHEN t.state = 'archived' THEN 'done' ELSE 'due' END,
            (t.signed_off_at AT TIME ZONE 'Asia/Shanghai')::date + 1, (t.signed_off_at AT TIME ZONE 'Asia/Shanghai')::date + 3,
            NULL, 0,
            CASE WHEN t.state = 'archived' THEN true END,
            CASE WHEN t.state = 'archived' THEN t.resolution <> 'unresolved' END,
            CASE WHEN t.state = 'archived' THEN true END,
            CASE WHEN t.state <> 'archived' THEN '' WHEN t.resolution = 'unresolved' THEN 'reopened' ELSE 'archived' END,
            CASE WHEN t.state = 'archived' THEN p.cs_id END,
            CASE WHEN t.state = 'archived' THEN t.closed_at END, NULL, t.signed_off_at,
            CASE WHEN t.state <> 'archived' THEN '' WHEN t.id %% 23 = 0 THEN 'dissatisfied' WHEN t.id %% 7 = 0 THEN 'neutral' ELSE 'satisfied' END,
            CASE WHEN t.state <> 'archived' THEN '' WHEN t.id %% 29 = 0 THEN 'neutral' ELSE 'satisfied' END,
            CASE WHEN t.state <> 'archived' THEN '' WHEN t.id %% 17 = 0 THEN 'dissatisfied' WHEN t.id %% 5 = 0 THEN 'neutral' ELSE 'satisfied' END,
            '', CASE WHEN t.state = 'archived' AND t.id %% 200 = 0 THEN '小区门禁卡失灵' ELSE '' END
        FROM tickets_ticket t JOIN bench_plan p ON p.ticket_id = t.id WHERE t.signed_off_at IS NOT NULL
        """
    )
    execute(  # the call that reached the owner, as callbacks.services.callback_record writes it
        """
        INSERT INTO callbacks_callbackattempt (callback_id, at, by_id, reached, note)
        SELECT id, called_at, called_by_id, true, '' FROM callbacks_callback WHERE called_at IS NOT NULL
        """
    )

    # SLA clocks: one per policy a ticket met, stopped where the lifecycle stopped it. A clock whose
    # warning or deadline passed before (now − backlog) was swept then; the later ones wait for the
    # sweep the bench measures (the beat was down for `backlog`).
    policies = {p.code: p for p in SlaPolicy.objects.filter(project__isnull=True)}
    swept_until = now - backlog
    closing = "CASE t.state WHEN 'cancelled' THEN 'cancel' WHEN 'referred' THEN 'refer' ELSE 'resolve_by_phone' END"
    clocks = [
        # code, started, due, warn, stopped, stopped by, condition
        (
            "first_contact",
            "t.created_at",
            "t.created_at + interval '2 hours'",
            "t.created_at + interval '90 minutes'",
            "CASE WHEN p.first_contact_at < coalesce(t.closed_at, 'infinity') THEN p.first_contact_at ELSE t.closed_at END",
            f"CASE WHEN p.first_contact_at < coalesce(t.closed_at, 'infinity') THEN 'contact_first_contact_reached' ELSE {closing} END",
            "true",
        ),
        (
            "dispatch_general",
            "t.created_at",
            "t.created_at + interval '2 hours'",
            "t.created_at + interval '90 minutes'",
            "coalesce(t.dispatched_at, t.closed_at)",
            f"CASE WHEN t.dispatched_at IS NOT NULL THEN 'dispatch' ELSE {closing} END",
            "t.difficulty <> 'complex'",
        ),
        (
            "dispatch_complex",
            "t.coverage_assessed_at",
            "t.created_at + interval '12 hours'",
            "t.created_at + interval '9 hours'",
            "coalesce(t.dispatched_at, t.closed_at)",
            f"CASE WHEN t.dispatched_at IS NOT NULL THEN 'dispatch' ELSE {closing} END",
            "t.difficulty = 'complex'",
        ),
        (
            "repair_finished",
            "t.created_at",
            "t.created_at + interval '7 days'",
            "t.created_at + interval '126 hours'",
            "coalesce(t.repaired_at, t.closed_at)",
            f"CASE WHEN t.repaired_at IS NOT NULL THEN 'complete_repair' ELSE {closing} END",
            "true",
        ),
        (
            # The clock restarts at each progress call; the row kept is the last one (calls are made
            # on time for 85 % of the tickets).
            "progress_feedback",
            "p.progress_from",
            "p.progress_from + interval '48 hours'",
            "p.progress_from + interval '36 hours'",
            "t.repaired_at",
            "'complete_repair'",
            "t.dispatched_at IS NOT NULL",
        ),
        (
            "callback",
            "t.signed_off_at",
            "t.signed_off_at + interval '4 days'",
            "t.signed_off_at + interval '3 days'",
            "t.closed_at",
            "CASE t.resolution WHEN 'unresolved' THEN 'reopen' ELSE 'archive' END",
            "t.signed_off_at IS NOT NULL",
        ),
    ]
    rows = ",\n".join(
        f"({policies[code].pk}::bigint, '{code}'::text, {started}, {warn}, {due}, {stopped}, ({stopped_by})::text,"
        f" {len(policies[code].ladder)}::int, {condition})"
        for code, started, due, warn, stopped, stopped_by, condition in clocks
    )
    execute(
        f"""
        INSERT INTO tickets_slaclock (policy_id, code, project_id, ticket_id, batch_id, started_at, warn_at, due_at,
            stopped_at, stopped_by_event, warned_at, breached_at, ladder_step, escalate_at)
        SELECT v.policy, v.code, t.project_id, t.id, NULL, v.started, v.warn, v.due, v.stopped,
            CASE WHEN v.stopped IS NOT NULL THEN v.stopped_by ELSE '' END,
            CASE WHEN v.warn < coalesce(v.stopped, %(swept)s) THEN v.warn + interval '1 minute' END,
            CASE WHEN v.due < coalesce(v.stopped, %(swept)s) THEN v.due + interval '1 minute' END,
            CASE WHEN v.due < coalesce(v.stopped, %(swept)s) THEN v.ladder ELSE 0 END,
            NULL
        FROM tickets_ticket t JOIN bench_plan p ON p.ticket_id = t.id
        CROSS JOIN LATERAL (VALUES {rows}) v(policy, code, started, warn, due, stopped, stopped_by, ladder, ok)
        WHERE v.ok
        """,
        {"swept": swept_until},
    )
    execute(
        """
        INSERT INTO tickets_slaalert (clock_id, level, at, recipients)
        SELECT id, 'warning', warned_at, '[]'::jsonb FROM tickets_slaclock WHERE warned_at IS NOT NULL AND warned_at < due_at
        UNION ALL
        SELECT id, 'breach', breached_at, '[]'::jsonb FROM tickets_slaclock WHERE breached_at IS NOT NULL
        """
    )
    # DOMAIN §5: a ticket not finished 7 days after the report; open ones still open, the others resolved.
    execute(
        """
        INSERT INTO tickets_escalation (reason, subject_key, project_id, ticket_id, summary, evidence, status,
            raised_at, raised_by_id, assignee_id, assigned_by_id, assigned_at, resolved_at, resolution_note)
        SELECT 'open_7_days', 'ticket:' || c.ticket_id, c.project_id, c.ticket_id, t.number || ' 报修7天未完成',
            jsonb_build_array(jsonb_build_object('clock', c.id)),
            CASE WHEN c.stopped_at IS NULL THEN (CASE WHEN c.id %% 3 = 0 THEN 'acknowledged' ELSE 'open' END) ELSE 'resolved' END,
            c.breached_at, NULL, NULL, NULL, NULL,
            c.stopped_at, CASE WHEN c.stopped_at IS NULL THEN '' ELSE '维修已完成' END
        FROM tickets_slaclock c JOIN tickets_ticket t ON t.id = c.ticket_id
        WHERE c.code = 'repair_finished' AND c.breached_at IS NOT NULL
        """
    )
    seed_batch_defects()


# The open batch-defect escalation of a (batch, category) holds the tickets of this many days before its latest:
# the GM resolves it once the remedy is under way, and the next ticket of that defect in the batch raises it again.
BATCH_DEFECT_OPEN_DAYS = 90


def seed_batch_defects() -> int:
    """DOMAIN §5: the same kind of defect in ≥ 20 % of a batch's units, as ten years of intakes leave it.

    tickets.escalations.detect_batch_defect raises one escalation per batch and category when the share
    reaches the threshold and adds every later ticket to it while it is open. Ten years on, every
    (batch, category) over the threshold has one open (or acknowledged) escalation: raised by the first
    ticket of its last ``BATCH_DEFECT_OPEN_DAYS`` days, with those tickets as evidence. Earlier, resolved
    ones are not written (no page or job reads them in bulk).
    """
    from tickets.escalations import BATCH_MIN_UNITS, BATCH_SHARE_PERCENT

    return execute(
        """
        WITH unit_batch AS (
            SELECT u.id AS unit_id, b.batch_id FROM warranty_unit u JOIN warranty_building b ON b.id = u.building_id
        ), units AS (
            SELECT batch_id, count(*) AS n FROM unit_batch GROUP BY batch_id
        ), combo AS (
            SELECT ub.batch_id, t.category_id, count(DISTINCT t.unit_id) AS affected, max(t.created_at) AS latest
            FROM tickets_ticket t JOIN unit_batch ub ON ub.unit_id = t.unit_id
            WHERE t.state <> 'cancelled' GROUP BY ub.batch_id, t.category_id
        ), over AS (
            SELECT c.*, units.n AS units FROM combo c JOIN units USING (batch_id)
            WHERE c.affected >= %(min_units)s AND c.affected * 100 >= %(percent)s * units.n
        ), recent AS (
            SELECT o.batch_id, o.category_id, t.id, t.number, t.created_at,
                   row_number() OVER (PARTITION BY o.batch_id, o.category_id ORDER BY t.created_at, t.id) AS n
            FROM over o JOIN unit_batch ub ON ub.batch_id = o.batch_id
            JOIN tickets_ticket t ON t.unit_id = ub.unit_id AND t.category_id = o.category_id
            WHERE t.state <> 'cancelled' AND t.created_at > o.latest - %(days)s * interval '1 day'
        ), evidence AS (
            SELECT batch_id, category_id, min(created_at) AS raised_at, min(id) FILTER (WHERE n = 1) AS ticket_id,
                   jsonb_agg(jsonb_build_object('ticket', number, 'id', id) ORDER BY n) AS tickets
            FROM recent GROUP BY batch_id, category_id
        )
        INSERT INTO tickets_escalation (reason, subject_key, project_id, ticket_id, batch_id, category_id, summary,
            evidence, status, raised_at, resolution_note)
        SELECT 'batch_defect', 'batch:' || o.batch_id || ':category:' || o.category_id, b.project_id, e.ticket_id,
            o.batch_id, o.category_id,
            p.code || ' ' || b.name || '：' || o.units || '户中有' || o.affected || '户出现' || dc.name_zh || '。',
            e.tickets || jsonb_build_array(jsonb_build_object('affected_units', o.affected, 'units', o.units)),
            CASE WHEN o.batch_id %% 3 = 0 THEN 'acknowledged' ELSE 'open' END, e.raised_at, ''
        FROM over o JOIN evidence e USING (batch_id, category_id)
        JOIN warranty_deliverybatch b ON b.id = o.batch_id JOIN warranty_project p ON p.id = b.project_id
        JOIN warranty_defectcategory dc ON dc.id = o.category_id
        """,
        {"min_units": BATCH_MIN_UNITS, "percent": BATCH_SHARE_PERCENT, "days": BATCH_DEFECT_OPEN_DAYS},
    )


def reset_sequences() -> None:
    """Explicit ids were written: move every sequence past its table's largest id."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT s.relname, t.relname, a.attname FROM pg_class s
            JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
            JOIN pg_class t ON t.oid = d.refobjid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relkind = 'S'
            """
        )
        for seq, table, column in cur.fetchall():
            cur.execute(f'SELECT setval(\'"{seq}"\', coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)')


def seed(
    n_tickets: int,
    *,
    backlog: dt.timedelta = dt.timedelta(hours=24),
    check_foreign_keys: bool = False,
    recreate: bool = True,
    seed: int = 10,
    log=print,
) -> Seeded:
    """Seed the bench database with ``n_tickets`` tickets; see the module docstring.

    ``recreate=False`` seeds the current database as it is (the smoke test: an emptied test database).
    """
    check_database(test_ok=not recreate)
    setup = 0.0
    if recreate:
        t0 = time.perf_counter()
        recreate_database()
        setup = time.perf_counter() - t0
        log(f"  database re-created and migrated in {setup:.1f} s")
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
    rng = random.Random(seed)
    reg = Registry(now=timezone.now())
    t0 = time.perf_counter()
    n_units = max(n_tickets // TICKETS_PER_UNIT, 800)
    with bulk_load(BULK_TABLES, check_foreign_keys=check_foreign_keys):
        step = time.perf_counter()
        seed_registry(reg, n_units, rng)
        log(
            f"  registry: {len(reg.unit_owner) - 1:,} units, {len(reg.owner_name) - 1:,} owners "
            f"in {time.perf_counter() - step:.1f} s"
        )
        step = time.perf_counter()
        n_reports, n = seed_tickets(reg, n_tickets, rng)
        log(f"  {n_reports:,} reports and {n:,} tickets (COPY) in {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
        seed_derived(reg, backlog)
        execute("DROP TABLE bench_plan")
        log(f"  history, timeline, clocks, contacts … (INSERT … SELECT) in {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
    log(f"  indexes rebuilt in {time.perf_counter() - step:.1f} s")
    reset_sequences()
    step = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    log(f"  VACUUM ANALYZE in {time.perf_counter() - step:.1f} s")
    rows = table_sizes()
    return Seeded(
        tickets=n,
        reports=n_reports,
        units=len(reg.unit_owner) - 1,
        seconds=time.perf_counter() - t0,
        rows=rows,
        now=reg.now,
        setup_seconds=setup,
    )


def table_sizes() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE n_live_tup > 0 ORDER BY n_live_tup DESC")
        return dict(cur.fetchall())


def database_size() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return cur.fetchone()[0]


__all__ = ["seed", "Seeded", "check_database", "recreate_database", "settings"]
