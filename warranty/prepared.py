"""Querysets of a fixed shape whose SQL is compiled once per process; later calls only bind new values.

Building a queryset is cheap; compiling it is not. The intake's unit (three joins and a subquery) takes
Django 0.8 ms to compile and PostgreSQL 0.13 ms to run, and a queue page spends a fifth of its time
compiling its rows' query (bench/RESULTS.md). The values change from one request to the next (the user's
projects, a unit's id), the SQL does not.

:func:`rows` builds the queryset once per shape with stand-in values (*sentinels*: integers no row can
hold, texts of control characters, a stand-in user whose projects are such integers), compiles it, and
notes where each stand-in landed among the statement's parameters. Each later call puts the real values
in those places and runs the same SQL through Django's own loading (``select_related``, annotations,
``from_db``), so the result is the queryset's result. A shape whose stand-ins do not come out unchanged as parameters (a value
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


@dataclass(frozen=True)
class _Slot:
    """Where a stand-in landed among the compiled parameters: the real value's index."""

    index: int


@dataclass
class _Prepared:
    queryset: QuerySet  # built with the stand-ins; chained for each call
    compiler: object  # compiled: its select, converters and model layout are reused
    sql: str
    params: tuple  # the compiled parameters, a _Slot where a stand-in landed
    db: str


_kept: dict[tuple, _Prepared | None] = {}
_lock = threading.Lock()
MAX_SHAPES = 512


def _scope_of(user) -> tuple[str, list[int]]:
    """What :func:`warranty.scoping.scope` sees of ``user``: its kind (part of the shape) and its ids."""
    from .scoping import is_contractor, project_ids

    if user is None:
        return "none", []
    if not user.is_authenticated or not user.is_active:
        return "anonymous", []
    if user.is_superuser:
        return "superuser", []
    if is_contractor(user):
        return "contractor", [user.contractor_id] if user.contractor_id is not None else []
    return "staff", sorted(project_ids(user))


def _stand_in(kind: str, count: int, counter) -> _Stand | None:
    """A user of ``kind`` whose ``count`` ids are stand-ins."""
    if kind == "none":
        return None
    if kind in ("anonymous", "superuser"):
        return _Stand(kind == "superuser", kind == "superuser", kind == "superuser", False, None, None)
    if kind == "contractor":
        return _Stand(True, True, False, True, counter() if count else None, None)
    return _Stand(True, True, False, False, None, frozenset(counter() for _ in range(count)))


def _shape_of(values: dict) -> tuple:
    return tuple(
        (name, len(v) if isinstance(v, list | tuple) else type(v).__name__) for name, v in sorted(values.items())
    )


def _flatten(user_ids: list[int], values: dict) -> list:
    """Every real value, in the order the stand-ins were handed out (the user's ids first)."""
    flat = list(user_ids)
    for _name, value in sorted(values.items()):
        flat.extend(value if isinstance(value, list | tuple) else [value])
    return flat


def _run(build: Callable[..., QuerySet], user, values: dict) -> QuerySet:
    return build(user, **values) if user is not None else build(**values)


def _prepare(build: Callable[..., QuerySet], kind: str, user_ids: list[int], values: dict) -> _Prepared | None:
    stand_ins: list = []

    def counter(text: bool = False):
        stand_in = f"{_TEXT}{len(stand_ins)}\x1e" if text else _BASE - len(stand_ins)
        stand_ins.append(stand_in)
        return stand_in

    stand = _stand_in(kind, len(user_ids), counter)
    stand_values = {
        name: [counter() for _ in value] if isinstance(value, list | tuple) else counter(isinstance(value, str))
        for name, value in sorted(values.items())
    }
    try:
        qs = _run(build, stand, stand_values)
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
    except Exception:  # noqa: BLE001 - an empty list, a lookup on the stand-in: not kept, run as usual
        return None
    slots = {stand_in: i for i, stand_in in enumerate(stand_ins)}
    placed = tuple(_Slot(slots[p]) if type(p) in (int, str) and p in slots else p for p in params)
    found = {p.index for p in placed if isinstance(p, _Slot)}
    # Each stand-in once or more as a parameter, none folded into the text (a LIMIT, a literal).
    folded = str(_BASE)[:8] in sql or _TEXT in sql
    if found != set(range(len(stand_ins))) or folded or any(isinstance(p, dt.date | dt.time) for p in params):
        return None
    return _Prepared(qs, compiler, sql, placed, qs.db)


def rows(key: str, build: Callable[..., QuerySet], *, user=None, **values: int | str | Sequence[int]) -> list[Model]:
    """``list(build(user, **values))`` (``build(**values)`` without a user), its SQL compiled once per shape.

    ``values`` are integers, texts or lists of integers that ``build`` uses only as exact lookup values
    (``pk=``, ``number=``, ``project_id__in=``); ``user`` only through :func:`warranty.scoping.scope`.
    Anything else that changes the SQL (a slice, a sort, a filter that is there or not) belongs in ``key``.
    """
    kind, user_ids = _scope_of(user)
    shape = (
        key,
        kind,
        len(user_ids),
        _shape_of(values),
        translation.get_language(),
        timezone.get_current_timezone_name(),
    )
    prepared = _kept.get(shape, False)
    if prepared is False:
        prepared = _prepare(build, kind, user_ids, values)
        with _lock:
            if len(_kept) >= MAX_SHAPES:
                _kept.clear()
            _kept[shape] = prepared
    if prepared is None:
        return list(_run(build, user, values))
    flat = _flatten(user_ids, values)
    return list(_bound(prepared, tuple(flat[p.index] if isinstance(p, _Slot) else p for p in prepared.params)))


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
