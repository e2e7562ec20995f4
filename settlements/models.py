"""The money side of warranty repairs (DOMAIN §7).

* :class:`WarrantyFund`: a contractor's retention (per engagement) or the
  project's developer account, with its append-only :class:`LedgerEntry` rows.
* :class:`CommissionedRepair`: a third-party firm repairs for a defaulting
  contractor (or where no contractor is liable); its :class:`CostLine` rows
  are audited by customer service line by line.
* :class:`PaymentApplication`: the firm's application for payment, a
  django-fsm state machine (draft → submitted → countersigning → approved →
  paid, or rejected), countersigned along a configurable
  :class:`CountersignStep` chain.
* :class:`PaidRepairQuote` and :class:`OwnerPayment`: repairs the owner pays for.
* :class:`Reconciliation`: the quarterly check of the project department's
  figures against the ledger.

Writes go through ``settlements.services``.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from tickets.models import OwnerConsent, Ticket
from warranty.fsm import ConcurrentTransitions
from warranty.history import AuditHistory
from warranty.models import Contractor, Engagement, Project
from warranty.roles import Role

from . import conditions as c
from .money import ZERO, line_total, total

MONEY = {"max_digits": 14, "decimal_places": 2}


class WarrantyFund(models.Model):
    """保修金: a contractor's retention for one engagement, or the project's developer account."""

    class Kind(models.TextChoices):
        CONTRACTOR_RETENTION = "contractor_retention", _("Contractor retention")
        DEVELOPER_BUDGET = "developer_budget", _("Developer warranty budget")

    scope_project_path = "project"

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="warranty_funds")
    engagement = models.OneToOneField(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warranty_fund",
        verbose_name=_("engagement"),
        help_text=_("Empty for the project's developer account."),
    )
    opening_amount = models.DecimalField(_("opening amount (yuan)"), **MONEY)
    term_ends_on = models.DateField(
        _("retention term ends on"), null=True, blank=True, help_text=_("The balance is released after this date.")
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("warranty fund")
        verbose_name_plural = _("warranty funds")
        ordering = ["project", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="contractor_retention", engagement__isnull=False, term_ends_on__isnull=False))
                | Q(kind="developer_budget", engagement__isnull=True),
                name="fund_kind_matches_engagement",
                violation_error_message=_("A retention belongs to an engagement and has a term; a budget has none."),
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(kind="developer_budget"),
                name="one_developer_account_per_project",
                violation_error_message=_("This project already has a developer account."),
            ),
            models.CheckConstraint(condition=Q(opening_amount__gte=0), name="fund_opening_not_negative"),
        ]
        permissions = [
            ("open_warrantyfund", _("Can open a warranty fund")),
            ("release_warrantyfund", _("Can release a fund at the end of its term")),
            ("adjust_ledger", _("Can approve a ledger adjustment")),
            ("approve_overdraft", _("Can approve an overdraft exception")),
        ]

    def __str__(self):
        if self.kind == self.Kind.DEVELOPER_BUDGET:
            return _("%(project)s developer account") % {"project": self.project.code}
        return _("%(engagement)s retention") % {"engagement": self.engagement}

    @property
    def balance(self):
        return self.balance_on(None)

    def balance_on(self, day: dt.date | None):
        """The balance after every entry booked on or before ``day`` (all entries when None)."""
        entries = self.entries.all()
        if day is not None:
            entries = entries.filter(booked_on__lte=day)
        return entries.aggregate(s=Sum("amount"))["s"] or ZERO

    @property
    def overdraft_limit(self):
        """How far below zero the balance may go: the sum of approved exceptions."""
        return self.overdraft_approvals.aggregate(s=Sum("limit"))["s"] or ZERO


class OverdraftApproval(models.Model):
    """An approved exception that lets a fund's balance go below zero by up to ``limit``."""

    scope_project_path = "fund__project"

    fund = models.ForeignKey(WarrantyFund, on_delete=models.PROTECT, related_name="overdraft_approvals")
    limit = models.DecimalField(_("limit (yuan)"), **MONEY)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)
    history = AuditHistory()

    class Meta:
        verbose_name = _("overdraft exception")
        verbose_name_plural = _("overdraft exceptions")
        constraints = [
            models.CheckConstraint(condition=Q(limit__gt=0), name="overdraft_limit_positive"),
            models.CheckConstraint(
                condition=~Q(approved_by=models.F("requested_by")), name="overdraft_not_approved_by_requester"
            ),
        ]

    def __str__(self):
        return f"{self.fund} −{self.limit}"


