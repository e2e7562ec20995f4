"""The F02 dispatch notice (零星维修工程现场调度通知单) as a PDF, drawn by WeasyPrint.

Signatures live in private storage; they are embedded as ``data:`` URIs so
WeasyPrint never fetches a URL.
"""

import base64

from django.template.loader import render_to_string
from django.utils import timezone

from .forms_field import materials_text
from .models import DispatchNotice, SignOff


def _data_uri(field) -> str:
    if not field:
        return ""
    with field.open("rb") as fh:
        return "data:image/png;base64," + base64.b64encode(fh.read()).decode("ascii")


def f02_context(notice: DispatchNotice, *, show_phone: bool) -> dict:
    from .views.field import owner_name

    ticket = notice.ticket
    latest = ticket.notices.order_by("-pk").first()
    signoffs = []
    # The sign-off belongs on the notice under which the repair was done: the ticket's latest one.
    if latest is not None and latest.pk == notice.pk:
        for so in ticket.signoffs.filter(round=ticket.signoff_round, passed=True).select_related("by"):
            signoffs.append({"obj": so, "signature": _data_uri(so.signature) if so.kind == SignOff.Kind.OWNER else ""})
    phone = ticket.report.contact_phone
    return {
        "notice": notice,
        "ticket": ticket,
        "owner_name": owner_name(ticket),
        "phone": str(phone.national_number) if show_phone and phone else "",
        "plan": notice.plan,
        "materials": notice.materials_note or materials_text(notice.plan),
        "appointment": notice.appointment,
        "signoffs": signoffs,
        "printed_at": timezone.now(),
    }


def render_f02(notice: DispatchNotice, *, show_phone: bool = False) -> bytes:
    from weasyprint import HTML

    html = render_to_string("tickets/field/f02.html", f02_context(notice, show_phone=show_phone))
    return HTML(string=html).write_pdf()
