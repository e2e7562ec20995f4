"""Issue 11: the permission matrix — every URL and admin action × every role, in one table.

``MATRIX`` has one entry per named URL of the site (the admin excepted: see ``ADMIN_*`` below). Each entry
says which roles may use the page and what every other caller gets; ``URL.expected()`` expands it into one
status per actor (anonymous, the nine roles serving project YQF, and a user of another project / firm).
``expanded_matrix()`` prints the whole table. A URL added to the site without an entry here fails
``test_every_url_has_an_entry``; an entry for a URL that no longer exists fails ``test_no_stale_entries``.

Requests that would change something (POST-only endpoints, sent with an empty body) run in a transaction
that is rolled back, so every actor meets the same objects.

Cells where the code does not yet do what the issue asks are listed in ``KNOWN_GAPS`` (marked ``# BUG`` in
the table): they xfail alone; every other cell stays enforced, and a gap that gets fixed fails until its
entry is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.matrix_world import ROLES, MatrixWorld

pytestmark = pytest.mark.django_db

ANON = "anonymous"
OTHER = "other_project"
ACTORS = (ANON, *ROLES, OTHER)
ALL = frozenset(ROLES)
INTERNAL = ALL - {"contractor"}
FIELD = frozenset({"steward", "director", "engineer", "customer_service", "project_gm", "front_desk"})
INTAKE = frozenset({"front_desk", "customer_service", "director", "steward"})
FRONT = frozenset({"front_desk", "customer_service", "director"})
CS = frozenset({"customer_service", "director"})
DASHBOARD = frozenset({"director", "project_gm", "engineer"})
REPORT_READERS = frozenset(
    {"director", "steward", "front_desk", "project_dept", "customer_service", "project_gm", "engineer"}
)
MONEY = frozenset({"customer_service", "project_dept", "finance"})  # view_* on every settlements model
SETTLE_VIEW = MONEY | {"director", "steward", "contractor"}  # view_commissionedrepair (a firm: its own)
LINE_DATA = {"kind": "material", "description": "防水涂料", "unit": "kg", "quantity": "1", "unit_price": "10.00"}
DOSSIER = frozenset({"director", "customer_service", "steward", "project_gm"})
CONTRACTOR = frozenset({"contractor"})


@dataclass(frozen=True)
class URL:
    """One URL of the matrix.

    ``ok`` roles get ``status``; other roles get ``denied``; anonymous gets ``anon`` (302 = to the login page);
    ``other`` is what a user of another project (in the first ``ok`` role, or ``other_role``) gets — by default
    404 for a page about one object and ``status`` for a list. ``cells`` overrides single actors.
    """

    name: str
    kwargs: Callable[[MatrixWorld], dict] | None = None
    ok: frozenset = frozenset()
    status: int = 200
    anon: int = 302
    denied: int = 403
    other: int | None = None
    other_role: str | None = None
    method: str = "get"
    cells: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)

    def expected(self) -> dict[str, int]:
        table = {ANON: self.anon}
        for role in ROLES:
            table[role] = self.status if role in self.ok else self.denied
        if self.other is not None:
            table[OTHER] = self.other
        else:
            table[OTHER] = 404 if self.kwargs else self.status
        table.update(self.cells)
        return table

    def other_actor_role(self) -> str:
        if self.other_role:
            return self.other_role
        return next((r for r in ROLES if r in self.ok), "steward")


def PUBLIC(name, status=200, method="get", **kw) -> URL:  # noqa: N802  (reads as a table row)
    """A page everyone may open, logged in or not."""
    return URL(name, ok=ALL, status=status, anon=status, other=status, method=method, **kw)


# --- the URL arguments ------------------------------------------------------------------------------------


def ticket(m):
    return {"number": m.ticket.number}


def report(m):
    return {"number": m.report.number}


def notice(m):
    return {"number": m.notice.number}


def appointment(m):
    return {"number": m.ticket.number, "pk": m.appointment.pk}


def ticket_pk(m):
    return {"pk": m.ticket.pk}


def callback_ticket(m):
    return {"number": m.callback_ticket.number}


def archived(m):
    return {"number": m.archived_ticket.number}


def pk(attr):
    return lambda m: {"pk": getattr(m, attr).pk}


# fmt: off
MATRIX: list[URL] = [
    # --- site ---------------------------------------------------------------------------------------------
    URL("home", ok=ALL, status=302, other=302),                      # sends each role to its start page
    URL("login", ok=ALL, status=302, anon=200, other=302),           # signed-in users are sent on
    URL("logout", ok=ALL, status=302, anon=302, other=302, method="post"),
    PUBLIC("set_language", status=302, method="post"),
    URL("warranty:role_home", ok=ALL),
    # --- front desk -------------------------------------------------------------------------------------
    URL("tickets:intake", ok=INTAKE),
    URL("tickets:unit_search", ok=INTAKE, method="post"),
    URL("tickets:unit_card", lambda m: {"pk": m.world.unit.pk}, ok=INTAKE),
    URL("tickets:report", report, ok=INTAKE),
    URL("tickets:report_f01", report, ok=INTERNAL),
    URL("tickets:report_f01_print", report, ok=INTERNAL),
    URL("tickets:web_report_confirm", report, ok=FRONT, status=302, method="post"),
    URL("tickets:queues", ok=FRONT),
    URL("tickets:queue", lambda m: {"slug": "web"}, ok=FRONT, other=200),
    URL("tickets:search", ok=FRONT),
    URL("tickets:detail", ticket, ok=INTERNAL),
    URL("tickets:history", ticket, ok=INTERNAL),
    URL("tickets:contact_attempt", ticket, ok=FRONT | {"steward", "engineer"}, status=400, method="post"),
    URL("tickets:ticket_action", lambda m: {**ticket(m), "name": "refer"}, ok=INTERNAL, status=302, method="post"),
    URL("tickets:attachment", lambda m: {**ticket(m), "pk": m.attachment.pk}, ok=INTERNAL),
    URL("tickets:attachment_thumb", lambda m: {**ticket(m), "pk": m.attachment.pk}, ok=INTERNAL),
    PUBLIC("tickets:owner_lookup"),
    PUBLIC("tickets:owner_report"),
    # --- field ------------------------------------------------------------------------------------------
    URL("tickets:field_my_day", ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_my_tickets", ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_approvals", ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_signoff_queue", ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_plan_approve", pk("pending_plan"), ok=frozenset({"director"}), status=302, method="post", cells={"contractor": 302}),
    URL("tickets:field_workspace", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_triage", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_survey", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_plan", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_dispatch", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_check_in", appointment, ok=FIELD, status=302, method="post", cells={"contractor": 302}),
    URL("tickets:field_owner_absent", appointment, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_worklog", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_consent", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_signoff", ticket, ok=FIELD, cells={"contractor": 302}),
    URL("tickets:field_reinspect", ticket, ok=FIELD, status=400, method="post", cells={"contractor": 302}),
    URL("tickets:field_owner_signoff", ticket, ok=FIELD, status=409, method="post", cells={"contractor": 302}),
    URL("tickets:field_joint_signoff", ticket, ok=FIELD, status=400, method="post", cells={"contractor": 302}),
    URL("tickets:field_gm_approval", ticket, ok=FIELD, status=409, method="post", cells={"contractor": 302}),
    URL("tickets:field_transition", lambda m: {**ticket(m), "name": "refer"}, ok=FIELD, status=302,
        method="post", cells={"contractor": 302}),
    URL("tickets:field_notice_pdf", notice, ok=INTERNAL | CONTRACTOR),
    URL("tickets:field_attachment", pk("attachment"), ok=INTERNAL | CONTRACTOR),
    URL("tickets:field_attachment_thumb", pk("attachment"), ok=INTERNAL | CONTRACTOR),
    # --- contractor -------------------------------------------------------------------------------------
    URL("tickets:contractor_notices", ok=CONTRACTOR),
    URL("tickets:contractor_notice", notice, ok=CONTRACTOR),
    URL("tickets:contractor_accept", notice, ok=CONTRACTOR, status=400, method="post"),
    URL("tickets:contractor_decline", notice, ok=CONTRACTOR, status=400, method="post"),
    URL("tickets:contractor_propose", notice, ok=CONTRACTOR, status=400, method="post"),
    URL("tickets:contractor_arrival", notice, ok=CONTRACTOR, status=302, method="post"),
    URL("tickets:contractor_progress", notice, ok=CONTRACTOR),
    URL("tickets:contractor_complete", notice, ok=CONTRACTOR),
    # --- escalations ------------------------------------------------------------------------------------
    URL("escalations:list", ok=frozenset({"director", "project_gm"})),
    URL("escalations:detail", pk("escalation"), ok=frozenset({"director", "project_gm"})),
    URL("escalations:action", lambda m: {"pk": m.escalation.pk, "action": "acknowledge"},
        ok=frozenset({"director", "project_gm"}), status=302, method="post"),
    # --- settlements (who may do what: the grants of settlements/migrations/0002) ---------------------
    URL("settlements:repair_list", ok=SETTLE_VIEW),
    URL("settlements:repair_detail", pk("repair"), ok=SETTLE_VIEW),
    URL("settlements:quote_detail", pk("quote"), ok=SETTLE_VIEW - CONTRACTOR),
    URL("settlements:ticket_commission", ticket_pk, ok=frozenset({"director"})),
    URL("settlements:ticket_quote", ticket_pk, ok=frozenset({"director", "steward"})),
    URL("settlements:reconciliation_list", ok=MONEY),
    URL("settlements:line_add", pk("repair"), ok=CONTRACTOR, status=302, method="post", data=LINE_DATA),
    URL("settlements:application_submit", pk("repair"), ok=CONTRACTOR, status=302, method="post",
        data={"amount": "1.00"}),
    URL("settlements:line_audit", pk("cost_line"), ok=frozenset({"customer_service"}), status=302, method="post",
        data={"quantity": "12.5", "unit_price": "18.80"}),
    URL("settlements:application_countersign", pk("application"),
        ok=frozenset({"customer_service", "project_dept"}), status=302, method="post"),
    URL("settlements:application_reject", pk("application"), ok=MONEY, status=302, method="post",
        data={"reason": "金额不符"}),
    URL("settlements:reconciliation_sign", pk("reconciliation"), ok=frozenset({"project_dept", "customer_service"}),
        status=302, method="post"),
    # --- callbacks --------------------------------------------------------------------------------------
    URL("callbacks:queue", ok=CS),
    URL("callbacks:take", callback_ticket, ok=CS),
    URL("callbacks:notifications", ok=FRONT),
    URL("callbacks:notification_attempt", callback_ticket, ok=FRONT, status=302, method="post"),
    URL("callbacks:reinspections", ok=CS),
    URL("callbacks:reinspection_sign", pk("reinspection"), ok=CS, status=302, method="post"),
    URL("callbacks:follow_ups", ok=CS),
    URL("callbacks:follow_up_close", pk("follow_up"), ok=CS, status=302, method="post"),
    URL("callbacks:contact_changes", ok=frozenset({"customer_service"})),
    URL("callbacks:contact_change_done", pk("contact_change"), ok=frozenset({"customer_service"}), status=302,
        method="post"),
    URL("callbacks:archive", ok=DOSSIER),
    URL("callbacks:dossier", archived, ok=DOSSIER),
    URL("callbacks:dossier_pdf", archived, ok=DOSSIER),
    URL("callbacks:access_log", ok=frozenset({"director"})),
    URL("callbacks:extended_care", ok=CS),
    URL("callbacks:surveys", ok=CS),
    URL("callbacks:survey_detail", pk("survey"), ok=CS),
    URL("callbacks:survey_take", lambda m: {"pk": m.survey.pk, "unit_pk": m.world.unit.pk}, ok=CS),
    # --- reporting ----------------------------------------------------------------------------------------
    URL("reporting:dashboard", ok=DASHBOARD),
    URL("reporting:dashboard_export", lambda m: {"fmt": "csv"}, ok=DASHBOARD, other=200),
    URL("reporting:statistics_month", ok=DASHBOARD),
    URL("reporting:statistics_quarter", ok=DASHBOARD),
    URL("reporting:warnings", ok=DASHBOARD),
    URL("reporting:daily_list", ok=REPORT_READERS),
    URL("reporting:daily_detail", pk("daily_report"), ok=REPORT_READERS),
    URL("reporting:daily_pdf", pk("daily_report"), ok=REPORT_READERS),
    URL("reporting:daily_preview", lambda m: {"project_id": m.world.project.pk}, ok=frozenset({"director"}),
        other=403),
    URL("reporting:daily_send", lambda m: {"project_id": m.world.project.pk}, ok=frozenset({"director"}),
        status=302, other=403, method="post"),
]
# fmt: on

BY_NAME = {spec.name: spec for spec in MATRIX}
NOT_TO_LOGIN = {"logout", "set_language"}  # their 302 for anonymous is not "please log in"
GET_TOO = {"set_language"}  # POST-tested, but a GET is fine too (Django's set_language redirects)


def _cells(name: str, *actors: str) -> set[tuple[str, str]]:
    return {(name, actor) for actor in actors}


def _denied_roles(name: str, *but: str) -> set[tuple[str, str]]:
    """Every role the table denies on ``name`` (except ``but``): all of them get the wrong answer."""
    spec = BY_NAME[name]
    return _cells(name, *(r for r in ROLES if r not in spec.ok and r not in but))


# (url name, actor) cells where the code does not (yet) answer what the matrix expects (the # BUG rows above).
KNOWN_GAPS: set[tuple[str, str]] = set()  # none left: the settlements pages check their permissions now


def expanded_matrix() -> dict[str, dict[str, int]]:
    """The whole table: URL name → actor → expected status."""
    return {spec.name: spec.expected() for spec in MATRIX}


def url_names() -> set[str]:
    """Every named URL of the site, as "namespace:name", the admin excepted."""
    names: set[str] = set()

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                walk(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
            elif isinstance(p, URLPattern) and p.name:
                names.add(prefix + p.name)

    walk(get_resolver().url_patterns, "")
    return names


# --- the structure of the table ---------------------------------------------------------------------------


def test_every_url_has_an_entry():
    missing = sorted(url_names() - BY_NAME.keys())
    assert not missing, f"URLs without an entry in MATRIX (add one): {missing}"


def test_no_stale_entries():
    stale = sorted(BY_NAME.keys() - url_names())
    assert not stale, f"MATRIX entries for URLs that no longer exist: {stale}"
    assert len(BY_NAME) == len(MATRIX), "a URL appears twice in MATRIX"


def test_every_cell_is_filled_and_known_gaps_are_cells():
    for name, row in expanded_matrix().items():
        assert set(row) == set(ACTORS), name
    assert {name for name, _ in KNOWN_GAPS} <= BY_NAME.keys()
    assert {actor for _, actor in KNOWN_GAPS} <= set(ACTORS)


# --- the matrix itself ------------------------------------------------------------------------------------


def _call(client: Client, method: str, url: str, data: dict) -> tuple[int, str]:
    """One request, rolled back; an exception counts as a 500."""
    try:
        with transaction.atomic():
            response = getattr(client, method)(url, data)
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001  (a crash is a cell's answer: 500)
        return 500, f"{type(exc).__name__}: {exc}"[:120]
    return response.status_code, response.get("Location", "")


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix_media")


@pytest.fixture(autouse=True)
def _media_root(settings, media_dir):
    """One media folder for the module: the matrix's photos are stored once, when its world is built."""
    settings.MEDIA_ROOT = media_dir


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, media_dir):
    """The world and every object the URLs need, built once for the module in a transaction rolled back at
    its end (each test then runs in a savepoint, as Django's setUpTestData does)."""
    from django.test.utils import override_settings

    from tests.reference_data import ensure_reference_data
    from tests.security.matrix_world import make_world
    from warranty import calendar

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_dir):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_reference_data()
            calendar.clear_cache()
            yield MatrixWorld(make_world()).build_all()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.parametrize("spec", MATRIX, ids=lambda spec: spec.name)
