"""Pages for the roles outside the admin: the commissioned firm and customer service.

Thin: each POST calls one service and shows its refusal as a message.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.models import Ticket
from warranty.scoping import scope

from . import forms as f
from . import services as ss
from .models import CommissionedRepair, CostLine, PaidRepairQuote, PaymentApplication, Reconciliation


def needs_any(*perms: str):
    """Log in, then 403 unless the user holds one of ``perms`` (the grants of migration 0002)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_perm(f"settlements.{perm}") for perm in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


SEE_REPAIRS = ("view_commissionedrepair", "enter_cost_lines")


def _repairs(user):
    return scope(CommissionedRepair.objects.all(), user).select_related(
        "ticket__project", "ticket__unit", "firm", "fund__project", "fund__engagement__contractor"
    )


@needs_any(*SEE_REPAIRS)
def repair_list(request):
    """Commissioned repairs the user may see, with their audit and payment state."""
    repairs = _repairs(request.user).prefetch_related("lines", "applications")
    return render(request, "settlements/commissionedrepair_list.html", {"repairs": repairs})


@needs_any(*SEE_REPAIRS)
def repair_detail(request, pk):
    repair = get_object_or_404(_repairs(request.user), pk=pk)
    lines = list(repair.lines.select_related("audited_by"))
    application = repair.applications.exclude(state=PaymentApplication.State.REJECTED).first()
    user = request.user
    context = {
        "repair": repair,
        "lines": [
            (line, f.AuditForm(initial={"quantity": line.quantity, "unit_price": line.unit_price})) for line in lines
        ],
        "application": application,
        "signatures": application.countersignatures.select_related("signed_by") if application else [],
        "can_enter": user.has_perm("settlements.enter_cost_lines")
        and (application is None or application.state == PaymentApplication.State.DRAFT),
        "can_audit": user.has_perm("settlements.audit_cost_lines")
        and (application is None or application.state == PaymentApplication.State.DRAFT),
        "can_apply": user.has_perm("settlements.submit_paymentapplication"),
        "can_countersign": application is not None
        and user.has_perm("settlements.countersign_paymentapplication")
        and application.state in (PaymentApplication.State.SUBMITTED, PaymentApplication.State.COUNTERSIGNING)
        and application.next_countersign_role is not None
        and user.has_role(application.next_countersign_role),
        "can_reject": application is not None
        and user.has_perm("settlements.reject_paymentapplication")
        and application.state in ("submitted", "countersigning", "approved"),
        "line_form": f.CostLineForm(),
        "application_form": f.ApplicationForm(initial={"amount": repair.audited_total}),
        "comment_form": f.CommentForm(),
        "reject_form": f.RejectForm(),
    }
    return render(request, "settlements/commissionedrepair_detail.html", context)


def _run(request, repair_pk, action):
    """Run a service call; a refusal becomes a message, an out-of-scope object a 404."""
    try:
        action()
    except ss.OutOfScope as exc:
        raise Http404 from exc
    except ss.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("settlements:repair_detail", pk=repair_pk)


@require_POST
@needs_any("enter_cost_lines")
def line_add(request, pk):
    repair = get_object_or_404(_repairs(request.user), pk=pk)
    form = f.CostLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("settlements:repair_detail", pk=pk)
    return _run(
        request, pk, lambda: ss.cost_line_add(repair=repair, by=request.user, line=ss.LineInput(**form.cleaned_data))
    )


@require_POST
@needs_any("audit_cost_lines")
def line_audit(request, pk):
    line = get_object_or_404(scope(CostLine.objects.select_related("repair__ticket"), request.user), pk=pk)
    form = f.AuditForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("settlements:repair_detail", pk=line.repair_id)
    return _run(request, line.repair_id, lambda: ss.cost_line_audit(line=line, by=request.user, **form.cleaned_data))


@require_POST
@needs_any("submit_paymentapplication")
def application_submit(request, pk):
    """The firm applies for payment: a draft for the amount, submitted at once."""
    repair = get_object_or_404(_repairs(request.user), pk=pk)
    form = f.ApplicationForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("settlements:repair_detail", pk=pk)

    def apply():
        draft = repair.applications.filter(state=PaymentApplication.State.DRAFT).first()
        if draft is None:
            draft = ss.payment_application_create(repair=repair, by=request.user, **form.cleaned_data)
        else:
            draft = ss.payment_application_amend(application=draft, by=request.user, **form.cleaned_data)
        ss.payment_application_submit(application=draft, by=request.user)

    return _run(request, pk, apply)


