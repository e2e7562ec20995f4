"""Menu entries of the ticket pages, by role (see warranty.navigation)."""

from warranty.navigation import ROLE_HOME, register  # noqa: F401

# --- front desk pages -------------------------------------------------------------
# (entries for intake, queues, search)


# --- field pages (steward tablet, contractor) ---------------------------------------
# (entries for my day, my tickets, contractor notices)


# --- supervisors ------------------------------------------------------------------------
# (entries for escalations, reports, dashboards)
