"""The warranty admin: every page renders, bad input gives field errors, everything is scoped."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    BuildingFactory,
    DeliveryBatchFactory,
    EngagementFactory,
    OwnerFactory,
    OwnershipFactory,
    ProjectFactory,
    UnitFactory,
)
from warranty import calendar
from warranty import models as w

pytestmark = pytest.mark.django_db

WARRANTY_MODELS = [
    w.Project,
    w.DeliveryBatch,
    w.Building,
    w.Unit,
    w.Owner,
    w.Ownership,
    w.Trade,
    w.Contractor,
    w.Engagement,
    w.DefectCategory,
    w.WarrantyPeriod,
    w.CalendarDay,
    w.User,
]
NO_FORMSETS = {
    # Management forms of the inlines on the add pages posted below.
    "ownerships-TOTAL_FORMS": "0",
    "ownerships-INITIAL_FORMS": "0",
}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_errors(response):
    return response.context["adminform"].form.errors


@pytest.fixture
def registry(make_user):
    """One row of every model (the reference data comes from migration 0002)."""
    ownership = OwnershipFactory()
    make_user("steward", projects=[ownership.unit.project])
    w.Season.objects.create(
        project=ownership.unit.project, kind="heating", start_month=11, start_day=15, end_month=3, end_day=15
    )
    engagement = EngagementFactory(project=ownership.unit.project)
    engagement.contractor.trades.add(engagement.trade)
    return ownership


def test_every_warranty_model_is_registered():
    """Every model of the app has an admin; seasons are edited inline on their project."""
    models = {m for m in apps.get_app_config("warranty").get_models() if not m.__name__.startswith("Historical")}
    assert models - {w.Season} == set(WARRANTY_MODELS)
    assert set(WARRANTY_MODELS) <= set(admin.site._registry)
    assert any(inline.model is w.Season for inline in admin.site.get_model_admin(w.Project).inlines)


@pytest.mark.parametrize("model", WARRANTY_MODELS, ids=lambda m: m.__name__)
def test_admin_pages_render_for_the_superuser(admin_client, registry, model):
    """Changelist, add, change and history pages answer 200 with data in the table."""
    obj = model.objects.order_by("pk").first()

    for page in (
        url(model, "changelist"),
        url(model, "add"),
        url(model, "change", obj.pk),
        url(model, "history", obj.pk),
    ):
        assert admin_client.get(page).status_code == 200, page


def test_admin_search_finds_units_by_number_owner_name_and_phone(admin_client, registry):
    """Unit search covers the unit number and the owner's name and phone; owner search the phone."""
    unit, owner = registry.unit, registry.owner
    digits = str(owner.phone.national_number)

    for term in (unit.number, owner.name, digits[-8:]):
        response = admin_client.get(url(w.Unit, "changelist"), {"q": term})
        assert list(response.context["cl"].result_list) == [unit], term
    response = admin_client.get(url(w.Owner, "changelist"), {"q": digits})
    assert list(response.context["cl"].result_list) == [owner]


def test_a_historical_version_can_be_viewed(admin_client, registry):
    """The history of a unit lists its versions and each opens read-only."""
    unit = registry.unit
    version = unit.history.first()

    response = admin_client.get(reverse("admin:warranty_unit_simple_history", args=[unit.pk, version.history_id]))

    assert response.status_code == 200
    assert response.context["revert_disabled"] is True


def test_history_cannot_be_reverted(admin_client, registry):
    """Reverting a historical version is refused: it would bypass the services."""
    unit = registry.unit
    version = unit.history.first()

    response = admin_client.post(
        reverse("admin:warranty_unit_simple_history", args=[unit.pk, version.history_id]), {"number": "9-9-999"}
    )

    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.number != "9-9-999"


# --- Bad input gives field errors, not 500s ----------------------------------------


@pytest.mark.parametrize(
    ("phone", "message"),
    [("12345", "phone number"), ("021-6234 5678", "mainland China mobile")],
    ids=["not-a-number", "landline"],
)
def test_invalid_owner_phone_is_a_field_error(admin_client, phone, message):
    """A phone that is not a mainland mobile number stays on the form with an error on the phone field."""
    response = admin_client.post(url(w.Owner, "add"), {"name": "张三", "phone": phone, **NO_FORMSETS})

    assert response.status_code == 200
    assert message in " ".join(form_errors(response)["phone"])
    assert not w.Owner.objects.exists()


