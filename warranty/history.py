"""Audit history (django-simple-history) indexed for how it is read: by record and by time.

simple-history gives each history table the indexes of the model it copies: every foreign key and
every unique or indexed column. History is read by the record's id (a ticket's history, the admin's
history pages) and by time, never by steward, unit or state, so on the busiest tables (a ticket
has six or more history rows) those indexes were most of the cost of writing a history row and
much of the table's size. :class:`AuditHistory` keeps only the record's id, ``history_date`` and
``history_user``, plus the columns named in ``keep_index``.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords


class ReusedManagerDescriptor(HistoryDescriptor):
    """``Model.history`` and ``instance.history``, with the manager class built once.

    simple-history's descriptor builds it on every access (``Manager.from_queryset``, which inspects
    every queryset method): on every ``.history`` read and on every save that writes a history row.
    """

    @cached_property
    def manager(self):
        return self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance, owner):
        return self.manager(self.model, instance)


class AuditHistory(HistoricalRecords):
    def __init__(self, *args, keep_index: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_index = set(keep_index)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        descriptor = sender.__dict__.get(self.manager_name)
        if type(descriptor) is HistoryDescriptor:  # set on this model (not an abstract or inherited one)
            reused = ReusedManagerDescriptor(
                descriptor.model, manager=descriptor.manager_class, queryset=descriptor.queryset_class
            )
            setattr(sender, self.manager_name, reused)

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name and name not in self.keep_index:
                field.db_index = False
        return fields


def history_row(instance, history_type: str, *, reason: str | None = None):
    """The history row (unsaved) that simple-history writes for ``instance`` as it is now.

    For a writer that records two steps of one instance in one INSERT (a ticket written already
    confirmed: its "created" and "confirm" rows); the user is the instance's ``_history_user``.
    """
    history = type(instance).history.model
    return history(
        history_date=timezone.now(),
        history_user=getattr(instance, "_history_user", None),
        history_change_reason=reason,
        history_type=history_type,
        **{field.attname: getattr(instance, field.attname) for field in history.tracked_fields},
    )
