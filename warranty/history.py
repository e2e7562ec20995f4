"""Audit history (django-simple-history) indexed for how it is read: by record and by time.

simple-history gives each history table the indexes of the model it copies: every foreign key and
every unique or indexed column. History is read by the record's id (a ticket's history, the admin's
history pages) and by time, never by steward, unit or state, so on the busiest tables (a ticket
has six or more history rows) those indexes were most of the cost of writing a history row and
much of the table's size. :class:`AuditHistory` keeps only the record's id, ``history_date`` and
``history_user``, plus the columns named in ``keep_index``.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords


class AuditHistory(HistoricalRecords):
    def __init__(self, *args, keep_index: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.keep_index = set(keep_index)

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name and name not in self.keep_index:
                field.db_index = False
        return fields
