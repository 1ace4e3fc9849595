"""No one but a superuser raises anyone's rights in the admin (issue 11).

A clinic manager opens the admin for reference data; the user and group pages there
show them roles and flags, read-only. Every change of rights is audited.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from conftest import PASSWORD
from massageclinic.models import AuditEvent, PasswordChangeRequired
from massageclinic.roles import Role
from massageclinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _user_form(user: User, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
    }
    data.update(extra)
    return data


def _escalation(manager_group: Group) -> dict[str, object]:
    return {
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [manager_group.pk],
        "user_permissions": [
            Permission.objects.get(codename="change_sessionnote").pk,
            Permission.objects.get(codename="delete_user").pk,
        ],
    }


@pytest.fixture
def manager_group():
    return Group.objects.get(name=Role.MANAGER.value)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def _rights(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.is_superuser,
        user.is_staff,
        sorted(user.groups.values_list("name", flat=True)),
        list(user.user_permissions.all()),
    )


def test_a_managers_crafted_post_grants_no_rights_to_anyone(
    as_manager, front_desk, manager, manager_group
):
    before = _rights(front_desk)
    response = as_manager.post(
        reverse("admin:auth_user_change", args=[front_desk.pk]),
        _user_form(front_desk, first_name="Fifi", **_escalation(manager_group)),
    )

    assert response.status_code == 302  # the name was saved ...
    front_desk.refresh_from_db()
    assert front_desk.first_name == "Fifi"
    assert _rights(front_desk) == before  # ... and nothing else
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLES).exists()


def test_a_manager_cannot_raise_themselves(as_manager, manager, manager_group):
    response = as_manager.post(
        reverse("admin:auth_user_change", args=[manager.pk]),
        _user_form(manager, **_escalation(manager_group)),
    )

    assert response.status_code == 302
    manager.refresh_from_db()
    assert not manager.is_superuser
    assert not manager.user_permissions.exists()


def test_a_manager_sees_rights_read_only_and_where_roles_are_changed(
    as_manager, front_desk
):
    page = as_manager.get(
        reverse("admin:auth_user_change", args=[front_desk.pk])
    ).content.decode()

    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    assert 'name="is_active"' not in page
    assert "Front desk" in page  # the role, shown
    assert reverse("staff:list") in page
    assert 'name="_save"' in page  # name and email stay editable


def test_a_manager_adds_a_user_without_any_rights(as_manager, manager_group):
    response = as_manager.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **_escalation(manager_group),
        },
    )

    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert _rights(newbie) == (False, False, [], [])
    row = AuditEvent.objects.get(action=AuditEvent.Action.ROLES)
    assert row.object_id == newbie.pk
    assert "Added in the administration" in row.summary


def test_a_manager_cannot_change_a_superuser_nor_their_password(as_manager, admin_user):
    change = reverse("admin:auth_user_change", args=[admin_user.pk])
    password = reverse("admin:auth_user_password_change", args=[admin_user.pk])

    page = as_manager.get(change)
    posted = as_manager.post(change, _user_form(admin_user, first_name="Mallory"))
    password_page = as_manager.get(password)
    new_password = as_manager.post(
        password,
        {
            "usable_password": "true",
            "password1": "a new pass phrase 42",
            "password2": "a new pass phrase 42",
        },
    )

    assert page.status_code == 200  # viewed ...
    assert 'name="_save"' not in page.content.decode()  # ... never saved
    assert posted.status_code == 403
    assert password_page.status_code == 403
    assert new_password.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.first_name != "Mallory"
    assert admin_user.check_password("password")  # pytest-django's admin_user


def test_groups_are_only_viewed_by_a_manager(as_manager, manager_group):
    change = reverse("admin:auth_group_change", args=[manager_group.pk])
    before = set(manager_group.permissions.all())

    page = as_manager.get(change)
    posted = as_manager.post(
        change,
        {
            "name": manager_group.name,
            "permissions": list(Permission.objects.values_list("pk", flat=True)),
        },
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert as_manager.get(reverse("admin:auth_group_add")).status_code == 403
    assert set(manager_group.permissions.all()) == before


def test_a_superuser_gives_rights_and_it_is_audited(
    admin_client, admin_user, front_desk, manager_group
):
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[front_desk.pk]),
        _user_form(
            front_desk,
            is_active="on",
            is_staff="on",
            groups=[manager_group.pk],
        ),
    )

    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.is_staff
    assert list(front_desk.groups.values_list("name", flat=True)) == ["Clinic manager"]
    row = AuditEvent.objects.get(action=AuditEvent.Action.ROLES)
    assert (row.user, row.object_type, row.object_id) == (
        admin_user,
        "auth.User",
        front_desk.pk,
    )
    assert "staff on" in row.summary
    assert "+Clinic manager" in row.summary
    assert "-Front desk" in row.summary


def test_a_superusers_change_of_a_group_is_audited(admin_client, manager_group):
    added = Permission.objects.get(codename="delete_user")

    admin_client.post(
        reverse("admin:auth_group_change", args=[manager_group.pk]),
        {
            "name": manager_group.name,
            "permissions": [
                *manager_group.permissions.values_list("pk", flat=True),
                added.pk,
            ],
        },
    )

    row = AuditEvent.objects.get(action=AuditEvent.Action.ROLES)
    assert row.object_type == "auth.Group"
    assert "+delete_user" in row.summary


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_front_desk_and_therapists_cannot_open_the_user_pages(
    request, client, persona, manager
):
    person = request.getfixturevalue(persona)
    user = getattr(person, "user", person)
    urls = [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_user_change", args=[manager.pk]),
        reverse("admin:auth_user_password_change", args=[manager.pk]),
        reverse("admin:auth_group_changelist"),
    ]
    client.force_login(user)

    # Not staff: the admin sends them to its sign-in page, without any data.
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    # Even with the staff flag set by mistake, their role has no user rights.
    user.is_staff = True
    user.save()
    client.force_login(user)
    for url in urls:
        assert client.get(url).status_code == 403
    posted = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        _user_form(user, is_superuser="on"),
    )
    assert posted.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser


def test_a_superuser_still_manages_everything(admin_client, admin_user):
    other = UserFactory(username="root2", is_superuser=True, is_staff=True)

    page = admin_client.get(
        reverse("admin:auth_user_change", args=[other.pk])
    ).content.decode()

    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' in page


def test_a_superuser_sets_a_staff_members_password_and_it_is_audited(
    admin_client, admin_user, front_desk
):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[front_desk.pk]),
        {
            "usable_password": "true",
            "password1": "a new pass phrase 42",
            "password2": "a new pass phrase 42",
        },
    )

    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("a new pass phrase 42")
    row = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD)
    assert (row.user, row.object_id) == (admin_user, front_desk.pk)
    # The superuser knows it: the person chooses their own at the next sign-in.
    assert PasswordChangeRequired.objects.filter(user=front_desk).exists()


def test_a_weak_password_set_in_the_admin_is_refused_and_not_audited(
    admin_client, front_desk
):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[front_desk.pk]),
        {"usable_password": "true", "password1": "123", "password2": "123"},
    )

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD).exists()


@pytest.fixture
def other_manager(db):
    user = UserFactory(username="manager2", is_staff=True)
    user.groups.add(Group.objects.get(name=Role.MANAGER.value))
    return user


@pytest.mark.parametrize("whose", ["therapist", "other_manager", "front_desk"])
def test_a_manager_cannot_set_anyone_elses_password(as_manager, request, whose):
    # Else a manager could set a therapist's password, sign in as them and write
    # notes (DESIGN.md section 6: managers read notes, never write them).
    person = request.getfixturevalue(whose)
    person = getattr(person, "user", person)  # the therapist fixture is a profile
    url = reverse("admin:auth_user_password_change", args=[person.pk])

    page = as_manager.get(url)
    posted = as_manager.post(
        url,
        {
            "usable_password": "true",
            "password1": "a new pass phrase 42",
            "password2": "a new pass phrase 42",
        },
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD).exists()
    assert not PasswordChangeRequired.objects.exists()


def test_a_manager_changes_their_own_password_on_the_account_page(as_manager, manager):
    url = reverse("admin:auth_user_password_change", args=[manager.pk])

    page = as_manager.get(url)
    posted = as_manager.post(
        url,
        {
            "usable_password": "true",
            "password1": "a new pass phrase 42",
            "password2": "a new pass phrase 42",
        },
    )

    # The account page asks for the current password; the admin's form does not.
    assert page.status_code == 302 and page["Location"] == reverse("account")
    assert posted.status_code == 302 and posted["Location"] == reverse("account")
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)


def test_a_user_a_manager_adds_in_the_admin_chooses_their_own_password(
    as_manager, manager
):
    as_manager.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a new pass phrase 42",
            "password2": "a new pass phrase 42",
        },
    )

    newbie = User.objects.get(username="newbie")
    assert PasswordChangeRequired.objects.get(user=newbie).set_by == manager
