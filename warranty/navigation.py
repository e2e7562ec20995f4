"""Navigation by role: each role sees the links to its own work, in order of use.

Other apps register their pages with :func:`register`, so this module never
imports them.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .reversing import reverse_cached
from .roles import ADMIN_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 100


_ITEMS: list[NavItem] = []


def register(label, url_name: str, roles, order: int = 100) -> None:
    """Add a page to the menu of the given roles (idempotent)."""
    item = NavItem(label, url_name, frozenset(str(r) for r in roles), order)
    if all(existing.url_name != url_name for existing in _ITEMS):
        _ITEMS.append(item)


def menu_for(user) -> list[dict]:
    roles = set(user.role_names)
    items = []
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if user.is_superuser or roles & item.roles:
            try:
                items.append({"label": item.label, "url": reverse_cached(item.url_name), "name": item.url_name})
            except NoReverseMatch:
                continue
    if user.is_superuser or roles & {str(r) for r in ADMIN_ROLES}:
        items.append({"label": _("Admin"), "url": reverse_cached("admin:index"), "name": "admin:index"})
    return items


# Role home pages: where each role lands after login. Later apps may override.
ROLE_HOME: dict[str, str] = dict.fromkeys(Role.values, "warranty:role_home")


def home_url_for(user) -> str:
    role = user.primary_role
    if role is None:
        return reverse("admin:index") if user.is_superuser else reverse("warranty:role_home")
    return reverse(ROLE_HOME.get(role, "warranty:role_home"))
