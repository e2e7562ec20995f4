"""Races on PostgreSQL: two finance users at the same application, in real threads with real row locks."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from settlements import services as ss
from settlements.models import LedgerEntry, PaymentApplication
from tests.threads import run_in_threads

from .conftest import countersigned, reload

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_finance_users_approve_and_pay_the_same_application_at_once(world, funds, application, money_people):
    """Both approve from their own copy: one approval wins. Both then record the payment: one payment, one debit."""
    assert connection.vendor == "postgresql"
    app = countersigned(world, application)
    finance = [world.users["finance"], money_people.finance2]

    copies = [reload(app), reload(app)]
    results = run_in_threads(2, lambda i: ss.payment_application_approve(application=copies[i], by=finance[i]))
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for k, v in results if k == "error"), ss.Conflict)
    assert reload(app).history.filter(state=PaymentApplication.State.APPROVED).count() == 1

    copies = [reload(app), reload(app)]
    results = run_in_threads(
        2,
        lambda i: ss.payment_application_record_payment(
            application=copies[i], by=finance[i], voucher_no=f"记-{i}", payment_date=dt.date(2026, 11, 20)
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for k, v in results if k == "error"), ss.Conflict)
    app = reload(app)
    assert app.state == PaymentApplication.State.PAID
    assert LedgerEntry.objects.filter(payment_application=app).count() == 1
    assert LedgerEntry.objects.filter(fund=funds.retention, kind=LedgerEntry.Kind.DEDUCTION).count() == 1
    assert funds.retention.balance == Decimal("100000.00") - app.amount


def test_two_applications_racing_for_the_last_of_a_retention(world, funds, application, money_people):
    """Two payouts from one fund at once cannot both pass the balance check: the fund row is locked."""
    from .conftest import approved, audited_repair, firm_user

    dept, fin = world.users["project_dept"], world.users["finance"]
    first = approved(world, application)
    repair = audited_repair(world)
    second = ss.payment_application_create(repair=repair, by=firm_user(world), amount=first.amount)
    second = approved(world, ss.payment_application_submit(application=second, by=firm_user(world)))
    # Leave room for one payout only.
    balance = funds.retention.balance
    ss.ledger_adjust(
        fund=funds.retention, by=fin, requested_by=dept, amount=-(balance - first.amount), reason="部分退还"
    )
    apps = [first, second]
    payers = [fin, money_people.finance2]
    results = run_in_threads(
        2,
        lambda i: ss.payment_application_record_payment(
            application=apps[i], by=payers[i], voucher_no=f"记-{i}", payment_date=dt.date(2026, 11, 20)
        ),
    )
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for k, v in results if k == "error"), ss.InsufficientBalance)
    assert funds.retention.balance == Decimal("0.00")
