"""Ticket admin: read-mostly. State changes only through service-backed actions; no raw state edits,
no history revert (it would bypass the transitions)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from warranty.admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin

from . import services
from .models import (
    Appointment,
    Attachment,
    ContactAttempt,
    DispatchNotice,
    OutboxMessage,
    Report,
    Ticket,
    TimelineEvent,
)
from .selectors import ticket_actions


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["at", "actor", "verb", "from_state", "to_state", "note"]
    readonly_fields = fields
    verbose_name_plural = _("timeline")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["kind", "stage", "original_name", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ["number", "location", "category", "state", "steward"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Report)
class ReportAdmin(ScopedHistoryAdmin):
    list_display = ["number", "unit", "reporter_name", "channel", "received_at", "is_emergency"]
    list_filter = ["project", "channel", "is_emergency"]
    search_fields = ["=number", "unit__number", "reporter_name", "=contact_phone"]
    list_select_related = ["unit", "unit__project"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    readonly_fields = ["number", "project", "unit", "owner", "received_by", "received_at"]
    inlines = [TicketInline]

    def has_add_permission(self, request):
        return False  # reports are logged on the intake page (services check everything there)

    def has_delete_permission(self, request, obj=None):
        return False


class TransitionForm(forms.Form):
    note = forms.CharField(label=_("Reason or note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


# Transitions the admin can run directly: those that need only a note.
ADMIN_TRANSITIONS = {
    "confirm": services.ticket_confirm,
    "resolve_by_phone": services.ticket_resolve_by_phone,
    "refer": services.ticket_refer,
    "cancel": services.ticket_cancel,
    "complete_repair": services.ticket_complete_repair,
    "return_to_repair": services.ticket_return_to_repair,
    "sign_off": services.ticket_sign_off,
    "archive": services.ticket_archive,
    "reopen": services.ticket_reopen,
}


@admin.register(Ticket)
class TicketAdmin(ScopedHistoryAdmin):
    list_display = ["number", "unit", "category", "location", "state", "difficulty", "steward", "created_at"]
    list_filter = ["state", "difficulty", "project", "category", "is_emergency", "is_major"]
    search_fields = ["=number", "unit__number", "report__reporter_name", "=report__contact_phone"]
    list_select_related = ["unit", "unit__project", "category", "steward"]
    show_full_result_count = False
    list_per_page = 50
    date_hierarchy = "created_at"
    inlines = [AttachmentInline, TimelineInline]
    change_form_template = "admin/tickets/ticket/change_form.html"
    readonly_fields = [
        "number",
        "report",
        "project",
        "unit",
        "state",
        "resolution",
        "difficulty",
        "category",
        "location",
        "location_detail",
        "part",
        "description",
        "coverage_assessed_at",
        "in_owner_warranty",
        "owner_warranty_until",
        "contractor_liable_until",
        "payer",
        "coverage_reason",
        "liable_engagement",
        "liable_contractor",
        "repairing_contractor",
        "steward",
        "engineer",
        "repeat_of",
        "is_emergency",
        "is_major",
        "compensation_claimed",
        "responsibility_unclear",
        "group_complaint",
        "created_at",
        "dispatched_at",
        "repaired_at",
        "signed_off_at",
        "closed_at",
        "close_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the change page is a read-only view with transition buttons

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="tickets_ticket_transition",
            )
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = get_object_or_404(self.get_queryset(request), pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "transition_actions": [a for a in ticket_actions(ticket, request.user) if a.name in ADMIN_TRANSITIONS],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, name):
        """A confirmation page with a note, then the service; errors come back as admin messages."""
        ticket = get_object_or_404(self.get_queryset(request), pk=object_id)
        service = ADMIN_TRANSITIONS.get(name)
        if service is None:
            raise PermissionDenied
        form = TransitionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                service(ticket=ticket, by=request.user, note=form.cleaned_data["note"])
            except services.ServiceError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Done."), messages.SUCCESS)
                return redirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "ticket": ticket,
            "form": form,
            "action": next((a for a in ticket_actions(ticket, request.user) if a.name == name), None),
            "title": _("Confirm: %(action)s") % {"action": name},
        }
        return TemplateResponse(request, "admin/tickets/ticket/transition.html", context)


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ScopedHistoryAdmin):
    list_display = ["report", "purpose", "method", "at", "by", "reached"]
    list_filter = ["purpose", "reached"]
    list_select_related = ["report", "by"]
    readonly_fields = ["report", "ticket", "purpose", "method", "at", "by", "reached", "note"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A call made stays on record: the SLA clocks, the KPIs and the queues' flags were moved by it.
        return False


@admin.register(Appointment)
class AppointmentAdmin(ScopedHistoryAdmin):
    list_display = ["ticket", "kind", "scheduled_at", "arrived_at", "deviation_minutes", "outcome"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["ticket"]
    readonly_fields = ["ticket", "kind", "scheduled_at", "arrived_at", "deviation_minutes", "outcome", "created_by"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A visit booked stays on record: the on-time arrival measure and the dispatch notices refer to it.
        return False


@admin.register(DispatchNotice)
class DispatchNoticeAdmin(ScopedHistoryAdmin):
    list_display = ["number", "ticket", "contractor", "status", "issued_at"]
    list_filter = ["status"]
    search_fields = ["=number", "ticket__number"]
    list_select_related = ["ticket", "contractor"]
    readonly_fields = [
        "number",
        "ticket",
        "contractor",
        "appointment",
        "plan",
        "status",
        "issued_by",
        "answered_by",
        "answered_at",
        "decline_reason",
        "override_reason",
    ]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # The contractor was told (F02): the notice, its answer and its number stay on record.
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["event", "ticket", "recipient", "channel", "created_at", "sent_at", "attempts"]
    list_filter = ["event", "channel"]
    list_select_related = ["ticket", "recipient"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # An unsent row would never be delivered; a sent one keeps its message from being sent twice.
        return False


from . import admin_reporting, admin_sla  # noqa: E402,F401  (register the SLA, escalation and daily-report admins)
