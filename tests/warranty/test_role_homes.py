"""Each demo login lands on its role's home page; the superuser gets into the admin."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from warranty.navigation import home_url_for
from warranty.roles import Role

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "baoxiu-demo"


@pytest.fixture
def demo():
    call_command("seed_demo", units=12, stdout=StringIO())


@pytest.mark.parametrize("role", Role.values)
def test_demo_login_lands_on_role_home(client, demo, django_user_model, role):
    """Posting the login form redirects via the home view to the role's page, which answers 200."""
    response = client.post(reverse("login"), {"username": role, "password": DEMO_PASSWORD}, follow=True)

    assert response.status_code == 200
    user = django_user_model.objects.get(username=role)
    assert response.wsgi_request.user == user
    assert response.redirect_chain[0][0] == reverse("home")
    assert response.redirect_chain[-1][0] == home_url_for(user)
    assert response.context["user"].primary_role == role


def test_superuser_logs_into_the_admin(client, demo):
    """The printed admin login opens /admin/."""
    login = reverse("admin:login") + "?next=" + reverse("admin:index")
    response = client.post(login, {"username": "admin", "password": DEMO_PASSWORD, "next": reverse("admin:index")})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("role", ["director", "project_dept", "finance"])
def test_admin_roles_open_the_unit_list(client, demo, role):
    """The admin roles are staff with view permission on units (migration 0003)."""
    client.post(reverse("login"), {"username": role, "password": DEMO_PASSWORD})

    response = client.get(reverse("admin:warranty_unit_changelist"))

    assert response.status_code == 200
    units = response.context["cl"].result_list
    assert units
    assert {unit.project.code for unit in units} == {"YQF"}  # the project they serve, not LW


@pytest.mark.parametrize("role", ["finance", "project_dept", "admin"])
def test_admin_users_reach_their_workbench_and_its_pages(client, demo, django_user_model, role):
    """The admin roles land in the admin; its "view site" link opens their workbench (not "/", which would
    send them back), and the workbench links the pages their permissions open."""
    client.force_login(django_user_model.objects.get(username=role))
    admin_page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("warranty:role_home")}"' in admin_page
    workbench = client.get(reverse("warranty:role_home")).content.decode()
    for name in ["settlements:repair_list", "settlements:reconciliation_list"]:
        assert f'href="{reverse(name)}"' in workbench, name
        assert client.get(reverse(name)).status_code == 200, name
