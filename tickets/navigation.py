"""Menu entries of the ticket pages, by role (see warranty.navigation)."""

from django.utils.translation import gettext_lazy as _

from warranty.navigation import ROLE_HOME, register  # noqa: F401
from warranty.roles import Role

# --- front desk pages -------------------------------------------------------------
_FRONT = ["front_desk", "customer_service", "director"]
register(_("Intake"), "tickets:intake", [*_FRONT, "steward"], order=10)
register(_("Work queues"), "tickets:queues", _FRONT, order=11)
register(_("Search"), "tickets:search", _FRONT, order=12)
ROLE_HOME["front_desk"] = "tickets:queues"


# --- field pages (steward tablet, contractor) ---------------------------------------
_FIELD_ROLES = ["steward", "director", "engineer"]
register(_("My day"), "tickets:field_my_day", _FIELD_ROLES, order=20)
register(_("My tickets"), "tickets:field_my_tickets", _FIELD_ROLES, order=21)
register(_("Plan approvals"), "tickets:field_approvals", ["director"], order=22)
register(_("Sign-offs"), "tickets:field_signoff_queue", ["director", "customer_service", "project_gm"], order=23)
register(_("Dispatch notices"), "tickets:contractor_notices", ["contractor"], order=20)
ROLE_HOME["steward"] = "tickets:field_my_day"
ROLE_HOME["engineer"] = "tickets:field_my_day"
ROLE_HOME["contractor"] = "tickets:contractor_notices"


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

# Where the other roles start: supervisors on the dashboard, the GM on the escalations, customer service on
# the callback queue, the project department and finance in the admin, where their work lives.
ROLE_HOME["director"] = "reporting:dashboard"
ROLE_HOME["project_gm"] = "escalations:list"
ROLE_HOME["customer_service"] = "callbacks:queue"
ROLE_HOME["project_dept"] = "admin:index"
ROLE_HOME["finance"] = "admin:index"
