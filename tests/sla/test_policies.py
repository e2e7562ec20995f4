"""Each SLA policy: the warning and the breach fire at the right minute (and only once).

Times are Asia/Shanghai. 2026 National Day: Oct 1–7 off, Sat Oct 10 a make-up workday;
working hours are 08:30–17:30.
"""

import datetime as dt

import pytest

from tests.tickets.conftest import new_report
from tests.tickets.lifecycle import advance, fresh
from tickets import services as s
from tickets.models import ContactAttempt, Escalation, OutboxMessage, SlaAlert, SlaClock, SlaPolicy, State
from tickets.sla import ensure_ledger_clocks, stop_clocks, sweep_clocks

from .conftest import local

pytestmark = pytest.mark.django_db


def new_ticket(world, **kwargs):
    return new_report(world, **kwargs).tickets.get()


def clock(ticket, code) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, code=code, stopped_at__isnull=True)


def levels(clock_or_ticket, code=None):
    qs = SlaAlert.objects.all()
    if code is not None:
        qs = qs.filter(clock__ticket=clock_or_ticket, clock__code=code)
    else:
        qs = qs.filter(clock=clock_or_ticket)
    return sorted(qs.values_list("level", flat=True))


def sweep_at(at, when):
    at(when)
    return sweep_clocks()


def told(event, **filters):
    return sorted(OutboxMessage.objects.filter(event=event, **filters).values_list("recipient__username", flat=True))


@pytest.mark.parametrize("code", ["first_contact", "dispatch_general"])
def test_two_hour_policies_count_working_hours_across_national_day(sla_world, at, code):
    """Reported Wed 30 Sep 16:30: 60 minutes that day, then 08:30 Thu 8 Oct → warning 09:00, breach 09:30."""
    at(local(2026, 9, 30, 16, 30))
    ticket = new_ticket(sla_world)
    c = clock(ticket, code)
    assert (c.warn_at, c.due_at) == (local(2026, 10, 8, 9, 0), local(2026, 10, 8, 9, 30))

    sweep_at(at, local(2026, 10, 8, 8, 59))
    assert levels(ticket, code) == []
    sweep_at(at, local(2026, 10, 8, 9, 0))
    assert levels(ticket, code) == ["warning"]
    sweep_at(at, local(2026, 10, 8, 9, 29))
    assert levels(ticket, code) == ["warning"]
    sweep_at(at, local(2026, 10, 8, 9, 30))
    assert levels(ticket, code) == ["breach", "warning"]
    assert sweep_clocks().alerts == 0  # a second sweep, or a retried task, tells nobody again


def test_first_contact_warns_the_front_desk_and_breach_goes_to_the_director(sla_world, at):
    at(local(2026, 9, 28, 10, 0))
    ticket = new_ticket(sla_world)
    sweep_at(at, local(2026, 9, 28, 11, 30))
    assert "front_desk" in told("sla_warning", ticket=ticket, context__policy="first_contact")
    sweep_at(at, local(2026, 9, 28, 12, 0))
    breach = told("sla_breach", ticket=ticket, context__policy="first_contact")
    assert "director" in breach and "front_desk" in breach
    assert "outsider" not in breach and "finance" not in breach  # the right few, never everyone


def test_a_clock_stopped_in_time_never_breaches(sla_world, at):
    at(local(2026, 9, 28, 10, 0))
    ticket = new_ticket(sla_world)
    at(local(2026, 9, 28, 11, 45))  # after the warning, before the breach
    s.contact_attempt_record(
        ticket=ticket, by=sla_world.users["front_desk"], purpose=ContactAttempt.Purpose.FIRST_CONTACT, reached=True
    )
    assert not SlaClock.objects.filter(ticket=ticket, code="first_contact", stopped_at__isnull=True).exists()
    sweep_at(at, local(2026, 10, 20, 12, 0))
    assert levels(ticket, "first_contact") == []


