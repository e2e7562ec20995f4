"""Reports, tickets and the records beside them (DOMAIN §4).

One Report is one contact of an owner with the warranty center; it holds
one or more defects, each a Ticket with its own lifecycle, because defects
in one flat often go to different contractors.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from phonenumber_field.modelfields import PhoneNumberField

from warranty.choices import ChoiceLabels
from warranty.coverage import Payer
from warranty.fsm import ConcurrentTransitions
from warranty.history import AuditHistory
from warranty.models import Contractor, DefectCategory, DeliveryBatch, Engagement, Owner, Project, Unit

from . import conditions as c
from .storage import private_storage


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone hotline")
    WALK_IN = "walk_in", _("Walk-in")
    WEB = "web", _("Web or app")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    PROPERTY = "property", _("Relayed by property management")
    PATROL = "patrol", _("Found on patrol")


class Relation(models.TextChoices):
    OWNER = "owner", _("Owner")
    RELATIVE = "relative", _("Relative")
    TENANT = "tenant", _("Tenant")
    PROPERTY = "property", _("Property management")
    OTHER = "other", _("Other")


class Location(models.TextChoices):
    MASTER_BATHROOM = "master_bathroom", _("Master bathroom")
    BATHROOM = "bathroom", _("Bathroom")
    KITCHEN = "kitchen", _("Kitchen")
    LIVING_ROOM = "living_room", _("Living room")
    DINING_ROOM = "dining_room", _("Dining room")
    MASTER_BEDROOM = "master_bedroom", _("Master bedroom")
    BEDROOM = "bedroom", _("Bedroom")
    STUDY = "study", _("Study")
    BALCONY = "balcony", _("Balcony")
    ENTRANCE = "entrance", _("Entrance hall")
    CORRIDOR = "corridor", _("Corridor")
    EXTERIOR_WALL = "exterior_wall", _("Exterior wall")
    ROOF = "roof", _("Roof")
    GARAGE = "garage", _("Garage or storage")
    WHOLE_UNIT = "whole_unit", _("Whole unit")
    OTHER = "other", _("Other")


class ReportSequence(models.Model):
    """The last report number used per project and day; locked row by row."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "day"], name="one_sequence_per_project_day")]

    def __str__(self):
        return f"{self.project_id} {self.day} {self.last}"


class DerivedFlags:
    """Columns derived from other rows (``derived_flags``), written only by their own UPDATE
    (tickets.services.lifecycle.refresh_queue_flags): saving an instance read before that UPDATE leaves
    them as they are instead of writing back what it read."""

    derived_flags: tuple[str, ...] = ()

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            skip = {*self.derived_flags, *self.get_deferred_fields()}  # deferred: as save() itself does
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname not in skip and f.name not in skip
            ]
        return super().save(*args, **kwargs)


class Report(DerivedFlags, ChoiceLabels, models.Model):
    """报修单: one contact of an owner (or someone for them) with the warranty center."""

    scope_project_path = "project"
    scope_contractor_path = "tickets__repairing_contractor"
    derived_flags = ("awaiting_first_contact",)

    number = models.CharField(_("report number"), max_length=40, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reports", editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reports", verbose_name=_("unit"))
    owner = models.ForeignKey(
        Owner, on_delete=models.PROTECT, null=True, blank=True, related_name="reports", verbose_name=_("owner")
    )
    reporter_name = models.CharField(_("reported by"), max_length=50)
    reporter_relation = models.CharField(
        _("relation to the owner"), max_length=10, choices=Relation.choices, default=Relation.OWNER
    )
    contact_phone = PhoneNumberField(_("contact phone"), region="CN")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    expected_at = models.DateTimeField(_("owner's expected time"), null=True, blank=True)
    expected_note = models.CharField(_("owner's expected time (note)"), max_length=100, blank=True)
    is_emergency = models.BooleanField(_("emergency"), default=False)
    note = models.TextField(_("note"), blank=True)
    # The front desk's first-contact queue: a ticket of the report is open and nobody has reached the owner
    # yet. Derived from the tickets and the contact attempts (which carry the history) and kept by
    # tickets.services.lifecycle.refresh_queue_flags(); stored so that the queue reads a few rows of a
    # partial index instead of checking every open report of a project for a reached first contact.
    awaiting_first_contact = models.BooleanField(
        _("awaiting first contact"), default=False, db_default=False, editable=False
    )
    # personal_data.owner_anonymise scrubs the history by owner; the derived flag has no history of its own.
    history = AuditHistory(keep_index=("owner",), excluded_fields=["awaiting_first_contact"])

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["project", "-received_at"]),
            models.Index(fields=["unit", "-received_at"]),
            models.Index(
                fields=["project", "received_at"],
                condition=models.Q(awaiting_first_contact=True),
                name="report_awaiting_first_contact",
            ),
        ]

    def __str__(self):
        return self.number


