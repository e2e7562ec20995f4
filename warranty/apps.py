from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarrantyConfig(AppConfig):
    name = "warranty"
    verbose_name = _("Property registry and warranty coverage")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