def test_an_unreached_first_contact_does_not_stop_the_clock(sla_world, at):
    at(local(2026, 9, 28, 10, 0))
    ticket = new_ticket(sla_world)
    s.contact_attempt_record(
        ticket=ticket, by=sla_world.users["front_desk"], purpose=ContactAttempt.Purpose.FIRST_CONTACT, reached=False
    )
    sweep_at(at, local(2026, 9, 28, 12, 0))
    assert levels(ticket, "first_contact") == ["breach"]  # the warning is skipped once the breach is due


def test_complex_triage_replaces_the_two_hour_clock_with_twelve_working_hours(sla_world, at):
    """Reported Wed 30 Sep 09:00: 510 working minutes that day; 12 h end Thu 8 Oct 12:00, 75 % at 09:00."""
    at(local(2026, 9, 30, 9, 0))
    ticket = new_ticket(sla_world)
    at(local(2026, 9, 30, 9, 20))
    advance(sla_world, ticket, State.DISPATCH, difficulty="complex")
    assert not SlaClock.objects.filter(ticket=ticket, code="dispatch_general", stopped_at__isnull=True).exists()
    c = clock(ticket, "dispatch_complex")
    assert c.started_at == local(2026, 9, 30, 9, 0)
    assert (c.warn_at, c.due_at) == (local(2026, 10, 8, 9, 0), local(2026, 10, 8, 12, 0))
    sweep_at(at, local(2026, 10, 8, 8, 59))
    assert levels(c) == []
    sweep_at(at, local(2026, 10, 8, 9, 0))
    assert levels(c) == ["warning"]
    sweep_at(at, local(2026, 10, 8, 11, 59))
    assert levels(c) == ["warning"]
    sweep_at(at, local(2026, 10, 8, 12, 0))
    assert levels(c) == ["breach", "warning"]
    assert "director" in told("sla_breach", ticket=ticket, context__policy="dispatch_complex")


