"""Staff accounts and their roles (issue 11): the one place that decides what a role
grants, so that no page and no admin form can raise someone past it.

A staff member holds one of the three roles. The clinic manager's role also opens
the admin (for rooms, locations, policies and the therapists' profiles); no other role
does, and superuser rights are never granted here: only a superuser grants them, in
the admin. Accounts are deactivated, never deleted: the audit trail and the records
they signed point at them. Every change writes an audit row (`ROLES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from massageclinic.audit import AuditContext, audit_account_event
from massageclinic.models import AuditEvent
from massageclinic.password_required import require_password_change
from massageclinic.roles import Role

# The roles the staff page offers, in the order it shows them.
STAFF_ROLES: tuple[Role, ...] = (Role.FRONT_DESK, Role.THERAPIST, Role.MANAGER)


def opens_admin(role: Role | None) -> bool:
    """The staff flag's one rule: a clinic manager opens the admin, no other role."""
    return role is Role.MANAGER


def staff_roles_of(user: User) -> list[Role]:
    """The user's clinic roles, in the page's order (reads prefetched groups)."""
    names = {group.name for group in user.groups.all()}
    return [role for role in STAFF_ROLES if role.value in names]


def staff_role(user: User) -> Role | None:
    """The user's role; with more than one (set in the admin), the widest."""
    roles = staff_roles_of(user)
    return roles[-1] if roles else None


def staff_for_list() -> QuerySet[User]:
    """Every account, current ones first, with what the staff page shows of them."""
    return (
        User.objects.select_related("therapist")
        .prefetch_related("groups")
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def may_change_account(*, user: User, by: User) -> bool:
    """Whether `by` may change `user`'s account: a superuser's only by a superuser."""
    return by.is_superuser or not user.is_superuser


def _check_may_change(*, user: User, by: User) -> None:
    if not may_change_account(user=user, by=by):
        raise ValidationError(
            f"{_name(user)} is a superuser: only a superuser changes that account, "
            "in the administration."
        )


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _role_group(role: Role) -> Group:
    group, _ = Group.objects.get_or_create(name=role.value)
    return group


def _role(value: Role | str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role is None or role not in STAFF_ROLES:
        raise ValidationError(
            {"role": "Choose one of the roles: Front desk, Therapist, Clinic manager."}
        )
    return role


@transaction.atomic
def staff_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: Role | str,
    password: str,
    by: User,
    context: AuditContext,
) -> User:
    """Add a staff member with one role and an initial password.

    The password has passed the validators (the form runs them with the new
    user's name and email); it is stored hashed, never shown again. The manager who
    typed it knows it: the new person must choose their own at their first sign-in.
    """
    role = _role(role)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=opens_admin(role),
        is_superuser=False,
        is_active=True,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError(
            {"username": "That username is taken: choose another."}
        ) from None
    user.groups.add(_role_group(role))
    require_password_change(user, by=by)
    audit_account_event(
        context,
        AuditEvent.Action.ROLES,
        user=user,
        summary=f"Added {_name(user)} ({user.username}) as {role.value}",
    )
    return user


def _locked(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _keep_a_manager(user: User, *, stays_manager: bool) -> None:
    """Refuse a change that would leave the clinic with no active clinic manager:
    no one would be left to run the staff page. Whoever asks, a superuser too.

    Called first in the change's transaction, before `user`'s row is locked: it
    locks every active manager's row, in pk order, so that two managers demoting
    or deactivating each other at the same moment take turns (and never deadlock);
    the second then counts, on a fresh read, the managers the first one has left.
    """
    if stays_manager:
        return  # promoting or reactivating takes no manager away
    managers = User.objects.filter(is_active=True, groups__name=Role.MANAGER.value)
    locked = managers.select_for_update(of=("self",)).order_by("pk")
    list(locked.values_list("pk", flat=True))
    # Read again now that the rows are ours: a change committed while this one
    # waited is seen (PostgreSQL's READ COMMITTED takes a new snapshot per query).
    if set(managers.values_list("pk", flat=True)) == {user.pk}:
        raise ValidationError(
            f"{_name(user)} is the clinic's last active clinic manager: make someone "
            "else a clinic manager first, so that someone can still run the staff "
            "page."
        )


@transaction.atomic
def staff_set_role(
    *, user: User, role: Role | str, by: User, context: AuditContext
) -> User:
    """Give `user` exactly one of the three roles; the staff flag follows the role.

    A manager cannot take away their own manager role (the clinic would be locked
    out of its staff page) nor change a superuser's account; no one takes away the
    last active clinic manager's role. A superuser's own flags are left as they
    are: those are changed by a superuser, in the admin.
    """
    role = _role(role)
    if user.pk == by.pk and role is not Role.MANAGER and not by.is_superuser:
        raise ValidationError(
            "You cannot take away your own manager role: another manager (or a "
            "superuser) can change it."
        )
    _keep_a_manager(user, stays_manager=role is Role.MANAGER)
    user = _locked(user)
    _check_may_change(user=user, by=by)
    before = staff_roles_of(user)
    staff_flag = user.is_staff if user.is_superuser else opens_admin(role)
    if before == [role] and user.is_staff == staff_flag:
        return user
    others = [r for r in STAFF_ROLES if r is not role]
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in others]))
    user.groups.add(_role_group(role))
    changes = [f"role {_roles_text(before)} → {role.value}"]
    if user.is_staff != staff_flag:
        user.is_staff = staff_flag
        user.save(update_fields=["is_staff"])
        changes.append(
            "opens the administration" if staff_flag else "no administration"
        )
    audit_account_event(
        context,
        AuditEvent.Action.ROLES,
        user=user,
        summary=f"{_name(user)}: {'; '.join(changes)}",
    )
    return user


@transaction.atomic
def staff_set_active(
    *, user: User, active: bool, by: User, context: AuditContext
) -> User:
    """Deactivate (the person can no longer sign in) or reactivate an account.

    Never a deletion: the records the person wrote and the audit trail name them.
    The last active clinic manager is not deactivated, by anyone.
    """
    if user.pk == by.pk and not active:
        raise ValidationError(
            "You cannot deactivate your own account: another manager can."
        )
    _keep_a_manager(user, stays_manager=active)
    user = _locked(user)
    _check_may_change(user=user, by=by)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_account_event(
        context,
        AuditEvent.Action.ROLES,
        user=user,
        summary=f"{'Reactivated' if active else 'Deactivated'} {_name(user)}",
    )
    return user


def _roles_text(roles: Iterable[Role]) -> str:
    return ", ".join(role.value for role in roles) or "none"


# What the admin's audit compares before and after a save --------------------------


def access_snapshot(user: User) -> dict[str, Any]:
    """The account's rights as stored: flags, groups and direct permissions."""
    if user.pk is None:
        return {}
    return {
        "superuser": user.is_superuser,
        "staff": user.is_staff,
        "active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def access_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Sentences naming what changed between two snapshots."""
    changes = []
    for flag in ("superuser", "staff", "active"):
        if before.get(flag, False) != after.get(flag, False):
            changes.append(f"{flag} {'on' if after.get(flag) else 'off'}")
    for key in ("groups", "permissions"):
        old, new = set(before.get(key, [])), set(after.get(key, []))
        if old != new:
            moved = [f"+{name}" for name in sorted(new - old)]
            moved += [f"-{name}" for name in sorted(old - new)]
            changes.append(f"{key} {' '.join(moved)}")
    return changes
