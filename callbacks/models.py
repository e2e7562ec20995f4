"""After sign-off (DOMAIN §4 steps 8–10): the owner's completion notice, the callback, follow-up
cases, the joint re-inspection of unreachable owners, the dossier access log and extended care."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from tickets.models import Ticket
from warranty.history import AuditHistory
from warranty.models import Owner, Project, Unit

# After this many failed attempts the director and CS re-inspect jointly and close (DOMAIN §4.8).
MAX_FAILED_ATTEMPTS = 5
# Unreachable owners are tried again every other day.
RETRY_EVERY_DAYS = 2


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


# The three dimensions the owner is asked about, in the order of the form.
DIMENSIONS = ("quality", "attitude", "timeliness")


class SatisfactionFields(models.Model):
    """What the owner answered: shared by the callback and the quarterly survey."""

    quality = models.CharField(_("repair quality"), max_length=12, choices=Satisfaction.choices, blank=True)
    attitude = models.CharField(_("service attitude"), max_length=12, choices=Satisfaction.choices, blank=True)
    timeliness = models.CharField(_("timeliness"), max_length=12, choices=Satisfaction.choices, blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    non_warranty_issues = models.TextField(
        _("non-warranty issues raised"), blank=True, help_text=_("Listed in the daily report.")
    )

    class Meta:
        abstract = True

    @property
    def is_satisfied(self) -> bool:
        return all(getattr(self, d) != Satisfaction.DISSATISFIED for d in DIMENSIONS)


class Callback(SatisfactionFields):
    """回访: the call to the owner 1–3 workdays after sign-off."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        DONE = "done", _("Done")
        UNREACHABLE = "unreachable", _("Owner unreachable: joint re-inspection")
        CLOSED_UNREACHABLE = "closed_unreachable", _("Closed as unreachable")

    class Outcome(models.TextChoices):
        ARCHIVED = "archived", _("Satisfied: archived")
        REOPENED = "reopened", _("Not resolved: reopened as a repeat repair")
        FOLLOW_UP = "follow_up", _("Archived with a follow-up case")
        UNREACHABLE = "unreachable", _("Closed as unreachable")

    scope_project_path = "ticket__project"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="callback", verbose_name=_("ticket"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DUE, db_index=True)
    due_from = models.DateField(_("due from"))
    due_by = models.DateField(_("due by"), db_index=True)
    next_attempt_on = models.DateField(_("next attempt on"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    reached = models.BooleanField(_("owner reached"), null=True)
    resolved = models.BooleanField(_("resolved"), null=True)
    meets_standard = models.BooleanField(_("work meets the acceptance standard"), null=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("called by"),
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    repeat_ticket = models.ForeignKey(
        Ticket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("repeat ticket"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = AuditHistory()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_by", "id"]
        indexes = [
            models.Index(fields=["status", "due_by"]),
            # Satisfaction by the day of the call (tickets.reporting.kpis): a period, not the whole history.
            models.Index(fields=["called_at"], condition=models.Q(reached=True), name="callback_reached_called_at"),
        ]

    def __str__(self):
        return f"{self.ticket} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.DUE


class CallbackAttempt(models.Model):
    """One call (or visit) of the callback agent, reached or not."""

    scope_project_path = "callback__ticket__project"

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reached = models.BooleanField(_("reached"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="callback_attempt_at")]  # the daily report's calls of a day

    def __str__(self):
        return f"{self.callback_id} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class FollowUpCase(models.Model):
    """An unhappy owner, followed by the director and CS until satisfied."""

    class Reason(models.TextChoices):
        DISSATISFIED_ACCEPTABLE = "acceptable", _("Dissatisfied, but the work meets the acceptance standard")
        DELAY = "delay", _("Delay")
        REPEAT_REPAIR = "repeat", _("Repeat repair")
        ATTITUDE = "attitude", _("Attitude")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SATISFIED = "satisfied", _("Owner satisfied: closed")

    scope_project_path = "ticket__project"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("ticket"))
    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="director_follow_ups",
        verbose_name=_("director"),
    )
    customer_service = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cs_follow_ups",
        verbose_name=_("customer service"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = AuditHistory()

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["-opened_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "reason"], name="one_follow_up_per_ticket_reason")]

    def __str__(self):
        return f"{self.ticket} {self.get_reason_display()}"


class NotificationRound(models.Model):
    """The front desk telling the owner the work is finished (DOMAIN §4.8); retried every other day."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not yet notified")
        NOTIFIED = "notified", _("Owner notified")
        UNREACHABLE = "unreachable", _("Owner unreachable: joint re-inspection")
        CLOSED = "closed", _("Closed as unreachable")

    scope_project_path = "ticket__project"

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="notification_round", verbose_name=_("ticket")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    next_attempt_on = models.DateField(_("next attempt on"), db_index=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("owner notification round")
        verbose_name_plural = _("owner notification rounds")
        ordering = ["next_attempt_on", "id"]

    def __str__(self):
        return f"{self.ticket} {self.get_status_display()}"


class JointReinspection(models.Model):
    """After 5 failed attempts the director and CS re-inspect together; both signatures close the ticket."""

    class Trigger(models.TextChoices):
        NOTIFICATION = "notification", _("Completion notice not delivered")
        CALLBACK = "callback", _("Callback not reached")

    scope_project_path = "ticket__project"

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="joint_reinspection", verbose_name=_("ticket")
    )
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    director_at = models.DateTimeField(null=True, blank=True)
    customer_service = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer_service_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("findings"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("joint re-inspection")
        verbose_name_plural = _("joint re-inspections")
        ordering = ["opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(director__isnull=True)
                | Q(customer_service__isnull=True)
                | ~Q(director=models.F("customer_service")),
                name="joint_reinspection_two_people",
            )
        ]

    def __str__(self):
        return f"{self.ticket} {self.get_trigger_display()}"


class ContactChangeTask(models.Model):
    """The owner's contact details changed: a task for the CS department (DOMAIN §4.8)."""

    scope_project_path = "ticket__project"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="contact_changes")
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    new_phone = PhoneNumberField(_("new phone"), region="CN", blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("contact change task")
        verbose_name_plural = _("contact change tasks")
        ordering = ["raised_at", "id"]

    def __str__(self):
        return f"{self.ticket} {self.new_phone}"


class DossierAccess(models.Model):
    """Who opened which archived dossier, when (owner data is personal data)."""

    class Kind(models.TextChoices):
        PAGE = "page", _("Dossier page")
        PDF = "pdf", _("Dossier PDF")

    scope_project_path = "ticket__project"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="dossier_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)

    class Meta:
        verbose_name = _("dossier access")
        verbose_name_plural = _("dossier access log")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.ticket_id} {self.user_id} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class SurveyCampaign(models.Model):
    """A quarterly satisfaction survey of a project's owners; answers reuse the callback form."""

    scope_project_path = "project"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="survey_campaigns")
    name = models.CharField(_("name"), max_length=50, help_text=_("e.g. 2026 Q3"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-starts_on"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="one_survey_name_per_project")]

    def __str__(self):
        return f"{self.project} {self.name}"


class SurveyResponse(SatisfactionFields):
    scope_project_path = "campaign__project"

    campaign = models.ForeignKey(SurveyCampaign, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    reached = models.BooleanField(_("owner reached"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="one_answer_per_unit_and_survey")]

    def __str__(self):
        return f"{self.campaign} {self.unit}"
