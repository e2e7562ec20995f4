"""Menu entries of the ticket pages, by role (see warranty.navigation)."""

from django.utils.translation import gettext_lazy as _

from warranty.navigation import ROLE_HOME, register  # noqa: F401
from warranty.roles import Role

# --- front desk pages -------------------------------------------------------------
# (entries for intake, queues, search)


# --- field pages (steward tablet, contractor) ---------------------------------------
# (entries for my day, my tickets, contractor notices)


# --- supervisors ------------------------------------------------------------------------
# (entries for escalations, reports, dashboards)

_SUPERVISORS = (Role.DIRECTOR, Role.PROJECT_GM, Role.ENGINEER)
register(_("Dashboard"), "reporting:dashboard", _SUPERVISORS, order=60)
register(_("Monthly statistics"), "reporting:statistics_month", _SUPERVISORS, order=61)
register(_("Engineering warnings"), "reporting:warnings", _SUPERVISORS, order=62)
register(
    _("Daily reports"),
    "reporting:daily_list",
    (*_SUPERVISORS, Role.STEWARD, Role.FRONT_DESK, Role.PROJECT_DEPT, Role.CUSTOMER_SERVICE),
    order=63,
)
