"""Drive a ticket along the standard path with services only (shared by the lifecycle tests)."""

import datetime as dt

from django.utils import timezone

from tests.factories import UnitFactory, category
from tickets import services as s
from tickets.models import Appointment, SignOff, State, Ticket

from .conftest import in_future, new_report, png_bytes

ORDER = [State.INTAKE, State.TRIAGE, State.DISPATCH, State.REPAIR, State.SIGNOFF, State.CALLBACK, State.ARCHIVED]


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def new_ticket(world, *, confirm=False, defects=None) -> Ticket:
    report = new_report(world, confirm=confirm, defects=defects)
    return report.tickets.get()


def advance(world, ticket: Ticket, to: str, *, difficulty="general", contractor=None) -> Ticket:
    """Take ``ticket`` forward through the standard path until it is in state ``to``."""
    u = world.users
    while ticket.state != to:
        state = ticket.state
        if state == State.INTAKE:
            s.ticket_confirm(ticket=ticket, by=u["front_desk"])
        elif state == State.TRIAGE:
            s.ticket_triage(ticket=ticket, by=u["steward"], difficulty=difficulty, steward=u["steward"])
        elif state == State.DISPATCH:
            ticket = fresh(ticket)
            if ticket.difficulty != "simple" and not ticket.plans.exists():
                s.plan_submit(
                    ticket=ticket, by=u["steward"], cause="防水层破损", method="重做防水", materials=["防水涂料"]
                )
            if ticket.difficulty == "complex":
                s.plan_approve(plan=ticket.plans.last(), by=u["director"])
            target = contractor or ticket.liable_contractor or world.third_party
            s.ticket_dispatch(
                ticket=ticket,
                by=u["steward"],
                contractor=target,
                scheduled_at=in_future(),
                override_reason="" if target == ticket.liable_contractor else "指定维修",
            )
        elif state == State.REPAIR:
            ticket = fresh(ticket)
            notice = ticket.notices.last()
            worker = contractor_user(world, notice.contractor)
            if notice.status == "sent":
                s.notice_accept(notice=notice, by=worker)
            appointment = ticket.appointments.filter(kind=Appointment.Kind.REPAIR, outcome="").last()
            if appointment.arrived_at is None:
                s.appointment_check_in(appointment=appointment, by=worker, at=appointment.scheduled_at)
            s.ticket_complete_repair(ticket=ticket, by=worker)
        elif state == State.SIGNOFF:
            s.signoff_record(
                ticket=ticket,
                by=u["steward"],
                kind=SignOff.Kind.REINSPECTION,
                checklist={"no_leak": True, "clean": True},
            )
            s.signoff_record(
                ticket=ticket,
                by=u["steward"],
                kind=SignOff.Kind.OWNER,
                signer_name=world.owner.name,
                signature_png=png_bytes(),
            )
            if fresh(ticket).is_major:
                s.signoff_record(ticket=ticket, by=u["project_gm"], kind=SignOff.Kind.GM_APPROVAL)
            s.ticket_sign_off(ticket=ticket, by=u["steward"])
        elif state == State.CALLBACK:
            s.ticket_archive(ticket=ticket, by=u["customer_service"])
        else:  # pragma: no cover
            raise AssertionError(f"cannot advance from {state}")
        ticket = fresh(ticket)
    return ticket


def contractor_user(world, contractor):
    if contractor == world.general:
        return world.users["contractor"]
    if contractor == world.waterproof:
        return world.users["waterproof_contractor"]
    from tests.factories import UserFactory

    user = contractor.users.first()
    return user or UserFactory(role="contractor", contractor=contractor)


def out_of_warranty_ticket(world):
    """A civil defect in a unit handed over three years ago: outside the 2-year owner warranty."""
    unit = UnitFactory(
        building=world.unit.building, number="3-2-0901", handover_date=timezone.localdate() - dt.timedelta(days=3 * 365)
    )
    world.unit, saved = unit, world.unit
    try:
        ticket = new_ticket(
            world, defects=[s.DefectInput(location="living_room", category=category("civil"), description="墙面开裂")]
        )
    finally:
        world.unit = saved
    s.ticket_confirm(ticket=ticket, by=world.users["front_desk"])
    return fresh(ticket)
