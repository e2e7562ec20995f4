from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from warranty import views as warranty_views

urlpatterns = [
    path("", warranty_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("warranty.urls")),
    path("", include("tickets.urls")),
    path("settlements/", include("settlements.urls")),
    path("", include(("tickets.urls_escalations", "escalations"))),
    path("callbacks/", include("callbacks.urls")),
    path("reports/", include("tickets.urls_reporting")),
    path("admin/", admin.site.urls),
]

# Error pages in the site's layout (tickets.views.common).
handler400 = "tickets.views.common.handler400"
handler403 = "tickets.views.common.handler403"
handler404 = "tickets.views.common.handler404"
