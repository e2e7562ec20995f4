"""The warranty fund: opening, append-only entries, adjustments, overdraft exceptions and release."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from settlements import services as ss
from settlements.models import AppendOnly, LedgerEntry, WarrantyFund
from tests.factories import EngagementFactory, UserFactory, trade

from .conftest import approved, firm_user

PAY = {"voucher_no": "记-002", "payment_date": dt.date(2026, 11, 21)}


def test_opening_books_the_retention_as_the_first_entry(world, funds):
    entry = funds.retention.entries.get()
    assert entry.kind == LedgerEntry.Kind.OPENING and entry.amount == Decimal("100000.00")
    assert entry.created_by == world.users["project_dept"]
    assert funds.developer.balance == Decimal("50000.00")


def test_only_the_project_department_opens_funds_and_once(world, funds):
    engagement = world.general.engagements.get(project=world.project)
    with pytest.raises(ss.NotPermitted):
        ss.fund_open(by=world.users["finance"], engagement=engagement, term_ends_on=dt.date(2030, 1, 1))
    with pytest.raises(ss.ServiceError, match="already has a developer account"):
        ss.fund_open(by=world.users["project_dept"], project=world.project, opening_amount=Decimal("1.00"))
    with pytest.raises(ss.ServiceError):
        ss.fund_open(by=world.users["project_dept"], engagement=funds.retention.engagement)


def test_the_term_defaults_to_the_end_of_the_contract_term(world):
    engagement = EngagementFactory(
        contractor=world.general, project=world.project, batch=world.batch, trade=trade("windows"), warranty_months=24
    )
    fund = ss.fund_open(by=world.users["project_dept"], engagement=engagement)
    accepted = world.batch.acceptance_date
    assert fund.term_ends_on.year == accepted.year + 2
    assert fund.opening_amount == Decimal("100000.00")


def test_ledger_entries_cannot_be_changed_or_deleted(world, funds):
    entry = funds.retention.entries.get()
    entry.amount = Decimal("1.00")
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    # Even raw SQL is refused by the database trigger.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE settlements_ledgerentry SET amount = 1 WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM settlements_ledgerentry WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("100000.00")


def test_the_admin_shows_ledger_entries_read_only(client, world, funds):
    entry = funds.retention.entries.get()
    finance = world.users["finance"]
    client.force_login(finance)
    change_url = reverse("admin:settlements_ledgerentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert b'name="amount"' not in page.content  # shown, not editable
    assert client.post(change_url, {"amount": "1.00"}).status_code == 403
    assert client.get(reverse("admin:settlements_ledgerentry_delete", args=[entry.pk])).status_code == 403
    assert (
        client.post(reverse("admin:settlements_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:settlements_ledgerentry_add")).status_code == 403
    changelist = client.get(reverse("admin:settlements_ledgerentry_changelist"))
    assert b"delete_selected" not in changelist.content
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("100000.00")


def test_the_superuser_cannot_change_entries_in_the_admin_either(admin_client, world, funds):
    entry = funds.retention.entries.get()
    assert admin_client.post(reverse("admin:settlements_ledgerentry_change", args=[entry.pk]), {}).status_code == 403
    assert (
        admin_client.post(reverse("admin:settlements_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_an_adjustment_needs_a_reason_and_another_approver(world, funds, money_people):
    dept, fin = world.users["project_dept"], world.users["finance"]
    with pytest.raises(ss.ServiceError, match="reason"):
        ss.ledger_adjust(fund=funds.developer, by=fin, requested_by=dept, amount=Decimal("-10"), reason="")
    with pytest.raises(ss.SegregationOfDuties):
        ss.ledger_adjust(fund=funds.developer, by=fin, requested_by=fin, amount=Decimal("-10"), reason="更正")
    with pytest.raises(ss.NotPermitted):
        ss.ledger_adjust(
            fund=funds.developer, by=money_people.dept2, requested_by=dept, amount=Decimal("5"), reason="x"
        )
    entry = ss.ledger_adjust(
        fund=funds.developer, by=fin, requested_by=dept, amount=Decimal("-120.50"), reason="银行手续费更正"
    )
    assert entry.kind == LedgerEntry.Kind.ADJUSTMENT and entry.approved_by == fin and entry.created_by == dept
    assert funds.developer.balance == Decimal("49879.50") == entry.balance_after


def test_the_balance_never_goes_negative_without_an_approved_exception(world, funds):
    dept, fin = world.users["project_dept"], world.users["finance"]
    with pytest.raises(ss.InsufficientBalance):
        ss.ledger_adjust(fund=funds.developer, by=fin, requested_by=dept, amount=Decimal("-50000.01"), reason="x")
    with pytest.raises(ss.SegregationOfDuties):
        ss.overdraft_approve(fund=funds.developer, by=fin, requested_by=fin, limit=Decimal("100"), reason="急修")
    ss.overdraft_approve(fund=funds.developer, by=fin, requested_by=dept, limit=Decimal("100.00"), reason="急修垫付")
    entry = ss.ledger_adjust(
        fund=funds.developer, by=fin, requested_by=dept, amount=Decimal("-50100.00"), reason="预算调整"
    )
    assert entry.balance_after == Decimal("-100.00")
    with pytest.raises(ss.InsufficientBalance):
        ss.ledger_adjust(fund=funds.developer, by=fin, requested_by=dept, amount=Decimal("-0.01"), reason="x")


def test_a_payment_above_the_balance_is_refused_and_nothing_is_booked(world, funds, application):
    dept, fin = world.users["project_dept"], world.users["finance"]
    ss.ledger_adjust(fund=funds.retention, by=fin, requested_by=dept, amount=Decimal("-99500.00"), reason="部分退还")
    app = approved(world, application)
    with pytest.raises(ss.InsufficientBalance):
        ss.payment_application_record_payment(application=app, by=fin, **PAY)
    app.refresh_from_db()
    assert app.state == "approved" and not LedgerEntry.objects.filter(payment_application=app).exists()


def test_no_contractor_liable_charges_the_developer_account(world, funds):
    """A defect with no engagement for its trade: the developer pays from the project's own budget."""
    from tests.factories import category
    from tests.tickets.lifecycle import advance, new_ticket
    from tickets.models import Location, State
    from tickets.services import DefectInput

    ticket = new_ticket(
        world,
        defects=[
            DefectInput(location=Location.LIVING_ROOM, category=category("plumbing_electrical"), description="插座无电")
        ],
    )
    ticket = advance(world, ticket, State.DISPATCH)
    assert ticket.payer == "developer" and ticket.liable_contractor is None
    with pytest.raises(ss.ServiceError, match="No contractor is liable"):
        ss.repair_commission(ticket=ticket, by=world.users["director"], firm=world.third_party, reason="refused")
    with pytest.raises(ss.ServiceError, match="can be commissioned"):
        ss.repair_commission(
            ticket=ticket, by=world.users["director"], firm=world.general, reason="no_contractor_liable"
        )
    repair = ss.repair_commission(
        ticket=ticket, by=world.users["director"], firm=world.third_party, reason="no_contractor_liable"
    )
    assert repair.fund == funds.developer and repair.defaulting_contractor is None
    worker = firm_user(world)
    line = ss.cost_line_add(repair=repair, by=worker, line=ss.LineInput("labour", "检修", Decimal("2"), Decimal("150")))
    ss.cost_line_audit(line=line, by=world.users["customer_service"])
    advance(world, ticket, State.CALLBACK, contractor=world.third_party)
    app = ss.payment_application_create(repair=repair, by=worker, amount=Decimal("300.00"))
    app = ss.payment_application_submit(application=app, by=worker)
    app = approved(world, app)
    ss.payment_application_record_payment(application=app, by=world.users["finance"], **PAY)
    assert funds.developer.balance == Decimal("49700.00")
    assert funds.retention.balance == Decimal("100000.00")


