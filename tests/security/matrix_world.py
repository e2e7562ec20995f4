"""Objects for the permission matrix: built lazily, once per test, only what the URL under test needs.

``MatrixWorld(world)`` wraps the lifecycle tests' world (project YQF, its unit, owner, contractors and one user
per role). Each object the URLs point at is a cached property, so a test for ``tickets:detail`` builds one
ticket and a test for ``settlements:application_countersign`` builds a whole audited, paid-for repair.

The "contractor" of the matrix is the user of the firm actually repairing the matrix's ticket (the third-party
firm commissioned after the liable contractor declined); "other_project" users serve project LW (or, for a
contractor, belong to another firm: the general contractor).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from callbacks import services as cbs
from callbacks.models import Callback, FollowUpCase, JointReinspection, SurveyCampaign
from settlements import services as ss
from settlements.models import PaidRepairQuote
from tests.factories import ContractorFactory, UserFactory, category
from tests.settlements.conftest import LINES, audited_repair, commission_after_refusal, firm_user
from tests.tickets.conftest import in_future, jpeg_upload, new_report
from tests.tickets.lifecycle import advance, fresh, new_ticket
from tickets import escalations
from tickets import services as ts
from tickets.models import Appointment, Location, State
from tickets.reporting.daily import daily_report_send
from tickets.services import DefectInput

ROLES = (
    "front_desk",
    "steward",
    "director",
    "engineer",
    "customer_service",
    "project_gm",
    "contractor",
    "project_dept",
    "finance",
)


def make_world():
    """The lifecycle tests' world (tests/tickets/conftest.py ``world``), callable outside a fixture."""
    from tests.tickets import conftest

    fixture = conftest.world
    build = getattr(fixture, "_get_wrapped_function", None)
    return (build() if build else fixture.__pytest_wrapped__.obj)(None)


OBJECTS = (
    "ticket",
    "pending_plan",
    "cost_line",
    "escalation",
    "quote",
    "application",
    "reconciliation",
    "callback_ticket",
    "reinspection",
    "follow_up",
    "contact_change",
    "archived_ticket",
    "survey",
    "daily_report",
)


