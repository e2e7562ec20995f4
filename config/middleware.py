"""Turn a lost database into a clean "try again shortly" page instead of a server error.

When PostgreSQL restarts, fails over or drops the connection, the query that notices raises
``OperationalError`` or ``InterfaceError``. Services write in one ``transaction.atomic()``, so by
the time the error reaches here that transaction has rolled back; the user only needs to be told
to retry. A 503 also keeps SessionMiddleware from saving the session (it skips 5xx).

The page is rendered without a request, so no context processor touches the database. The log
line carries no personal data: no URL, query, user or exception message (it may quote SQL
parameters), only the method, the view name and the SQLSTATE.
"""

import logging
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseClientRedirect

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """Answer 503 with ``templates/errors/503.html`` when the database goes away mid-request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except DATABASE_UNAVAILABLE as exc:  # raised past Django's own exception handling
            return self.unavailable(request, exc)

    def process_exception(self, request, exception):
        """An error raised by the view (Django turns it into a 500 unless a middleware answers)."""
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return self.unavailable(request, exception)
        return None

    def unavailable(self, request, exc) -> HttpResponse:
        match = getattr(request, "resolver_match", None)
        cause = exc.__cause__ or exc
        logger.error(
            "Database unavailable during %s %s: %s/%s (sqlstate %s)",
            request.method,
            match.view_name if match else "-",
            type(exc).__name__,
            type(cause).__name__,
            getattr(cause, "sqlstate", None) or "-",
        )
        response = HttpResponse(
            render_to_string("errors/503.html", {"retry_after": RETRY_AFTER_SECONDS}),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


class RejectNullBytesMiddleware:
    """Answer 400 to a request whose parameters contain a NUL character.

    PostgreSQL text cannot hold NUL; Django's form fields already refuse it, and this
    catches the few views that read a raw parameter, before anything is written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        params = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for query in params:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest("NUL character in a request parameter")
        return self.get_response(request)


class SessionRenewalMiddleware:
    """Keep a session alive while it is used, writing it at most once every ``RENEW_AFTER`` seconds.

    A session ends after ``SESSION_COOKIE_AGE`` without use (shared front-desk PCs). Django's
    ``SESSION_SAVE_EVERY_REQUEST`` renews it by rewriting the session row on every request: a write
    transaction (three round trips) and a signed encoding per page. Renewing only when the last renewal
    is older than a minute ends an idle session within a minute of the same time. Place it after
    ``SessionMiddleware``, so that the session it marks is saved on the way out.
    """

    RENEW_AFTER = 60
    KEY = "_renewed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= self.RENEW_AFTER:
                self.renewed(session, now)
        return response

    @classmethod
    def renewed(cls, session, now: int | None = None) -> None:
        """Mark ``session`` renewed now: SessionMiddleware saves it with a new expiry."""
        session[cls.KEY] = int(time.time()) if now is None else now

    @classmethod
    def on_login(cls, sender, request, user, **kwargs) -> None:
        """A login saves a new session: it counts as a renewal (connected in warranty.apps)."""
        if getattr(request, "session", None) is not None:
            cls.renewed(request.session)


class HtmxLoginRedirectMiddleware:
    """Send an htmx request whose session has ended to the login page as a whole page.

    ``login_required`` answers such a request with a redirect to the login page; htmx would follow it
    and put the login form where the fragment goes (a queue row, the unit search, the history section).
    Instead the browser is told to go there (``HX-Redirect``), and to come back afterwards to the page
    the user was on (``HX-Current-URL``), not to the fragment's URL. Place it after ``HtmxMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or response.status_code != 302:
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response["Location"]).path != login:
            return response
        back = htmx.current_url_abs_path  # None unless the page is on this site
        return HttpResponseClientRedirect(f"{login}?{urlencode({REDIRECT_FIELD_NAME: back})}" if back else login)