def test_permission_matrix(spec: URL, matrix: MatrixWorld, db):
    m = matrix
    url = reverse(spec.name, kwargs=spec.kwargs(m) if spec.kwargs else None)
    users = {ANON: None, **{role: m.user(role) for role in ROLES}, OTHER: m.other_user(spec.other_actor_role())}
    wrong, gaps, fixed = [], [], []
    for actor, want in spec.expected().items():
        client = Client()
        if users[actor] is not None:
            client.force_login(users[actor])
        got, where = _call(client, spec.method, url, spec.data)
        ok = got == want
        if ok and actor == ANON and got == 302 and spec.name not in NOT_TO_LOGIN:
            ok = "/login/" in where
        cell = (spec.name, actor)
        line = f"  {spec.method.upper()} {url} as {actor:<17} expected {want}, got {got} {where}"
        if cell in KNOWN_GAPS:
            (fixed if ok else gaps).append(line)
        elif not ok:
            wrong.append(line)
    if (
        spec.method == "post" and spec.name not in GET_TOO
    ):  # a POST-only endpoint refuses a GET, even from a role that may POST
        role = next(r for r in ROLES if r in spec.ok)
        client = Client()
        client.force_login(users[role])
        got, where = _call(client, "get", url, {})
        if got != 405:
            wrong.append(f"  GET {url} as {role:<17} expected 405, got {got} {where}")
    assert not wrong, "permission matrix mismatches:\n" + "\n".join(wrong)
    assert not fixed, "fixed — remove from KNOWN_GAPS:\n" + "\n".join(fixed)
    if gaps:
        pytest.xfail("known gaps:\n" + "\n".join(gaps))


