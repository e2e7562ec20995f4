"""``ticket_event`` is sent for every timeline row, inside the business transaction.

Receivers (SLA clocks, escalation detectors) write their own rows in the same
transaction, so a rollback undoes them too. Arguments: ``ticket`` and
``event`` (the TimelineEvent; ``event.verb`` is the transition or record name).

One exception: the ``escalated_*`` rows that the SLA sweep writes in bulk
(tickets.escalations.raise_for_breached_clocks) are not sent. They are the
escalations' own echo, and no receiver may act on them (the SLA receiver ignores
``escalated_*`` for every sender).
"""

from django.dispatch import Signal

ticket_event = Signal()
