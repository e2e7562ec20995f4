"""Tickets keep their unit's delivery batch (``Ticket.batch``, set when a ticket is written).

When the registry moves a building to another batch, or a unit to another building, the tickets
follow in one UPDATE. The column is derived (left out of the ticket's history, like the queue flags),
so the UPDATE writes no history row; the building's or unit's own history shows the move.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from warranty.models import Building, Unit

from .models import Ticket


def follow_batch(tickets, batch_id: int) -> int:
    """Set ``batch_id`` on those of ``tickets`` that have another (or none); how many changed."""
    return tickets.exclude(batch_id=batch_id).update(batch_id=batch_id)


@receiver(post_save, sender=Building, dispatch_uid="tickets-follow-building-batch")
def _building_saved(sender, instance, created, raw=False, **kwargs):
    if not (created or raw):
        follow_batch(Ticket.objects.filter(unit__building=instance), instance.batch_id)


@receiver(post_save, sender=Unit, dispatch_uid="tickets-follow-unit-batch")
def _unit_saved(sender, instance, created, raw=False, **kwargs):
    if not (created or raw):
        follow_batch(Ticket.objects.filter(unit=instance), instance.building.batch_id)
