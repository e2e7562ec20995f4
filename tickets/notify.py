"""Write notifications to the outbox inside the business transaction.

Rows are unique by ``dedupe_key``; writing the same one twice is a no-op.
After the commit a delivery task is queued; if the broker is down the row
waits for the next sweep (tickets.tasks.sweep_outbox).
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction

from warranty.selectors import staff_with_role

from .models import OutboxMessage

logger = logging.getLogger(__name__)


@dataclass
class Message:
    """One notification to one user, before it becomes an outbox row."""

    event: str
    user: object
    ticket: object = None
    context: dict = field(default_factory=dict)
    key: str = ""
    channel: str = "email"

    def row(self) -> OutboxMessage:
        ticket, user = self.ticket, self.user
        return OutboxMessage(
            event=self.event,
            dedupe_key=f"{self.event}:{ticket.pk if ticket else '-'}:{user.pk}:{self.key}"[:200],
            ticket=ticket,
            recipient=user,
            recipient_address=user.email,
            channel=self.channel,
            context={"ticket": ticket.number if ticket else "", **self.context},
        )


def queue_bulk(messages: list[Message]) -> int:
    """Write many notifications in one insert; returns how many were offered (duplicates are skipped)."""
    rows = [m.row() for m in messages if m.user is not None]
    if not rows:
        return 0
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    transaction.on_commit(kick)
    return len(rows)


def queue(event: str, *, ticket=None, users=(), context: dict | None = None, key: str = "") -> int:
    """Queue ``event`` for each user; returns how many rows were offered (duplicates are skipped)."""
    return queue_bulk([Message(event=event, user=u, ticket=ticket, context=context or {}, key=key) for u in users])


def queue_role(event: str, *, ticket, role: str, context: dict | None = None, key: str = "") -> int:
    """Queue ``event`` for the users of ``role`` who serve the ticket's project."""
    return queue(event, ticket=ticket, users=list(staff_with_role(ticket.project_id, role)), context=context, key=key)


def kick() -> None:
    """Ask a worker to deliver now; a broker outage only delays delivery until the next sweep."""
    try:
        from .tasks import deliver_outbox

        deliver_outbox.apply_async(retry=False)
    except Exception:  # broker unreachable: the beat sweep will pick the rows up
        logger.warning("Could not queue outbox delivery now; the sweep will retry", exc_info=False)
