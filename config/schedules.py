"""Periodic tasks, declared in code. `manage.py setup_schedules` writes them to
django-celery-beat's tables (idempotent), so nobody has to click them into the admin."""

# name -> (task path, schedule). A schedule is {"every_seconds": N} or {"crontab": {...}}.
PERIODIC_TASKS: dict[str, tuple[str, dict]] = {
    "sla: sweep clocks": ("tickets.tasks.sweep_sla_clocks", {"every_seconds": 60}),
    "outbox: deliver unsent": ("tickets.tasks.sweep_outbox", {"every_seconds": 60}),
    "sla: start warranty-fund ledger clocks": (
        "tickets.tasks.start_ledger_clocks",
        {"crontab": {"minute": "15", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}},
    ),
}
