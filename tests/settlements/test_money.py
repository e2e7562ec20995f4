"""Line totals and sums to the cent."""

from decimal import Decimal

import pytest

from settlements import services as ss
from settlements.models import CostLine
from settlements.money import line_total, to_cents, total

from .conftest import commission_after_refusal, firm_user


@pytest.mark.parametrize(
    ("quantity", "price", "expected"),
    [
        ("3.333", "59.90", "199.65"),  # 199.6467 → 199.65
        ("0.005", "1.00", "0.01"),  # half up, not to even
        ("0.015", "1.00", "0.02"),
        ("2.5", "0.01", "0.03"),  # 0.025 → 0.03
        ("1", "0", "0.00"),
        ("12.5", "18.80", "235.00"),
        ("999999.999", "99999.99", "99999989900.00"),
    ],
)
def test_line_total_is_quantity_times_price_rounded_half_up_to_the_cent(quantity, price, expected):
    assert line_total(Decimal(quantity), Decimal(price)) == Decimal(expected)


def test_totals_add_the_rounded_lines_exactly():
    lines = [line_total(Decimal("0.333"), Decimal("10.00")) for _ in range(3)]  # 3.33 each
    assert total(lines) == Decimal("9.99")  # not 10.00 from rounding the unrounded sum
    assert to_cents(Decimal("0.1") + Decimal("0.2")) == Decimal("0.30")


def test_cost_lines_and_the_audit_add_up_to_the_cent(world, funds):
    repair = commission_after_refusal(world, _ticket(world))
    worker = firm_user(world)
    specs = [("1.333", "7.77"), ("0.125", "33.30"), ("2.005", "0.99"), ("17", "3.99")]
    lines = [
        ss.cost_line_add(repair=repair, by=worker, line=ss.LineInput("material", f"料{i}", Decimal(q), Decimal(p)))
        for i, (q, p) in enumerate(specs)
    ]
    # 10.35741→10.36, 4.1625→4.16, 1.98495→1.98, 67.83
    assert [line.line_total for line in lines] == [Decimal(x) for x in ["10.36", "4.16", "1.98", "67.83"]]
    assert repair.quoted_total == Decimal("84.33")
    cs = world.users["customer_service"]
    for line in lines[:3]:
        ss.cost_line_audit(line=line, by=cs)
    assert repair.audited_total == Decimal("16.50")  # the unaudited line counts nothing yet
    assert not repair.is_fully_audited
    with pytest.raises(ss.ServiceError, match="reason"):
        ss.cost_line_audit(line=lines[3], by=cs, unit_price=Decimal("3.50"))
    ss.cost_line_audit(line=lines[3], by=cs, unit_price=Decimal("3.50"), reason="市场价3.50元")
    assert CostLine.objects.get(pk=lines[3].pk).audited_total == Decimal("59.50")
    assert repair.audited_total == Decimal("76.00") and repair.is_fully_audited


def test_only_customer_service_audits_and_only_the_firm_enters_lines(world, funds):
    repair = commission_after_refusal(world, _ticket(world))
    with pytest.raises(ss.OutOfScope):  # another contractor's user
        ss.cost_line_add(
            repair=repair, by=world.users["contractor"], line=ss.LineInput("labour", "x", Decimal(1), Decimal(1))
        )
    line = ss.cost_line_add(
        repair=repair, by=firm_user(world), line=ss.LineInput("labour", "人工", Decimal(1), Decimal(100))
    )
    with pytest.raises(ss.NotPermitted):
        ss.cost_line_audit(line=line, by=world.users["steward"])
    with pytest.raises(ss.NotPermitted):  # the firm never audits its own prices
        ss.cost_line_audit(line=line, by=firm_user(world))


def test_commissioning_rules(world, funds):
    from tests.tickets.lifecycle import advance
    from tickets.models import State

    ticket = advance(world, _ticket(world), State.DISPATCH)
    with pytest.raises(ss.ServiceError, match="still liable"):
        ss.repair_commission(
            ticket=ticket, by=world.users["director"], firm=world.third_party, reason="no_contractor_liable"
        )
    with pytest.raises(ss.NotPermitted):
        ss.repair_commission(ticket=ticket, by=world.users["steward"], firm=world.third_party, reason="refused")
    world.waterproof.is_commissionable = True
    world.waterproof.save()
    with pytest.raises(ss.ServiceError, match="its own commissioned firm"):
        ss.repair_commission(ticket=ticket, by=world.users["director"], firm=world.waterproof, reason="refused")
    repair = ss.repair_commission(
        ticket=ticket, by=world.users["director"], firm=world.third_party, reason="did_not_attend"
    )
    assert repair.fund == funds.retention
    with pytest.raises(ss.NotAllowed, match="already commissioned"):
        ss.repair_commission(ticket=ticket, by=world.users["director"], firm=world.third_party, reason="refused")


def test_commissioning_needs_the_fund_to_be_open(world):
    from tests.tickets.lifecycle import advance
    from tickets.models import State

    ticket = advance(world, _ticket(world), State.DISPATCH)
    with pytest.raises(ss.ServiceError, match="not open yet"):
        ss.repair_commission(ticket=ticket, by=world.users["director"], firm=world.third_party, reason="refused")


def _ticket(world):
    from tests.tickets.lifecycle import new_ticket

    return new_ticket(world)


def test_a_quantity_with_too_many_decimals_is_refused_not_rounded(world, funds):
    repair = commission_after_refusal(world, _ticket(world))
    with pytest.raises(ss.ServiceError) as err:
        ss.cost_line_add(
            repair=repair, by=firm_user(world), line=ss.LineInput("material", "砂浆", Decimal("1.2345"), Decimal("10"))
        )
    assert err.value.field == "quantity"
    assert not repair.lines.exists()
