"""The front desk's queue counts (the tabs' badges), cached and invalidated by generation.

Every queue page shows how long each of the five queues is. Counting them all on every request
was most of a queue page's cost at scale, so the counts are cached per set of projects. Each
project has a generation number in the cache; a write that can move a row in or out of a queue
(a report, a ticket, a contact attempt: see :func:`connect`) bumps its project's generation when its
transaction commits (once per transaction, however many rows it wrote), which retires every cached count
that includes the project. Until then the writing transaction itself reads counts under a key of its own
(its token and how many writes it made per project), so its own requests see their writes at once and
nobody else sees counts that include uncommitted rows. The counts also expire after ``TTL`` seconds, a
backstop for writes no signal sees (raw SQL, another tool).

A cache that is down costs only speed: the counts are then computed every time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from warranty.scoping import project_ids

log = logging.getLogger(__name__)

TTL = 60
EVERY_PROJECT = "all"  # the generation a superuser's counts depend on: bumped by every write


def _generation_key(project) -> str:
    return f"queues:gen:{project}"


def cached_counts(user, compute: Callable[[], dict[str, int]]) -> dict[str, int]:
    """``compute()`` (the counts of every queue as ``user`` sees them), cached until a project of the
    user's changes or ``TTL`` seconds pass."""
    ids = project_ids(user)
    if not ids and ids is not None:
        return compute()
    scopes = [EVERY_PROJECT] if ids is None else sorted(ids)
    writes = _writes()
    own = writes.stamp(scopes) if writes is not None else ""
    # One entry per set of projects (and writing transaction), holding the generations it was counted at:
    # the generations and the entry come back in one round trip.
    key = "queues:counts:" + hashlib.sha256((",".join(map(str, scopes)) + own).encode()).hexdigest()[:32]
    try:
        found = cache.get_many([*(_generation_key(p) for p in scopes), key])
    except Exception:  # the cache is down: count without it
        log.warning("queue counts: cache unavailable", exc_info=True)
        return compute()
    stamp = ",".join(f"{p}:{found.get(_generation_key(p), 0)}" for p in scopes)
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == stamp:
        return entry[1]
    counts = compute()
    try:
        cache.set(key, (stamp, counts), TTL)
    except Exception:
        log.warning("queue counts: cache unavailable", exc_info=True)
    return counts


class _Writes:
    """The projects the current transaction wrote rows of; called on commit to bump them once."""

    def __init__(self):
        self.token = secrets.token_hex(8)
        self.projects: Counter = Counter()

    def stamp(self, scopes: list) -> str:
        """The part of a cache key that stands for this transaction's own writes in ``scopes``."""
        every = EVERY_PROJECT in scopes
        seen = sum(self.projects.values()) if every else sum(self.projects[p] for p in scopes)
        return f"|{self.token}:{seen}" if seen else ""

    def __call__(self) -> None:
        _bump(self.projects)


def _writes(*, create: bool = False) -> _Writes | None:
    """The current transaction's :class:`_Writes` (None outside a transaction, or if it wrote nothing yet)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    writes = getattr(connection, "_queue_count_writes", None)
    # Still registered to run on commit: the same transaction (a rollback discards its hooks).
    if writes is not None and any(hook is writes for _, hook, _ in connection.run_on_commit):
        return writes
    if not create:
        return None
    writes = connection._queue_count_writes = _Writes()
    transaction.on_commit(writes)
    return writes


def _bump(projects: Iterable[int | None]) -> None:
    stamp = time.time_ns()
    keys = [_generation_key(EVERY_PROJECT)] + [_generation_key(p) for p in projects if p]
    try:
        cache.set_many(dict.fromkeys(keys, stamp), timeout=None)
    except Exception:
        log.warning("queue counts: cache unavailable; counts may lag %s s", TTL, exc_info=True)


def invalidate(project_id: int | None) -> None:
    """Retire the cached counts of ``project_id`` (and the superusers'): when the transaction commits,
    and at once for the transaction itself (see the module's docstring)."""
    writes = _writes(create=True)
    if writes is None:  # autocommit: the write is committed already
        _bump([project_id])
    else:
        writes.projects[project_id] += 1


def _on_write(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures
        return
    project_id = getattr(instance, "project_id", None)
    if project_id is None and getattr(instance, "ticket_id", None):
        project_id = instance.ticket.project_id
    elif project_id is None and getattr(instance, "report_id", None):
        project_id = instance.report.project_id
    invalidate(project_id)


def connect() -> None:
    """The writes that can change a queue's length: reports, tickets, contact attempts."""
    from .models import ContactAttempt, Report, Ticket

    for model in (Report, Ticket, ContactAttempt):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"queue_counts_{model.__name__}_save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"queue_counts_{model.__name__}_delete")
