"""warranty.prepared: a queryset's SQL compiled once per shape, then run with new values, same rows."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests.compiles import compiles
from tests.factories import BuildingFactory, ProjectFactory, UnitFactory, UserFactory, category
from tickets.models import Ticket
from warranty import prepared
from warranty.models import DefectCategory, Unit
from warranty.scoping import scope

from .conftest import new_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    prepared.forget()
    yield
    prepared.forget()


def units(user, pk):
    return scope(Unit.objects.select_related("project", "building").annotate(code=F("project__code")), user).filter(
        pk=pk
    )


def as_loaded(unit):
    return unit.pk, unit.number, unit.code, unit.project.code, unit.building.name


def test_the_second_call_binds_new_values_to_the_kept_sql(world, monkeypatch):
    user = world.users["front_desk"]
    other = UnitFactory(building=BuildingFactory(project=world.project, batch=world.batch, name="4"), number="4-1-101")
    first = prepared.rows("test:unit", units, user=user, pk=world.unit.pk)
    assert [as_loaded(u) for u in first] == [as_loaded(u) for u in units(user, world.unit.pk)]
    calls = compiles(monkeypatch)
    with CaptureQueriesContext(connection) as ctx:
        second = prepared.rows("test:unit", units, user=user, pk=other.pk)
    assert calls == [] and len(ctx.captured_queries) == 1  # run, not compiled again
    assert [as_loaded(u) for u in second] == [(other.pk, "4-1-101", "YQF", "YQF", "4")]
    assert "project" in second[0]._state.fields_cache  # joined, as select_related leaves it


def test_scope_is_bound_per_user_not_kept_from_the_first(world):
    outsider, desk = world.users["outsider"], world.users["front_desk"]
    assert prepared.rows("test:unit", units, user=desk, pk=world.unit.pk)  # compiled for a one-project user
    assert prepared.rows("test:unit", units, user=outsider, pk=world.unit.pk) == []  # same shape, other project
    # Two projects: another shape; a superuser: no project filter at all.
    third = ProjectFactory(code="HX")
    both = UserFactory(role="front_desk", projects=[third, world.project], username="both")
    assert [u.pk for u in prepared.rows("test:unit", units, user=both, pk=world.unit.pk)] == [world.unit.pk]
    admin = UserFactory(username="root", is_superuser=True)
    assert [u.pk for u in prepared.rows("test:unit", units, user=admin, pk=world.unit.pk)] == [world.unit.pk]
    # A contractor sees no units (the model has no contractor path): not kept, the ORM says so every time.
    assert prepared.rows("test:unit", units, user=world.users["contractor"], pk=world.unit.pk) == []


def test_names_are_chosen_in_the_active_language(world):
    cat = category("waterproofing")
    DefectCategory.objects.filter(pk=cat.pk).update(name_zh="防水", name_en="Waterproofing")
    new_report(world)

    def tickets(user, unit):
        return scope(Ticket.objects.annotate(category_name=DefectCategory.name_at("category")), user).filter(
            unit_id=unit
        )

    user = world.users["front_desk"]
    for language, name in (("zh-hans", "防水"), ("en", "Waterproofing"), ("zh-hans", "防水")):
        with translation.override(language):
            assert [t.category_name for t in prepared.rows("test:names", tickets, user=user, unit=world.unit.pk)] == [
                name
            ]


def test_a_time_among_the_parameters_is_never_kept(world):
    new_report(world)

    def since_now(unit):
        return Ticket.objects.filter(unit_id=unit, created_at__lte=timezone.now())

    assert len(prepared.rows("test:now", since_now, unit=world.unit.pk)) == 1
    assert [v for k, v in prepared._kept.items() if k[0] == "test:now"] == [None]
    new_report(world)  # a later ticket: the time is taken again
    assert len(prepared.rows("test:now", since_now, unit=world.unit.pk)) == 2


def test_lists_of_values_and_a_user_without_projects(world):
    def many(pks):
        return Unit.objects.filter(pk__in=pks).order_by("pk")

    other = UnitFactory(building=BuildingFactory(project=world.project, batch=world.batch, name="5"), number="5-1-101")
    assert [u.pk for u in prepared.rows("test:many", many, pks=[world.unit.pk, other.pk])] == [world.unit.pk, other.pk]
    assert [u.pk for u in prepared.rows("test:many", many, pks=[other.pk, -1])] == [other.pk]
    assert prepared.rows("test:many", many, pks=[]) == []  # an empty list: nothing to compile, nothing found
    nobody = UserFactory(role="front_desk", projects=[], username="nobody")
    assert prepared.rows("test:unit", units, user=nobody, pk=world.unit.pk) == []


def test_a_text_value_is_bound_like_a_number(world, monkeypatch):
    first, second = new_report(world).tickets.get(), new_report(world).tickets.get()

    def by_number(user, number):
        return scope(Ticket.objects.select_related("unit"), user).filter(number=number)

    user = world.users["front_desk"]
    assert [t.pk for t in prepared.rows("test:number", by_number, user=user, number=first.number)] == [first.pk]
    calls = compiles(monkeypatch)
    assert [t.pk for t in prepared.rows("test:number", by_number, user=user, number=second.number)] == [second.pk]
    assert prepared.rows("test:number", by_number, user=user, number="no-such-number") == []
    assert prepared.rows("test:number", by_number, user=world.users["outsider"], number=first.number) == []
    assert Ticket not in calls  # (the outsider's roles and projects are read for the first time: other queries)

    def containing(number):  # a value the lookup changes ("%…%"): not kept, still right
        return Ticket.objects.filter(number__contains=number)

    assert [t.pk for t in prepared.rows("test:contains", containing, number=second.number)] == [second.pk]
    assert [v for k, v in prepared._kept.items() if k[0] == "test:contains"] == [None]
