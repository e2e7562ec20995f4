"""Admin for callbacks, follow-ups, re-inspections and the dossier access log: read-only, scoped.

Writes happen on the CS pages through the services (outcome rules, ticket transitions);
survey campaigns are the one thing created here.
"""

from django.contrib import admin

from warranty.admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin

from .models import (
    Callback,
    CallbackAttempt,
    ContactChangeTask,
    DossierAccess,
    FollowUpCase,
    JointReinspection,
    NotificationRound,
    SurveyCampaign,
)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallbackAttemptInline(ReadOnlyAdminMixin, ScopedAdminMixin, admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    fields = ["at", "by", "reached", "note"]
    readonly_fields = fields


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = ["ticket", "status", "due_from", "due_by", "failed_attempts", "outcome", "called_by"]
    list_filter = ["status", "outcome", "ticket__project", "quality", "attitude", "timeliness"]
    search_fields = ["=ticket__number"]
    list_select_related = ["ticket", "called_by"]
    date_hierarchy = "due_by"
    show_full_result_count = False
    inlines = [CallbackAttemptInline]


@admin.register(FollowUpCase)
class FollowUpCaseAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = ["ticket", "reason", "status", "director", "customer_service", "opened_at", "closed_at"]
    list_filter = ["status", "reason", "ticket__project"]
    search_fields = ["=ticket__number"]
    list_select_related = ["ticket", "director", "customer_service"]
    show_full_result_count = False


@admin.register(NotificationRound)
class NotificationRoundAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = ["ticket", "status", "failed_attempts", "next_attempt_on", "notified_at"]
    list_filter = ["status", "ticket__project"]
    search_fields = ["=ticket__number"]
    list_select_related = ["ticket"]
    show_full_result_count = False


@admin.register(JointReinspection)
class JointReinspectionAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = ["ticket", "trigger", "director", "customer_service", "opened_at", "closed_at"]
    list_filter = ["trigger", "ticket__project"]
    list_select_related = ["ticket", "director", "customer_service"]
    show_full_result_count = False


@admin.register(ContactChangeTask)
class ContactChangeTaskAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = ["ticket", "owner", "new_phone", "raised_by", "raised_at", "done_at"]
    list_select_related = ["ticket", "owner", "raised_by"]
    show_full_result_count = False


@admin.register(DossierAccess)
class DossierAccessAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "ticket", "kind"]
    list_filter = ["kind", "ticket__project"]
    search_fields = ["=ticket__number", "user__username"]
    list_select_related = ["ticket", "user"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(SurveyCampaign)
class SurveyCampaignAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["project", "name", "starts_on", "ends_on"]
    list_filter = ["project"]
    list_select_related = ["project"]
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
