import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from warranty.models import Owner
from warranty.personal_data import owner_export


class Command(BaseCommand):
    help = "Export everything held about one owner (JSON, or CSV with one row per ticket)."

    def add_arguments(self, parser):
        parser.add_argument("owner_id", type=int)
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, owner_id, format, **options):
        try:
            owner = Owner.objects.get(pk=owner_id)
        except Owner.DoesNotExist as exc:
            raise CommandError(f"No owner with id {owner_id}.") from exc
        data = owner_export(owner)
        if format == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        writer = csv.writer(sys.stdout if self.stdout._out is sys.stdout else self.stdout)
        writer.writerow(
            ["owner", "phone", "report", "received_at", "ticket", "category", "location", "description", "state"]
        )
        o = data["owner"]
        for report in data["reports"]:
            for ticket in report["tickets"]:
                writer.writerow(
                    [
                        o["name"],
                        o["phone"],
                        report["number"],
                        report["received_at"],
                        ticket["number"],
                        ticket["category"],
                        ticket["location"],
                        ticket["description"],
                        ticket["state"],
                    ]
                )
