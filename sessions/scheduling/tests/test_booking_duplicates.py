"""The booking page's quick registration warns of likely duplicates, and the name
typed into the client search is carried into the new-client fields."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.models import Client
from clients.tests.factories import ClientFactory

NOW = datetime(2026, 11, 30, 14, tzinfo=UTC)
QUICK = reverse("sessions:client_quick_add")
SEARCH = reverse("sessions:client_search")
BOOK = reverse("sessions:book")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def grace(db):
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace@example.org",
        date_of_birth=date(1980, 5, 17),
    )


def _quick(**fields):
    return {
        "new-first_name": "Grace",
        "new-last_name": "Okafor-Smith",
        "new-phone": "",
        "new-email": "GRACE@example.org",
        "new-date_of_birth": "",
        **fields,
    }


def _text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.replace("&#x27;", "'"))


def test_registering_someone_already_registered_offers_the_existing_record(desk, grace):
    response = desk.post(QUICK, _quick())
    assert response.status_code == 200
    html = response.content.decode()
    text = _text(response)
    assert "This client may already be registered" in text
    assert "Okafor, Grace" in text and "same email" in text
    assert f"client={grace.pk}" in html  # "Use this client" picks them
    assert 'value="Okafor-Smith"' in html  # nothing typed is lost
    assert "This is a different person" in text
    assert Client.objects.count() == 1


def test_the_same_person_by_birth_date_and_name_or_by_phone(desk, grace):
    by_name = desk.post(
        QUICK,
        _quick(
            **{
                "new-first_name": "grace",
                "new-last_name": "OKAFOR",
                "new-email": "",
                "new-phone": "518 555 0199",
                "new-date_of_birth": "1980-05-17",
            }
        ),
    )
    assert "same birth date and a similar name" in _text(by_name)
    by_phone = desk.post(
        QUICK, _quick(**{"new-email": "", "new-phone": "+1 518.555.0101"})
    )
    assert "same phone" in _text(by_phone)
    assert Client.objects.count() == 1


def test_a_different_person_is_registered_once_ticked(desk, grace):
    response = desk.post(QUICK, _quick(**{"new-different_person": "on"}))
    assert "is registered and chosen" in _text(response)
    assert Client.objects.count() == 2


def test_without_javascript_the_booking_form_warns_the_same_way(desk, grace):
    response = desk.post(BOOK, {"action": "add_client", **_quick()})
    assert "This client may already be registered" in _text(response)
    assert Client.objects.count() == 1


def test_a_searched_name_is_carried_into_the_empty_new_client_fields(desk, db):
    response = desk.get(SEARCH, {"q": "Nora Quinn", "mode": "book"})
    html = response.content.decode()
    assert 'id="quick-add-fields" hx-swap-oob="true"' in html
    assert 'name="new-first_name" value="Nora"' in html
    assert 'name="new-last_name" value="Quinn"' in html
    assert 'name="new-carried" value="Nora|Quinn|||"' in html


def test_a_later_search_replaces_what_was_carried_but_not_what_was_typed(desk, db):
    carried = {
        "q": "Nora Quinn",
        "new-first_name": "Nora",
        "new-last_name": "Quin",
        "new-carried": "Nora|Quin|||",
    }
    html = desk.get(SEARCH, carried).content.decode()
    assert 'name="new-last_name" value="Quinn"' in html
    typed = {**carried, "new-last_name": "Quinton"}
    html = desk.get(SEARCH, typed).content.decode()
    assert "hx-swap-oob" not in html


def test_the_openings_search_carries_nothing(desk, db):
    html = desk.get(SEARCH, {"q": "Nora Quinn", "mode": "openings"}).content.decode()
    assert "hx-swap-oob" not in html
