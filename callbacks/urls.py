from django.urls import path

from . import views

app_name = "callbacks"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("take/<str:number>/", views.take, name="take"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<str:number>/attempt/", views.notification_attempt, name="notification_attempt"),
    path("reinspections/", views.reinspections, name="reinspections"),
    path("reinspections/<int:pk>/sign/", views.reinspection_sign, name="reinspection_sign"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/close/", views.follow_up_close, name="follow_up_close"),
    path("contact-changes/", views.contact_changes, name="contact_changes"),
    path("contact-changes/<int:pk>/done/", views.contact_change_done, name="contact_change_done"),
    path("dossier/<str:number>/", views.dossier, name="dossier"),
    path("dossier/<str:number>/pdf/", views.dossier_pdf, name="dossier_pdf"),
    path("access-log/", views.access_log, name="access_log"),
    path("extended-care/", views.extended_care, name="extended_care"),
    path("surveys/", views.surveys, name="surveys"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/unit/<int:unit_pk>/", views.survey_take, name="survey_take"),
]
