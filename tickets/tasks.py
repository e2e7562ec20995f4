"""Celery tasks: thin, idempotent wrappers around services.

Every task can run twice or concurrently: the sweeps lock rows with
SKIP LOCKED and unique constraints turn a repeated write into a no-op.
"""

from celery import shared_task
from django.db import DatabaseError


@shared_task(
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def deliver_outbox():
    """Send the outbox rows that are due (queued after each commit that writes one)."""
    from .delivery import deliver_due

    return deliver_due()


@shared_task(ignore_result=True)
def sweep_outbox():
    """Every minute: deliver whatever is still unsent (a broker or mail outage loses nothing)."""
    from .delivery import deliver_due

    return deliver_due()


@shared_task(ignore_result=True)
def sweep_sla_clocks():
    """Every minute: warnings, breaches and escalation rungs of due SLA clocks."""
    from .sla import sweep_clocks

    return sweep_clocks().alerts


@shared_task(ignore_result=True)
def start_ledger_clocks():
    """Daily: start the warranty-fund ledger clock of newly delivered batches."""
    from .sla import ensure_ledger_clocks

    return ensure_ledger_clocks()


@shared_task(bind=True, ignore_result=True, max_retries=8)
def send_daily_reports(self, day: str | None = None):
    """Daily at DAILY_REPORT_TIME: each project's F03 report, sent at most once per project and day.

    When a project's send fails, the task retries the same day (fixed in the retry's arguments, so a
    retry after midnight still sends yesterday's report) with backoff: 5, 10, 20 … minutes.
    """
    import datetime as dt

    from django.utils import timezone

    from .reporting.daily import send_all_daily_reports

    day_ = dt.date.fromisoformat(day) if day else timezone.localdate()
    sent, failed = send_all_daily_reports(day=day_)
    if failed:
        raise self.retry(kwargs={"day": day_.isoformat()}, countdown=300 * 2**self.request.retries)
    return sent
