"""Printable documents as PDF (WeasyPrint), in Noto Sans CJK SC so Chinese renders."""

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # imported late: it loads fonts and C libraries

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