def test_valid_owner_phone_is_saved(admin_client):
    """A mainland mobile number, typed the way people type it, is accepted."""
    response = admin_client.post(url(w.Owner, "add"), {"name": "张三", "phone": "138 1234 5678", **NO_FORMSETS})

    assert response.status_code == 302
    assert w.Owner.objects.get().phone.as_e164 == "+8613812345678"


def test_duplicate_unit_number_in_a_building_is_a_field_error(admin_client):
    """A second 1-1-101 in the same building is refused on the number field; nothing is saved."""
    unit = UnitFactory(number="1-1-101")

    response = admin_client.post(url(w.Unit, "add"), {"building": unit.building.pk, "number": "1-1-101", **NO_FORMSETS})

    assert response.status_code == 200
    assert "already has a unit with this number" in " ".join(form_errors(response)["number"])
    assert w.Unit.objects.count() == 1


def test_same_unit_number_in_another_building_is_fine(admin_client):
    """The number is unique per building only; the project is copied from the building."""
    unit = UnitFactory(number="1-1-101")
    other = BuildingFactory(batch=unit.building.batch, project=unit.project)

    response = admin_client.post(url(w.Unit, "add"), {"building": other.pk, "number": "1-1-101", **NO_FORMSETS})

    assert response.status_code == 302
    assert w.Unit.objects.get(building=other).project == unit.project


def test_delivery_before_acceptance_is_a_field_error(admin_client):
    """A batch delivered before its completion acceptance stays on the form with a delivery-date error."""
    project = ProjectFactory()

    response = admin_client.post(
        url(w.DeliveryBatch, "add"),
        {"project": project.pk, "name": "一期", "acceptance_date": "2024-06-30", "delivery_date": "2024-03-01"},
    )

    assert response.status_code == 200
    errors = form_errors(response)
    assert list(errors) == ["delivery_date"]
    assert "cannot be before the completion-acceptance date" in errors["delivery_date"][0]
    assert not w.DeliveryBatch.objects.exists()


# --- Calendar banner and cache ----------------------------------------------------


def test_banner_warns_when_a_years_holidays_are_missing(admin_client):
    """With no calendar rows for this year, every admin page says so."""
    from django.utils import timezone

    year = timezone.localdate().year
    w.CalendarDay.objects.filter(date__year=year).delete()

    for page in (reverse("admin:index"), url(w.Unit, "changelist")):
        body = admin_client.get(page).content.decode()
        assert 'id="calendar-warning"' in body
        assert str(year) in body.split('id="calendar-warning"')[1].split("</ul>")[0]


def test_no_banner_when_the_calendar_is_complete(admin_client, monkeypatch, time_machine):
    """A date inside the seeded years shows no warning."""
    monkeypatch.setattr(calendar, "_guessed_years", set())
    time_machine.move_to(dt.datetime(2025, 6, 16, 10, tzinfo=dt.UTC))

    assert 'id="calendar-warning"' not in admin_client.get(reverse("admin:index")).content.decode()


def test_saving_a_calendar_day_clears_the_calendar_cache(admin_client, django_capture_on_commit_callbacks):
    """Turning National Day into a workday in the admin is seen by the calendar after commit."""
    day = dt.date(2026, 10, 1)
    assert calendar.is_workday(day) is False  # cached now

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url(w.CalendarDay, "change", day.isoformat()),
            {"date": day.isoformat(), "is_workday": "on", "name": "国庆节"},
        )

    assert response.status_code == 302
    assert calendar.is_workday(day) is True
    calendar.clear_cache()


# --- Scoping in the admin ---------------------------------------------------------


@pytest.fixture
def two_projects(make_user):
    a, b = ProjectFactory(code="AAA"), ProjectFactory(code="BBB")
    units = {p.code: UnitFactory(building__batch__project=p, building__project=p) for p in (a, b)}
    for unit in units.values():
        OwnershipFactory(unit=unit)
    user = make_user("project_dept", projects=[a])
    return units, user


def test_admin_lists_only_the_users_projects(client, two_projects):
    """project_dept serving A and C sees their units, owners and project filter choices, none of B's."""
    units, user = two_projects
    client.force_login(user)

    third = ProjectFactory(code="CCC")
    user.projects.add(third)

    response = client.get(url(w.Unit, "changelist"))
    assert list(response.context["cl"].result_list) == [units["AAA"]]
    project_filter = response.context["cl"].filter_specs[0]
    assert [label for _pk, label in project_filter.lookup_choices] == [str(units["AAA"].project), str(third)]
    owners = client.get(url(w.Owner, "changelist")).context["cl"].result_list
    assert [o.pk for o in owners] == [units["AAA"].ownerships.get().owner_id]