class Difficulty(models.TextChoices):
    SIMPLE = "simple", _("Simple")
    GENERAL = "general", _("General")
    COMPLEX = "complex", _("Complex")


class State(models.TextChoices):
    INTAKE = "intake", _("Intake")
    TRIAGE = "triage", _("Triage")
    DISPATCH = "dispatch", _("Survey, plan and dispatch")
    REPAIR = "repair", _("Repair")
    SIGNOFF = "signoff", _("Sign-off")
    CALLBACK = "callback", _("Callback")
    ARCHIVED = "archived", _("Archived")
    REFERRED = "referred", _("Referred out of warranty")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = [State.INTAKE, State.TRIAGE, State.DISPATCH, State.REPAIR, State.SIGNOFF]
CLOSED_STATES = [State.ARCHIVED, State.REFERRED, State.CANCELLED]


class Resolution(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    RESOLVED_BY_PHONE = "resolved_by_phone", _("Resolved by phone guidance")
    UNRESOLVED = "unresolved", _("Not resolved: reopened as a repeat repair")
    UNREACHABLE = "unreachable", _("Owner unreachable: closed after joint re-inspection")


class Ticket(DerivedFlags, ChoiceLabels, ConcurrentTransitions, models.Model):
    """维修项: one defect of a report, with its own lifecycle."""

    scope_project_path = "project"
    scope_contractor_path = "repairing_contractor"
    derived_flags = ("awaiting_completion_notice", "batch")

    # Indexed by unique_ticket_seq_per_report (report, seq).
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("report"), db_index=False
    )
    seq = models.PositiveSmallIntegerField(editable=False)
    number = models.CharField(_("ticket number"), max_length=50, unique=True, editable=False)
    # Denormalised from the report for scoped, indexed lists.
    # project, unit, repairing contractor and steward are indexed by the composite indexes in Meta that
    # lead with them; a single-column index more would only slow every intake.
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="tickets", editable=False, db_index=False
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tickets", editable=False, db_index=False)
    # The unit's building's delivery batch, set when the ticket is written (save) and kept by
    # tickets.batches when a building or unit moves batch: the batch-defect detector and the heat map
    # count a batch's tickets from its index (batch, category, unit) instead of joining every unit.
    batch = models.ForeignKey(
        DeliveryBatch, on_delete=models.PROTECT, related_name="tickets", editable=False, db_index=False, null=True
    )

    location = models.CharField(_("location in the unit"), max_length=20, choices=Location.choices)
    location_detail = models.CharField(_("location detail"), max_length=100, blank=True)
    part = models.CharField(_("part or facility"), max_length=100, blank=True)
    # Indexed by (category, unit) in Meta.
    category = models.ForeignKey(
        DefectCategory, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category"), db_index=False
    )
    description = models.TextField(_("description"))

    # Indexed in Meta (ticket_state): a plain index, without the LIKE index PostgreSQL gets for db_index.
    state = FSMField(_("state"), default=State.INTAKE, choices=State.choices, protected=True)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices, blank=True)
    difficulty = models.CharField(_("difficulty"), max_length=10, choices=Difficulty.choices, blank=True)

    # Coverage as assessed at triage (warranty.coverage), kept with its reason and dates.
    coverage_assessed_at = models.DateTimeField(_("coverage assessed at"), null=True, blank=True)
    in_owner_warranty = models.BooleanField(_("in owner warranty"), null=True, blank=True)
    owner_warranty_until = models.DateField(_("owner warranty until"), null=True, blank=True)
    contractor_liable_until = models.DateField(_("contractor liable until"), null=True, blank=True)
    payer = models.CharField(_("who pays"), max_length=20, choices=Payer.choices, blank=True)
    coverage_reason = models.TextField(_("coverage reason"), blank=True)
    liable_engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("engagement")
    )
    liable_contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liable_tickets",
        verbose_name=_("liable contractor"),
    )
    repairing_contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_tickets",
        verbose_name=_("repairing contractor"),
        db_index=False,
    )
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stewarded_tickets",
        verbose_name=_("steward"),
        db_index=False,
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engineered_tickets",
        verbose_name=_("warranty engineer"),
    )

    is_emergency = models.BooleanField(_("emergency"), default=False)
    is_major = models.BooleanField(_("major"), default=False)
    compensation_claimed = models.BooleanField(_("compensation claimed"), default=False)
    responsibility_unclear = models.BooleanField(_("responsibility unclear (design or construction)"), default=False)
    group_complaint = models.BooleanField(_("group complaint"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )

    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    repaired_at = models.DateTimeField(_("repair completed at"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    signoff_round = models.PositiveSmallIntegerField(default=1, editable=False)
    close_reason = models.TextField(_("reason for closing"), blank=True)
    # The front desk's to-notify queue: in callback, and nobody has told the owner the work is done yet.
    # Derived and kept as Report.awaiting_first_contact is.
    awaiting_completion_notice = models.BooleanField(
        _("awaiting completion notice"), default=False, db_default=False, editable=False
    )

    history = AuditHistory(excluded_fields=["seq", "awaiting_completion_notice", "batch"])

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="unique_ticket_seq_per_report")]
        indexes = [
            models.Index(fields=["state"], name="ticket_state"),
            models.Index(fields=["project", "state", "-created_at"]),
            models.Index(fields=["unit", "location"]),
            models.Index(fields=["steward", "state"]),
            models.Index(fields=["repairing_contractor", "state"]),
            # The supervisors' measures (tickets.reporting.kpis) read a project's period through these
            # covering indexes (index-only scans), not the wide ticket rows: bench/report_dashboard.py.
            models.Index(
                fields=["project", "created_at"],
                include=["id", "repeat_of", "unit", "category", "location", "repairing_contractor", "batch"],
                name="ticket_project_created_b",
            ),
            models.Index(
                fields=["project", "signed_off_at"],
                include=["id", "created_at"],
                condition=Q(signed_off_at__isnull=False),
                name="ticket_project_signed_off",
            ),
            # The batch-defect detector at every intake: units of a batch with a defect of one category.
            models.Index(fields=["batch", "category", "unit"], include=["state"], name="ticket_batch_category_unit"),
            models.Index(
                fields=["project", "closed_at"],
                include=["id", "resolution"],
                condition=Q(state="archived"),
                name="ticket_project_archived",
            ),
            models.Index(
                fields=["project", "signed_off_at"],
                condition=Q(awaiting_completion_notice=True),
                name="ticket_awaiting_notice",
            ),
        ]
        permissions = [
            ("confirm_intake", _("Can confirm a report at intake")),
            ("resolve_by_phone", _("Can close a ticket resolved by phone guidance")),
            ("triage_ticket", _("Can triage a ticket")),
            ("refer_ticket", _("Can refer a ticket out of warranty")),
            ("dispatch_ticket", _("Can dispatch a ticket to a contractor")),
            ("withdraw_dispatch", _("Can withdraw a dispatch (notice declined)")),
            ("complete_repair", _("Can report a repair complete")),
            ("return_to_repair", _("Can return a ticket to repair")),
            ("sign_off_ticket", _("Can close sign-off")),
            ("archive_ticket", _("Can archive a ticket after the callback")),
            ("reopen_ticket", _("Can reopen a ticket after the callback")),
            ("cancel_ticket", _("Can cancel a ticket")),
            ("approve_plan", _("Can approve a complex repair plan")),
            ("approve_major_closure", _("Can approve closing a major ticket")),
            ("sign_jointly_director", _("Can sign off jointly as director")),
            ("sign_jointly_cs", _("Can sign off jointly as customer service")),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if self._state.adding and self.batch_id is None and self.unit_id is not None:
            self.batch_id = self.unit.building.batch_id  # intake has the building joined already
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("tickets:detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES or self.state == State.CALLBACK

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    # --- transitions: they change this row's own fields only (see STYLE.md point 2) ---

    @transition(field=state, source=State.INTAKE, target=State.TRIAGE, permission="tickets.confirm_intake")
    def confirm(self):
        """The front desk has read the report back to the owner and confirmed it."""

    @transition(
        field=state,
        source=[State.INTAKE, State.TRIAGE],
        target=State.ARCHIVED,
        permission="tickets.resolve_by_phone",
    )
    def resolve_by_phone(self, *, note: str):
        self.resolution = Resolution.RESOLVED_BY_PHONE
        self.close_reason = note
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.TRIAGE,
        target=State.DISPATCH,
        permission="tickets.triage_ticket",
        conditions=[c.coverage_assessed, c.difficulty_set, c.steward_assigned, c.repairable],
    )
    def triage(self):
        """Coverage, difficulty and steward are settled: survey, plan and dispatch follow."""

    @transition(
        field=state,
        source=State.TRIAGE,
        target=State.REFERRED,
        permission="tickets.refer_ticket",
        conditions=[c.coverage_assessed, c.out_of_owner_warranty],
    )
    def refer(self, *, note: str):
        self.close_reason = note
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=State.DISPATCH,
        target=State.REPAIR,
        permission="tickets.dispatch_ticket",
        conditions=[c.plan_ready, c.complex_plan_approved, c.quote_consented, c.appointment_set],
    )
    def dispatch(self):
        self.dispatched_at = timezone.now()

    @transition(
        field=state,
        source=State.REPAIR,
        target=State.DISPATCH,
        permission="tickets.withdraw_dispatch",
        conditions=[c.notice_declined],
    )
    def withdraw_dispatch(self):
        """The contractor declined (or failed to attend): dispatch again, possibly to a commissioned firm."""
        self.dispatched_at = None

    @transition(
        field=state,
        source=State.REPAIR,
        target=State.SIGNOFF,
        permission="tickets.complete_repair",
        conditions=[c.notice_accepted, c.arrival_recorded],
    )
    def complete_repair(self):
        self.repaired_at = timezone.now()

    @transition(field=state, source=State.SIGNOFF, target=State.REPAIR, permission="tickets.return_to_repair")
    def return_to_repair(self):
        self.repaired_at = None
        self.signoff_round += 1

    @transition(
        field=state,
        source=State.SIGNOFF,
        target=State.CALLBACK,
        permission="tickets.sign_off_ticket",
        conditions=[c.reinspected, c.signed_by_owner_or_jointly, c.major_approved_by_gm],
    )
    def sign_off(self):
        self.signed_off_at = timezone.now()

    @transition(field=state, source=State.CALLBACK, target=State.ARCHIVED, permission="tickets.archive_ticket")
    def archive(self, *, resolution: str = Resolution.RESOLVED, note: str = ""):
        self.resolution = resolution
        self.close_reason = note
        self.closed_at = timezone.now()

    @transition(field=state, source=State.CALLBACK, target=State.ARCHIVED, permission="tickets.reopen_ticket")
    def reopen(self, *, note: str):
        """Not resolved at the callback: archived as unresolved; the service opens the repeat ticket."""
        self.resolution = Resolution.UNRESOLVED
        self.close_reason = note
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=[State.INTAKE, State.TRIAGE, State.DISPATCH, State.REPAIR],
        target=State.CANCELLED,
        permission="tickets.cancel_ticket",
    )
    def cancel(self, *, note: str):
        self.close_reason = note
        self.closed_at = timezone.now()


