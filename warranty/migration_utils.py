"""Helpers for data migrations (kept stable: migrations import them)."""

from django.contrib.auth.management import create_permissions


def ensure_permissions(apps, app_label: str) -> None:
    """Create an app's permissions now (normally post_migrate does it, after every migration).

    Works with a migration state's app registry and with the real one (tests
    re-run data migrations after a flush).
    """
    app_config = apps.get_app_config(app_label)
    stub = getattr(app_config, "models_module", None) is None
    if stub:
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    if stub:
        app_config.models_module = None
