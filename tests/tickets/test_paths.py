"""Whole paths through the lifecycle, services only."""

import pytest

from tests.factories import category
from tickets import services as s
from tickets.models import Location, Resolution, SignOff, State, TimelineEvent

from .conftest import in_future, new_report, png_bytes
from .lifecycle import advance, fresh, new_ticket


def test_simple_ticket_goes_from_intake_to_archive(world):
    """A simple civil defect: the front desk books the worker, the owner signs, CS archives after the callback."""
    ticket = new_ticket(
        world,
        defects=[s.DefectInput(location=Location.LIVING_ROOM, category=category("civil"), description="客厅墙面开裂")],
    )
    assert ticket.state == State.INTAKE
    s.ticket_confirm(ticket=ticket, by=world.users["front_desk"])
    ticket = advance(world, fresh(ticket), State.DISPATCH, difficulty="simple")
    assert ticket.payer == "contractor" and ticket.liable_contractor == world.general
    # The front desk books simple jobs.
    s.ticket_dispatch(ticket=ticket, by=world.users["front_desk"], contractor=world.general, scheduled_at=in_future())
    ticket = advance(world, fresh(ticket), State.ARCHIVED)
    assert ticket.resolution == Resolution.RESOLVED
    verbs = list(TimelineEvent.objects.filter(ticket=ticket).values_list("verb", flat=True))
    for verb in [
        "reported",
        "confirm",
        "triage",
        "dispatch",
        "notice_accepted",
        "arrived",
        "complete_repair",
        "signoff_owner",
        "sign_off",
        "archive",
    ]:
        assert verb in verbs
    assert ticket.history.count() >= 7


def test_general_ticket_needs_a_plan_before_dispatch(world):
    ticket = advance(world, new_ticket(world), State.DISPATCH, difficulty="general")
    with pytest.raises(s.ConditionFailed) as err:
        s.ticket_dispatch(
            ticket=ticket, by=world.users["steward"], contractor=world.waterproof, scheduled_at=in_future()
        )
    assert "repair plan" in str(err.value)
    assert fresh(ticket).state == State.DISPATCH and not fresh(ticket).notices.exists()
    ticket = advance(world, fresh(ticket), State.ARCHIVED)
    assert ticket.repairing_contractor == world.waterproof


def test_complex_ticket_needs_the_directors_approval(world):
    ticket = advance(world, new_ticket(world), State.DISPATCH, difficulty="complex")
    s.plan_submit(ticket=ticket, by=world.users["steward"], cause="结构裂缝", method="注浆加固")
    with pytest.raises(s.ConditionFailed) as err:
        s.ticket_dispatch(
            ticket=ticket, by=world.users["steward"], contractor=world.waterproof, scheduled_at=in_future()
        )
    assert "approved by the director" in str(err.value)
    ticket = advance(world, fresh(ticket), State.ARCHIVED, difficulty="complex")
    assert ticket.plans.get().approved_by == world.users["director"]


def test_nobody_approves_their_own_plan(world):
    ticket = advance(world, new_ticket(world), State.DISPATCH, difficulty="complex")
    plan = s.plan_submit(ticket=ticket, by=world.users["director"], cause="c", method="m")
    with pytest.raises(s.NotPermitted):
        s.plan_approve(plan=plan, by=world.users["director"])
    with pytest.raises(s.NotPermitted):  # a steward may not approve at all
        s.plan_approve(plan=plan, by=world.users["steward"])
    s.plan_approve(plan=plan, by=world.users["director2"])


def test_major_ticket_needs_gm_approval_and_joint_signoff_path(world):
    ticket = new_ticket(world)
    ticket.is_major = True
    ticket.save()
    ticket = advance(world, fresh(ticket), State.SIGNOFF)
    u = world.users
    s.signoff_record(ticket=ticket, by=u["steward"], kind=SignOff.Kind.REINSPECTION)
    s.signoff_record(ticket=ticket, by=u["director"], kind=SignOff.Kind.JOINT_DIRECTOR)
    with pytest.raises(s.ConditionFailed) as err:
        s.ticket_sign_off(ticket=ticket, by=u["steward"])
    assert "director and customer service" in str(err.value)
    s.signoff_record(ticket=ticket, by=u["customer_service"], kind=SignOff.Kind.JOINT_CS)
    with pytest.raises(s.ConditionFailed) as err:
        s.ticket_sign_off(ticket=ticket, by=u["steward"])
    assert "GM" in str(err.value)
    s.signoff_record(ticket=ticket, by=u["project_gm"], kind=SignOff.Kind.GM_APPROVAL)
    ticket = s.ticket_sign_off(ticket=ticket, by=u["steward"])
    assert ticket.state == State.CALLBACK
    # Not signed by the owner: the front desk is asked to tell them.
    assert ticket.outbox.filter(event="notify_owner_of_joint_signoff", recipient=u["front_desk"]).exists()


