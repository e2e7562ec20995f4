"""Errors the ticket services raise; views turn them into 403 / 404 / 409 / form errors."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class ServiceError(Exception):
    """A business rule refused the action. ``str(error)`` is a message for the user."""

    status = 400

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))

    default_message = _("The action could not be done.")


class NotPermitted(ServiceError):
    status = 403
    default_message = _("Your role may not do this.")


class OutOfScope(ServiceError):
    """The object is not in the user's projects (or not the contractor's job): shown as 404."""

    status = 404
    default_message = _("Not found.")


class NotAllowed(ServiceError):
    status = 409
    default_message = _("This action is not possible in the ticket's current state.")


class ConditionFailed(ServiceError):
    status = 409

    def __init__(self, labels):
        self.labels = [str(label) for label in labels]
        # Translators: separates the unmet conditions listed in "Not yet possible: %(conditions)s."
        separator = pgettext("separates a list of conditions", "; ")
        super().__init__(_("Not yet possible: %(conditions)s.") % {"conditions": separator.join(self.labels)})


class Conflict(ServiceError):
    status = 409
    default_message = _("Someone else changed this ticket in the meantime. Reload the page and try again.")


class ReadOnly(ServiceError):
    status = 409
    default_message = _("This ticket is archived and can no longer be changed.")
