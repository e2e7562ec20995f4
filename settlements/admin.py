"""Finance and the project department work here. Thin: every write is a service call.

Querysets are scoped to the user's projects (superusers see all). The
ledger is view-only; approve, reject, record payment and release are
permission-checked actions with a confirmation page, backed by services
that check the permission again.
"""

import csv
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warranty.models import Project
from warranty.scoping import scope

from . import services as ss
from .models import (
    CommissionedRepair,
    CostLine,
    Countersignature,
    CountersignStep,
    LedgerEntry,
    OverdraftApproval,
    OwnerPayment,
    PaidRepairQuote,
    PaymentApplication,
    QuoteLine,
    Reconciliation,
    ReconciliationLine,
    WarrantyFund,
)
from .pdf import render_pdf
from .selectors import funds_due_to_open

ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))


class ScopedAdmin(admin.ModelAdmin):
    """Only the user's projects; no deletes (money records are kept)."""

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ScopedAdmin):
    """Viewed here, written by services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.readonly_fields)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [f.name for f in self.model._meta.fields]


def confirm_then(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    question: str,
    confirm_label: str,
    perform,
    form_class=None,
    headings=(),
    row=None,
    total=None,
):
    """An intermediate confirmation page, like Django's delete confirmation.

    The first POST (from the changelist) shows the page; the POST with
    ``post=yes`` runs ``perform(obj, cleaned_data)`` for each object (a service
    call) and reports every success and every refusal with its reason.
    """
    form_class = form_class or forms.Form
    if request.POST.get("post") == "yes":
        form = form_class(request.POST)
        if form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    perform(obj, form.cleaned_data)
                    done += 1
                except ss.ServiceError as exc:
                    modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
            if done:
                modeladmin.message_user(request, _("%(title)s: %(n)d done.") % {"title": title, "n": done})
            return None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "confirm_label": confirm_label,
        "queryset": queryset,
        "headings": headings,
        "rows": [row(obj) for obj in queryset] if row else [[str(obj)] for obj in queryset],
        "total": total,
        "form": form,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/settlements/confirm_action.html", context)


# --- the ledger --------------------------------------------------------------------------------------


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["fund", "booked_on", "kind", "amount", "balance_after", "reason", "created_by", "approved_by"]
    list_filter = ["kind", "fund__kind", "fund__project"]
    list_select_related = ["fund__project", "fund__engagement__contractor", "created_by", "approved_by"]
    date_hierarchy = "booked_on"
    search_fields = ["reason", "payment_application__number"]


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["booked_on", "kind", "amount", "balance_after", "reason", "payment_application", "created_by"]


class OpenFundForm(forms.ModelForm):
    class Meta:
        model = WarrantyFund
        fields = ["kind", "project", "engagement", "opening_amount", "term_ends_on"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == WarrantyFund.Kind.CONTRACTOR_RETENTION and not data.get("engagement"):
            self.add_error("engagement", _("A retention belongs to an engagement."))
        if kind == WarrantyFund.Kind.DEVELOPER_BUDGET and data.get("engagement"):
            self.add_error("engagement", _("The developer account has no engagement."))
        if data.get("engagement") and data.get("project") and data["engagement"].project_id != data["project"].pk:
            self.add_error("engagement", _("The engagement belongs to another project."))
        return data

    def _post_clean(self):
        # The service builds and validates the fund; the form only checks its input.
        pass


class RequestedByField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})"


def _requesters(user):
    """Project-department users who serve the acting user's projects."""
    from warranty.models import User
    from warranty.scoping import project_ids

    qs = User.objects.filter(is_active=True, groups__name="project_dept")
    ids = project_ids(user)
    if ids is not None:
        qs = qs.filter(projects__in=ids)
    return qs.distinct()


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Positive to credit, negative to debit."),
    )
    reason = forms.CharField(label=gettext_lazy("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    requested_by = RequestedByField(label=gettext_lazy("requested by"), queryset=None)
    booked_on = forms.DateField(label=gettext_lazy("booked on"), initial=timezone.localdate)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_by"].queryset = _requesters(user)


class OverdraftForm(forms.Form):
    limit = forms.DecimalField(label=gettext_lazy("limit (yuan)"), max_digits=14, decimal_places=2, min_value=0)
    reason = forms.CharField(label=gettext_lazy("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    requested_by = RequestedByField(label=gettext_lazy("requested by"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_by"].queryset = _requesters(user)


@admin.register(WarrantyFund)
class WarrantyFundAdmin(ScopedAdmin):
    list_display = ["__str__", "kind", "project", "opening_amount", "balance_display", "term_ends_on", "released_at"]
    list_filter = ["kind", "project", "released_at"]
    list_select_related = ["project", "engagement__contractor", "engagement__trade", "engagement__project"]
    inlines = [LedgerEntryInline]
    actions = ["release_selected", "adjust_selected", "approve_overdraft_selected"]
    form = OpenFundForm

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(balance_sum=Coalesce(Sum("entries__amount"), ZERO, output_field=ZERO.output_field))
        )

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and request.user.has_perm("settlements.open_warrantyfund"):
            for due in funds_due_to_open(user=request.user)[:10]:
                what = due.engagement or _("%(project)s developer account") % {"project": due.project.code}
                self.message_user(
                    request,
                    _("Not opened yet, due by %(date)s: %(what)s") % {"date": due.due_on, "what": what},
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)

    @admin.display(description=gettext_lazy("balance (yuan)"), ordering="balance_sum")
    def balance_display(self, obj):
        return obj.balance_sum

    def has_add_permission(self, request):
        return request.user.has_perm("settlements.open_warrantyfund")

    def has_change_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("settlements.release_warrantyfund")

    def has_adjust_permission(self, request):
        return request.user.has_perm("settlements.adjust_ledger")

    def has_overdraft_permission(self, request):
        return request.user.has_perm("settlements.approve_overdraft")

    def _one_fund(self, request, queryset) -> bool:
        if queryset.count() != 1:
            self.message_user(request, _("Choose one fund at a time."), messages.WARNING)
            return False
        return True

    @admin.action(description=gettext_lazy("Book an adjustment (approve a request)"), permissions=["adjust"])
    def adjust_selected(self, request, queryset):
        if not self._one_fund(request, queryset):
            return None
        return confirm_then(
            self,
            request,
            queryset,
            action="adjust_selected",
            title=_("Book a ledger adjustment"),
            question=_("Book this adjustment? Ledger entries cannot be changed afterwards."),
            confirm_label=_("Yes, book it"),
            form_class=partial(AdjustmentForm, user=request.user),
            perform=lambda fund, data: ss.ledger_adjust(fund=fund, by=request.user, **data),
            headings=[_("fund"), _("balance (yuan)")],
            row=lambda f: [f, f.balance_sum],
        )

    @admin.action(description=gettext_lazy("Approve an overdraft exception"), permissions=["overdraft"])
    def approve_overdraft_selected(self, request, queryset):
        if not self._one_fund(request, queryset):
            return None
        return confirm_then(
            self,
            request,
            queryset,
            action="approve_overdraft_selected",
            title=_("Approve an overdraft exception"),
            question=_("Allow this fund's balance to go below zero by up to the limit?"),
            confirm_label=_("Yes, approve"),
            form_class=partial(OverdraftForm, user=request.user),
            perform=lambda fund, data: ss.overdraft_approve(fund=fund, by=request.user, **data),
            headings=[_("fund"), _("balance (yuan)")],
            row=lambda f: [f, f.balance_sum],
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in self.model._meta.fields]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fund = ss.fund_open(
            by=request.user,
            engagement=data.get("engagement"),
            project=None if data.get("engagement") else data.get("project"),
            opening_amount=data.get("opening_amount"),
            term_ends_on=data.get("term_ends_on"),
        )
        obj.pk = fund.pk
        obj._state = fund._state

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ss.ServiceError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=gettext_lazy("Release the balance (term ended)"), permissions=["release"])
    def release_selected(self, request, queryset):
        def perform(fund, data):
            ss.fund_release(fund=fund, by=request.user)

        return confirm_then(
            self,
            request,
            queryset,
            action="release_selected",
            title=_("Release balances at the end of the term"),
            question=_("Release the remaining balance of these funds to the contractors?"),
            confirm_label=_("Yes, release"),
            perform=perform,
            headings=[_("fund"), _("term ends on"), _("balance (yuan)")],
            row=lambda f: [f, f.term_ends_on, f.balance_sum],
        )


@admin.register(OverdraftApproval)
class OverdraftApprovalAdmin(ReadOnlyAdmin):
    list_display = ["fund", "limit", "reason", "requested_by", "approved_by", "approved_at"]


# --- commissioned repairs and payment applications -------------------------------------------------------


class CostLineInline(ReadOnlyInline):
    model = CostLine
    fields = [
        "kind",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "line_total",
        "audit_status",
        "audited_quantity",
        "audited_unit_price",
        "audited_total",
        "audit_reason",
        "audited_by",
    ]


@admin.register(CommissionedRepair)
class CommissionedRepairAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "firm", "reason", "defaulting_contractor", "fund", "commissioned_at"]
    list_filter = ["reason", "firm"]
    list_select_related = ["ticket", "firm", "defaulting_contractor", "fund__project", "fund__engagement__contractor"]
    inlines = [CostLineInline]
    search_fields = ["ticket__number"]