def test_owner_signature_must_not_be_empty(world):
    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    with pytest.raises(s.ServiceError) as err:
        s.signoff_record(
            ticket=ticket,
            by=world.users["steward"],
            kind=SignOff.Kind.OWNER,
            signer_name="李",
            signature_png=png_bytes(ink=False),
        )
    assert err.value.field == "signature"
    assert not ticket.signoffs.exists()


def test_return_to_repair_starts_a_new_signoff_round(world):
    ticket = advance(world, new_ticket(world), State.SIGNOFF)
    s.signoff_record(ticket=ticket, by=world.users["steward"], kind=SignOff.Kind.REINSPECTION)
    ticket = s.ticket_return_to_repair(ticket=fresh(ticket), by=world.users["steward"], note="仍有渗水")
    assert ticket.state == State.REPAIR and ticket.signoff_round == 2
    s.ticket_complete_repair(ticket=ticket, by=world.users["waterproof_contractor"])
    with pytest.raises(s.ConditionFailed):  # last round's re-inspection does not count
        s.ticket_sign_off(ticket=fresh(ticket), by=world.users["steward"])


def test_declined_notice_returns_to_dispatch_for_another_contractor(world):
    ticket = advance(world, new_ticket(world), State.REPAIR)
    notice = ticket.notices.get()
    s.notice_decline(notice=notice, by=world.users["waterproof_contractor"], reason="人手不足")
    ticket = fresh(ticket)
    assert ticket.state == State.DISPATCH
    assert ticket.outbox.filter(event="notice_declined").exists()
    with pytest.raises(s.ServiceError) as err:  # another firm than the liable one needs a reason
        s.ticket_dispatch(
            ticket=ticket, by=world.users["steward"], contractor=world.third_party, scheduled_at=in_future()
        )
    assert err.value.field == "override_reason"
    advance(world, ticket, State.ARCHIVED, contractor=world.third_party)
    assert fresh(ticket).repairing_contractor == world.third_party


def test_reopen_creates_a_linked_repeat_ticket(world):
    ticket = advance(world, new_ticket(world), State.CALLBACK)
    repeat = s.ticket_reopen(ticket=ticket, by=world.users["customer_service"], note="回访仍渗水")
    ticket = fresh(ticket)
    assert ticket.state == State.ARCHIVED and ticket.resolution == Resolution.UNRESOLVED
    assert repeat.repeat_of == ticket and repeat.state == State.TRIAGE
    assert repeat.number == f"{ticket.report.number}-2"
    assert repeat.steward == ticket.steward


def test_new_ticket_at_same_unit_and_location_is_linked_automatically(world):
    first = new_ticket(world)
    second = new_report(world).tickets.get()
    assert second.repeat_of == first
    elsewhere = new_report(
        world, defects=[s.DefectInput(location=Location.KITCHEN, category=category("civil"), description="厨房")]
    ).tickets.get()
    assert elsewhere.repeat_of is None


def test_resolved_by_phone_and_cancel_side_paths(world):
    ticket = new_ticket(world)
    with pytest.raises(s.ServiceError):
        s.ticket_resolve_by_phone(ticket=ticket, by=world.users["front_desk"], note=" ")
    ticket = s.ticket_resolve_by_phone(ticket=ticket, by=world.users["front_desk"], note="指导业主复位漏保")
    assert ticket.state == State.ARCHIVED and ticket.resolution == Resolution.RESOLVED_BY_PHONE
    other = new_ticket(world)
    with pytest.raises(s.NotPermitted):
        s.ticket_cancel(ticket=other, by=world.users["steward"], note="重复报修")
    assert s.ticket_cancel(ticket=other, by=world.users["director"], note="重复报修").state == State.CANCELLED


def test_archived_ticket_refuses_changes(world):
    ticket = advance(world, new_ticket(world), State.ARCHIVED)
    with pytest.raises(s.ReadOnly):
        s.contact_attempt_record(ticket=ticket, by=world.users["front_desk"], purpose="progress", reached=True)
    with pytest.raises(s.ReadOnly):
        s.ticket_cancel(ticket=ticket, by=world.users["director"], note="x")
