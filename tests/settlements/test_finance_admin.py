"""Finance in the Django admin: the list awaiting approval, approve and pay through confirmation pages, CSV."""

import csv
import io
from decimal import Decimal

from django.urls import reverse

from settlements.models import LedgerEntry, PaymentApplication

from .conftest import approved, countersigned, reload

URL = "admin:settlements_paymentapplication_changelist"


def test_finance_approves_and_pays_a_payout_in_the_admin(client, world, funds, application):
    """The finance user filters what awaits approval, approves via the action and its confirmation page,
    then records the payment with the voucher; the retention is debited once."""
    app = countersigned(world, application)
    client.force_login(world.users["finance"])
    url = reverse(URL)

    listing = client.get(url, {"finance": "awaiting"})
    assert listing.status_code == 200
    assert app.number in listing.content.decode()
    assert listing.context["listed_total"] == Decimal("939.70")
    assert "939.70" in listing.content.decode()

    confirm = client.post(url, {"action": "approve_selected", "_selected_action": [app.pk]})
    assert confirm.status_code == 200
    assert "admin/settlements/confirm_action.html" in [t.name for t in confirm.templates]
    assert app.number in confirm.content.decode()
    assert reload(app).state == PaymentApplication.State.COUNTERSIGNING  # nothing happens before confirming

    done = client.post(url, {"action": "approve_selected", "_selected_action": [app.pk], "post": "yes"})
    assert done.status_code == 302
    app = reload(app)
    assert app.state == PaymentApplication.State.APPROVED and app.approved_by == world.users["finance"]
    assert app.history.first().history_user == world.users["finance"]

    data = {"action": "record_payment_selected", "_selected_action": [app.pk]}
    form_page = client.post(url, data)
    assert 'name="voucher_no"' in form_page.content.decode()
    missing = client.post(url, {**data, "post": "yes", "voucher_no": "", "payment_date": "2026-11-20"})
    assert missing.status_code == 200 and reload(app).state == PaymentApplication.State.APPROVED
    paid = client.post(url, {**data, "post": "yes", "voucher_no": "记-2026-1120", "payment_date": "2026-11-20"})
    assert paid.status_code == 302
    app = reload(app)
    assert app.state == PaymentApplication.State.PAID and app.voucher_no == "记-2026-1120"
    entry = LedgerEntry.objects.get(payment_application=app)
    assert entry.fund == funds.retention and entry.amount == Decimal("-939.70")


def test_a_refusal_in_the_admin_is_shown_with_its_reason(client, world, funds, application):
    """A finance user who countersigned may not approve: the action reports the reason and changes nothing."""
    from tests.factories import UserFactory

    signer = UserFactory(role="project_dept", projects=[world.project], username="dept_fin", is_staff=True)
    signer.groups.add(*world.users["finance"].groups.all())
    from settlements import services as ss

    app = ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    app = ss.payment_application_countersign(application=app, by=signer)
    client.force_login(signer)
    response = client.post(
        reverse(URL), {"action": "approve_selected", "_selected_action": [app.pk], "post": "yes"}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("countersigned this application and may not approve" in t for t in texts), texts
    assert reload(app).state == PaymentApplication.State.COUNTERSIGNING


def test_approve_is_not_offered_without_the_permission(client, world, application):
    app = countersigned(world, application)
    client.force_login(world.users["project_dept"])
    listing = client.get(reverse(URL))
    assert "approve_selected" not in listing.content.decode()
    client.post(reverse(URL), {"action": "approve_selected", "_selected_action": [app.pk], "post": "yes"})
    assert reload(app).state == PaymentApplication.State.COUNTERSIGNING


def test_reject_needs_a_reason_on_the_confirmation_page(client, world, application):
    client.force_login(world.users["finance"])
    data = {"action": "reject_selected", "_selected_action": [application.pk], "post": "yes"}
    assert client.post(reverse(URL), {**data, "reason": ""}).status_code == 200
    assert reload(application).state == PaymentApplication.State.SUBMITTED
    assert client.post(reverse(URL), {**data, "reason": "发票不全"}).status_code == 302
    assert reload(application).state == PaymentApplication.State.REJECTED


def test_csv_export_of_payouts(client, world, application):
    from settlements import services as ss

    app = approved(world, application)
    ss.payment_application_record_payment(
        application=app, by=world.users["finance"], voucher_no="记-9", payment_date="2026-11-22"
    )
    client.force_login(world.users["finance"])
    response = client.post(reverse(URL), {"action": "export_payouts_csv", "_selected_action": [app.pk]})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "application" and len(rows) == 2
    assert rows[1][0] == app.number and rows[1][7] == "939.70" and rows[1][8] == "记-9"
    assert rows[1][6] == world.waterproof.name


def test_admin_pages_render_for_finance(client, world, application):
    client.force_login(world.users["finance"])
    for name in [
        "warrantyfund",
        "ledgerentry",
        "commissionedrepair",
        "paymentapplication",
        "paidrepairquote",
        "ownerpayment",
        "reconciliation",
        "overdraftapproval",
    ]:
        assert client.get(reverse(f"admin:settlements_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:settlements_paymentapplication_change", args=[application.pk])).status_code == 200
    assert (
        client.get(reverse("admin:settlements_commissionedrepair_change", args=[application.repair.pk])).status_code
        == 200
    )


def test_the_payout_list_runs_a_fixed_number_of_queries(client, world, funds, application):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from settlements import services as ss

    from .conftest import audited_repair, firm_user

    client.force_login(world.users["finance"])
    url = reverse(URL)
    client.get(url)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(2):
        repair = audited_repair(world)
        app = ss.payment_application_create(repair=repair, by=firm_user(world), amount=Decimal("10.00"))
        countersigned(world, ss.payment_application_submit(application=app, by=firm_user(world)))
    with CaptureQueriesContext(connection) as three:
        page = client.get(url)
    assert page.context["cl"].result_count == 3
    assert len(three) == len(one), [q["sql"] for q in three.captured_queries]
