"""The manager's staff page: who works here, in which role, and who may sign in.

Outside the admin on purpose: it offers the three clinic roles and nothing more, so
that no one is raised to superuser or given the admin by a mis-click (issue 11).
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from massageclinic.audit import AuditContext
from massageclinic.clock import location_zone
from massageclinic.roles import Role, role_required
from massageclinic.staff import (
    STAFF_ROLES,
    may_change_account,
    staff_create,
    staff_for_list,
    staff_role,
    staff_roles_of,
    staff_set_active,
    staff_set_role,
)
from massageclinic.staff_forms import StaffAddForm, StaffRoleForm
from massageclinic.two_factor import people_with_an_authenticator

app_name = "staff"


def _therapist_profile_link(user: User) -> str:
    if getattr(user, "therapist", None) is not None:
        return ""
    return format_html(
        ' <a href="{}?user={}">Add their therapist profile</a> (licence, '
        "modalities, working hours).",
        reverse("admin:therapists_therapist_add"),
        user.pk,
    )


def _me(request: HttpRequest) -> User:
    # role_required has let only a signed-in manager through.
    return cast(User, request.user)


def _errors(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@role_required(Role.MANAGER)
def staff_list(request: HttpRequest) -> HttpResponse:
    two_step = people_with_an_authenticator()
    rows = [
        {
            "user": user,
            "roles": staff_roles_of(user),
            "role": staff_role(user),
            "changeable": may_change_account(user=user, by=_me(request)),
            "is_me": user.pk == request.user.pk,
            "therapist": getattr(user, "therapist", None),
            "two_step": user.pk in two_step,
        }
        for user in staff_for_list()
    ]
    return render(
        request,
        "staff/list.html",
        {
            "rows": rows,
            "roles": [role.value for role in STAFF_ROLES],
            "zone": location_zone(None),
            "therapist_role": Role.THERAPIST,
            # Someone else's password is set by a superuser only (in the admin).
            "sets_passwords": request.user.is_superuser,
        },
    )


@role_required(Role.MANAGER)
def staff_add(request: HttpRequest) -> HttpResponse:
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff_create(
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                password=data["password1"],
                by=_me(request),
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            text = format_html(
                "Added {} as {}. They choose their own password when they first "
                "sign in.",
                user.get_full_name(),
                data["role"],
            )
            if data["role"] == Role.THERAPIST.value:
                text = format_html("{}{}", text, _therapist_profile_link(user))
            messages.success(request, text)
            return redirect("staff:list")
    return render(
        request,
        "staff/add.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
@role_required(Role.MANAGER)
def staff_change_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = StaffRoleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choose one of the roles: Front desk, Therapist, Clinic manager."
        )
        return redirect("staff:list")
    try:
        user = staff_set_role(
            user=user,
            role=form.cleaned_data["role"],
            by=_me(request),
            context=AuditContext.from_request(request),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        role = form.cleaned_data["role"]
        text = format_html("{} is now {}.", user.get_full_name() or user, role)
        if role == Role.THERAPIST.value:
            text = format_html("{}{}", text, _therapist_profile_link(user))
        messages.success(request, text)
    return redirect("staff:list")


@require_POST
@role_required(Role.MANAGER)
def staff_change_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        user = staff_set_active(
            user=user,
            active=active,
            by=_me(request),
            context=AuditContext.from_request(request),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        name = user.get_full_name() or user.get_username()
        messages.success(
            request,
            f"{name} can sign in again."
            if active
            else f"{name} is deactivated: they can no longer sign in.",
        )
    return redirect("staff:list")


urlpatterns: list[URLPattern] = [
    path("", staff_list, name="list"),
    path("add/", staff_add, name="add"),
    path("<int:pk>/role/", staff_change_role, name="role"),
    path("<int:pk>/active/", staff_change_active, name="active"),
]
