"""The CSRF failure page inside the layout (settings.CSRF_FAILURE_VIEW).

Django's own renders 403_csrf.html without the request, so without the navigation
and the person's name; this one renders it like every other page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason ("CSRF token missing") helps a developer, not the person: it is
    # logged by Django's CSRF middleware, not shown.
    return render(request, "403_csrf.html", status=403)
