"""The front desk's queue counts (the tabs' badges), cached and invalidated by generation.

Every queue page shows how long each of the five queues is. Counting them all on every request
was most of a queue page's cost at scale, so the counts are cached per set of projects. Each
project has a generation number in the cache; a write that can move a row in or out of a queue
(a report, a ticket, a contact attempt: see :func:`connect`) bumps its project's generation, at
once and when its transaction commits, which retires every cached count that includes the project. The counts
also expire after ``TTL`` seconds, a backstop for writes no signal sees (raw SQL, another tool).

A cache that is down costs only speed: the counts are then computed every time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

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
    try:
        generations = cache.get_many([_generation_key(p) for p in scopes])
        stamp = ",".join(f"{p}:{generations.get(_generation_key(p), 0)}" for p in scopes)
        key = "queues:counts:" + hashlib.sha256(stamp.encode()).hexdigest()[:32]
        counts = cache.get(key)
    except Exception:  # the cache is down: count without it
        log.warning("queue counts: cache unavailable", exc_info=True)
        return compute()
    if counts is None:
        counts = compute()
        try:
            cache.set(key, counts, TTL)
        except Exception:
            log.warning("queue counts: cache unavailable", exc_info=True)
    return counts


def invalidate(project_id: int | None) -> None:
    """Retire the cached counts of ``project_id`` (and the superusers'): now, and again when the
    transaction commits (counts cached in between were computed without this write)."""

    def bump():
        stamp = time.time_ns()
        keys = [_generation_key(EVERY_PROJECT)] + ([_generation_key(project_id)] if project_id else [])
        try:
            cache.set_many(dict.fromkeys(keys, stamp), timeout=None)
        except Exception:
            log.warning("queue counts: cache unavailable; counts may lag %s s", TTL, exc_info=True)

    bump()
    transaction.on_commit(bump)


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
