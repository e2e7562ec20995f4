"""PostgreSQL settings for one transaction's reads (``SET LOCAL``; no-ops on other databases)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone, translation


def set_local(**settings) -> None:
    """``SET LOCAL name = value`` for each setting, in one round trip; call inside a transaction."""
    if connection.vendor != "postgresql" or not settings:
        return
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET LOCAL {name} = '{value}'" for name, value in settings.items()))


def plans_kept() -> bool:
    """Whether this connection keeps the plans of the queries it repeats: PostgreSQL with psycopg
    preparing them (``config.settings.base.database_settings``; off with ``DB_PREPARED_STATEMENTS=0``)."""
    return (
        connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    )


@contextmanager
def joins_as_written(*, unless_plans_kept: bool = False):
    """A transaction in which PostgreSQL joins tables in the order the ORM wrote them.

    For a page's list or dossier query: it starts from one filtered table (the queue's rows, the
    ticket by its number) and follows foreign keys to single rows (``select_related``). Searching
    the orders of those 8 to 15 joins cost PostgreSQL 10 to 20 ms of planning per query at
    1,000,000 tickets, against 1 to 3 ms of running it (bench/RESULTS.md); in the written order the
    plan is the one it chose anyway. Evaluate the querysets inside the block.

    ``unless_plans_kept``: for a query whose best plan does not depend on its parameters (the ticket by
    its number), PostgreSQL keeps a generic plan after its fifth run on a connection that prepares
    statements and plans it no more; the transaction's three round trips are then all it would add.
    """
    if unless_plans_kept and plans_kept():
        yield
        return
    with transaction.atomic():
        set_local(join_collapse_limit=1)
        yield


def defer_all_but(path: str, model, *keep: str) -> list[str]:
    """``defer()`` arguments that load only ``keep`` (and the key) of the ``model`` joined at ``path``:
    ``qs.select_related("steward").defer(*defer_all_but("steward", User, *USER_NAME))``."""
    return [f"{path}__{f.name}" for f in model._meta.concrete_fields if not f.primary_key and f.name not in keep]


# --- reads on a second connection ------------------------------------------------------------------

_helper: ThreadPoolExecutor | None = None
_helper_lock = threading.Lock()


def _helper_thread() -> ThreadPoolExecutor:
    """One thread per process, started on first use; it keeps its own connection as a request thread
    does (``CONN_MAX_AGE``): closed after each call when that is 0, reused until it is older otherwise."""
    global _helper
    with _helper_lock:
        if _helper is None:
            _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-alongside")
        return _helper


def _on_own_connection(fn, tz, language):
    own = connections[DEFAULT_DB_ALIAS]
    own.close_if_unusable_or_obsolete()
    try:
        with timezone.override(tz), translation.override(language):
            return fn()
    finally:
        own.close_if_unusable_or_obsolete()


def can_read_alongside() -> bool:
    """Whether :func:`alongside` may use a second connection: on PostgreSQL, outside any transaction
    (another connection could not see what this one has not committed: a test's rows, say), unless
    the ``DB_READS_ALONGSIDE`` setting is False."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and getattr(django_settings, "DB_READS_ALONGSIDE", True)
    )


def alongside(here, there):
    """``(here(), there())``, with ``there`` run meanwhile in a helper thread on its own connection.

    For a page made of independent read-only queries that each keep one core busy (the dashboard at
    every project): the database runs the two halves on the machine's two cores at once. The helper
    thread sees the caller's time zone and language. Both calls finish before this returns; an
    exception from either is raised here. Where :func:`can_read_alongside` says no, the two run one
    after the other in this thread.
    """
    if not can_read_alongside():
        return here(), there()
    future = _helper_thread().submit(
        _on_own_connection, there, timezone.get_current_timezone(), translation.get_language()
    )
    try:
        first = here()
    except BaseException:
        wait([future])  # nothing left running on the helper's connection
        raise
    return first, future.result()
