"""Every outcome of the callback (DOMAIN §4.9) and of the owner notification round (§4.8)."""

import datetime as dt

import pytest
from django.utils import timezone

from callbacks import services as cs
from callbacks.models import Callback, ContactChangeTask, FollowUpCase, JointReinspection, NotificationRound
from callbacks.services import CallbackAnswer
from tests.tickets.lifecycle import advance, fresh
from tickets.models import ContactAttempt, Resolution, State
from tickets.services import NotAllowed, NotPermitted, OutOfScope, ReadOnly, ServiceError

pytestmark = pytest.mark.django_db

SATISFIED = {"quality": "satisfied", "attitude": "satisfied", "timeliness": "satisfied"}


def answer(**kwargs) -> CallbackAnswer:
    values = {"reached": True, "resolved": True, **SATISFIED, **kwargs}
    return CallbackAnswer(**values)


def record(world, ticket, by="customer_service", **kwargs) -> Callback:
    return cs.callback_record(callback=ticket.callback, by=world.users[by], answer=answer(**kwargs))


def test_satisfied_archives_as_resolved(world, in_callback):
    """Resolved and satisfied → ticket_archive(resolved), no follow-up."""
    cb = record(world, in_callback, suggestions="师傅很专业")
    ticket = fresh(in_callback)
    assert ticket.state == State.ARCHIVED and ticket.resolution == Resolution.RESOLVED
    assert cb.outcome == Callback.Outcome.ARCHIVED and cb.status == Callback.Status.DONE
    assert cb.called_by == world.users["customer_service"] and cb.attempts.count() == 1
    assert not FollowUpCase.objects.exists()


def test_neutral_is_not_a_complaint(world, in_callback):
    cb = record(world, in_callback, attitude="neutral")
    assert cb.outcome == Callback.Outcome.ARCHIVED and not FollowUpCase.objects.exists()


def test_not_resolved_reopens_as_linked_repeat_ticket(world, in_callback):
    """Not resolved → the original archived as unresolved; a new repeat ticket linked to it."""
    cb = record(world, in_callback, resolved=False, quality="", attitude="", timeliness="", note="还在渗水")
    original = fresh(in_callback)
    assert original.state == State.ARCHIVED and original.resolution == Resolution.UNRESOLVED
    assert cb.outcome == Callback.Outcome.REOPENED
    repeat = cb.repeat_ticket
    assert repeat.repeat_of == original and repeat.state == State.TRIAGE
    assert repeat.location == original.location and repeat.unit == original.unit


def test_dissatisfied_but_meets_standard_archives_with_follow_up(world, in_callback):
    """Quality dissatisfied, work meets the acceptance standard → archived + a case for director and CS."""
    cb = record(world, in_callback, quality="dissatisfied", meets_standard=True)
    ticket = fresh(in_callback)
    assert ticket.state == State.ARCHIVED and ticket.resolution == Resolution.RESOLVED
    assert cb.outcome == Callback.Outcome.FOLLOW_UP
    case = FollowUpCase.objects.get()
    assert case.reason == FollowUpCase.Reason.DISSATISFIED_ACCEPTABLE
    assert case.director.has_role("director") and case.customer_service == world.users["customer_service"]
    assert case.status == FollowUpCase.Status.OPEN


def test_dissatisfied_below_standard_reopens(world, in_callback):
    cb = record(world, in_callback, quality="dissatisfied", meets_standard=False)
    assert cb.outcome == Callback.Outcome.REOPENED
    assert fresh(in_callback).resolution == Resolution.UNRESOLVED


def test_quality_dissatisfied_needs_the_standard_question(world, in_callback):
    with pytest.raises(ServiceError) as err:
        record(world, in_callback, quality="dissatisfied")
    assert err.value.field == "meets_standard"
    assert fresh(in_callback).state == State.CALLBACK


@pytest.mark.parametrize(
    ("field", "reason"),
    [("timeliness", FollowUpCase.Reason.DELAY), ("attitude", FollowUpCase.Reason.ATTITUDE)],
)
def test_dissatisfied_about_delay_or_attitude_opens_a_follow_up(world, in_callback, field, reason):
    cb = record(world, in_callback, **{field: "dissatisfied"})
    assert cb.outcome == Callback.Outcome.FOLLOW_UP
    assert list(FollowUpCase.objects.values_list("reason", flat=True)) == [reason]
    assert fresh(in_callback).state == State.ARCHIVED


def test_dissatisfied_after_a_repeat_repair_opens_a_repeat_case(world, in_callback):
    """The second repair of the same defect, owner still unhappy → follow-up for the repeat repair."""
    repeat = record(world, in_callback, resolved=False, quality="", attitude="", timeliness="").repeat_ticket
    repeat = advance(world, repeat, State.CALLBACK)
    record(world, repeat, timeliness="dissatisfied")
    reasons = set(FollowUpCase.objects.filter(ticket=repeat).values_list("reason", flat=True))
    assert reasons == {FollowUpCase.Reason.DELAY, FollowUpCase.Reason.REPEAT_REPAIR}


