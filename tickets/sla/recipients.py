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
    """Active staff by (project, role), read in at most three queries for a whole sweep batch."""

    def __init__(self, project_ids: Iterable[int], roles: Iterable[str], *, personal_ids: Iterable[int] = ()):
        roles = sorted({str(r) for r in roles if r not in PERSONAL})
        project_ids = sorted(set(project_ids))
        self._by: dict[tuple[int, str], list[int]] = defaultdict(list)
        self._email: dict[int, str] = {}
        if roles and project_ids:
            rows = (
                User.objects.filter(is_active=True, groups__name__in=roles, projects__in=project_ids)
                .values_list("pk", "email", "groups__name", "projects")
                .distinct()
            )
            for pk, email, role, project_id in sorted(rows):
                self._by[(project_id, role)].append(pk)
                self._email[pk] = email
        personal_ids = set(personal_ids) - set(self._email)
        if personal_ids:
            self._email.update(User.objects.filter(pk__in=personal_ids, is_active=True).values_list("pk", "email"))

    def contacts(self, project_id: int, roles: Iterable[str], *, steward_id=None, engineer_id=None):
        """[(user id, email)] behind ``roles`` for this project and ticket, each once, in a stable order."""
        seen: dict[int, str] = {}
        for role in roles:
            if role in PERSONAL:
                pk = steward_id if role == "steward" else engineer_id
                found = [pk] if pk in self._email else []
            else:
                found = self._by.get((project_id, str(role)), [])
            for pk in found:
                seen.setdefault(pk, self._email[pk])
        return list(seen.items())

    def recipients(self, project_id: int, roles: Iterable[str]) -> list[User]:
        """The users behind project roles as notification recipients: ``User`` instances that carry only
        the id and e-mail address the index read (no further query; ``tickets.notify`` needs no more)."""
        contacts = self.contacts(project_id, [r for r in roles if r not in PERSONAL])
        return [User(pk=pk, email=email) for pk, email in contacts]
