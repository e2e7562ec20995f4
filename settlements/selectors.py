"""Reads for the settlement pages: scoped querysets and lists with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone

from warranty.coverage import _last_day
from warranty.models import DeliveryBatch, Engagement, Project
from warranty.scoping import scope

from .models import WarrantyFund


@dataclass(frozen=True)
class FundDue:
    """A fund the project department should have opened: a retention (``engagement``) or the developer account."""

    project: Project
    engagement: Engagement | None
    due_on: dt.date

    @property
    def is_overdue(self) -> bool:
        return self.due_on < timezone.localdate()


def funds_due_to_open(*, user, on: dt.date | None = None) -> list[FundDue]:
    """Funds not yet opened whose deadline (one month after the batch's delivery) is on or before ``on``.

    A project-wide engagement counts from the project's first delivery.
    """
    on = on or timezone.localdate()
    first_delivery = dict(
        DeliveryBatch.objects.values("project").annotate(first=Min("delivery_date")).values_list("project", "first")
    )
    opened = set(WarrantyFund.objects.filter(engagement__isnull=False).values_list("engagement_id", flat=True))
    with_account = set(
        WarrantyFund.objects.filter(kind=WarrantyFund.Kind.DEVELOPER_BUDGET).values_list("project_id", flat=True)
    )
    due: list[FundDue] = []
    engagements = scope(Engagement.objects.all(), user).select_related("project", "batch", "contractor", "trade")
    for engagement in engagements:
        if engagement.pk in opened:
            continue
        delivered = engagement.batch.delivery_date if engagement.batch_id else first_delivery.get(engagement.project_id)
        if delivered is None:
            continue
        deadline = _last_day(delivered, 1)
        if deadline <= on:
            due.append(FundDue(engagement.project, engagement, deadline))
    for project in scope(Project.objects.filter(pk__in=first_delivery.keys()), user):
        if project.pk in with_account:
            continue
        deadline = _last_day(first_delivery[project.pk], 1)
        if deadline <= on:
            due.append(FundDue(project, None, deadline))
    return sorted(due, key=lambda d: (d.due_on, d.project.code))
