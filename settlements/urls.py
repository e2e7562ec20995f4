from django.urls import path

from . import views

app_name = "settlements"
urlpatterns = [
    path("repairs/", views.repair_list, name="repair_list"),
    path("repairs/<int:pk>/", views.repair_detail, name="repair_detail"),
    path("repairs/<int:pk>/lines/", views.line_add, name="line_add"),
    path("repairs/<int:pk>/apply/", views.application_submit, name="application_submit"),
    path("lines/<int:pk>/audit/", views.line_audit, name="line_audit"),
    path("applications/<int:pk>/countersign/", views.application_countersign, name="application_countersign"),
    path("applications/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path("tickets/<int:pk>/commission/", views.ticket_commission, name="ticket_commission"),
    path("tickets/<int:pk>/quote/", views.ticket_quote, name="ticket_quote"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("reconciliations/", views.reconciliation_list, name="reconciliation_list"),
    path("reconciliations/<int:pk>/sign/", views.reconciliation_sign, name="reconciliation_sign"),
]
