"""Repairs the owner pays for: quote, consent, payment recorded by finance, a receipt."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from settlements import services as ss
from settlements.models import OwnerPayment
from tests.factories import category
from tests.tickets.lifecycle import advance, new_ticket
from tickets import services as ts
from tickets.models import Location, OwnerConsent, State
from warranty.models import DeliveryBatch

LINES = [
    ss.LineInput("material", "橱柜铰链", Decimal("4"), Decimal("12.50"), unit="个"),
    ss.LineInput("labour", "更换人工", Decimal("0.5"), Decimal("120.00"), unit="工日"),
]


@pytest.fixture
def paid_ticket(world):
    """A fit-out defect three years after delivery: out of the owner's warranty, a paid repair."""
    today = timezone.localdate()
    DeliveryBatch.objects.filter(pk=world.batch.pk).update(
        acceptance_date=today - dt.timedelta(days=1300), delivery_date=today - dt.timedelta(days=1200)
    )
    ticket = new_ticket(
        world,
        defects=[ts.DefectInput(location=Location.KITCHEN, category=category("fitout"), description="橱柜门下垂")],
    )
    ticket = advance(world, ticket, State.DISPATCH)
    assert ticket.payer == "owner"
    return ticket


def test_quote_consent_payment_and_receipt(client, world, paid_ticket):
    steward, fin = world.users["steward"], world.users["finance"]
    quote = ss.quote_create(ticket=paid_ticket, by=steward, lines=LINES)
    assert quote.total == Decimal("110.00")
    with pytest.raises(ss.NotAllowed, match="not consented"):
        ss.owner_payment_record(
            quote=quote,
            by=fin,
            amount="110.00",
            method="wechat_pay",
            receipt_no="SK-1",
            paid_on=timezone.localdate(),
            payer_name="",
        )
    wrong = ts.consent_record(
        ticket=paid_ticket, by=steward, subject="quote", what="同意报价", how="phone", amount=Decimal("100.00")
    )
    with pytest.raises(ss.ServiceError, match="agreed to 100.00"):
        ss.quote_attach_consent(quote=quote, by=steward, consent=wrong)
    consent = ts.consent_record(
        ticket=paid_ticket,
        by=steward,
        subject=OwnerConsent.Subject.QUOTE,
        what="同意报价110元",
        how="phone",
        amount=Decimal("110.00"),
    )
    ss.quote_attach_consent(quote=quote, by=steward, consent=consent)

    with pytest.raises(ss.ServiceError, match="never take cash"):
        ss.owner_payment_record(
            quote=quote,
            by=fin,
            amount="110.00",
            method="cash",
            receipt_no="SK-1",
            paid_on=timezone.localdate(),
            payer_name="",
        )
    with pytest.raises(ss.NotPermitted):
        ss.owner_payment_record(
            quote=quote,
            by=steward,
            amount="110.00",
            method="wechat_pay",
            receipt_no="SK-1",
            paid_on=timezone.localdate(),
            payer_name="",
        )
    with pytest.raises(ss.ServiceError, match="not 100.00"):
        ss.owner_payment_record(
            quote=quote,
            by=fin,
            amount="100.00",
            method="wechat_pay",
            receipt_no="SK-1",
            paid_on=timezone.localdate(),
            payer_name="",
        )
    payment = ss.owner_payment_record(
        quote=quote,
        by=fin,
        amount="110.00",
        method="wechat_pay",
        receipt_no="SK-2026-0001",
        paid_on=timezone.localdate(),
        payer_name="",
    )
    assert payment.payer_name == world.owner.name and payment.recorded_by == fin
    with pytest.raises(ss.NotAllowed, match="already paid"):
        ss.owner_payment_record(
            quote=quote,
            by=fin,
            amount="110.00",
            method="alipay",
            receipt_no="SK-2",
            paid_on=timezone.localdate(),
            payer_name="",
        )

    client.force_login(fin)
    pdf = client.get(reverse("admin:settlements_ownerpayment_receipt", args=[payment.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"NotoSansCJK" in _inflated(pdf.content)  # the Chinese font is embedded


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated, to look for the embedded font's name."""
    import re
    import zlib

    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            parts.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"".join(parts)


def test_finance_records_the_owner_payment_in_the_admin(client, world, paid_ticket):
    steward = world.users["steward"]
    quote = ss.quote_create(ticket=paid_ticket, by=steward, lines=LINES)
    consent = ts.consent_record(
        ticket=paid_ticket, by=steward, subject="quote", what="同意", how="phone", amount=Decimal("110.00")
    )
    ss.quote_attach_consent(quote=quote, by=steward, consent=consent)
    client.force_login(world.users["finance"])
    url = reverse("admin:settlements_paidrepairquote_changelist")
    data = {"action": "record_owner_payment", "_selected_action": [quote.pk]}
    assert 'name="receipt_no"' in client.post(url, data).content.decode()
    response = client.post(
        url,
        {
            **data,
            "post": "yes",
            "amount": "110.00",
            "method": "bank_transfer",
            "receipt_no": "SK-9",
            "paid_on": "2026-11-22",
            "payer_name": "张三",
        },
    )
    assert response.status_code == 302
    assert OwnerPayment.objects.get(quote=quote).receipt_no == "SK-9"


def test_a_warranty_repair_gets_no_quote(world):
    ticket = advance(world, new_ticket(world), State.DISPATCH)
    with pytest.raises(ss.NotAllowed, match="outside the owner's warranty"):
        ss.quote_create(ticket=ticket, by=world.users["steward"], lines=LINES)