# --- the admin --------------------------------------------------------------------------------------------

ADMIN_ACTORS = (ANON, *ROLES, OTHER, "superuser")


def admin_models() -> list[str]:
    return sorted(f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry)


def _admin_user(m: MatrixWorld, actor: str):
    if actor == ANON:
        return None
    if actor == "superuser":
        return m.superuser
    if actor == OTHER:
        return m.other_user("director")
    return m.user(actor)


STAFF = frozenset({"director", "project_dept", "finance"})  # warranty.roles.ADMIN_ROLES: is_staff
DEPT_FIN = frozenset({"project_dept", "finance"})
NOBODY = frozenset()  # the superuser only
ROOT = frozenset({"superuser"})
EVERYONE = frozenset(ADMIN_ACTORS) - {ANON}

# app_label.model → the staff roles with view permission (200 on its changelist; other staff roles 403,
# non-staff roles and anonymous 302 to the admin login, the superuser 200; a director of another project as a
# director: the changelist is scoped, not refused).
# fmt: off
ADMIN_VIEW: dict[str, frozenset] = {
    "auth.group": NOBODY,
    "axes.accessattempt": NOBODY,
    "axes.accessfailurelog": NOBODY,
    "axes.accesslog": NOBODY,
    "callbacks.callback": frozenset({"director"}),
    "callbacks.contactchangetask": frozenset({"director"}),
    "callbacks.dossieraccess": frozenset({"director"}),
    "callbacks.followupcase": frozenset({"director"}),
    "callbacks.jointreinspection": frozenset({"director"}),
    "callbacks.notificationround": frozenset({"director"}),
    "callbacks.surveycampaign": frozenset({"director"}),
    "django_celery_beat.clockedschedule": NOBODY,
    "django_celery_beat.crontabschedule": NOBODY,
    "django_celery_beat.intervalschedule": NOBODY,
    "django_celery_beat.periodictask": NOBODY,
    "django_celery_beat.solarschedule": NOBODY,
    "settlements.commissionedrepair": STAFF,
    "settlements.countersignstep": DEPT_FIN,
    "settlements.ledgerentry": DEPT_FIN,
    "settlements.overdraftapproval": DEPT_FIN,
    "settlements.ownerpayment": DEPT_FIN,
    "settlements.paidrepairquote": STAFF,
    "settlements.paymentapplication": DEPT_FIN,
    "settlements.reconciliation": DEPT_FIN,
    "settlements.warrantyfund": DEPT_FIN,
    "tickets.agreedcadence": NOBODY,
    "tickets.appointment": NOBODY,
    "tickets.contactattempt": NOBODY,
    "tickets.dailyreport": NOBODY,
    "tickets.dispatchnotice": NOBODY,
    "tickets.escalation": NOBODY,
    "tickets.outboxmessage": NOBODY,
    "tickets.report": NOBODY,
    "tickets.reportrecipient": NOBODY,
    "tickets.slaclock": NOBODY,
    "tickets.slapolicy": NOBODY,
    "tickets.ticket": STAFF,
    "warranty.building": STAFF,
    "warranty.calendarday": STAFF,
    "warranty.contractor": STAFF,
    "warranty.defectcategory": STAFF,
    "warranty.deliverybatch": STAFF,
    "warranty.engagement": STAFF,
    "warranty.owner": STAFF,
    "warranty.ownership": STAFF,
    "warranty.project": STAFF,
    "warranty.trade": STAFF,
    "warranty.unit": STAFF,
    "warranty.user": NOBODY,
    "warranty.warrantyperiod": STAFF,
}

