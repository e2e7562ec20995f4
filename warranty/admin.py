"""Admin for the property registry, warranty coverage, the workday calendar and users.

Every queryset and choice list is scoped (see :mod:`warranty.admin_mixins`);
history-tracked models use ``ScopedHistoryAdmin``.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.urls import reverse_lazy
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from . import calendar
from .admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin, scoped
from .models import (
    Building,
    CalendarDay,
    Contractor,
    DefectCategory,
    DeliveryBatch,
    Engagement,
    Owner,
    Ownership,
    Project,
    Season,
    Trade,
    Unit,
    User,
    WarrantyPeriod,
)
from .roles import Role
from .scoping import scope

admin.site.site_header = _("Baoxiu administration")
admin.site.site_title = _("Baoxiu admin")
# "View site" leads to the user's workbench: "/" sends the admin roles straight back to the admin.
admin.site.site_url = reverse_lazy("warranty:role_home")


# --- Projects, batches, buildings -------------------------------------------------


class SeasonInline(ScopedAdminMixin, admin.TabularInline):
    model = Season
    extra = 0
    max_num = len(Season.Kind.choices)


@admin.register(Project)
class ProjectAdmin(ScopedHistoryAdmin):
    list_display = ("code", "name", "city", "center_phone", "design_life_years")
    search_fields = ("code", "name", "city")
    inlines = (SeasonInline,)


@admin.register(DeliveryBatch)
class DeliveryBatchAdmin(ScopedHistoryAdmin):
    list_display = ("name", "project", "acceptance_date", "delivery_date")
    list_filter = ("project",)
    list_select_related = ("project",)
    search_fields = ("name", "project__code", "project__name")
    autocomplete_fields = ("project",)


@admin.register(Building)
class BuildingAdmin(ScopedHistoryAdmin):
    list_display = ("name", "project", "batch")
    list_filter = ("project", "batch")
    list_select_related = ("project", "batch__project")
    search_fields = ("name", "project__code", "project__name")
    autocomplete_fields = ("project", "batch")


# --- Units, owners, ownerships ----------------------------------------------------


class OwnershipInlineFormSet(forms.BaseInlineFormSet):
    """At most one current primary contact per unit among the submitted rows.

    The model's conditional unique constraint checks each row against the
    database only; two new rows for one unit would reach the database.
    """

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or not data.get("is_primary") or data.get("until") or not data.get("unit"):
                continue
            key = data["unit"].pk or id(data["unit"])  # a unit being added has no pk yet
            if key in seen:
                raise ValidationError(_("A unit can have only one current primary contact."))
            seen.add(key)


class UnitOwnershipInline(ScopedAdminMixin, admin.TabularInline):
    model = Ownership
    formset = OwnershipInlineFormSet
    fk_name = "unit"
    extra = 0
    autocomplete_fields = ("owner",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "owner" and not request.user.is_superuser:
            # An owner added in a popup has no unit yet, so it is outside the user's scope and
            # could not be chosen here; new owners are added on the owner page, with their unit.
            formfield.widget.can_add_related = False
        return formfield


class UnitAdminForm(forms.ModelForm):
    """The building is on the form, so the (building, number) constraint is checked before saving."""

    class Meta:
        model = Unit
        fields = ("building", "number", "floor_area", "handover_date")

    def clean(self):
        cleaned = super().clean()
        building, number = cleaned.get("building"), cleaned.get("number")
        if building and number:
            clash = Unit.objects.filter(building=building, number=number)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                # On the number field, where the user typed; the model constraint stays the backstop.
                (constraint,) = (c for c in Unit._meta.constraints if c.name == "unique_unit_number_per_building")
                self.add_error("number", constraint.violation_error_message)
        return cleaned


@admin.register(Unit)
class UnitAdmin(ScopedHistoryAdmin):
    form = UnitAdminForm
    fields = ("building", "project", "number", "floor_area", "handover_date")
    readonly_fields = ("project",)
    list_display = ("number", "project_code", "building_name", "batch_name", "primary_owner", "handover_date")
    list_filter = ("project", "building__batch")
    list_select_related = ("project", "building__batch")
    search_fields = ("number", "ownerships__owner__name", "ownerships__owner__phone")
    autocomplete_fields = ("building",)
    show_full_result_count = False
    inlines = (UnitOwnershipInline,)

    def get_queryset(self, request):
        current = Ownership.objects.filter(unit=OuterRef("pk"), is_primary=True, until__isnull=True)
        return super().get_queryset(request).annotate(primary_owner_name=Subquery(current.values("owner__name")[:1]))

    @admin.display(description=_("project"), ordering="project__code")
    def project_code(self, obj):
        return obj.project.code

    @admin.display(description=_("building"), ordering="building__name")
    def building_name(self, obj):
        return obj.building.name

    @admin.display(description=_("delivery batch"), ordering="building__batch__delivery_date")
    def batch_name(self, obj):
        return obj.building.batch.name

    @admin.display(description=_("primary contact"), ordering="primary_owner_name")
    def primary_owner(self, obj):
        return obj.primary_owner_name


class OwnerOwnershipInline(ScopedAdminMixin, admin.TabularInline):
    model = Ownership
    formset = OwnershipInlineFormSet
    fk_name = "owner"
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(Owner)
class OwnerAdmin(ScopedHistoryAdmin):
    list_display = ("name", "phone", "units")
    search_fields = ("name", "phone", "other_phone")
    readonly_fields = ("anonymised_at",)
    show_full_result_count = False
    inlines = (OwnerOwnershipInline,)

    def get_queryset(self, request):
        ownerships = scoped(Ownership.objects.select_related("unit__project"), request.user)
        return super().get_queryset(request).prefetch_related(Prefetch("ownerships", queryset=ownerships))

    @admin.display(description=_("units"))
    def units(self, obj):
        return ", ".join(str(o.unit) for o in obj.ownerships.all())


@admin.register(Ownership)
class OwnershipAdmin(ScopedHistoryAdmin):
    list_display = ("unit", "owner", "since", "until", "is_primary")
    list_filter = ("is_primary", "unit__project")
    list_select_related = ("unit__project", "owner")
    search_fields = ("unit__number", "owner__name", "owner__phone")
    autocomplete_fields = ("unit", "owner")
    show_full_result_count = False


# --- Trades, contractors, engagements ---------------------------------------------


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")


class EngagementInline(ScopedAdminMixin, admin.TabularInline):
    model = Engagement
    extra = 0
    autocomplete_fields = ("project", "batch", "trade")


@admin.register(Contractor)
class ContractorAdmin(ScopedHistoryAdmin):
    list_display = ("name", "trade_list", "contact_name", "contact_phone", "is_commissionable")
    list_filter = ("is_commissionable", "trades")
    search_fields = ("name", "contact_name", "contact_phone")
    autocomplete_fields = ("trades",)
    inlines = (EngagementInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("trades")

    @admin.display(description=_("trades"))
    def trade_list(self, obj):
        return ", ".join(str(t) for t in obj.trades.all())


@admin.register(Engagement)
class EngagementAdmin(ScopedHistoryAdmin):
    list_display = ("contractor", "project", "batch", "trade", "warranty_months", "retention_amount", "contract_no")
    list_filter = ("project", "trade")
    list_select_related = ("contractor", "project", "batch__project", "trade")
    search_fields = ("contractor__name", "contract_no")
    autocomplete_fields = ("contractor", "project", "batch", "trade")


# --- Defect categories and owner-warranty periods ---------------------------------


def _periods_in_scope(request, qs):
    """The defaults (no project) apply everywhere; overrides only within the user's projects."""
    if request.user.is_superuser:
        return qs
    return qs.filter(Q(project__isnull=True) | Q(project__in=scope(Project.objects.all(), request.user)))


