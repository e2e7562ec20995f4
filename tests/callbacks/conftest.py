"""Callback tests reuse the lifecycle world (one project, a unit, an owner, one user per role)."""

import pytest

from tests.tickets.conftest import world  # noqa: F401  (the fixture)
from tests.tickets.lifecycle import advance, new_ticket
from tickets.models import State


@pytest.fixture
def in_callback(world):  # noqa: F811
    """A ticket signed off by the owner: in callback, with its Callback and notification round."""
    return advance(world, new_ticket(world), State.CALLBACK)
