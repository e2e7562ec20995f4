"""Playwright driving Debian's Chromium against pytest-django's live server.

Shared by every browser test: ``browser`` (one Chromium per session),
``page`` (a fresh context per test; parametrize ``viewport`` indirectly to
change its size), :func:`login` and :func:`screenshot`.
"""

import os
from pathlib import Path

import pytest

# The live server and Playwright's sync API share the test's thread; Django refuses
# ORM calls from a thread with a running event loop unless told it is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DESKTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def viewport(request):
    """1366×768 unless a test parametrizes ``viewport`` (indirect=True) with another size."""
    return getattr(request, "param", DESKTOP)


@pytest.fixture
def page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, live_server, username: str, password: str = "pw-for-tests-1") -> None:
    """Log in through the real login form; waits until the login page is left."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact (artifacts/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
