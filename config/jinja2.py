"""The Jinja2 environment of the few templates rendered many times per page (the front desk's queue rows).

Django's template language costs about 30,000 instructions per node; a queue page of 25 rows with two
dozen nodes each spent most of its time there (bench/RESULTS.md). These templates live under
``templates/jinja2/`` and are rendered by the ``jinja2`` engine; everything else stays in the Django
template language. They say what they show with the same words: ``_()`` is Django's ``gettext``
(``makemessages`` finds ``{{ _("…") }}`` in them), ``|format(n=…)`` fills a message's placeholders.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment

from warranty.personal_data import mask_phone

# What reverse() leaves unquoted in an argument (django.urls.resolvers).
_SAFE = "!$&'()*+,;=~:@"
_MARKER = "Zq0MARKER0qZ"


@lru_cache(maxsize=256)
def _split(urlconf: str | None, root_urlconf: str, prefix: str, name: str) -> tuple[str, str] | None:
    """The URL of ``name`` around its one ``<str:…>`` argument, or None if it has no such shape."""
    try:
        url = reverse(name, urlconf=urlconf, args=[_MARKER])
    except NoReverseMatch:  # not a route of one argument: every call reverses
        return None
    head, marker, tail = url.partition(_MARKER)
    return (head, tail) if marker and _MARKER not in tail else None


def url(name: str, *args) -> str:
    """``reverse(name, args=args)``; for one argument without a slash, reversed once and filled in.

    Meant for the routes whose one argument is ``<str:number>`` (a report's or a ticket's number),
    reversed for every row of a page: reverse() costs a row more than the rest of its cells.
    """
    return url_for(name)(*args)


def url_for(name: str):
    """``url`` of ``name`` as a function of its arguments, with what a request fixes looked up once:
    ``{% set detail = url_for('tickets:detail') %}`` before a loop, ``{{ detail(row.number) }}`` in it."""
    parts = _split(get_urlconf(), settings.ROOT_URLCONF, get_script_prefix(), name)

    def build(*args) -> str:
        if parts is not None and len(args) == 1 and isinstance(arg := args[0], str) and arg and "/" not in arg:
            return f"{parts[0]}{quote(arg, safe=_SAFE)}{parts[1]}"
        return reverse(name, args=args)

    return build


def local(value, fmt: str = "%m-%d %H:%M", tz=None) -> str:
    """An aware datetime in ``tz`` (the current time zone), ``strftime``-formatted; "" for none."""
    if value is None:
        return ""
    if timezone.is_naive(value):
        return value.strftime(fmt)
    return value.astimezone(tz or timezone.get_current_timezone()).strftime(fmt)


def choice_labels(model: str, field: str) -> dict:
    """``get_FOO_display`` of a whole page at once: {value: label in the active language} of the field
    ``field`` of ``model`` ("app_label.Model"), looked up once before a loop instead of per row."""
    return _Labels((value, str(label)) for value, label in apps.get_model(model)._meta.get_field(field).flatchoices)


class _Labels(dict):
    def __missing__(self, value):
        return value  # a value outside the choices shows as itself, as get_FOO_display() does


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(
        _=gettext,
        ngettext=ngettext,
        pgettext=pgettext,
        url=url,
        url_for=url_for,
        static=static,
        choice_labels=choice_labels,
        current_timezone=timezone.get_current_timezone,
    )
    env.filters.update(masked=mask_phone, local=local)
    return env
