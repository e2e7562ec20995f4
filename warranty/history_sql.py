"""History rows written in SQL, for set-based writers that never hold model instances.

simple-history records ``save()``; a writer that inserts rows with ``INSERT … SELECT``
(the SLA sweep) records their history with :func:`copy_to_history`, one statement for
any number of rows, so the audit trail stays complete.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def copy_to_history(
    model,
    ids: list[int],
    *,
    at: dt.datetime,
    reason: str | None,
    history_type: str = "+",
    user_id: int | None = None,
) -> int:
    """Write one history row per ``ids`` row of ``model`` as it is now; returns the rows written."""
    if not ids:
        return 0
    history = model.history.model
    source = {f.column for f in model._meta.concrete_fields}
    copied = [f.column for f in history._meta.concrete_fields if f.column not in HISTORY_COLUMNS]
    missing = set(copied) - source
    if missing:  # a history field the model does not have (an extra field): refuse rather than guess
        raise ValueError(f"{history._meta.label} has columns {sorted(missing)} that {model._meta.label} has not")
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in copied)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {qn(history._meta.db_table)}
                ({columns}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {columns}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)} = ANY(%s)
            """,
            [at, None if reason is None else reason[:100], history_type, user_id, list(ids)],
        )
        return cursor.rowcount
