"""``reverse()`` for the URLs a page builds many times: reversed once per route, filled in per object.

Django's ``reverse()`` costs tens of microseconds a call, more than the rest of a list row's cells;
a page of 25 rows with two links each, the menu and the tabs called it 60 times. The URL of a route
without arguments, or with one ``<str:…>``/``<slug:…>`` argument (a report's or ticket's number, a
queue's slug), is reversed once per URLconf and script prefix, then the argument, quoted as reverse()
quotes it, is put in its place. Anything else (several arguments, an empty one, one with a slash)
goes to reverse() itself.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# What reverse() leaves unquoted in an argument (django.urls.resolvers).
_SAFE = "!$&'()*+,;=~:@"
_MARKER = "Zq0MARKER0qZ"


@lru_cache(maxsize=512)
def _split(urlconf: str | None, root_urlconf: str, prefix: str, name: str, arity: int) -> tuple[str, str] | None:
    """The URL of ``name`` around its one argument (arity 1), or whole (arity 0); None if it has no such shape."""
    try:
        url = reverse(name, urlconf=urlconf, args=[_MARKER] * arity)
    except NoReverseMatch:
        return None
    if arity == 0:
        return url, ""
    head, marker, tail = url.partition(_MARKER)
    return (head, tail) if marker and _MARKER not in tail else None


def url_for(name: str):
    """The URL of ``name`` as a function of its arguments, what the request fixes looked up once:
    ``detail = url_for("tickets:detail")`` before a loop, ``detail(row.number)`` in it."""
    here = (get_urlconf(), settings.ROOT_URLCONF, get_script_prefix(), name)
    one = _split(*here, 1)

    def build(*args) -> str:
        if not args:
            whole = _split(*here, 0)
            if whole is not None:
                return whole[0]
        elif one is not None and len(args) == 1 and isinstance(arg := args[0], str) and arg and "/" not in arg:
            return f"{one[0]}{quote(arg, safe=_SAFE)}{one[1]}"
        return reverse(name, args=args)

    return build


def reverse_cached(name: str, *args) -> str:
    """``reverse(name, args=args)``, from the cache where the route allows (see the module's doc)."""
    return url_for(name)(*args)
