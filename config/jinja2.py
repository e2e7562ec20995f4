"""The Jinja2 environment of the hottest templates: the front desk's queue rows and pages, the ticket page.

In the Django template language a first-contact row cost about 2 M instructions (each node resolves
its variables through the context stack; ``{% url %}``, ``{% include %}`` and ``{% csrf_token %}`` cost
more), so a page's 25 rows were 40-60 % of the page (bench/RESULTS.md). These templates live under
``templates/jinja2/`` and are rendered by the ``jinja2`` engine; a page's body is put in the Django layout
by :func:`render_page`, and every other template stays in the Django template language. They use the
same words: ``_()`` is Django's ``gettext`` (``makemessages`` finds ``_("…")`` in them), ``|format(n=…)``
fills a message's placeholders. What a loop needs once (``url_for``, ``choice_labels``,
``current_timezone()``) is looked up before it. A partial the Django templates share is rendered by them:
``django_include(name, context)``.
"""

from __future__ import annotations

from django.apps import apps
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import engines
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment

from warranty.personal_data import mask_phone
from warranty.reversing import reverse_cached, url_for
from warranty.templatetags.personal_data import phone_for


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
        owner_phone=phone_for,  # {{ owner_phone(request.user, report.contact_phone, ticket) }}
        django_include=render_to_string,  # a partial the Django templates share: {{ django_include(name, {...}) }}
    )
    env.filters.update(masked=mask_phone, local=local, linebreaksbr=linebreaksbr)
    return env


def csrf(request) -> dict:
    """``csrf_token`` and ``csrf_input`` (the hidden field) for the Jinja2 templates of ``request``.

    ``get_token()`` masks the secret anew on every call (64 random characters) and the lazy strings the
    Jinja2 backend passes call it each time a template reads them; a page's forms share one mask here.
    """
    cached = getattr(request, "_jinja_csrf", None)
    if cached is None:
        token = get_token(request)
        field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        cached = request._jinja_csrf = {"csrf_token": token, "csrf_input": field}
    return cached


def render_page(request, template_name: str, context: dict, *, title, stylesheets=(), scripts=(), status: int = 200):
    """The response of a page whose body is the Jinja2 template ``template_name``, in the Django layout
    (``templates/jinja_page.html``: base.html's menu, language switch and messages). The body sees
    ``request``, ``csrf_input`` and ``csrf_token`` besides ``context``; the layout sees ``context`` too (and
    so do the test client's ``response.context`` and the debug toolbar)."""
    template = engines["jinja2"].get_template(template_name)
    token = csrf(request)
    body = template.render({**context, "request": request, **token})
    layout = {"title": title, "body": mark_safe(body), "stylesheets": stylesheets, "scripts": scripts}  # noqa: S308
    # The layout's forms (language, log out) share the body's masked token instead of masking another.
    layout["csrf_token"] = token["csrf_token"]
    return render(request, "jinja_page.html", {**context, **layout}, status=status)
