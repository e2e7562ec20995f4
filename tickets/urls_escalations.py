"""The escalation queue, included from config/urls.py under the ``escalations`` namespace."""

from django.urls import path

from . import views_escalations as views

app_name = "escalations"
urlpatterns = [
    path("escalations/", views.escalation_list, name="list"),
    path("escalations/<int:pk>/", views.escalation_detail, name="detail"),
    path(
        "escalations/<int:pk>/<str:action>/",
        views.escalation_action,
        name="action",
    ),
]
