"""Owners' personal data (PIPL): masking for display, export on request, anonymisation after retention.

Anonymising keeps every report, ticket and date (the statistics stay right)
but removes names, phone numbers and free-text contact notes from the
owner, the reports and their history rows.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from .models import Owner

ANONYMOUS_NAME = "已匿名"


def mask_phone(value) -> str:
    """138****1234 for lists and roles that do not need the full number."""
    digits = "".join(ch for ch in str(getattr(value, "national_number", value) or "") if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 7:
        return "****" if digits else ""
    return f"{digits[:3]}****{digits[-4:]}"


def owner_export(owner: Owner) -> dict:
    """Everything the system holds about one owner, for a data-subject request."""
    from tickets.models import Report

    reports = (
        Report.objects.filter(Q(owner=owner) | Q(unit__ownerships__owner=owner))
        .distinct()
        .select_related("unit")
        .prefetch_related("tickets__category")
        .order_by("received_at")
    )
    return {
        "owner": {
            "id": owner.pk,
            "name": owner.name,
            "phone": str(owner.phone or ""),
            "other_phone": str(owner.other_phone or ""),
            "email": owner.email,
        },
        "ownerships": [
            {
                "unit": str(o.unit),
                "since": o.since.isoformat(),
                "until": o.until.isoformat() if o.until else None,
                "primary": o.is_primary,
            }
            for o in owner.ownerships.select_related("unit__project")
        ],
        "reports": [
            {
                "number": r.number,
                "unit": str(r.unit.number),
                "received_at": r.received_at.isoformat(),
                "reporter_name": r.reporter_name,
                "contact_phone": str(r.contact_phone or ""),
                "channel": r.channel,
                "tickets": [
                    {
                        "number": t.number,
                        "category": t.category.code,
                        "location": t.location,
                        "description": t.description,
                        "state": t.state,
                    }
                    for t in r.tickets.all()
                ],
            }
            for r in reports
        ],
    }


def owners_due_for_anonymising(now=None):
    """Former owners whose ownership ended, and whose last report was, more than the retention period ago."""
    from tickets.models import Report

    now = now or timezone.now()
    years = settings.OWNER_DATA_RETENTION_YEARS
    cutoff = (now - dt.timedelta(days=365 * years)).date()
    current = Owner.objects.filter(ownerships__until__isnull=True).values("pk")
    recent = Report.objects.filter(received_at__date__gte=cutoff, owner__isnull=False).values("owner")
    return (
        Owner.objects.filter(anonymised_at__isnull=True)
        .exclude(pk__in=current)
        .exclude(pk__in=recent)
        .annotate(last_until=Max("ownerships__until"))
        .filter(Q(last_until__lt=cutoff) | Q(last_until__isnull=True))
    )


@transaction.atomic
def owner_anonymise(owner: Owner) -> None:
    """Replace the owner's personal data everywhere it is stored, history included."""
    from tickets.models import Report

    label = f"{ANONYMOUS_NAME}#{owner.pk}"
    owner.name = label
    owner.phone = ""
    owner.other_phone = ""
    owner.email = ""
    owner.note = ""
    owner.anonymised_at = timezone.now()
    owner._change_reason = "anonymised"
    owner.save()
    # History keeps the old values otherwise; these rows are ours to scrub (no history of history).
    owner.history.update(name=label, phone="", other_phone="", email="")
    reports = Report.objects.filter(owner=owner)
    for report in reports:
        report.reporter_name = label
        report.contact_phone = ""
        report._change_reason = "anonymised"
        report.save(update_fields=["reporter_name", "contact_phone"])
    Report.history.model.objects.filter(owner_id=owner.pk).update(reporter_name=label, contact_phone="")
