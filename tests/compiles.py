"""Counting Django's SQL compilations, for the tests of SQL kept per process (warranty.prepared)."""

from django.db.models.sql.compiler import SQLCompiler


def compiles(monkeypatch) -> list:
    """Each compilation of a whole statement from now on (the model of each)."""
    calls = []
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return calls
