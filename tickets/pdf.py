"""Printable forms as PDF: a Django template rendered to HTML, then to PDF by WeasyPrint.

The templates set ``font-family: "Noto Sans CJK SC"`` (Debian's fonts-noto-cjk),
so Chinese text is embedded, not shown as boxes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

PDF_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans CJK", sans-serif'


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """The PDF bytes of ``template_name`` rendered with ``context``."""
    from weasyprint import HTML  # imported late: it loads Pango and fonts, which only PDF views need

    html = render_to_string(template_name, {**context, "pdf": True, "pdf_font_family": PDF_FONT_FAMILY}, request)
    base_url = request.build_absolute_uri("/") if request is not None else str(settings.BASE_DIR)
    return HTML(string=html, base_url=base_url).write_pdf()


def pdf_response(template_name: str, context: dict, *, filename: str, request=None, inline: bool = False):
    """An HTTP response with the PDF, as a download (or shown in the browser when ``inline``)."""
    response = HttpResponse(render_pdf(template_name, context, request=request), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
