"""Django's ``ModelBackend``, loading with the user what every page asks of it.

Each page checks the user's roles (``User.role_names``: the groups) and limits its queries to the
projects the user serves (``warranty.scoping.project_ids``); the ticket page and the admin check
permissions. ``ModelBackend`` reads those in four queries after the user's own (groups, projects,
the user's permissions, the groups' permissions). Here the user's query brings the group names and
project ids as two arrays (PostgreSQL), and the permissions come in one query. Nothing is kept
beyond the request: a change of role, project or permission counts from the next request, as before.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef


class Backend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        users = User._default_manager.all()
        postgres = connection.vendor == "postgresql"
        if postgres:
            users = users.annotate(
                loaded_roles=ArraySubquery(
                    User.groups.through.objects.filter(user_id=OuterRef("pk")).values("group__name")
                ),
                loaded_projects=ArraySubquery(
                    User.projects.through.objects.filter(user_id=OuterRef("pk")).values("project_id")
                ),
            )
        try:
            user = users.get(pk=user_id)
        except User.DoesNotExist:
            return None
        if postgres:  # what User.role_names and scoping.project_ids would otherwise query
            user._role_names = set(user.loaded_roles)
            user._project_ids = set(user.loaded_projects)
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
