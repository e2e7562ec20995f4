"""F03, the daily report of a warranty center (DOMAIN §6): build it, render it, send it once.

``daily_report_build`` reads a project's day (Asia/Shanghai) in a fixed number of queries and
returns plain JSON (labels in the report language), which is what is kept in ``DailyReport.data``:
a kept report never changes when tickets move on. ``daily_report_send`` sends it exactly once per
project and day: the ``DailyReport`` row (unique on project and day) is created and locked before
anything is sent, and ``sent_at`` is the guard a second run (or a concurrent one) finds set.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation

from callbacks.models import DIMENSIONS, Callback, CallbackAttempt, Satisfaction
from warranty.models import Project, User
from warranty.roles import Role

from ..models import (
    OPEN_STATES,
    ContactAttempt,
    DailyReport,
    Escalation,
    ReportRecipient,
    SlaAlert,
    State,
    Ticket,
    WorkLog,
)
from .kpis import local_day_bounds, reporting_reads

logger = logging.getLogger(__name__)

# Open tickets listed one by one; beyond this the report gives the count (the list is oldest first).
MAX_OPEN_ROWS = 300
MAX_ROWS = 300

# DOMAIN §6: To the warranty center (directors, stewards, front desk), the project department and the
# CS specialist; Cc the project GM. Recipients without a user (property management, engineering
# management, CS manager, property office head) are ReportRecipient rows of the project.
TO_ROLES = (Role.DIRECTOR, Role.STEWARD, Role.FRONT_DESK, Role.PROJECT_DEPT, Role.CUSTOMER_SERVICE)
CC_ROLES = (Role.PROJECT_GM,)


def report_number(project: Project, day: dt.date) -> str:
    return f"F03-{project.code}-{day:%Y%m%d}"


def daily_report_recipients(project: Project) -> tuple[list[str], list[str]]:
    """(to, cc) addresses, in role order then by user name, without duplicates (To wins). Two queries."""
    order = [str(r) for r in (*TO_ROLES, *CC_ROLES)]
    rows = (
        User.objects.filter(is_active=True, projects=project, groups__name__in=order)
        .exclude(email="")
        .values_list("groups__name", "email", "username")
        .distinct()
    )
    by_role: dict[str, list[tuple[str, str]]] = {}
    for role, email, username in rows:
        by_role.setdefault(role, []).append((username, email))
    to: list[str] = []
    cc: list[str] = []
    for role in order:
        target = to if role in {str(r) for r in TO_ROLES} else cc
        for _username, email in sorted(by_role.get(role, [])):
            target.append(email)
    for r in ReportRecipient.objects.filter(project=project, is_active=True).order_by("kind", "pk"):
        (to if r.kind == ReportRecipient.Kind.TO else cc).append(r.email)
    to = list(dict.fromkeys(to))
    cc = [a for a in dict.fromkeys(cc) if a not in set(to)]
    return to, cc


def _t(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _ticket_row(t: Ticket, *, now: dt.datetime | None = None) -> dict:
    row = {
        "number": t.number,
        "unit": t.unit.number,
        "location": t.get_location_display(),
        "category": t.category.name,
        "description": t.description[:80],
        "state": t.get_state_display(),
        "steward": str(t.steward) if t.steward_id else "",
        "created_at": _t(t.created_at),
        "emergency": t.is_emergency,
        "repeat": t.repeat_of_id is not None,
    }
    if now is not None:
        row["age_days"] = (now - t.created_at).days
    return row


@reporting_reads()
def daily_report_build(project: Project, day: dt.date, *, now: dt.datetime | None = None) -> dict:
    """Everything F03 shows for ``project`` on ``day``, as JSON. Eleven queries whatever the data size.

    Sections: received that day; in progress (open now: intake to sign-off) with age, state,
    steward and the latest work-log entry; completed (signed off) that day; owners told the work was finished (completion notices,
    reached or not); callbacks made that day with their answers; SLA warnings and breaches raised
    that day; open escalations; non-warranty issues (raised at callbacks, and tickets referred out of
    warranty) that day; totals for the day and week to date (Monday to the day).
    """
    now = now or timezone.now()
    start, end = local_day_bounds(day)
    week_start = local_day_bounds(day - dt.timedelta(days=day.weekday()))[0]
    as_of = min(now, end)
    tickets = Ticket.objects.filter(project=project).select_related("unit", "category", "steward")

    received = list(tickets.filter(created_at__gte=start, created_at__lt=end).order_by("created_at", "id")[:MAX_ROWS])
    latest_log = WorkLog.objects.filter(ticket=OuterRef("pk")).order_by("-at", "-id")
    open_qs = (
        # Open now and reported by the end of the day (a report rebuilt for a past day lists no later tickets).
        tickets.filter(state__in=OPEN_STATES, created_at__lt=end)
        .annotate(
            last_log_at=Subquery(latest_log.values("at")[:1]), last_log_note=Subquery(latest_log.values("note")[:1])
        )
        .order_by("created_at", "id")
    )
    in_progress = list(open_qs[:MAX_OPEN_ROWS])
    completed = list(
        tickets.filter(signed_off_at__gte=start, signed_off_at__lt=end).order_by("signed_off_at", "id")[:MAX_ROWS]
    )
    notices = list(
        ContactAttempt.objects.filter(
            report__project=project, purpose=ContactAttempt.Purpose.COMPLETION, at__gte=start, at__lt=end
        )
        .select_related("ticket", "report__unit", "by")
        .order_by("at", "id")[:MAX_ROWS]
    )
    # Every call of the day, reached or not: a callback row keeps only its latest call (``called_at``), so
    # an owner not reached on Monday and reached on Tuesday made two calls, one on each day.
    calls = list(
        CallbackAttempt.objects.filter(callback__ticket__project=project, at__gte=start, at__lt=end)
        .select_related("callback__ticket__unit", "by")
        .order_by("at", "id")[:MAX_ROWS]
    )
    alerts = list(
        SlaAlert.objects.filter(clock__project=project, at__gte=start, at__lt=end)
        .select_related("clock__ticket", "clock__batch")
        .order_by("at", "id")[:MAX_ROWS]
    )
    escalations = list(
        Escalation.objects.filter(project=project)
        .exclude(status=Escalation.Status.RESOLVED)
        .select_related("ticket", "unit", "assignee")
        .order_by("raised_at", "id")[:MAX_ROWS]
    )
    referred = list(
        tickets.filter(state=State.REFERRED, closed_at__gte=start, closed_at__lt=end).order_by("closed_at", "id")
    )
    counts = Ticket.objects.filter(project=project).aggregate(
        received_day=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        received_week=Count("pk", filter=Q(created_at__gte=week_start, created_at__lt=end)),
        completed_day=Count("pk", filter=Q(signed_off_at__gte=start, signed_off_at__lt=end)),
        completed_week=Count("pk", filter=Q(signed_off_at__gte=week_start, signed_off_at__lt=end)),
        closed_day=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        closed_week=Count("pk", filter=Q(closed_at__gte=week_start, closed_at__lt=end)),
        open_now=Count("pk", filter=Q(state__in=OPEN_STATES, created_at__lt=end)),
        awaiting_callback=Count("pk", filter=Q(state=State.CALLBACK, created_at__lt=end)),
        open_over_7_days=Count("pk", filter=Q(state__in=OPEN_STATES, created_at__lt=as_of - dt.timedelta(days=7))),
    )
    cb_counts = CallbackAttempt.objects.filter(
        callback__ticket__project=project, at__gte=week_start, at__lt=end
    ).aggregate(
        callbacks_day=Count("pk", filter=Q(at__gte=start)),
        callbacks_week=Count("pk"),
    )
    cb_counts["callbacks_overdue"] = Callback.objects.filter(
        ticket__project=project, status=Callback.Status.DUE, due_by__lt=day
    ).count()
    notified_counts = ContactAttempt.objects.filter(
        report__project=project, purpose=ContactAttempt.Purpose.COMPLETION, at__gte=week_start, at__lt=end
    ).aggregate(
        notified_day=Count("pk", filter=Q(at__gte=start, reached=True)),
        not_reached_day=Count("pk", filter=Q(at__gte=start, reached=False)),
        notified_week=Count("pk", filter=Q(reached=True)),
    )

    return {
        "project": {"id": project.pk, "code": project.code, "name": project.name},
        "day": day.isoformat(),
        "number": report_number(project, day),
        "built_at": _t(now),
        "received": [_ticket_row(t) for t in received],
        "in_progress": [
            {**_ticket_row(t, now=as_of), "last_log_at": _t(t.last_log_at), "last_log": (t.last_log_note or "")[:60]}
            for t in in_progress
        ],
        "in_progress_more": max(counts["open_now"] - len(in_progress), 0),
        "completed": [{**_ticket_row(t), "signed_off_at": _t(t.signed_off_at)} for t in completed],
        "notified": [
            {
                "ticket": a.ticket.number if a.ticket_id else a.report.number,
                "unit": a.report.unit.number,
                "at": _t(a.at),
                "method": a.get_method_display(),
                "reached": a.reached,
                "by": str(a.by),
                "note": a.note,
            }
            for a in notices
        ],
        "callbacks": [_call(call) for call in calls],
        "sla": [
            {
                "ticket": a.clock.ticket.number if a.clock.ticket_id else str(a.clock.batch),
                "policy": a.clock.get_code_display(),
                "level": a.level,
                "is_breach": a.level != "warning",
                "at": _t(a.at),
                "due_at": _t(a.clock.due_at),
            }
            for a in alerts
        ],
        "escalations": [
            {
                "raised_at": _t(e.raised_at),
                "reason": e.get_reason_display(),
                "summary": e.summary,
                "ticket": e.ticket.number if e.ticket_id else "",
                "status": e.get_status_display(),
                "assignee": str(e.assignee) if e.assignee_id else "",
            }
            for e in escalations
        ],
        "non_warranty": [
            {"ticket": c.ticket.number, "unit": c.ticket.unit.number, "issue": c.non_warranty_issues}
            for c in (call.callback for call in calls if call.reached)
            if c.non_warranty_issues.strip()
        ]
        + [{"ticket": t.number, "unit": t.unit.number, "issue": t.close_reason} for t in referred],
        "totals": {**counts, **cb_counts, **notified_counts},
    }


def _call(call: CallbackAttempt) -> dict:
    """One call of the day; the owner's answers belong to the call that reached them."""
    c = call.callback
    row = {
        "ticket": c.ticket.number,
        "unit": c.ticket.unit.number,
        "at": _t(call.at),
        "reached": call.reached,
        "by": str(call.by),
        "resolved": None,
        "answers": dict.fromkeys(DIMENSIONS, ""),
        "outcome": "",
        "suggestions": "",
    }
    if call.reached:
        row.update(
            resolved=c.resolved,
            answers={d: _satisfaction_label(getattr(c, d)) for d in DIMENSIONS},
            outcome=c.get_outcome_display() if c.outcome else c.get_status_display(),
            suggestions=c.suggestions,
        )
    return row


