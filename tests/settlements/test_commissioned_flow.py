"""The whole commissioned repair, from the contractor's refusal to the deduction on its retention."""

import datetime as dt
from decimal import Decimal

from settlements import services as ss
from settlements.models import CostLine, LedgerEntry, PaymentApplication

from .conftest import audited_repair, firm_user


def test_refused_repair_is_paid_by_the_firm_and_deducted_from_the_defaulting_retention(world, funds):
    """Lines audited, sign-off passed, countersigned by CS then the project department, approved and paid by finance:
    the retention of the contractor who refused is debited by exactly the amount paid."""
    repair = audited_repair(world)
    assert repair.fund == funds.retention
    assert repair.defaulting_contractor == world.waterproof
    # 12.5 × 18.80 = 235.00; audited 3 × 59.90 = 179.70 (entered 3.333 → 199.65); 1.5 × 350 = 525.00
    assert [line.line_total for line in repair.lines.all()] == [Decimal("235.00"), Decimal("199.65"), Decimal("525.00")]
    assert repair.quoted_total == Decimal("959.65")
    assert repair.audited_total == Decimal("939.70")
    adjusted = repair.lines.get(audit_status=CostLine.Audit.ADJUSTED)
    assert adjusted.audit_reason == "按实测面积3平方米" and adjusted.audited_total == Decimal("179.70")

    worker = firm_user(world)
    app = ss.payment_application_create(repair=repair, by=worker, amount=Decimal("939.70"))
    app = ss.payment_application_submit(application=app, by=worker)
    assert app.state == PaymentApplication.State.SUBMITTED
    assert app.chain == ["customer_service", "project_dept"]
    app = ss.payment_application_countersign(application=app, by=world.users["customer_service"], comment="价格已审")
    assert app.state == PaymentApplication.State.COUNTERSIGNING
    app = ss.payment_application_countersign(application=app, by=world.users["project_dept"])
    assert [s.role for s in app.countersignatures.all()] == ["customer_service", "project_dept"]
    app = ss.payment_application_approve(application=app, by=world.users["finance"])
    assert app.state == PaymentApplication.State.APPROVED and app.approved_by == world.users["finance"]
    app = ss.payment_application_record_payment(
        application=app, by=world.users["finance"], voucher_no="记-2026-0912", payment_date=dt.date(2026, 11, 20)
    )
    assert app.state == PaymentApplication.State.PAID

    entry = LedgerEntry.objects.get(payment_application=app)
    assert entry.fund == funds.retention
    assert entry.kind == LedgerEntry.Kind.DEDUCTION
    assert entry.amount == Decimal("-939.70")
    assert entry.booked_on == dt.date(2026, 11, 20)
    assert entry.balance_after == Decimal("99060.30")
    assert funds.retention.balance == Decimal("99060.30")
    assert funds.developer.balance == Decimal("50000.00")
    assert list(app.history.values_list("state", flat=True)) == [
        "paid",
        "approved",
        "countersigning",
        "countersigning",
        "submitted",
        "draft",
    ]


def test_the_ticket_timeline_and_the_outbox_follow_the_money(world, funds):
    """Each step is written on the ticket's timeline; the next signer, finance and the firm are told."""
    from tickets.models import OutboxMessage, TimelineEvent

    from .conftest import approved

    repair = audited_repair(world)
    worker = firm_user(world)
    app = ss.payment_application_create(repair=repair, by=worker, amount=Decimal("100.00"))
    app = ss.payment_application_submit(application=app, by=worker)
    assert OutboxMessage.objects.filter(event="payment_countersign_due", recipient=world.users["customer_service"])
    app = approved(world, app)
    assert OutboxMessage.objects.filter(event="payment_countersign_due", recipient=world.users["project_dept"])
    assert OutboxMessage.objects.filter(event="payment_awaiting_approval", recipient=world.users["finance"])
    ss.payment_application_record_payment(
        application=app, by=world.users["finance"], voucher_no="记-7", payment_date=dt.date(2026, 11, 20)
    )
    assert OutboxMessage.objects.filter(event="payment_paid", recipient=worker)
    verbs = list(TimelineEvent.objects.filter(ticket=repair.ticket).values_list("verb", flat=True))
    for verb in [
        "commissioned",
        "payment_submit",
        "payment_countersign",
        "payment_approve",
        "payment_record_payment",
    ]:
        assert verb in verbs
