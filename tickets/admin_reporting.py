"""Admin for the daily report: per-project recipients without a user (editable) and kept reports (read-only).

Imported by tickets/admin.py; importing this module registers the admins.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from warranty.admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin

from .models import DailyReport, ReportRecipient


@admin.register(ReportRecipient)
class ReportRecipientAdmin(ScopedHistoryAdmin):
    list_display = ["project", "kind", "label", "email", "is_active"]
    list_filter = ["project", "kind", "is_active"]
    search_fields = ["label", "email"]


@admin.register(DailyReport)
class DailyReportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "project", "day", "sent_at", "sent_by"]
    list_filter = ["project", "day"]
    date_hierarchy = "day"
    exclude = ["data", "pdf"]  # the PDF is private: no storage URL, served by the checked view below
    readonly_fields = [
        "project",
        "day",
        "number",
        "built_at",
        "recipients_to",
        "recipients_cc",
        "sent_at",
        "sent_by",
        "pdf_link",
    ]

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.data:
            return "—"
        return format_html('<a href="{}">{}.pdf</a>', reverse("reporting:daily_pdf", args=[obj.pk]), obj.number)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
