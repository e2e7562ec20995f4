"""The application's URLs plus the bench-only trivial page (selected by bench.settings, never in production)."""

from django.http import Http404, HttpResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.http import require_GET

from config.urls import handler400, handler403, handler404  # noqa: F401
from tickets.models import Ticket

# A small template, compiled once like any cached template, rendered by the same engine with the same
# context processors as every page.
TRIVIAL = engines["django"].from_string(
    """<!doctype html>
<html lang="zh-hans">
<head><meta charset="utf-8"><title>{{ ticket.number }}</title></head>
<body>
<h1>{{ ticket.number }}</h1>
<p>{{ ticket.get_state_display }} · {{ ticket.created_at|date:"Y-m-d H:i" }}</p>
</body>
</html>
"""
)


@require_GET
def trivial(request, number: str):
    """The ceiling: a small template and one indexed query (a ticket by its unique number).

    It runs through the same middleware and context processors as every page (session, user,
    CSRF, CSP, axes, the navigation menu), so a page's ratio to it is what the page itself costs.
    """
    try:
        ticket = Ticket.objects.only("number", "state", "created_at").get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc
    return HttpResponse(TRIVIAL.render({"ticket": ticket}, request))


urlpatterns = [
    path("bench/trivial/<str:number>/", trivial, name="bench_trivial"),
    path("", include("config.urls")),
]