def test_release_after_the_term_and_not_before(world, funds):
    fin = world.users["finance"]
    with pytest.raises(ss.NotAllowed, match="runs until"):
        ss.fund_release(fund=funds.retention, by=fin)
    later = funds.retention.term_ends_on + dt.timedelta(days=1)
    assert list(ss.funds_due_for_release(on=later)) == [funds.retention]
    with pytest.raises(ss.NotPermitted):
        ss.fund_release(fund=funds.retention, by=world.users["customer_service"], on=later)
    entry = ss.fund_release(fund=funds.retention, by=fin, on=later)
    assert entry.kind == LedgerEntry.Kind.RELEASE and entry.amount == Decimal("-100000.00")
    assert funds.retention.balance == 0
    assert WarrantyFund.objects.get(pk=funds.retention.pk).released_at is not None
    with pytest.raises(ss.NotAllowed, match="already released"):
        ss.fund_release(fund=funds.retention, by=fin, on=later)
    with pytest.raises(ss.NotAllowed):
        ss.fund_release(fund=funds.developer, by=fin, on=later)


def test_release_waits_for_open_payment_applications(world, funds, application):
    later = funds.retention.term_ends_on + dt.timedelta(days=1)
    with pytest.raises(ss.NotAllowed, match=application.number):
        ss.fund_release(fund=funds.retention, by=world.users["finance"], on=later)


