"""``ticket_event`` is sent for every timeline row, inside the business transaction.

Receivers (SLA clocks, escalation detectors) write their own rows in the same
transaction, so a rollback undoes them too. Arguments: ``ticket`` and
``event`` (the TimelineEvent; ``event.verb`` is the transition or record name).
"""

from django.dispatch import Signal

ticket_event = Signal()
