"""The archive: read-only tickets, the logged dossier page and its PDF."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from callbacks import services as cs
from callbacks.models import DossierAccess
from callbacks.services import CallbackAnswer
from tests.tickets.lifecycle import fresh
from tickets import services as ts
from tickets.models import State

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

SATISFIED = CallbackAnswer(reached=True, resolved=True, quality="satisfied", attitude="satisfied", timeliness="neutral")


@pytest.fixture
def archived(world, in_callback):
    cs.callback_record(callback=in_callback.callback, by=world.users["customer_service"], answer=SATISFIED)
    ticket = fresh(in_callback)
    assert ticket.state == State.ARCHIVED
    return ticket


def login(client, user):
    client.force_login(user)
    return client


def test_archived_ticket_refuses_changes_in_services(world, archived):
    """Every ticket service raises ReadOnly on an archived ticket."""
    with pytest.raises(ts.ReadOnly):
        ts.contact_attempt_record(ticket=archived, by=world.users["front_desk"], purpose="progress", reached=True)
    with pytest.raises(ts.ReadOnly):
        ts.ticket_archive(ticket=archived, by=world.users["director"])
    with pytest.raises(ts.ReadOnly):
        ts.ticket_reopen(ticket=archived, by=world.users["director"], note="再开")
    with pytest.raises(ts.ReadOnly):
        ts.worklog_add(ticket=archived, by=world.users["steward"], kind="site_visit", note="x")


def test_archived_ticket_is_read_only_in_the_admin(client, world, archived):
    """The director sees the archived ticket in the admin; a POST to its change page is refused."""
    login(client, world.users["director"])
    url = reverse("admin:tickets_ticket_change", args=[archived.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url, {"description": "改了"}).status_code == 403
    assert fresh(archived).description == archived.description


def test_dossier_page_is_logged(client, world, archived):
    login(client, world.users["director"])
    page = client.get(reverse("callbacks:dossier", args=[archived.number]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    for section in (b'id="f01"', b'id="plan"', b'id="f02"', b'id="worklog"', b'id="callback"'):
        assert section in page.content
    assert b"data:image/png;base64," in page.content  # the owner's signature
    row = DossierAccess.objects.get()
    assert (row.ticket, row.user, row.kind) == (archived, world.users["director"], "page")


def test_the_archived_tickets_story_is_told_in_words_not_codes(client, world, archived):
    """Timeline verbs, states, transition reasons and arrivals read as words on the dossier and the
    ticket page, in Chinese (the default) and English: no "complete_repair", "→ archived" or "0 min"."""
    client.force_login(world.users["director"])
    pages = [reverse("callbacks:dossier", args=[archived.number]), reverse("tickets:detail", args=[archived.number])]
    for language in ("zh-hans", "en"):
        for url in pages:
            html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
            for code in ["complete_repair", "sign_off", "signoff_owner", "plan_written", "→ archived", "→ intake"]:
                assert code not in html, (language, url, code)
            assert "<td>archived</td>" not in html and " min)" not in html, (language, url)
    english = client.get(pages[0], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Repair complete → Sign-off" in english and "Sign-off: " in english


def test_every_timeline_verb_has_words():
    from tickets.escalations import FLAGS
    from tickets.models import Escalation, OwnerConsent, SignOff, WorkLog
    from tickets.selectors import ACTIONS, timeline_label

    verbs = [*ACTIONS, "reported", "created_as_repeat", "arrived", "attachment_added", "progress_cadence_agreed"]
    verbs += [f"signoff_{k}" for k in SignOff.Kind.values] + [f"worklog_{k}" for k in WorkLog.Kind.values]
    verbs += [f"consent_{k}" for k in OwnerConsent.Subject.values] + [
        f"escalated_{k}" for k in Escalation.Reason.values
    ]
    verbs += [f"flag_{k}" for k in FLAGS]
    for verb in verbs:
        assert "_" not in timeline_label(verb), verb


def test_dossier_pdf_has_every_section_and_is_logged(client, world, archived):
    login(client, world.users["customer_service"])
    response = client.get(reverse("callbacks:dossier_pdf", args=[archived.number]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = ARTIFACTS / "dossier.pdf"  # kept for a look (artifacts/ is gitignored)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for heading in ("F01", "Owner repair record", "repair plan", "F02", "Dispatch notice", "Work log", "Callback"):
        assert heading in text, heading
    assert archived.number in text and "3-2-1201" in text and "防水层破损" in text  # CJK glyphs rendered
    assert "Owner's signature" in text
    assert DossierAccess.objects.filter(ticket=archived, user=world.users["customer_service"], kind="pdf").count() == 1


def test_pdf_embeds_the_signature_image(world, archived):
    from callbacks.pdf import dossier_context

    context = dossier_context(fresh_dossier(world, archived))
    assert context["signature_uri"].startswith("data:image/png;base64,")


def fresh_dossier(world, ticket):
    from callbacks.selectors import dossier_ticket

    return dossier_ticket(world.users["director"], ticket.number)


def test_dossier_access_is_role_checked_and_scoped(client, world, archived, in_callback):
    url = reverse("callbacks:dossier", args=[archived.number])
    login(client, world.users["front_desk"])
    assert client.get(url).status_code == 403
    login(client, world.users["outsider"])  # a steward of another project
    assert client.get(url).status_code == 404
    assert not DossierAccess.objects.exists()


def test_access_log_is_for_directors(client, world, archived):
    login(client, world.users["steward"])
    client.get(reverse("callbacks:dossier", args=[archived.number]))
    assert client.get(reverse("callbacks:access_log")).status_code == 403
    login(client, world.users["director"])
    page = client.get(reverse("callbacks:access_log"))
    assert page.status_code == 200
    assert archived.number.encode() in page.content and b"steward" in page.content


def test_retention_setting(settings, world, archived):
    from callbacks.pdf import dossier_context

    settings.DOSSIER_RETENTION_YEARS = 30
    context = dossier_context(fresh_dossier(world, archived))
    assert context["keep_until"].year == archived.closed_at.year + 30


def test_dossiers_past_retention(settings, world, archived):
    from callbacks.selectors import dossiers_past_retention

    settings.DOSSIER_RETENTION_YEARS = 2
    closed = archived.closed_at.date()
    assert not dossiers_past_retention(world.users["director"], today=closed).exists()
    later = closed.replace(year=closed.year + 2) + dt.timedelta(days=2)
    assert list(dossiers_past_retention(world.users["director"], today=later)) == [archived]


def test_referred_and_cancelled_tickets_are_in_the_archive_with_their_dossier(client, world):
    """DOMAIN §4.10: every ticket's records are kept together and retrievable; a referred or cancelled
    ticket was in no list and its dossier answered 404."""
    from tests.tickets.lifecycle import new_ticket, out_of_warranty_ticket

    referred = ts.ticket_refer(ticket=out_of_warranty_ticket(world), by=world.users["director"], note="转物业公司")
    cancelled = ts.ticket_cancel(ticket=new_ticket(world), by=world.users["director"], note="业主撤回")
    login(client, world.users["director"])
    archive = client.get(reverse("callbacks:archive")).content.decode()
    assert referred.number in archive and cancelled.number in archive
    for ticket in (referred, cancelled):
        page = client.get(reverse("callbacks:dossier", args=[ticket.number]))
        assert page.status_code == 200 and ticket.number in page.content.decode()
    assert DossierAccess.objects.filter(ticket=referred).exists()
    pdf = client.get(reverse("callbacks:dossier_pdf", args=[cancelled.number]))
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
