"""The property registry (DOMAIN §2), warranty periods (§3), roles (§1) and the workday calendar."""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .history import AuditHistory
from .roles import Role


@deconstructible(path="django.core.validators.RegexValidator")
class MainlandMobileValidator(RegexValidator):
    """Match the pattern against the number's E.164 form.

    ``str()`` of a PhoneNumber follows PHONENUMBER_DEFAULT_FORMAT ("138 1234 5678"
    when NATIONAL), which the pattern would reject. Migrations only need the
    pattern, so this deconstructs as a plain RegexValidator.
    """

    # Not "invalid": a model form would show the form field's own "invalid" message instead.
    code = "not_mainland_mobile"

    def __call__(self, value):
        super().__call__(getattr(value, "as_e164", value))


mainland_mobile = MainlandMobileValidator(
    r"^(\+86)?1[3-9]\d{9}$",
    _("Enter a mainland China mobile number: 11 digits starting with 1."),
)


class BilingualName(models.Model):
    """A name kept in Chinese and English, shown in the active language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        if _english() and self.name_en:
            return self.name_en
        return self.name_zh

    @staticmethod
    def name_at(path: str):
        """``name`` in SQL, of the row joined at ``path`` (an annotation for lists)."""
        if _english():
            return Coalesce(NullIf(F(f"{path}__name_en"), Value("")), F(f"{path}__name_zh"))
        return F(f"{path}__name_zh")


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


class Project(models.Model):
    scope_project_path = "pk"

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{1,9}$", _("2–10 capital letters or digits."))],
        help_text=_("Short code used in report numbers, e.g. HXY."),
    )
    city = models.CharField(_("city"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    center_phone = models.CharField(_("warranty center phone"), max_length=30, blank=True)
    center_email = models.EmailField(_("warranty center email"), blank=True)
    design_life_years = models.PositiveSmallIntegerField(
        _("design life (years)"), default=50, help_text=_("Warranty period of foundation and main structure.")
    )
    history = AuditHistory()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Season(models.Model):
    """A heating or cooling season of a project, e.g. heating 11-15 → 03-15."""

    scope_project_path = "project"

    class Kind(models.TextChoices):
        HEATING = "heating", _("Heating season")
        COOLING = "cooling", _("Cooling season")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="seasons", verbose_name=_("project"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start_month = models.PositiveSmallIntegerField(_("start month"), validators=[MinValueValidator(1)])
    start_day = models.PositiveSmallIntegerField(_("start day"), validators=[MinValueValidator(1)])
    end_month = models.PositiveSmallIntegerField(_("end month"), validators=[MinValueValidator(1)])
    end_day = models.PositiveSmallIntegerField(_("end day"), validators=[MinValueValidator(1)])
    history = AuditHistory()

    class Meta:
        verbose_name = _("season")
        verbose_name_plural = _("seasons")
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="one_season_per_kind")]

    def __str__(self):
        return (
            f"{self.get_kind_display()} {self.start_month:02d}-{self.start_day:02d}"
            f" → {self.end_month:02d}-{self.end_day:02d}"
        )

    def clean(self):
        import datetime

        for month, day in ((self.start_month, self.start_day), (self.end_month, self.end_day)):
            try:
                datetime.date(2001, month or 1, day or 1)
            except ValueError as exc:
                raise ValidationError(_("Not a valid month and day.")) from exc


class DeliveryBatch(models.Model):
    """Units handed over together (同一期入伙)."""

    scope_project_path = "project"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="batches", verbose_name=_("project"))
    name = models.CharField(_("name"), max_length=50)
    acceptance_date = models.DateField(_("completion-acceptance date"))
    delivery_date = models.DateField(_("delivery date"))
    history = AuditHistory()

    class Meta:
        verbose_name = _("delivery batch")
        verbose_name_plural = _("delivery batches")
        ordering = ["project", "delivery_date"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_batch_name_per_project"),
            models.CheckConstraint(
                condition=Q(delivery_date__gte=models.F("acceptance_date")),
                name="batch_delivered_after_acceptance",
                violation_error_message=_("The delivery date cannot be before the completion-acceptance date."),
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.name}"

    def clean(self):
        if self.acceptance_date and self.delivery_date and self.delivery_date < self.acceptance_date:
            raise ValidationError(
                {"delivery_date": _("The delivery date cannot be before the completion-acceptance date.")}
            )


class Building(models.Model):
    scope_project_path = "project"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("project"))
    batch = models.ForeignKey(
        DeliveryBatch, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("delivery batch")
    )
    name = models.CharField(_("building"), max_length=20, help_text=_("e.g. 3"))
    history = AuditHistory()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_building_per_project")]

    def __str__(self):
        return _("%(project)s building %(name)s") % {"project": self.project.code, "name": self.name}

    def clean(self):
        if self.batch_id and self.project_id and self.batch.project_id != self.project_id:
            raise ValidationError({"batch": _("The delivery batch belongs to another project.")})


class Unit(models.Model):
    """A flat, numbered like 3-2-1201 (building-entrance-room)."""

    scope_project_path = "project"

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building"))
    # Denormalised from the building so every scoped list filters on one indexed column.
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="units", editable=False, verbose_name=_("project")
    )
    number = models.CharField(
        _("unit number"),
        max_length=30,
        validators=[RegexValidator(r"^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$", _("Use a number like 3-2-1201."))],
    )
    floor_area = models.DecimalField(_("floor area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True)
    handover_date = models.DateField(
        _("own handover date"),
        null=True,
        blank=True,
        help_text=_("Only when this unit was handed over on another date than its delivery batch."),
    )
    history = AuditHistory()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "number"],
                name="unique_unit_number_per_building",
                violation_error_message=_("This building already has a unit with this number."),
            )
        ]
        indexes = [models.Index(fields=["project", "number"])]

    def __str__(self):
        return f"{self.project.code} {self.number}" if self.project_id else self.number

    def save(self, *args, **kwargs):
        self.project_id = self.building.project_id
        super().save(*args, **kwargs)

    def clean(self):
        if self.building_id:
            self.project_id = self.building.project_id

    @property
    def batch(self) -> DeliveryBatch:
        return self.building.batch

    @property
    def delivered_on(self):
        """The date the owner's warranty clock starts."""
        return self.handover_date or self.building.batch.delivery_date


