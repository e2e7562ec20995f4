"""Test settings: PostgreSQL on 127.0.0.1 unless DATABASE_URL says otherwise."""

from pathlib import Path

from .base import *  # noqa: F403

DATABASES = {"default": database_settings("postgres://postgres@127.0.0.1:5432/baoxiu")}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "test-media")))  # noqa: F405
# Tests never publish to a shared broker by accident; Celery tests set REDIS_URL explicitly.
CELERY_BROKER_URL = env("REDIS_URL", default="memory://")  # noqa: F405
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CACHES = cache_settings("locmem://")  # noqa: F405  (per process: tests never share a cache)
# As in production with Redis; the test process (and its live server's threads) share this cache.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CELERY_TASK_ALWAYS_EAGER = False
# The product speaks zh-hans by default (base.py); tests assert the English msgids so that a
# change of wording in the catalog does not break them. tests/test_translations.py checks
# the Chinese default and the completeness of the catalog.
LANGUAGE_CODE = "en"

# The test client's login() authenticates without a request, which axes refuses;
# the lockout tests switch axes back on with override_settings.
AXES_ENABLED = False
AUTHENTICATION_BACKENDS = ["warranty.auth_backend.Backend"]
