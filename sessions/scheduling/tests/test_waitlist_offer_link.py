"""The page behind a waitlist offer's link: see the time, take it, or be told why not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import time_machine

from clients.tests.factories import ClientFactory
from sessions.messaging.waitlist_offers import offer_token
from sessions.models import Appointment
from sessions.scheduling.rules import visit_end
from sessions.scheduling.tests.waitlist_offer_setup import NOW, SLOT, freed_tuesday
from sessions.scheduling.waitlist import waitlist_close, waitlist_offer_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        yield


def _url(offer) -> str:
    return f"/waitlist-offer/{offer_token(offer)}/"


def _offers(n: int = 2):
    scene = freed_tuesday()
    return [
        waitlist_offer_make(
            entry=scene.wait(ClientFactory()), slot=scene.slot, by=scene.desk, now=NOW
        )
        for _ in range(n)
    ]


def test_opening_the_link_shows_the_time_and_books_nothing(client):
    (offer,) = _offers(1)
    response = client.get(_url(offer))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tuesday, December 1, 2026 at 10:00 AM (EST)" in html
    assert "Take this time" in html and "Ann" in html
    assert "Swedish" not in html  # no clinical detail on the client's page
    assert not Appointment.objects.filter(client=offer.entry.client).exists()


def test_taking_it_books_it_and_the_other_link_then_says_it_is_gone(client):
    first, second = _offers(2)
    response = client.post(_url(first))
    assert response.status_code == 200
    assert "This time is yours" in response.content.decode()
    visit = Appointment.objects.get(client=first.entry.client)
    assert visit.starts_at == SLOT
    again = client.post(_url(first))  # a second tap, or the back button
    assert "This time is yours" in again.content.decode()
    assert Appointment.objects.filter(client=first.entry.client).count() == 1
    gone = client.get(_url(second))
    assert "This time has been taken" in gone.content.decode()
    assert "Take this time" not in gone.content.decode()
    late_tap = client.post(_url(second))
    assert late_tap.status_code == 409
    assert "This time has just been taken" in late_tap.content.decode()


def test_an_expired_offer_says_so(client):
    (offer,) = _offers(1)
    with time_machine.travel(offer.expires_at + timedelta(minutes=1), tick=False):
        for response in (client.get(_url(offer)), client.post(_url(offer))):
            assert response.status_code == 410
            assert "This offer has expired" in response.content.decode()
    assert not Appointment.objects.filter(client=offer.entry.client).exists()


@pytest.mark.parametrize("token", ["nonsense", "eyJvIjoxfQ:1abc:forged", "x" * 300])
def test_a_made_up_link_is_a_clear_page_not_an_error(client, token):
    response = client.get(f"/waitlist-offer/{token}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert client.post(f"/waitlist-offer/{token}/").status_code == 400


def test_a_link_to_a_visit_is_not_an_offer(client):
    from sessions.messaging.links import Action, visit_link_token

    (offer,) = _offers(1)
    token = visit_link_token(appointment=offer.freed, action=Action.CONFIRM)
    assert client.get(f"/waitlist-offer/{token}/").status_code == 400


def test_an_offer_to_a_client_no_longer_waiting_says_it_is_closed(client):
    (offer,) = _offers(1)
    waitlist_close(entry=offer.entry, now=NOW)
    for response in (client.get(_url(offer)), client.post(_url(offer))):
        assert response.status_code == 410
        assert "This offer is closed" in response.content.decode()
    assert not Appointment.objects.filter(client=offer.entry.client).exists()


def test_taking_one_time_closes_the_clients_other_offers(client):
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    other = waitlist_offer_make(
        entry=entry,
        slot=replace(
            scene.slot,
            starts_at=SLOT + timedelta(hours=2),
            ends_at=visit_end(SLOT + timedelta(hours=2), 60),
            freed=None,
        ),
        by=scene.desk,
        now=NOW,
    )
    taken = waitlist_offer_make(entry=entry, slot=scene.slot, by=scene.desk, now=NOW)
    assert "This time is yours" in client.post(_url(taken)).content.decode()
    other.refresh_from_db()
    assert other.state == "expired"
    assert "This offer is closed" in client.get(_url(other)).content.decode()