class CountersignatureInline(ReadOnlyInline):
    model = Countersignature
    fields = ["position", "role", "signed_by", "signed_at", "comment"]


class AwaitingApprovalFilter(admin.SimpleListFilter):
    title = gettext_lazy("finance")
    parameter_name = "finance"

    def lookups(self, request, model_admin):
        return [("awaiting", _("Awaiting approval")), ("to_pay", _("Approved, to pay"))]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(state=PaymentApplication.State.COUNTERSIGNING).filter(
                pk__in=[a.pk for a in queryset.filter(state="countersigning") if a.next_countersign_role is None]
            )
        if self.value() == "to_pay":
            return queryset.filter(state=PaymentApplication.State.APPROVED)
        return queryset


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}))


class CountersignForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("comment"), max_length=200, required=False)


class PaymentForm(forms.Form):
    voucher_no = forms.CharField(label=gettext_lazy("voucher number"), max_length=50)
    payment_date = forms.DateField(label=gettext_lazy("payment date"), initial=timezone.localdate)


@admin.register(PaymentApplication)
class PaymentApplicationAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "project",
        "firm",
        "charged_to",
        "amount",
        "audited_total",
        "state",
        "signatures",
        "submitted_at",
        "voucher_no",
        "payment_date",
    ]
    list_filter = [AwaitingApprovalFilter, "state", "repair__ticket__project"]
    list_select_related = [
        "repair__ticket__project",
        "repair__firm",
        "repair__fund__project",
        "repair__fund__engagement__contractor",
        "repair__fund__engagement__trade",
        "repair__fund__engagement__project",
    ]
    search_fields = ["number", "voucher_no", "repair__ticket__number"]
    inlines = [CountersignatureInline]
    actions = [
        "countersign_selected",
        "approve_selected",
        "record_payment_selected",
        "reject_selected",
        "export_payouts_csv",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("repair__lines", "countersignatures")

    @admin.display(description=gettext_lazy("project"))
    def project(self, obj):
        return obj.repair.ticket.project.code

    @admin.display(description=gettext_lazy("commissioned firm"))
    def firm(self, obj):
        return obj.repair.firm

    @admin.display(description=gettext_lazy("charged to"))
    def charged_to(self, obj):
        return obj.repair.fund

    @admin.display(description=gettext_lazy("audited total (yuan)"))
    def audited_total(self, obj):
        return obj.repair.audited_total

    @admin.display(description=gettext_lazy("countersigned"))
    def signatures(self, obj):
        return f"{len(obj.countersignatures.all())}/{len(obj.chain)}"

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            qs = context["cl"].queryset
            context["listed_total"] = qs.aggregate(t=Coalesce(Sum("amount"), ZERO))["t"]
            context["listed_count"] = qs.count()
        return response

    def has_countersign_permission(self, request):
        return request.user.has_perm("settlements.countersign_paymentapplication")

    def has_approve_permission(self, request):
        return request.user.has_perm("settlements.approve_paymentapplication")

    def has_pay_permission(self, request):
        return request.user.has_perm("settlements.pay_paymentapplication")

    def has_reject_permission(self, request):
        return request.user.has_perm("settlements.reject_paymentapplication")

    def _rows(self):
        return {
            "headings": [_("application"), _("commissioned firm"), _("charged to"), _("amount (yuan)"), _("state")],
            "row": lambda a: [a.number, a.repair.firm, a.repair.fund, a.amount, a.get_state_display()],
        }

    @admin.action(description=gettext_lazy("Countersign the selected applications"), permissions=["countersign"])
    def countersign_selected(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            action="countersign_selected",
            title=_("Countersign payment applications"),
            question=_("Countersign these payment applications for your role?"),
            confirm_label=_("Yes, countersign"),
            form_class=CountersignForm,
            perform=lambda app, data: ss.payment_application_countersign(
                application=app, by=request.user, comment=data["comment"]
            ),
            **self._rows(),
        )

    @admin.action(description=gettext_lazy("Approve the selected applications"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            action="approve_selected",
            title=_("Approve payment applications"),
            question=_("Approve these payment applications for payment?"),
            confirm_label=_("Yes, approve"),
            perform=lambda app, data: ss.payment_application_approve(application=app, by=request.user),
            total=queryset.aggregate(t=Sum("amount"))["t"],
            **self._rows(),
        )

    @admin.action(description=gettext_lazy("Record the payment (voucher)"), permissions=["pay"])
    def record_payment_selected(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            action="record_payment_selected",
            title=_("Record payments"),
            question=_("Record these applications as paid? The ledger is debited at once."),
            confirm_label=_("Yes, record the payment"),
            form_class=PaymentForm,
            perform=lambda app, data: ss.payment_application_record_payment(
                application=app, by=request.user, voucher_no=data["voucher_no"], payment_date=data["payment_date"]
            ),
            total=queryset.aggregate(t=Sum("amount"))["t"],
            **self._rows(),
        )

    @admin.action(description=gettext_lazy("Reject the selected applications"), permissions=["reject"])
    def reject_selected(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            action="reject_selected",
            title=_("Reject payment applications"),
            question=_("Reject these payment applications? The firm may apply again."),
            confirm_label=_("Yes, reject"),
            form_class=RejectForm,
            perform=lambda app, data: ss.payment_application_reject(
                application=app, by=request.user, reason=data["reason"]
            ),
            **self._rows(),
        )

    @admin.action(description=gettext_lazy("Export the paid applications (CSV)"), permissions=["view"])
    def export_payouts_csv(self, request, queryset):
        paid = queryset.filter(state=PaymentApplication.State.PAID).select_related(
            "repair__ticket__project", "repair__firm", "repair__defaulting_contractor", "approved_by", "paid_by"
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="payouts.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with a BOM
        writer = csv.writer(response)
        writer.writerow(
            [
                "application",
                "project",
                "ticket",
                "firm",
                "charged_to",
                "fund_kind",
                "defaulting_contractor",
                "amount",
                "voucher_no",
                "payment_date",
                "approved_by",
                "paid_by",
            ]
        )
        for app in paid:
            writer.writerow(
                [
                    app.number,
                    app.repair.ticket.project.code,
                    app.repair.ticket.number,
                    app.repair.firm.name,
                    str(app.repair.fund),
                    app.repair.fund.kind,
                    app.repair.defaulting_contractor.name if app.repair.defaulting_contractor else "",
                    f"{app.amount:.2f}",
                    app.voucher_no,
                    app.payment_date.isoformat(),
                    app.approved_by.username if app.approved_by else "",
                    app.paid_by.username if app.paid_by else "",
                ]
            )
        return response


@admin.register(CountersignStep)
class CountersignStepAdmin(admin.ModelAdmin):
    """The countersignature chain is configuration: a default and, where needed, a project's own."""

    list_display = ["project", "position", "role"]
    list_filter = ["project"]


# --- owner-paid repairs -----------------------------------------------------------------------------


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ["kind", "description", "quantity", "unit", "unit_price", "line_total"]


class OwnerPaymentForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("amount (yuan)"), max_digits=14, decimal_places=2)
    method = forms.ChoiceField(label=gettext_lazy("method"), choices=OwnerPayment.Method.choices)
    receipt_no = forms.CharField(label=gettext_lazy("receipt number"), max_length=50)
    paid_on = forms.DateField(label=gettext_lazy("paid on"), initial=timezone.localdate)
    payer_name = forms.CharField(label=gettext_lazy("paid by"), max_length=50, required=False)


@admin.register(PaidRepairQuote)
class PaidRepairQuoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "ticket", "total_display", "consent", "created_at"]
    list_select_related = ["ticket", "consent"]
    inlines = [QuoteLineInline]
    actions = ["record_owner_payment"]

    @admin.display(description=gettext_lazy("total (yuan)"))
    def total_display(self, obj):
        return obj.total

    def has_record_permission(self, request):
        return request.user.has_perm("settlements.record_owner_payment")

    @admin.action(description=gettext_lazy("Record the owner's payment"), permissions=["record"])
    def record_owner_payment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Record one owner's payment at a time."), messages.WARNING)
            return None
        return confirm_then(
            self,
            request,
            queryset,
            action="record_owner_payment",
            title=_("Record the owner's payment"),
            question=_("Record that the owner paid this quote? Workers never take cash."),
            confirm_label=_("Yes, record the payment"),
            form_class=OwnerPaymentForm,
            perform=lambda quote, data: ss.owner_payment_record(quote=quote, by=request.user, **data),
            headings=[_("quote"), _("ticket"), _("total (yuan)")],
            row=lambda q: [q.number, q.ticket, q.total],
        )


@admin.register(OwnerPayment)
class OwnerPaymentAdmin(ReadOnlyAdmin):
    list_display = ["receipt_no", "quote", "amount", "method", "paid_on", "recorded_by", "receipt_link"]
    list_select_related = ["quote", "recorded_by"]
    search_fields = ["receipt_no", "quote__number"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/receipt.pdf",
                self.admin_site.admin_view(self.receipt_view),
                name="settlements_ownerpayment_receipt",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("receipt"))
    def receipt_link(self, obj):
        from django.utils.html import format_html

        return format_html('<a href="{}">PDF</a>', reverse("admin:settlements_ownerpayment_receipt", args=[obj.pk]))

    def receipt_view(self, request, pk):
        payment = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, payment):
            return HttpResponse(status=403)
        quote = payment.quote
        pdf = render_pdf(
            "settlements/ownerpayment_receipt.html",
            {"payment": payment, "quote": quote, "ticket": quote.ticket, "lines": quote.lines.all()},
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_no}.pdf"'
        return response