def test_dispatch_stops_the_dispatch_clock(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = new_ticket(sla_world)
    at(local(2026, 9, 28, 10, 0))
    ticket = advance(sla_world, ticket, State.REPAIR)
    stopped = SlaClock.objects.get(ticket=ticket, code="dispatch_general")
    assert stopped.stopped_at == local(2026, 9, 28, 10, 0) and stopped.stopped_by_event == "dispatch"
    sweep_at(at, local(2026, 9, 29, 9, 0))
    assert levels(stopped) == []


def test_not_finished_seven_days_after_the_report_escalates_to_the_gm(sla_world, at):
    """Round the clock: warning at 75 % (5 d 6 h), breach at exactly 7 days, 6 d 23:59 is not yet."""
    reported = at(local(2026, 9, 28, 9, 0))
    ticket = new_ticket(sla_world)
    c = clock(ticket, "repair_finished")
    assert c.warn_at == reported + dt.timedelta(days=5, hours=6)
    assert c.due_at == reported + dt.timedelta(days=7)

    sweep_at(at, reported + dt.timedelta(days=6))
    assert levels(c) == ["warning"]
    sweep_at(at, reported + dt.timedelta(days=6, hours=23, minutes=59))
    assert not Escalation.objects.filter(ticket=ticket, reason=Escalation.Reason.OPEN_7_DAYS).exists()
    sweep_at(at, reported + dt.timedelta(days=7))
    assert levels(c) == ["breach", "warning"]
    escalation = Escalation.objects.get(ticket=ticket, reason=Escalation.Reason.OPEN_7_DAYS)
    assert escalation.status == Escalation.Status.OPEN
    assert {"clock": c.pk, "due_at": c.due_at.isoformat()} in escalation.evidence
    assert "project_gm" in told("escalation_raised", ticket=ticket)
    assert "project_gm" in told("sla_breach", ticket=ticket, context__policy="repair_finished")
    event = ticket.timeline.get(verb="escalated_open_7_days")
    assert event.at == reported + dt.timedelta(days=7) and event.note == escalation.summary
    # Written in SQL, audited all the same: one history row, as raised.
    (raised,) = escalation.history.all()
    assert raised.history_type == "+" and raised.history_change_reason == "raised by the SLA sweep"
    assert raised.status == "open" and raised.ticket_id == ticket.pk and raised.summary == escalation.summary
    # A later sweep (or a retried one) raises nothing more.
    sweep_at(at, reported + dt.timedelta(days=7, minutes=1))
    assert Escalation.objects.filter(ticket=ticket, reason=Escalation.Reason.OPEN_7_DAYS).count() == 1
    assert ticket.timeline.filter(verb="escalated_open_7_days").count() == 1


def test_a_repair_completed_within_seven_days_is_not_escalated(sla_world, at):
    reported = at(local(2026, 9, 28, 9, 0))
    ticket = new_ticket(sla_world)
    at(reported + dt.timedelta(days=6, hours=23))
    advance(sla_world, ticket, State.SIGNOFF)
    sweep_at(at, reported + dt.timedelta(days=8))
    assert levels(ticket, "repair_finished") == []
    assert not Escalation.objects.filter(ticket=ticket, reason=Escalation.Reason.OPEN_7_DAYS).exists()


def test_breach_climbs_the_escalation_ladder_one_target_period_at_a_time(sla_world, at):
    """Breach → the steward (rung 1); +7 days → the director; +14 days → the project GM; then nothing more."""
    reported = at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.DISPATCH)
    c = clock(ticket, "repair_finished")
    sweep_at(at, reported + dt.timedelta(days=7))
    assert "steward" in told("sla_breach", ticket=ticket, context__policy="repair_finished")
    sweep_at(at, reported + dt.timedelta(days=13, hours=23))
    assert levels(c) == ["breach"]
    sweep_at(at, reported + dt.timedelta(days=14))
    assert told("sla_escalation", ticket=ticket, context__policy="repair_finished", context__level="ladder_2") == [
        "director"
    ]
    sweep_at(at, reported + dt.timedelta(days=21))
    assert told("sla_escalation", ticket=ticket, context__policy="repair_finished", context__level="ladder_3") == [
        "project_gm"
    ]
    assert fresh_clock(c).escalate_at is None
    assert sweep_at(at, reported + dt.timedelta(days=60)).alerts == 0


def fresh_clock(c):
    return SlaClock.objects.get(pk=c.pk)


def test_progress_feedback_every_two_days_restarts_when_the_owner_is_told(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.DISPATCH)
    dispatched = at(local(2026, 9, 28, 10, 0))
    ticket = advance(sla_world, ticket, State.REPAIR)
    first = clock(ticket, "progress_feedback")
    assert (first.warn_at, first.due_at) == (dispatched + dt.timedelta(hours=36), dispatched + dt.timedelta(hours=48))
    sweep_at(at, dispatched + dt.timedelta(hours=36))
    assert levels(first) == ["warning"]
    told_at = at(dispatched + dt.timedelta(hours=40))
    s.contact_attempt_record(
        ticket=ticket, by=sla_world.users["steward"], purpose=ContactAttempt.Purpose.PROGRESS, reached=True
    )
    second = clock(ticket, "progress_feedback")
    assert second.pk != first.pk and second.due_at == told_at + dt.timedelta(hours=48)
    sweep_at(at, told_at + dt.timedelta(hours=47, minutes=59))
    assert levels(second) == ["warning"] and levels(first) == ["warning"]
    sweep_at(at, told_at + dt.timedelta(hours=48))
    assert levels(second) == ["breach", "warning"]


