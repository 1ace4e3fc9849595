"""The waitlist page: add with clear messages, list, remove."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory
from sessions.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def _data(client_pk, location_pk, **changes):
    data = {
        "client": client_pk,
        "location": location_pk,
        "duration_minutes": 60,
        "weekdays": ["1", "3"],
        "earliest_time": "09:00",
        "latest_time": "12:00",
        "wanted_from": "2026-12-01",
        "wanted_until": "2026-12-31",
        "note": "Prefers mornings",
    }
    data.update(changes)
    return data


def test_the_desk_adds_and_removes_an_entry(client, front_desk):
    person, location = ClientFactory(first_name="Wanda"), LocationFactory()
    client.force_login(front_desk)
    response = client.post(reverse("sessions:waitlist"), _data(person.pk, location.pk))
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.weekdays == [1, 3] and entry.created_by == front_desk
    page = client.get(reverse("sessions:waitlist")).content.decode()
    assert "Wanda" in page and "Tue, Thu" in page
    client.post(reverse("sessions:waitlist_remove", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.closed_at is not None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"wanted_until": "2026-11-01"}, "The last date is before the first one."),
        ({"latest_time": "08:00"}, "must be later than"),
        ({"duration_minutes": 50}, "in steps of 15 minutes"),
        ({"client": "99999"}, "Select a valid choice"),
        ({"duration_minutes": "9" * 30}, "A visit lasts 15 minutes to 4 hours"),
    ],
)
def test_bad_input_is_a_message_and_adds_nothing(client, front_desk, changes, message):
    client.force_login(front_desk)
    data = _data(ClientFactory().pk, LocationFactory().pk, **changes)
    response = client.post(reverse("sessions:waitlist"), data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not WaitlistEntry.objects.exists()


def test_therapists_do_not_manage_the_waitlist(client, therapist):
    client.force_login(therapist.user)
    assert client.get(reverse("sessions:waitlist")).status_code == 403


def test_the_page_and_the_service_refuse_a_wish_with_the_same_sentences():
    from sessions.scheduling.waitlist import waitlist_entry_problems

    problems = waitlist_entry_problems(
        wanted_from=date(2026, 12, 10),
        wanted_until=date(2026, 12, 1),
        earliest_time=time(12),
        latest_time=time(9),
        duration_minutes=50,
    )
    assert problems == {
        "wanted_until": "The last date is before the first one.",
        "latest_time": "'Not after' must be later than 'not before'.",
        "duration_minutes": "A visit lasts 15 minutes to 4 hours, in steps of 15 minutes.",
    }
    for minutes in (15, 60, 240):
        assert not waitlist_entry_problems(
            wanted_from=None,
            wanted_until=None,
            earliest_time=None,
            latest_time=None,
            duration_minutes=minutes,
        )
    for minutes in (0, 10, 255, 300):
        assert "duration_minutes" in waitlist_entry_problems(
            wanted_from=None,
            wanted_until=None,
            earliest_time=None,
            latest_time=None,
            duration_minutes=minutes,
        )


def test_the_page_does_not_send_the_whole_client_register(client, front_desk):
    """The client is found with the booking form's search, not picked from a list of
    every client (20,000 at a busy practice made the page a megabyte)."""
    for n in range(25):
        ClientFactory(first_name=f"Listed{n}")
    client.force_login(front_desk)
    page = client.get(reverse("sessions:waitlist")).content.decode()
    assert 'name="q"' in page and "Find a client" in page
    assert '<select name="client"' not in page and "Listed" not in page


def test_without_javascript_the_desk_searches_chooses_and_adds(client, front_desk):
    wanda, location = (
        ClientFactory(first_name="Wanda", last_name="Waits"),
        (LocationFactory()),
    )
    client.force_login(front_desk)
    url = reverse("sessions:waitlist")
    typed = _data("", location.pk, note="Mornings only")
    searched = client.post(url, {**typed, "action": "find_client", "q": "Waits"})
    page = searched.content.decode()
    assert searched.status_code == 200 and not WaitlistEntry.objects.exists()
    assert f'name="pick_client" value="{wanda.pk}"' in page
    assert "Mornings only" in page  # what was typed stays
    chosen = client.post(url, {**typed, "pick_client": wanda.pk})
    page = chosen.content.decode()
    assert chosen.status_code == 200 and not WaitlistEntry.objects.exists()
    assert f'<input type="hidden" name="client" value="{wanda.pk}">' in page
    added = client.post(url, _data(wanda.pk, location.pk, note="Mornings only"))
    assert added.status_code == 302
    assert WaitlistEntry.objects.get().client == wanda


def test_adding_without_a_client_says_to_find_one(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("sessions:waitlist"), _data("", LocationFactory().pk)
    )
    assert response.status_code == 400
    assert "Find the client and choose them." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("query", ["\x00abc", "ab\x00", "\x00\x00"])
def test_a_nul_in_the_client_search_is_ignored_not_an_error(client, front_desk, query):
    ClientFactory(first_name="Abcde")
    client.force_login(front_desk)
    data = {**_data("", LocationFactory().pk), "action": "find_client", "q": query}
    assert client.post(reverse("sessions:waitlist"), data).status_code == 200
    assert (
        client.get(reverse("sessions:client_search"), {"q": query}).status_code == 200
    )
