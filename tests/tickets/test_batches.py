"""Ticket.batch: a ticket keeps its unit's delivery batch, also when the registry moves the unit."""

from tests.factories import BuildingFactory, DeliveryBatchFactory
from tickets.models import Ticket

from .conftest import new_report


def test_a_ticket_is_written_with_its_units_batch(world):
    ticket = new_report(world).tickets.get()
    assert ticket.batch_id == world.batch.pk


def test_tickets_follow_a_building_or_a_unit_into_another_batch(world):
    ticket = new_report(world).tickets.get()
    stale = Ticket.objects.get(pk=ticket.pk)
    building = world.unit.building
    second = DeliveryBatchFactory(project=world.project, name="二期")
    building.batch = second
    building.save()
    assert Ticket.objects.get(pk=ticket.pk).batch_id == second.pk
    stale.description = "主卫顶棚渗水（复核）"
    stale.save()  # an instance read before the move does not write the old batch back
    assert Ticket.objects.get(pk=ticket.pk).batch_id == second.pk

    world.unit.building = BuildingFactory(project=world.project, batch=world.batch, name="9")
    world.unit.save()
    assert Ticket.objects.get(pk=ticket.pk).batch_id == world.batch.pk