class Owner(models.Model):
    scope_project_path = "ownerships__unit__project"

    name = models.CharField(_("name"), max_length=50)
    # Blank only once the owner has been anonymised (see clean()).
    phone = PhoneNumberField(_("mobile phone"), region="CN", validators=[mainland_mobile], db_index=True, blank=True)
    other_phone = PhoneNumberField(_("other phone"), region="CN", blank=True)
    email = models.EmailField(_("email"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    history = AuditHistory(excluded_fields=["note"])

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name

    def clean(self):
        if not self.phone and self.anonymised_at is None:
            raise ValidationError({"phone": _("This field is required.")})

    @property
    def phone_last4(self) -> str:
        return str(self.phone.national_number)[-4:] if self.phone else ""

    @property
    def masked_phone(self) -> str:
        from .personal_data import mask_phone

        return mask_phone(self.phone)


class Ownership(models.Model):
    """An owner of a unit over a period; one current primary contact per unit."""

    scope_project_path = "unit__project"

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("unit"))
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("owner"))
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["unit", "-is_primary", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(is_primary=True, until__isnull=True),
                name="one_current_primary_owner_per_unit",
                violation_error_message=_("This unit already has a current primary contact."),
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="ownership_until_after_since",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return f"{self.owner} @ {self.unit}"


class Trade(BilingualName):
    """A construction trade: general, waterproofing, windows, fit-out, HVAC …"""

    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        ordering = ["code"]


class Contractor(models.Model):
    scope_project_path = "engagements__project"
    scope_contractor_path = "pk"

    name = models.CharField(_("company name"), max_length=100, unique=True)
    trades = models.ManyToManyField(Trade, related_name="contractors", blank=True, verbose_name=_("trades"))
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = PhoneNumberField(_("contact phone"), region="CN", blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_commissionable = models.BooleanField(
        _("third-party firm that can be commissioned"),
        default=False,
        help_text=_("Repairs for a defaulting contractor, or where no contractor is liable."),
    )
    history = AuditHistory(m2m_fields=[trades])

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Engagement(models.Model):
    """A contractor's contract on a project (or one batch) for a trade, with its warranty term."""

    scope_project_path = "project"
    scope_contractor_path = "contractor"

    contractor = models.ForeignKey(
        Contractor, on_delete=models.PROTECT, related_name="engagements", verbose_name=_("contractor")
    )
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="engagements", verbose_name=_("project")
    )
    batch = models.ForeignKey(
        DeliveryBatch,
        on_delete=models.PROTECT,
        related_name="engagements",
        null=True,
        blank=True,
        verbose_name=_("delivery batch"),
        help_text=_("Empty when the contract covers every batch of the project."),
    )
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="engagements", verbose_name=_("trade"))
    contract_no = models.CharField(_("contract number"), max_length=50, blank=True)
    warranty_months = models.PositiveSmallIntegerField(
        _("contract warranty term (months)"), help_text=_("Counted from the completion-acceptance date.")
    )
    retention_amount = models.DecimalField(
        _("retention amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    history = AuditHistory()

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["project", "trade", "contractor"]
        indexes = [models.Index(fields=["project", "trade"])]

    def __str__(self):
        return f"{self.contractor} · {self.trade} · {self.project.code}"

    def clean(self):
        if self.batch_id and self.project_id and self.batch.project_id != self.project_id:
            raise ValidationError({"batch": _("The delivery batch belongs to another project.")})


class DefectCategory(BilingualName):
    """What kind of defect; decides the owner-warranty period and the liable trade."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    trade = models.ForeignKey(
        Trade, on_delete=models.PROTECT, related_name="categories", verbose_name=_("liable trade")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("defect category")
        verbose_name_plural = _("defect categories")
        ordering = ["sort_order", "code"]


class WarrantyPeriod(models.Model):
    """The owner-warranty period of a category: the default (no project) or a project's override."""

    class Kind(models.TextChoices):
        YEARS = "years", _("Years")
        SEASONS = "seasons", _("Heating or cooling seasons")
        DESIGN_LIFE = "design_life", _("Design life of the building")

    category = models.ForeignKey(
        DefectCategory, on_delete=models.CASCADE, related_name="periods", verbose_name=_("category")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="warranty_periods",
        null=True,
        blank=True,
        verbose_name=_("project"),
        help_text=_("Empty for the default that applies to every project."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.YEARS)
    length = models.PositiveSmallIntegerField(
        _("length"), default=2, help_text=_("Years or seasons; ignored for design life.")
    )
    season_kind = models.CharField(_("season"), max_length=10, choices=Season.Kind.choices, blank=True)
    history = AuditHistory()

    class Meta:
        verbose_name = _("owner-warranty period")
        verbose_name_plural = _("owner-warranty periods")
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=Q(project__isnull=True), name="one_default_period_per_category"
            ),
            models.UniqueConstraint(fields=["category", "project"], name="one_period_per_category_and_project"),
        ]

    def __str__(self):
        return f"{self.category}: {self.describe()}"

    def describe(self) -> str:
        if self.kind == self.Kind.DESIGN_LIFE:
            return str(_("design life"))
        if self.kind == self.Kind.SEASONS:
            return _("%(n)s %(season)s") % {"n": self.length, "season": Season.Kind(self.season_kind).label}
        return _("%(n)s years") % {"n": self.length}

    def clean(self):
        if self.kind == self.Kind.SEASONS and not self.season_kind:
            raise ValidationError({"season_kind": _("Choose heating or cooling seasons.")})
        if self.kind != self.Kind.DESIGN_LIFE and not self.length:
            raise ValidationError({"length": _("The period must be at least 1.")})


# What ``User.__str__`` (a person's name on every page) reads: load these with ``only()`` on a joined user.
USER_NAME = ("username", "first_name", "last_name")


class User(AbstractUser):
    """A staff member or a contractor's user. Roles are groups (see warranty.roles)."""

    phone = PhoneNumberField(_("mobile phone"), region="CN", blank=True)
    projects = models.ManyToManyField(Project, related_name="staff", blank=True, verbose_name=_("projects served"))
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("contractor"),
        help_text=_("For contractor users only: the firm whose jobs they see."),
    )
    language = models.CharField(
        _("language"), max_length=10, default="zh-hans", choices=[("zh-hans", "简体中文"), ("en", "English")]
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        full = f"{self.last_name}{self.first_name}".strip()
        return full or self.username

    @staticmethod
    def name_at(path: str):
        """``str(user)`` in SQL, of the user joined at ``path`` (an annotation for lists; NULL for no user)."""
        full = NullIf(Trim(Concat(F(f"{path}__last_name"), F(f"{path}__first_name"))), Value(""))
        return Coalesce(full, F(f"{path}__username"), output_field=models.CharField())

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def role_names(self) -> set[str]:
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names & {str(r) for r in roles})

    @property
    def role_label(self) -> str:
        role = self.primary_role
        return Role(role).label if role else ""

    @property
    def primary_role(self) -> str | None:
        for role in Role.values:
            if role in self.role_names:
                return role
        return None


class CalendarDay(models.Model):
    """The official working calendar: one row per date (holidays and make-up workdays)."""

    date = models.DateField(_("date"), primary_key=True)
    is_workday = models.BooleanField(_("workday"))
    name = models.CharField(_("holiday"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        kind = _("workday") if self.is_workday else _("day off")
        return f"{self.date} {kind} {self.name}".strip()
