"""Beat schedules are created in code: setup_schedules writes the SLA and outbox sweeps (idempotent)."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery_app import app

pytestmark = pytest.mark.django_db


def test_setup_schedules_writes_the_sweeps_every_minute():
    call_command("setup_schedules")
    call_command("setup_schedules")
    sweep = PeriodicTask.objects.get(name="sla: sweep clocks")
    assert sweep.task == "tickets.tasks.sweep_sla_clocks"
    assert (sweep.interval.every, sweep.interval.period) == (60, "seconds")
    outbox = PeriodicTask.objects.get(name="outbox: deliver unsent")
    assert outbox.task == "tickets.tasks.sweep_outbox" and outbox.interval.every == 60
    ledger = PeriodicTask.objects.get(name="sla: start warranty-fund ledger clocks")
    assert ledger.crontab.hour == "1"
    app.loader.import_default_modules()
    for task in PeriodicTask.objects.exclude(name__startswith="celery."):
        assert task.task in app.tasks, task.task


def test_the_tasks_run_their_services(sla_world, at):
    from tickets import tasks

    from .conftest import local
    from .test_detectors import report

    at(local(2026, 9, 28, 10, 0))
    report(sla_world)
    at(local(2026, 9, 28, 12, 0))
    assert tasks.sweep_sla_clocks() > 0
    assert tasks.sweep_sla_clocks() == 0
    assert tasks.sweep_outbox() > 0
    assert tasks.start_ledger_clocks() == 0  # the world's batch was delivered long ago
