"""The quarterly reconciliation: the project department's figures against the ledger, signed by both sides."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from settlements import services as ss
from settlements.models import Reconciliation


def _quarter(day):
    return day.year, (day.month - 1) // 3 + 1


def test_a_deliberate_mismatch_is_listed_as_a_difference(client, world, funds, money_people):
    dept, fin, cs = world.users["project_dept"], world.users["finance"], world.users["customer_service"]
    year, quarter = _quarter(timezone.localdate())
    ss.ledger_adjust(fund=funds.developer, by=fin, requested_by=dept, amount=Decimal("-1250.00"), reason="预算划转")
    rec_end = Reconciliation(year=year, quarter=quarter).quarter_end
    # Booked in the next quarter: not part of this quarter's balance.
    ss.ledger_adjust(
        fund=funds.retention,
        by=fin,
        requested_by=dept,
        amount=Decimal("-10.00"),
        reason="下季度更正",
        booked_on=rec_end + dt.timedelta(days=1),
    )
    rec = ss.reconciliation_prepare(
        project=world.project,
        year=year,
        quarter=quarter,
        by=dept,
        figures={funds.retention.pk: Decimal("100000.00"), funds.developer.pk: Decimal("48850.00")},
        explanations={funds.developer.pk: "手工台账少记一笔"},
    )
    lines = {line.fund_id: line for line in rec.lines.all()}
    assert lines[funds.retention.pk].ledger_balance == Decimal("100000.00")
    assert lines[funds.retention.pk].difference == Decimal("0.00")
    assert lines[funds.developer.pk].ledger_balance == Decimal("48750.00")
    assert lines[funds.developer.pk].difference == Decimal("100.00")
    assert [line.fund for line in rec.differences] == [funds.developer]

    report = ss.reconciliation_report(rec)
    assert report["total_difference"] == Decimal("100.00")

    with pytest.raises(ss.NotPermitted):
        ss.reconciliation_sign(reconciliation=rec, by=cs, side="dept")
    ss.reconciliation_sign(reconciliation=rec, by=dept, side="dept")
    with pytest.raises(ss.NotAllowed):
        ss.reconciliation_sign(reconciliation=rec, by=money_people.dept2, side="dept")
    rec = ss.reconciliation_sign(reconciliation=rec, by=cs, side="cs")
    assert rec.is_signed

    client.force_login(dept)
    page = client.get(reverse("admin:settlements_reconciliation_report", args=[rec.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="differences"' in html and "100.00" in html and "手工台账少记一笔" in html
    pdf = client.get(reverse("admin:settlements_reconciliation_report", args=[rec.pk]), {"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


def test_both_sides_sign_and_they_are_two_people(world, funds):
    from tests.factories import UserFactory

    year, quarter = _quarter(timezone.localdate())
    both = UserFactory(role="project_dept", projects=[world.project], username="dept_cs")
    both.groups.add(*world.users["customer_service"].groups.all())
    figures = {funds.retention.pk: Decimal("100000.00"), funds.developer.pk: Decimal("50000.00")}
    rec = ss.reconciliation_prepare(project=world.project, year=year, quarter=quarter, by=both, figures=figures)
    assert rec.differences == []
    ss.reconciliation_sign(reconciliation=rec, by=both, side="dept")
    with pytest.raises(ss.SegregationOfDuties):
        ss.reconciliation_sign(reconciliation=rec, by=both, side="cs")


def test_every_fund_needs_a_figure_and_a_quarter_is_reconciled_once(world, funds):
    dept = world.users["project_dept"]
    year, quarter = _quarter(timezone.localdate())
    with pytest.raises(ss.ServiceError, match="figure for"):
        ss.reconciliation_prepare(
            project=world.project, year=year, quarter=quarter, by=dept, figures={funds.retention.pk: Decimal("1")}
        )
    assert not Reconciliation.objects.exists()
    figures = {funds.retention.pk: Decimal("100000.00"), funds.developer.pk: Decimal("50000.00")}
    ss.reconciliation_prepare(project=world.project, year=year, quarter=quarter, by=dept, figures=figures)
    with pytest.raises(ss.NotAllowed):
        ss.reconciliation_prepare(project=world.project, year=year, quarter=quarter, by=dept, figures=figures)
    with pytest.raises(ss.NotPermitted):
        ss.reconciliation_prepare(
            project=world.project, year=year - 1, quarter=quarter, by=world.users["finance"], figures=figures
        )


def test_a_fund_opened_after_the_quarter_is_not_in_it(world, funds):
    dept = world.users["project_dept"]
    rec = ss.reconciliation_prepare(project=world.project, year=2020, quarter=1, by=dept, figures={})
    assert rec.lines.count() == 0


def test_the_project_department_prepares_a_quarter_in_the_admin(client, world, funds):
    year, quarter = _quarter(timezone.localdate())
    client.force_login(world.users["project_dept"])
    url = reverse("admin:settlements_reconciliation_add")
    assert 'name="quarter"' in client.get(url).content.decode()
    period = {"project": world.project.pk, "year": year, "quarter": quarter}
    step2 = client.get(url, period)
    assert f'name="figure_{funds.developer.pk}"' in step2.content.decode()
    response = client.post(
        url,
        {
            **period,
            f"figure_{funds.retention.pk}": "100000.00",
            f"figure_{funds.developer.pk}": "49999.99",
            f"explanation_{funds.developer.pk}": "",
            f"explanation_{funds.retention.pk}": "",
        },
    )
    rec = Reconciliation.objects.get(project=world.project, year=year, quarter=quarter)
    assert response.status_code == 302 and response["Location"].endswith(f"/{rec.pk}/report/")
    assert [(line.fund, line.difference) for line in rec.differences] == [(funds.developer, Decimal("-0.01"))]


def test_countersigning_in_the_admin(client, world, application):
    from settlements.models import PaymentApplication

    from .conftest import reload

    ss.payment_application_countersign(application=application, by=world.users["customer_service"])
    client.force_login(world.users["project_dept"])
    url = reverse("admin:settlements_paymentapplication_changelist")
    data = {"action": "countersign_selected", "_selected_action": [application.pk]}
    assert 'name="comment"' in client.post(url, data).content.decode()
    assert client.post(url, {**data, "post": "yes", "comment": "同意"}).status_code == 302
    app = reload(application)
    assert app.state == PaymentApplication.State.COUNTERSIGNING and app.next_countersign_role is None
    assert app.countersignatures.last().comment == "同意"