def test_follow_up_closes_when_the_owner_is_satisfied(world, in_callback):
    record(world, in_callback, attitude="dissatisfied")
    case = FollowUpCase.objects.get()
    with pytest.raises(ServiceError):
        cs.follow_up_close(case=case, by=world.users["director"], note="")
    with pytest.raises(NotPermitted):
        cs.follow_up_close(case=case, by=world.users["steward"], note="已道歉")
    closed = cs.follow_up_close(case=case, by=world.users["director"], note="主任上门致歉，业主满意")
    assert closed.status == FollowUpCase.Status.SATISFIED and closed.closed_by == world.users["director"]


def test_never_reached_retries_every_other_day_then_joint_reinspection_closes_unreachable(world, in_callback):
    """4 failed calls: retry in two days; the 5th opens the joint re-inspection; both signatures archive."""
    today = timezone.localdate()
    for n in range(1, 5):
        cb = record(world, in_callback, reached=False, note=f"无人接听 {n}")
        assert cb.status == Callback.Status.DUE and cb.failed_attempts == n
        assert cb.next_attempt_on == today + dt.timedelta(days=2)
    cb = record(world, in_callback, reached=False)
    assert cb.status == Callback.Status.UNREACHABLE and cb.next_attempt_on is None
    task = JointReinspection.objects.get(ticket=in_callback)
    assert task.trigger == JointReinspection.Trigger.CALLBACK
    with pytest.raises(NotAllowed):
        record(world, in_callback, reached=False)

    cs.joint_reinspection_sign(task=task, by=world.users["director"], note="现场复查合格")
    assert fresh(in_callback).state == State.CALLBACK  # one signature is not enough
    with pytest.raises(NotPermitted):
        cs.joint_reinspection_sign(task=task, by=world.users["director2"])
    cs.joint_reinspection_sign(task=task, by=world.users["customer_service"])
    ticket = fresh(in_callback)
    assert ticket.state == State.ARCHIVED and ticket.resolution == Resolution.UNREACHABLE
    cb.refresh_from_db()
    assert cb.status == Callback.Status.CLOSED_UNREACHABLE and cb.outcome == Callback.Outcome.UNREACHABLE
    assert NotificationRound.objects.get(ticket=ticket).status == NotificationRound.Status.CLOSED


def test_only_cs_or_director_in_scope_may_record(world, in_callback):
    with pytest.raises(NotPermitted):
        record(world, in_callback, by="steward")
    from tests.factories import UserFactory

    stranger = UserFactory(role="customer_service", projects=[world.other_project])
    with pytest.raises(OutOfScope):
        cs.callback_record(callback=in_callback.callback, by=stranger, answer=answer())


def test_callback_on_archived_ticket_is_read_only(world, in_callback):
    record(world, in_callback)
    with pytest.raises(ReadOnly):
        record(world, in_callback)


# --- owner notification round -----------------------------------------------------------------------


def test_notification_reached_records_a_completion_contact(world, in_callback):
    front = world.users["front_desk"]
    from callbacks.selectors import notification_list

    assert list(notification_list(front).values_list("ticket", flat=True)) == [in_callback.pk]
    round_ = cs.notification_attempt_record(ticket=in_callback, by=front, reached=True)
    assert round_.status == NotificationRound.Status.NOTIFIED
    attempt = ContactAttempt.objects.get(ticket=in_callback)
    assert attempt.purpose == "completion" and attempt.reached
    assert not notification_list(front).exists()


def test_notification_five_failures_open_joint_reinspection(world, in_callback):
    front = world.users["front_desk"]
    from callbacks.selectors import notification_list

    for n in range(1, 6):
        round_ = cs.notification_attempt_record(ticket=in_callback, by=front, reached=False, method="visit")
        assert round_.failed_attempts == n
        if n < 5:
            assert round_.next_attempt_on == timezone.localdate() + dt.timedelta(days=2)
            assert not notification_list(front).exists()  # not again until the day after tomorrow
            NotificationRound.objects.filter(pk=round_.pk).update(next_attempt_on=timezone.localdate())
    assert round_.status == NotificationRound.Status.UNREACHABLE
    assert JointReinspection.objects.get(ticket=in_callback).trigger == "notification"
    assert ContactAttempt.objects.filter(ticket=in_callback, purpose="completion", reached=False).count() == 5


def test_changed_contact_details_become_a_cs_task(world, in_callback):
    cs.notification_attempt_record(
        ticket=in_callback, by=world.users["front_desk"], reached=True, new_phone="13900001111", note="换号了"
    )
    task = ContactChangeTask.objects.get()
    assert task.owner == world.owner
    with pytest.raises(NotPermitted):
        cs.contact_change_done(task=task, by=world.users["front_desk"])
    cs.contact_change_done(task=task, by=world.users["customer_service"])
    world.owner.refresh_from_db()
    assert str(world.owner.phone.national_number) == "13900001111"
