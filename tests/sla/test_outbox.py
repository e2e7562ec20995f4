"""Outbox delivery: HTML + text in the recipient's language, marked sent once, retried with backoff."""

import datetime as dt

import pytest
from django.core import mail

from tickets.channels import LoggingChannel
from tickets.delivery import deliver_due
from tickets.models import OutboxMessage
from tickets.sla import sweep_clocks

from .conftest import local
from .test_detectors import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def breach(sla_world, at):
    """A first-contact breach told to the front desk (English) and the director (Chinese)."""
    sla_world.users["front_desk"].language = "en"
    sla_world.users["front_desk"].save()
    at(local(2026, 9, 28, 10, 0))
    ticket = report(sla_world)
    OutboxMessage.objects.all().delete()
    at(local(2026, 9, 28, 12, 0))
    sweep_clocks()
    return ticket


def test_breach_mail_is_sent_once_in_each_recipients_language(breach, sla_world):
    rows = OutboxMessage.objects.filter(event="sla_breach", context__policy="first_contact")
    assert set(rows.values_list("recipient__username", flat=True)) == {"front_desk", "director"}
    sent = deliver_due()
    assert sent == OutboxMessage.objects.count()
    by_address = {m.to[0]: m for m in mail.outbox}
    english = by_address["front_desk@example.com"]
    assert "Overdue: First contact with the owner" in english.subject and breach.number in english.subject
    assert "Due at: 2026-09-28 12:00" in english.body
    html, mime = english.alternatives[0]
    assert mime == "text/html" and breach.number in html
    chinese = by_address["director@example.com"]
    assert "First contact with the owner" not in chinese.subject  # rendered in zh-hans, not English
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert deliver_due() == 0 and len(mail.outbox) == sent


def test_a_mail_outage_backs_off_and_loses_nothing(breach, at, monkeypatch):
    def down(self, message):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("tickets.channels.EmailChannel.send", down)
    now = at(local(2026, 9, 28, 12, 1))
    assert deliver_due() == 0
    row = OutboxMessage.objects.filter(event="sla_breach").first()
    assert row.attempts == 1 and row.sent_at is None and "smtp down" in row.last_error
    assert row.next_attempt_at == now + dt.timedelta(minutes=2)
    at(now + dt.timedelta(minutes=1))
    assert deliver_due() == 0  # not yet due again
    assert OutboxMessage.objects.get(pk=row.pk).attempts == 1
    monkeypatch.undo()
    at(now + dt.timedelta(minutes=2))
    assert deliver_due() == OutboxMessage.objects.count()
    assert OutboxMessage.objects.get(pk=row.pk).sent_at is not None
    assert len(mail.outbox) == OutboxMessage.objects.count()


def test_channels_without_a_backend_log_instead(breach, caplog):
    OutboxMessage.objects.update(channel="wechat")
    with caplog.at_level("INFO", logger="tickets.channels"):
        deliver_due()
    assert not mail.outbox
    assert "notification to" in caplog.text
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_configured_channel_is_used(breach, settings):
    settings.NOTIFICATION_CHANNELS = {"email": "tickets.channels.LoggingChannel"}
    deliver_due()
    assert not mail.outbox
    assert isinstance(LoggingChannel(), LoggingChannel)


def test_outbox_rows_roll_back_with_the_business_transaction(sla_world, at):
    from django.db import transaction

    at(local(2026, 9, 28, 10, 0))
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        report(sla_world)
        report(sla_world)  # a repeat: escalation and its outbox rows are written
        assert OutboxMessage.objects.count() > before
        raise RuntimeError
    assert OutboxMessage.objects.count() == before
