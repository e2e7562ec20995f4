"""Admin for SLA policies (data, editable per project), clocks and alerts (read-only) and escalations.

Imported by tickets/admin.py; importing this module registers the admins.
Escalations change only through tickets.escalations services (the queue pages);
here they are read-only, and history revert is disabled project-wide.
"""

from django.contrib import admin

from warranty.admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin
from warranty.scoping import project_ids

from .models import AgreedCadence, Escalation, SlaAlert, SlaClock, SlaPolicy


class ReadOnlyMixin:
    """Rows written only by the SLA and escalation services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ScopedHistoryAdmin):
    list_display = ["code", "project", "is_active", "target", "unit", "calendar", "warn_percent", "escalation_reason"]
    list_filter = ["code", "calendar", "is_active"]
    fields = [
        "code",
        "project",
        "is_active",
        ("target", "unit", "calendar"),
        "anchor",
        "warn_percent",
        "start_events",
        "stop_events",
        "warn_roles",
        "breach_roles",
        "ladder",
        "escalation_reason",
    ]

    def scope_queryset(self, request, qs):
        """The defaults (no project) and the overrides of the user's projects."""
        ids = project_ids(request.user)
        return qs if ids is None else qs.filter(project__in=ids) | qs.filter(project__isnull=True)

    def has_change_permission(self, request, obj=None):
        # Defaults (no project) are changed by superusers only; a project's override by its staff.
        if obj is not None and obj.project_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


class SlaAlertInline(admin.TabularInline):
    model = SlaAlert
    extra = 0
    can_delete = False
    fields = readonly_fields = ["level", "at", "recipients"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "ticket", "batch", "started_at", "warn_at", "due_at", "stopped_at", "breached_at"]
    list_filter = ["code", ("stopped_at", admin.EmptyFieldListFilter), ("breached_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket", "batch", "batch__project"]
    search_fields = ["ticket__number"]
    raw_id_fields = ["ticket", "batch", "policy"]
    inlines = [SlaAlertInline]
    date_hierarchy = "due_at"


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyMixin, ScopedHistoryAdmin):
    list_display = ["raised_at", "project", "reason", "summary", "status", "assignee"]
    list_filter = ["reason", "status", "project"]
    list_select_related = ["project", "assignee"]
    search_fields = ["summary", "ticket__number", "subject_key"]


@admin.register(AgreedCadence)
class AgreedCadenceAdmin(ReadOnlyMixin, ScopedHistoryAdmin):
    list_display = ["ticket", "every_hours", "agreed_at", "recorded_by"]
    list_select_related = ["ticket", "recorded_by"]
    search_fields = ["ticket__number"]
