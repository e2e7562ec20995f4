from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.schedules import PERIODIC_TASKS


class Command(BaseCommand):
    help = "Create or update the Celery beat schedules declared in config/schedules.py."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, (task, schedule) in PERIODIC_TASKS.items():
            defaults = {"task": task, "enabled": True, "interval": None, "crontab": None}
            if "every_seconds" in schedule:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=schedule["every_seconds"], period=IntervalSchedule.SECONDS
                )
            else:
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    timezone="Asia/Shanghai", **schedule["crontab"]
                )
            PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
        stale = PeriodicTask.objects.exclude(name__in=PERIODIC_TASKS).exclude(name__startswith="celery.")
        removed, _ = stale.delete()
        self.stdout.write(f"{len(PERIODIC_TASKS)} periodic tasks in place, {removed} stale removed.")
