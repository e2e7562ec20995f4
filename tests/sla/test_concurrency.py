"""On PostgreSQL, two sweeps at the same moment: every breach is recorded and notified exactly once."""

import threading

import pytest
from django.db import connection

from tickets.models import Escalation, OutboxMessage, SlaAlert, SlaClock
from tickets.sla import sweep_clocks

from .conftest import build_world, local
from .test_detectors import report


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_notify_each_breach_once(time_machine):
    time_machine.move_to(local(2026, 9, 28, 10, 0), tick=False)
    world = build_world()
    from tests.factories import UnitFactory

    for i in range(24):
        report(world, UnitFactory(building=world.building, number=f"9-9-{i}"))
    OutboxMessage.objects.all().delete()
    clocks = SlaClock.objects.filter(stopped_at__isnull=True).count()
    assert clocks == 24 * 3
    now = local(2026, 10, 30, 10, 0)  # every clock is past due

    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(sweep_clocks(now=now, batch_size=4))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sum(r.breach for r in results) == clocks
    assert SlaAlert.objects.filter(level="breach").count() == clocks
    # Every notification either sweep wrote is in the table once: nothing was offered twice.
    assert sum(r.notifications for r in results) == OutboxMessage.objects.filter(event__startswith="sla_").count() > 0
    assert sum(r.escalations_raised for r in results) == Escalation.objects.filter(reason="open_7_days").count() == 24
    keys = list(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    # Both sweeps took part (SKIP LOCKED let the second take other rows instead of waiting).
    assert all(r.breach > 0 for r in results)
    assert sweep_clocks(now=now).alerts == 0
