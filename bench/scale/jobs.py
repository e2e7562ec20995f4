"""The one place the bench calls the SLA sweep, the daily report and the dashboard.

They are being optimised elsewhere (tickets/sla, tickets/reporting); the bench only calls their
public functions, here. If the dashboard comes to need a summary table filled before it can answer,
fill it in :func:`prepare_reporting` (the bench calls it once, after seeding, and times it).
"""

from __future__ import annotations

import datetime as dt

DASHBOARD_URL = "/reports/dashboard/"


def prepare_reporting() -> None:
    """Whatever the reporting needs after a bulk load (nothing yet: it reads the tickets directly)."""


def sla_sweep(now: dt.datetime):
    from tickets.sla.sweep import sweep_clocks

    return sweep_clocks(now=now)


def daily_report(project, day: dt.date) -> dict:
    from tickets.reporting.daily import daily_report_build

    return daily_report_build(project, day)


def dashboard(project_ids, first: dt.date, last: dt.date) -> dict:
    """The dashboard's numbers for ``project_ids`` (None: every project) over [first, last]."""
    from tickets.reporting import kpis
    from tickets.reporting.views import dashboard_data

    start, end = kpis.period_bounds(first, last)
    ids = None if project_ids is None else frozenset(project_ids)
    return dashboard_data(kpis.Filters(project_ids=ids, start=start, end=end))


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    from tickets.reporting.views import default_period

    return default_period(today)
