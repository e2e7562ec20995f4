"""Template tags for the admin pages."""

from django import template

from warranty import calendar

register = template.Library()


@register.simple_tag
def calendar_missing_years() -> list[int]:
    """Years in use whose official holidays are missing from the workday calendar."""
    return calendar.missing_years_warning_years()
