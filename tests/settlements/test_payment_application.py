"""Every edge of the payment application, its permissions, segregation of duties and the audit ceiling."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from settlements import services as ss
from settlements.models import Countersignature, CountersignStep, LedgerEntry, PaymentApplication
from tests.tickets.lifecycle import advance, fresh
from tickets.models import State

from .conftest import approved, audited_repair, commission_after_refusal, countersigned, firm_user, reload

S = PaymentApplication.State
PAY = {"voucher_no": "记-001", "payment_date": dt.date(2026, 11, 20)}


# --- allowed edges ------------------------------------------------------------------------------


def test_draft_to_submitted_fixes_the_chain(world, funds):
    repair = audited_repair(world)
    draft = ss.payment_application_create(repair=repair, by=firm_user(world), amount=Decimal("100.00"))
    assert draft.state == S.DRAFT and draft.chain == []
    app = ss.payment_application_submit(application=draft, by=firm_user(world))
    assert app.state == S.SUBMITTED and app.submitted_at is not None
    assert app.chain == ["customer_service", "project_dept"]


def test_submitted_to_countersigning_to_approved_to_paid(world, application):
    app = ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    assert app.state == S.COUNTERSIGNING and app.next_countersign_role == "project_dept"
    app = ss.payment_application_countersign(application=app, by=world.users["project_dept"])
    assert app.state == S.COUNTERSIGNING and app.next_countersign_role is None
    app = ss.payment_application_approve(application=app, by=world.users["finance"])
    assert app.state == S.APPROVED
    app = ss.payment_application_record_payment(application=app, by=world.users["finance"], **PAY)
    assert app.state == S.PAID and app.voucher_no == "记-001" and app.payment_date == dt.date(2026, 11, 20)
    assert app.history.first().history_user == world.users["finance"]


@pytest.mark.parametrize("stage", ["submitted", "countersigning", "approved"])
def test_rejected_from_each_open_state_with_a_reason(world, application, money_people, stage):
    app = application
    if stage == "countersigning":
        app = ss.payment_application_countersign(application=app, by=world.users["customer_service"])
    elif stage == "approved":
        app = approved(world, app)
    assert app.state == stage
    with pytest.raises(ss.ServiceError, match="reason"):
        ss.payment_application_reject(application=app, by=money_people.finance2, reason="  ")
    app = ss.payment_application_reject(application=app, by=money_people.finance2, reason="发票抬头有误")
    assert app.state == S.REJECTED and app.rejection_reason == "发票抬头有误"
    assert app.rejected_by == money_people.finance2
    assert not LedgerEntry.objects.filter(payment_application=app).exists()


def test_after_a_rejection_the_firm_may_apply_again(world, application, money_people):
    ss.payment_application_reject(application=application, by=money_people.finance2, reason="金额需复核")
    again = ss.payment_application_create(repair=application.repair, by=firm_user(world), amount=Decimal("500.00"))
    assert again.number.endswith("-FK2") and again.state == S.DRAFT


def test_a_second_live_application_for_the_same_repair_is_refused(world, application):
    with pytest.raises(ss.NotAllowed, match="already has a payment application"):
        ss.payment_application_create(repair=application.repair, by=firm_user(world), amount=Decimal("1.00"))


# --- edges that do not exist -----------------------------------------------------------------------


def test_transitions_not_possible_from_each_state(world, application, money_people):
    fin, worker = world.users["finance"], firm_user(world)
    # submitted: cannot be approved or paid or submitted again
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_approve(application=application, by=fin)
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_record_payment(application=application, by=fin, **PAY)
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_submit(application=application, by=worker)
    # countersigning, fully signed: no further countersignature
    app = countersigned(world, application)
    with pytest.raises(ss.ConditionFailed, match="countersignature is still due"):
        ss.payment_application_countersign(application=app, by=money_people.dept2)
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_record_payment(application=app, by=fin, **PAY)
    # approved: no second approval, no countersignature
    app = ss.payment_application_approve(application=app, by=fin)
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_approve(application=app, by=money_people.finance2)
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_countersign(application=app, by=money_people.cs2)
    # paid is final: no rejection, no second payment
    app = ss.payment_application_record_payment(application=app, by=fin, **PAY)
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_reject(application=app, by=money_people.finance2, reason="重复")
    with pytest.raises(ss.NotAllowed):
        ss.payment_application_record_payment(application=app, by=money_people.finance2, **PAY)
    assert LedgerEntry.objects.filter(payment_application=app).count() == 1


def test_a_draft_cannot_be_countersigned_approved_or_rejected(world, funds):
    repair = audited_repair(world)
    draft = ss.payment_application_create(repair=repair, by=firm_user(world), amount=Decimal("10.00"))
    for call in (
        lambda: ss.payment_application_countersign(application=draft, by=world.users["customer_service"]),
        lambda: ss.payment_application_approve(application=draft, by=world.users["finance"]),
        lambda: ss.payment_application_reject(application=draft, by=world.users["finance"], reason="x"),
    ):
        with pytest.raises(ss.NotAllowed):
            call()


def test_rejected_is_final(world, application, money_people):
    app = ss.payment_application_reject(application=application, by=money_people.finance2, reason="不符")
    for call in (
        lambda: ss.payment_application_countersign(application=app, by=world.users["customer_service"]),
        lambda: ss.payment_application_approve(application=app, by=world.users["finance"]),
        lambda: ss.payment_application_submit(application=app, by=firm_user(world)),
    ):
        with pytest.raises(ss.NotAllowed):
            call()


def test_a_stale_copy_is_refused(world, application):
    stale = reload(application)
    ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    with pytest.raises(ss.Conflict):
        ss.payment_application_reject(application=stale, by=world.users["finance"], reason="x")


# --- submit conditions ------------------------------------------------------------------------------


def test_submit_waits_for_sign_off_and_the_full_audit(world, funds):
    ticket = advance(
        world, fresh(commission_after_refusal(world, _ticket(world)).ticket), State.REPAIR, contractor=world.third_party
    )
    repair = ticket.commissioned_repair
    worker = firm_user(world)
    line = ss.cost_line_add(repair=repair, by=worker, line=ss.LineInput("labour", "人工", Decimal("1"), Decimal("200")))
    ss.cost_line_add(repair=repair, by=worker, line=ss.LineInput("material", "密封胶", Decimal("2"), Decimal("35")))
    ss.cost_line_audit(line=line, by=world.users["customer_service"])
    draft = ss.payment_application_create(repair=repair, by=worker, amount=Decimal("200.00"))
    with pytest.raises(ss.ConditionFailed) as err:
        ss.payment_application_submit(application=draft, by=worker)
    assert "passed sign-off" in str(err.value) and "audited every cost line" in str(err.value)
    assert reload(draft).state == S.DRAFT


def _ticket(world):
    from tests.tickets.lifecycle import new_ticket

    return new_ticket(world)


# --- permissions ---------------------------------------------------------------------------------------


def test_each_transition_needs_its_permission(world, application):
    u = world.users
    with pytest.raises(ss.NotPermitted):  # the steward has no countersigning right
        ss.payment_application_countersign(application=application, by=u["steward"])
    app = countersigned(world, application)
    with pytest.raises(ss.NotPermitted):  # customer service cannot approve a payout
        ss.payment_application_approve(application=app, by=u["director"])
    app = ss.payment_application_approve(application=app, by=u["finance"])
    with pytest.raises(ss.NotPermitted):
        ss.payment_application_record_payment(application=app, by=u["customer_service"], **PAY)
    with pytest.raises(ss.NotPermitted):
        ss.payment_application_reject(application=app, by=u["front_desk"], reason="x")


def test_the_chain_role_must_match_the_next_step(world, application):
    with pytest.raises(ss.NotPermitted, match="next signature"):  # the project department signs second
        ss.payment_application_countersign(application=application, by=world.users["project_dept"])


def test_a_project_can_have_its_own_chain(world, funds):
    CountersignStep.objects.create(project=world.project, position=1, role="project_dept")
    repair = audited_repair(world)
    app = ss.payment_application_create(repair=repair, by=firm_user(world), amount=Decimal("20.00"))
    app = ss.payment_application_submit(application=app, by=firm_user(world))
    assert app.chain == ["project_dept"]
    app = ss.payment_application_countersign(application=app, by=world.users["project_dept"])
    app = ss.payment_application_approve(application=app, by=world.users["finance"])
    assert app.state == S.APPROVED


def test_another_projects_staff_cannot_act(world, application):
    from tests.factories import UserFactory

    stranger = UserFactory(role="customer_service", projects=[world.other_project])
    with pytest.raises(ss.OutOfScope):
        ss.payment_application_countersign(application=application, by=stranger)


# --- segregation of duties -----------------------------------------------------------------------------


@pytest.fixture
def staff_request(world, funds):
    """An application drafted by a finance user on behalf of the firm (a superuser acting as staff)."""
    from tests.factories import UserFactory

    repair = audited_repair(world)
    clerk = UserFactory(role="finance", projects=[world.project], username="clerk", is_superuser=True)
    app = ss.payment_application_create(repair=repair, by=clerk, amount=Decimal("100.00"))
    return ss.payment_application_submit(application=app, by=clerk), clerk


def test_the_requester_may_not_countersign_approve_pay_or_reject(world, staff_request):
    app, clerk = staff_request
    with pytest.raises(ss.SegregationOfDuties, match="requested this payment and may not countersign"):
        ss.payment_application_countersign(application=app, by=clerk)
    app = countersigned(world, app)
    with pytest.raises(ss.SegregationOfDuties, match="requested this payment and may not approve"):
        ss.payment_application_approve(application=app, by=clerk)
    with pytest.raises(ss.SegregationOfDuties, match="requested this payment and may not reject"):
        ss.payment_application_reject(application=app, by=clerk, reason="x")
    app = ss.payment_application_approve(application=app, by=world.users["finance"])
    with pytest.raises(ss.SegregationOfDuties, match="requested this payment and may not pay"):
        ss.payment_application_record_payment(application=app, by=clerk, **PAY)


def test_nobody_signs_twice(world, application):
    from tests.factories import UserFactory

    both = UserFactory(role="customer_service", projects=[world.project], username="cs_and_dept")
    both.groups.add(*world.users["project_dept"].groups.all())
    app = ss.payment_application_countersign(application=application, by=both)
    with pytest.raises(ss.SegregationOfDuties, match="already signed this application"):
        ss.payment_application_countersign(application=app, by=both)
    assert Countersignature.objects.filter(application=app).count() == 1


def test_a_countersigner_may_not_approve_or_pay(world, application, money_people):
    from tests.factories import UserFactory

    signer = UserFactory(role="project_dept", projects=[world.project], username="dept_and_finance")
    signer.groups.add(*world.users["finance"].groups.all())
    app = ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    app = ss.payment_application_countersign(application=app, by=signer)
    with pytest.raises(ss.SegregationOfDuties, match="countersigned this application and may not approve"):
        ss.payment_application_approve(application=app, by=signer)
    app = ss.payment_application_approve(application=app, by=world.users["finance"])
    with pytest.raises(ss.SegregationOfDuties, match="countersigned this application and may not pay"):
        ss.payment_application_record_payment(application=app, by=signer, **PAY)


def test_the_database_refuses_a_double_signature_and_self_approval(world, application):
    ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Countersignature.objects.create(
            application=application, position=2, role="project_dept", signed_by=world.users["customer_service"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentApplication.objects.filter(pk=application.pk).update(approved_by=application.requested_by)


# --- the audit ceiling -------------------------------------------------------------------------------


def test_amounts_above_the_audited_total_are_refused(world, funds):
    repair = audited_repair(world)
    worker = firm_user(world)
    assert repair.audited_total == Decimal("939.70")
    with pytest.raises(ss.AboveAudit, match="939.70"):
        ss.payment_application_create(repair=repair, by=worker, amount=Decimal("939.71"))
    app = ss.payment_application_create(repair=repair, by=worker, amount=Decimal("939.70"))
    with pytest.raises(ss.AboveAudit):
        ss.payment_application_amend(application=app, by=worker, amount=Decimal("959.65"))  # the entered total
    with pytest.raises(ss.ServiceError, match="two decimals"):
        ss.payment_application_amend(application=app, by=worker, amount=Decimal("100.005"))


def test_approval_is_refused_when_the_audit_no_longer_covers_the_amount(world, application):
    app = countersigned(world, application)
    # A back-office correction lowers the audit after submission (not possible through the services).
    line = app.repair.lines.first()
    line.audited_unit_price = Decimal("0.00")
    line.save()
    with pytest.raises(ss.ServiceError, match="exceeds the audited total"):
        ss.payment_application_approve(application=app, by=world.users["finance"])
    assert reload(app).state == S.COUNTERSIGNING


def test_every_transition_refuses_a_stale_copy(world, funds, money_people):
    """A copy read before someone else moved the application on is refused, never applied twice."""
    repair = audited_repair(world)
    worker, fin = firm_user(world), world.users["finance"]
    draft = ss.payment_application_create(repair=repair, by=worker, amount=Decimal("50.00"))
    stale_draft = reload(draft)
    submitted = ss.payment_application_submit(application=draft, by=worker)
    with pytest.raises(ss.Conflict):
        ss.payment_application_submit(application=stale_draft, by=worker)

    stale_submitted = reload(submitted)
    signing = ss.payment_application_countersign(application=submitted, by=world.users["customer_service"])
    with pytest.raises(ss.Conflict):
        ss.payment_application_countersign(application=stale_submitted, by=money_people.cs2)

    signed = ss.payment_application_countersign(application=signing, by=world.users["project_dept"])
    stale_signed = reload(signed)
    ok = ss.payment_application_approve(application=signed, by=fin)
    with pytest.raises(ss.Conflict):
        ss.payment_application_approve(application=stale_signed, by=money_people.finance2)
    with pytest.raises(ss.Conflict):
        ss.payment_application_reject(application=stale_signed, by=money_people.finance2, reason="迟到的驳回")

    stale_approved = reload(ok)
    ss.payment_application_record_payment(application=ok, by=fin, **PAY)
    with pytest.raises(ss.Conflict):
        ss.payment_application_record_payment(application=stale_approved, by=money_people.finance2, **PAY)
    assert LedgerEntry.objects.filter(payment_application=ok).count() == 1
    assert reload(ok).history.filter(state=S.PAID).count() == 1
