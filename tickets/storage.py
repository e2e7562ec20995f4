"""Private file storage: under MEDIA_ROOT/private, never served by URL; downloads go through checked views."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="tickets.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Reads MEDIA_ROOT on every use (tests change it), and has no public URL."""

    @property
    def base_location(self):
        return Path(settings.MEDIA_ROOT) / "private"

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no public URL; use the checked download view.")


private_storage = PrivateStorage()
