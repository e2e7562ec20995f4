"""Two agents submit the same callback at once (PostgreSQL row locks, real connections)."""

import pytest

from callbacks import services as cs
from callbacks.models import Callback, CallbackAttempt
from tests.tickets.lifecycle import advance, fresh, new_ticket
from tests.tickets.test_concurrency import run_in_threads
from tickets.models import Resolution, State

pytestmark = pytest.mark.django_db(transaction=True)


def test_double_submitted_callback_archives_once(world):
    ticket = advance(world, new_ticket(world), State.CALLBACK)
    callback = Callback.objects.get(ticket=ticket)
    agents = [world.users["customer_service"], world.users["director"]]
    answer = cs.CallbackAnswer(
        reached=True, resolved=True, quality="satisfied", attitude="satisfied", timeliness="satisfied"
    )

    results = run_in_threads(2, lambda i: cs.callback_record(callback=callback, by=agents[i], answer=answer))

    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, cs.NotAllowed | cs.ReadOnly)
    ticket = fresh(ticket)
    assert ticket.state == State.ARCHIVED and ticket.resolution == Resolution.RESOLVED
    assert ticket.timeline.filter(verb="archive").count() == 1
    assert CallbackAttempt.objects.filter(callback=callback).count() == 1