# app_label.model:action → who gets the action offered (ModelAdmin.get_actions for that user's request).
ADMIN_ACTIONS: dict[str, frozenset] = {
    "auth.group:delete_selected": ROOT,
    "axes.accessattempt:cleanup_expired_attempts": EVERYONE,  # NOTE: no allowed_permissions; harmless while the changelist is superuser-only
    "axes.accessattempt:delete_selected": ROOT,
    "axes.accessfailurelog:delete_selected": ROOT,
    "axes.accesslog:delete_selected": ROOT,
    "callbacks.surveycampaign:delete_selected": ROOT,
    "django_celery_beat.clockedschedule:delete_selected": ROOT,
    "django_celery_beat.crontabschedule:delete_selected": ROOT,
    "django_celery_beat.intervalschedule:delete_selected": ROOT,
    "django_celery_beat.periodictask:delete_selected": ROOT,
    "django_celery_beat.periodictask:disable_tasks": EVERYONE,  # NOTE: no allowed_permissions; harmless while the changelist is superuser-only
    "django_celery_beat.periodictask:enable_tasks": EVERYONE,  # NOTE: no allowed_permissions; harmless while the changelist is superuser-only
    "django_celery_beat.periodictask:run_tasks": EVERYONE,  # NOTE: no allowed_permissions; harmless while the changelist is superuser-only
    "django_celery_beat.periodictask:toggle_tasks": EVERYONE,  # NOTE: no allowed_permissions; harmless while the changelist is superuser-only
    "django_celery_beat.solarschedule:delete_selected": ROOT,
    "settlements.countersignstep:delete_selected": ROOT,
    "settlements.paidrepairquote:record_owner_payment": frozenset({"finance", "superuser"}),
    "settlements.paymentapplication:approve_selected": frozenset({"finance", "superuser"}),
    "settlements.paymentapplication:countersign_selected": frozenset({"customer_service", "project_dept", "superuser"}),
    "settlements.paymentapplication:export_payouts_csv": frozenset({"customer_service", "finance", "project_dept", "superuser"}),
    "settlements.paymentapplication:record_payment_selected": frozenset({"finance", "superuser"}),
    "settlements.paymentapplication:reject_selected": frozenset({"customer_service", "finance", "project_dept", "superuser"}),
    "settlements.reconciliation:sign_selected": frozenset({"customer_service", "project_dept", "superuser"}),
    "settlements.warrantyfund:adjust_selected": frozenset({"finance", "superuser"}),
    "settlements.warrantyfund:approve_overdraft_selected": frozenset({"finance", "superuser"}),
    "settlements.warrantyfund:release_selected": frozenset({"finance", "superuser"}),
    "tickets.dailyreport:delete_selected": ROOT,
    "tickets.reportrecipient:delete_selected": ROOT,
    "tickets.slapolicy:delete_selected": ROOT,
    "warranty.building:delete_selected": ROOT,
    "warranty.calendarday:delete_selected": ROOT,
    "warranty.contractor:delete_selected": ROOT,
    "warranty.defectcategory:delete_selected": ROOT,
    "warranty.deliverybatch:delete_selected": ROOT,
    "warranty.engagement:delete_selected": ROOT,
    "warranty.owner:delete_selected": ROOT,
    "warranty.ownership:delete_selected": ROOT,
    "warranty.project:delete_selected": ROOT,
    "warranty.trade:delete_selected": ROOT,
    "warranty.unit:delete_selected": ROOT,
    "warranty.user:delete_selected": ROOT,
    "warranty.warrantyperiod:delete_selected": ROOT,
}
# fmt: on


