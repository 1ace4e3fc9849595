"""PDFs from Django templates: the progress report and the superbill.

xhtml2pdf lays out HTML and CSS with reportlab, in pure Python (nothing to install
but the wheels). It does not draw inline <svg>, but it draws an SVG *image* through
svglib, so each chart is the very SVG the page shows, handed over as a data URI.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from sessions.treatment.charts import Chart

CHART_TEMPLATE = "sessions/_svg_chart.html"


class PdfError(RuntimeError):
    """The layout engine could not turn the page into a PDF."""


def chart_svg(chart: Chart) -> str:
    return render_to_string(CHART_TEMPLATE, {"chart": chart})


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def chart_images(charts: Iterable[Chart | None]) -> dict[str, str]:
    """Each chart's drawing as a data URI, by its slug, for <img src>."""
    return {c.slug: svg_data_uri(chart_svg(c)) for c in charts if c is not None}


def render_pdf(
    template_name: str, context: dict[str, Any], request: HttpRequest | None = None
) -> bytes:
    # Heavy: only the views that make PDFs load it.
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    html = render_to_string(template_name, context, request=request)
    out = io.BytesIO()
    # xhtml2pdf logs every CSS property it skips; the layout is ours, not a problem.
    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
    # Everything a report shows is in the HTML (charts as data: URIs): typed text can
    # never make the server fetch a URL or read a file.
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=None)
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if result.err:
        raise PdfError(f"The PDF could not be made ({result.err} layout errors).")
    return out.getvalue()


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
