from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "callbacks"
    verbose_name = _("Callbacks")

    def ready(self):
        from tickets.signals import ticket_event

        from . import navigation  # noqa: F401  (registers the menu entries)
        from .services import on_ticket_event

        ticket_event.connect(on_ticket_event, dispatch_uid="callbacks.open_callback_on_sign_off")
