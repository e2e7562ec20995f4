"""The archived ticket's dossier as a PDF (WeasyPrint), made on demand.

Sections in order: F01 owner repair record, plan, F02 dispatch notice with
the owner's signature (embedded as a data: URI: it lives in private storage
and has no URL), work log, callback.
"""

import base64
import datetime as dt

from django.template.loader import render_to_string

from tickets.models import Ticket

from .selectors import owner_signature
from .services import dossier_retention_years


def _data_uri(field) -> str:
    if not field:
        return ""
    with field.open("rb") as fh:
        return "data:image/png;base64," + base64.b64encode(fh.read()).decode("ascii")


def dossier_context(ticket: Ticket) -> dict:
    """Every record of the ticket, in the order of the lifecycle (used by the page and the PDF)."""
    signature = owner_signature(ticket)
    callback = getattr(ticket, "callback", None)
    keep_until = None
    if ticket.closed_at:
        closed = ticket.closed_at.date()
        try:
            keep_until = closed.replace(year=closed.year + dossier_retention_years())
        except ValueError:  # 29 February
            keep_until = closed.replace(year=closed.year + dossier_retention_years(), day=28)
    return {
        "ticket": ticket,
        "report": ticket.report,
        "plans": list(ticket.plans.all()),
        "notices": list(ticket.notices.all()),
        "appointments": list(ticket.appointments.all()),
        "work_logs": list(ticket.work_logs.all()),
        "signoffs": list(ticket.signoffs.all()),
        "owner_signature": signature,
        "signature_uri": _data_uri(signature.signature) if signature else "",
        "attachments": list(ticket.attachments.all()),
        "contacts": list(ticket.contacts.all()),
        "timeline": list(ticket.timeline.all()),
        "callback": callback,
        "follow_ups": list(ticket.follow_ups.all()),
        "keep_until": keep_until,
        "retention_years": dossier_retention_years(),
        "generated_at": dt.datetime.now(dt.UTC),
    }


def render_dossier_pdf(ticket: Ticket) -> bytes:
    from weasyprint import HTML

    context = dossier_context(ticket)
    html = render_to_string("callbacks/dossier_pdf.html", context)
    return HTML(string=html).write_pdf()
