"""A ticket commissioned to a third-party firm, walked to the point each test needs."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from settlements import services as ss
from settlements.models import CommissionReason, PaymentApplication
from tests.factories import UserFactory
from tests.tickets import conftest as tickets_conftest
from tests.tickets.lifecycle import advance, contractor_user, fresh, new_ticket
from tickets import services as ts
from tickets.models import State

# The lifecycle tests' world: one project, its contractors and one user per role.
world = tickets_conftest.world

LINES = [
    ss.LineInput(
        kind="material", description="聚氨酯防水涂料", unit="kg", quantity=Decimal("12.5"), unit_price=Decimal("18.80")
    ),
    ss.LineInput(
        kind="material", description="瓷砖", unit="m²", quantity=Decimal("3.333"), unit_price=Decimal("59.90")
    ),
    ss.LineInput(
        kind="labour", description="防水施工人工", unit="工日", quantity=Decimal("1.5"), unit_price=Decimal("350.00")
    ),
]


@pytest.fixture
def money_people(world):
    """Second users of the money roles, to show who may and may not act twice."""
    p = world.project
    return SimpleNamespace(
        finance2=UserFactory(role="finance", projects=[p], username="finance2"),
        cs2=UserFactory(role="customer_service", projects=[p], username="cs2"),
        dept2=UserFactory(role="project_dept", projects=[p], username="dept2"),
    )


@pytest.fixture
def funds(world):
    """The waterproofing contractor's retention and the project's developer account, opened by the project department."""
    dept = world.users["project_dept"]
    retention = ss.fund_open(
        by=dept,
        engagement=world.waterproof.engagements.get(project=world.project),
        term_ends_on=timezone.localdate() + dt.timedelta(days=3 * 365),
    )
    developer = ss.fund_open(by=dept, project=world.project, opening_amount=Decimal("50000.00"))
    return SimpleNamespace(retention=retention, developer=developer)


def commission_after_refusal(world, ticket):
    """The liable contractor declines the dispatch notice; the director commissions the third-party firm."""
    ticket = advance(world, ticket, State.REPAIR)
    notice = ticket.notices.last()
    ts.notice_decline(notice=notice, by=world.users["waterproof_contractor"], reason="人手不足，无法上门")
    return ss.repair_commission(
        ticket=fresh(ticket), by=world.users["director"], firm=world.third_party, reason=CommissionReason.REFUSED
    )


def firm_user(world):
    return contractor_user(world, world.third_party)


def audited_repair(world, *, lines=LINES, adjust=True):
    """A commissioned repair, done and signed off, with every cost line audited by customer service."""
    ticket = new_ticket(world)
    repair = commission_after_refusal(world, ticket)
    worker = firm_user(world)
    created = [ss.cost_line_add(repair=repair, by=worker, line=line) for line in lines]
    cs = world.users["customer_service"]
    for i, line in enumerate(created):
        if adjust and i == 1:
            ss.cost_line_audit(line=line, by=cs, quantity=Decimal("3"), reason="按实测面积3平方米")
        else:
            ss.cost_line_audit(line=line, by=cs)
    advance(world, fresh(repair.ticket), State.CALLBACK, contractor=world.third_party)
    repair.refresh_from_db()
    return repair


@pytest.fixture
def application(world, funds):
    """A submitted application for the whole audited total."""
    repair = audited_repair(world)
    worker = firm_user(world)
    draft = ss.payment_application_create(repair=repair, by=worker, amount=repair.audited_total)
    return ss.payment_application_submit(application=draft, by=worker)


def countersigned(world, application):
    app = ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    return ss.payment_application_countersign(application=app, by=world.users["project_dept"])


def approved(world, application):
    return ss.payment_application_approve(application=countersigned(world, application), by=world.users["finance"])


def reload(application) -> PaymentApplication:
    return PaymentApplication.objects.get(pk=application.pk)
