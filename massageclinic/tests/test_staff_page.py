"""The manager's staff page: three roles, nothing more, every change audited
(issue 11)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.urls import reverse

from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.roles import Role, user_roles
from massageclinic.staff import opens_admin, staff_set_active, staff_set_role
from massageclinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

THREE_ROLES = ["Front desk", "Therapist", "Clinic manager"]
NEW_PASSWORD = "lavender tide 2041"


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def _new_staff(**changes: str) -> dict[str, str]:
    data = {
        "first_name": "Nina",
        "last_name": "Reyes",
        "email": "nina.reyes@example.org",
        "username": "nreyes",
        "role": "Therapist",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(changes)
    return data


def _roles_rows() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.ROLES))


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_the_staff_page_lists_everyone_with_role_and_status(
    as_manager, front_desk, therapist
):
    front_desk.is_active = False
    front_desk.save()

    page = as_manager.get(reverse("staff:list")).content.decode()

    assert "Fiona Desk" in page and "Tara Hands" in page
    assert "frontdesk" in page
    assert "Deactivated" in page
    assert "Never" in page  # no sign-in yet
    assert "Therapist profile" in page  # Tara has one
    # Someone else's password is set by a superuser only; one's own, on /account/.
    password = "admin:auth_user_password_change"
    assert reverse(password, args=[front_desk.pk]) not in page
    assert reverse(password, args=[as_manager.session["_auth_user_id"]]) not in page


def test_the_staff_page_offers_exactly_the_three_roles(as_manager, front_desk):
    listing = as_manager.get(reverse("staff:list")).content.decode()
    adding = as_manager.get(reverse("staff:add")).content.decode()

    select = re.search(
        r'<select name="role"[^>]*aria-label="Role of Fiona Desk".*?</select>',
        listing,
        re.S,
    ).group(0)
    assert re.findall(r'<option value="([^"]*)"', select) == THREE_ROLES
    assert re.findall(r'name="role" value="([^"]*)"', adding) == THREE_ROLES
    for page in (listing, adding):
        assert "uperuser" not in page.replace("Superuser</span>", "")
        assert 'name="is_staff"' not in page


def test_a_manager_adds_a_therapist_who_can_sign_in(as_manager, manager, client):
    response = as_manager.post(reverse("staff:add"), _new_staff(), follow=True)

    nina = User.objects.get(username="nreyes")
    assert (nina.first_name, nina.last_name, nina.email) == (
        "Nina",
        "Reyes",
        "nina.reyes@example.org",
    )
    assert user_roles(nina) == {Role.THERAPIST}
    assert not nina.is_staff and not nina.is_superuser
    assert nina.check_password(NEW_PASSWORD)
    page = response.content.decode()
    assert "Added Nina Reyes as Therapist." in page
    assert f"{reverse('admin:therapists_therapist_add')}?user={nina.pk}" in page
    [row] = _roles_rows()
    assert (row.user, row.object_id) == (manager, nina.pk)
    assert "as Therapist" in row.summary


def test_a_new_clinic_manager_opens_the_admin(as_manager):
    as_manager.post(
        reverse("staff:add"), _new_staff(username="boss", role="Clinic manager")
    )

    boss = User.objects.get(username="boss")
    assert boss.is_staff and not boss.is_superuser
    assert user_roles(boss) == {Role.MANAGER}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password1": "nreyes", "password2": "nreyes"}, "too similar"),
        ({"password1": "password", "password2": "password"}, "too common"),
        ({"password2": "something else 99"}, "didn’t match"),
        ({"role": "Superuser"}, "Select a valid choice"),
        ({"role": ""}, "This field is required"),
        ({"username": "Manager"}, "already exists"),
        ({"email": "not an email"}, "valid email"),
    ],
)
def test_a_bad_staff_form_saves_nothing(as_manager, changes, message):
    response = as_manager.post(
        reverse("staff:add"), _new_staff(**changes) | {"is_superuser": "on"}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.filter(username__in=["nreyes", "Manager"]).exists()
    assert not _roles_rows()


def test_changing_a_role_moves_the_staff_flag_with_it_and_is_audited(
    as_manager, manager, front_desk
):
    url = reverse("staff:role", args=[front_desk.pk])

    as_manager.post(url, {"role": "Clinic manager"})
    raised = _fresh(front_desk)
    raised_roles = user_roles(raised)
    as_manager.post(url, {"role": "Therapist"})
    lowered = _fresh(front_desk)

    assert raised_roles == {Role.MANAGER} and raised.is_staff
    assert user_roles(lowered) == {Role.THERAPIST} and not lowered.is_staff
    assert not lowered.is_superuser
    first, second = sorted(_roles_rows(), key=lambda row: row.pk)
    assert first.user == manager and first.object_id == front_desk.pk
    assert "Front desk → Clinic manager" in first.summary
    assert "Clinic manager → Therapist" in second.summary


def test_the_same_role_again_writes_nothing(as_manager, front_desk):
    as_manager.post(reverse("staff:role", args=[front_desk.pk]), {"role": "Front desk"})

    assert not _roles_rows()


def test_a_role_outside_the_three_is_refused(as_manager, front_desk):
    response = as_manager.post(
        reverse("staff:role", args=[front_desk.pk]),
        {"role": "superuser", "is_superuser": "on", "is_staff": "on"},
        follow=True,
    )

    assert "Choose one of the roles" in response.content.decode()
    front_desk = _fresh(front_desk)
    assert user_roles(front_desk) == {Role.FRONT_DESK}
    assert not front_desk.is_staff and not front_desk.is_superuser
    assert not _roles_rows()


def test_a_manager_cannot_take_away_their_own_manager_role(as_manager, manager):
    response = as_manager.post(
        reverse("staff:role", args=[manager.pk]), {"role": "Front desk"}, follow=True
    )

    assert "cannot take away your own manager role" in response.content.decode()
    assert user_roles(_fresh(manager)) == {Role.MANAGER}
    assert _fresh(manager).is_staff


def test_a_manager_cannot_deactivate_themselves(as_manager, manager):
    response = as_manager.post(
        reverse("staff:active", args=[manager.pk]), {"active": "0"}, follow=True
    )

    assert "cannot deactivate your own account" in response.content.decode()
    assert _fresh(manager).is_active


def test_a_manager_cannot_change_a_superusers_account(as_manager, admin_user):
    role = as_manager.post(
        reverse("staff:role", args=[admin_user.pk]), {"role": "Front desk"}, follow=True
    )
    active = as_manager.post(
        reverse("staff:active", args=[admin_user.pk]), {"active": "0"}, follow=True
    )
    page = as_manager.get(reverse("staff:list")).content.decode()

    assert "only a superuser changes that account" in role.content.decode()
    assert "only a superuser changes that account" in active.content.decode()
    admin_user = _fresh(admin_user)
    assert admin_user.is_active and admin_user.is_superuser and admin_user.is_staff
    assert not admin_user.groups.exists()
    assert f'action="{reverse("staff:role", args=[admin_user.pk])}"' not in page
    assert reverse("admin:auth_user_password_change", args=[admin_user.pk]) not in page
    assert "Changed by a superuser only." in page
    assert not _roles_rows()


def test_deactivating_and_reactivating_are_audited_and_delete_nothing(
    as_manager, manager, therapist
):
    url = reverse("staff:active", args=[therapist.user.pk])

    off = as_manager.post(url, {"active": "0"}, follow=True)
    deactivated = _fresh(therapist.user)
    on = as_manager.post(url, {"active": "1"}, follow=True)

    assert not deactivated.is_active
    assert "is deactivated" in off.content.decode()
    assert _fresh(therapist.user).is_active
    assert "can sign in again" in on.content.decode()
    summaries = [row.summary for row in sorted(_roles_rows(), key=lambda r: r.pk)]
    assert summaries == ["Deactivated Tara Hands", "Reactivated Tara Hands"]
    assert {row.user for row in _roles_rows()} == {manager}


def test_a_deactivated_person_cannot_sign_in(as_manager, front_desk):
    as_manager.post(reverse("staff:active", args=[front_desk.pk]), {"active": "0"})

    assert (
        ModelBackend().authenticate(
            None, username="frontdesk", password="correct horse battery staple"
        )
        is None
    )


def test_a_new_therapist_role_links_to_creating_their_profile(as_manager, front_desk):
    response = as_manager.post(
        reverse("staff:role", args=[front_desk.pk]), {"role": "Therapist"}, follow=True
    )

    link = f"{reverse('admin:therapists_therapist_add')}?user={front_desk.pk}"
    assert "Fiona Desk is now Therapist." in response.content.decode()
    assert link in response.content.decode()
    # And the list keeps offering it until the profile exists.
    assert link in as_manager.get(reverse("staff:list")).content.decode()


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_front_desk_and_therapists_get_403_on_the_staff_page(
    request, client, persona, manager
):
    person = request.getfixturevalue(persona)
    user = getattr(person, "user", person)
    client.force_login(user)

    assert client.get(reverse("staff:list")).status_code == 403
    assert client.get(reverse("staff:add")).status_code == 403
    assert client.post(reverse("staff:add"), _new_staff()).status_code == 403
    assert (
        client.post(
            reverse("staff:role", args=[user.pk]), {"role": "Clinic manager"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("staff:active", args=[manager.pk]), {"active": "0"}
        ).status_code
        == 403
    )
    assert user_roles(_fresh(user)) != {Role.MANAGER}
    assert _fresh(manager).is_active
    assert not User.objects.filter(username="nreyes").exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("staff:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_role_and_active_changes_need_a_post(as_manager, front_desk):
    assert (
        as_manager.get(reverse("staff:role", args=[front_desk.pk])).status_code == 405
    )
    assert (
        as_manager.get(reverse("staff:active", args=[front_desk.pk])).status_code == 405
    )
    assert (
        as_manager.post(reverse("staff:role", args=[99999]), {"role": "Therapist"})
    ).status_code == 404


def test_the_staff_list_does_not_query_per_row(
    as_manager, django_assert_max_num_queries
):
    groups = {role: Group.objects.get(name=role.value) for role in Role}
    for _ in range(3):
        UserFactory().groups.add(groups[Role.THERAPIST])
    with django_assert_max_num_queries(30) as few:
        as_manager.get(reverse("staff:list"))
    for n in range(15):
        UserFactory().groups.add(groups[list(Role)[n % 3]])
    with django_assert_max_num_queries(len(few.captured_queries)):
        as_manager.get(reverse("staff:list"))


def test_only_the_managers_role_opens_the_admin():
    assert [opens_admin(role) for role in Role] == [False, False, True]
    assert opens_admin(None) is False


def test_a_superuser_keeps_their_flags_when_given_a_role(admin_user):
    staff_set_role(
        user=admin_user,
        role=Role.THERAPIST,
        by=admin_user,
        context=AuditContext.system("test"),
    )

    admin_user = _fresh(admin_user)
    assert admin_user.is_superuser and admin_user.is_staff


def test_the_service_refuses_a_role_outside_the_three(manager, front_desk):
    with pytest.raises(ValidationError):
        staff_set_role(
            user=front_desk,
            role="superuser",
            by=manager,
            context=AuditContext.system("test"),
        )


# --- Passwords: someone else's is set by a superuser only ---------------------------


def test_a_manager_is_offered_no_one_elses_password(as_manager, therapist, front_desk):
    page = as_manager.get(reverse("staff:list")).content.decode()

    assert "Set a password" not in page
    for user in (therapist.user, front_desk):
        assert reverse("admin:auth_user_password_change", args=[user.pk]) not in page


def test_a_superuser_is_offered_the_staffs_passwords(admin_client, therapist):
    page = admin_client.get(reverse("staff:list")).content.decode()

    password = reverse("admin:auth_user_password_change", args=[therapist.user.pk])
    assert f'href="{password}">Set a password' in page


# --- The clinic always keeps an active clinic manager -------------------------------


def _second_manager(username: str = "manager2", **extra: object) -> User:
    user = UserFactory(username=username, first_name="Mo", is_staff=True, **extra)
    user.groups.add(Group.objects.get(name=Role.MANAGER.value))
    return user


def test_a_manager_demotes_or_deactivates_another_while_one_remains(
    as_manager, manager
):
    other = _second_manager()

    demoted = as_manager.post(
        reverse("staff:role", args=[other.pk]), {"role": "Therapist"}, follow=True
    )
    assert "is now Therapist" in demoted.content.decode()
    assert user_roles(_fresh(other)) == {Role.THERAPIST}

    third = _second_manager(username="manager3")
    as_manager.post(reverse("staff:active", args=[third.pk]), {"active": "0"})
    assert not _fresh(third).is_active
    assert user_roles(_fresh(manager)) == {Role.MANAGER} and _fresh(manager).is_active


def test_the_last_active_manager_is_kept_even_by_a_superuser(admin_client, manager):
    # Another manager who is deactivated does not count.
    _second_manager(is_active=False)

    role = admin_client.post(
        reverse("staff:role", args=[manager.pk]), {"role": "Front desk"}, follow=True
    )
    active = admin_client.post(
        reverse("staff:active", args=[manager.pk]), {"active": "0"}, follow=True
    )

    for response in (role, active):
        assert (
            "is the clinic&#x27;s last active clinic manager"
            in response.content.decode()
        )
    manager = _fresh(manager)
    assert user_roles(manager) == {Role.MANAGER}
    assert manager.is_active and manager.is_staff
    assert not _roles_rows()


def test_the_services_refuse_to_leave_no_manager(admin_user, manager):
    context = AuditContext.system("test")

    with pytest.raises(ValidationError, match="last active clinic manager"):
        staff_set_role(
            user=manager, role=Role.THERAPIST, by=admin_user, context=context
        )
    with pytest.raises(ValidationError, match="last active clinic manager"):
        staff_set_active(user=manager, active=False, by=admin_user, context=context)

    # With a second active manager, either may go.
    _second_manager()
    staff_set_active(user=manager, active=False, by=admin_user, context=context)
    assert not _fresh(manager).is_active


def test_a_manager_who_is_a_superuser_counts_as_a_manager(admin_user, manager):
    admin_user.groups.add(Group.objects.get(name=Role.MANAGER.value))

    staff_set_role(
        user=manager,
        role=Role.FRONT_DESK,
        by=admin_user,
        context=AuditContext.system("test"),
    )

    assert user_roles(_fresh(manager)) == {Role.FRONT_DESK}
