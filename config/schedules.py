"""Periodic tasks, declared in code. `manage.py setup_schedules` writes them to
django-celery-beat's tables (idempotent), so nobody has to click them into the admin."""

# name -> (task path, schedule). A schedule is {"every_seconds": N} or {"crontab": {...}}.
PERIODIC_TASKS: dict[str, tuple[str, dict]] = {}
