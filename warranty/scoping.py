"""The one place that limits what a user may see.

Every view, selector and admin passes its queryset through :func:`scope`.
Staff see the projects they serve; a contractor's user sees only its own
firm's jobs; a superuser sees everything.
"""

import functools

from django.db.models import Model, QuerySet

from .roles import Role


def project_ids(user) -> set[int] | None:
    """Projects the user serves; ``None`` means every project (superuser)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    if not hasattr(user, "_project_ids"):
        user._project_ids = set(user.projects.values_list("pk", flat=True))
    return user._project_ids


def is_contractor(user) -> bool:
    return bool(user.is_authenticated and not user.is_superuser and user.has_role(Role.CONTRACTOR))


def scope(qs: QuerySet, user) -> QuerySet:
    """Limit ``qs`` to what ``user`` may see.

    The model names its paths: ``scope_project_path`` (to a Project) and,
    for records a contractor may see, ``scope_contractor_path`` (to a
    Contractor). Models without a contractor path are hidden from
    contractors entirely.
    """
    model: type[Model] = qs.model
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    if is_contractor(user):
        path = getattr(model, "scope_contractor_path", None)
        if path is None or not user.contractor_id:
            return qs.none()
        return _filter(qs, path, [user.contractor_id])
    path = model.scope_project_path
    return _filter(qs, path, project_ids(user))


def _filter(qs: QuerySet, path: str, ids) -> QuerySet:
    if path in ("", "pk"):
        return qs.filter(pk__in=ids)
    lookup = f"{path}__in"
    if _is_many(qs.model, path):
        # Through a to-many relation a plain join would repeat rows: filter by the ids instead.
        inner = qs.model._default_manager.filter(**{lookup: ids}).values("pk")
        return qs.filter(pk__in=inner)
    # A plain column filter (no subquery), so PostgreSQL starts from the project's rows.
    return qs.filter(**{lookup: ids})


@functools.cache
def _is_many(model: type[Model], path: str) -> bool:
    """Whether ``path`` crosses a one-to-many or many-to-many relation."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.one_to_many or field.many_to_many:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


def can_see_project(user, project_id: int) -> bool:
    ids = project_ids(user)
    return ids is None or project_id in ids
