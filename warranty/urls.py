from django.urls import path

from . import views

app_name = "warranty"
urlpatterns = [
    path("workbench/", views.role_home, name="role_home"),
]
