"""Deliver outbox rows. Each row is locked while it is sent and marked sent in the same transaction."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboxMessage

logger = logging.getLogger(__name__)
MAX_BATCH = 200


def deliver_due(now=None) -> int:
    """Send every unsent, due row (skipping rows another worker holds). Returns the number sent."""
    now = now or timezone.now()
    sent = 0
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:MAX_BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            msg = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at__isnull=True)
                .select_related("recipient", "ticket")
                .first()
            )
            if msg is None:
                continue
            try:
                send(msg)
            except Exception as exc:  # the mail server is down: back off and keep the row
                msg.attempts += 1
                msg.last_error = str(exc)[:300]
                msg.next_attempt_at = now + dt.timedelta(minutes=min(2**msg.attempts, 240))
                msg.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.warning("Outbox %s failed (attempt %s)", msg.pk, msg.attempts)
                continue
            msg.sent_at = timezone.now()
            msg.attempts += 1
            msg.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent


def send(msg: OutboxMessage) -> None:
    """Render in the recipient's language and send by email (the only channel so far)."""
    address = msg.recipient_address or (msg.recipient.email if msg.recipient else "")
    if not address:
        return  # nobody to mail: logged as sent so it is not retried forever
    language = getattr(msg.recipient, "language", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"msg": msg, "ticket": msg.ticket, "site_url": settings.SITE_URL, **msg.context}
        subject = render_to_string("notifications/subject.txt", context).strip()
        text = render_to_string("notifications/body.txt", context)
        html = render_to_string("notifications/body.html", context)
    email = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
    email.attach_alternative(html, "text/html")
    email.send()
