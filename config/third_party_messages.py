"""Messages of third-party packages that have no Simplified Chinese translation of their own.

``makemessages`` collects only this project's sources; marking the strings here brings them into the
project's catalog (``locale/``), which Django consults before the packages' own catalogs. Nothing
needs to import this module.
"""

from django.utils.translation import gettext_noop as _

MESSAGES = [
    # Django 5.2's admin index: the headers of its tables for screen readers.
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    # django-axes (login lockout) in the admin.
    _("access attempt"),
    _("access attempts"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("Access Attempt"),
    _("Access lock out"),
    _("Attempt Remaining"),
    _("Attempt Time"),
    _("Clean up expired attempts"),
    _("Expires At"),
    _("Failed Logins"),
    _("Form Data"),
    _("GET Data"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Locked Out"),
    _("Logout Time"),
    _("Meta Data"),
    _("Not set"),
    _("POST Data"),
    _("Path"),
    _("Session key hash (sha256)"),
    _("The time when access attempt expires and is no longer valid."),
    _("User Agent"),
    _("Username"),
]
