"""A URLconf for the error-page tests: the app's own, plus a page that breaks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from massageclinic.urls import urlpatterns as clinic_urlpatterns


@login_not_required
def broken(request: HttpRequest) -> HttpResponse:
    raise OperationalError("could not connect to server: Connection refused")


urlpatterns = [path("test-broken/", broken), *clinic_urlpatterns]
