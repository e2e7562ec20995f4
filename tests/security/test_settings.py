"""Production settings pass `check --deploy`; logins lock out; pages carry a strict CSP."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "baoxiu.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests, never in deployment
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "x"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


AXES_ON = {
    "AXES_ENABLED": True,
    "AUTHENTICATION_BACKENDS": ["axes.backends.AxesStandaloneBackend", "warranty.auth_backend.Backend"],
}


@override_settings(**AXES_ON)
def test_five_failed_logins_lock_the_account(client, make_user):
    make_user("front_desk", username="desk1")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "desk1", "password": "wrong-password"})
    assert response.status_code == 429
    locked = client.post(reverse("login"), {"username": "desk1", "password": "pw-for-tests-1"})
    assert locked.status_code == 429
    assert "15" in locked.content.decode()


@override_settings(**AXES_ON)
def test_a_good_login_still_works_below_the_limit(client, make_user):
    make_user("front_desk", username="desk2")
    for _ in range(2):
        client.post(reverse("login"), {"username": "desk2", "password": "wrong-password"})
    response = client.post(reverse("login"), {"username": "desk2", "password": "pw-for-tests-1"})
    assert response.status_code == 302


def test_pages_carry_a_csp_without_inline_scripts(client, db):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "<script>" not in response.content.decode()


def test_sessions_expire_when_idle(settings):
    assert "config.middleware.SessionRenewalMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def _expire_now(client):
    """The session's expiry comes, in the database and in the cache (cached_db) that sessions are read from."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.utils import timezone

    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    caches[settings.SESSION_CACHE_ALIAS].delete(KEY_PREFIX + key)


def _session_row(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_in_use_is_renewed_at_most_once_a_minute(client, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.middleware import SessionRenewalMiddleware as Renewal

    client.force_login(make_user("front_desk", username="desk3"))
    client.get(reverse("tickets:queues"))
    renewed = _session_row(client).expire_date
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("tickets:queues")).status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]]
    assert _session_row(client).expire_date == renewed

    session = client.session  # the last renewal over a minute ago: the next request renews the expiry
    session[Renewal.KEY] -= Renewal.RENEW_AFTER + 1
    session.save()
    before = _session_row(client).expire_date
    client.get(reverse("tickets:queues"))
    assert _session_row(client).expire_date > before


def test_an_idle_session_ends(client, make_user, settings):
    client.force_login(make_user("front_desk", username="desk4"))
    client.get(reverse("home"))
    _expire_now(client)
    response = client.get(reverse("tickets:queues"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_htmx_request_after_the_session_ended_sends_the_page_to_the_login(client, make_user):
    """Not the login form swapped into a queue row: the browser goes to the login page, then back to the page."""
    client.force_login(make_user("front_desk", username="desk5"))
    page = "http://testserver" + reverse("tickets:queue", args=["to-notify"]) + "?page=2"
    fragment = reverse("tickets:unit_search")
    htmx = {"HX-Request": "true", "HX-Current-URL": page}
    assert client.post(fragment, {"q": "1-1"}, headers=htmx).status_code == 200  # signed in: the fragment
    _expire_now(client)
    response = client.post(fragment, {"q": "1-1"}, headers=htmx)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("login") + "?next=%2Ffrontdesk%2Fqueues%2Fto-notify%2F%3Fpage%3D2"
    # from another site's page: to the login page only; without htmx: Django's own redirect
    response = client.post(fragment, {"q": "1-1"}, headers={**htmx, "HX-Current-URL": "https://evil.example/"})
    assert response["HX-Redirect"] == reverse("login")
    response = client.post(fragment, {"q": "1-1"})
    assert response.status_code == 302 and "HX-Redirect" not in response


@pytest.mark.parametrize("password", ["short", "1234567890123", "password123"])
def test_weak_passwords_are_refused(password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password)