def test_long_repairs_get_progress_feedback_three_times_a_week(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.TRIAGE)
    s.ticket_triage(
        ticket=ticket, by=sla_world.users["steward"], difficulty="general", steward=sla_world.users["steward"]
    )
    s.plan_submit(
        ticket=fresh(ticket), by=sla_world.users["steward"], cause="防水层破损", method="整体重做", estimated_days=10
    )
    dispatched = at(local(2026, 9, 28, 10, 0))
    ticket = advance(sla_world, fresh(ticket), State.REPAIR)
    assert not SlaClock.objects.filter(ticket=ticket, code="progress_feedback").exists()
    c = clock(ticket, "progress_feedback_long")
    assert c.due_at == dispatched + dt.timedelta(hours=56)
    sweep_at(at, dispatched + dt.timedelta(hours=55, minutes=59))
    assert levels(c) == ["warning"]
    sweep_at(at, dispatched + dt.timedelta(hours=56))
    assert levels(c) == ["breach", "warning"]


def test_completion_stops_the_progress_clock(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.SIGNOFF)
    assert not SlaClock.objects.filter(ticket=ticket, code="progress_feedback", stopped_at__isnull=True).exists()


def test_unreachable_owner_is_tried_again_every_other_day(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.SIGNOFF)
    tried = at(local(2026, 9, 28, 15, 0))
    s.contact_attempt_record(
        ticket=ticket, by=sla_world.users["front_desk"], purpose=ContactAttempt.Purpose.COMPLETION, reached=False
    )
    c = clock(ticket, "owner_retry")
    assert c.due_at == tried + dt.timedelta(days=2)
    sweep_at(at, tried + dt.timedelta(days=1, hours=12))
    assert levels(c) == ["warning"]
    sweep_at(at, tried + dt.timedelta(days=2))
    assert levels(c) == ["breach", "warning"]
    assert "customer_service" in told("sla_breach", ticket=ticket, context__policy="owner_retry")
    at(tried + dt.timedelta(days=2, hours=1))
    s.contact_attempt_record(
        ticket=ticket, by=sla_world.users["front_desk"], purpose=ContactAttempt.Purpose.COMPLETION, reached=True
    )
    assert not SlaClock.objects.filter(ticket=ticket, code="owner_retry", stopped_at__isnull=True).exists()


def test_five_failed_attempts_call_for_a_joint_reinspection(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.SIGNOFF)
    for n in range(1, 6):
        at(local(2026, 9, 28, 9, 0) + dt.timedelta(days=2 * n))
        s.contact_attempt_record(
            ticket=ticket, by=sla_world.users["front_desk"], purpose=ContactAttempt.Purpose.COMPLETION, reached=False
        )
        raised = Escalation.objects.filter(ticket=ticket, reason=Escalation.Reason.OWNER_UNREACHABLE).exists()
        assert raised == (n == 5)
    assert {"director", "customer_service", "project_gm"} <= set(told("escalation_raised", ticket=ticket))