def expected_admin_page(staff_roles_with_view: frozenset) -> dict[str, int]:
    """The expanded row of one admin page."""
    row = {ANON: 302, "superuser": 200}
    for role in ROLES:
        if role not in STAFF:
            row[role] = 302
        else:
            row[role] = 200 if role in staff_roles_with_view else 403
    row[OTHER] = row["director"]
    return row


def _model_admin(label: str):
    return next(
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if f"{model._meta.app_label}.{model._meta.model_name}" == label
    )


def _changelist(label: str) -> str:
    model, _ = _model_admin(label)
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _offered_actions(m: MatrixWorld) -> dict[str, set]:
    offered: dict[str, set] = {}
    rf = RequestFactory()
    for label in admin_models():
        _, model_admin = _model_admin(label)
        for actor in ADMIN_ACTORS:
            user = _admin_user(m, actor)
            if user is None:
                continue
            request = rf.get(_changelist(label))
            request.user = user
            for name in model_admin.get_actions(request):
                offered.setdefault(f"{label}:{name}", set()).add(actor)
    return offered


def test_every_admin_model_has_an_entry():
    assert set(admin_models()) == ADMIN_VIEW.keys(), (
        f"missing: {sorted(set(admin_models()) - ADMIN_VIEW.keys())}; stale: {sorted(ADMIN_VIEW.keys() - set(admin_models()))}"
    )


