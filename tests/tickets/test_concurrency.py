"""Races on PostgreSQL: real connections in threads, real row locks."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from tests.threads import run_in_threads
from tickets import services as s
from tickets.models import Report, State, Ticket

from .conftest import new_report
from .lifecycle import fresh

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_connections_race_the_same_transition(world):
    assert connection.vendor == "postgresql"
    ticket = new_report(world, confirm=False).tickets.get()
    copies = [Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)]
    actors = [world.users["front_desk"], world.users["director"]]

    results = run_in_threads(2, lambda i: s.ticket_confirm(ticket=copies[i], by=actors[i], note=f"thread {i}"))

    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, s.Conflict)
    assert "changed this ticket" in str(error)
    ticket = fresh(ticket)
    assert ticket.state == State.TRIAGE
    assert ticket.timeline.filter(verb="confirm").count() == 1
    assert ticket.history.filter(state=State.TRIAGE).count() == 1


def test_fifty_reports_at_once_get_fifty_consecutive_numbers(world):
    def create(i):
        return new_report(world).number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda i: _in_thread(create, i), range(50)))
    assert len(set(numbers)) == 50
    prefix = numbers[0].rsplit("-", 1)[0]
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 51))
    assert all(n.startswith(prefix) for n in numbers)
    assert Report.objects.count() == 50


def _in_thread(fn, i):
    try:
        return fn(i)
    finally:
        connections.close_all()
