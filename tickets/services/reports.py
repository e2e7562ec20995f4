"""Creating a report with its defects: one transaction, numbers without races, repeats linked."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from warranty import prepared
from warranty.history import history_row
from warranty.history_sql import Step, copy_steps_to_history, copy_to_history
from warranty.roles import Role
from warranty.scoping import can_see_project, is_contractor
from warranty.selectors import primary_owner_id

from .. import notify
from ..attachments import CheckedUpload, check_upload
from ..models import OPEN_STATES, Attachment, Channel, Report, ReportSequence, State, Ticket
from .errors import NotPermitted, OutOfScope, ServiceError
from .lifecycle import same_location, timeline, timelines


@dataclass
class DefectInput:
    location: str
    category: object
    description: str
    location_detail: str = ""
    part: str = ""
    photos: list = field(default_factory=list)


def next_report_number(project, day) -> str:
    """``{project code}-{yymmdd}-{seq}``; the sequence row is locked, so concurrent callers queue up.

    One statement (an upsert that increments and returns the number) on PostgreSQL and SQLite alike.
    """
    table = ReportSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (project_id, day, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (project_id, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [project.pk, connection.ops.adapt_datefield_value(day)],
        )
        (last,) = cursor.fetchone()
    return f"{project.code}-{day:%y%m%d}-{last:03d}"


def next_ticket_seq(report: Report) -> int:
    return (report.tickets.aggregate(m=Max("seq"))["m"] or 0) + 1


def _earlier(unit: int, report: int):
    # "state" too: the FSM mixin reads it when a ticket is loaded (a query per row if deferred); "number"
    # for the escalations' summaries.
    tickets = Ticket.objects.filter(unit_id=unit).exclude(report_id=report).order_by("-created_at", "-pk")
    return tickets.only("pk", "number", "state", "location", "location_detail", "created_at")


def earlier_tickets(report: Report) -> list[Ticket]:
    """The unit's tickets from before this report, newest first, read once per report (its SQL kept).

    Each new ticket keeps them (``_earlier_tickets``): its repeat lookup and the long-running-unit
    detector (tickets.escalations) read them there instead of querying the unit's tickets each.
    """
    cached = report.__dict__.get("_earlier_tickets")
    if cached is None:
        cached = report._earlier_tickets = prepared.rows(
            "reports:earlier-tickets", _earlier, unit=report.unit_id, report=report.pk
        )
    return cached


def find_repeat_of(earlier: list[Ticket], location: str, location_detail: str) -> Ticket | None:
    """The latest of ``earlier`` (newest first) at the same location, if any."""
    for ticket in earlier:
        if same_location(location, location_detail, ticket.location, ticket.location_detail):
            return ticket
    return None


def report_create(
    *,
    by,
    unit,
    reporter_name: str,
    contact_phone: str,
    defects: list[DefectInput],
    channel: str = Channel.PHONE,
    reporter_relation: str = "owner",
    received_at=None,
    expected_at=None,
    expected_note: str = "",
    is_emergency: bool = False,
    note: str = "",
    confirm: bool = True,
) -> Report:
    """Log a report and one ticket per defect.

    Every upload is checked before anything is written, and everything is
    written in one transaction: on any error nothing is saved. A front-desk
    report is confirmed at once (it was read back on the phone); a web
    report (``by=None``) waits in intake for the front desk.
    """
    if by is not None:
        if is_contractor(by) or not (
            by.is_superuser or by.has_role(Role.FRONT_DESK, Role.STEWARD, Role.DIRECTOR, Role.CUSTOMER_SERVICE)
        ):
            raise NotPermitted()
        if not can_see_project(by, unit.project_id):
            raise OutOfScope(_("This unit is not in your projects."), field="unit")
    if not defects:
        raise ServiceError(_("Add at least one defect."), field="defects")
    for i, defect in enumerate(defects):
        if not (defect.description or "").strip():
            raise ServiceError(_("Describe defect %(n)s.") % {"n": i + 1}, field=f"defects-{i}-description")
    checked: list[list[CheckedUpload]] = [
        [check_upload(photo, field=f"defects-{i}-photos") for photo in defect.photos]
        for i, defect in enumerate(defects)
    ]
    received_at = received_at or timezone.now()
    written_files: list = []
    try:
        with transaction.atomic():
            report = _write_report(
                by=by,
                unit=unit,
                reporter_name=reporter_name,
                contact_phone=contact_phone,
                channel=channel,
                reporter_relation=reporter_relation,
                received_at=received_at,
                expected_at=expected_at,
                expected_note=expected_note,
                is_emergency=is_emergency,
                note=note,
            )
            for n, (defect, uploads) in enumerate(zip(defects, checked, strict=True), start=1):
                ticket = _write_ticket(report, n, defect, by=by, confirm=confirm and by is not None)
                for upload in uploads:
                    attachment = Attachment(
                        ticket=ticket,
                        kind=upload.kind,
                        content_type=upload.content_type,
                        size=upload.size,
                        original_name=upload.original_name,
                        uploaded_by=by,
                        stage=Attachment.Stage.INTAKE,
                    )
                    attachment.file.save(upload.content.name, upload.content, save=False)
                    written_files.append(attachment.file)
                    if upload.thumbnail:
                        attachment.thumbnail.save(upload.thumbnail.name, upload.thumbnail, save=False)
                        written_files.append(attachment.thumbnail)
                    attachment.save()
            if is_emergency:
                for role in (Role.DIRECTOR, Role.STEWARD):
                    notify.queue_role("emergency_report", ticket=report.tickets.first(), role=role)
    except Exception:
        for f in written_files:  # the rows rolled back: do not leave their files behind
            f.storage.delete(f.name)
        raise
    return report


def _write_report(*, by, unit, reporter_name, contact_phone, received_at, **fields) -> Report:
    day = timezone.localdate(received_at)
    report = Report(
        project_id=unit.project_id,
        unit=unit,
        owner_id=primary_owner_id(unit),
        reporter_name=(reporter_name or "").strip(),
        contact_phone=contact_phone,
        received_at=received_at,
        received_by=by,
        awaiting_first_contact=True,  # its tickets open in intake, and nobody has called the owner yet
        **fields,
    )
    try:
        # The related rows were just read (unit, owner) or are the caller: no query to check they exist.
        report.full_clean(exclude=["number", "project", "unit", "owner", "received_by"])
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(messages[0], field=name) from exc
    report.number = next_report_number(unit.project, day)
    report._history_user = by
    in_sql = connection.vendor == "postgresql"  # its history row copied from it, as the ticket's below
    report.skip_history_when_saving = in_sql
    try:
        report.save()
    except IntegrityError as exc:  # pragma: no cover - the locked sequence makes this unreachable
        raise ServiceError(_("Could not number the report; please try again.")) from exc
    finally:
        del report.skip_history_when_saving
    if in_sql:
        copy_to_history(Report, [report.pk], at=timezone.now(), reason=None, user_id=by.pk if by else None)
    return report


def _write_ticket(report: Report, n: int, defect: DefectInput, *, by, confirm: bool) -> Ticket:
    """Write one defect's ticket; ``confirm``: the front desk has read it back, so it moves on to triage.

    A confirmed ticket is written once, already in triage: one INSERT instead of an INSERT and an UPDATE,
    which would rewrite an entry in each of the table's indexes (the state is in most of them). Its
    history and timeline still show both steps, reported (in intake) and confirmed, as the step
    ``run_transition_inline(ticket, name="confirm")`` would write them.
    """
    earlier = earlier_tickets(report)
    ticket = Ticket(
        report=report,
        seq=n,
        number=f"{report.number}-{n}",
        project_id=report.project_id,
        unit=report.unit,  # the caller's instance, with whatever it has joined
        location=defect.location,
        location_detail=(defect.location_detail or "").strip(),
        part=(defect.part or "").strip(),
        category=defect.category,
        description=defect.description.strip(),
        is_emergency=report.is_emergency,
        created_at=report.received_at,
        repeat_of=find_repeat_of(earlier, defect.location, defect.location_detail or ""),
    )
    ticket._earlier_tickets = earlier  # for the long-running-unit detector
    try:
        # A category given is an instance read from the database: checked, not looked up again.
        exclude = ["report", "number", "seq", "project", "unit", "state", "repeat_of"]
        ticket.full_clean(exclude=[*exclude, "category"] if ticket.category_id else exclude)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(messages[0], field=f"defects-{n - 1}-{name}") from exc
    ticket._history_user = by
    if not confirm:
        ticket.save()
        timeline(ticket, by, "reported", to_state=State.INTAKE, note=report.get_channel_display())
        return ticket
    logged_at = timezone.now()
    in_sql = connection.vendor == "postgresql"
    reported = None if in_sql else history_row(ticket, "+")
    ticket.confirm()
    ticket.skip_history_when_saving = True  # simple-history: the two rows are written below
    try:
        ticket.save()
    finally:
        del ticket.skip_history_when_saving
    if in_sql:  # both rows copied from the one just written (no instances, one statement)
        steps = [
            Step(logged_at, "+", values={"state": State.INTAKE}),
            Step(timezone.now(), "~", "confirm", values={"state": ticket.state}),
        ]
        copy_steps_to_history(Ticket, ticket.pk, steps, user_id=by.pk)
    else:
        reported.id = ticket.pk  # the row as it was before the confirm, with the id the INSERT gave it
        Ticket.history.model.objects.bulk_create([reported, history_row(ticket, "~", reason="confirm")])
    # The two timeline rows in one INSERT; an escalation the report raises comes after them.
    logged = {"verb": "reported", "from_state": "", "to_state": State.INTAKE, "note": report.get_channel_display()}
    timelines(ticket, by, [logged, {"verb": "confirm", "from_state": State.INTAKE, "to_state": ticket.state}])
    return ticket


def open_tickets_of_unit(unit):
    return Ticket.objects.filter(unit=unit, state__in=OPEN_STATES).select_related("category", "steward")
