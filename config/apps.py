"""Application configs of third-party packages, with names in the product's languages."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes (login lockout) under a name the admin can show in Chinese."""

    verbose_name = _("Login lockout")
