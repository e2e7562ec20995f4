"""The default SLA policies of DOMAIN §4 (seeded by migration 0004; editable per project in the admin).

Plain data, so the seeding migration and the tests read the same numbers.
"""

LADDER = ["steward", "director", "project_gm"]

DEFAULT_POLICIES: list[dict] = [
    {
        # The warranty center reaches the owner within 2 hours of the report.
        "code": "first_contact",
        "start_events": ["reported", "created_as_repeat"],
        "stop_events": ["contact_first_contact_reached"],
        "anchor": "ticket_created",
        "target": 2,
        "unit": "hours",
        "calendar": "working_hours",
        "warn_roles": ["front_desk"],
        "breach_roles": ["front_desk", "director"],
        "ladder": LADDER,
    },
    {
        # General (and simple) defects: plan and dispatch within 2 hours of the report.
        "code": "dispatch_general",
        "start_events": ["reported", "created_as_repeat"],
        "stop_events": ["dispatch"],
        "anchor": "ticket_created",
        "target": 2,
        "unit": "hours",
        "calendar": "working_hours",
        "warn_roles": ["steward", "front_desk"],
        "breach_roles": ["director"],
        "ladder": LADDER,
    },
    {
        # Complex defects: the director's plan and the dispatch within 12 hours of the report.
        "code": "dispatch_complex",
        "start_events": ["triage"],
        "stop_events": ["dispatch"],
        "anchor": "ticket_created",
        "target": 12,
        "unit": "hours",
        "calendar": "working_hours",
        "warn_roles": ["director", "engineer"],
        "breach_roles": ["director"],
        "ladder": LADDER,
    },
    {
        # Not finished 7 days after the report: escalated to the project GM at once (DOMAIN §5).
        "code": "repair_finished",
        "start_events": ["reported", "created_as_repeat", "return_to_repair"],
        "stop_events": ["complete_repair"],
        "anchor": "ticket_created",
        "target": 7,
        "unit": "days",
        "calendar": "24x7",
        "warn_roles": ["steward"],
        "breach_roles": ["director", "project_gm"],
        "ladder": LADDER,
        "escalation_reason": "open_7_days",
    },
    {
        # Multi-day repairs: progress feedback to the owner at least every 2 days.
        "code": "progress_feedback",
        "start_events": ["dispatch", "contact_progress_reached"],
        "stop_events": ["contact_progress_reached", "complete_repair", "withdraw_dispatch"],
        "anchor": "event",
        "target": 48,
        "unit": "hours",
        "calendar": "24x7",
        "warn_roles": ["steward"],
        "breach_roles": ["steward", "director"],
        "ladder": LADDER,
    },
    {
        # Long repairs: 3 times a week (every 56 hours).
        "code": "progress_feedback_long",
        "start_events": ["dispatch", "contact_progress_reached"],
        "stop_events": ["contact_progress_reached", "complete_repair", "withdraw_dispatch"],
        "anchor": "event",
        "target": 56,
        "unit": "hours",
        "calendar": "24x7",
        "warn_roles": ["steward"],
        "breach_roles": ["steward", "director"],
        "ladder": LADDER,
    },
    {
        # Owner not reached with the completion notice: try again every other day.
        "code": "owner_retry",
        "start_events": ["contact_completion_not_reached"],
        "stop_events": ["contact_completion_not_reached", "contact_completion_reached"],
        "anchor": "event",
        "target": 2,
        "unit": "days",
        "calendar": "24x7",
        "warn_roles": ["front_desk"],
        "breach_roles": ["front_desk", "customer_service"],
        "ladder": ["front_desk", "director"],
    },
    {
        # Callback within 1–3 workdays of completion (sign-off).
        "code": "callback",
        "start_events": ["sign_off"],
        "stop_events": ["archive", "reopen"],
        "anchor": "event",
        "target": 3,
        "unit": "workdays",
        "calendar": "working_hours",
        "warn_roles": ["customer_service"],
        "breach_roles": ["customer_service", "director"],
        "ladder": ["customer_service", "director", "project_gm"],
    },
    {
        # The project department opens the warranty-fund ledger within 1 month of a batch's delivery.
        # Started by tickets.sla.ensure_ledger_clocks; stopped by the settlements app via stop_clocks().
        "code": "warranty_fund_ledger",
        "start_events": [],
        "stop_events": [],
        "anchor": "event",
        "target": 1,
        "unit": "months",
        "calendar": "24x7",
        "warn_roles": ["project_dept"],
        "breach_roles": ["project_dept", "director"],
        "ladder": ["project_dept", "director", "project_gm"],
    },
]
