"""Money is ``Decimal`` yuan with two places; every rounding goes through here."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value) -> Decimal:
    """Round to the cent, half up (四舍五入), as the accounting system does."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity, unit_price) -> Decimal:
    """A cost or quote line: quantity × unit price, rounded to the cent once (not per factor)."""
    return to_cents(Decimal(quantity) * Decimal(unit_price))


def total(amounts) -> Decimal:
    """The sum of already rounded amounts: exact, never rounded again."""
    return sum((Decimal(a) for a in amounts), ZERO)
