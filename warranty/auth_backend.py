"""Django's ``ModelBackend``, loading with the user what every page asks of it.

Each page checks the user's roles (``User.role_names``: the groups) and limits its queries to the
projects the user serves (``warranty.scoping.project_ids``); the ticket page and the admin check
permissions. ``ModelBackend`` reads those in four queries after the user's own (groups, projects,
the user's permissions, the groups' permissions). Here the user's query brings the group names,
project ids and permissions (the user's and its groups') as three arrays (PostgreSQL; elsewhere the
permissions come in one query when first asked). Nothing is kept beyond the request: a change of
role, project or permission counts from the next request, as before.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import RawSQL

from . import prepared


@cache
def _arrays_sql() -> dict[str, str]:
    """The user's group names, project ids and permissions (``app_label.codename``: the user's and its
    groups'), each an array subquery on the user's row (PostgreSQL).

    Raw SQL, written once per process: the ORM would compile the subqueries (joins, a union) on every
    request, which was most of what loading the user cost. The tables are named from their models."""
    User = get_user_model()
    qn = connection.ops.quote_name
    user_groups = qn(User.groups.through._meta.db_table)
    user_projects = qn(User.projects.through._meta.db_table)
    user_perms = qn(User.user_permissions.through._meta.db_table)
    group_perms = qn(Permission.group_set.through._meta.db_table)
    user = f"{qn(User._meta.db_table)}.{qn(User._meta.pk.column)}"
    return {
        "loaded_roles": (
            f"ARRAY(SELECT g.name FROM {qn(Group._meta.db_table)} g JOIN {user_groups} ug ON ug.group_id = g.id"
            f" WHERE ug.user_id = {user})"
        ),
        "loaded_projects": f"ARRAY(SELECT up.project_id FROM {user_projects} up WHERE up.user_id = {user})",
        "loaded_permissions": (
            "ARRAY(SELECT ct.app_label || '.' || p.codename"
            f" FROM {qn(Permission._meta.db_table)} p JOIN {qn(ContentType._meta.db_table)} ct"
            " ON ct.id = p.content_type_id"
            f" WHERE p.id IN (SELECT permission_id FROM {user_perms} WHERE user_id = {user}"
            f" UNION ALL SELECT gp.permission_id FROM {group_perms} gp"
            f" JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = {user}))"
        ),
    }


def _user(pk):
    users = get_user_model()._default_manager.filter(pk=pk)
    if connection.vendor == "postgresql":
        users = users.annotate(**{name: RawSQL(sql, ()) for name, sql in _arrays_sql().items()})
    return users


class Backend(ModelBackend):
    def get_user(self, user_id):
        # Every request's first query: its SQL is compiled once per process (warranty.prepared).
        found = prepared.rows("auth:user", _user, pk=user_id) if isinstance(user_id, int) else list(_user(user_id))
        if not found:
            return None
        user = found[0]
        if connection.vendor == "postgresql":  # what User.role_names and scoping.project_ids would otherwise query
            user._role_names = set(user.loaded_roles)
            user._project_ids = set(user.loaded_projects)
            if not user.is_superuser:  # a superuser's are every permission, read when asked
                user._perm_cache = set(user.loaded_permissions)
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        """The user's and the user's groups' permissions in one query (``ModelBackend``: two)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            columns = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                perms = Permission.objects.values_list(*columns).order_by()
            else:
                perms = (
                    Permission.objects.filter(user=user_obj)
                    .values_list(*columns)
                    .order_by()
                    .union(Permission.objects.filter(group__user=user_obj).values_list(*columns).order_by(), all=True)
                )
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in perms}
        return user_obj._perm_cache
