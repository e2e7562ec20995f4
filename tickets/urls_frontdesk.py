"""Front desk: intake, queues, search, the ticket page, owner lookup and web reporting."""

from django.urls import path

from .views import frontdesk as fd
from .views import owner

urlpatterns = [
    # intake during a call
    path("frontdesk/intake/", fd.intake, name="intake"),
    path("frontdesk/intake/units/", fd.unit_search, name="unit_search"),
    path("frontdesk/intake/units/<int:pk>/", fd.unit_card, name="unit_card"),
    path("frontdesk/reports/<str:number>/", fd.report_page, name="report"),
    path("frontdesk/reports/<str:number>/f01.pdf", fd.report_f01_pdf, name="report_f01"),
    path("frontdesk/reports/<str:number>/f01/", fd.report_f01_print, name="report_f01_print"),
    path("frontdesk/reports/<str:number>/confirm/", fd.web_report_confirm, name="web_report_confirm"),
    # work queues and search
    path("frontdesk/queues/", fd.queue_page, name="queues"),
    path("frontdesk/queues/<slug:slug>/", fd.queue_page, name="queue"),
    path("frontdesk/search/", fd.search, name="search"),
    # the ticket page (every internal role)
    path("tickets/<str:number>/", fd.ticket_detail, name="detail"),
    path("tickets/<str:number>/history/", fd.ticket_history, name="history"),
    path("tickets/<str:number>/contact/", fd.contact_attempt, name="contact_attempt"),
    path("tickets/<str:number>/actions/<slug:name>/", fd.ticket_action, name="ticket_action"),
    path("tickets/<str:number>/attachments/<int:pk>/", fd.attachment_file, name="attachment"),
    path(
        "tickets/<str:number>/attachments/<int:pk>/thumb/",
        fd.attachment_file,
        {"variant": "thumb"},
        name="attachment_thumb",
    ),
    # public owner pages
    path("owner/lookup/", owner.owner_lookup, name="owner_lookup"),
    path("owner/report/", owner.owner_report, name="owner_report"),
]