def test_callback_is_due_at_the_end_of_the_third_workday_across_national_day(sla_world, at):
    """Signed off Wed 30 Sep 10:00 → workdays Oct 8, 9 and the make-up Saturday Oct 10: due Oct 10 17:30.

    Working minutes allowed: 450 + 540 × 3 = 2070; 75 % = 1552 → Sat Oct 10 08:52.
    """
    at(local(2026, 9, 30, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.SIGNOFF)
    at(local(2026, 9, 30, 10, 0))
    ticket = advance(sla_world, ticket, State.CALLBACK)
    c = clock(ticket, "callback")
    assert (c.warn_at, c.due_at) == (local(2026, 10, 10, 8, 52), local(2026, 10, 10, 17, 30))
    sweep_at(at, local(2026, 10, 7, 23, 59))
    assert levels(c) == []
    sweep_at(at, local(2026, 10, 10, 8, 52))
    assert levels(c) == ["warning"]
    sweep_at(at, local(2026, 10, 10, 17, 29))
    assert levels(c) == ["warning"]
    sweep_at(at, local(2026, 10, 10, 17, 30))
    assert levels(c) == ["breach", "warning"]
    assert "customer_service" in told("sla_breach", ticket=ticket, context__policy="callback")


def test_archiving_after_the_callback_stops_every_clock(sla_world, at):
    at(local(2026, 9, 30, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.ARCHIVED)
    assert not SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).exists()
    sweep_at(at, local(2026, 12, 30, 9, 0))
    assert not SlaAlert.objects.filter(clock__ticket=ticket, level="breach").exists()


def test_warranty_fund_ledger_is_due_one_month_after_delivery(sla_world, at):
    """Delivered 15 Sep: the clock runs from 00:00, due 15 Oct 00:00; 75 % of 30 days = 7 Oct 12:00."""
    sla_world.batch.delivery_date = dt.date(2026, 9, 15)
    sla_world.batch.save()
    at(local(2026, 9, 16, 1, 15))
    assert ensure_ledger_clocks() == 1
    assert ensure_ledger_clocks() == 0  # daily task: idempotent
    c = SlaClock.objects.get(batch=sla_world.batch, code="warranty_fund_ledger")
    assert (c.started_at, c.warn_at, c.due_at) == (
        local(2026, 9, 15, 0, 0),
        local(2026, 10, 7, 12, 0),
        local(2026, 10, 15, 0, 0),
    )
    sweep_at(at, local(2026, 10, 7, 11, 59))
    assert levels(c) == []
    sweep_at(at, local(2026, 10, 7, 12, 0))
    assert levels(c) == ["warning"]
    assert told("sla_warning", context__policy="warranty_fund_ledger") == ["project_dept"]
    sweep_at(at, local(2026, 10, 15, 0, 0))
    assert levels(c) == ["breach", "warning"]


def test_the_settlements_app_stops_the_ledger_clock_in_time(sla_world, at):
    sla_world.batch.delivery_date = dt.date(2026, 9, 15)
    sla_world.batch.save()
    at(local(2026, 9, 16, 1, 15))
    ensure_ledger_clocks()
    at(local(2026, 10, 1, 10, 0))
    assert stop_clocks(subject=sla_world.batch, policy_code=SlaPolicy.Code.WARRANTY_FUND_LEDGER, event="ledger") == 1
    assert stop_clocks(subject=sla_world.batch, policy_code=SlaPolicy.Code.WARRANTY_FUND_LEDGER) == 0
    sweep_at(at, local(2026, 11, 30, 0, 0))
    assert not SlaAlert.objects.filter(clock__batch=sla_world.batch).exists()
    assert ensure_ledger_clocks() == 0  # a stopped ledger clock is not started again


def test_a_project_override_changes_the_target(sla_world, at):
    default = SlaPolicy.objects.get(code="first_contact", project=None)
    SlaPolicy.objects.create(
        code="first_contact",
        project=sla_world.project,
        start_events=default.start_events,
        stop_events=default.stop_events,
        anchor=default.anchor,
        target=30,
        unit="minutes",
        calendar="24x7",
        warn_roles=["front_desk"],
        breach_roles=["director"],
    )
    reported = at(local(2026, 10, 3, 22, 0))  # a holiday evening: round the clock now
    ticket = new_ticket(sla_world)
    assert clock(ticket, "first_contact").due_at == reported + dt.timedelta(minutes=30)


def test_policies_are_read_once_and_again_after_an_edit_or_a_minute(sla_world, at, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.sla import clocks

    def policy_reads():
        with CaptureQueriesContext(connection) as queries:
            ticket = new_ticket(sla_world)
        return ticket, len([q for q in queries.captured_queries if '"tickets_slapolicy"' in q["sql"]])

    reported = at(local(2026, 9, 28, 9, 0))
    assert policy_reads()[1] == 1
    ticket, reads = policy_reads()
    assert reads == 0  # kept by the process
    assert clock(ticket, "first_contact").due_at == reported + dt.timedelta(hours=2)
    # an edit (here, in the admin: any save or delete) applies to the next ticket at once
    policy = SlaPolicy.objects.get(code="first_contact", project=None)
    policy.target = 1
    policy.save()
    ticket, reads = policy_reads()
    assert reads == 1 and clock(ticket, "first_contact").due_at == reported + dt.timedelta(hours=1)
    # one made elsewhere (another process, a bulk update) within POLICIES_SECONDS
    SlaPolicy.objects.filter(pk=policy.pk).update(target=3)
    assert clock(policy_reads()[0], "first_contact").due_at == reported + dt.timedelta(hours=1)
    later = clocks.time.monotonic() + clocks.POLICIES_SECONDS
    monkeypatch.setattr(clocks.time, "monotonic", lambda: later)
    ticket, reads = policy_reads()
    assert reads == 1 and clock(ticket, "first_contact").due_at == reported + dt.timedelta(hours=3)


def test_cancel_stops_every_clock_of_the_ticket(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = new_ticket(sla_world)
    assert SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).count() == 3
    s.ticket_cancel(ticket=ticket, by=sla_world.users["director"], note="业主撤回")
    assert not SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).exists()


def test_a_repeat_ticket_from_the_callback_starts_its_own_clocks(sla_world, at):
    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.CALLBACK)
    at(local(2026, 9, 29, 9, 0))
    repeat = s.ticket_reopen(ticket=ticket, by=sla_world.users["customer_service"], note="仍渗水")
    assert SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).count() == 0
    codes = set(SlaClock.objects.filter(ticket=repeat, stopped_at__isnull=True).values_list("code", flat=True))
    assert codes == {"first_contact", "dispatch_general", "repair_finished"}
    assert clock(repeat, "repair_finished").started_at == local(2026, 9, 29, 9, 0)


