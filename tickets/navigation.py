"""Menu entries of the ticket pages, by role (see warranty.navigation)."""

from django.utils.translation import gettext_lazy as _

from warranty.navigation import ROLE_HOME, register  # noqa: F401

# --- front desk pages -------------------------------------------------------------
_FRONT = ["front_desk", "customer_service", "director"]
register(_("Intake"), "tickets:intake", [*_FRONT, "steward"], order=10)
register(_("Work queues"), "tickets:queues", _FRONT, order=11)
register(_("Search"), "tickets:search", _FRONT, order=12)
ROLE_HOME["front_desk"] = "tickets:queues"


# --- field pages (steward tablet, contractor) ---------------------------------------
# (entries for my day, my tickets, contractor notices)


# --- supervisors ------------------------------------------------------------------------
# (entries for escalations, reports, dashboards)
