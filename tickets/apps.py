from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Repair tickets")

    def ready(self):
        from . import (
            batches,  # noqa: F401  (tickets follow their unit's delivery batch)
            navigation,  # noqa: F401  (registers the menu entries)
            queue_counts,
        )
        from . import sla as _sla  # noqa: F401  (connects the SLA clocks and escalation detectors to ticket_event)

        queue_counts.connect()
