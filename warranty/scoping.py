"""The one place that limits what a user may see.

Every view, selector and admin passes its queryset through :func:`scope`.
Staff see the projects they serve; a contractor's user sees only its own
firm's jobs; a superuser sees everything.
"""

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
    if getattr(qs.model, "scope_path_is_many", False):
        inner = qs.model._default_manager.filter(**{lookup: ids}).values("pk")
        return qs.filter(pk__in=inner)
    return qs.filter(**{lookup: ids})


def can_see_project(user, project_id: int) -> bool:
    ids = project_ids(user)
    return ids is None or project_id in ids
