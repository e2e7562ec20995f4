"""Objects for the hostile-input tests, built lazily and at most once per test function.

``HostileWorld(world)`` wraps the lifecycle world of tests/tickets and builds, on
first use, the ticket, notice, repair, application … that an endpoint needs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from tests.tickets.conftest import in_future
from tests.tickets.lifecycle import advance, contractor_user, fresh, new_ticket
from tickets import services as s
from tickets.models import Appointment, Escalation, State


class HostileWorld:
    def __init__(self, world):
        self.world = world
        self.users = world.users

    # --- tickets in each state ---------------------------------------------------------------

    @cached_property
    def intake_ticket(self):
        return new_ticket(self.world)

    @cached_property
    def triage_ticket(self):
        return advance(self.world, new_ticket(self.world), State.TRIAGE)

    @cached_property
    def dispatch_ticket(self):
        """In dispatch, with a written plan (ready to be dispatched) and a booked survey."""
        ticket = advance(self.world, new_ticket(self.world), State.DISPATCH)
        s.plan_submit(ticket=ticket, by=self.users["steward"], cause="防水层破损", method="重做防水")
        s.appointment_schedule(
            ticket=fresh(ticket), by=self.users["steward"], kind=Appointment.Kind.SURVEY, scheduled_at=in_future(5)
        )
        return fresh(ticket)

    @cached_property
    def survey_appointment(self):
        return self.dispatch_ticket.appointments.filter(kind=Appointment.Kind.SURVEY, outcome="").last()

    @cached_property
    def complex_plan(self):
        ticket = advance(self.world, new_ticket(self.world), State.DISPATCH, difficulty="complex")
        return s.plan_submit(ticket=ticket, by=self.users["steward"], cause="结构裂缝", method="注浆加固")

    @cached_property
    def sent_notice(self):
        """A dispatch notice sent to the waterproofing contractor, not yet answered."""
        ticket = advance(self.world, new_ticket(self.world), State.DISPATCH)
        s.plan_submit(ticket=ticket, by=self.users["steward"], cause="防水层破损", method="重做防水")
        return s.ticket_dispatch(
            ticket=fresh(ticket),
            by=self.users["steward"],
            contractor=self.world.waterproof,
            scheduled_at=in_future(3),
        )

    @cached_property
    def accepted_notice(self):
        """A notice the waterproofing contractor accepted: its current job, in repair."""
        ticket = advance(self.world, new_ticket(self.world), State.DISPATCH)
        s.plan_submit(ticket=ticket, by=self.users["steward"], cause="防水层破损", method="重做防水")
        notice = s.ticket_dispatch(
            ticket=fresh(ticket),
            by=self.users["steward"],
            contractor=self.world.waterproof,
            scheduled_at=in_future(3),
        )
        return s.notice_accept(notice=notice, by=self.users["waterproof_contractor"])

    @cached_property
    def repair_ticket(self):
        return fresh(self.accepted_notice.ticket)

    @cached_property
    def signoff_ticket(self):
        return advance(self.world, new_ticket(self.world), State.SIGNOFF)

    @cached_property
    def callback_ticket(self):
        return advance(self.world, new_ticket(self.world), State.CALLBACK)

    # --- callbacks -------------------------------------------------------------------------------

    @cached_property
    def follow_up(self):
        from callbacks import services as cs
        from callbacks.models import FollowUpCase
        from callbacks.services import CallbackAnswer

        ticket = advance(self.world, new_ticket(self.world), State.CALLBACK)
        answer = CallbackAnswer(
            reached=True, resolved=True, quality="satisfied", attitude="dissatisfied", timeliness="satisfied"
        )
        cs.callback_record(callback=ticket.callback, by=self.users["customer_service"], answer=answer)
        return FollowUpCase.objects.get(ticket=ticket)

    @cached_property
    def survey_campaign(self):
        from callbacks.models import SurveyCampaign

        return SurveyCampaign.objects.create(
            project=self.world.project,
            name="2026 Q4",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            created_by=self.users["director"],
        )

    # --- escalations -----------------------------------------------------------------------------

    @cached_property
    def escalation(self):
        from tickets.escalations import escalation_raise

        return escalation_raise(
            ticket=self.intake_ticket,
            by=self.users["customer_service"],
            reason=Escalation.Reason.CONTRACTOR_STAFF,
            note="态度差",
        )

    # --- settlements -----------------------------------------------------------------------------

    @cached_property
    def funds(self):
        from settlements import services as ss

        dept = self.users["project_dept"]
        retention = ss.fund_open(
            by=dept,
            engagement=self.world.waterproof.engagements.get(project=self.world.project),
            term_ends_on=timezone.localdate() + dt.timedelta(days=3 * 365),
        )
        developer = ss.fund_open(by=dept, project=self.world.project, opening_amount=Decimal("50000.00"))
        return retention, developer

    def _commissioned(self):
        from settlements import services as ss
        from settlements.models import CommissionReason

        self.funds  # noqa: B018  (opened before the first commission)
        ticket = advance(self.world, new_ticket(self.world), State.REPAIR)
        s.notice_decline(notice=ticket.notices.last(), by=self.users["waterproof_contractor"], reason="人手不足")
        return ss.repair_commission(
            ticket=fresh(ticket),
            by=self.users["director"],
            firm=self.world.third_party,
            reason=CommissionReason.REFUSED,
        )

    @cached_property
    def firm_user(self):
        return contractor_user(self.world, self.world.third_party)

    @cached_property
    def repair(self):
        """A commissioned repair in progress, with one cost line entered by the firm (not audited)."""
        from settlements import services as ss

        repair = self._commissioned()
        ss.cost_line_add(
            repair=repair,
            by=self.firm_user,
            line=ss.LineInput(
                kind="labour",
                description="防水修补人工",
                unit="工日",
                quantity=Decimal("1.5"),
                unit_price=Decimal("300"),
            ),
        )
        return repair

    @cached_property
    def cost_line(self):
        return self.repair.lines.get()

    @cached_property
    def audited_repair(self):
        """A commissioned repair, audited and signed off: ready for the firm's payment application."""
        from settlements import services as ss

        repair = self._commissioned()
        line = ss.cost_line_add(
            repair=repair,
            by=self.firm_user,
            line=ss.LineInput(
                kind="material", description="防水涂料", unit="kg", quantity=Decimal("10"), unit_price=Decimal("20")
            ),
        )
        ss.cost_line_audit(line=line, by=self.users["customer_service"])
        advance(self.world, fresh(repair.ticket), State.CALLBACK, contractor=self.world.third_party)
        repair.refresh_from_db()
        return repair

    @cached_property
    def application(self):
        """A submitted payment application (of another audited repair)."""
        from settlements import services as ss

        repair = self._commissioned()
        line = ss.cost_line_add(
            repair=repair,
            by=self.firm_user,
            line=ss.LineInput(
                kind="labour", description="人工", unit="工日", quantity=Decimal("1"), unit_price=Decimal("350")
            ),
        )
        ss.cost_line_audit(line=line, by=self.users["customer_service"])
        advance(self.world, fresh(repair.ticket), State.CALLBACK, contractor=self.world.third_party)
        repair.refresh_from_db()
        draft = ss.payment_application_create(repair=repair, by=self.firm_user, amount=repair.audited_total)
        return ss.payment_application_submit(application=draft, by=self.firm_user)

    @cached_property
    def reconciliation(self):
        from settlements import services as ss

        retention, developer = self.funds
        today = timezone.localdate()
        return ss.reconciliation_prepare(
            project=self.world.project,
            year=today.year,
            quarter=(today.month - 1) // 3 + 1,
            by=self.users["project_dept"],
            figures={retention.pk: Decimal("100000.00"), developer.pk: Decimal("50000.00")},
        )
