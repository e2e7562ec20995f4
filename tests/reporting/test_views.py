"""Pages: who may open them, project scoping, filters, exports, preview and "send now"."""

import csv
import datetime as dt
import io
import zipfile
from xml.etree import ElementTree

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tickets.models import DailyReport
from tickets.reporting import daily
from tickets.reporting.xlsx import workbook

from .conftest import at

MARCH_QUERY = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.mark.parametrize("role", ["director", "project_gm", "engineer"])
def test_dashboard_for_supervisors(month, login, role):
    client = login(month.world.users[role])
    response = client.get(reverse("reporting:dashboard"), MARCH_QUERY)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="heat-map"' in body and 'id="scorecards"' in body and 'id="top-locations"' in body
    assert "<svg" in body
    assert "<script>" not in body  # CSP: no inline scripts
    assert response.context["first_time_fix"].num == 2
    assert len(response.context["heat"]["warnings"]) == 1


@pytest.mark.parametrize("role", ["steward", "front_desk", "customer_service", "contractor", "finance"])
def test_dashboard_refused_to_other_roles(month, login, role):
    response = login(month.world.users[role]).get(reverse("reporting:dashboard"))
    assert response.status_code == 403


def test_dashboard_only_counts_the_users_projects(month, login):
    """A GM of the other project sees none of YQF's tickets, even when asking for YQF's batch."""
    from tests.factories import UserFactory

    gm = UserFactory(role="project_gm", projects=[month.world.other_project])
    response = login(gm).get(reverse("reporting:dashboard"), {**MARCH_QUERY, "project": month.project.pk})
    assert response.status_code == 200
    assert response.context["repeat_repair"].den == 0


@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01", "end": "9999-12-31"},  # the year 9999 overflowed the period's end: a 500
        {"end": "9999-12-31"},
        {"start": "2026-13-45", "end": "abc"},
        {"start": "1990-01-01", "end": "2026-03-31"},
        {"start": "2001-01-01", "end": "2026-03-31"},  # longer than ten years
    ],
)
@pytest.mark.parametrize("page", ["dashboard", "statistics_month", "statistics_quarter", "warnings"])
def test_bad_report_filters_are_reported_and_the_default_period_shown(month, login, page, query):
    response = login(month.world.users["director"]).get(reverse(f"reporting:{page}"), query)
    assert response.status_code == 200
    assert response.context["form"].errors
    body = response.content.decode()
    assert 'role="alert"' in body and "These filters could not be applied" in body


def test_an_export_with_bad_filters_is_refused(month, login):
    url = reverse("reporting:dashboard_export", args=["csv"])
    response = login(month.world.users["director"]).get(url, {"start": "2026-03-01", "end": "9999-12-31"})
    assert response.status_code == 400
    assert "These filters could not be applied" in response.content.decode()


def test_monthly_and_quarterly_statistics(month, login):
    client = login(month.world.users["director"])
    query = {"start": "2026-01-01", "end": "2026-06-30"}
    monthly = client.get(reverse("reporting:statistics_month"), query)
    assert [r["reported"] for r in monthly.context["rows"]] == [1, 1, 7, 1]
    assert monthly.context["totals"]["reported"] == 10
    quarterly = client.get(reverse("reporting:statistics_quarter"), query)
    assert [r["reported"] for r in quarterly.context["rows"]] == [9, 1]
    assert "Q1" in quarterly.content.decode() and "Q2" in quarterly.content.decode()


def test_engineering_warnings(month, login):
    response = login(month.world.users["engineer"]).get(reverse("reporting:warnings"), MARCH_QUERY)
    assert [(w["category"].code, w["share"].pct) for w in response.context["systemic"]] == [("waterproofing", 20.0)]
    assert len(response.context["repeat_locations"]) == 2


def test_csv_export(month, login):
    response = login(month.world.users["director"]).get(
        reverse("reporting:dashboard_export", args=["csv"]), MARCH_QUERY
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    measures = {r[0]: r for r in rows if len(r) == 4}
    ftf = [r for label, r in measures.items() if label in ("First-time fix", "首次修复率")]
    assert ftf and ftf[0][1:] == ["2", "4", "50.0"]


def test_excel_export_is_a_valid_workbook(month, login):
    response = login(month.world.users["director"]).get(
        reverse("reporting:dashboard_export", args=["xlsx"]), MARCH_QUERY
    )
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert "xl/workbook.xml" in names and "xl/worksheets/sheet6.xml" in names
        for name in names:
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(z.read(name))  # well-formed
        assert "inlineStr" in z.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_writer_escapes_and_names():
    data = workbook([("A/B", [["<&>", 1, 2.5, None, dt.date(2026, 3, 1)]]), ("A/B", [["x"]])])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        book = z.read("xl/workbook.xml").decode()
    assert "&lt;&amp;&gt;" in sheet and "<v>2.5</v>" in sheet and "2026-03-01" in sheet
    assert 'name="A B"' in book and 'name="A B 2"' in book


def test_daily_reports_list_detail_pdf_scoped(month, login):
    mine = daily.daily_report_send(project=month.project, day=dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    other = daily.daily_report_send(
        project=month.world.other_project, day=dt.date(2026, 3, 12), now=at("2026-03-12 18:00")
    )
    client = login(month.world.users["steward"])
    listing = client.get(reverse("reporting:daily_list"))
    assert list(listing.context["page"]) == [mine]
    detail = client.get(reverse("reporting:daily_detail", args=[mine.pk]))
    assert detail.status_code == 200 and month.t[4].number in detail.content.decode()
    assert client.get(reverse("reporting:daily_detail", args=[other.pk])).status_code == 404
    pdf = client.get(reverse("reporting:daily_pdf", args=[mine.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    with mine.pdf.open("rb") as stored:  # served as kept, not rendered again
        assert b"".join(pdf.streaming_content) == stored.read()
    assert pdf["Content-Disposition"] == f'inline; filename="{mine.number}.pdf"'
    assert login(month.world.users["contractor"]).get(reverse("reporting:daily_list")).status_code == 403


@time_machine.travel(at("2026-03-12 10:00"), tick=False)
def test_director_previews_and_sends_now_once(month, login):
    client = login(month.world.users["director"])
    for user in month.world.users.values():
        user.email = f"{user.username}@x.cn"
        user.save(update_fields=["email"])
    preview = client.get(reverse("reporting:daily_preview", args=[month.project.pk]))
    assert preview.status_code == 200 and not DailyReport.objects.exists()
    send = reverse("reporting:daily_send", args=[month.project.pk])
    first = client.post(send)
    report = DailyReport.objects.get()
    assert first.url == reverse("reporting:daily_detail", args=[report.pk])
    assert report.sent_by == month.world.users["director"]
    client.post(send)
    assert len(mail.outbox) == 1
    assert client.get(send).status_code == 405


def test_only_directors_of_the_project_send(month, login):
    send = reverse("reporting:daily_send", args=[month.project.pk])
    assert login(month.world.users["project_gm"]).post(send).status_code == 403
    from tests.factories import UserFactory

    stranger = UserFactory(role="director", projects=[month.world.other_project])
    assert login(stranger).post(send).status_code == 403
    assert login(stranger).get(reverse("reporting:daily_preview", args=[month.project.pk])).status_code == 403
