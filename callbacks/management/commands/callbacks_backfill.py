"""Open the callback and the completion-notice round of tickets that reached callback before this app
existed (or while its receiver was disconnected). Safe to run twice."""

from django.core.management.base import BaseCommand
from django.db import transaction

from callbacks.models import Callback
from callbacks.services import callback_open_for
from tickets.models import State, Ticket


class Command(BaseCommand):
    help = "Create missing Callback and NotificationRound rows for tickets in the callback state."

    def handle(self, *args, **options):
        missing = Ticket.objects.filter(state=State.CALLBACK).exclude(pk__in=Callback.objects.values("ticket_id"))
        created = 0
        for ticket in missing.iterator():
            with transaction.atomic():
                callback_open_for(ticket=ticket)
            created += 1
        self.stdout.write(f"{created} callback(s) opened")
