"""Responses that may hold health data are never stored by a browser or a proxy.

Every response the app itself makes (pages, htmx partials, PDFs, downloads, error
pages, the client's signed-link pages) is sent with `Cache-Control: no-store`: a
shared computer's back button or disk cache must not show a chart to the next person.
Static files are served by whitenoise before this middleware runs, so they keep their
long cache.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
