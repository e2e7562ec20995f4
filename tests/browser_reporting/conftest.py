import os

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from tests.reporting.conftest import month  # noqa: E402,F401
from tests.tickets.conftest import world  # noqa: E402,F401