class AppendOnly(Exception):
    """A ledger entry was about to be changed or deleted."""


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Ledger entries cannot be changed; book an adjustment instead.")

    def delete(self):
        raise AppendOnly("Ledger entries cannot be deleted; book an adjustment instead.")


class LedgerEntry(models.Model):
    """保修金明细账 line: append-only. Credits are positive, debits negative."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening")
        DEDUCTION = "deduction", _("Deduction for a commissioned repair")
        RELEASE = "release", _("Release at the end of the term")
        ADJUSTMENT = "adjustment", _("Adjustment")

    scope_project_path = "fund__project"

    fund = models.ForeignKey(WarrantyFund, on_delete=models.PROTECT, related_name="entries", verbose_name=_("fund"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), help_text=_("Positive credits, negative debits."), **MONEY)
    balance_after = models.DecimalField(_("balance after (yuan)"), **MONEY)
    booked_on = models.DateField(_("booked on"), default=timezone.localdate, db_index=True)
    reason = models.TextField(_("reason"), blank=True)
    payment_application = models.OneToOneField(
        "PaymentApplication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entry",
        verbose_name=_("payment application"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["fund", "booked_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(condition=~Q(kind="opening") | Q(amount__gt=0), name="ledger_opening_is_a_credit"),
            models.CheckConstraint(
                condition=~Q(kind__in=["deduction", "release"]) | Q(amount__lt=0),
                name="ledger_deduction_release_are_debits",
            ),
            models.CheckConstraint(
                condition=~Q(kind="deduction") | Q(payment_application__isnull=False),
                name="ledger_deduction_has_application",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment")
                | (Q(approved_by__isnull=False) & ~Q(approved_by=models.F("created_by")) & ~Q(reason="")),
                name="ledger_adjustment_reasoned_and_approved",
            ),
            models.UniqueConstraint(fields=["fund"], condition=Q(kind="opening"), name="one_opening_entry_per_fund"),
        ]

    def __str__(self):
        return f"{self.fund} {self.booked_on} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Ledger entries cannot be changed; book an adjustment instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Ledger entries cannot be deleted; book an adjustment instead.")


class CommissionReason(models.TextChoices):
    REFUSED = "refused", _("The liable contractor refused")
    DID_NOT_ATTEND = "did_not_attend", _("The liable contractor did not attend in time after notice")
    NO_CONTRACTOR_LIABLE = "no_contractor_liable", _("No contractor is liable any more")


class CommissionedRepair(models.Model):
    """委托维修: a third-party firm repairs a ticket; the cost is charged to ``fund``."""

    scope_project_path = "ticket__project"
    scope_contractor_path = "firm"

    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, related_name="commissioned_repair", verbose_name=_("ticket")
    )
    firm = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="commissioned_repairs", verbose_name=_("commissioned firm")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=CommissionReason.choices)
    defaulting_contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="defaulted_repairs",
        verbose_name=_("defaulting contractor"),
    )
    fund = models.ForeignKey(
        WarrantyFund, on_delete=models.PROTECT, related_name="commissioned_repairs", verbose_name=_("charged to")
    )
    note = models.TextField(_("note"), blank=True)
    commissioned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    commissioned_at = models.DateTimeField(_("commissioned at"), default=timezone.now)
    history = AuditHistory()

    class Meta:
        verbose_name = _("commissioned repair")
        verbose_name_plural = _("commissioned repairs")
        ordering = ["-commissioned_at", "-id"]
        permissions = [
            ("commission_repair", _("Can commission a third-party firm")),
            ("enter_cost_lines", _("Can enter the cost lines of a commissioned repair")),
            ("audit_cost_lines", _("Can audit cost lines (customer service)")),
        ]

    def __str__(self):
        return f"{self.ticket.number} → {self.firm}"

    @property
    def quoted_total(self):
        return total(line.line_total for line in self.lines.all())

    @property
    def audited_total(self):
        """The sum of the audited line totals; lines not yet audited count nothing."""
        return total(line.audited_total for line in self.lines.all() if line.audited_total is not None)

    @property
    def is_fully_audited(self) -> bool:
        lines = list(self.lines.all())
        return bool(lines) and all(line.audit_status != CostLine.Audit.PENDING for line in lines)


class LineKind(models.TextChoices):
    MATERIAL = "material", _("Material")
    LABOUR = "labour", _("Labour")


class CostLine(models.Model):
    """A material or labour line of a commissioned repair, with customer service's audit."""

    class Audit(models.TextChoices):
        PENDING = "pending", _("Not audited")
        APPROVED = "approved", _("Approved as entered")
        ADJUSTED = "adjusted", _("Adjusted")

    scope_project_path = "repair__ticket__project"
    scope_contractor_path = "repair__firm"

    repair = models.ForeignKey(CommissionedRepair, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)])
    unit_price = models.DecimalField(_("unit price (yuan)"), validators=[MinValueValidator(0)], **MONEY)
    line_total = models.DecimalField(_("line total (yuan)"), editable=False, **MONEY)
    audit_status = models.CharField(_("audit"), max_length=10, choices=Audit.choices, default=Audit.PENDING)
    audited_quantity = models.DecimalField(
        _("audited quantity"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    audited_unit_price = models.DecimalField(_("audited unit price (yuan)"), null=True, blank=True, **MONEY)
    audited_total = models.DecimalField(_("audited total (yuan)"), null=True, blank=True, editable=False, **MONEY)
    audit_reason = models.CharField(_("reason for the adjustment"), max_length=200, blank=True)
    audited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    audited_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = AuditHistory()

    class Meta:
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        ordering = ["repair", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(audit_status="adjusted") | ~Q(audit_reason=""),
                name="cost_line_adjustment_has_reason",
                violation_error_message=_("Give a reason for the adjustment."),
            )
        ]

    def __str__(self):
        return f"{self.description} {self.quantity} × {self.unit_price}"

    def save(self, *args, **kwargs):
        self.line_total = line_total(self.quantity, self.unit_price)
        if self.audited_quantity is not None and self.audited_unit_price is not None:
            self.audited_total = line_total(self.audited_quantity, self.audited_unit_price)
        else:
            self.audited_total = None
        super().save(*args, **kwargs)


class CountersignStep(models.Model):
    """One step of the countersignature chain: a project's own chain, or the default (no project)."""

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="countersign_steps",
        help_text=_("Empty for the default chain of every project without its own."),
    )
    position = models.PositiveSmallIntegerField(_("order"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    history = AuditHistory()

    class Meta:
        verbose_name = _("countersignature step")
        verbose_name_plural = _("countersignature chain")
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="unique_countersign_position"),
            models.UniqueConstraint(
                fields=["position"], condition=Q(project__isnull=True), name="unique_default_countersign_position"
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.get_role_display()}"

    @classmethod
    def chain_for(cls, project) -> list[str]:
        """The roles that countersign for ``project``, in order: its own chain, else the default."""
        own = list(cls.objects.filter(project=project).order_by("position").values_list("role", flat=True))
        if own:
            return own
        return list(cls.objects.filter(project__isnull=True).order_by("position").values_list("role", flat=True))


class PaymentApplication(ConcurrentTransitions, models.Model):
    """付款申请: the commissioned firm asks to be paid for an audited, signed-off repair."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        COUNTERSIGNING = "countersigning", _("Countersigning")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    scope_project_path = "repair__ticket__project"
    scope_contractor_path = "repair__firm"

    number = models.CharField(_("application number"), max_length=60, unique=True, editable=False)
    repair = models.ForeignKey(
        CommissionedRepair, on_delete=models.PROTECT, related_name="applications", verbose_name=_("repair")
    )
    amount = models.DecimalField(_("amount applied for (yuan)"), **MONEY)
    state = FSMField(_("state"), default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    chain = models.JSONField(_("countersignature chain"), default=list, blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment recorded by"),
    )
    voucher_no = models.CharField(_("voucher number"), max_length=50, blank=True)
    payment_date = models.DateField(_("payment date"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("payment application")
        verbose_name_plural = _("payment applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
            models.UniqueConstraint(
                fields=["repair"],
                condition=~Q(state="rejected"),
                name="one_live_application_per_repair",
                violation_error_message=_("This repair already has a payment application."),
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("requested_by")),
                name="application_not_approved_by_requester",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | (~Q(voucher_no="") & Q(payment_date__isnull=False)),
                name="paid_application_has_voucher",
            ),
        ]
        permissions = [
            ("submit_paymentapplication", _("Can submit a payment application")),
            ("countersign_paymentapplication", _("Can countersign a payment application")),
            ("approve_paymentapplication", _("Can approve a payment application")),
            ("pay_paymentapplication", _("Can record the payment of an application")),
            ("reject_paymentapplication", _("Can reject a payment application")),
        ]

    def __str__(self):
        return self.number

    @property
    def next_countersign_role(self) -> str | None:
        done = self.countersignatures.count()
        return self.chain[done] if done < len(self.chain) else None

    # --- transitions: they change this row only; the services write everything else ---

    @transition(
        field=state,
        source=State.DRAFT,
        target=State.SUBMITTED,
        permission="settlements.submit_paymentapplication",
        conditions=[c.ticket_signed_off, c.firm_did_the_repair, c.fully_audited, c.within_audited_total],
    )
    def submit(self, *, chain: list[str]):
        self.chain = list(chain)
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=[State.SUBMITTED, State.COUNTERSIGNING],
        target=State.COUNTERSIGNING,
        permission="settlements.countersign_paymentapplication",
        conditions=[c.countersignature_due],
    )
    def countersign(self):
        """Every signature moves (or keeps) the application in countersigning; the service writes the row."""

    @transition(
        field=state,
        source=State.COUNTERSIGNING,
        target=State.APPROVED,
        permission="settlements.approve_paymentapplication",
        conditions=[c.fully_countersigned, c.within_audited_total],
    )
    def approve(self, *, by):
        self.approved_by = by
        self.approved_at = timezone.now()

    @transition(
        field=state,
        source=State.APPROVED,
        target=State.PAID,
        permission="settlements.pay_paymentapplication",
    )
    def record_payment(self, *, by, voucher_no: str, payment_date: dt.date):
        self.paid_by = by
        self.voucher_no = voucher_no
        self.payment_date = payment_date

    @transition(
        field=state,
        source=[State.SUBMITTED, State.COUNTERSIGNING, State.APPROVED],
        target=State.REJECTED,
        permission="settlements.reject_paymentapplication",
    )
    def reject(self, *, by, reason: str):
        self.rejected_by = by
        self.rejected_at = timezone.now()
        self.rejection_reason = reason


class Countersignature(models.Model):
    """会签: one signature of the chain. Nobody signs the same application twice."""

    scope_project_path = "application__repair__ticket__project"

    application = models.ForeignKey(PaymentApplication, on_delete=models.PROTECT, related_name="countersignatures")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("countersignature")
        verbose_name_plural = _("countersignatures")
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="one_signature_per_step"),
            models.UniqueConstraint(fields=["application", "signed_by"], name="no_one_signs_twice"),
        ]

    def __str__(self):
        return f"{self.application} {self.position}. {self.signed_by}"


# --- owner-paid repairs --------------------------------------------------------------------------


class PaidRepairQuote(models.Model):
    """报价: the price of a repair the owner pays for, agreed before work starts."""

    scope_project_path = "ticket__project"

    number = models.CharField(_("quote number"), max_length=60, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="paid_quotes", verbose_name=_("ticket"))
    consent = models.OneToOneField(
        OwnerConsent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paid_quote",
        verbose_name=_("owner's consent"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = AuditHistory()

    class Meta:
        verbose_name = _("paid-repair quote")
        verbose_name_plural = _("paid-repair quotes")
        ordering = ["-created_at", "-id"]
        permissions = [("record_owner_payment", _("Can record an owner's payment"))]

    def __str__(self):
        return self.number

    @property
    def total(self):
        return total(line.line_total for line in self.lines.all())


class QuoteLine(models.Model):
    scope_project_path = "quote__ticket__project"

    quote = models.ForeignKey(PaidRepairQuote, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)])
    unit_price = models.DecimalField(_("unit price (yuan)"), validators=[MinValueValidator(0)], **MONEY)
    line_total = models.DecimalField(_("line total (yuan)"), editable=False, **MONEY)
    history = AuditHistory()

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "id"]

    def __str__(self):
        return f"{self.description} {self.quantity} × {self.unit_price}"

    def save(self, *args, **kwargs):
        self.line_total = line_total(self.quantity, self.unit_price)
        super().save(*args, **kwargs)


class OwnerPayment(models.Model):
    """The owner's payment for a quote, recorded by finance with a receipt number. Workers never take cash."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        WECHAT_PAY = "wechat_pay", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        CARD = "card", _("Card at the warranty center (POS)")

    scope_project_path = "quote__ticket__project"

    quote = models.OneToOneField(PaidRepairQuote, on_delete=models.PROTECT, related_name="payment")
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    method = models.CharField(_("method"), max_length=15, choices=Method.choices)
    receipt_no = models.CharField(_("receipt number"), max_length=50, unique=True)
    paid_on = models.DateField(_("paid on"))
    payer_name = models.CharField(_("paid by"), max_length=50)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = AuditHistory()

    class Meta:
        verbose_name = _("owner payment")
        verbose_name_plural = _("owner payments")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="owner_payment_positive")]

    def __str__(self):
        return self.receipt_no


