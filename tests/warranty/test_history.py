"""Audit history tables are indexed for how they are read: by record and by time."""

import pytest
from django.apps import apps
from django.db import connection

from tests.tickets.conftest import new_report, world  # noqa: F401
from tickets.models import Report, Ticket

pytestmark = pytest.mark.django_db


def indexed_columns(model) -> set[str]:
    """The first column of every index of ``model``'s table but its primary key."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {c["columns"][0] for c in constraints.values() if c["index"] and not c["primary_key"]}


def test_every_history_table_is_indexed_by_record_time_and_user_only():
    history_models = [
        m for m in apps.get_models() if m.__name__.startswith("Historical") and hasattr(m, "history_date")
    ]
    assert Ticket.history.model in history_models
    for model in history_models:
        extra = indexed_columns(model) - {"id", "history_date", "history_user_id"}
        if model is Report.history.model:
            assert extra == {"owner_id"}, model  # scrubbed by owner when an owner's data is anonymised
        else:
            assert extra == set(), model


def test_a_ticket_history_is_still_read_by_its_index():
    model = Ticket.history.model
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT * FROM {model._meta.db_table} WHERE id = %s ORDER BY history_date DESC LIMIT 30", [1]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan, plan


def test_the_history_manager_class_is_built_once_and_still_bound_to_its_instance(world):  # noqa: F811
    first, second = new_report(world).tickets.get(), new_report(world).tickets.get()
    models = [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]
    assert Ticket in models
    for model in models:
        assert type(model.history) is type(model.history), model  # noqa: E721 - one class, not one per access
    assert type(first.history) is type(Ticket.history)  # noqa: E721
    assert {h.number for h in first.history.all()} == {first.number}
    assert {h.number for h in second.history.all()} == {second.number}
    assert Ticket.history.filter(id__in=[first.pk, second.pk]).count() == 4  # created and confirmed, each
