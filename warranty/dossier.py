"""An object's collections (its reverse relations, and rows beside it) loaded in one query.

A record page shows one object with several lists: the ticket page its attachments, timeline, contacts,
appointments, dispatch notices, plans, escalations and the other defects of its report. With
``prefetch_related`` that is a query per list, and most of each one's cost is Django building and
compiling it (a third of the ticket page at 1,000,000 tickets, bench/RESULTS.md), not PostgreSQL running
it. Here each list is described once (:class:`Rows`); on PostgreSQL their SQL is written once per process,
and one statement returns every list as a JSON array (``json_agg``), turned back into model instances
as Django loads them: the same fields, the joined instance cached on each row, the reverse relation's
cache filled as ``prefetch_related`` fills it (``ticket.attachments.all()`` runs no query; a
``filter()`` on it queries as before). On other databases the same lists are read with the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import DecimalField, JSONField, Model, QuerySet


@dataclass(frozen=True)
class Rows:
    """One list: rows of ``model`` whose ``where`` columns equal the named values, in the model's order.

    ``name``: a reverse relation of the object (its prefetch cache is filled), or any other name (the list
    is set as that attribute). ``where``: ``(column, value name)`` pairs, or ``(column, value name, "<>")``.
    ``only``: the fields loaded (all concrete fields by default); ``defer``: fields left out of those.
    ``joins``: ``(foreign key, fields of the target loaded or None for all)``: the target comes with each
    row (``select_related``).
    """

    name: str
    model: type[Model]
    where: tuple[tuple[str, ...], ...]
    only: tuple[str, ...] = ()
    defer: tuple[str, ...] = ()
    joins: tuple[tuple[str, tuple[str, ...] | None], ...] = ()

    def fields(self) -> list:
        return _fields(self.model, self.only, self.defer)

    def joined(self):
        """Each joined foreign key with the fields of its target that are loaded."""
        for name, only in self.joins:
            fk = self.model._meta.get_field(name)
            yield fk, _fields(fk.related_model, only or (), ())

    def order_by(self) -> list[str]:
        return list(self.model._meta.ordering) or ["pk"]

    def queryset(self, values: dict) -> QuerySet:
        """The list with the ORM (databases other than PostgreSQL; the comparison in the tests)."""
        qs = self.model._default_manager.all()
        for column, key, *op in self.where:
            lookup = {column: values[key]}
            qs = qs.exclude(**lookup) if op == ["<>"] else qs.filter(**lookup)
        if self.joins:
            qs = qs.select_related(*(name for name, _ in self.joins))
        joined = (f"{fk.name}__{f.name}" for fk, fields in self.joined() for f in fields)
        return qs.only(*(f.name for f in self.fields()), *joined).order_by(*self.order_by())


def _fields(model, only, defer) -> list:
    """The concrete fields loaded, in the model's order (the key always)."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.primary_key or ((not only or f.name in only) and f.name not in defer)
    ]


def _json_value(field, value):
    if value is None:
        return None
    if isinstance(field, JSONField):  # already decoded with the array
        return value
    return field.to_python(value)


def _column(alias: str, field) -> str:
    sql = f"{alias}.{connection.ops.quote_name(field.column)}"
    # A decimal as text: a JSON number would come back as a float.
    return f"{sql}::text" if isinstance(field, DecimalField) else sql


@cache
def _subquery(rows: Rows) -> str:
    qn = connection.ops.quote_name
    columns = [_column("t", f) for f in rows.fields()]
    joins = []
    for i, (fk, fields) in enumerate(rows.joined()):
        alias = f"j{i}"
        columns += [_column(alias, f) for f in fields]
        target = fk.target_field.column
        joins.append(
            f" LEFT JOIN {qn(fk.related_model._meta.db_table)} {alias} ON {alias}.{qn(target)} = t.{qn(fk.column)}"
        )
    if len(columns) > 100:  # json_build_array takes at most 100 arguments
        raise ValueError(f"{rows.name}: too many columns for one JSON array")
    order = []
    for name in rows.order_by():
        descending = name.startswith("-")
        field = rows.model._meta.pk if name.lstrip("-") == "pk" else rows.model._meta.get_field(name.lstrip("-"))
        order.append(f"t.{qn(field.column)}{' DESC' if descending else ''}")
    where = " AND ".join(
        f"t.{qn(rows.model._meta.get_field(column).column)} {op[0] if op else '='} %({key})s"
        for column, key, *op in rows.where
    )
    return (
        f"(SELECT coalesce(json_agg(json_build_array({', '.join(columns)}) ORDER BY {', '.join(order)}), '[]')"
        f" FROM {qn(rows.model._meta.db_table)} t{''.join(joins)} WHERE {where})"
    )


@cache
def _statement(lists: tuple[Rows, ...]) -> str:
    return "SELECT " + ", ".join(_subquery(rows) for rows in lists)


def _instance(model, fields, values) -> Model:
    return model.from_db(
        connection.alias, [f.attname for f in fields], [_json_value(f, v) for f, v in zip(fields, values, strict=True)]
    )


def _instances(rows: Rows, arrays: list[list]) -> list[Model]:
    fields = rows.fields()
    joined = list(rows.joined())
    out = []
    for values in arrays:
        n = len(fields)
        obj = _instance(rows.model, fields, values[:n])
        for fk, target_fields in joined:
            part = values[n : n + len(target_fields)]
            n += len(target_fields)
            key = part[target_fields.index(fk.related_model._meta.pk)]
            # None when the foreign key is empty (the LEFT JOIN found nothing)
            fk.set_cached_value(obj, None if key is None else _instance(fk.related_model, target_fields, part))
        out.append(obj)
    return out


def load(obj: Model, lists: tuple[Rows, ...], values: dict, *, one_query: bool | None = None) -> None:
    """Fill ``obj``'s ``lists``; ``values``: what their ``where`` names (e.g. ``{"ticket": obj.pk}``).

    ``one_query``: on PostgreSQL by default; ``False`` reads each list with the ORM.
    """
    if one_query is None:
        one_query = connection.vendor == "postgresql"
    if one_query:
        with connection.cursor() as cursor:
            cursor.execute(_statement(lists), values)
            arrays = cursor.fetchone()
        loaded = [_instances(rows, array) for rows, array in zip(lists, arrays, strict=True)]
    else:
        loaded = [list(rows.queryset(values)) for rows in lists]
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    for rows, instances in zip(lists, loaded, strict=True):
        relation = _reverse_relation(type(obj), rows.name)
        if relation is None:
            setattr(obj, rows.name, instances)
            continue
        for instance in instances:
            relation.field.set_cached_value(instance, obj)
        qs = getattr(obj, rows.name).get_queryset()  # the relation's own queryset, as prefetch_related keeps it
        qs._result_cache = instances
        qs._prefetch_done = True
        cache[rows.name] = qs


def _reverse_relation(model, name):
    try:
        relation = model._meta.get_field(name)
    except FieldDoesNotExist:  # a plain attribute
        return None
    return relation if relation.one_to_many else None
