"""Supervisors' reports and dashboard, included from config/urls.py under the ``reporting`` namespace."""

from django.urls import path

from .reporting import views

app_name = "reporting"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export.<str:fmt>", views.dashboard_export, name="dashboard_export"),
    path("statistics/monthly/", views.statistics, {"kind": "month"}, name="statistics_month"),
    path("statistics/quarterly/", views.statistics, {"kind": "quarter"}, name="statistics_quarter"),
    path("warnings/", views.warnings, name="warnings"),
    path("daily/", views.daily_list, name="daily_list"),
    path("daily/<int:pk>/", views.daily_detail, name="daily_detail"),
    path("daily/<int:pk>/pdf/", views.daily_pdf, name="daily_pdf"),
    path("daily/project/<int:project_id>/preview/", views.daily_preview, name="daily_preview"),
    path("daily/project/<int:project_id>/send/", views.daily_send, name="daily_send"),
]
