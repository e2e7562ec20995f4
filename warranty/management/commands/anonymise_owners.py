from django.core.management.base import BaseCommand

from warranty.personal_data import owner_anonymise, owners_due_for_anonymising


class Command(BaseCommand):
    help = "Anonymise former owners past the retention period (OWNER_DATA_RETENTION_YEARS); statistics are kept."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count")

    def handle(self, *args, dry_run=False, **options):
        due = list(owners_due_for_anonymising())
        if not dry_run:
            for owner in due:
                owner_anonymise(owner)
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(f"{len(due)} owners {verb}.")
