"""Shared factories. Import from here: ``from tests.factories import UnitFactory``."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from warranty import models as w
from warranty.roles import ADMIN_ROLES


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Project
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"测试花园{n}期")
    code = factory.Sequence(lambda n: f"P{n:03d}")
    city = "杭州"


class DeliveryBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.DeliveryBatch

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"第{n}批")
    acceptance_date = dt.date(2024, 3, 1)
    delivery_date = dt.date(2024, 6, 30)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Building

    batch = factory.SubFactory(DeliveryBatchFactory)
    project = factory.LazyAttribute(lambda o: o.batch.project)
    name = factory.Sequence(lambda n: str(n + 1))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Unit

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: f"1-1-{100 + n}")


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Owner

    name = factory.Sequence(lambda n: f"业主{n}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Ownership

    unit = factory.SubFactory(UnitFactory)
    owner = factory.SubFactory(OwnerFactory)
    since = dt.date(2024, 6, 30)
    is_primary = True


def trade(code: str) -> w.Trade:
    return w.Trade.objects.get(code=code)


def category(code: str) -> w.DefectCategory:
    return w.DefectCategory.objects.get(code=code)


class ContractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Contractor

    name = factory.Sequence(lambda n: f"测试建设工程有限公司{n}")
    contact_name = "张工"
    contact_phone = "+8613900000000"


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = w.Engagement

    contractor = factory.SubFactory(ContractorFactory)
    project = factory.SubFactory(ProjectFactory)
    trade = factory.LazyFunction(lambda: trade("general"))
    warranty_months = 24
    retention_amount = Decimal("100000.00")


class UserFactory(factory.django.DjangoModelFactory):
    """``UserFactory(role="steward", projects=[p])``: a user in that role's group."""

    class Meta:
        model = w.User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"员{n}")
    last_name = "王"
    contractor = None
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def projects(self, create, extracted, **kwargs):
        if create and extracted:
            self.projects.set(extracted)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=str(extracted)))
            self.is_staff = str(extracted) in ADMIN_ROLES

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()  # keeps the password and is_staff set above
