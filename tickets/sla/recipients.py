"""Who is told: role tokens resolved against a ticket and project membership, in bulk.

``steward`` and ``engineer`` mean the ticket's named person (nobody before triage);
every other token is a role (warranty.roles.Role) among the staff serving the project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from warranty.models import User

PERSONAL = {"steward", "engineer"}


class StaffIndex:
    """Active staff by (project, role), read in two queries for a whole sweep batch."""

    def __init__(self, project_ids: Iterable[int], roles: Iterable[str]):
        roles = sorted({r for r in roles if r not in PERSONAL})
        project_ids = sorted(set(project_ids))
        self._by: dict[tuple[int, str], list[User]] = defaultdict(list)
        if not roles or not project_ids:
            return
        rows = list(
            User.objects.filter(is_active=True, groups__name__in=roles, projects__in=project_ids)
            .values_list("pk", "groups__name", "projects")
            .distinct()
        )
        users = User.objects.in_bulk({pk for pk, _, _ in rows})
        for pk, role, project_id in sorted(rows):
            self._by[(project_id, role)].append(users[pk])

    def users(self, project_id: int, roles: Iterable[str], ticket=None) -> list[User]:
        """The users behind ``roles`` for this project (and ticket), each once, in a stable order."""
        seen: dict[int, User] = {}
        for role in roles:
            if role in PERSONAL:
                person = getattr(ticket, role, None) if ticket is not None else None
                found = [person] if person is not None and person.is_active else []
            else:
                found = self._by.get((project_id, role), [])
            for user in found:
                seen.setdefault(user.pk, user)
        return list(seen.values())
