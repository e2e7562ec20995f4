"""manage.py seed_demo: realistic, idempotent, one login per role."""

import re
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.db.models import F

from warranty import models as w
from warranty.roles import ADMIN_ROLES, Role

pytestmark = pytest.mark.django_db

REGISTRY = [
    w.Project,
    w.Season,
    w.DeliveryBatch,
    w.Building,
    w.Unit,
    w.Owner,
    w.Ownership,
    w.Contractor,
    w.Engagement,
    w.User,
]


def seed(units=60) -> str:
    out = StringIO()
    call_command("seed_demo", units=units, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REGISTRY}


def test_seed_demo_twice_creates_nothing_new():
    """A second run finds every row by its natural key and adds none."""
    seed()
    first = counts()
    output = seed()

    assert counts() == first
    assert "nothing created" in output
    assert first["Unit"] == first["Owner"] == first["Ownership"] == 60
    assert first["Project"] == 2
    assert first["DeliveryBatch"] == 3


def test_seed_demo_prints_one_login_per_role():
    """The output lists username, password and role for the superuser and each of the nine roles."""
    output = seed()

    for role in Role:
        assert re.search(rf"^\s+{role.value}\s+baoxiu-demo\s+{role.value} ", output, re.MULTILINE), role
    assert re.search(r"^\s+admin\s+baoxiu-demo\s+superuser", output, re.MULTILINE)


def test_demo_users_have_their_role_project_and_admin_access():
    """Each demo user is in its role's group, serves the first project; admin roles are staff."""
    seed()
    first_project = w.Project.objects.get(code="YQF")

    for role in Role:
        user = w.User.objects.get(username=role.value)
        assert user.role_names == {role.value}
        assert list(user.projects.all()) == [first_project]
        assert user.is_staff == (role in ADMIN_ROLES)
        assert user.check_password("baoxiu-demo")
    contractor = w.User.objects.get(username="contractor").contractor
    assert contractor.trades.filter(code="general").exists()
    assert w.User.objects.get(username="admin").is_superuser


def test_demo_registry_is_realistic():
    """Unit numbers like 3-2-1201, valid mainland mobiles, a commissionable firm, a contractor per trade."""
    seed(units=90)

    numbers = w.Unit.objects.values_list("number", flat=True)
    assert all(re.fullmatch(r"\d+-\d+-\d{3,4}", n) for n in numbers)
    for owner in w.Owner.objects.all():
        owner.full_clean()
        assert phonenumbers.is_valid_number(owner.phone)
        assert re.fullmatch(r"\+861[3-9]\d{9}", owner.phone.as_e164)
    assert w.Contractor.objects.filter(is_commissionable=True).exists()
    for trade in w.Trade.objects.all():
        assert w.Engagement.objects.filter(trade=trade, project__code="YQF").exists(), trade.code
    assert w.Engagement.objects.get(project__code="YQF", trade__code="waterproofing").warranty_months == 60
    for batch in w.DeliveryBatch.objects.all():
        batch.full_clean()
        assert batch.acceptance_date < batch.delivery_date
    assert set(w.Season.objects.values_list("kind", flat=True)) == {"heating", "cooling"}


def test_units_scale_with_the_option_and_only_add():
    """A larger --units adds units to the same buildings; every unit keeps its project and one primary owner."""
    seed(units=30)
    seed(units=75)

    assert w.Unit.objects.count() == 75
    assert not w.Unit.objects.exclude(project=F("building__project")).exists()
    assert w.Ownership.objects.filter(is_primary=True, until__isnull=True).count() == 75
