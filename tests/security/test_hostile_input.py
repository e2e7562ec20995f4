"""Hostile input (issue 11): random and malicious values posted to every form and to the public pages.

For every example, whatever is posted:

* the answer is never a 500 (the test client re-raises the view's exception, so a crash fails the test);
* nothing is half-saved: unless the request succeeded (a redirect without an error message, or the
  endpoint's own success page), the row counts of every table of our apps, history tables included, are
  unchanged;
* nothing is rendered unescaped: neither the answer nor the page a redirect leads to contains a script or
  event-handler fragment verbatim.

Each example runs in a savepoint that is rolled back, so the objects built once per test function
(tests/security/hostile_world.py) stay in the same state for every example.
"""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callbacks import forms as callback_forms
from settlements import forms as settlement_forms
from tests.factories import category
from tests.tickets.conftest import in_future
from tickets import forms_field as ff
from tickets import forms_frontdesk as fdf
from tickets.models import Location, WorkLog
from tickets.views_escalations import AssignForm

from .hostile_world import HostileWorld

pytestmark = pytest.mark.django_db

hostile_settings = settings(
    max_examples=10,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
public_settings = settings(hostile_settings, max_examples=20)


# --- the hostile values ------------------------------------------------------------------------

SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE tickets_ticket; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "' UNION SELECT password FROM warranty_user --",
    "%",
    "_",
    "\\",
    "%%s",
]
HTML = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{ request.user.password }}",
    "{% debug %}",
    "&lt;script&gt;",
]
CONTROL = ["\x00", "\x1b", "\u202e", "\r\n", "\r", "\n", "\t", "\x7f", "\x08", "\ufeff", "\u200b", "\x85", "\u2028"]
UNICODE = [
    "😀",
    "👨‍👩‍👧‍👦",
    "云栖府",
    "漢字かなカナ",
    "e\u0301",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\uffff",
    "ﷺ",
    "²",
    "①",
    "١٢٣",
    "１２３",
]
NUMBERS = [
    "9" * 400,
    "-1",
    "0",
    "-0",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "0x1F",
    "1_000",
    "1,5",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "0.0000000001",
    "99999999999999999999.999",
]
DATES = [
    "2026-02-30",
    "9999-99-99",
    "0000-00-00",
    "2026-02-30T10:00",
    "2026-13-01T25:61",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-02-30 10:00",
    "10000-01-01T00:00",
    "2026-01-01T10:00:00+99:00",
    "yesterday",
]
BLANK = ["", " ", "   ", "\t\n", "\u3000", "\xa0"]
FIXED = SQL + HTML + CONTROL + UNICODE + NUMBERS + DATES + BLANK
LONG_UNITS = ["A", "中", "😀", "<script>", "' OR 1=1 --", "9", "\x00", "e\u0301", " "]

# Found verbatim in a page, these mean something was rendered unescaped.
UNESCAPED = ("<script>alert(1)", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>")


def _long(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def hostile_text() -> st.SearchStrategy[str]:
    """Very long strings, control characters, SQL and HTML fragments, unicode, numbers and dates as text."""
    return st.one_of(
        st.sampled_from(FIXED),
        st.builds(_long, st.sampled_from(LONG_UNITS), st.integers(min_value=10_000, max_value=12_000)),
        st.lists(st.sampled_from(FIXED), min_size=2, max_size=4).map("".join),
        st.text(max_size=40),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats().map(str),
    )


def hostile_value() -> st.SearchStrategy:
    """A hostile text, or several of them under one name (a wrong type for a one-value field)."""
    return st.one_of(hostile_text(), st.lists(hostile_text(), min_size=2, max_size=3))


def form_data(fields, valid: dict | None = None) -> st.SearchStrategy[dict]:
    """A POST dict with every field hostile or, when given, valid (shrinks towards the valid value)."""
    valid = valid or {}
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.just(valid[name]), hostile_value()) if name in valid else hostile_value()
            for name in fields
        }
    )


