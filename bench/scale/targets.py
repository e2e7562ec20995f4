"""What the bench measures: the pages (one list for the in-process counts and the load runs) and the
rows, users and samples each page is requested with, picked the same way at every size."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .dataset import PASSWORD

LOCATIONS = ["bathroom", "kitchen", "balcony", "living_room", "bedroom", "master_bathroom"]


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    method: str
    expect: tuple[int, ...]  # statuses of a successful answer


QUEUES = ["first-contact", "to-book", "to-notify", "not-reached", "web"]
PAGES = [
    Page("trivial", "trivial view (the ceiling)", "GET", (200,)),
    *(Page(f"queue:{slug}", f"front-desk queue: {slug}", "GET", (200,)) for slug in QUEUES),
    Page("ticket", "ticket page", "GET", (200,)),
    Page("lookup", "owner lookup (POST)", "POST", (200,)),
    Page("intake", "intake submission (POST)", "POST", (302,)),
]


@dataclass
class Targets:
    project_id: int
    project_code: str
    front_desk: str  # the busiest project's front desk: queues, ticket pages, trivial view
    director: str
    region_gm: str  # serves every project
    ticket: str  # the ticket page whose queries are counted: the latest ticket in repair
    lookup: tuple[str, str]  # (report number, last 4 digits) counted
    intake_units: tuple[int, int]  # units without tickets: a warm-up POST, then the counted one
    intake_front_desk: str  # a front desk of those units' project
    warmup_category_id: int
    category_id: int
    sample_tickets: list[str] = field(default_factory=list)
    sample_lookups: list[tuple[str, str]] = field(default_factory=list)
    front_desks: dict[int, str] = field(default_factory=dict)  # project id → a front desk's username
    units_by_project: dict[int, list[int]] = field(default_factory=dict)
    categories: list[int] = field(default_factory=list)


def pick(seed: int = 7, samples: int = 1000) -> Targets:
    """The busiest project (most open tickets) and everything the pages are requested with."""
    from django.db import connection
    from django.db.models import Case, Count, Q, When

    from tickets.models import OPEN_STATES, Report, State, Ticket
    from warranty.models import DefectCategory, Project, Unit

    rng = random.Random(seed)
    project = (
        Project.objects.annotate(open=Count("tickets", filter=Q(tickets__state__in=OPEN_STATES)))
        .order_by("-open", "pk")
        .first()
    )
    code = project.code.lower()
    ticket = (
        Ticket.objects.filter(project=project, state=State.REPAIR).order_by("-created_at", "-pk").first()
        or Ticket.objects.filter(project=project).order_by("-created_at", "-pk").first()
    )
    report = Report.objects.filter(project=project).order_by("-received_at", "-pk").first()
    # The counted intake reports a rare category on a unit without tickets, in a batch where no unit has
    # that category yet (one unit is below the "same defect in 20 % of a batch" minimum of two), after a
    # warm-up report of another category: no detector (repeat repair, long-running unit, batch defect)
    # fires at one size and not at the other. The busiest project's units first, then any project's.
    rare = DefectCategory.objects.get(code="structure").pk
    hit = set(Ticket.objects.filter(category_id=rare).values_list("unit__building__batch", flat=True))
    fresh = Unit.objects.filter(tickets__isnull=True).order_by(Case(When(project=project, then=0), default=1), "-pk")
    counted = fresh.exclude(building__batch__in=hit).first() or fresh.first() or Unit.objects.order_by("-pk").first()
    warmup = fresh.filter(project=counted.project_id).exclude(pk=counted.pk).first()
    warmup = warmup or Unit.objects.filter(project=counted.project_id).exclude(pk=counted.pk).order_by("-pk").first()
    targets = Targets(
        project_id=project.pk,
        project_code=project.code,
        front_desk=f"{code}_front_desk_1",
        director=f"{code}_director_1",
        region_gm="bench_region_gm",
        ticket=ticket.number,
        lookup=(report.number, last4(report.contact_phone)),
        intake_units=(warmup.pk, counted.pk),
        intake_front_desk=f"{counted.project.code.lower()}_front_desk_1",
        category_id=rare,
        warmup_category_id=DefectCategory.objects.get(code="cooling").pk,
    )
    with connection.cursor() as cur:
        # Ticket pages: mostly recent tickets (what the front desk opens), some from years ago.
        cur.execute(
            "(SELECT number FROM tickets_ticket WHERE project_id = %s AND created_at > now() - interval '90 days'"
            " ORDER BY random() LIMIT %s) UNION ALL"
            " (SELECT number FROM tickets_ticket WHERE project_id = %s ORDER BY random() LIMIT %s)",
            [project.pk, int(samples * 0.7), project.pk, samples - int(samples * 0.7)],
        )
        targets.sample_tickets = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT number, contact_phone FROM tickets_report WHERE received_at > now() - interval '180 days'"
            " ORDER BY random() LIMIT %s",
            [samples],
        )
        targets.sample_lookups = [(n, last4(p)) for n, p in cur.fetchall()]
    for pk, pcode in Project.objects.values_list("pk", "code"):
        targets.front_desks[pk] = f"{pcode.lower()}_front_desk_1"
        units = list(Unit.objects.filter(project_id=pk).values_list("pk", flat=True))
        targets.units_by_project[pk] = rng.sample(units, min(len(units), 200))
    targets.categories = list(DefectCategory.objects.filter(is_active=True).values_list("pk", flat=True))
    return targets


def last4(phone) -> str:
    digits = "".join(ch for ch in str(getattr(phone, "as_e164", phone) or "") if ch.isdigit())
    return digits[-4:]


def path(key: str, targets: Targets, ticket: str | None = None) -> str:
    if key == "trivial":
        return f"/bench/trivial/{ticket or targets.ticket}/"
    if key.startswith("queue:"):
        return f"/frontdesk/queues/{key.split(':', 1)[1]}/"
    if key == "ticket":
        return f"/tickets/{ticket or targets.ticket}/"
    if key == "lookup":
        return "/owner/lookup/"
    if key == "intake":
        return "/frontdesk/intake/"
    raise KeyError(key)


def lookup_form(number: str, digits: str) -> dict:
    return {"number": number, "last4": digits}


def intake_form(unit: int, category: int, rng: random.Random | None = None, n: int = 0) -> dict:
    """A phone report of one defect, as the intake page posts it (no photos)."""
    rng = rng or random.Random(n)
    return {
        "unit": str(unit),
        "reporter_name": "基准业主",
        "reporter_relation": "owner",
        "contact_phone": f"1{rng.choice(['38', '39', '35', '58', '88', '86'])}{rng.randrange(10**8):08d}",
        "channel": "phone",
        "expected_at": "",
        "expected_note": "工作日晚上",
        "note": "",
        "defects-TOTAL_FORMS": "1",
        "defects-INITIAL_FORMS": "0",
        "defects-MIN_NUM_FORMS": "1",
        "defects-MAX_NUM_FORMS": "10",
        "defects-0-location": rng.choice(LOCATIONS) if rng else "other",
        "defects-0-location_detail": "",
        "defects-0-part": "",
        "defects-0-category": str(category),
        "defects-0-description": "墙面渗水，压测复现",
    }


def encode(form: dict) -> str:
    return urlencode(form)


__all__ = ["PAGES", "PASSWORD", "Page", "Targets", "pick", "path"]