def _application(request, pk):
    return get_object_or_404(scope(PaymentApplication.objects.select_related("repair__ticket"), request.user), pk=pk)


@require_POST
@needs_any("countersign_paymentapplication")
def application_countersign(request, pk):
    app = _application(request, pk)
    form = f.CommentForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    return _run(
        request,
        app.repair_id,
        lambda: ss.payment_application_countersign(application=app, by=request.user, comment=comment),
    )


@require_POST
@needs_any("reject_paymentapplication")
def application_reject(request, pk):
    app = _application(request, pk)
    form = f.RejectForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("settlements:repair_detail", pk=app.repair_id)
    reason = form.cleaned_data["reason"]
    return _run(
        request, app.repair_id, lambda: ss.payment_application_reject(application=app, by=request.user, reason=reason)
    )


@needs_any("view_reconciliation")
def reconciliation_list(request):
    recs = (
        scope(Reconciliation.objects.all(), request.user)
        .select_related("project", "dept_signed_by", "cs_signed_by")
        .prefetch_related("lines__fund__engagement__contractor", "lines__fund__project")
    )
    return render(request, "settlements/reconciliation_list.html", {"reconciliations": recs})


@require_POST
@needs_any("sign_reconciliation_cs", "sign_reconciliation_dept")
def reconciliation_sign(request, pk):
    rec = get_object_or_404(scope(Reconciliation.objects.all(), request.user), pk=pk)
    side = "cs" if request.user.has_perm("settlements.sign_reconciliation_cs") else "dept"
    try:
        ss.reconciliation_sign(reconciliation=rec, by=request.user, side=side)
    except ss.ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("settlements:reconciliation_list")


# --- from a ticket: commission a firm (director), quote a paid repair (steward) ---------------------------


def _ticket(request, pk):
    return get_object_or_404(scope(Ticket.objects.select_related("project", "unit"), request.user), pk=pk)


@needs_any("commission_repair")
def ticket_commission(request, pk):
    ticket = _ticket(request, pk)
    form = f.CommissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            repair = ss.repair_commission(ticket=ticket, by=request.user, **form.cleaned_data)
        except ss.OutOfScope as exc:
            raise Http404 from exc
        except ss.ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return redirect("settlements:repair_detail", pk=repair.pk)
    return render(request, "settlements/ticket_commission.html", {"ticket": ticket, "form": form})


@needs_any("add_paidrepairquote")
def ticket_quote(request, pk):
    ticket = _ticket(request, pk)
    formset = f.QuoteLineFormSet(request.POST or None, prefix="lines")
    error = None
    if request.method == "POST" and formset.is_valid():
        lines = [ss.LineInput(**form.cleaned_data) for form in formset if form.cleaned_data]
        try:
            quote = ss.quote_create(ticket=ticket, by=request.user, lines=lines)
        except ss.OutOfScope as exc:
            raise Http404 from exc
        except ss.ServiceError as exc:
            error = str(exc)
        else:
            return redirect("settlements:quote_detail", pk=quote.pk)
    return render(request, "settlements/ticket_quote.html", {"ticket": ticket, "formset": formset, "error": error})


@needs_any("view_paidrepairquote", "add_paidrepairquote")
def quote_detail(request, pk):
    quote = get_object_or_404(
        scope(PaidRepairQuote.objects.select_related("ticket", "consent"), request.user).prefetch_related("lines"),
        pk=pk,
    )
    form = f.ConsentChoiceForm(request.POST or None, ticket=quote.ticket)
    if request.method == "POST" and form.is_valid():
        try:
            ss.quote_attach_consent(quote=quote, by=request.user, consent=form.cleaned_data["consent"])
        except ss.ServiceError as exc:
            form.add_error("consent", str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("settlements:quote_detail", pk=quote.pk)
    return render(request, "settlements/paidrepairquote_detail.html", {"quote": quote, "form": form})
