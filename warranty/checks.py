"""System checks for the registry: a warning when the workday calendar lacks a year's holidays."""

from django.core.checks import Warning, register
from django.db import DatabaseError


@register()
def calendar_years_check(app_configs, **kwargs):
    from .calendar import missing_years_warning_years

    try:
        years = missing_years_warning_years()
    except DatabaseError:  # the table may not exist yet (before migrate), or the database is down
        return []
    return [
        Warning(
            f"The workday calendar has no holidays for {year}: Monday–Friday is assumed. "
            "Add the official holidays and make-up workdays in the admin (Calendar days).",
            id="warranty.W001",
            obj=str(year),
        )
        for year in years
    ]
