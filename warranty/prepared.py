"""Querysets of a fixed shape whose SQL is compiled once per process; later calls only bind new values.

Building a queryset is cheap; compiling it is not. The intake's unit (three joins and a subquery) takes
Django 0.8 ms to compile and PostgreSQL 0.13 ms to run, and a queue page spends a fifth of its time
compiling its rows' query (bench/RESULTS.md). The values change from one request to the next (the user's
projects, a unit's id), the SQL does not.

:func:`rows` builds the queryset once per shape with stand-in values (*sentinels*: integers no row can
hold, texts of control characters, a stand-in user whose projects are such integers), compiles it, and
notes where each stand-in landed among the statement's parameters. Each later call puts the real values in those places and runs
the same SQL through Django's own loading (``select_related``, annotations, ``from_db``), so the result
is the queryset's result. A shape whose stand-ins do not come out unchanged as parameters (a value
folded into the SQL text, an empty list, a branch on something else of the user) is not kept: such a
call runs the queryset as usual, every time.

The shape is the key the caller names, the kind of values (``int``, ``str``, the length of a list), the
user's kind for :func:`warranty.scoping.scope` (superuser, contractor, staff; how many projects), and the
active language and time zone (a list's names are chosen in SQL by language, ``DefectCategory.name_at``).
A statement with a time among its parameters is never kept: it would be the time of the first call.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model, QuerySet
from django.utils import timezone, translation

# Stand-in integers: far below any id or count the database can hold (bigint ids start at 1); stand-in
# texts: control characters no number or code contains.
_BASE = -(2**62)
_TEXT = "\x1eprepared-"


@dataclass(frozen=True)
class _Stand:
    """The user as :func:`warranty.scoping.scope` reads it, with stand-in ids; nothing else of it."""

    is_authenticated: bool
    is_active: bool
    is_superuser: bool
    contractor: bool
    contractor_id: int | None
    _project_ids: frozenset | None

    def has_role(self, *roles) -> bool:
        from .roles import Role

        return self.contractor and Role.CONTRACTOR in roles


@dataclass
class _Prepared:
    queryset: QuerySet  # built with the stand-ins; chained for each call
    compiler: object  # compiled: its select, converters and model layout are reused
    sql: str
    params: tuple  # the compiled parameters, a stand-in's place holding ("slot", n)
    db: str


_kept: dict[tuple, _Prepared | None] = {}
_lock = threading.Lock()
MAX_SHAPES = 512


def _user_shape(user) -> tuple:
    from .scoping import is_contractor, project_ids

    if user is None:
        return ("none",)
    if not user.is_authenticated or not user.is_active:
        return ("anonymous",)
    if user.is_superuser:
        return ("superuser",)
    if is_contractor(user):
        return ("contractor", user.contractor_id is not None)
    return ("staff", len(project_ids(user)))


def _stand_in(user, counter) -> _Stand | None:
    from .scoping import is_contractor, project_ids

    if user is None:
        return None
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return _Stand(user.is_authenticated, user.is_active, bool(user.is_superuser), False, None, None)
    if is_contractor(user):
        return _Stand(True, True, False, True, counter() if user.contractor_id is not None else None, None)
    return _Stand(True, True, False, False, None, frozenset(counter() for _ in project_ids(user)))


def _user_values(user) -> list[int]:
    """The real values of the stand-in user's sentinels, in the order they were handed out."""
    from .scoping import is_contractor, project_ids

    if user is None or not user.is_authenticated or not user.is_active or user.is_superuser:
        return []
    if is_contractor(user):
        return [user.contractor_id] if user.contractor_id is not None else []
    return sorted(project_ids(user))


def _shape_of(values: dict) -> tuple:
    return tuple(
        (name, len(v) if isinstance(v, list | tuple) else type(v).__name__) for name, v in sorted(values.items())
    )


def _flatten(user, values: dict) -> list[int]:
    flat = _user_values(user)
    for _name, value in sorted(values.items()):
        flat.extend(value if isinstance(value, list | tuple) else [value])
    return flat


def _prepare(build: Callable[..., QuerySet], user, values: dict) -> _Prepared | None:
    n = 0

    def counter() -> int:
        nonlocal n
        n += 1
        return _BASE - n

    def stand_in_text() -> str:
        nonlocal n
        n += 1
        return f"{_TEXT}{n}\x1e"

    stand = _stand_in(user, counter)
    stand_values = {
        name: [counter() for _ in value]
        if isinstance(value, list | tuple)
        else (stand_in_text() if isinstance(value, str) else counter())
        for name, value in sorted(values.items())
    }
    try:
        qs = build(stand, **stand_values) if user is not None else build(**stand_values)
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
    except Exception:  # noqa: BLE001 - an empty list, a lookup on the stand-in: not kept, run as usual
        return None
    slots = {**{_BASE - i: i - 1 for i in range(1, n + 1)}, **{f"{_TEXT}{i}\x1e": i - 1 for i in range(1, n + 1)}}
    placed = tuple(("slot", slots[p]) if type(p) in (int, str) and p in slots else p for p in params)
    found = {p[1] for p in placed if isinstance(p, tuple) and len(p) == 2 and p[0] == "slot"}
    # Each stand-in once or more as a parameter, none folded into the text (a LIMIT, a literal).
    folded = str(_BASE)[:8] in sql or _TEXT in sql
    if found != set(range(n)) or folded or any(isinstance(p, dt.date | dt.time) for p in params):
        return None
    return _Prepared(qs, compiler, sql, placed, qs.db)


def rows(key: str, build: Callable[..., QuerySet], *, user=None, **values: int | str | Sequence[int]) -> list[Model]:
    """``list(build(user, **values))`` (``build(**values)`` without a user), its SQL compiled once per shape.

    ``values`` are integers, texts or lists of integers that ``build`` uses only as exact lookup values
    (``pk=``, ``number=``, ``project_id__in=``); ``user`` only through :func:`warranty.scoping.scope`.
    Anything else that changes the SQL (a slice, a sort, a filter that is there or not) belongs in ``key``.
    """
    shape = (
        key,
        _user_shape(user),
        _shape_of(values),
        translation.get_language(),
        timezone.get_current_timezone_name(),
    )
    prepared = _kept.get(shape, False)
    if prepared is False:
        prepared = _prepare(build, user, values)
        with _lock:
            if len(_kept) >= MAX_SHAPES:
                _kept.clear()
            _kept[shape] = prepared
    if prepared is None:
        return list(build(user, **values) if user is not None else build(**values))
    flat = _flatten(user, values)
    params = tuple(
        flat[p[1]] if isinstance(p, tuple) and len(p) == 2 and p[0] == "slot" else p for p in prepared.params
    )
    return list(_bound(prepared, params))


def _bound(prepared: _Prepared, params: tuple) -> QuerySet:
    """The prepared queryset, its compiler answering with the kept SQL and these parameters."""
    compiler = copy.copy(prepared.compiler)
    compiler.connection = connections[prepared.db]  # this thread's connection
    compiler.as_sql = lambda *args, **kwargs: (prepared.sql, params)
    qs = prepared.queryset._chain()
    qs.query.get_compiler = lambda *args, **kwargs: compiler
    return qs


def forget() -> None:
    """Compile every shape again (the tests; a schema change in a long-lived process)."""
    with _lock:
        _kept.clear()
