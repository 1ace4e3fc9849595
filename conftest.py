"""Persona fixtures shared by every app's tests (DESIGN.md section 4, point 8)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from massageclinic.roles import Role
from massageclinic.tests.factories import UserFactory
from therapists.tests.factories import TherapistFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production uses the manifest storage, which needs collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _user_with_role(username: str, role: Role, **extra):
    user = UserFactory(username=username, **extra)
    user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def front_desk(db):
    return _user_with_role("frontdesk", Role.FRONT_DESK, first_name="Fiona", last_name="Desk")


@pytest.fixture
def manager(db):
    return _user_with_role("manager", Role.MANAGER, is_staff=True, first_name="Maria")


@pytest.fixture
def therapist(db):
    user = _user_with_role("therapist", Role.THERAPIST, first_name="Tara", last_name="Hands")
    return TherapistFactory(user=user)


@pytest.fixture
def other_therapist(db):
    user = _user_with_role("other", Role.THERAPIST, first_name="Oscar", last_name="Kneads")
    return TherapistFactory(user=user)


@pytest.fixture
def anonymous():
    return AnonymousUser()