class MatrixWorld:
    def __init__(self, world):
        self.world = world
        self._others: dict[str, object] = {}

    def build_all(self) -> MatrixWorld:
        """Every object any URL of the matrix points at, and a user of another project for every role."""
        for name in OBJECTS:
            getattr(self, name)
        for role in ROLES:
            self.other_user(role)
        self.superuser  # noqa: B018
        return self

    # --- people ---------------------------------------------------------------------------------------

    def user(self, role: str):
        """The user acting as ``role`` on this project (contractor: the firm repairing the matrix's ticket)."""
        if role == "contractor":
            return firm_user(self.world)
        return self.world.users[role]

    def other_user(self, role: str):
        """A user with ``role`` who serves another project (a contractor: of another firm)."""
        if role not in self._others:
            if role == "contractor":
                self._others[role] = UserFactory(role="contractor", contractor=ContractorFactory(name="外部承包商"))
            elif role == "steward":
                self._others[role] = self.world.users["outsider"]
            else:
                self._others[role] = UserFactory(role=role, projects=[self.world.other_project])
        return self._others[role]

    @cached_property
    def superuser(self):
        return UserFactory(username="matrix_root", is_superuser=True, is_staff=True)

    # --- the ticket being repaired by a commissioned firm ------------------------------------------

    @cached_property
    def repair(self):
        """A reported ticket (with a photo) whose liable contractor declined; the third-party firm is commissioned."""
        self.funds  # noqa: B018  (a commissioned repair is paid from the liable contractor's retention)
        report = new_report(
            self.world,
            defects=[
                DefectInput(
                    location=Location.MASTER_BATHROOM,
                    category=category("waterproofing"),
                    description="主卫顶棚渗水",
                    photos=[jpeg_upload()],
                )
            ],
        )
        repair = commission_after_refusal(self.world, report.tickets.get())
        ticket = fresh(repair.ticket)
        if ticket.state == State.DISPATCH:  # the declined notice sent it back: dispatch to the commissioned firm
            ts.ticket_dispatch(
                ticket=ticket,
                by=self.world.users["steward"],
                contractor=self.world.third_party,
                scheduled_at=in_future(),
                override_reason="委托第三方维修",
            )
        notice = fresh(ticket).notices.filter(contractor=self.world.third_party).last()
        ts.notice_accept(notice=notice, by=firm_user(self.world))  # the firm's current job
        return repair

    @cached_property
    def ticket(self):
        return fresh(self.repair.ticket)

    @property
    def report(self):
        return self.ticket.report

    @property
    def attachment(self):
        return self.ticket.attachments.first()

    @property
    def notice(self):
        return self.ticket.notices.filter(contractor=self.world.third_party).last()

    @property
    def appointment(self):
        return self.ticket.appointments.filter(kind=Appointment.Kind.REPAIR).last()

    @property
    def plan(self):
        return self.ticket.plans.last()

    @cached_property
    def pending_plan(self):
        """A complex repair's plan, waiting for the director's approval."""
        ticket = advance(self.world, new_ticket(self.world), State.DISPATCH, difficulty="complex")
        return ts.plan_submit(
            ticket=ticket, by=self.world.users["steward"], cause="防水层破损", method="重做防水", materials=["防水涂料"]
        )

    @cached_property
    def cost_line(self):
        return ss.cost_line_add(repair=self.repair, by=firm_user(self.world), line=LINES[0])

    @cached_property
    def escalation(self):
        return escalations.escalation_raise(
            ticket=self.ticket, by=self.world.users["director"], reason="contractor_staff", note="维修工态度差"
        )

    @cached_property
    def quote(self):
        return PaidRepairQuote.objects.create(
            number=f"{self.ticket.number}-BJ1", ticket=self.ticket, created_by=self.world.users["steward"]
        )

    # --- money --------------------------------------------------------------------------------------

    @cached_property
    def funds(self):
        dept = self.world.users["project_dept"]
        retention = ss.fund_open(
            by=dept,
            engagement=self.world.waterproof.engagements.get(project=self.world.project),
            term_ends_on=timezone.localdate() + dt.timedelta(days=3 * 365),
        )
        developer = ss.fund_open(by=dept, project=self.world.project, opening_amount=Decimal("50000.00"))
        return retention, developer

    @cached_property
    def application(self):
        self.funds  # noqa: B018  (the application is paid from the retention fund)
        self.ticket  # noqa: B018  (its repair goes first: the firm's user is made there)
        repair = audited_repair(self.world)
        worker = firm_user(self.world)
        draft = ss.payment_application_create(repair=repair, by=worker, amount=repair.audited_total)
        return ss.payment_application_submit(application=draft, by=worker)

    @cached_property
    def reconciliation(self):
        retention, developer = self.funds
        today = timezone.localdate()
        return ss.reconciliation_prepare(
            project=self.world.project,
            year=today.year,
            quarter=(today.month - 1) // 3 + 1,
            by=self.world.users["project_dept"],
            figures={retention.pk: Decimal("0.00"), developer.pk: Decimal("50000.00")},
        )

    # --- after the repair: callbacks and the archive ---------------------------------------------

    @cached_property
    def callback_ticket(self):
        return advance(self.world, new_ticket(self.world), State.CALLBACK)

    @property
    def callback(self):
        return Callback.objects.get(ticket=self.callback_ticket)

    @cached_property
    def reinspection(self):
        return cbs.joint_reinspection_open(ticket=self.callback_ticket, trigger=JointReinspection.Trigger.CALLBACK)

    @cached_property
    def follow_up(self):
        return cbs.follow_up_open(
            ticket=self.callback_ticket,
            by=self.world.users["customer_service"],
            reason=FollowUpCase.Reason.DELAY,
        )

    @cached_property
    def contact_change(self):
        return cbs.contact_change_raise(
            ticket=self.callback_ticket, by=self.world.users["front_desk"], new_phone="13900001111", note="换号"
        )

    @cached_property
    def archived_ticket(self):
        return advance(self.world, new_ticket(self.world), State.ARCHIVED)

    @cached_property
    def survey(self):
        return SurveyCampaign.objects.create(
            project=self.world.project,
            name="2026 Q4",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            created_by=self.world.users["director"],
        )

    # --- reports --------------------------------------------------------------------------------------

    @cached_property
    def daily_report(self):
        return daily_report_send(project=self.world.project, by=self.world.users["director"])
