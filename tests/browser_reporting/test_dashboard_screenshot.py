"""The dashboard in a real Chromium: it renders the hand-built month and is saved as an artifact."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

ARTIFACT = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "dashboard.png"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_screenshot(live_server, month, browser):  # noqa: F811
    client = Client()
    client.force_login(month.world.users["director"])
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    url = f"{live_server.url}{reverse('reporting:dashboard')}?start=2026-01-01&end=2026-04-30"
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # the session's Chromium
    try:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        missing = []
        page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
        page.goto(url)
        page.wait_for_selector("#heat-map")
        assert page.locator(".rp-hot").count() >= 1  # the systemic waterproofing defect is highlighted
        assert page.locator("svg.rp-chart rect").count() > 0
        assert page.locator("#kpi-ftf .rp-big").inner_text().strip() == "50.0%"
        page.screenshot(path=str(ARTIFACT), full_page=True)
        missing = [u for u in missing if not u.endswith("/favicon.ico")]  # the site has no icon (yet)
        assert missing == []
        assert [e for e in errors if "404" not in e] == []  # no CSP violations
    finally:
        context.close()
    assert ARTIFACT.stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_daily_report_and_statistics_screenshots(live_server, month, browser):  # noqa: F811
    """A kept F03 report and the monthly statistics render in Chromium (artifacts for review)."""
    import datetime as dt

    from tests.reporting.conftest import at
    from tickets.reporting.daily import daily_report_send

    report = daily_report_send(project=month.project, day=dt.date(2026, 3, 12), now=at("2026-03-12 18:00"))
    client = Client()
    client.force_login(month.world.users["director"])
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    pages = {
        "daily_report.png": reverse("reporting:daily_detail", args=[report.pk]),
        "statistics_month.png": reverse("reporting:statistics_month") + "?start=2026-01-01&end=2026-06-30",
        "warnings.png": reverse("reporting:warnings") + "?start=2026-03-01&end=2026-03-31",
    }
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # the session's Chromium
    try:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        for name, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.screenshot(path=str(ARTIFACT.parent / name), full_page=True)
        assert page.locator("#systemic tbody tr.rp-hot").count() == 1
    finally:
        context.close()
