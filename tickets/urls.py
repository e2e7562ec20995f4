"""Ticket URLs: the front desk's pages and the field (steward, contractor) pages live in their own modules."""

from .urls_field import urlpatterns as field_urlpatterns
from .urls_frontdesk import urlpatterns as frontdesk_urlpatterns

app_name = "tickets"
urlpatterns = frontdesk_urlpatterns + field_urlpatterns