class TimelineEvent(ChoiceLabels, models.Model):
    """What happened to a ticket, in order: transitions and records, with who and why."""

    # Indexed by (ticket, at) below; a second index on ticket alone would only cost writes.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    verb = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self):
        return f"{self.ticket_id} {self.verb} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """What happened, in words (tickets.selectors.timeline_label)."""
        from .selectors import timeline_label

        return timeline_label(self.verb)

    @property
    def to_state_label(self) -> str:
        return State(self.to_state).label if self.to_state in State.values else self.to_state


class ContactAttempt(ChoiceLabels, models.Model):
    """A call or visit to the owner: first contact, progress feedback or completion notice."""

    class Purpose(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("First contact")
        PROGRESS = "progress", _("Progress feedback")
        COMPLETION = "completion", _("Completion notice")

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        VISIT = "visit", _("Home visit")

    scope_project_path = "report__project"

    # Indexed by (report, purpose) in Meta.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="contact_attempts", db_index=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.PHONE)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reached = models.BooleanField(_("reached"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["report", "purpose"])]

    def __str__(self):
        return f"{self.get_purpose_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class Appointment(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey")
        REPAIR = "repair", _("Repair")

    class Outcome(models.TextChoices):
        PENDING = "", _("Pending")
        DONE = "done", _("Done")
        OWNER_ABSENT = "owner_absent", _("Owner not home")
        REBOOKED = "rebooked", _("Rebooked")

    scope_project_path = "ticket__project"
    scope_contractor_path = "ticket__repairing_contractor"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="appointments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    scheduled_at = models.DateTimeField(_("scheduled at"))
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    deviation_minutes = models.IntegerField(_("deviation (minutes)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True, default="")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = AuditHistory()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["scheduled_at", "id"]
        indexes = [models.Index(fields=["scheduled_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M}"

    @property
    def is_late(self) -> bool:
        return self.deviation_minutes is not None and abs(self.deviation_minutes) > 15

    @property
    def punctuality(self) -> str:
        """The arrival against the appointment in words: "on time", "20 min late", "115 min early"."""
        minutes = self.deviation_minutes
        if minutes is None:
            return ""
        if minutes == 0:
            return str(_("on time"))
        if minutes > 0:
            return str(_("%(n)s min late") % {"n": minutes})
        return str(_("%(n)s min early") % {"n": -minutes})


class RepairPlan(models.Model):
    """The steward's (or, for complex defects, the director's) plan; the latest one counts."""

    scope_project_path = "ticket__project"
    scope_contractor_path = "ticket__repairing_contractor"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="plans")
    cause = models.TextField(_("cause"))
    method = models.TextField(_("method"))
    materials = models.JSONField(_("materials"), default=list, blank=True)
    materials_note = models.CharField(_("other materials"), max_length=200, blank=True)
    estimated_days = models.PositiveSmallIntegerField(_("estimated duration (days)"), default=1)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("repair plan")
        verbose_name_plural = _("repair plans")
        ordering = ["written_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("written_by")),
                name="plan_not_approved_by_its_author",
            )
        ]

    def __str__(self):
        return f"{self.ticket_id} plan {timezone.localtime(self.written_at):%Y-%m-%d}"


class DispatchNotice(ChoiceLabels, models.Model):
    """F02 零星维修工程现场调度通知单: numbered, to one contractor."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    scope_project_path = "ticket__project"
    scope_contractor_path = "contractor"

    number = models.CharField(_("notice number"), max_length=60, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notices")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="notices")
    override_reason = models.CharField(
        _("reason for another contractor than the liable one"), max_length=200, blank=True
    )
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(RepairPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    materials_note = models.CharField(_("materials"), max_length=300, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(_("reason for declining"), max_length=200, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("dispatch notice")
        verbose_name_plural = _("dispatch notices")
        ordering = ["issued_at", "id"]
        indexes = [
            models.Index(fields=["contractor", "status"]),
            # Contractor scorecards count the notices issued in a period (tickets.reporting.kpis).
            models.Index(fields=["issued_at"], name="dispatch_notice_issued_at"),
        ]

    def __str__(self):
        return self.number


class WorkLog(models.Model):
    """A site visit or progress entry, with materials used."""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("Arrival")
        SITE_VISIT = "site_visit", _("Steward's site visit")
        PROGRESS = "progress", _("Progress")
        COMPLETION = "completion", _("Completion")

    scope_project_path = "ticket__project"
    scope_contractor_path = "ticket__repairing_contractor"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="work_logs")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    materials_used = models.JSONField(_("materials used"), default=list, blank=True)
    test_result = models.CharField(_("test result"), max_length=200, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class OwnerConsent(models.Model):
    """The owner's consent to a plan change, an extra cost, or a quote for a paid repair."""

    class Subject(models.TextChoices):
        PLAN_CHANGE = "plan_change", _("Change of plan")
        EXTRA_COST = "extra_cost", _("Extra cost")
        QUOTE = "quote", _("Quote for a paid repair")

    class How(models.TextChoices):
        SIGNED_ON_SCREEN = "signed", _("Signed on screen")
        PHONE = "phone", _("By phone (recorded)")
        WRITTEN = "written", _("In writing")

    scope_project_path = "ticket__project"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="consents")
    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    what = models.TextField(_("what the owner agreed to"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    how = models.CharField(_("how consented"), max_length=10, choices=How.choices)
    consented = models.BooleanField(_("owner agreed"), default=True)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signature = models.ImageField(storage=private_storage, upload_to="signatures/%Y/%m", blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("owner consent")
        verbose_name_plural = _("owner consents")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_subject_display()} {timezone.localtime(self.at):%Y-%m-%d}"


class SignOff(ChoiceLabels, models.Model):
    """Re-inspection, the owner's signature, the joint director + CS signatures, the GM's approval."""

    class Kind(models.TextChoices):
        REINSPECTION = "reinspection", _("Steward's re-inspection")
        OWNER = "owner", _("Owner's sign-off")
        JOINT_DIRECTOR = "joint_director", _("Joint sign-off: director")
        JOINT_CS = "joint_cs", _("Joint sign-off: customer service")
        GM_APPROVAL = "gm_approval", _("Project GM's approval to close")

    scope_project_path = "ticket__project"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="signoffs")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signed by"), max_length=50)
    at = models.DateTimeField(default=timezone.now)
    passed = models.BooleanField(_("passed"), default=True)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    signature = models.ImageField(storage=private_storage, upload_to="signatures/%Y/%m", blank=True)
    # A new round of sign-off starts when the ticket returns to repair.
    round = models.PositiveSmallIntegerField(default=1)
    history = AuditHistory()

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.signer_name}"


class Attachment(models.Model):
    """A photo, short video or document of a ticket; stored privately, served through a checked view."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")

    class Stage(models.TextChoices):
        INTAKE = "intake", _("Intake")
        SURVEY = "survey", _("Survey")
        REPAIR = "repair", _("Repair")
        SIGNOFF = "signoff", _("Sign-off")

    scope_project_path = "ticket__project"
    scope_contractor_path = "ticket__repairing_contractor"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.INTAKE)
    file = models.FileField(storage=private_storage, upload_to="attachments/%Y/%m")
    thumbnail = models.ImageField(storage=private_storage, upload_to="thumbnails/%Y/%m", blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    work_log = models.ForeignKey(WorkLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name or self.file.name


class AttachmentAccess(models.Model):
    """Who opened which private file, and when (photos of owners' homes are personal data)."""

    scope_project_path = "attachment__ticket__project"

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    variant = models.CharField(max_length=10, default="file")

    class Meta:
        verbose_name = _("attachment access")
        verbose_name_plural = _("attachment accesses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["attachment", "-at"])]

    def __str__(self):
        return f"{self.attachment_id} {self.user_id} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class OutboxMessage(models.Model):
    """A notification written in the business transaction and delivered later by Celery.

    ``dedupe_key`` is unique, so writing the same notification twice (a
    retried task, two sweeps) is a no-op.
    """

    scope_project_path = "ticket__project"

    event = models.CharField(max_length=50)
    # Unique through a constraint (not unique=True): no LIKE index that nothing queries.
    dedupe_key = models.CharField(max_length=200)
    # The outbox is a delivery queue the SLA sweep fills thousands of rows at a time: no database
    # foreign-key constraints (their per-row checks and row locks at commit were a third of the sweep's
    # time). Deletes still cascade through Django, and delivery copes with a row whose ticket is gone.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox",
        db_constraint=False,
        db_index=False,
    )
    # Neither is indexed: nothing reads the outbox by ticket or by recipient (tickets are never deleted).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    recipient_address = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=20, default="email")
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_key_unique")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent_due")
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient_id or self.recipient_address}"


# --- SLA clocks and escalations ---------------------------------------------------------------
# Promises to owners (DOMAIN §4) as data, their running clocks as rows, and the
# escalations of DOMAIN §5. The logic lives in tickets.sla and tickets.escalations.


class SlaCalendar(models.TextChoices):
    ROUND_THE_CLOCK = "24x7", _("Round the clock")
    WORKING_HOURS = "working_hours", _("Working hours on workdays (08:30–17:30)")


class SlaUnit(models.TextChoices):
    MINUTES = "minutes", _("Minutes")
    HOURS = "hours", _("Hours")
    DAYS = "days", _("Days")
    WORKDAYS = "workdays", _("Workdays (due at the end of the last one)")
    MONTHS = "months", _("Months")


class SlaPolicy(models.Model):
    """One promise: which event starts its clock, which stops it, the target and who is told.

    A row without a project is the default; a row with a project overrides it there.
    """

    class Code(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("First contact with the owner")
        DISPATCH_GENERAL = "dispatch_general", _("Plan and dispatch (simple and general)")
        DISPATCH_COMPLEX = "dispatch_complex", _("Plan and dispatch (complex)")
        REPAIR_FINISHED = "repair_finished", _("Repair finished after the report")
        PROGRESS_FEEDBACK = "progress_feedback", _("Progress feedback to the owner")
        PROGRESS_FEEDBACK_LONG = "progress_feedback_long", _("Progress feedback to the owner (long repair)")
        OWNER_RETRY = "owner_retry", _("Try the unreachable owner again")
        CALLBACK = "callback", _("Callback after completion")
        WARRANTY_FUND_LEDGER = "warranty_fund_ledger", _("Warranty-fund ledger opened after delivery")

    code = models.CharField(_("policy"), max_length=30, choices=Code.choices)
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("project"),
        help_text=_("Empty for the default that applies to every project."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    start_events = models.JSONField(_("events that start the clock"), default=list, blank=True)
    stop_events = models.JSONField(_("events that stop the clock"), default=list, blank=True)
    anchor = models.CharField(
        _("counted from"),
        max_length=15,
        choices=[("event", _("the start event")), ("ticket_created", _("the report of the defect"))],
        default="event",
    )
    target = models.PositiveIntegerField(_("target"))
    unit = models.CharField(_("target unit"), max_length=10, choices=SlaUnit.choices, default=SlaUnit.HOURS)
    calendar = models.CharField(
        _("calendar"), max_length=15, choices=SlaCalendar.choices, default=SlaCalendar.ROUND_THE_CLOCK
    )
    # xgettext:no-python-format
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of the target)"), default=75)
    warn_roles = models.JSONField(_("told at the warning"), default=list, blank=True)
    breach_roles = models.JSONField(_("told at the breach"), default=list, blank=True)
    ladder = models.JSONField(
        _("escalation ladder"),
        default=list,
        blank=True,
        help_text=_("Roles told in turn, one more rung each time another target period passes after the breach."),
    )
    escalation_reason = models.CharField(
        _("escalation raised at the breach"), max_length=30, blank=True, help_text=_("Empty: none.")
    )
    history = AuditHistory()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["code", "project"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(project__isnull=True), name="one_default_sla_policy_per_code"
            ),
            models.UniqueConstraint(fields=["code", "project"], name="one_sla_policy_per_code_and_project"),
            models.CheckConstraint(
                condition=Q(warn_percent__gte=1, warn_percent__lte=100), name="sla_warn_percent_1_to_100"
            ),
        ]

    def __str__(self):
        where = self.project.code if self.project_id else _("default")
        return f"{self.get_code_display()} ({where})"


class AgreedCadence(models.Model):
    """Progress feedback on a cadence agreed with the owner, instead of the policy's (DOMAIN §4.6)."""

    scope_project_path = "ticket__project"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="agreed_cadence")
    every_hours = models.PositiveSmallIntegerField(
        _("progress feedback every (hours)"), validators=[MinValueValidator(4), MaxValueValidator(24 * 14)]
    )
    agreed_at = models.DateTimeField(_("agreed at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("agreed progress cadence")
        verbose_name_plural = _("agreed progress cadences")

    def __str__(self):
        return f"{self.ticket_id} every {self.every_hours} h"


class SlaClock(models.Model):
    """A running (or stopped) clock of one policy on a ticket or a delivery batch.

    Deadlines are computed once when the clock starts and stored, so the
    sweep only compares indexed columns with now.
    """

    scope_project_path = "project"

    # Not indexed: policies are never deleted in practice (PROTECT), and every index slows the sweep's updates.
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("policy"), db_index=False
    )
    code = models.CharField(_("policy"), max_length=30, choices=SlaPolicy.Code.choices, editable=False)
    # Indexed by (project, stopped_at) and, while running, (project) below.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project"), db_index=False
    )
    # Indexed by (ticket, code) below.
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_clocks",
        verbose_name=_("ticket"),
        db_index=False,
    )
    # Indexed only where set (sla_clock_batch below): nearly every clock is a ticket's.
    batch = models.ForeignKey(
        "warranty.DeliveryBatch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_clocks",
        verbose_name=_("delivery batch"),
        db_index=False,
    )
    started_at = models.DateTimeField(_("started at"))
    warn_at = models.DateTimeField(_("warning at"))
    due_at = models.DateTimeField(_("due at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stopped_by_event = models.CharField(_("stopped by"), max_length=60, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    # The next rung of the policy's escalation ladder (None when there is no further rung).
    ladder_step = models.PositiveSmallIntegerField(_("escalation rungs reached"), default=0)
    escalate_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False, batch__isnull=True) | Q(ticket__isnull=True, batch__isnull=False),
                name="sla_clock_has_one_subject",
            ),
            models.UniqueConstraint(
                fields=["ticket", "code"],
                condition=Q(stopped_at__isnull=True, ticket__isnull=False),
                name="one_running_sla_clock_per_ticket",
            ),
            models.UniqueConstraint(
                fields=["batch", "code"],
                condition=Q(stopped_at__isnull=True, batch__isnull=False),
                name="one_running_sla_clock_per_batch",
            ),
        ]
        indexes = [
            # The sweep reads only these three partial indexes: pending rows, never the whole table.
            models.Index(
                fields=["warn_at"],
                condition=Q(stopped_at__isnull=True, warned_at__isnull=True),
                name="sla_clock_warn_pending",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(stopped_at__isnull=True, breached_at__isnull=True),
                name="sla_clock_due_pending",
            ),
            models.Index(
                fields=["escalate_at"],
                condition=Q(stopped_at__isnull=True, escalate_at__isnull=False),
                name="sla_clock_escalate_pending",
            ),
            models.Index(fields=["ticket", "code"], name="sla_clock_ticket_code"),
            # The on-time rate reads a project's clocks decided in a period: those stopped in it (index-only,
            # from the first) and the few running ones (the second). Together they replace the plain project
            # index. The sweep updates running clocks only: they enter the running index, as narrow as the
            # project index they entered before, and never the large stopped one.
            models.Index(
                fields=["project", "stopped_at"],
                include=["due_at", "code"],
                condition=Q(stopped_at__isnull=False),
                name="sla_clock_project_stopped",
            ),
            models.Index(fields=["project"], condition=Q(stopped_at__isnull=True), name="sla_clock_project_running"),
            models.Index(fields=["batch"], condition=Q(batch__isnull=False), name="sla_clock_batch"),
        ]

    def __str__(self):
        return f"{self.get_code_display()} → {timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


