"""The staff page in a real Chromium, as the clinic manager uses it: add a therapist,
then make the front desk a clinic manager (issue 11)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from massageclinic.models import AuditEvent
from massageclinic.roles import Role, user_roles
from massageclinic.tests.factories import UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

# The first password box ("Initial password", and the asterisk of a required field),
# not the second ("Initial password again").
FIRST_PASSWORD = re.compile(r"Initial password\W*$")


def _staff(username: str, role: Role, **fields) -> User:
    user = UserFactory(username=username, **fields)
    user.groups.add(Group.objects.get(name=role.value))
    return user


def test_a_manager_adds_a_therapist_and_changes_a_role(page, screenshot):
    _staff("maria", Role.MANAGER, first_name="Maria", last_name="Lopez", is_staff=True)
    _staff("fiona", Role.FRONT_DESK, first_name="Fiona", last_name="Desk")
    UserFactory(username="root", first_name="Sam", last_name="Root", is_superuser=True)

    sign_in_through_the_page(page, "maria")
    page.get_by_role("button", name="Manage").click()
    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    expect(page.get_by_label("Role of Fiona Desk")).to_have_value("Front desk")
    # A superuser's account is not changed here.
    expect(page.get_by_label("Role of Sam Root")).to_have_count(0)
    screenshot("staff-list")

    page.get_by_role("link", name="Add a staff member").click()
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Reyes")
    page.get_by_label("Email address").fill("nina.reyes@example.org")
    page.get_by_label("Username").fill("nreyes")
    expect(page.get_by_role("radio")).to_have_count(3)
    page.get_by_role("radio", name="Therapist").check()
    page.get_by_label(FIRST_PASSWORD).fill("nina")
    page.get_by_label("Initial password again").fill("nina")
    page.get_by_role("button", name="Add staff member").click()
    expect(page.get_by_text("This password is too short.")).to_be_visible()
    screenshot("staff-add-refused")
    page.get_by_label(FIRST_PASSWORD).fill("lavender tide 2041")
    page.get_by_label("Initial password again").fill("lavender tide 2041")
    page.get_by_role("button", name="Add staff member").click()

    expect(page.get_by_text("Added Nina Reyes as Therapist.")).to_be_visible()
    expect(
        page.get_by_role("status").get_by_role(
            "link", name="Add their therapist profile"
        )
    ).to_be_visible()
    expect(page.get_by_label("Role of Nina Reyes")).to_have_value("Therapist")

    page.get_by_label("Role of Fiona Desk").select_option("Clinic manager")
    page.get_by_role("button", name="Change role of Fiona Desk").click()
    expect(page.get_by_text("Fiona Desk is now Clinic manager.")).to_be_visible()
    expect(page.get_by_label("Role of Fiona Desk")).to_have_value("Clinic manager")
    page.get_by_role("button", name="Deactivate Nina Reyes").click()
    expect(page.get_by_text("Nina Reyes is deactivated")).to_be_visible()
    screenshot("staff-role-changed")

    nina = User.objects.get(username="nreyes")
    fiona = User.objects.get(username="fiona")
    assert user_roles(nina) == {Role.THERAPIST} and not nina.is_active
    assert user_roles(fiona) == {Role.MANAGER} and fiona.is_staff
    assert not fiona.is_superuser
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLES).count() == 3