def test_a_cadence_agreed_with_the_owner_replaces_the_default(sla_world, at):
    from tickets.sla.services import progress_cadence_agree

    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.REPAIR)
    agreed = at(local(2026, 9, 28, 11, 0))
    progress_cadence_agree(ticket=ticket, by=sla_world.users["steward"], every_hours=24, note="业主希望每天告知")
    c = clock(ticket, "progress_feedback")
    assert c.started_at == agreed and c.due_at == agreed + dt.timedelta(hours=24)
    assert SlaClock.objects.filter(ticket=ticket, code="progress_feedback").count() == 2  # the old one stopped
    told_at = at(local(2026, 9, 29, 10, 0))
    s.contact_attempt_record(
        ticket=ticket, by=sla_world.users["steward"], purpose=ContactAttempt.Purpose.PROGRESS, reached=True
    )
    assert clock(ticket, "progress_feedback").due_at == told_at + dt.timedelta(hours=24)
    sweep_at(at, told_at + dt.timedelta(hours=24))
    assert levels(clock(ticket, "progress_feedback")) == ["breach"]
    with pytest.raises(s.ServiceError):
        progress_cadence_agree(ticket=ticket, by=sla_world.users["steward"], every_hours=1)
    with pytest.raises(s.NotPermitted):
        progress_cadence_agree(ticket=ticket, by=sla_world.users["front_desk"], every_hours=24)


def test_agreeing_a_cadence_before_the_repair_starts_no_clock(sla_world, at):
    from tickets.sla.services import progress_cadence_agree

    at(local(2026, 9, 28, 9, 0))
    ticket = advance(sla_world, new_ticket(sla_world), State.DISPATCH)
    progress_cadence_agree(ticket=ticket, by=sla_world.users["steward"], every_hours=72)
    assert not SlaClock.objects.filter(ticket=ticket, code__startswith="progress").exists()
    dispatched = at(local(2026, 9, 28, 10, 0))
    ticket = advance(sla_world, ticket, State.REPAIR)
    assert clock(ticket, "progress_feedback").due_at == dispatched + dt.timedelta(hours=72)
