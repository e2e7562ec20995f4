from pathlib import Path

from django.core.management.base import BaseCommand

from .backup import restore


class Command(BaseCommand):
    help = "Restore a backup folder made by `manage.py backup` into the configured database and MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the backup folder (with manifest.json)")

    def handle(self, *args, source, **options):
        restore(Path(source))
        self.stdout.write(f"Restored {source}: checksums verified.")