def names(form) -> list[str]:
    """The input names of a form instance (the file inputs left out: these tests post no files)."""
    prefix = form.prefix + "-" if form.prefix else ""
    return [prefix + n for n, field in form.fields.items() if not isinstance(field.widget, forms.FileInput)]


def management(prefix: str) -> list[str]:
    return [f"{prefix}-{n}" for n in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")]


def management_valid(prefix: str, total: int = 1) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "10",
    }


def local_input(when) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


# --- the checks ----------------------------------------------------------------------------------


def _tables() -> list[str]:
    tables = []
    for label in ("warranty", "tickets", "settlements", "callbacks"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.append(model._meta.db_table)
    return sorted(set(tables))


def row_counts() -> dict[str, int]:
    """Rows of every table of our apps (history and M2M tables included), in one query."""
    tables = _tables()
    qn = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {qn(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


@contextlib.contextmanager
def rolled_back():
    """One example: a savepoint rolled back at the end; the rate limiter's cache and stale messages forgotten."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()


def _flat(data: dict) -> list[str]:
    out = []
    for value in data.values():
        out.extend(value if isinstance(value, list) else [value])
    return [v for v in out if isinstance(v, str)]


def assert_escaped(response, data: dict, where: str) -> None:
    body = response.content.decode("utf-8", "replace")
    for marker in UNESCAPED:
        assert marker not in body, f"{where}: {marker!r} rendered unescaped"
    for value in _flat(data):
        if ("<script" in value or "onerror=" in value) and len(value) < 5000:
            assert value not in body, f"{where}: the posted value {value[:80]!r} rendered verbatim"


def _error_messages(response) -> list[str]:
    context = response.context
    if context is None:
        return []
    try:
        stored = context["messages"]
    except KeyError:
        return []
    return [str(m) for m in stored if m.level >= message_levels.WARNING]


def post_and_check(client, url: str, data: dict, *, success=None, read_only: bool = False):
    """POST ``data``; assert no 500, nothing unescaped, and no rows changed unless the request succeeded."""
    client.cookies.pop("messages", None)
    before = row_counts()
    response = client.post(url, data)
    assert response.status_code < 500, f"POST {url} answered {response.status_code}"
    assert_escaped(response, data, f"POST {url}")
    errors = []
    followed = None
    if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
        followed = client.get(response["Location"].split("#", 1)[0])
        assert followed.status_code < 500, f"GET {response['Location']} after POST {url}: {followed.status_code}"
        assert_escaped(followed, data, f"GET {response['Location']} after POST {url}")
        errors = _error_messages(followed)
    after = row_counts()
    if read_only:
        ok = False
    elif success is not None:
        ok = success(response)
    else:
        ok = response.status_code == 302 and not errors
    if not ok:
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"POST {url} was refused ({response.status_code} {errors}) but changed rows: {changed}"
    return response


def run(client, url, data, **kwargs):
    with rolled_back():
        post_and_check(client, url, data, **kwargs)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def hw(world):
    return HostileWorld(world)


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def t(name, *args):
    return reverse(f"tickets:{name}", args=args)


# --- front desk ---------------------------------------------------------------------------------

DEFECT_FIELDS = ["location", "location_detail", "part", "category", "description"]


def intake_fields() -> list[str]:
    form_fields = names(fdf.IntakeForm())
    defect = [f"defects-0-{n}" for n in DEFECT_FIELDS] + [f"defects-1-{n}" for n in DEFECT_FIELDS]
    return form_fields + management("defects") + defect


@hostile_settings
@given(draw=st.data())
def test_intake(hw, login, draw):
    client = login(hw.users["front_desk"])
    valid = {
        "unit": str(hw.world.unit.pk),
        "reporter_name": "王先生",
        "reporter_relation": "owner",
        "contact_phone": "13812345678",
        "channel": "phone",
        "expected_at": "",
        "expected_note": "工作日晚上",
        "is_emergency": "",
        "note": "",
        **management_valid("defects", 2),
        "defects-0-location": Location.MASTER_BATHROOM,
        "defects-0-location_detail": "",
        "defects-0-part": "顶棚",
        "defects-0-category": str(category("waterproofing").pk),
        "defects-0-description": "主卫顶棚渗水",
        "defects-1-location": Location.LIVING_ROOM,
        "defects-1-location_detail": "",
        "defects-1-part": "墙面",
        "defects-1-category": str(category("civil").pk),
        "defects-1-description": "客厅墙面开裂",
    }
    data = draw.draw(form_data(intake_fields(), valid))
    run(client, t("intake"), data)


@hostile_settings
@given(draw=st.data())
def test_unit_search(hw, login, draw):
    client = login(hw.users["front_desk"])
    run(client, t("unit_search"), draw.draw(form_data(names(fdf.UnitSearchForm()))), read_only=True)


@hostile_settings
@given(draw=st.data())
def test_global_search(hw, login, draw):
    client = login(hw.users["front_desk"])
    hw.intake_ticket  # noqa: B018  (something to find)
    run(client, t("search"), draw.draw(form_data(names(fdf.SearchForm()), {"q": "3-2", "page": "1"})), read_only=True)


@hostile_settings
@given(draw=st.data())
def test_contact_attempt(hw, login, draw):
    client = login(hw.users["front_desk"])
    ticket = hw.intake_ticket
    valid = {"purpose": "first_contact", "reached": "1", "method": "phone", "note": "", "queue": "first-contact"}
    data = draw.draw(form_data([*names(fdf.ContactAttemptForm()), "queue"], valid))
    run(client, t("contact_attempt", ticket.number), data)


TICKET_ACTION_FIELDS = [
    "note",
    "resolution",
    "steward",
    "difficulty",
    "contractor",
    "scheduled_at",
    "override_reason",
]


@pytest.mark.parametrize(
    ("action", "ticket_attr", "role"),
    [
        ("triage", "triage_ticket", "director"),
        ("dispatch", "dispatch_ticket", "steward"),
        ("cancel", "intake_ticket", "director"),
        ("archive", "callback_ticket", "customer_service"),
    ],
)
@hostile_settings
@given(draw=st.data())
def test_ticket_action(hw, login, draw, action, ticket_attr, role):
    ticket = getattr(hw, ticket_attr)
    client = login(hw.users[role])
    valid = {
        "note": "电话确认",
        "resolution": "resolved",
        "steward": str(hw.users["steward"].pk),
        "difficulty": "general",
        "contractor": str(hw.world.waterproof.pk),
        "scheduled_at": local_input(in_future(5)),
        "override_reason": "",
    }
    data = draw.draw(form_data(TICKET_ACTION_FIELDS, valid))
    run(client, t("ticket_action", ticket.number, action), data)


# --- public owner pages ----------------------------------------------------------------------------


@public_settings
@given(draw=st.data())
def test_owner_lookup(hw, client, draw):
    report = hw.intake_ticket.report
    valid = {"number": report.number, "last4": str(report.contact_phone.national_number)[-4:]}
    data = draw.draw(form_data(names(fdf.LookupForm()), valid))
    run(client, t("owner_lookup"), data, read_only=True)


@public_settings
@given(draw=st.data())
def test_owner_web_report(hw, client, draw):
    world = hw.world
    valid = {
        "project": str(world.project.pk),
        "unit_number": world.unit.number,
        "owner_phone": str(world.owner.phone.national_number),
        "reporter_name": "业主本人",
        "contact_phone": "",
        "expected_note": "周末",
        **management_valid("defects"),
        "defects-0-location": Location.KITCHEN,
        "defects-0-location_detail": "",
        "defects-0-part": "墙面",
        "defects-0-category": str(category("civil").pk),
        "defects-0-description": "厨房墙面开裂",
    }
    fields = names(fdf.OwnerReportForm()) + management("defects") + [f"defects-0-{n}" for n in DEFECT_FIELDS]
    data = draw.draw(form_data(fields, valid))

    def sent(response):
        return response.status_code == 200 and "owner/report_sent.html" in [t.name for t in response.templates]

    run(client, t("owner_report"), data, success=sent)


# --- the steward's tablet ---------------------------------------------------------------------------


@hostile_settings
@given(draw=st.data())
def test_field_triage(hw, login, draw):
    ticket = hw.triage_ticket
    client = login(hw.users["steward"])
    valid = {"difficulty": "general", "steward": str(hw.users["steward"].pk), "engineer": "", "note": ""}
    data = draw.draw(form_data(names(ff.TriageForm(project=ticket.project)), valid))
    run(client, t("field_triage", ticket.number), data)


@hostile_settings
@given(draw=st.data())
def test_field_survey(hw, login, draw):
    ticket = hw.dispatch_ticket
    client = login(hw.users["steward"])
    valid = {"scheduled_at": local_input(in_future(6)), "note": "上午"}
    run(client, t("field_survey", ticket.number), draw.draw(form_data(names(ff.AppointmentForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_field_plan(hw, login, draw):
    ticket = hw.dispatch_ticket
    client = login(hw.users["steward"])
    valid = {
        "cause": "防水层破损",
        "method": "重做防水",
        "materials": ["sealant"],
        "materials_note": "",
        "estimated_days": "2",
    }
    run(client, t("field_plan", ticket.number), draw.draw(form_data(names(ff.PlanForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_field_dispatch(hw, login, draw):
    ticket = hw.dispatch_ticket
    client = login(hw.users["steward"])
    valid = {
        "contractor": str(hw.world.waterproof.pk),
        "override_reason": "",
        "scheduled_at": local_input(in_future(6)),
        "materials_note": "密封胶",
        "note": "",
    }
    data = draw.draw(form_data(names(ff.DispatchForm(project=ticket.project)), valid))
    run(client, t("field_dispatch", ticket.number), data)


@hostile_settings
@given(draw=st.data())
def test_field_owner_absent(hw, login, draw):
    ticket, appointment = hw.dispatch_ticket, hw.survey_appointment
    client = login(hw.users["steward"])
    valid = {"note": "门上留了联系卡", "rebook_at": local_input(in_future(30))}
    data = draw.draw(form_data(names(ff.OwnerAbsentForm()), valid))
    run(client, t("field_owner_absent", ticket.number, appointment.pk), data)


@hostile_settings
@given(draw=st.data())
def test_field_worklog(hw, login, draw):
    ticket = hw.repair_ticket
    client = login(hw.users["steward"])
    valid = {"kind": WorkLog.Kind.SITE_VISIT, "note": "巡查", "test_result": "", "material_0": "密封胶"}
    valid |= {"quantity_0": "2", "unit_0": "支"}
    form = ff.WorkLogForm(kinds=[WorkLog.Kind.SITE_VISIT, WorkLog.Kind.PROGRESS])
    run(client, t("field_worklog", ticket.number), draw.draw(form_data(names(form), valid)))


@hostile_settings
@given(draw=st.data())
def test_field_consent(hw, login, draw):
    ticket = hw.repair_ticket
    client = login(hw.users["steward"])
    valid = {
        "subject": "plan_change",
        "what": "改为整体重做防水",
        "amount": "",
        "how": "phone",
        "consented": "on",
        "signature": "",
    }
    run(client, t("field_consent", ticket.number), draw.draw(form_data(names(ff.ConsentForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_field_reinspect(hw, login, draw):
    ticket = hw.signoff_ticket
    client = login(hw.users["steward"])
    valid = {"passed": "1", "comment": "", **{f"check_{k}": "on" for k, _label in ff.CHECKLIST}}
    run(client, t("field_reinspect", ticket.number), draw.draw(form_data(names(ff.ReinspectionForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_field_owner_signoff(hw, login, draw):
    ticket = hw.signoff_ticket
    client = login(hw.users["steward"])
    valid = {"signer_name": "业主", "comment": "", "signature": ""}
    run(client, t("field_owner_signoff", ticket.number), draw.draw(form_data(names(ff.OwnerSignOffForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_field_joint_signoff(hw, login, draw):
    ticket = hw.signoff_ticket
    client = login(hw.users["director"])
    data = draw.draw(form_data(["comment", "as"], {"comment": "", "as": "director"}))
    run(client, t("field_joint_signoff", ticket.number), data)


@hostile_settings
@given(draw=st.data())
def test_field_gm_approval(hw, login, draw):
    ticket = hw.signoff_ticket
    client = login(hw.users["project_gm"])
    run(client, t("field_gm_approval", ticket.number), draw.draw(form_data(["comment"], {"comment": ""})))


@pytest.mark.parametrize(
    ("name", "ticket_attr", "role"),
    [("cancel", "triage_ticket", "director"), ("return_to_repair", "signoff_ticket", "steward")],
)
@hostile_settings
@given(draw=st.data())
def test_field_transition(hw, login, draw, name, ticket_attr, role):
    ticket = getattr(hw, ticket_attr)
    client = login(hw.users[role])
    data = draw.draw(form_data(["note", "back"], {"note": "业主撤回", "back": "signoff"}))
    run(client, t("field_transition", ticket.number, name), data)


@hostile_settings
@given(draw=st.data())
def test_field_plan_approve(hw, login, draw):
    plan = hw.complex_plan
    client = login(hw.users["director"])
    run(client, t("field_plan_approve", plan.pk), draw.draw(form_data(["comment"], {"comment": "同意"})))


# --- the contractor ----------------------------------------------------------------------------------


@hostile_settings
@given(draw=st.data())
def test_contractor_accept(hw, login, draw):
    notice = hw.sent_notice
    client = login(hw.users["waterproof_contractor"])
    valid = {"answer": "propose", "proposed_at": local_input(in_future(8))}
    run(client, t("contractor_accept", notice.number), draw.draw(form_data(names(ff.AcceptNoticeForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_contractor_decline(hw, login, draw):
    notice = hw.sent_notice
    client = login(hw.users["waterproof_contractor"])
    data = draw.draw(form_data(names(ff.DeclineNoticeForm()), {"reason": "人手不足"}))
    run(client, t("contractor_decline", notice.number), data)


@hostile_settings
@given(draw=st.data())
def test_contractor_propose(hw, login, draw):
    notice = hw.accepted_notice
    client = login(hw.users["waterproof_contractor"])
    valid = {"scheduled_at": local_input(in_future(9)), "note": ""}
    run(client, t("contractor_propose", notice.number), draw.draw(form_data(names(ff.AppointmentForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_contractor_progress(hw, login, draw):
    notice = hw.accepted_notice
    client = login(hw.users["waterproof_contractor"])
    valid = {"kind": WorkLog.Kind.PROGRESS, "note": "基层处理完毕", "test_result": ""}
    form = ff.WorkLogForm(kinds=[WorkLog.Kind.PROGRESS])
    run(client, t("contractor_progress", notice.number), draw.draw(form_data(names(form), valid)))


# --- settlements --------------------------------------------------------------------------------------


def sv(name, *args):
    return reverse(f"settlements:{name}", args=args)


@hostile_settings
@given(draw=st.data())
def test_settlement_line_add(hw, login, draw):
    repair = hw.repair
    client = login(hw.firm_user)
    valid = {"kind": "labour", "description": "人工", "unit": "工日", "quantity": "1", "unit_price": "300"}
    run(client, sv("line_add", repair.pk), draw.draw(form_data(names(settlement_forms.CostLineForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_settlement_line_audit(hw, login, draw):
    line = hw.cost_line
    client = login(hw.users["customer_service"])
    valid = {"quantity": "1.5", "unit_price": "280", "reason": "按合同单价"}
    run(client, sv("line_audit", line.pk), draw.draw(form_data(names(settlement_forms.AuditForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_settlement_application_submit(hw, login, draw):
    repair = hw.audited_repair
    client = login(hw.firm_user)
    valid = {"amount": str(repair.audited_total)}
    data = draw.draw(form_data(names(settlement_forms.ApplicationForm()), valid))
    run(client, sv("application_submit", repair.pk), data)


@hostile_settings
@given(draw=st.data())
def test_settlement_application_countersign(hw, login, draw):
    application = hw.application
    client = login(hw.users["customer_service"])
    data = draw.draw(form_data(names(settlement_forms.CommentForm()), {"comment": "已审核"}))
    run(client, sv("application_countersign", application.pk), data)


@hostile_settings
@given(draw=st.data())
def test_settlement_application_reject(hw, login, draw):
    application = hw.application
    client = login(hw.users["finance"])
    data = draw.draw(form_data(names(settlement_forms.RejectForm()), {"reason": "发票抬头有误"}))
    run(client, sv("application_reject", application.pk), data)


@hostile_settings
@given(draw=st.data())
def test_settlement_reconciliation_sign(hw, login, draw):
    rec = hw.reconciliation
    client = login(hw.users["customer_service"])
    run(client, sv("reconciliation_sign", rec.pk), draw.draw(form_data(["side", "comment"])))


@hostile_settings
@given(draw=st.data())
def test_settlement_ticket_commission(hw, login, draw):
    ticket = hw.sent_notice.ticket
    client = login(hw.users["director"])
    valid = {"firm": str(hw.world.third_party.pk), "reason": "refused", "note": ""}
    data = draw.draw(form_data(names(settlement_forms.CommissionForm()), valid))
    run(client, sv("ticket_commission", ticket.pk), data)


@hostile_settings
@given(draw=st.data())
def test_settlement_ticket_quote(hw, login, draw):
    ticket = hw.repair_ticket
    client = login(hw.users["steward"])
    line = ["kind", "description", "unit", "quantity", "unit_price"]
    fields = management("lines") + [f"lines-0-{n}" for n in line]
    valid = {
        **management_valid("lines"),
        "lines-0-kind": "material",
        "lines-0-description": "防水涂料",
        "lines-0-unit": "kg",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "20",
    }
    run(client, sv("ticket_quote", ticket.pk), draw.draw(form_data(fields, valid)))


# --- callbacks ----------------------------------------------------------------------------------------


def cb(name, *args):
    return reverse(f"callbacks:{name}", args=args)


@hostile_settings
@given(draw=st.data())
def test_callback_take(hw, login, draw):
    ticket = hw.callback_ticket
    client = login(hw.users["customer_service"])
    valid = {
        "reached": "yes",
        "resolved": "yes",
        "quality": "satisfied",
        "attitude": "satisfied",
        "timeliness": "neutral",
        "meets_standard": "",
        "suggestions": "",
        "non_warranty_issues": "",
        "note": "",
        "new_phone": "",
    }
    run(client, cb("take", ticket.number), draw.draw(form_data(names(callback_forms.CallbackForm()), valid)))


@hostile_settings
@given(draw=st.data())
def test_callback_notification_attempt(hw, login, draw):
    ticket = hw.callback_ticket
    client = login(hw.users["front_desk"])
    valid = {"reached": "no", "method": "phone", "note": "", "new_phone": ""}
    data = draw.draw(form_data(names(callback_forms.NotificationAttemptForm()), valid))
    run(client, cb("notification_attempt", ticket.number), data)


@hostile_settings
@given(draw=st.data())
def test_callback_follow_up_close(hw, login, draw):
    case = hw.follow_up
    client = login(hw.users["director"])
    data = draw.draw(form_data(names(callback_forms.NoteForm()), {"note": "主任上门致歉，业主满意"}))
    run(client, cb("follow_up_close", case.pk), data)


@hostile_settings
@given(draw=st.data())
def test_callback_survey_take(hw, login, draw):
    campaign = hw.survey_campaign
    client = login(hw.users["customer_service"])
    valid = {"reached": "yes", "quality": "satisfied", "attitude": "neutral", "timeliness": "satisfied"}
    data = draw.draw(form_data(names(callback_forms.SatisfactionForm()), valid))
    run(client, cb("survey_take", campaign.pk, hw.world.unit.pk), data)


# --- escalations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "role"), [("assign", "project_gm"), ("resolve", "director")])
@hostile_settings
@given(draw=st.data())
def test_escalation_action(hw, login, draw, action, role):
    escalation = hw.escalation
    client = login(hw.users[role])
    valid = {"assignee": str(hw.users["customer_service"].pk), "note": "请跟进"}
    data = draw.draw(form_data(names(AssignForm(project_id=escalation.project_id)), valid))
    run(client, reverse("escalations:action", args=[escalation.pk, action]), data)


# --- the admin's add forms ----------------------------------------------------------------------------


class InputNames(HTMLParser):
    """The names of a page's form inputs, selects and textareas (the CSRF token left out)."""

    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name") or ""
        wanted = tag in ("input", "select", "textarea") and attrs.get("type") != "file"
        if wanted and name and name != "csrfmiddlewaretoken" and "__prefix__" not in name:
            self.names.append(name)


def page_fields(client, url) -> list[str]:
    parser = InputNames()
    parser.feed(client.get(url).content.decode())
    return list(dict.fromkeys(parser.names))


ADMIN_ADD = {
    "unit": lambda hw: {
        "building": str(hw.world.unit.building_id),
        "number": "9-9-901",
        "floor_area": "88.50",
        "handover_date": "2026-01-01",
    },
    "owner": lambda hw: {"name": "新业主", "phone": "13912345678"},
}


@pytest.mark.parametrize("model", sorted(ADMIN_ADD))
@hostile_settings
@given(draw=st.data())
def test_admin_add(hw, admin_client, draw, model):
    url = reverse(f"admin:warranty_{model}_add")
    fields = page_fields(admin_client, url)
    assert fields, f"no inputs found on {url}"
    valid = {name: value for name, value in ADMIN_ADD[model](hw).items() if name in fields}
    for name in fields:  # the inlines' management forms: no inline rows
        if name.endswith("-TOTAL_FORMS") or name.endswith("-INITIAL_FORMS") or name.endswith("-MIN_NUM_FORMS"):
            valid[name] = "0"
        elif name.endswith("-MAX_NUM_FORMS"):
            valid[name] = "1000"
    data = draw.draw(form_data(fields, valid))
    run(admin_client, url, data)


# --- query strings of list pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "args", "role", "params"),
    [
        ("tickets:queue", ["first-contact"], "front_desk", ["project", "page", "sort", "emergency", "overdue"]),
        ("callbacks:queue", [], "customer_service", ["project"]),
        ("callbacks:archive", [], "customer_service", ["q"]),
        ("callbacks:extended_care", [], "customer_service", ["months", "after"]),
        ("escalations:list", [], "director", ["status"]),
    ],
)
@hostile_settings
@given(draw=st.data())
def test_list_page_query_strings(hw, login, draw, url_name, args, role, params):
    client = login(hw.users[role])
    hw.intake_ticket  # noqa: B018  (a row to list)
    url = reverse(url_name, args=args)
    data = draw.draw(st.fixed_dictionaries({p: hostile_text().filter(lambda v: len(v) < 2000) for p in params}))
    with rolled_back():
        response = client.get(url, data)
        assert response.status_code < 500, f"GET {url} answered {response.status_code}"
        assert_escaped(response, data, f"GET {url}")


# --- regression cases: the minimal inputs that gave a 500 before the fixes -------------------------------
#
# Each was found by the property tests above (a NUL byte, a note longer than the history column, an
# impossible date, "²" as an id, 10,000 digits, a non-numeric autocomplete id).

NUL = "\x00"
DATE_FEB_30 = "2026-02-30T10:00"


def _post_case(hw, login, client, case):
    url_name, args_attr, role, data = case
    user = hw.users[role] if isinstance(role, str) else role(hw)
    client = login(user)
    args = [a(hw) for a in args_attr]
    with rolled_back():
        post_and_check(client, reverse(url_name, args=args), data)


# Inputs that gave a 500 before they were fixed (issue 11): kept as regression cases.
KNOWN_POST_BUGS = {
    "reject-nul": (
        "settlements:application_reject",
        [lambda hw: hw.application.pk],
        "finance",
        {"reason": "发票" + NUL},
    ),
    "reject-101-chars": (
        "settlements:application_reject",
        [lambda hw: hw.application.pk],
        "finance",
        {"reason": "A" * 101},
    ),
    "transition-note-nul": (
        "tickets:field_transition",
        [lambda hw: hw.signoff_ticket.number, lambda hw: "return_to_repair"],
        "steward",
        {"note": "返修" + NUL},
    ),
    "transition-note-long": (
        "tickets:field_transition",
        [lambda hw: hw.signoff_ticket.number, lambda hw: "return_to_repair"],
        "steward",
        {"note": "A" * 10_000},
    ),
    "action-dispatch-feb-30": (
        "tickets:ticket_action",
        [lambda hw: hw.dispatch_ticket.number, lambda hw: "dispatch"],
        "steward",
        {"contractor": "1", "scheduled_at": DATE_FEB_30},
    ),
    "action-dispatch-10000-digits": (
        "tickets:ticket_action",
        [lambda hw: hw.dispatch_ticket.number, lambda hw: "dispatch"],
        "steward",
        {"contractor": "9" * 10_000},
    ),
    "action-triage-superscript": (
        "tickets:ticket_action",
        [lambda hw: hw.triage_ticket.number, lambda hw: "triage"],
        "director",
        {"difficulty": "general", "steward": "²"},
    ),
    "action-dispatch-superscript": (
        "tickets:ticket_action",
        [lambda hw: hw.dispatch_ticket.number, lambda hw: "dispatch"],
        "steward",
        {"contractor": "²"},
    ),
    "action-cancel-note-101-chars": (
        "tickets:ticket_action",
        [lambda hw: hw.intake_ticket.number, lambda hw: "cancel"],
        "director",
        {"note": "A" * 101},
    ),
    "escalation-resolve-nul": (
        "escalations:action",
        [lambda hw: hw.escalation.pk, lambda hw: "resolve"],
        "director",
        {"note": "已处理" + NUL},
    ),
    "admin-unit-building-not-a-number": (
        "admin:warranty_unit_add",
        [],
        lambda hw: hw.users["admin"],
        {
            "building": "' OR 1=1 --",
            "number": "9-9-901",
            "ownerships-TOTAL_FORMS": "0",
            "ownerships-INITIAL_FORMS": "0",
        },
    ),
}


@pytest.mark.parametrize("case", sorted(KNOWN_POST_BUGS))
def test_known_post_bug(hw, login, client, admin_user, case):
    hw.users["admin"] = admin_user
    _post_case(hw, login, client, KNOWN_POST_BUGS[case])


@pytest.mark.parametrize(
    ("url_name", "args", "role"),
    [("tickets:queue", ["first-contact"], "front_desk"), ("callbacks:queue", [], "customer_service")],
)
def test_known_bug_queue_project_superscript(hw, login, url_name, args, role):
    client = login(hw.users[role])
    with rolled_back():
        response = client.get(reverse(url_name, args=args), {"project": "²"})
        assert response.status_code < 500