def _satisfaction_label(value: str) -> str:
    return str(Satisfaction(value).label) if value in Satisfaction.values else ""


# --- rendering -------------------------------------------------------------------------------


def render_report(data: dict, *, language: str | None = None) -> dict:
    """Subject, plain text and HTML (inline CSS, for mail clients) of a built report."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"r": data, "site_url": settings.SITE_URL}
        subject = " ".join(render_to_string("reporting/daily_subject.txt", context).split())
        text = render_to_string("reporting/daily_email.txt", context)
        html = render_to_string("reporting/daily_email.html", context)
    return {"subject": subject, "text": text, "html": html}


def render_pdf(data: dict, *, language: str | None = None) -> bytes:
    """The report as a PDF (WeasyPrint, Noto Sans CJK SC)."""
    from weasyprint import HTML

    with translation.override(language or settings.LANGUAGE_CODE):
        html = render_to_string("reporting/daily_email.html", {"r": data, "for_pdf": True})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --- sending ---------------------------------------------------------------------------------


def daily_report_send(
    *, project: Project, day: dt.date | None = None, by=None, now: dt.datetime | None = None
) -> DailyReport:
    """Build, keep and email the report of ``project`` for ``day`` (today by default), at most once.

    The row is created (or found) and locked first; a report already sent is returned untouched, so
    a second or concurrent run sends nothing. A failed send rolls the row back and the next run tries
    again. Sending happens inside the transaction: the mail server accepting the message and the
    commit failing right after is the one way to send twice.
    """
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    with transaction.atomic():
        report, _created = DailyReport.objects.get_or_create(
            project=project, day=day, defaults={"number": report_number(project, day)}
        )
        report = DailyReport.objects.select_for_update().get(pk=report.pk)
        if report.sent_at is not None:
            return report
        data = daily_report_build(project, day, now=now)
        to, cc = daily_report_recipients(project)
        report.data = data
        report.built_at = now
        report.recipients_to, report.recipients_cc = to, cc
        pdf = render_pdf(data)
        if to or cc:
            rendered = render_report(data)
            email = EmailMultiAlternatives(
                rendered["subject"], rendered["text"], settings.DEFAULT_FROM_EMAIL, to=to, cc=cc
            )
            email.attach_alternative(rendered["html"], "text/html")
            email.attach(f"{data['number']}.pdf", pdf, "application/pdf")
            email.send()
        else:
            logger.warning("Daily report %s has nobody to go to", report.number)
        # Kept after the send: a failed send leaves no file behind (the row rolls back with it).
        report.pdf.save(f"{report.number}.pdf", ContentFile(pdf), save=False)
        report.sent_at = timezone.now()
        report.sent_by = by
        report.save()
    return report


def send_all_daily_reports(*, day: dt.date | None = None) -> tuple[int, list[str]]:
    """The scheduled run: every project's report for ``day`` (today). Returns (sent now, projects failed).

    One project's failure (the mail server) does not stop the others; its row rolls back, and the
    task retries the same day later (projects already sent are then no-ops).
    """
    sent, failed = 0, []
    started = timezone.now()
    for project in Project.objects.order_by("pk"):
        try:
            report = daily_report_send(project=project, day=day)
        except Exception:
            logger.exception("Daily report of %s failed", project.code)
            failed.append(project.code)
            continue
        if report.sent_at and report.sent_at >= started:
            sent += 1
    return sent, failed
