"""Supervisors' pages: dashboard with exports, monthly and quarterly statistics, the engineering
warning list, and the kept daily reports (list, detail, PDF, preview and "send now").

Pages only check access and read filters; numbers come from :mod:`.kpis`, reports from :mod:`.daily`.
"""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from warranty.db import alongside
from warranty.models import DeliveryBatch, Project
from warranty.parsing import parse_id
from warranty.roles import Role
from warranty.scoping import can_see_project, project_ids, scope

from ..models import DailyReport
from . import charts, kpis
from .daily import daily_report_build, daily_report_send, render_pdf
from .xlsx import workbook

# Who may see what (one place).
DASHBOARD_ROLES = (Role.DIRECTOR, Role.PROJECT_GM, Role.ENGINEER)
REPORT_READER_ROLES = (
    Role.DIRECTOR,
    Role.STEWARD,
    Role.FRONT_DESK,
    Role.PROJECT_DEPT,
    Role.CUSTOMER_SERVICE,
    Role.PROJECT_GM,
    Role.ENGINEER,
)
REPORT_SENDER_ROLES = (Role.DIRECTOR,)


def _require(user, roles) -> None:
    if not (user.is_superuser or user.has_role(*roles)):
        raise PermissionDenied


# --- filters -------------------------------------------------------------------------------------


