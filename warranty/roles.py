"""The roles of DOMAIN §1 as Django groups, and which page each role starts on."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    STEWARD = "steward", _("Warranty steward")
    DIRECTOR = "director", _("Warranty director")
    ENGINEER = "engineer", _("Warranty engineer")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    PROJECT_GM = "project_gm", _("Project general manager")
    CONTRACTOR = "contractor", _("Contractor")
    PROJECT_DEPT = "project_dept", _("Project department")
    FINANCE = "finance", _("Finance")


# Roles that work in the Django admin (they get is_staff and model permissions).
ADMIN_ROLES = {Role.DIRECTOR, Role.PROJECT_DEPT, Role.FINANCE}
