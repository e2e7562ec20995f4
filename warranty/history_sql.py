"""History rows written in SQL, for set-based writers that never hold model instances.

simple-history records ``save()``; a writer that inserts rows with ``INSERT … SELECT``
(the SLA sweep) records their history with :func:`copy_to_history`, one statement for
any number of rows, so the audit trail stays complete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def _copied_columns(model) -> list[str]:
    history = model.history.model
    source = {f.column for f in model._meta.concrete_fields}
    copied = [f.column for f in history._meta.concrete_fields if f.column not in HISTORY_COLUMNS]
    missing = set(copied) - source
    if missing:  # a history field the model does not have (an extra field): refuse rather than guess
        raise ValueError(f"{history._meta.label} has columns {sorted(missing)} that {model._meta.label} has not")
    return copied


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
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in _copied_columns(model))
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


@dataclass(frozen=True)
class Step:
    """One history row of a record: when, its type and reason, and ``values`` (column → value) that
    differ from the row as it is now (a state it was in before)."""

    at: dt.datetime
    history_type: str
    reason: str | None = None
    values: dict = field(default_factory=dict)


def copy_steps_to_history(model, pk: int, steps: list[Step], *, user_id: int | None = None) -> int:
    """Write one history row per step of the ``pk`` row of ``model``, in order, in one statement.

    Every step names the same ``values`` columns. For a writer that saves a record once but records
    two steps of it (a ticket logged already confirmed: created in intake, then confirmed).
    """
    history = model.history.model
    qn = connection.ops.quote_name
    copied = _copied_columns(model)
    replaced = list(steps[0].values)
    if any(list(step.values) != replaced for step in steps):
        raise ValueError("every step names the same columns")
    select = ", ".join(f"step.{qn(c)}" if c in replaced else f"t.{qn(c)}" for c in copied)
    row = ", ".join(["%s::int", "%s::timestamptz", "%s::varchar", "%s::varchar", *("%s" for _ in replaced)])
    names = ", ".join(["n", "at", "reason", "type", *(qn(c) for c in replaced)])
    params: list = []
    for n, step in enumerate(steps):
        reason = None if step.reason is None else step.reason[:100]
        params += [n, step.at, reason, step.history_type, *step.values.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {qn(history._meta.db_table)}
                ({", ".join(qn(c) for c in copied)}, history_date, history_change_reason, history_type, history_user_id)
            SELECT {select}, step.at, step.reason, step.type, %s
            FROM {qn(model._meta.db_table)} t CROSS JOIN (VALUES {", ".join(f"({row})" for _ in steps)}) AS step({names})
            WHERE t.{qn(model._meta.pk.column)} = %s ORDER BY step.n
            """,
            [user_id, *params, pk],
        )
        return cursor.rowcount