# The dates a report's period may take (ten years of history, the whole warranty): beyond them a date is a
# typing error, and the year 9999 would overflow the period's end.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
MAX_PERIOD_DAYS = 3653
PERIOD_VALIDATORS = [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]
PERIOD_INPUT = {"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


class FilterForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, label=gettext_lazy("Project"), empty_label=None
    )
    batch = forms.ModelChoiceField(
        queryset=DeliveryBatch.objects.none(), required=False, label=gettext_lazy("Delivery batch")
    )
    start = forms.DateField(
        required=False,
        label=gettext_lazy("From"),
        validators=PERIOD_VALIDATORS,
        widget=forms.DateInput(attrs=PERIOD_INPUT),
    )
    end = forms.DateField(
        required=False,
        label=pgettext_lazy("end of a date range", "To"),
        validators=PERIOD_VALIDATORS,
        widget=forms.DateInput(attrs=PERIOD_INPUT),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        projects = scope(Project.objects.all(), user)
        self.fields["project"].queryset = projects
        self.fields["project"].empty_label = _("All my projects")
        self.fields["batch"].queryset = DeliveryBatch.objects.filter(project__in=projects).select_related("project")
        self.fields["batch"].empty_label = _("All batches")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and abs((end - start).days) > MAX_PERIOD_DAYS:
            self.add_error("end", _("Choose a period of at most ten years."))
        return data


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 90 days up to today."""
    return today - dt.timedelta(days=89), today


def filters_from(request, *, default=None) -> tuple[kpis.Filters, FilterForm, dict]:
    """Read project, batch and period from the query string, limited to the user's projects."""
    today = timezone.localdate()
    first, last = (default or default_period)(today)
    form = FilterForm(request.GET or None, user=request.user)
    project = batch = None
    if form.is_bound and form.is_valid():
        project, batch = form.cleaned_data["project"], form.cleaned_data["batch"]
        first = form.cleaned_data["start"] or first
        last = form.cleaned_data["end"] or last
    if last < first:
        first, last = last, first
    mine = project_ids(request.user)
    ids = frozenset([project.pk]) if project else (None if mine is None else frozenset(mine))
    if batch is not None and project is not None and batch.project_id != project.pk:
        batch = None
    start, end = kpis.period_bounds(first, last)
    f = kpis.Filters(project_ids=ids, start=start, end=end, batch_id=batch.pk if batch else None)
    return f, form, {"first": first, "last": last, "project": project, "batch": batch}


# --- dashboard ---------------------------------------------------------------------------------


def dashboard_data(f: kpis.Filters) -> dict:
    """Everything the dashboard shows, in a fixed number of queries.

    Two independent halves of about the same cost (the day series with the headline measures; the
    heat map, scorecards and locations), each in its own reporting transaction: on PostgreSQL they run
    at once on two connections (:func:`warranty.db.alongside`). At 1,000,000 tickets on two cores that
    took the numbers for every project over 90 days from 970 to 540 ms, for one project over 365 days
    from 641 to 505 ms (medians of five, bench/RESULTS.md).
    """

    @kpis.reporting_reads()
    def measures():
        days = kpis.day_series(f)
        return days, kpis.summary(f, days)

    @kpis.reporting_reads()
    def tables():
        return kpis.heat_map(f), kpis.contractor_scorecards(f), kpis.top_locations(f)

    (days, summary), (heat, scorecards, top_locations) = alongside(measures, tables)
    weekly = kpis.trend(f, "week", days)
    monthly = kpis.trend(f, "month", days)
    return {
        **summary,
        "weekly": weekly,
        "monthly": monthly,
        "heat": heat,
        "scorecards": scorecards,
        "top_locations": top_locations,
        "weekly_chart": charts.bar_chart(
            [f"{w['period']:%m-%d}" for w in weekly],
            [[w["reported"] for w in weekly], [w["signed_off"] for w in weekly]],
        ),
        "monthly_chart": charts.bar_chart(
            [f"{m['period']:%Y-%m}" for m in monthly],
            [[m["reported"] for m in monthly], [m["signed_off"] for m in monthly]],
        ),
        "satisfaction_line": charts.line_points([m["satisfaction"].pct for m in monthly]),
        "age_chart": charts.bar_chart(
            [b["label"] for b in summary["open_by_age"]], [[b["count"] for b in summary["open_by_age"]]], height=160
        ),
    }


@login_required
def dashboard(request):
    _require(request.user, DASHBOARD_ROLES)
    f, form, chosen = filters_from(request)
    return render(
        request,
        "reporting/dashboard.html",
        {"form": form, "chosen": chosen, "query": request.GET.urlencode(), **dashboard_data(f)},
    )


def export_tables(data: dict) -> list[tuple[str, list[list]]]:
    """The dashboard as tables (one per section), for CSV and Excel."""
    rate_head = [_("Measure"), _("Numerator"), _("Denominator"), _("Percent")]
    kpi_rows = [rate_head]
    labels = {"quality": _("Satisfaction: quality"), "attitude": _("Satisfaction: attitude")}
    labels |= {"timeliness": _("Satisfaction: timeliness"), "overall": _("Satisfaction: overall")}
    for key, rate in data["satisfaction"].items():
        kpi_rows.append([labels[key], rate.num, rate.den, rate.pct])
    for item in data["on_time"]:
        kpi_rows.append(
            [_("On time: %(policy)s") % {"policy": item["label"]}, item["rate"].num, item["rate"].den, item["rate"].pct]
        )
    for label, rate in ((_("First-time fix"), data["first_time_fix"]), (_("Repeat repair"), data["repeat_repair"])):
        kpi_rows.append([label, rate.num, rate.den, rate.pct])
    kpi_rows.append([_("Mean days to sign-off"), "", "", data["mean_days_to_signoff"]])
    for b in data["open_by_age"]:
        kpi_rows.append([_("Open tickets aged %(days)s days") % {"days": b["label"]}, b["count"], "", ""])
    trend_head = [_("Period"), _("Reported"), _("Signed off"), _("Repeats"), _("Mean days to sign-off")]
    trend_head += [_("Satisfaction %"), _("First-time fix %")]

    def trend_rows(rows):
        return [trend_head] + [
            [
                r["period"],
                r["reported"],
                r["signed_off"],
                r["repeats"],
                r["mean_days"],
                r["satisfaction"].pct,
                r["first_time_fix"].pct,
            ]
            for r in rows
        ]

    heat = data["heat"]
    heat_rows = [[_("Delivery batch"), _("Units")] + [c.name for c in heat["categories"]]]
    for row in heat["rows"]:
        heat_rows.append([str(row["batch"]), row["units"]] + [c["share"].pct if c else 0 for c in row["cells"]])
    score_rows = [
        [_("Contractor"), _("Jobs"), _("On time %"), _("Repeats"), _("Satisfaction %"), _("Declines"), _("Notices")]
    ]
    for s in data["scorecards"]:
        score_rows.append(
            [s["name"], s["jobs"], s["on_time"].pct, s["repeats"], s["satisfaction"].pct, s["declines"], s["notices"]]
        )
    loc_rows = [[_("Location"), _("Tickets"), _("Share %")]]
    loc_rows += [[r["label"], r["count"], r["share"].pct] for r in data["top_locations"]]
    return [
        (_("Measures"), kpi_rows),
        (_("By week"), trend_rows(data["weekly"])),
        (_("By month"), trend_rows(data["monthly"])),
        (_("Defects by batch"), heat_rows),
        (_("Contractors"), score_rows),
        (_("Top locations"), loc_rows),
    ]


@login_required
def dashboard_export(request, fmt: str):
    _require(request.user, DASHBOARD_ROLES)
    f, form, chosen = filters_from(request)
    if form.errors:  # a file of another period than asked for would mislead
        message = _("These filters could not be applied: %(errors)s") % {
            "errors": " ".join(str(e) for errors in form.errors.values() for e in errors)
        }
        return render(request, "errors/400.html", {"message": message, "status": 400}, status=400)
    tables = export_tables(dashboard_data(f))
    name = f"dashboard-{chosen['first']:%Y%m%d}-{chosen['last']:%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(
            workbook([(str(title), rows) for title, rows in tables]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt != "csv":
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 Chinese only with a BOM
    writer = csv.writer(response)
    for title, rows in tables:
        writer.writerow([f"# {title}"])
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        writer.writerow([])
    return response


# --- statistics and warnings ------------------------------------------------------------------------


def _year_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


@login_required
def statistics(request, kind: str):
    _require(request.user, DASHBOARD_ROLES)
    if kind not in ("month", "quarter"):
        raise Http404
    f, form, chosen = filters_from(request, default=_year_period)
    with kpis.reporting_reads():
        days = kpis.day_series(f)
    rows = kpis.trend(f, kind, days)
    totals = {
        "reported": sum(r["reported"] for r in rows),
        "signed_off": sum(r["signed_off"] for r in rows),
        "repeats": sum(r["repeats"] for r in rows),
        "satisfaction": kpis.Rate(sum(r["sat_num"] for r in rows), sum(r["sat_den"] for r in rows)),
        "first_time_fix": kpis.Rate(sum(r["ftf_num"] for r in rows), sum(r["ftf_den"] for r in rows)),
        "mean_days": kpis.mean_days_to_signoff(f, days),
    }
    totals["repeat_rate"] = kpis.Rate(totals["repeats"], totals["reported"])
    return render(
        request,
        "reporting/statistics.html",
        {
            "form": form,
            "chosen": chosen,
            "kind": kind,
            "rows": rows,
            "totals": totals,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def warnings(request):
    _require(request.user, DASHBOARD_ROLES)
    f, form, chosen = filters_from(request, default=lambda today: (today - dt.timedelta(days=364), today))
    with kpis.reporting_reads():
        heat = kpis.heat_map(f)
        repeat_locations = kpis.repeat_locations(f)
    return render(
        request,
        "reporting/warnings.html",
        {
            "form": form,
            "chosen": chosen,
            "systemic": heat["warnings"],
            "repeat_locations": repeat_locations,
            "threshold": int(kpis.SYSTEMIC_SHARE * 100),
        },
    )


# --- daily reports --------------------------------------------------------------------------------


def _reports_for(user):
    return scope(DailyReport.objects.all(), user).select_related("project", "sent_by")


@login_required
def daily_list(request):
    _require(request.user, REPORT_READER_ROLES)
    qs = _reports_for(request.user).defer("data")
    projects = scope(Project.objects.all(), request.user)
    project_id = parse_id(request.GET.get("project"))
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    page = Paginator(qs.order_by("-day", "project__code"), 50).get_page(request.GET.get("page"))
    can_send = request.user.is_superuser or request.user.has_role(*REPORT_SENDER_ROLES)
    return render(
        request,
        "reporting/daily_list.html",
        {"page": page, "projects": projects, "project_id": project_id, "can_send": can_send},
    )


@login_required
def daily_detail(request, pk: int):
    _require(request.user, REPORT_READER_ROLES)
    report = get_object_or_404(_reports_for(request.user), pk=pk)
    return render(request, "reporting/daily_detail.html", {"report": report, "r": report.data})


@login_required
def daily_pdf(request, pk: int):
    _require(request.user, REPORT_READER_ROLES)
    report = get_object_or_404(_reports_for(request.user), pk=pk)
    if not report.data:
        raise Http404
    filename = f"{report.number}.pdf"
    if report.pdf:  # the PDF that was sent, kept (rendering a heavy day again takes many seconds)
        return FileResponse(report.pdf.open("rb"), content_type="application/pdf", filename=filename)
    response = HttpResponse(render_pdf(report.data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _project_for_sender(request, project_id: int) -> Project:
    _require(request.user, REPORT_SENDER_ROLES)
    if not can_see_project(request.user, project_id):
        raise PermissionDenied
    return get_object_or_404(Project, pk=project_id)


@login_required
def daily_preview(request, project_id: int):
    project = _project_for_sender(request, project_id)
    data = daily_report_build(project, timezone.localdate())
    return render(request, "reporting/daily_detail.html", {"report": None, "r": data, "preview": True})


@login_required
@require_POST
def daily_send(request, project_id: int):
    project = _project_for_sender(request, project_id)
    started = timezone.now()
    report = daily_report_send(project=project, by=request.user)
    if report.sent_at and report.sent_at >= started:
        messages.success(request, _("Today's report was sent."))
    else:
        messages.info(request, _("Today's report had already been sent; it was not sent again."))
    return redirect("reporting:daily_detail", pk=report.pk)
