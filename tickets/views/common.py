"""Helpers shared by every ticket view: object lookup within the user's scope and service errors as responses."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from warranty import prepared
from warranty.scoping import scope

from ..models import Attachment, AttachmentAccess, Ticket
from ..selectors import tickets_for
from ..services.errors import ServiceError


def get_ticket_or_404(user, number: str, queryset=None, *, key: str | None = None) -> Ticket:
    """The ticket ``number`` if ``user`` may see it; 404 otherwise (other projects' tickets do not exist for them).

    ``queryset``: what to load with it (joins, prefetches), scoped here; the list rows' joins by default.
    ``key``: the name of ``queryset``'s shape, to compile its SQL once per process (warranty.prepared).
    """
    if key is not None:
        found = prepared.rows(
            key, lambda user, number: scope(queryset, user).filter(number=number), user=user, number=number
        )
        if not found:
            raise Http404
        return found[0]
    qs = tickets_for(user) if queryset is None else scope(queryset, user)
    try:
        return qs.get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def serve_attachment(request: HttpRequest, attachment: Attachment, *, thumb: bool = False) -> FileResponse:
    """Stream a private file the caller already scope-checked, and log the access."""
    field = attachment.thumbnail if thumb and attachment.thumbnail else attachment.file
    if not field:
        raise Http404
    try:
        handle = field.storage.open(field.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    AttachmentAccess.objects.create(
        attachment=attachment, user=request.user, variant="thumb" if field is attachment.thumbnail else "file"
    )
    content_type = "image/jpeg" if field is attachment.thumbnail else attachment.content_type
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def role_required(*roles: str):
    """Login required, then 403 unless the user holds one of ``roles`` (superusers pass)."""
    allowed = {str(r) for r in roles}

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not (user.is_superuser or user.role_names & allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)
        return wrapper

    return decorate


def service_error_response(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """A ServiceError as a page with its status (403, 404, 409 or 400) and the service's message.

    For htmx requests the same message comes back as a small fragment, so a
    button can show it in place.
    """
    status = getattr(exc, "status", 400)
    template = "errors/fragment.html" if getattr(request, "htmx", False) else f"errors/{status}.html"
    if status not in (400, 403, 404, 409):
        template = "errors/fragment.html" if getattr(request, "htmx", False) else "errors/400.html"
    return render(request, template, {"message": str(exc.message), "status": status}, status=status)


def add_service_error(form, exc: ServiceError, *, field_map: dict[str, str] | None = None) -> None:
    """Put a service's message next to the form field it names (or on top of the form)."""
    field = exc.field
    if field_map and field in field_map:
        field = field_map[field]
    if field and field in getattr(form, "fields", {}):
        form.add_error(field, str(exc.message))
    else:
        form.add_error(None, str(exc.message))


# --- error pages (config/urls.py points handler400/403/404 here) -------------------------------


def handler400(request, exception=None):
    return render(request, "errors/400.html", {"status": 400}, status=400)


def handler403(request, exception=None):
    return render(request, "errors/403.html", {"status": 403}, status=403)


def handler404(request, exception=None):
    return render(request, "errors/404.html", {"status": 404}, status=404)