@pytest.mark.parametrize("label", ["admin:index", *ADMIN_VIEW], ids=str)
def test_admin_page_matrix(label, matrix: MatrixWorld, db):
    if label == "admin:index":
        url, want_row = reverse("admin:index"), expected_admin_page(STAFF)
    else:
        url, want_row = _changelist(label), expected_admin_page(ADMIN_VIEW[label])
    wrong = []
    for actor, want in want_row.items():
        client = Client()
        user = _admin_user(matrix, actor)
        if user is not None:
            client.force_login(user)
        got, where = _call(client, "get", url, {})
        if got != want or (got == 302 and "/admin/login/" not in where):
            wrong.append(f"  GET {url} as {actor:<17} expected {want}, got {got} {where}")
    assert not wrong, "admin matrix mismatches:\n" + "\n".join(wrong)


def test_admin_actions_are_offered_to_the_expected_roles(matrix: MatrixWorld, db):
    offered = {key: frozenset(actors) for key, actors in _offered_actions(matrix).items()}
    assert offered.keys() == ADMIN_ACTIONS.keys(), (
        f"actions without an entry: {sorted(offered.keys() - ADMIN_ACTIONS.keys())}; "
        f"stale entries: {sorted(ADMIN_ACTIONS.keys() - offered.keys())}"
    )
    wrong = [
        f"  {key}: expected {sorted(ADMIN_ACTIONS[key])}, offered to {sorted(offered[key])}"
        for key in ADMIN_ACTIONS
        if offered[key] != ADMIN_ACTIONS[key]
    ]
    assert not wrong, "admin actions offered to the wrong roles:\n" + "\n".join(wrong)


@pytest.mark.parametrize("key", list(ADMIN_ACTIONS), ids=str)
def test_admin_action_post_matrix(key, matrix: MatrixWorld, db):
    """Each action posted by each actor, on an empty selection and on the first row: never a 500, and an actor
    who may not open the changelist is turned away (302 to the login / 403) before anything runs."""
    label, action = key.split(":")
    model, _ = _model_admin(label)
    url = _changelist(label)
    first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    pages = expected_admin_page(ADMIN_VIEW[label])
    wrong = []
    for actor in ADMIN_ACTORS:
        user = _admin_user(matrix, actor)
        for selection in ([], [first] if first is not None else []):
            client = Client()
            if user is not None:
                client.force_login(user)
            data = {"action": action, "index": 0, "_selected_action": selection}
            got, where = _call(client, "post", url, data)
            denied = pages[actor] != 200
            if (
                got >= 500
                or (denied and got != pages[actor])
                or (denied and got == 302 and "/admin/login/" not in where)
            ):
                want = pages[actor] if denied else "not 5xx"
                wrong.append(f"  POST {url} {action} {selection} as {actor:<17} expected {want}, got {got} {where}")
    assert not wrong, "admin action mismatches:\n" + "\n".join(wrong)
