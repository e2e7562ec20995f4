import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_user(db):
    """make_user("steward", projects=[project]) → a user with that role."""

    def make(role=None, *, projects=(), contractor=None, **kwargs):
        return UserFactory(role=role, projects=projects, contractor=contractor, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _fresh_workday_calendar():
    """Forget the calendar's process-level caches so no test sees another's years."""
    from warranty import calendar

    calendar.clear_cache()
    calendar._guessed_years.clear()
    yield
    calendar.clear_cache()
    calendar._guessed_years.clear()


@pytest.fixture(autouse=True)
def _fresh_sla_policies():
    """Forget the SLA policies each process keeps: a test's own policies are rolled back with it."""
    from tickets.sla.clocks import forget_policies

    forget_policies()
    yield
    forget_policies()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A re-used test database may have been flushed by transactional tests: put the reference rows back."""
    from tests.reference_data import ensure_reference_data

    with django_db_blocker.unblock():
        ensure_reference_data()
    yield
    with django_db_blocker.unblock():  # leave a --reuse-db database whole for the next run
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """Transactional tests (threads, live_server) flush every table when they end; the next test
    finds the roles, trades, categories and calendar gone. Put them back (one query when present)."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "live_server", "admin_client", "client"} & set(request.fixturenames)
    ):
        return
    from tests.reference_data import ensure_reference_data

    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        ensure_reference_data()


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


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session, shared by every browser test.

    Playwright's sync API can run only once per thread, so every browser test
    folder uses this fixture instead of starting its own.
    """
    import os

    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server and Playwright share this thread
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run bin/ensure-browser")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()
