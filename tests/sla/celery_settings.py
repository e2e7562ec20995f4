"""Settings of the Celery worker started by test_celery_worker.py: the test settings, with mail to files.

(locmem mail does not cross processes; config/settings/test.py fixes locmem, so the worker uses this.)
"""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
