"""Demo data: two projects, three delivery batches, ~3,000 units with owners, contractors, one user per role.

Idempotent: every row is found by its natural key before it is created, and
the generated units and owners are a pure function of ``--units`` and a fixed
seed, so a second run creates nothing (a larger ``--units`` only adds units).
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from warranty.models import (
    Building,
    Contractor,
    DeliveryBatch,
    Engagement,
    Owner,
    Ownership,
    Project,
    Season,
    Trade,
    Unit,
    User,
)
from warranty.roles import ADMIN_ROLES, Role

DEMO_PASSWORD = "baoxiu-demo"
SEED = 20260601

PROJECTS = [
    {
        "code": "YQF",
        "name": "杭州·云栖府",
        "city": "杭州",
        "address": "浙江省杭州市西湖区转塘街道云栖路88号",
        "center_phone": "0571-8677 1200",
        "center_email": "yqf-baoxiu@example.com",
    },
    {
        "code": "LW",
        "name": "苏州·澜湾",
        "city": "苏州",
        "address": "江苏省苏州市吴中区太湖东路澜湾路1号",
        "center_phone": "0512-6588 3300",
        "center_email": "lw-baoxiu@example.com",
    },
]
FLOORS = {"YQF": 18, "LW": 11}  # high-rise and mid-rise; two flats per floor and entrance

# project, batch, delivered N months ago, accepted M months before delivery, first building, buildings, share of units
BATCHES = [
    ("YQF", "一期", 72, 4, 1, 17, Decimal("0.40")),
    ("YQF", "二期", 36, 3, 18, 15, Decimal("0.35")),
    ("LW", "一期", 8, 3, 1, 17, Decimal("0.25")),
]

SEASONS = [
    (Season.Kind.HEATING, (11, 15), (3, 15)),
    (Season.Kind.COOLING, (6, 1), (9, 30)),
]

# name, trades, contact person, contact phone, commissionable third-party firm
CONTRACTORS = [
    ("浙江恒筑建设集团有限公司", ["general"], "陈志刚", "+8613905710001", False),
    ("东方雨盾防水工程有限公司", ["waterproofing"], "林海", "+8613805710002", False),
    ("杭州明阳门窗幕墙有限公司", ["windows"], "吴建平", "+8613605710003", False),
    ("苏州雅居装饰工程有限公司", ["fitout"], "沈丽华", "+8613915120004", False),
    ("江南恒温暖通工程有限公司", ["hvac"], "顾晓东", "+8613775120005", False),
    ("杭州安达机电安装有限公司", ["mep"], "郑国强", "+8615857100006", False),
    ("江苏恒运电梯设备安装有限公司", ["equipment"], "钱伟", "+8618951200007", False),
    ("杭州邻里修缮服务有限公司", ["general", "waterproofing", "mep", "fitout"], "何建军", "+8613357100008", True),
    ("苏州快修房屋维修服务有限公司", ["waterproofing", "windows", "hvac", "equipment"], "许明", "+8618015100009", True),
]
# trade: contract warranty term (months from acceptance), retention held (yuan)
TERMS = {
    "general": (24, Decimal("3200000.00")),
    "waterproofing": (60, Decimal("680000.00")),
    "windows": (24, Decimal("450000.00")),
    "fitout": (24, Decimal("1200000.00")),
    "hvac": (24, Decimal("380000.00")),
    "mep": (24, Decimal("520000.00")),
    "equipment": (24, Decimal("300000.00")),
}

# role, family name, given name; every demo user serves the first project
DEMO_USERS = [
    (Role.FRONT_DESK, "李", "娜"),
    (Role.STEWARD, "王", "强"),
    (Role.DIRECTOR, "陈", "建国"),
    (Role.ENGINEER, "刘", "伟"),
    (Role.CUSTOMER_SERVICE, "赵", "敏"),
    (Role.PROJECT_GM, "孙", "志远"),
    (Role.CONTRACTOR, "周", "卫东"),
    (Role.PROJECT_DEPT, "吴", "磊"),
    (Role.FINANCE, "郑", "芳"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_ONE_CHAR_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华文婷浩宇晨宁波斌鑫颖雪琳丹凯鹏辉亮健慧云飞"
_TWO_CHAR_NAMES = (
    "秀英桂英建华玉兰志强欣怡子涵梓轩俊杰佳怡晓东海燕建国国庆红梅思远雨桐一鸣嘉欣泽宇"
    "诗涵子豪梦瑶建军春花立新国平晓燕志明淑珍德华宏伟丽娟永刚秋菊海涛文静少华振宇"
)
GIVEN_NAMES = [*_ONE_CHAR_NAMES, *(_TWO_CHAR_NAMES[i : i + 2] for i in range(0, len(_TWO_CHAR_NAMES), 2))]
# Mobile prefixes that libphonenumber accepts as valid mainland numbers.
MOBILE_PREFIXES = [
    *range(130, 140),
    *range(150, 154),
    *range(155, 160),
    166,
    173,
    *range(175, 179),
    *range(180, 190),
    191,
    193,
    *range(195, 200),
]
FLOOR_AREAS = [Decimal(a) for a in ("89.56", "95.12", "110.38", "128.74", "143.20", "168.05")]


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def owner_for(project_code: str, number: str) -> dict:
    """The demo owner of a unit: the same name and phone on every run and every machine."""
    rng = random.Random(f"{SEED}:{project_code}:{number}")
    name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
    phone = f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
    late_handover_days = rng.randrange(20, 120) if rng.random() < 0.02 else 0
    return {"name": name, "phone": phone, "late_days": late_handover_days, "area": rng.choice(FLOOR_AREAS)}


def unit_number(building: str, slot: int, floors: int) -> str:
    """Slot 0, 1, 2 … of a building → 1-1-101, 1-1-102, 1-1-201 …, entrance by entrance."""
    entrance, rest = divmod(slot, floors * 2)
    floor, room = divmod(rest, 2)
    return f"{building}-{entrance + 1}-{floor + 1}{room + 1:02d}"


class Command(BaseCommand):
    help = "Load the demo projects, units, owners, contractors and one login per role (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=3000, help="Total number of units (default 3000).")

    def handle(self, *args, units: int, **options):
        if units < len(BATCHES):
            raise CommandError(f"--units must be at least {len(BATCHES)}.")
        self.created: dict[str, int] = {}
        with transaction.atomic():
            projects = self.seed_projects()
            batches = self.seed_batches(projects)
            self.seed_units(batches, units)
            contractors = self.seed_contractors()
            self.seed_engagements(projects, contractors)
            users = self.seed_users(projects[0], contractors[CONTRACTORS[0][0]])
        summary = ", ".join(f"{n} {what}" for what, n in self.created.items() if n) or "nothing"
        self.stdout.write(f"Demo data in place ({summary} created).")
        self.stdout.write(f"Demo logins (one per role; password for all: {DEMO_PASSWORD}):")
        for username, role_label in users:
            self.stdout.write(f"  {username:<18} {DEMO_PASSWORD:<13} {role_label}")

    def count(self, what: str, created: bool | int) -> None:
        self.created[what] = self.created.get(what, 0) + int(created)

    def seed_projects(self) -> list[Project]:
        projects = []
        for data in PROJECTS:
            project, created = Project.objects.get_or_create(code=data["code"], defaults=data)
            self.count("projects", created)
            for kind, (start_month, start_day), (end_month, end_day) in SEASONS:
                _, created = Season.objects.get_or_create(
                    project=project,
                    kind=kind,
                    defaults={
                        "start_month": start_month,
                        "start_day": start_day,
                        "end_month": end_month,
                        "end_day": end_day,
                    },
                )
                self.count("seasons", created)
            projects.append(project)
        return projects

    def seed_batches(self, projects: list[Project]) -> list[tuple[DeliveryBatch, list[Building], Decimal]]:
        by_code = {p.code: p for p in projects}
        today = timezone.localdate()
        seeded = []
        for code, name, delivered_months_ago, acceptance_lead, first_building, buildings, share in BATCHES:
            delivery = months_before(today, delivered_months_ago)
            batch, created = DeliveryBatch.objects.get_or_create(
                project=by_code[code],
                name=name,
                defaults={"delivery_date": delivery, "acceptance_date": months_before(delivery, acceptance_lead)},
            )
            self.count("delivery batches", created)
            rows = []
            for number in range(first_building, first_building + buildings):
                building, created = Building.objects.get_or_create(
                    project=batch.project, name=str(number), defaults={"batch": batch}
                )
                self.count("buildings", created)
                rows.append(building)
            seeded.append((batch, rows, share))
        return seeded

    def seed_units(self, batches, total: int) -> None:
        """Units round-robin over each batch's buildings, so a smaller total is a prefix of a larger one.

        bulk_create writes no simple-history rows; acceptable for demo and
        benchmark data, which has no history to tell.
        """
        planned: dict[tuple[int, str], tuple[Building, dict]] = {}
        remaining = total
        for index, (_batch, buildings, share) in enumerate(batches):
            count = remaining if index == len(batches) - 1 else int(total * share)
            remaining -= count
            floors = FLOORS[buildings[0].project.code]
            for i in range(count):
                building = buildings[i % len(buildings)]
                number = unit_number(building.name, i // len(buildings), floors)
                planned[(building.pk, number)] = (building, owner_for(building.project.code, number))

        building_ids = {key[0] for key in planned}
        existing = set(Unit.objects.filter(building_id__in=building_ids).values_list("building_id", "number"))
        new_units = [
            Unit(
                building=building,
                project_id=building.project_id,  # save() sets it; bulk_create does not call save()
                number=number,
                floor_area=owner["area"],
                handover_date=(
                    building.batch.delivery_date + dt.timedelta(days=owner["late_days"]) if owner["late_days"] else None
                ),
            )
            for (building_id, number), (building, owner) in planned.items()
            if (building_id, number) not in existing
        ]
        Unit.objects.bulk_create(new_units, batch_size=2000)
        self.count("units", len(new_units))

        # Every planned unit without a current primary contact gets its demo owner.
        with_owner = Ownership.objects.filter(is_primary=True, until__isnull=True).values("unit_id")
        ownerless = (
            Unit.objects.filter(building_id__in=building_ids)
            .exclude(pk__in=with_owner)
            .select_related("building__batch")
        )
        pairs = [
            (unit, planned[(unit.building_id, unit.number)][1])
            for unit in ownerless
            if (unit.building_id, unit.number) in planned
        ]
        owners = Owner.objects.bulk_create(
            [Owner(name=data["name"], phone=data["phone"]) for _unit, data in pairs], batch_size=2000
        )
        Ownership.objects.bulk_create(
            [
                Ownership(unit=unit, owner=owner, since=unit.delivered_on, is_primary=True)
                for (unit, _data), owner in zip(pairs, owners, strict=True)
            ],
            batch_size=2000,
        )
        self.count("owners", len(owners))

    def seed_contractors(self) -> dict[str, Contractor]:
        trades = {t.code: t for t in Trade.objects.all()}
        contractors = {}
        for name, trade_codes, contact, phone, commissionable in CONTRACTORS:
            contractor, created = Contractor.objects.get_or_create(
                name=name,
                defaults={"contact_name": contact, "contact_phone": phone, "is_commissionable": commissionable},
            )
            if created:
                contractor.trades.set([trades[code] for code in trade_codes])
            self.count("contractors", created)
            contractors[name] = contractor
        return contractors

    def seed_engagements(self, projects: list[Project], contractors: dict[str, Contractor]) -> None:
        trades = {t.code: t for t in Trade.objects.all()}
        for project in projects:
            for number, (name, trade_codes, _contact, _phone, commissionable) in enumerate(CONTRACTORS, start=1):
                if commissionable:
                    continue  # commissioned per job, no standing contract
                for code in trade_codes:
                    months, retention = TERMS[code]
                    _, created = Engagement.objects.get_or_create(
                        contractor=contractors[name],
                        project=project,
                        trade=trades[code],
                        batch=None,
                        defaults={
                            "warranty_months": months,
                            "retention_amount": retention,
                            "contract_no": f"{project.code}-HT-{number:03d}",
                        },
                    )
                    self.count("engagements", created)

    def seed_users(self, project: Project, general_contractor: Contractor) -> list[tuple[str, str]]:
        logins = []
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"last_name": "系统", "first_name": "管理员"}
        )
        self._finish_user(admin, created, is_staff=True, is_superuser=True)
        logins.append((admin.username, "superuser (/admin/)"))
        for role, last_name, first_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=str(role), defaults={"last_name": last_name, "first_name": first_name}
            )
            user.contractor = general_contractor if role == Role.CONTRACTOR else None
            self._finish_user(user, created, is_staff=role in ADMIN_ROLES, is_superuser=False)
            user.groups.set([Group.objects.get(name=str(role))])
            user.projects.set([project])
            logins.append((user.username, f"{role} ({role.label})"))
        return logins

    def _finish_user(self, user: User, created: bool, *, is_staff: bool, is_superuser: bool) -> None:
        # A password someone changed on purpose is kept; a new user gets the demo password.
        if created or not user.has_usable_password():
            if not hasattr(self, "_password_hash"):
                self._password_hash = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: once
            user.password = self._password_hash
        user.is_staff = is_staff
        user.is_superuser = is_superuser
        user.is_active = True
        user.save()
        self.count("users", created)