# --- quarterly reconciliation ------------------------------------------------------------------


class Reconciliation(models.Model):
    """季度对账: the project department's figures against the ledger, signed by both sides."""

    scope_project_path = "project"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reconciliations")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    dept_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed for the project department"),
    )
    dept_signed_at = models.DateTimeField(null=True, blank=True)
    cs_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed for customer service"),
    )
    cs_signed_at = models.DateTimeField(null=True, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("quarterly reconciliation")
        verbose_name_plural = _("quarterly reconciliations")
        ordering = ["project", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "quarter"], name="one_reconciliation_per_quarter"),
            models.CheckConstraint(
                condition=Q(dept_signed_by__isnull=True)
                | Q(cs_signed_by__isnull=True)
                | ~Q(dept_signed_by=models.F("cs_signed_by")),
                name="reconciliation_two_signers",
            ),
        ]
        permissions = [
            ("prepare_reconciliation", _("Can prepare a quarterly reconciliation")),
            ("sign_reconciliation_dept", _("Can sign a reconciliation for the project department")),
            ("sign_reconciliation_cs", _("Can sign a reconciliation for customer service")),
        ]

    def __str__(self):
        return f"{self.project.code} {self.year}Q{self.quarter}"

    def clean(self):
        if self.quarter and not 1 <= self.quarter <= 4:
            raise ValidationError({"quarter": _("A quarter is 1 to 4.")})

    @property
    def quarter_end(self) -> dt.date:
        month = self.quarter * 3
        return dt.date(self.year, month, 31 if month in (3, 12) else 30)

    @property
    def is_signed(self) -> bool:
        return bool(self.dept_signed_by_id and self.cs_signed_by_id)

    @property
    def differences(self):
        return [line for line in self.lines.all() if line.difference != 0]


class ReconciliationLine(models.Model):
    scope_project_path = "reconciliation__project"

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="lines")
    fund = models.ForeignKey(WarrantyFund, on_delete=models.PROTECT, related_name="+", verbose_name=_("fund"))
    dept_figure = models.DecimalField(_("project department's figure (yuan)"), **MONEY)
    ledger_balance = models.DecimalField(_("ledger balance at quarter end (yuan)"), editable=False, **MONEY)
    difference = models.DecimalField(_("difference (yuan)"), editable=False, **MONEY)
    explanation = models.CharField(_("explanation"), max_length=200, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("reconciliation line")
        verbose_name_plural = _("reconciliation lines")
        ordering = ["reconciliation", "fund"]
        constraints = [models.UniqueConstraint(fields=["reconciliation", "fund"], name="one_line_per_fund")]

    def __str__(self):
        return f"{self.fund}: {self.difference}"

    def save(self, *args, **kwargs):
        self.difference = self.dept_figure - self.ledger_balance
        super().save(*args, **kwargs)
