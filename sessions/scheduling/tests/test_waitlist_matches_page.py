"""The waitlist page's matches (freed slots and next openings) and "Offer to client"."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import ClientFactory
from sessions.models import OutboundMessage, WaitlistOffer
from sessions.scheduling.booking import appointment_book, appointment_cancel
from sessions.scheduling.tests.waitlist_offer_setup import (
    NOW,
    SLOT,
    block_all_massage,
    freed_tuesday,
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

WAITLIST = "/waitlist/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _slot_fields(scene) -> dict:
    return {
        "therapist": scene.ann.pk,
        "location": scene.location.pk,
        "room": scene.room.pk,
        "starts_at": SLOT.isoformat(),
        "freed": scene.freed.pk,
    }


def _times(html: str) -> list[tuple[str, str]]:
    times = re.findall(r"(Freed|Opening)</span>\s*<span[^>]*>([^<]+)<", html)
    return [(kind, when.split(" · ")[0]) for kind, when in times]


def test_each_entry_lists_the_freed_slot_and_its_openings_on_request(
    client, front_desk
):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(
        ClientFactory(first_name="Wanda", last_name="Waits"),
        modality=modality("swedish"),
        weekdays=[1],
    )
    client.force_login(front_desk)
    html = unescape(client.get(WAITLIST).content.decode())
    # The list: the freed time (cheap: one matcher for the page), and a link to
    # the entry's own search (tens of milliseconds each at a busy practice).
    assert _times(html) == [("Freed", "Tue 1 Dec, 10:00")]
    openings = reverse("sessions:waitlist_entry_openings", args=[entry.pk])
    assert f'hx-get="{openings}?page=1"' in html
    book = re.search(r'href="(/book/\?[^"]+)">Book now', html).group(1)
    assert f"waitlist={entry.pk}" in book and "starts=2026-12-01T10%3A00" in book
    assert f"room={scene.room.pk}" in book and f"client={entry.client_id}" in book

    partial = unescape(
        client.get(openings, {"page": 1}, HTTP_HX_REQUEST="true").content.decode()
    )
    assert _times(partial) == [
        ("Freed", "Tue 1 Dec, 10:00"),
        ("Opening", "Tue 1 Dec, 09:00"),
        ("Opening", "Tue 1 Dec, 09:15"),
    ]
    assert partial.count("Offer to client") == 3 and "<html" not in partial
    page = client.get(openings).content.decode()  # without JavaScript: a page
    assert "<html" in page and "Times for Wanda Waits" in page


def test_an_entrys_openings_are_the_desks_and_a_closed_entry_has_none(
    client, front_desk, therapist
):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(ClientFactory(), modality=modality("swedish"))
    openings = reverse("sessions:waitlist_entry_openings", args=[entry.pk])
    client.force_login(therapist.user)
    assert client.get(openings).status_code == 403
    client.force_login(front_desk)
    assert client.get(openings, {"page": "x" * 50}).status_code == 200
    entry.closed_at = NOW
    entry.save()
    assert client.get(openings).status_code == 404


def test_a_client_blocked_for_all_massage_gets_no_matches(client, front_desk):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(ClientFactory(first_name="Bea"), modality=modality("swedish"))
    block_all_massage(entry.client, front_desk)
    client.force_login(front_desk)
    html = client.get(WAITLIST).content.decode()
    assert "Bea" in html and "Offer to client" not in html
    assert "No free time fits yet" in html


def test_the_desk_offers_a_freed_slot_by_email(client, front_desk):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(ClientFactory(first_name="Wanda", last_name="Waits"))
    client.force_login(front_desk)
    url = reverse("sessions:waitlist_offer", args=[entry.pk])
    response = client.post(url, _slot_fields(scene), follow=True)
    html = response.content.decode()
    assert "Offered Tue 1 Dec, 10:00 to Wanda Waits" in html
    assert html.count("Offered, awaiting the reply") == 1
    offer = WaitlistOffer.objects.get()
    assert offer.entry == entry and offer.freed == scene.freed
    assert offer.modality == modality("swedish")  # the freed visit's, none asked
    assert OutboundMessage.objects.filter(waitlist_offer=offer).count() == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": "tomorrow"},
        {"starts_at": "2026-12-01T15:00:00"},  # no zone
        {"therapist": "x"},
        {"location": "99999"},
        {"freed": "99999"},
        {"freed": "", "room": ""},
        {"therapist": "9" * 30},
        {"freed": "9" * 30},
        {"freed": "", "room": "9" * 30},
        {"starts_at": "2026-13-45T15:00:00+00:00"},
        {"starts_at": "2026-12-01T15:00:00+00:00\r\nX: y", "page": "1\r\nX: y"},
        {"starts_at": "9999-12-31T23:30:00+00:00"},  # its end overflowed: a 500
        {"starts_at": "0001-01-01T00:00:00+05:00"},
    ],
)
def test_a_garbled_offer_is_a_message_and_offers_nothing(client, front_desk, changes):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(ClientFactory())
    client.force_login(front_desk)
    url = reverse("sessions:waitlist_offer", args=[entry.pk])
    response = client.post(url, {**_slot_fields(scene), **changes}, follow=True)
    assert response.status_code == 200
    assert "That time was not understood" in response.content.decode()
    assert not WaitlistOffer.objects.exists()


def test_offering_a_blocked_client_by_hand_is_refused(client, front_desk):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(ClientFactory())
    block_all_massage(entry.client, front_desk)
    client.force_login(front_desk)
    url = reverse("sessions:waitlist_offer", args=[entry.pk])
    response = client.post(url, _slot_fields(scene), follow=True)
    assert "cannot be offered this time" in response.content.decode()
    assert not WaitlistOffer.objects.exists()


def test_only_the_desk_and_the_manager_offer(client, therapist, manager):
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    url = reverse("sessions:waitlist_offer", args=[entry.pk])
    client.force_login(therapist.user)
    assert client.post(url, _slot_fields(scene)).status_code == 403
    assert client.get(WAITLIST).status_code == 403
    client.force_login(manager)
    assert client.post(url, _slot_fields(scene)).status_code == 302
    assert WaitlistOffer.objects.count() == 1


def _entries(scene, n: int) -> None:
    for _ in range(n):
        scene.wait(ClientFactory(), modality=modality("swedish"), weekdays=[1])


def test_the_page_query_count_does_not_grow_with_the_entries(
    client, front_desk, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scene = freed_tuesday(front_desk)
    client.force_login(front_desk)
    _entries(scene, 12)
    with CaptureQueriesContext(connection) as twelve:
        assert client.get(WAITLIST).status_code == 200
    _entries(scene, 18)
    with django_assert_max_num_queries(len(twelve)):
        html = client.get(WAITLIST).content.decode()
    assert "Page 1 of 3" in html and "for the 10 clients on this page" in html


def test_the_page_query_count_does_not_grow_with_the_freed_slots(
    client, front_desk, django_assert_max_num_queries
):
    """Every freed slot is judged on one load of entries, schedule and flags."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scene = freed_tuesday(front_desk)
    _entries(scene, 3)
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as one_slot:
        html = unescape(client.get(WAITLIST).content.decode())
    assert _times(html).count(("Freed", "Tue 1 Dec, 10:00")) == 3
    for hour in (11, 13, 14):  # three more of Ann's Tuesday visits, cancelled
        visit = appointment_book(
            client=ClientFactory(),
            therapist=scene.ann,
            modality=modality("swedish"),
            location=scene.location,
            room=scene.room,
            starts_at=SLOT.replace(hour=15 + hour - 10),
            duration_minutes=60,
            booked_by=front_desk,
            now=NOW,
        )
        appointment_cancel(appointment=visit, by=front_desk, reason="sick", now=NOW)
    with django_assert_max_num_queries(len(one_slot)):
        html = unescape(client.get(WAITLIST).content.decode())
    # Each client is offered their first three fits: 10:00, 11:00 and 13:00.
    assert _times(html).count(("Freed", "Tue 1 Dec, 13:00")) == 3
    assert ("Freed", "Tue 1 Dec, 14:00") not in _times(html)


def test_the_second_page_has_its_own_matches(client, front_desk):
    scene = freed_tuesday(front_desk)
    _entries(scene, 11)
    client.force_login(front_desk)
    html = client.get(WAITLIST, {"page": 2}).content.decode()
    assert "Page 2 of 2" in html and html.count("Offer to client") == 1
    assert client.get(WAITLIST, {"page": "x" * 40}).status_code == 200


def test_an_offer_expires_with_the_slot_if_that_is_sooner(client, front_desk):
    scene = freed_tuesday(front_desk)
    entry = scene.wait(ClientFactory())
    with time_machine.travel(SLOT - timedelta(hours=2), tick=False):
        client.force_login(front_desk)
        response = client.post(
            reverse("sessions:waitlist_offer", args=[entry.pk]),
            _slot_fields(scene),
            follow=True,
        )
    assert "Offered" in response.content.decode()
    assert WaitlistOffer.objects.get().expires_at == SLOT