class SlaAlert(models.Model):
    """A warning, breach or escalation rung of a clock: at most one per level, so nobody is told twice."""

    # Indexed by the unique (clock, level) constraint. No database constraint: the sweep writes alerts in
    # bulk for clocks it has just locked; deletes still cascade through Django.
    clock = models.ForeignKey(
        SlaClock, on_delete=models.CASCADE, related_name="alerts", db_index=False, db_constraint=False
    )
    level = models.CharField(_("level"), max_length=20)
    at = models.DateTimeField(_("at"), default=timezone.now)
    recipients = models.JSONField(_("told"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["clock", "level"], name="one_sla_alert_per_clock_level")]

    def __str__(self):
        return f"{self.clock_id} {self.level}"


class Escalation(ChoiceLabels, models.Model):
    """A matter reported to the project GM at once (DOMAIN §5); the GM names a person to follow it."""

    class Reason(models.TextChoices):
        OPEN_7_DAYS = "open_7_days", _("Not finished 7 days after the report")
        REPEAT_REPAIR = "repeat_repair", _("Second repair at the same location of a unit")
        LONG_RUNNING_UNIT = "long_running_unit", _("Repairs for 2 months and new defects still appearing")
        # xgettext:no-python-format
        BATCH_DEFECT = "batch_defect", _("Same defect in 20% or more of a delivery batch's units")
        CONTRACTOR_STAFF = "contractor_staff", _("Complaint about contractor staff")
        COMPENSATION = "compensation", _("Owner claims compensation")
        RESPONSIBILITY_UNCLEAR = "responsibility_unclear", _("Unclear design or construction responsibility")
        GROUP_COMPLAINT = "group_complaint", _("Group complaint (or complaint at regional/group level)")
        OWNER_UNREACHABLE = "owner_unreachable", _("Owner unreachable 5 times: joint re-inspection")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Being followed")
        RESOLVED = "resolved", _("Resolved")

    scope_project_path = "project"

    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    # What the escalation is about, as a stable key: "ticket:12", "unit:5", "batch:3:category:7".
    subject_key = models.CharField(_("subject"), max_length=100, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("project"))
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations", verbose_name=_("ticket")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    batch = models.ForeignKey(
        "warranty.DeliveryBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivery batch"),
    )
    category = models.ForeignKey(
        DefectCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    summary = models.CharField(_("summary"), max_length=300)
    # [{"ticket": number, "id": pk}, {"clock": pk}, …]: the rows that justify it.
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    status = FSMField(_("status"), default=Status.OPEN, choices=Status.choices, protected=True, db_index=True)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_escalations",
        verbose_name=_("followed by"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_note = models.TextField(_("how it was resolved"), blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "subject_key"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="one_open_escalation_per_reason_subject",
            )
        ]
        indexes = [models.Index(fields=["project", "status", "-raised_at"], name="escalation_queue")]

    def __str__(self):
        return f"{self.get_reason_display()} · {self.subject_key}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("escalations:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    EVIDENCE_LABELS = {
        "affected_units": _("units with this defect"),
        "units": _("units in the batch"),
        "failed_attempts": _("failed attempts to reach the owner"),
    }

    @property
    def evidence_lines(self) -> list[dict]:
        """The evidence in words: a ticket (its number, for a link) or the detector's figures."""
        lines = []
        for item in self.evidence or []:
            if isinstance(item, dict) and item.get("ticket"):
                lines.append({"ticket": item["ticket"]})
            elif isinstance(item, dict):
                text = " · ".join(f"{self.EVIDENCE_LABELS.get(k, k)}: {v}" for k, v in item.items())
                lines.append({"text": text})
            else:
                lines.append({"text": str(item)})
        return lines

    @transition(field=status, source=Status.OPEN, target=Status.ACKNOWLEDGED)
    def acknowledge(self):
        """Someone has taken it up (the GM named a person, or the director took it)."""

    @transition(field=status, source=[Status.OPEN, Status.ACKNOWLEDGED], target=Status.RESOLVED)
    def resolve(self, *, note: str):
        self.resolution_note = note
        self.resolved_at = timezone.now()


# --- daily reports ----------------------------------------------------------------------------
# F03: one report per project (warranty center) and local day, kept with what it said and to whom
# it went. The build and the send live in tickets.reporting.daily.


class DailyReport(models.Model):
    """F03 保修日报 of one warranty center for one day (Asia/Shanghai), kept as sent."""

    scope_project_path = "project"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="daily_reports")
    day = models.DateField(_("day"))
    number = models.CharField(_("report number"), max_length=40, unique=True)
    # The report's content as built (plain JSON), so a kept report never changes afterwards.
    data = models.JSONField(_("content"), default=dict, blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    recipients_to = models.JSONField(_("to"), default=list, blank=True)
    recipients_cc = models.JSONField(_("cc"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
        help_text=_("Empty when sent by the schedule."),
    )
    # The PDF as attached to the email, kept: a heavy day's report takes WeasyPrint many seconds to render.
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="daily_reports/%Y/%m", blank=True)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "project"]
        constraints = [models.UniqueConstraint(fields=["project", "day"], name="one_daily_report_per_project_day")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("reporting:daily_detail", args=[self.pk])


class ReportRecipient(models.Model):
    """An address of the daily report without a user in the system (property management, engineering
    management …), per project."""

    class Kind(models.TextChoices):
        TO = "to", _("To")
        CC = "cc", _("Cc")

    scope_project_path = "project"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="report_recipients", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices, default=Kind.TO)
    label = models.CharField(
        _("who"), max_length=100, help_text=_("e.g. Property management CS supervisor, Property office head.")
    )
    email = models.EmailField(_("email"))
    is_active = models.BooleanField(_("active"), default=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("daily report recipient")
        verbose_name_plural = _("daily report recipients")
        ordering = ["project", "kind", "label"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "email"], name="one_report_recipient_per_address")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label} <{self.email}>"