def test_admin_hides_other_projects_objects_and_history(client, two_projects):
    """Another project's unit cannot be opened, nor its history."""
    units, user = two_projects
    client.force_login(user)
    other = units["BBB"]

    assert client.get(url(w.Unit, "change", other.pk)).status_code == 302  # "does not exist", back to index
    assert client.get(url(w.Unit, "history", other.pk)).status_code == 404
    version = other.history.first().history_id
    assert client.get(reverse("admin:warranty_unit_simple_history", args=[other.pk, version])).status_code == 404


def test_autocomplete_and_choices_are_scoped(client, two_projects):
    """Autocomplete offers A's buildings only, and posting B's building is a field error."""
    units, user = two_projects
    client.force_login(user)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "warranty", "model_name": "unit", "field_name": "building", "term": ""},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(units["AAA"].building.pk)]

    response = client.post(
        url(w.Unit, "add"), {"building": units["BBB"].building.pk, "number": "9-1-101", **NO_FORMSETS}
    )
    assert response.status_code == 200
    assert "building" in form_errors(response)
    assert not w.Unit.objects.filter(number="9-1-101").exists()


def test_project_dept_can_add_a_unit_in_its_project(client, two_projects):
    """The role's permissions (migration 0003) let it add a unit to a building it serves."""
    units, user = two_projects
    client.force_login(user)

    response = client.post(
        url(w.Unit, "add"), {"building": units["AAA"].building.pk, "number": "9-1-101", **NO_FORMSETS}
    )

    assert response.status_code == 302
    assert w.Unit.objects.get(number="9-1-101").project == units["AAA"].project


def test_finance_reads_but_cannot_change(client, make_user):
    """Finance has view permission only."""
    batch = DeliveryBatchFactory()
    client.force_login(make_user("finance", projects=[batch.project]))

    assert client.get(url(w.DeliveryBatch, "change", batch.pk)).status_code == 200
    assert client.get(url(w.DeliveryBatch, "add")).status_code == 403


def test_project_dept_adds_an_owner_with_its_unit(client, two_projects):
    """A new owner is entered on the owner page together with a unit the user serves, and stays visible."""
    units, user = two_projects
    client.force_login(user)
    unit = units["AAA"]
    unit.ownerships.update(until="2025-01-31")  # sold: the new owner becomes the primary contact

    response = client.post(
        url(w.Owner, "add"),
        {
            "name": "钱多多",
            "phone": "13912345678",
            "ownerships-TOTAL_FORMS": "1",
            "ownerships-INITIAL_FORMS": "0",
            "ownerships-0-unit": unit.pk,
            "ownerships-0-since": "2025-02-01",
            "ownerships-0-is_primary": "on",
        },
    )

    assert response.status_code == 302
    owner = w.Owner.objects.get(name="钱多多")
    assert client.get(url(w.Owner, "change", owner.pk)).status_code == 200
    assert unit.ownerships.get(until__isnull=True).owner == owner


def test_two_current_primary_contacts_for_one_unit_are_refused(admin_client, registry):
    """Two new primary rows for one unit in one form are a formset error, not an IntegrityError."""
    unit = registry.unit
    unit.ownerships.all().delete()
    first, second = OwnerFactory(), OwnerFactory()
    rows = {}
    for i, owner in enumerate((first, second)):
        rows |= {
            f"ownerships-{i}-owner": owner.pk,
            f"ownerships-{i}-since": "2025-01-01",
            f"ownerships-{i}-is_primary": "on",
        }

    response = admin_client.post(
        url(w.Unit, "change", unit.pk),
        {
            "building": unit.building.pk,
            "number": unit.number,
            "ownerships-TOTAL_FORMS": "2",
            "ownerships-INITIAL_FORMS": "0",
            **rows,
        },
    )

    assert response.status_code == 200
    assert "only one current primary contact" in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert not unit.ownerships.exists()


def test_the_admin_index_is_chinese_third_party_apps_included(admin_client):
    """Django 5.2's new table headers and django-axes have no Chinese of their own: the project's catalog gives it."""
    html = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ["登录锁定", "登录尝试", "模型名称", "修改或查看列表链接"]:
        assert text in html, text
    for english in ["Axes", "Access attempts", "Model name"]:
        assert f">{english}<" not in html, english
