"""Views of the ticket pages: front desk (``frontdesk``), field work, and shared helpers (``common``)."""
