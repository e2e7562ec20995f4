"""A URLconf for the admin smoke test: registers the SLA admins before the admin's URLs are built.

(On main, tickets/admin.py imports tickets.admin_sla; this branch has no tickets/admin.py yet.)
"""

from django.contrib import admin
from django.urls import path

import tickets.admin_sla  # noqa: F401

urlpatterns = [path("admin/", admin.site.urls)]
