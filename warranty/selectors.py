"""Reads shared by every app."""

from django.db.models import OuterRef, QuerySet, Subquery

from .models import Owner, Ownership, Project, Unit, User


def staff_with_role(project: Project | int, role: str) -> QuerySet[User]:
    """Active users of ``role`` who serve ``project``: the right few, never everyone."""
    project_id = getattr(project, "pk", project)
    return User.objects.filter(is_active=True, groups__name=str(role), projects=project_id).distinct()


def _current_ownerships(unit) -> QuerySet[Ownership]:
    """The unit's current ownerships, the primary contact first (then the longest-standing)."""
    return Ownership.objects.filter(unit=unit, until__isnull=True).order_by("-is_primary", "since")


def current_primary_owner(unit: Unit) -> Owner | None:
    ownership = _current_ownerships(unit).select_related("owner").first()
    return ownership.owner if ownership else None


def with_primary_owner_id(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """``units`` with ``primary_owner_id``: the id :func:`current_primary_owner` reads, in the same query."""
    return units.annotate(primary_owner_id=Subquery(_current_ownerships(OuterRef("pk")).values("owner_id")[:1]))


def primary_owner_id(unit: Unit) -> int | None:
    """The id of the unit's primary contact: read with the unit (:func:`with_primary_owner_id`), else looked up."""
    if hasattr(unit, "primary_owner_id"):
        return unit.primary_owner_id
    owner = current_primary_owner(unit)
    return owner.pk if owner else None
