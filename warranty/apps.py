from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarrantyConfig(AppConfig):
    name = "warranty"
    verbose_name = _("Property registry and warranty coverage")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from config.middleware import SessionRenewalMiddleware

        from . import checks  # noqa: F401  (registers the system checks)

        user_logged_in.connect(SessionRenewalMiddleware.on_login, dispatch_uid="session_renewed_at_login")
