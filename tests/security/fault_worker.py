"""Settings of the Celery worker that test_faults.py kills mid-send, and its slow email backend.

The test settings, with mail written to files (locmem does not cross processes) by a backend
that first drops a "started" marker and sleeps, so the test can kill the worker while a
notification is being sent. Environment:

* ``EMAIL_FILE_PATH``: folder of the sent mails (one file per send).
* ``FAULT_MARKER``: file touched when a send starts (optional).
* ``FAULT_SEND_DELAY``: seconds to sleep before sending (default 0).
* ``FAULT_VISIBILITY_TIMEOUT``: seconds after which this worker puts back messages another
  worker took and never acknowledged (Redis ``visibility_timeout``; default one hour).
"""

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.security.fault_worker.SlowFileEmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("FAULT_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,  # look for abandoned messages every second …
    "unacked_restore_throttle": 1,  # … on every look
}


class SlowFileEmailBackend(BaseEmailBackend):
    """Touch FAULT_MARKER, sleep FAULT_SEND_DELAY seconds, then write the mails like the file backend."""

    def send_messages(self, email_messages):
        if marker := os.environ.get("FAULT_MARKER"):
            Path(marker).write_text(str(os.getpid()))
        time.sleep(float(os.environ.get("FAULT_SEND_DELAY", "0")))
        from django.core.mail.backends.filebased import EmailBackend

        return EmailBackend(file_path=EMAIL_FILE_PATH, fail_silently=self.fail_silently).send_messages(email_messages)