# --- quarterly reconciliation --------------------------------------------------------------------------


class PeriodForm(forms.Form):
    project = forms.ModelChoiceField(label=gettext_lazy("project"), queryset=Project.objects.none())
    year = forms.IntegerField(label=gettext_lazy("year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("quarter"), coerce=int, choices=[(q, f"Q{q}") for q in (1, 2, 3, 4)]
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


class FiguresForm(forms.Form):
    """One figure (and an optional explanation) per fund open at quarter end."""

    def __init__(self, *args, funds, **kwargs):
        super().__init__(*args, **kwargs)
        self.funds = funds
        for fund in funds:
            self.fields[f"figure_{fund.pk}"] = forms.DecimalField(label=str(fund), max_digits=14, decimal_places=2)
            self.fields[f"explanation_{fund.pk}"] = forms.CharField(
                label=_("explanation"), max_length=200, required=False
            )

    def figures(self):
        return {fund.pk: self.cleaned_data[f"figure_{fund.pk}"] for fund in self.funds}

    def explanations(self):
        return {fund.pk: self.cleaned_data[f"explanation_{fund.pk}"] for fund in self.funds}


class ReconciliationLineInline(ReadOnlyInline):
    model = ReconciliationLine
    fields = ["fund", "dept_figure", "ledger_balance", "difference", "explanation"]


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "project", "year", "quarter", "difference_count", "dept_signed_by", "cs_signed_by"]
    list_filter = ["project", "year", "quarter"]
    list_select_related = ["project", "dept_signed_by", "cs_signed_by"]
    inlines = [ReconciliationLineInline]
    actions = ["sign_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    def has_add_permission(self, request):
        return request.user.has_perm("settlements.prepare_reconciliation")

    def add_view(self, request, form_url="", extra_context=None):
        """Prepare a quarter: choose the project and quarter, then enter the department's figure per fund."""
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        projects = scope(Project.objects.all(), request.user)
        source = request.POST if request.method == "POST" else request.GET
        period_form = PeriodForm(source or None, projects=projects)
        figures_form = None
        quarter_end = None
        if period_form.is_valid():
            period = period_form.cleaned_data
            quarter_end = Reconciliation(year=period["year"], quarter=period["quarter"]).quarter_end
            funds = list(
                WarrantyFund.objects.filter(project=period["project"], opened_at__date__lte=quarter_end).select_related(
                    "project", "engagement__contractor", "engagement__trade", "engagement__project"
                )
            )
            figures_form = FiguresForm(request.POST if request.method == "POST" else None, funds=funds)
            if request.method == "POST" and figures_form.is_valid():
                try:
                    rec = ss.reconciliation_prepare(
                        project=period["project"],
                        year=period["year"],
                        quarter=period["quarter"],
                        by=request.user,
                        figures=figures_form.figures(),
                        explanations=figures_form.explanations(),
                    )
                except ss.ServiceError as exc:
                    figures_form.add_error(None, str(exc))
                else:
                    self.message_user(request, _("%(rec)s prepared.") % {"rec": rec})
                    return HttpResponseRedirect(reverse("admin:settlements_reconciliation_report", args=[rec.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Prepare a quarterly reconciliation"),
            "opts": self.model._meta,
            "period_form": period_form,
            "figures_form": figures_form,
            "quarter_end": quarter_end,
        }
        return TemplateResponse(request, "admin/settlements/reconciliation/prepare.html", context)

    @admin.display(description=gettext_lazy("differences"))
    def difference_count(self, obj):
        return len(obj.differences)

    def get_urls(self):
        return [
            path(
                "<int:pk>/report/",
                self.admin_site.admin_view(self.report_view),
                name="settlements_reconciliation_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request, pk):
        rec = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, rec):
            return HttpResponse(status=403)
        context = ss.reconciliation_report(rec)
        if request.GET.get("format") == "pdf":
            return HttpResponse(
                render_pdf("settlements/reconciliation_report.html", context), content_type="application/pdf"
            )
        return TemplateResponse(request, "settlements/reconciliation_report.html", context)

    def has_sign_permission(self, request):
        return request.user.has_perm("settlements.sign_reconciliation_dept") or request.user.has_perm(
            "settlements.sign_reconciliation_cs"
        )

    @admin.action(description=gettext_lazy("Sign the reconciliation"), permissions=["sign"])
    def sign_selected(self, request, queryset):
        side = "dept" if request.user.has_perm("settlements.sign_reconciliation_dept") else "cs"
        return confirm_then(
            self,
            request,
            queryset,
            action="sign_selected",
            title=_("Sign reconciliations"),
            question=_("Sign these reconciliations? Check the differences first."),
            confirm_label=_("Yes, sign"),
            perform=lambda rec, data: ss.reconciliation_sign(reconciliation=rec, by=request.user, side=side),
            headings=[_("reconciliation"), _("differences")],
            row=lambda r: [r, len(r.differences)],
        )
