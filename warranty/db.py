"""PostgreSQL settings for one transaction's reads (``SET LOCAL``; no-ops on other databases)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction


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
