"""Delivery channels: how a rendered outbox message reaches a person.

Email is the only real channel so far; SMS and WeChat will implement the same
:class:`Channel` interface. A channel without a configured backend logs the
message instead (``LoggingChannel``), so nothing waits forever for a backend
that does not exist yet. ``settings.NOTIFICATION_CHANNELS`` maps a channel
name to a dotted class path and is read at send time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Rendered:
    address: str
    subject: str
    text: str
    html: str = ""


class Channel:
    """Send one rendered message; raise on failure so the outbox retries with backoff."""

    name = ""

    def send(self, message: Rendered) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def send(self, message: Rendered) -> None:
        email = EmailMultiAlternatives(message.subject, message.text, settings.DEFAULT_FROM_EMAIL, [message.address])
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send()


class LoggingChannel(Channel):
    """Writes the message to the log: the default for channels that have no backend yet."""

    name = "log"

    def send(self, message: Rendered) -> None:
        logger.info("notification to %s: %s", message.address, message.subject)


DEFAULT_CHANNELS = {"email": "tickets.channels.EmailChannel"}


def get_channel(name: str) -> Channel:
    configured = {**DEFAULT_CHANNELS, **getattr(settings, "NOTIFICATION_CHANNELS", {})}
    path = configured.get(name)
    return import_string(path)() if path else LoggingChannel()
