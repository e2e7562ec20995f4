"""The one scoping helper: staff see the projects they serve, nothing else."""

import pytest

from tests.factories import (
    EngagementFactory,
    OwnershipFactory,
    ProjectFactory,
    UnitFactory,
)
from warranty.models import Contractor, Owner, Unit
from warranty.scoping import scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_projects():
    a, b = ProjectFactory(code="AAA"), ProjectFactory(code="BBB")
    units = {p.code: UnitFactory(building__batch__project=p, building__project=p) for p in (a, b)}
    owners = {code: OwnershipFactory(unit=unit).owner for code, unit in units.items()}
    contractors = {p.code: EngagementFactory(project=p).contractor for p in (a, b)}
    return a, b, units, owners, contractors


def test_steward_sees_none_of_another_projects_units_owners_or_contractors(make_user, two_projects):
    """A steward serving project A sees A's units, owners and contractors, and none of B's."""
    a, _b, units, owners, contractors = two_projects
    steward = make_user("steward", projects=[a])

    assert list(scope(Unit.objects.all(), steward)) == [units["AAA"]]
    assert list(scope(Owner.objects.all(), steward)) == [owners["AAA"]]
    assert list(scope(Contractor.objects.all(), steward)) == [contractors["AAA"]]


def test_owner_of_units_in_both_projects_is_listed_once(make_user, two_projects):
    """An owner with units in A and B shows once for A's steward (the many-path does not duplicate)."""
    a, b, units, owners, _contractors = two_projects
    second_unit_in_a = UnitFactory(building=units["AAA"].building)
    OwnershipFactory(unit=second_unit_in_a, owner=owners["AAA"])
    steward = make_user("steward", projects=[a])

    assert list(scope(Owner.objects.all(), steward)) == [owners["AAA"]]


def test_user_without_projects_sees_nothing_and_superuser_everything(make_user, two_projects):
    """No project served → empty; a superuser is not limited."""
    nobody = make_user("steward")
    boss = make_user(is_superuser=True)

    assert not scope(Unit.objects.all(), nobody).exists()
    assert scope(Unit.objects.all(), boss).count() == 2


def test_contractor_user_sees_only_its_firm(make_user, two_projects):
    """A contractor's user sees its own firm, and no units or owners at all."""
    a, _b, _units, _owners, contractors = two_projects
    user = make_user("contractor", projects=[a], contractor=contractors["BBB"])

    assert list(scope(Contractor.objects.all(), user)) == [contractors["BBB"]]
    assert not scope(Unit.objects.all(), user).exists()
    assert not scope(Owner.objects.all(), user).exists()
