"""With a real Celery worker and the real Redis: a broker outage loses no notification and sends none twice.

Needs Redis on 127.0.0.1:6379 (skipped otherwise). Run with ``-m celery``.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery_app import app
from config.settings.broker import redis_answers
from tickets.models import OutboxMessage, Ticket
from tickets.tasks import sweep_outbox

from .conftest import build_world

REDIS_DB = 11
BROKER_UP = f"redis://127.0.0.1:6379/{REDIS_DB}"
BROKER_DOWN = "redis://127.0.0.1:6390/0"  # nothing listens there
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379"),
]


def point_broker(url: str) -> None:
    """Make this process publish to ``url`` (Celery caches its connection and producer pools)."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    old = app.conf.broker_url
    point_broker(BROKER_DOWN)
    yield
    point_broker(old)


def start_worker(mail_dir: Path) -> subprocess.Popen:
    import redis

    redis.Redis.from_url(BROKER_UP).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.sla.celery_settings",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
        "REDIS_URL": BROKER_UP,
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def mails(mail_dir: Path) -> list[str]:
    """Every message the worker wrote (the file backend writes one file per connection)."""
    text = "".join(p.read_text() for p in sorted(mail_dir.glob("*.log")))
    return [line for line in text.splitlines() if line.startswith("To: ")]


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_ticket_created_while_the_broker_is_down_is_delivered_once_when_it_is_back(broker_down, tmp_path):
    world = build_world()
    for user in world.users.values():
        user.email = f"{user.username}@example.com"
        user.save()

    # 1. The broker is unreachable: the ticket and its outbox rows are still saved (kick() only logs).
    ticket = emergency_report(world)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    rows = OutboxMessage.objects.filter(ticket=ticket, event="emergency_report")
    assert set(rows.values_list("recipient__username", flat=True)) == {"director", "steward"}
    assert not rows.filter(sent_at__isnull=False).exists()

    # 2. The broker is back: a worker starts, and the beat sweep runs (twice, as a retried task would).
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    point_broker(BROKER_UP)
    worker = start_worker(mail_dir)
    try:
        sweep_outbox.delay()
        sweep_outbox.delay()
        assert wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists()), (
            "the worker did not deliver in time"
        )
        sweep_outbox.delay()
        time.sleep(3)  # let any duplicate delivery show itself
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")

    sent = mails(mail_dir)
    expected = OutboxMessage.objects.count()
    assert len(sent) == expected, output[-3000:]
    assert sorted(sent) == sorted(f"To: {u}" for u in OutboxMessage.objects.values_list("recipient_address", flat=True))
    assert all(row.attempts == 1 for row in OutboxMessage.objects.all())


def emergency_report(world):
    from tests.factories import category
    from tickets import services as s
    from tickets.models import Location

    return s.report_create(
        by=world.users["front_desk"],
        unit=world.unit,
        reporter_name="业主",
        contact_phone="13800000000",
        is_emergency=True,
        defects=[
            s.DefectInput(location=Location.KITCHEN, category=category("plumbing_electrical"), description="漏水")
        ],
    ).tickets.get()
