"""Menu entries of the callback pages, by role (see warranty.navigation)."""

from django.utils.translation import gettext_lazy as _

from warranty.navigation import register
from warranty.roles import Role

CS = (Role.CUSTOMER_SERVICE, Role.DIRECTOR)

register(_("Callbacks"), "callbacks:queue", CS, order=40)
register(
    _("Completion notices"),
    "callbacks:notifications",
    (Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.DIRECTOR),
    order=41,
)
register(_("Follow-up cases"), "callbacks:follow_ups", CS, order=42)
register(_("Joint re-inspections"), "callbacks:reinspections", CS, order=43)
register(_("Contact changes"), "callbacks:contact_changes", (Role.CUSTOMER_SERVICE,), order=44)
register(_("Extended care"), "callbacks:extended_care", CS, order=45)
register(_("Satisfaction surveys"), "callbacks:surveys", CS, order=46)
register(_("Dossier access log"), "callbacks:access_log", (Role.DIRECTOR,), order=47)
