"""The project's URLs plus `/bench/minimal/`: a signed-in view returning a tiny
response, served by the same gunicorn, middleware and session as the day view, so
the ratio of their throughputs is the cost of the day view itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from massageclinic.urls import urlpatterns as project_urls

MINIMAL_PATH = "/bench/minimal/"


@login_required
def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path(MINIMAL_PATH.strip("/") + "/", minimal), *project_urls]
