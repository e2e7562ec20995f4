"""Re-create the rows that data migrations write (roles, trades, categories, calendar, grants).

Transactional tests (threads, live_server) flush the test database; post_migrate
brings back content types and permissions, not the rows of the data
migrations. The data migrations mark their seeding steps
``hints={"reference_data": True}``; each is idempotent, so they are simply
run again, against the latest migration state.
"""

from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations.special import RunPython

PROJECT_APPS = ("warranty", "tickets", "callbacks", "settlements")


def missing() -> bool:
    from django.contrib.auth.models import Group

    return not Group.objects.filter(name="steward").exists()


def ensure_reference_data() -> bool:
    """Run the reference-data steps of the migrations again if their rows are gone; True when it had to."""
    if not missing():
        return False
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    loader = MigrationExecutor(connection).loader
    state_apps = loader.project_state().apps
    keys = sorted(
        (k for k in loader.disk_migrations if k[0] in PROJECT_APPS), key=lambda k: (PROJECT_APPS.index(k[0]), k[1])
    )
    with connection.schema_editor() as editor:
        for key in keys:
            for operation in loader.disk_migrations[key].operations:
                if isinstance(operation, RunPython) and operation.hints.get("reference_data"):
                    operation.code(state_apps, editor)
    return True