def test_release_as_an_admin_action_with_confirmation(client, world, funds, time_machine):
    time_machine.move_to(funds.retention.term_ends_on + dt.timedelta(days=2))
    client.force_login(world.users["finance"])
    url = reverse("admin:settlements_warrantyfund_changelist")
    data = {"action": "release_selected", "_selected_action": [funds.retention.pk]}
    page = client.post(url, data)
    assert page.status_code == 200 and "admin/settlements/confirm_action.html" in [t.name for t in page.templates]
    assert funds.retention.balance == Decimal("100000.00")
    done = client.post(url, {**data, "post": "yes"})
    assert done.status_code == 302
    assert funds.retention.balance == 0


def test_fund_admin_is_scoped_to_the_users_projects(client, world, funds):
    stranger = UserFactory(role="finance", projects=[world.other_project])
    client.force_login(stranger)
    page = client.get(reverse("admin:settlements_warrantyfund_changelist"))
    assert page.status_code == 200 and page.context["cl"].result_count == 0
    # Another project's fund does not exist for this user: the admin redirects with "not found".
    assert client.get(reverse("admin:settlements_warrantyfund_change", args=[funds.retention.pk])).status_code == 302


def test_the_project_department_opens_a_fund_in_the_admin(client, world):
    client.force_login(world.users["project_dept"])
    engagement = world.general.engagements.get(project=world.project)
    response = client.post(
        reverse("admin:settlements_warrantyfund_add"),
        {
            "kind": "contractor_retention",
            "project": world.project.pk,
            "engagement": engagement.pk,
            "opening_amount": "80000.00",
            "term_ends_on": "2028-06-30",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fund = WarrantyFund.objects.get(engagement=engagement)
    assert fund.balance == Decimal("80000.00") and fund.opened_by == world.users["project_dept"]


def test_funds_due_one_month_after_delivery_are_listed_until_opened(client, world):
    from settlements.selectors import funds_due_to_open

    dept = world.users["project_dept"]
    due = funds_due_to_open(user=dept)  # the world's batch was delivered 100 days ago
    assert {d.engagement.contractor for d in due if d.engagement} == {world.general, world.waterproof}
    assert any(d.engagement is None and d.project == world.project for d in due)
    assert all(d.is_overdue for d in due)
    client.force_login(dept)
    page = client.get(reverse("admin:settlements_warrantyfund_changelist"), follow=True)
    assert any(world.general.name in str(m) for m in page.context["messages"])
    ss.fund_open(by=dept, project=world.project, opening_amount=Decimal("1000.00"))
    assert not any(d.engagement is None for d in funds_due_to_open(user=dept))
    assert funds_due_to_open(user=UserFactory(role="project_dept", projects=[world.other_project])) == []


def test_finance_books_an_adjustment_in_the_admin(client, world, funds):
    dept, fin = world.users["project_dept"], world.users["finance"]
    client.force_login(fin)
    url = reverse("admin:settlements_warrantyfund_changelist")
    data = {"action": "adjust_selected", "_selected_action": [funds.developer.pk]}
    assert 'name="requested_by"' in client.post(url, data).content.decode()
    own = client.post(
        url,
        {
            **data,
            "post": "yes",
            "amount": "-20.00",
            "reason": "更正",
            "requested_by": fin.pk,
            "booked_on": "2026-11-22",
        },
    )
    assert own.status_code == 200  # finance is not a project-department requester: not offered
    assert funds.developer.balance == Decimal("50000.00")
    done = client.post(
        url,
        {
            **data,
            "post": "yes",
            "amount": "-20.00",
            "reason": "更正",
            "requested_by": dept.pk,
            "booked_on": "2026-11-22",
        },
    )
    assert done.status_code == 302
    entry = funds.developer.entries.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert entry.amount == Decimal("-20.00") and entry.approved_by == fin and entry.created_by == dept
    data = {"action": "approve_overdraft_selected", "_selected_action": [funds.developer.pk]}
    client.post(url, {**data, "post": "yes", "limit": "500.00", "reason": "急修垫付", "requested_by": dept.pk})
    assert WarrantyFund.objects.get(pk=funds.developer.pk).overdraft_limit == Decimal("500.00")
