"""Deliver outbox rows. Each row is locked while it is sent and marked sent in the same transaction.

Delivery is at-least-once towards the mail server in one narrow case only: the
send succeeds and the database commit that marks the row fails. Every other
outage (broker, worker, mail server) leaves the row unsent and due, and the
next sweep picks it up.
"""

import contextlib
import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from .channels import Rendered, get_channel
from .models import OutboxMessage

logger = logging.getLogger(__name__)
MAX_BATCH = 200
MAX_BACKOFF_MINUTES = 240


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8 … minutes after each failure, at most 4 hours."""
    return dt.timedelta(minutes=min(2**attempts, MAX_BACKOFF_MINUTES))


def deliver_due(now=None, *, limit: int = MAX_BATCH) -> int:
    """Send every unsent, due row (skipping rows another worker holds). Returns the number sent."""
    now = now or timezone.now()
    sent = 0
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            msg = (
                OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
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
                msg.next_attempt_at = timezone.now() + backoff(msg.attempts)
                msg.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.warning("Outbox %s failed (attempt %s)", msg.pk, msg.attempts)
                continue
            msg.sent_at = timezone.now()
            msg.attempts += 1
            msg.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent


def render(msg: OutboxMessage) -> Rendered | None:
    """Subject, text and HTML in the recipient's language; None when there is nobody to reach."""
    address = msg.recipient_address or (msg.recipient.email if msg.recipient else "")
    if not address:
        return None
    language = getattr(msg.recipient, "language", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            **msg.context,  # first: its "ticket" is the number, the template wants the ticket
            "msg": msg,
            "ticket": msg.ticket,
            "site_url": settings.SITE_URL,
            **_labels(msg.context),
            **_times(msg.context),
            **_links(msg),
        }
        subject = " ".join(render_to_string("notifications/subject.txt", context).split())
        text = render_to_string("notifications/body.txt", context)
        html = render_to_string("notifications/body.html", context)
    return Rendered(address=address, subject=subject, text=text, html=html)


def send(msg: OutboxMessage) -> None:
    rendered = render(msg)
    if rendered is None:
        return  # nobody to reach: marked sent so it is not retried forever
    get_channel(msg.channel).send(rendered)


def _labels(context: dict) -> dict:
    """Readable names (in the active language) for the codes SLA and escalation messages carry."""
    from .models import Escalation, SlaPolicy

    labels = {}
    if context.get("policy") in SlaPolicy.Code.values:
        labels["policy_label"] = SlaPolicy.Code(context["policy"]).label
    if context.get("reason") in Escalation.Reason.values:
        labels["reason_label"] = Escalation.Reason(context["reason"]).label
    return labels


def _links(msg: OutboxMessage) -> dict:
    """Absolute links; a page that does not exist (yet) leaves its link out instead of failing the send."""
    links = {}
    if msg.ticket is not None:
        with contextlib.suppress(NoReverseMatch):
            links["ticket_url"] = settings.SITE_URL + msg.ticket.get_absolute_url()
    if msg.context.get("escalation"):
        with contextlib.suppress(NoReverseMatch):
            links["escalation_url"] = settings.SITE_URL + reverse(
                "escalations:detail", args=[msg.context["escalation"]]
            )
    return links


def _times(context: dict) -> dict:
    labels = {}
    for key in ("due_at",):
        if context.get(key):
            labels[f"{key}_local"] = timezone.localtime(dt.datetime.fromisoformat(context[key]))
    return labels
