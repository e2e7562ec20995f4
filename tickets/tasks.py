"""Celery tasks: thin, idempotent wrappers around services."""

from celery import shared_task


@shared_task(ignore_result=True)
def deliver_outbox():
    from .delivery import deliver_due

    return deliver_due()
