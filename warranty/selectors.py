"""Reads shared by every app."""

from django.db.models import QuerySet

from .models import Owner, Project, Unit, User


def staff_with_role(project: Project | int, role: str) -> QuerySet[User]:
    """Active users of ``role`` who serve ``project``: the right few, never everyone."""
    project_id = getattr(project, "pk", project)
    return User.objects.filter(is_active=True, groups__name=str(role), projects=project_id).distinct()


def current_primary_owner(unit: Unit) -> Owner | None:
    ownership = (
        unit.ownerships.filter(until__isnull=True).select_related("owner").order_by("-is_primary", "since").first()
    )
    return ownership.owner if ownership else None
