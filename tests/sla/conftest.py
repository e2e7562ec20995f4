"""SLA tests: the lifecycle world of tests/tickets, built at a frozen moment chosen by the test."""

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest

from tests.factories import (
    BuildingFactory,
    ContractorFactory,
    DeliveryBatchFactory,
    EngagementFactory,
    OwnershipFactory,
    ProjectFactory,
    UnitFactory,
    UserFactory,
    trade,
)
from tests.tickets.conftest import ROLES

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime: local(2026, 9, 30, 16, 30)."""
    return dt.datetime(*args, tzinfo=SH)


def build_world(*, delivered: dt.date = dt.date(2025, 6, 30)):
    """The same world as tests/tickets (so tests.tickets.lifecycle.advance works), with fixed dates."""
    project = ProjectFactory(code="YQF", name="云栖府")
    other_project = ProjectFactory(code="LW", name="澜湾")
    batch = DeliveryBatchFactory(
        project=project, acceptance_date=delivered - dt.timedelta(days=100), delivery_date=delivered
    )
    building = BuildingFactory(project=project, batch=batch, name="3")
    unit = UnitFactory(building=building, number="3-2-1201")
    ownership = OwnershipFactory(unit=unit, since=delivered)
    general = ContractorFactory(name="浙江恒建总承包有限公司")
    waterproof = ContractorFactory(name="杭州固水防水工程有限公司")
    third_party = ContractorFactory(name="杭州快修物业维修服务有限公司", is_commissionable=True)
    EngagementFactory(contractor=general, project=project, trade=trade("general"), warranty_months=24)
    EngagementFactory(contractor=waterproof, project=project, trade=trade("waterproofing"), warranty_months=60)
    users = {
        role: UserFactory(role=role, projects=[project], username=role, email=f"{role}@example.com")
        for role in ROLES
        if role != "contractor"
    }
    users["contractor"] = UserFactory(role="contractor", contractor=general, username="contractor")
    users["waterproof_contractor"] = UserFactory(role="contractor", contractor=waterproof, username="wp_contractor")
    users["outsider"] = UserFactory(role="director", projects=[other_project], username="outsider")
    return SimpleNamespace(
        project=project,
        other_project=other_project,
        batch=batch,
        building=building,
        unit=unit,
        owner=ownership.owner,
        general=general,
        waterproof=waterproof,
        third_party=third_party,
        users=users,
    )


@pytest.fixture
def at(time_machine):
    """at(local(...)) freezes the clock there (and moves it on when called again)."""

    def move(when: dt.datetime):
        time_machine.move_to(when, tick=False)
        return when

    return move


@pytest.fixture
def sla_world(db, at):
    at(local(2026, 9, 28, 9, 0))
    return build_world()
