"""Tampered ids and impossible dates give a message or a 4xx, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

TAMPERED = ["²", "٣", "9" * 30, "-1", "1e3", "abc"]


@pytest.mark.parametrize("value", TAMPERED)
@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("sessions:day", "location"),
        ("sessions:week", "room"),
        ("sessions:week", "therapist"),
        ("sessions:book", "client"),
        ("sessions:book", "location"),
        ("sessions:openings", "client"),
        ("sessions:series_new", "plan"),
        ("sessions:series_new", "client"),
    ],
)
def test_a_tampered_id_in_the_address_is_not_a_500(
    client, front_desk, name, param, value
):
    LocationFactory()
    client.force_login(front_desk)
    response = client.get(reverse(name), {param: value})
    assert response.status_code < 500


@pytest.mark.parametrize("value", TAMPERED)
def test_a_tampered_referral_id_on_a_new_plan_is_not_a_500(client, therapist, value):
    person = ClientFactory()
    client.force_login(therapist.user)
    url = reverse("sessions:plan_new", args=[person.pk])
    assert client.get(url, {"referral": value}).status_code < 500


def test_a_superbill_period_in_year_one_is_a_form_error(client, front_desk):
    person = ClientFactory()
    client.force_login(front_desk)
    url = reverse("sessions:client_superbill", args=[person.pk])
    response = client.get(url, {"from": "0001-01-01", "to": "0001-02-01"})
    assert response.status_code == 400
    assert "between 2000 and 2100" in response.content.decode()
