"""warranty.auth_backend: the user comes with roles and projects, permissions in one query, nothing kept."""

import pytest
from django.contrib.auth.models import Group, Permission

from tests.factories import ProjectFactory
from warranty.auth_backend import Backend
from warranty.roles import Role
from warranty.scoping import project_ids

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_roles_and_projects_and_changes_count_from_the_next_load(
    make_user, django_assert_num_queries
):
    a, b = ProjectFactory(code="AAA"), ProjectFactory(code="BBB")
    desk = make_user("front_desk", projects=[a])

    with django_assert_num_queries(1):
        user = Backend().get_user(desk.pk)
        assert user.role_names == {Role.FRONT_DESK}
        assert project_ids(user) == {a.pk}
        assert user.has_role(Role.FRONT_DESK) and not user.has_role(Role.DIRECTOR)

    desk.projects.add(b)
    desk.groups.add(Group.objects.get(name=Role.DIRECTOR))
    desk.groups.remove(Group.objects.get(name=Role.FRONT_DESK))
    again = Backend().get_user(desk.pk)
    assert again.role_names == {Role.DIRECTOR}
    assert project_ids(again) == {a.pk, b.pk}
    assert project_ids(user) == {a.pk}  # what one request loaded stays that request's


def test_no_roles_no_projects_and_an_inactive_or_missing_user(make_user):
    nobody = make_user(None)
    user = Backend().get_user(nobody.pk)
    assert user.role_names == set() and project_ids(user) == set()

    nobody.is_active = False
    nobody.save()
    assert Backend().get_user(nobody.pk) is None
    assert Backend().get_user(nobody.pk + 10_000) is None


def test_permissions_of_the_user_and_of_its_groups_come_with_the_user(make_user, django_assert_num_queries):
    desk = make_user("front_desk")
    direct = Permission.objects.get(codename="view_calendarday")
    desk.user_permissions.add(direct)
    through_group = {
        f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=Role.FRONT_DESK).permissions.all()
    }
    with django_assert_num_queries(1):  # the user's own query
        user = Backend().get_user(desk.pk)
        perms = user.get_all_permissions()
        assert user.has_perm("warranty.view_calendarday")
        assert all(user.has_perm(p) for p in through_group)
    assert perms == through_group | {"warranty.view_calendarday"}
    assert not user.has_perm("settlements.approve_overdraft")  # finance's, not the front desk's
    # Without the arrays (another database), one query when first asked, the same permissions.
    plain = type(desk).objects.get(pk=desk.pk)
    with django_assert_num_queries(1):
        assert Backend().get_all_permissions(plain) == perms
        assert Backend().get_all_permissions(plain) == perms
    # A change counts from the next load.
    desk.user_permissions.remove(direct)
    assert "warranty.view_calendarday" in user.get_all_permissions()
    assert "warranty.view_calendarday" not in Backend().get_user(desk.pk).get_all_permissions()


def test_a_superuser_has_every_permission_and_an_inactive_user_none(make_user):
    root = make_user(None, is_superuser=True)
    assert len(Backend().get_all_permissions(root)) == Permission.objects.count()
    assert len(Backend().get_user(root.pk).get_all_permissions()) == Permission.objects.count()
    root.is_active = False
    assert Backend().get_all_permissions(root) == set()


def test_the_users_query_is_compiled_once_per_process(make_user, monkeypatch):
    from tests.compiles import compiles
    from warranty import prepared

    prepared.forget()
    desk, director = make_user("front_desk"), make_user("director")
    assert Backend().get_user(desk.pk).pk == desk.pk
    compiled = compiles(monkeypatch)
    user = Backend().get_user(director.pk)
    assert compiled == []  # the kept SQL, run with the other id
    assert (user.pk, user.role_names) == (director.pk, {Role.DIRECTOR})
    prepared.forget()
