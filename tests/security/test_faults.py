"""Faults (issue 11): a worker killed mid-send and a database connection lost mid-request.

* A Celery worker is SIGKILLed while it sends a notification: nothing was sent, the row stays
  unsent, the unacknowledged task survives in Redis (acks_late) and is run again by the next
  worker; the owner's contact gets exactly one mail, also when the beat sweep runs as well.
* The request's PostgreSQL backend is terminated in the middle of an intake POST: the user
  gets the clean 503 page of config.middleware, and no report, ticket, photo row or file is left.

The worker test needs Redis on 127.0.0.1:6379 (skipped otherwise) and starts real
``celery worker --pool=solo`` processes against the test database.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction
from django.urls import reverse

from config.celery_app import app
from config.settings.broker import redis_answers
from tests.sla.test_celery_worker import mails, point_broker, wait_for
from tests.tickets.conftest import (
    jpeg_upload,
    new_report,
    world,  # noqa: F401  (the small lifecycle world)
)
from tests.tickets.test_frontdesk import intake_data
from tickets import notify
from tickets.models import Attachment, OutboxMessage, Report, ReportSequence, Ticket
from tickets.services import reports
from tickets.tasks import sweep_outbox

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 13  # tests/sla/test_celery_worker.py uses 11
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
SEND_DELAY = 30  # seconds the first worker "sends" for: it is killed long before that


# --- (a) the worker dies in the middle of a notification --------------------------------------


def database_url() -> str:
    return "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)


def start_worker(name: str, log: Path, mail_dir: Path, **extra_env) -> subprocess.Popen:
    """A solo-pool worker (the task runs in this very process) in its own process group."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.security.fault_worker",
        "DATABASE_URL": database_url(),
        "REDIS_URL": BROKER,
        "EMAIL_FILE_PATH": str(mail_dir),
        **{key: str(value) for key, value in extra_env.items()},
    }
    with log.open("wb") as out:
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
                f"--hostname={name}@%h",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def other_session_pids() -> set[int]:
    """Connections to the test database besides this one (a killed worker's lingers briefly)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.celery
@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_a_notification_loses_nothing_and_sends_once(world, tmp_path):  # noqa: F811
    import redis

    broker = redis.Redis.from_url(BROKER)
    old_broker = app.conf.broker_url
    point_broker(BROKER)
    mail_dir, marker = tmp_path / "mail", tmp_path / "send-started"
    mail_dir.mkdir()
    workers: list[subprocess.Popen] = []
    try:
        ticket = new_report(world).tickets.get()
        OutboxMessage.objects.all().delete()  # only the notification below is under test
        broker.flushdb()
        director = world.users["director"]
        director.email = "director@example.com"
        director.save(update_fields=["email"])

        first_log = tmp_path / "worker-1.log"
        before = other_session_pids()  # e.g. an earlier live server's idle connections
        workers.append(start_worker("first", first_log, mail_dir, FAULT_MARKER=marker, FAULT_SEND_DELAY=SEND_DELAY))
        with transaction.atomic():  # as a service does: the row, then the delivery task after the commit
            notify.queue("emergency_report", ticket=ticket, users=[director])
        msg = OutboxMessage.objects.get()

        # 1. The worker has taken the task and is in the middle of sending: kill it (SIGKILL, no shutdown).
        assert wait_for(lambda: marker.exists() or workers[0].poll() is not None, timeout=90)
        assert marker.exists(), first_log.read_text(errors="replace")[-3000:]
        assert int(marker.read_text()) == workers[0].pid  # the solo pool sends in the worker process itself
        os.killpg(workers[0].pid, signal.SIGKILL)
        assert workers[0].wait(timeout=10) == -signal.SIGKILL

        # Nothing went out, the row is unsent and untouched (its transaction died with the worker) …
        assert not list(mail_dir.iterdir())
        msg.refresh_from_db()
        assert (msg.sent_at, msg.attempts, msg.last_error) == (None, 0, "")
        # … and the task message was never acknowledged (acks_late): Redis still holds it.
        unacked = broker.hgetall("unacked")
        assert len(unacked) == 1
        headers = json.loads(next(iter(unacked.values())))[0]["headers"]
        assert headers["task"] == "tickets.tasks.deliver_outbox"
        task_id = headers["id"]
        assert wait_for(lambda: not (other_session_pids() - before), timeout=30), (
            "the killed worker's database session lingers"
        )

        # 2. A new worker puts the abandoned task back (visibility timeout) and runs it: the mail goes out.
        second_log = tmp_path / "worker-2.log"
        workers.append(start_worker("second", second_log, mail_dir, FAULT_VISIBILITY_TIMEOUT=1))
        assert wait_for(lambda: OutboxMessage.objects.filter(pk=msg.pk, sent_at__isnull=False).exists(), timeout=90), (
            second_log.read_text(errors="replace")[-3000:]
        )
        assert wait_for(lambda: f"deliver_outbox[{task_id}] succeeded" in second_log.read_text(errors="replace")), (
            second_log.read_text(errors="replace")[-3000:]
        )

        # 3. The beat's minute sweep runs as well: it finds nothing left to send.
        sweep_id = sweep_outbox.delay().id
        assert wait_for(lambda: f"sweep_outbox[{sweep_id}] succeeded" in second_log.read_text(errors="replace")), (
            second_log.read_text(errors="replace")[-3000:]
        )
    finally:
        for worker in workers:
            stop(worker)
        point_broker(old_broker)

    assert mails(mail_dir) == ["To: director@example.com"]
    assert len(list(mail_dir.glob("*.log"))) == 1
    msg.refresh_from_db()
    assert msg.sent_at is not None
    assert msg.attempts == 1
    assert broker.hlen("unacked") == 0
    broker.flushdb()


# --- (b) the database connection drops in the middle of a request -----------------------------


def terminate_backend_of(conn) -> None:
    """Kill the PostgreSQL backend serving ``conn`` from a separate connection, as a failover would."""
    pid = conn.connection.info.backend_pid
    params = conn.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_mid_intake_shows_a_clean_503_and_saves_nothing(
    client,
    world,  # noqa: F811
    settings,
    monkeypatch,
    caplog,
):
    media = Path(settings.MEDIA_ROOT)
    client.force_login(world.users["front_desk"])
    data = intake_data(world)
    data["defects-0-photos"] = jpeg_upload()

    # The report and its first ticket (with the photo on disk) are written; before the second
    # ticket the connection's backend is terminated, so the next query fails.
    written_before_the_drop: list[Path] = []
    write_ticket = reports._write_ticket

    def write_ticket_then_lose_the_database(report, n, defect, **kwargs):
        if n == 2:
            written_before_the_drop.extend(files_under(media))
            terminate_backend_of(connection)
        return write_ticket(report, n, defect, **kwargs)

    monkeypatch.setattr(reports, "_write_ticket", write_ticket_then_lose_the_database)
    with caplog.at_level(logging.ERROR, logger="config.middleware"):
        response = client.post(reverse("tickets:intake"), data)

    html = response.content.decode()
    assert response.status_code == 503, html[:2000]
    assert response["Retry-After"] == "30"
    assert "<h1>Service temporarily unavailable</h1>" in html
    assert "Please wait a moment and try again." in html
    for leak in ("Traceback", "OperationalError", "psycopg", "terminating connection", "SELECT"):
        assert leak not in html
    # The log says what happened, without the caller's personal data.
    (record,) = [r for r in caplog.records if r.name == "config.middleware"]
    logged = record.getMessage()
    assert "OperationalError" in logged and "tickets:intake" in logged
    for personal in (world.owner.name, "13812345678", str(world.unit), "front_desk"):
        assert personal not in logged

    # The photo of the first ticket had reached the disk before the drop; it was removed with the rollback.
    assert written_before_the_drop
    connection.close()  # reconnect for the checks
    assert not files_under(media)
    assert not Report.objects.exists()
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not ReportSequence.objects.filter(last__gt=0).exists()
    assert not Report.history.exists() and not Ticket.history.exists()
    assert not OutboxMessage.objects.exists()

    # The database is back: the same intake goes through, numbered as if the failed attempt never happened.
    monkeypatch.setattr(reports, "_write_ticket", write_ticket)
    data["defects-0-photos"] = jpeg_upload()
    response = client.post(reverse("tickets:intake"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Report.objects.get().number.endswith("-001")
    assert Ticket.objects.count() == 2
