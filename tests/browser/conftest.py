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

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _serialized_contents() -> dict:
    from django.db import connections

    return {c.alias: getattr(c, "_test_serialized_contents", None) for c in connections.all()}


@pytest.fixture(scope="session", autouse=True)
def _reference_data(django_db_setup, django_db_blocker):
    """The migrated reference data (roles, categories, periods, calendar), kept across flushes.

    Browser tests need ``django_db(transaction=True, serialized_rollback=True)``:
    the live server runs in another thread, so every test ends with a flush,
    and the serialized copy of the migrated data is loaded before the next one.
    After the session it is loaded once more, so a database kept with
    ``--reuse-db`` still holds it for the next run.
    """
    saved = _serialized_contents()
    yield saved
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connections

    with django_db_blocker.unblock():
        for alias, contents in saved.items():
            if not contents:
                continue
            connection = connections[alias]
            call_command(
                "flush",
                database=alias,
                interactive=False,
                inhibit_post_migrate=True,
                reset_sequences=False,
                verbosity=0,
            )
            connection.creation.deserialize_db_from_string(contents)
            # Rows came back with their ids: move each sequence past them, as loaddata does.
            statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True))
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


@pytest.fixture(scope="session")
def browser(_reference_data):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run bin/ensure-browser")
    playwright = sync_playwright().start()
    # Playwright's greenlets give the test code a fresh context, and with it fresh
    # Django connection objects (asgiref.Local): hand them the serialized data
    # that serialized_rollback reloads before each test.
    for alias, contents in _reference_data.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


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
