"""The pages of the firm and customer service: enter lines, audit, apply, countersign, sign the reconciliation."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from settlements import services as ss
from settlements.models import CostLine, PaymentApplication
from tests.factories import UserFactory
from tests.tickets.lifecycle import advance, fresh, new_ticket
from tickets.models import State

from .conftest import commission_after_refusal, firm_user


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_firm_and_customer_service_work_a_repair_through_the_pages(client, world, funds):
    repair = commission_after_refusal(world, new_ticket(world))
    detail = reverse("settlements:repair_detail", args=[repair.pk])
    worker, cs = firm_user(world), world.users["customer_service"]

    client.force_login(worker)
    assert repair.ticket.number in client.get(reverse("settlements:repair_list")).content.decode()
    line = {"kind": "labour", "description": "防水修补人工", "unit": "工日", "quantity": "1.5", "unit_price": "333.33"}
    client.post(reverse("settlements:line_add", args=[repair.pk]), line)
    created = CostLine.objects.get(repair=repair)
    assert created.line_total == Decimal("500.00")  # 499.995 → 500.00

    client.force_login(cs)
    audit = reverse("settlements:line_audit", args=[created.pk])
    assert f'action="{audit}"' in client.get(detail).content.decode()
    refused = client.post(audit, {"quantity": "1.5", "unit_price": "300", "reason": ""}, follow=True)
    assert any("reason" in m for m in _messages(refused))
    client.post(audit, {"quantity": "1.5", "unit_price": "300", "reason": "按合同单价"})
    assert CostLine.objects.get(pk=created.pk).audited_total == Decimal("450.00")

    advance(world, fresh(repair.ticket), State.CALLBACK, contractor=world.third_party)
    client.force_login(worker)
    above = client.post(reverse("settlements:application_submit", args=[repair.pk]), {"amount": "500.00"}, follow=True)
    assert any("exceeds the audited total" in m for m in _messages(above))
    client.post(reverse("settlements:application_submit", args=[repair.pk]), {"amount": "450.00"})
    app = PaymentApplication.objects.get(repair=repair)
    assert app.state == PaymentApplication.State.SUBMITTED and app.amount == Decimal("450.00")

    client.force_login(cs)
    assert reverse("settlements:application_countersign", args=[app.pk]) in client.get(detail).content.decode()
    client.post(reverse("settlements:application_countersign", args=[app.pk]), {"comment": "已审核"})
    app.refresh_from_db()
    assert app.state == PaymentApplication.State.COUNTERSIGNING
    again = client.post(reverse("settlements:application_countersign", args=[app.pk]), {}, follow=True)
    assert any("already signed" in m or "next signature" in m for m in _messages(again))


def test_pages_are_scoped(client, world, funds):
    repair = commission_after_refusal(world, new_ticket(world))
    client.force_login(UserFactory(role="customer_service", projects=[world.other_project]))
    assert client.get(reverse("settlements:repair_detail", args=[repair.pk])).status_code == 404
    client.force_login(world.users["contractor"])  # another firm's user
    assert client.get(reverse("settlements:repair_detail", args=[repair.pk])).status_code == 404
    line = {"kind": "labour", "description": "x", "quantity": "1", "unit_price": "1"}
    assert client.post(reverse("settlements:line_add", args=[repair.pk]), line).status_code == 404


def test_customer_service_signs_the_reconciliation_on_its_page(client, world, funds):
    today = timezone.localdate()
    rec = ss.reconciliation_prepare(
        project=world.project,
        year=today.year,
        quarter=(today.month - 1) // 3 + 1,
        by=world.users["project_dept"],
        figures={funds.retention.pk: Decimal("100000.00"), funds.developer.pk: Decimal("50000.00")},
    )
    client.force_login(world.users["customer_service"])
    assert str(rec) in client.get(reverse("settlements:reconciliation_list")).content.decode()
    client.post(reverse("settlements:reconciliation_sign", args=[rec.pk]))
    rec.refresh_from_db()
    assert rec.cs_signed_by == world.users["customer_service"]


def test_the_director_commissions_a_firm_from_the_ticket(client, world, funds):
    from settlements.models import CommissionedRepair

    ticket = advance(world, new_ticket(world), State.DISPATCH)
    url = reverse("settlements:ticket_commission", args=[ticket.pk])
    client.force_login(world.users["steward"])
    refused = client.post(url, {"firm": world.third_party.pk, "reason": "refused"})
    assert refused.status_code == 403 and not CommissionedRepair.objects.filter(ticket=ticket).exists()
    client.force_login(world.users["director"])
    wrong = client.post(url, {"firm": world.third_party.pk, "reason": "no_contractor_liable"})
    assert wrong.status_code == 200 and "still liable" in wrong.content.decode()
    response = client.post(url, {"firm": world.third_party.pk, "reason": "refused", "note": "拒绝维修"})
    repair = CommissionedRepair.objects.get(ticket=ticket)
    assert response["Location"] == reverse("settlements:repair_detail", args=[repair.pk])


def test_the_steward_quotes_a_paid_repair_and_links_the_consent(client, world):
    import datetime as dt

    from settlements.models import PaidRepairQuote
    from tests.factories import category
    from tickets import services as ts
    from tickets.models import Location
    from warranty.models import DeliveryBatch

    today = timezone.localdate()
    DeliveryBatch.objects.filter(pk=world.batch.pk).update(
        acceptance_date=today - dt.timedelta(days=1300), delivery_date=today - dt.timedelta(days=1200)
    )
    ticket = new_ticket(
        world, defects=[ts.DefectInput(location=Location.KITCHEN, category=category("fitout"), description="柜门")]
    )
    ticket = advance(world, ticket, State.DISPATCH)
    client.force_login(world.users["steward"])
    form = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-kind": "material",
        "lines-0-description": "铰链",
        "lines-0-unit": "个",
        "lines-0-quantity": "3",
        "lines-0-unit_price": "9.99",
        "lines-1-kind": "labour",
        "lines-1-description": "人工",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "80",
    }
    response = client.post(reverse("settlements:ticket_quote", args=[ticket.pk]), form)
    quote = PaidRepairQuote.objects.get(ticket=ticket)
    assert response["Location"] == reverse("settlements:quote_detail", args=[quote.pk])
    assert quote.total == Decimal("109.97")
    consent = ts.consent_record(
        ticket=ticket, by=world.users["steward"], subject="quote", what="同意", how="phone", amount=Decimal("109.97")
    )
    client.post(reverse("settlements:quote_detail", args=[quote.pk]), {"consent": consent.pk})
    quote.refresh_from_db()
    assert quote.consent == consent
