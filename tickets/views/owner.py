"""Public owner pages: progress lookup and web reporting, verified by phone digits and rate-limited.

Nothing here shows internal notes or personal data: the owner proves they
know the report number and the phone's last 4 digits, and sees states,
the steward's name and the next step. Lookups are POSTed, so the digits
never reach a URL or an access log.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from warranty.models import Ownership, Unit

from .. import services as s
from ..forms_frontdesk import DefectFormSet, LookupForm, OwnerReportForm
from ..models import Channel, Report, State, Ticket
from .frontdesk import attach_error

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60

NEXT_STEP = {
    State.INTAKE: gettext_lazy("The warranty center will call you to confirm your report."),
    State.TRIAGE: gettext_lazy("We are checking the warranty and naming the steward responsible for your repair."),
    State.DISPATCH: gettext_lazy("Your steward will agree a time with you for the survey and the repair."),
    State.REPAIR: gettext_lazy("The repair is under way; your steward keeps you informed of its progress."),
    State.SIGNOFF: gettext_lazy("The repair is finished; your steward will ask you to inspect it and sign."),
    State.CALLBACK: gettext_lazy("Customer service will call you to ask whether the problem is solved."),
    State.ARCHIVED: gettext_lazy("Closed. Thank you for your patience."),
    State.REFERRED: gettext_lazy(
        "Outside the warranty period: we referred you to property management or a specialist supplier."
    ),
    State.CANCELLED: gettext_lazy("Cancelled."),
}


# --- rate limiting (Django's cache; 5 failures per 15 minutes per address and per number) -----------


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(scope: str, request, subject: str) -> list[str]:
    # Hashed so the cache holds neither addresses nor numbers in clear.
    def h(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()[:32]

    keys = [f"owner-{scope}:ip:{h(_client_ip(request))}"]
    if subject:
        keys.append(f"owner-{scope}:subject:{h(subject)}")
    return keys


def is_locked(scope: str, request, subject: str = "") -> bool:
    return any((cache.get(key) or 0) >= MAX_FAILURES for key in _keys(scope, request, subject))


def record_failure(scope: str, request, subject: str = "") -> None:
    for key in _keys(scope, request, subject):
        if cache.add(key, 1, LOCKOUT_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOCKOUT_SECONDS)


def _locked_response(request, template: str, context: dict):
    context["locked"] = True
    context["locked_message"] = _(
        "Too many failed attempts. For your security, please wait 15 minutes and try again, "
        "or call the warranty center."
    )
    return render(request, template, context, status=429)


# --- progress lookup ---------------------------------------------------------------------------


def _last4(phone) -> str:
    return str(phone.national_number)[-4:] if phone else ""


def verify_report(number: str, last4: str) -> Report | None:
    """The report when ``last4`` ends the report's contact phone or a current owner's phone."""
    report = (
        Report.objects.select_related("project", "owner")
        .prefetch_related(
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related("category", "steward").order_by("seq"),
            )
        )
        .filter(number=number)
        .first()
    )
    if report is None:
        return None
    phones = {_last4(report.contact_phone)}
    if report.owner_id:
        phones.add(_last4(report.owner.phone))
    phones.update(
        _last4(o.owner.phone)
        for o in Ownership.objects.filter(unit_id=report.unit_id, until__isnull=True).select_related("owner")
    )
    phones.discard("")
    return report if last4 in phones else None


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def owner_lookup(request):
    """Look up a report's progress by its number and the last 4 digits of the phone."""
    template = "owner/lookup.html"
    form = LookupForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST":
        number = (request.POST.get("number") or "").strip().upper()
        if is_locked("lookup", request, number):
            return _locked_response(request, template, context)
        if form.is_valid():
            report = verify_report(form.cleaned_data["number"], form.cleaned_data["last4"])
            if report is not None:
                return render(request, "owner/progress.html", _progress_context(report))
            record_failure("lookup", request, number)
            if is_locked("lookup", request, number):
                return _locked_response(request, template, context)
            form.add_error(
                None,
                _("We could not find a report with this number and these digits. Please check both and try again."),
            )
        return render(request, template, context, status=400)
    return render(request, template, context)


def _next_step(ticket, continued_as) -> str:
    if ticket.state == State.ARCHIVED and continued_as is not None:  # reopened at the callback
        return _("Not solved yet: the repair continues as %(number)s.") % {"number": continued_as.number}
    return NEXT_STEP.get(ticket.state, "")


def _progress_context(report: Report) -> dict:
    tickets = list(report.tickets.all())
    continued_as = {t.repeat_of_id: t for t in tickets if t.repeat_of_id}
    defects = [
        {
            "number": t.number,
            "location": t.get_location_display(),
            "category": t.category.name,
            "state": t.get_state_display(),
            "state_code": t.state,
            "steward": t.steward.display_name if t.steward_id else "",
            "next_step": _next_step(t, continued_as.get(t.pk)),
        }
        for t in tickets
    ]
    # Only what the owner needs: no names, phones, notes, costs or contractors.
    return {
        "number": report.number,
        "project_name": report.project.name,
        "center_phone": report.project.center_phone,
        "received_at": report.received_at,
        "defects": defects,
    }


# --- web report ---------------------------------------------------------------------------------


def verify_unit(project, unit_number: str, owner_phone) -> Unit | None:
    """The unit when ``owner_phone`` is the mobile phone of one of its current owners."""
    unit = Unit.objects.filter(project=project, number__iexact=unit_number).select_related("project").first()
    if unit is None:
        return None
    owns = Ownership.objects.filter(unit=unit, until__isnull=True, owner__phone=owner_phone).exists()
    return unit if owns else None


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def owner_report(request):
    """An owner reports defects online; the report waits in intake until the front desk calls back."""
    template = "owner/report.html"
    form = OwnerReportForm(request.POST or None)
    formset = DefectFormSet(request.POST or None, request.FILES or None, prefix="defects")
    context = {"form": form, "formset": formset}
    if request.method != "POST":
        return render(request, template, context)
    subject = (request.POST.get("unit_number") or "").strip().upper()
    if is_locked("report", request, subject):
        return _locked_response(request, template, context)
    if form.is_valid() & formset.is_valid():
        data = form.cleaned_data
        unit = verify_unit(data["project"], data["unit_number"], data["owner_phone"])
        if unit is None:
            record_failure("report", request, subject)
            if is_locked("report", request, subject):
                return _locked_response(request, template, context)
            form.add_error(
                "owner_phone",
                _("This phone is not registered for this unit. Please check the unit number and the phone."),
            )
        else:
            try:
                report = s.report_create(
                    by=None,
                    unit=unit,
                    reporter_name=data["reporter_name"],
                    contact_phone=str(data["contact_phone"] or data["owner_phone"]),
                    channel=Channel.WEB,
                    expected_note=data.get("expected_note", ""),
                    defects=formset.defects(),
                    confirm=False,
                )
            except s.ServiceError as exc:
                attach_error(form, formset, exc)
            else:
                return render(
                    request,
                    "owner/report_sent.html",
                    {
                        "number": report.number,
                        "center_phone": unit.project.center_phone,
                        "defect_count": len(formset.defects()),
                    },
                )
    return render(request, template, context, status=400)
