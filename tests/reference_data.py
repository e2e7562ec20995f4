"""Re-create the rows that data migrations write (roles, trades, categories, calendar, grants).

Transactional tests flush the test database; a re-used database then lacks
these rows. Every data migration here is idempotent, so running their
RunPython steps again against the current models is safe.
"""

from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import RunPython

PROJECT_APPS = ("warranty", "tickets", "callbacks", "settlements")


def missing() -> bool:
    from django.contrib.auth.models import Group

    return not Group.objects.filter(name="steward").exists()


def ensure_reference_data() -> bool:
    """Run the data migrations again if their rows are gone; True when it had to."""
    if not missing():
        return False
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    keys = sorted(
        (k for k in loader.disk_migrations if k[0] in PROJECT_APPS), key=lambda k: (PROJECT_APPS.index(k[0]), k[1])
    )
    for key in keys:
        for operation in loader.disk_migrations[key].operations:
            if isinstance(operation, RunPython):
                operation.code(apps, None)
    return True
