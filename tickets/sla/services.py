"""Services around the SLA clocks that people call (the clocks themselves follow ticket_event)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from warranty.roles import Role

from ..models import AgreedCadence, State, Ticket
from ..services.errors import NotAllowed, NotPermitted, ServiceError
from ..services.lifecycle import lock, timeline
from ..services.scope import ensure_can_act


def progress_cadence_agree(*, ticket: Ticket, by, every_hours: int, note: str = "") -> AgreedCadence:
    """Record the progress-feedback cadence agreed with the owner; the running progress clock restarts on it."""
    if not (by.is_superuser or by.has_role(Role.STEWARD, Role.DIRECTOR)):
        raise NotPermitted()
    with transaction.atomic():
        locked = lock(ticket)
        ensure_can_act(by, locked)
        if locked.state in (State.ARCHIVED, State.CANCELLED, State.REFERRED):
            raise NotAllowed()
        cadence = AgreedCadence.objects.filter(ticket=locked).first() or AgreedCadence(ticket=locked)
        cadence.every_hours, cadence.recorded_by, cadence.note = every_hours, by, note
        cadence._history_user = by
        try:
            cadence.full_clean()
        except ValidationError as exc:
            raise ServiceError(_("Choose between 4 hours and 14 days."), field="every_hours") from exc
        cadence.save()
        timeline(locked, by, "progress_cadence_agreed", note=_("every %(n)s h") % {"n": every_hours})
    return cadence
