"""The clinic policy's client-link lifetime stays between an hour and 90 days: a huge
value overflowed every client link's expiry (a 500), zero or less ended every link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from massageclinic.models import ClinicPolicy, clinic_policy

pytestmark = pytest.mark.django_db

URL_NAME = "admin:clinic_clinicpolicy_change"


def _admin_form(admin_user, policy: ClinicPolicy, **changes):
    """The admin's own form for the policy, as posted with `changes` typed in."""
    model_admin = admin.site._registry[ClinicPolicy]
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    form_class = model_admin.get_form(request, policy)
    unbound = form_class(instance=policy)
    data = {}
    for name in unbound.fields:
        value = unbound[name].value()
        if value is not None:
            data[name] = value
    data.update(changes)
    return form_class(data=data, instance=policy)


@pytest.mark.parametrize(
    "typed",
    ["999999999 00:00:00", "91 00:00:00", "00:59:59", "00:00:00", "-1 00:00:00"],
    ids=["huge", "91-days", "under-an-hour", "zero", "negative"],
)
def test_the_admin_form_refuses_a_lifetime_outside_an_hour_to_90_days(
    admin_user, typed
):
    policy = clinic_policy()
    form = _admin_form(admin_user, policy, client_link_lifetime=typed)

    assert not form.is_valid()
    assert list(form.errors) == ["client_link_lifetime"]


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("01:00:00", timedelta(hours=1)),
        ("90 00:00:00", timedelta(days=90)),
        ("7 00:00:00", timedelta(days=7)),
    ],
)
def test_the_admin_form_keeps_a_lifetime_within_the_bounds(admin_user, typed, saved):
    policy = clinic_policy()
    form = _admin_form(admin_user, policy, client_link_lifetime=typed)

    assert form.is_valid(), form.errors
    assert form.save().client_link_lifetime == saved


@pytest.mark.parametrize("typed", ["999999999 00:00:00", "0"])
def test_the_policy_page_shows_the_error_and_keeps_the_old_value(
    admin_client, admin_user, typed
):
    policy = clinic_policy()
    before = policy.client_link_lifetime
    data = _admin_form(admin_user, policy, client_link_lifetime=typed).data

    response = admin_client.post(reverse(URL_NAME, args=[policy.pk]), data)

    assert response.status_code == 200  # the form again, not a 500 nor a save
    assert "client_link_lifetime" in response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.client_link_lifetime == before
