"""Playwright fixtures for the field pages: Debian's Chromium, tablet-sized pages, screenshots as artifacts."""

import os
import re
from pathlib import Path

import pytest

# live_server runs Django in a thread while Playwright's sync API runs an event loop in this one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.tickets.conftest import world  # noqa: E402,F401  (the shared lifecycle world)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory
TABLET = {"width": 820, "height": 1180}
TABLET_LANDSCAPE = {"width": 1180, "height": 820}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium(browser):
    return browser  # the session's one Chromium (tests/conftest.py)


@pytest.fixture
def new_page(chromium, live_server):
    """new_page(viewport=TABLET) → a page in a fresh browser context (its own cookies) on the live server."""
    contexts = []

    def make(viewport=TABLET):
        context = chromium.new_context(
            viewport=viewport, base_url=live_server.url, accept_downloads=True, has_touch=False, locale="zh-CN"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """shot(page, "step") saves artifacts/screenshots/<test>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^\w-]+", "_", request.node.name)

    def take(page, step: str, full_page: bool = True):
        path = SCREENSHOTS / f"{test}-{step}.png"
        if full_page:  # a sticky bar would be painted over the middle of a full-page capture
            page.add_style_tag(content=".actions-bar { position: static !important; }")
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    assert "/login/" not in page.url, f"login failed for {username}"
