"""django-axes' admin pages, made read-only for everyone but a superuser.

Axes registers its attempt and log tables in the admin with change, delete and a
"clean up" action. Deleting an attempt unlocks an account without an audit row, so
only a superuser may; a manager unlocks through the audited lockouts page.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest


class _SuperuserOnlyChanges:
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest):
        if not request.user.is_superuser:
            return {}
        return super().get_actions(request)


class ReadOnlyAccessAttemptAdmin(_SuperuserOnlyChanges, AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        # axes reads the request's attempt time, which only its sign-in path sets:
        # without it the action was a server error.
        AxesProxyHandler.update_request(request)
        super().cleanup_expired_attempts(request, queryset)


class ReadOnlyAccessLogAdmin(_SuperuserOnlyChanges, AccessLogAdmin):
    pass


class ReadOnlyAccessFailureLogAdmin(_SuperuserOnlyChanges, AccessFailureLogAdmin):
    pass


def make_axes_admin_read_only(site: admin.AdminSite = admin.site) -> None:
    """Swap axes' own admin classes for the read-only ones (from the app's ready())."""
    for model, model_admin in (
        (AccessAttempt, ReadOnlyAccessAttemptAdmin),
        (AccessLog, ReadOnlyAccessLogAdmin),
        (AccessFailureLog, ReadOnlyAccessFailureLogAdmin),
    ):
        if site.is_registered(model):  # not when AXES_ENABLE_ADMIN is off
            site.unregister(model)
            site.register(model, model_admin)
