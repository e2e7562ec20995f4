from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Repair tickets")

    def ready(self):
        from . import navigation  # noqa: F401  (registers the menu entries)
