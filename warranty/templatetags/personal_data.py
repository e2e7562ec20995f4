"""Owners' phone numbers shown on need: masked in lists, in full only to the roles that call owners."""

import re

from django import template
from django.utils.html import format_html

from warranty.personal_data import mask_phone
from warranty.roles import Role

register = template.Library()

# Roles that call owners as part of their work (DOMAIN §1); the ticket's own steward is added per ticket.
CALLING_ROLES = (Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.DIRECTOR)


@register.filter
def masked(phone) -> str:
    """138****1234, for lists."""
    return mask_phone(phone)


def may_see_full_phone(user, ticket=None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.has_role(*CALLING_ROLES):
        return True
    return ticket is not None and user.has_role(Role.STEWARD) and ticket.steward_id == user.pk


@register.simple_tag(takes_context=True)
def owner_phone(context, phone, ticket=None) -> str:
    """The full number to the front desk, customer service, the director and the ticket's steward; masked otherwise."""
    return phone_for(context.get("user") or getattr(context.get("request"), "user", None), phone, ticket)


def phone_for(user, phone, ticket=None) -> str:
    """:func:`owner_phone` for ``user`` (Jinja2 templates: ``owner_phone(request.user, phone, ticket)``)."""
    if not phone:
        return ""
    if may_see_full_phone(user, ticket):
        return phone.as_national if hasattr(phone, "as_national") else str(phone)
    return mask_phone(phone)


@register.filter
def tel_link(phone) -> str:
    """A public phone (the warranty center's) as a link a phone can call: tel:+86… or the digits given."""
    text = str(phone or "").strip()
    if not text:
        return ""
    return format_html('<a href="tel:{}">{}</a>', re.sub(r"[^0-9+]", "", text), text)
