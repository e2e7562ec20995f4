"""Settings of the scale benchmark (``make bench``): production-like, runnable on a laptop.

DEBUG off, persistent database connections, the cached template loader, the real middleware and
login lockout (axes) of production; but plain HTTP on loopback (no HTTPS redirect, no secure-only
cookies), a fixed secret, e-mail kept in memory and a Redis database of its own (13) so the bench
never publishes to another installation's queue. The URLconf adds one bench-only page: the trivial
view every page is compared with (``bench/urls.py``). Never use it in production.
"""

import os

from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {"default": database_settings("postgres://postgres@127.0.0.1:5432/baoxiu_scale_bench")}  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 60  # as in config.settings.production

ROOT_URLCONF = "bench.urls"

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "bench-media"  # noqa: F405
CELERY_BROKER_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CACHES = cache_settings(CELERY_BROKER_URL)  # noqa: F405  (the same Redis database as the broker)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}
