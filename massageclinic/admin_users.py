"""The admin's users and groups, locked down (issue 11): roles cannot be escalated.

Only a superuser sees and changes superuser and staff status, groups and direct
permissions; for everyone else they are read-only (a crafted POST cannot set them,
the form has no such fields). A superuser's account, password included, is changed
only by a superuser, and groups are only viewed by anyone else. Anyone else's
password is set by a superuser only (everyone changes their own on the account page),
and the person must then choose their own at their next sign-in. Managers give the
three clinic roles on the staff page. Every change of rights writes an audit row.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from massageclinic.admin import ClinicModelAdmin, ViewedOnly
from massageclinic.audit import AuditContext, audit_account_event, audit_record
from massageclinic.models import AuditEvent, PasswordChangeRequired
from massageclinic.password_required import (
    password_changed_by_its_owner,
    require_password_change,
)
from massageclinic.staff import access_changes, access_snapshot, may_change_account

# Rights only a superuser gives.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ClinicUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
    )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        # Everyone else sees the account's rights and where roles are changed.
        rights = (
            "Role and access",
            {
                "fields": (
                    "staff_page",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                )
            },
        )
        return [
            rights if name == "Permissions" else (name, options)
            for name, options in fieldsets
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: User | None = None
    ) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        # is_active too: deactivating is done on the staff page, which keeps a
        # manager from locking themselves out.
        return [*readonly, "staff_page", "is_active", *SUPERUSER_ONLY_FIELDS]

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        if obj is not None and not may_change_account(
            user=cast(User, obj), by=cast(User, request.user)
        ):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        if obj is not None and not may_change_account(
            user=cast(User, obj), by=cast(User, request.user)
        ):
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Someone else's password is set by a superuser only, and then they must
        choose their own at their next sign-in. Anyone else changes only their own,
        on the account page, which asks for the current one."""
        me = cast(User, request.user)
        if not me.is_superuser:
            if str(me.pk) == str(id):
                messages.info(request, "Change your password here.")
                return redirect("account")
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            if user.pk == me.pk:
                password_changed_by_its_owner(user)
            elif user.has_usable_password():
                require_password_change(user, by=me)
            audit_account_event(
                AuditContext.from_request(request),
                AuditEvent.Action.PASSWORD,
                user=user,
                summary="Password set in the administration",
            )
        return response

    @admin.display(description="role")
    def staff_page(self, obj: User) -> str:
        return format_html(
            'Roles are given and accounts deactivated on the <a href="{}">staff '
            "page</a>.",
            reverse("staff:list"),
        )

    def save_model(
        self, request: HttpRequest, obj: User, form: Any, change: bool
    ) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        # The groups are saved after the user (save_related): compare there.
        request._access_before = access_snapshot(stored) if stored else {}  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            # Whoever typed the first password knows it.
            require_password_change(obj, by=cast(User, request.user))

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        before = getattr(request, "_access_before", {})
        changes = access_changes(before, access_snapshot(user))
        if change and not changes:
            return
        what = "; ".join(changes) or "no rights"
        summary = (
            f"In the administration: {what}"
            if change
            else f"Added in the administration: {what}"
        )
        audit_account_event(
            AuditContext.from_request(request),
            AuditEvent.Action.ROLES,
            user=user,
            summary=summary,
        )


@admin.register(Group)
class ClinicGroupAdmin(GroupAdmin):
    """The roles' groups: what a role may do is changed by a superuser only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return request.user.is_superuser

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return request.user.is_superuser

    def save_model(
        self, request: HttpRequest, obj: Group, form: Any, change: bool
    ) -> None:
        request._group_before = (  # type: ignore[attr-defined]
            sorted(
                Group.objects.get(pk=obj.pk).permissions.values_list(
                    "codename", flat=True
                )
            )
            if change
            else []
        )
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        group = form.instance
        changes = access_changes(
            {"permissions": getattr(request, "_group_before", [])},
            {
                "permissions": sorted(
                    group.permissions.values_list("codename", flat=True)
                )
            },
        )
        if change and not changes:
            return
        audit_record(
            AuditContext.from_request(request),
            AuditEvent.Action.ROLES,
            group,
            client_id=None,
            summary=f"Group {group.name}: {'; '.join(changes) or 'added'}",
        )


@admin.register(PasswordChangeRequired)
class PasswordChangeRequiredAdmin(ViewedOnly, ClinicModelAdmin):
    """Who must still choose their own password: viewed only. A row is made when
    someone else gives a person a password and goes when they change it."""

    list_display = ["user", "since", "set_by"]
    list_select_related = ["user", "set_by"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    date_hierarchy = "since"
    str_select_related = ("user",)
