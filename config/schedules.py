"""Periodic tasks, declared in code. `manage.py setup_schedules` writes them to
django-celery-beat's tables (idempotent), so nobody has to click them into the admin."""


class DailyAt(dict):
    """A crontab schedule for once a day at the time in a setting (``HH:MM``, Asia/Shanghai).

    The setting is read when ``setup_schedules`` asks for the crontab, not when this module is
    imported, so changing ``DAILY_REPORT_TIME`` and running ``setup_schedules`` again moves the task.
    """

    def __init__(self, setting: str, default: str):
        super().__init__()
        self.setting, self.default = setting, default

    def __contains__(self, key):
        return key == "crontab"

    def __getitem__(self, key):
        if key != "crontab":
            raise KeyError(key)
        from django.conf import settings

        hour, minute = parse_hhmm(getattr(settings, self.setting, self.default) or self.default)
        return {"minute": str(minute), "hour": str(hour), "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}


def parse_hhmm(value: str) -> tuple[int, int]:
    hour, _, minute = str(value).strip().partition(":")
    hour, minute = int(hour), int(minute or 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"Not a time of day: {value!r}")
    return hour, minute


# name -> (task path, schedule). A schedule is {"every_seconds": N} or {"crontab": {...}}.
PERIODIC_TASKS: dict[str, tuple[str, dict]] = {
    "sla: sweep clocks": ("tickets.tasks.sweep_sla_clocks", {"every_seconds": 60}),
    "outbox: deliver unsent": ("tickets.tasks.sweep_outbox", {"every_seconds": 60}),
    "sla: start warranty-fund ledger clocks": (
        "tickets.tasks.start_ledger_clocks",
        {"crontab": {"minute": "15", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}},
    ),
    "reports: daily report F03": ("tickets.tasks.send_daily_reports", DailyAt("DAILY_REPORT_TIME", "18:00")),
}
