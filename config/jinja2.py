"""The Jinja2 environment of the templates rendered many times per page: the front desk's queue rows.

In the Django template language a first-contact row cost about 2 M instructions (each node resolves
its variables through the context stack; ``{% url %}``, ``{% include %}`` and ``{% csrf_token %}`` cost
more), so a page's 25 rows were 40-60 % of the page (bench/RESULTS.md). These templates live under
``templates/jinja2/`` and are rendered by the ``jinja2`` engine; every other template stays in the
Django template language. They use the same words: ``_()`` is Django's ``gettext`` (``makemessages``
finds ``_("…")`` in them), ``|format(n=…)`` fills a message's placeholders. What a loop needs once
(``url_for``, ``choice_labels``, ``current_timezone()``) is looked up before it.
"""

from __future__ import annotations

from django.apps import apps
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment

from warranty.personal_data import mask_phone
from warranty.reversing import reverse_cached, url_for


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
        url=reverse_cached,  # {{ url('tickets:detail', row.number) }}
        url_for=url_for,
        static=static,
        choice_labels=choice_labels,
        current_timezone=timezone.get_current_timezone,
    )
    env.filters.update(masked=mask_phone, local=local)
    return env