class WarrantyPeriodInline(ScopedAdminMixin, admin.TabularInline):
    model = WarrantyPeriod
    extra = 0
    autocomplete_fields = ("project",)

    def scope_queryset(self, request, qs):
        return _periods_in_scope(request, qs)


@admin.register(DefectCategory)
class DefectCategoryAdmin(ScopedHistoryAdmin):
    list_display = ("code", "name_zh", "name_en", "trade", "sort_order", "is_active")
    list_filter = ("is_active", "trade")
    list_select_related = ("trade",)
    search_fields = ("code", "name_zh", "name_en")
    autocomplete_fields = ("trade",)
    inlines = (WarrantyPeriodInline,)


@admin.register(WarrantyPeriod)
class WarrantyPeriodAdmin(ScopedHistoryAdmin):
    list_display = ("category", "project", "kind", "length", "season_kind")
    list_filter = ("kind", "project")
    list_select_related = ("category", "project")
    search_fields = ("category__code", "category__name_zh", "category__name_en")
    autocomplete_fields = ("category", "project")

    def scope_queryset(self, request, qs):
        return _periods_in_scope(request, qs)


# --- Workday calendar -------------------------------------------------------------


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up workdays; every write clears the calendar's per-year cache."""

    list_display = ("date", "weekday", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(calendar.clear_cache)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(calendar.clear_cache)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(calendar.clear_cache)


# --- Users ------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Baoxiu"), {"fields": ("phone", "language", "projects", "contractor")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Baoxiu"), {"fields": ("groups", "projects", "contractor", "language")}),
    )
    list_display = ("username", "last_name", "first_name", "roles", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "projects")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    autocomplete_fields = ("projects", "contractor")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser may hand out superuser status or single permissions.
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ("is_superuser", "user_permissions")
        return readonly

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(str(Role(g.name).label) if g.name in Role.values else g.name for g in obj.groups.all())
