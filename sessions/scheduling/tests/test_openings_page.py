"""Find the next opening: results by day in local time, each with a link that opens
the booking form filled in, and a form that refuses what cannot be searched."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Condition, Contraindication
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.kept_reference import parts_read_after_a_change
from sessions.models import Appointment
from sessions.scheduling.booking import appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

# Monday 30 November 2026, 08:00 in New York (UTC-5).
NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db

OPENINGS = reverse("sessions:openings")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Maple Room")


def _therapist(location, username, first, weekdays, hours):
    therapist = TherapistFactory(
        user=UserFactory(username=username, first_name=first, last_name="Hands")
    )
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in weekdays:
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=hours[0],
            ends_at=hours[1],
        )
    return therapist


@pytest.fixture
def tara(location):
    # Tuesdays and Thursdays, 09:00-11:00: few openings, easy to read.
    return _therapist(location, "tara", "Tara", (1, 3), (time(9), time(11)))


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def _search(location, **extra):
    return {
        "location": location.pk,
        "modality": modality("swedish").pk,
        "duration": 60,
        **extra,
    }


def _text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    html = html.replace("&#x27;", "'").replace("&amp;", "&")
    return re.sub(r"\s+", " ", html)


def _book_links(response) -> list[str]:
    html = response.content.decode()
    return [
        link.replace("&amp;", "&")
        for link in re.findall(r'href="(/book/\?[^"]+)"', html)
    ]


def _starts(link: str) -> str:
    return parse_qs(urlparse(link).query)["starts"][0]


def test_the_empty_form_shows_no_results(desk, location):
    response = desk.get(OPENINGS)
    assert response.status_code == 200
    text = _text(response)
    assert "Find the next opening" in text
    assert "Next openings" not in text


def test_it_lists_openings_by_day_in_local_time(desk, tara, location, room):
    response = desk.get(OPENINGS, _search(location))
    assert response.status_code == 200
    text = _text(response)
    assert "Tuesday, December 1" in text
    assert "Thursday, December 3" in text
    assert "9:00 AM Tara Hands Maple Room" in text
    assert "America/New_York" in text
    # 09:00-11:00, 60 minutes, 15-minute steps: 09:00, 09:15, 09:30, 09:45, 10:00.
    assert len(_book_links(response)) == 20
    assert text.index("Tuesday, December 1") < text.index("Thursday, December 3")


def test_each_opening_links_to_the_booking_form_filled_in(desk, tara, location, room):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    response = desk.get(OPENINGS, _search(location, client=grace.pk))
    link = _book_links(response)[0]
    params = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    assert params == {
        "location": str(location.pk),
        "therapist": str(tara.pk),
        "room": str(room.pk),
        "starts": "2026-12-01T09:00",
        "modality": str(modality("swedish").pk),
        "duration": "60",
        "client": str(grace.pk),
    }
    form = desk.get(link)
    html = form.content.decode()
    assert f'name="client" value="{grace.pk}"' in html
    assert f'<option value="{tara.pk}" selected>Tara Hands</option>' in html
    assert f'<option value="{room.pk}" selected>Maple Room</option>' in html
    assert 'value="2026-12-01"' in html

    booked = desk.post(
        reverse("sessions:book"),
        {
            **params,
            "action": "book",
            "place": "room",
            "day": "2026-12-01",
            "start_time": "09:00",
        },
    )
    assert booked.status_code == 302
    visit = Appointment.objects.get()
    assert visit.starts_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_it_honours_days_times_visits_and_the_chosen_therapist(
    desk, tara, location, room
):
    oscar = _therapist(location, "oscar", "Oscar", (3,), (time(13), time(15)))
    appointment_book(
        client=ClientFactory(),
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=datetime(2026, 12, 3, 14, 0, tzinfo=UTC),  # Thu 09:00-10:00
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    response = desk.get(
        OPENINGS,
        _search(location, weekdays=["3"], earliest="09:00", latest="10:00"),
    )
    starts = [_starts(link) for link in _book_links(response)]
    assert starts[:2] == ["2026-12-03T10:00", "2026-12-10T09:00"]  # 09:00 is taken
    assert all(
        datetime.fromisoformat(s).weekday() == 3 and s[-5:] <= "10:00" for s in starts
    )
    assert "Oscar" not in _text(response).split("Next openings")[1]

    only_oscar = desk.get(OPENINGS, _search(location, therapist=oscar.pk))
    results = _text(only_oscar).split("Next openings")[1]
    assert "1:00 PM Oscar Hands" in results
    assert "Tara" not in results


def test_no_opening_says_so(desk, location, room):
    response = desk.get(OPENINGS, _search(location))
    assert "No opening in the next 3 weeks" in _text(response)


@pytest.mark.parametrize(
    ("extra", "sentence"),
    [
        ({"earliest": "15:00", "latest": "09:00"}, "The latest start must not be"),
        ({"duration": "7"}, "Choose a length of 30, 45, 60 or 90 minutes."),
        ({"modality": "abc"}, "That modality is not offered"),
        ({"weekdays": ["9"]}, "Choose days from Monday to Sunday."),
        ({"earliest": "noon"}, "Enter a valid time."),
        ({"client": "999999"}, "That client was not found."),
    ],
)
def test_bad_search_input_is_a_form_error(desk, tara, location, extra, sentence):
    response = desk.get(OPENINGS, _search(location, **extra))
    assert response.status_code == 400
    assert sentence in _text(response)


def test_a_room_of_another_location_is_refused(desk, tara, location):
    elsewhere = RoomFactory(location=LocationFactory(name="Uptown"), name="Far Room")
    response = desk.get(OPENINGS, _search(location, room=elsewhere.pk))
    assert response.status_code == 400
    assert "Far Room is not at Riverside." in _text(response)


def test_a_client_carried_into_the_search_is_shown(desk, tara, location, room):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    response = desk.get(OPENINGS, _search(location, client=grace.pk))
    text = _text(response)
    assert "Grace Okafor" in text
    assert "filled in for Grace Okafor" in text


def test_a_technique_ruled_out_for_the_client_says_why_and_offers_none(
    desk, location, room
):
    therapist = _therapist(location, "dee", "Dee", range(5), (time(9), time(17)))
    Training.objects.create(therapist=therapist, modality=modality("deep-tissue"))
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    condition = Condition.objects.get(slug="anticoagulants")
    Contraindication.objects.create(
        client=grace, condition=condition, severity=condition.default_severity
    )
    deep = _search(location, client=grace.pk, modality=modality("deep-tissue").pk)
    text = _text(desk.get(OPENINGS, deep))
    assert "Deep tissue is not for Grace Okafor: no deep tissue: anticoagulant." in text
    assert "Swedish" in text.split("Techniques the rules allow for Grace Okafor:")[1]
    assert _book_links(desk.get(OPENINGS, deep)) == []
    swedish = desk.get(OPENINGS, _search(location, client=grace.pk))
    assert "is not for Grace Okafor" not in _text(swedish)
    assert _book_links(swedish)


# Session, user and roles, the reference data's version, the clinic's policy, and
# the time off and visits of the days searched.
SEARCH_QUERIES = 7
# Every part of the reference data, the first time after a change.
SEARCH_REFERENCE_READS = parts_read_after_a_change()


def test_the_search_makes_a_fixed_number_of_queries(
    desk, location, room, django_assert_num_queries
):
    # The rule engine reads trainings, hours, time off and visits once for all
    # therapists and rooms: the count is the same for 2 therapists as for 6.
    # The form's lists and the therapists' hours and trainings are reference data
    # kept by the process (massageclinic.reference): one statement for their
    # version, and each read again only on the first search after they change.
    search = _search(location)
    desk.get(OPENINGS)  # warm the session
    for n in range(2):
        _therapist(location, f"t{n}", f"T{n}", range(5), (time(9), time(17)))
        RoomFactory(location=location, name=f"Room {n}")
    with django_assert_num_queries(SEARCH_QUERIES + SEARCH_REFERENCE_READS):
        response = desk.get(OPENINGS, search)
    assert len(_book_links(response)) == 20
    with django_assert_num_queries(SEARCH_QUERIES):
        response = desk.get(OPENINGS, search)
    assert len(_book_links(response)) == 20
    for n in range(2, 6):
        _therapist(location, f"t{n}", f"T{n}", range(5), (time(9), time(17)))
        RoomFactory(location=location, name=f"Room {n}")
    with django_assert_num_queries(SEARCH_QUERIES + SEARCH_REFERENCE_READS):
        response = desk.get(OPENINGS, search)
    assert response.status_code == 200
    assert len(_book_links(response)) == 20
    with django_assert_num_queries(SEARCH_QUERIES):
        response = desk.get(OPENINGS, search)
    assert len(_book_links(response)) == 20


def test_the_search_forms_lists_are_read_in_one_statement_each(desk, location):
    """The selects (techniques, therapists, rooms, locations) are short lists: read
    whole, never through a server-side cursor (DECLARE, FETCH, CLOSE)."""
    _therapist(location, "t0", "T0", range(5), (time(9), time(17)))
    for url, query in (
        (OPENINGS, _search(location)),
        (reverse("sessions:book"), {}),
        (reverse("sessions:series_new"), {}),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = desk.get(url, query)
        assert response.status_code == 200
        assert "T0" in response.content.decode()
        cursors = [q["sql"] for q in queries if q["sql"].startswith("DECLARE")]
        assert cursors == [], url


def test_a_therapist_may_not_search_openings(client, therapist):
    client.force_login(therapist.user)
    assert client.get(OPENINGS).status_code == 403


def test_the_openings_page_links_to_booking_and_back(desk, location):
    html = desk.get(OPENINGS).content.decode()
    assert f'href="{reverse("sessions:book")}"' in html
    book = desk.get(reverse("sessions:book")).content.decode()
    assert f'href="{OPENINGS}"' in book


def test_the_days_of_the_results_are_local(client, front_desk, location, room):
    # 23:00 in New York on Monday is already Tuesday in UTC: results start Monday.
    _therapist(location, "nia", "Nia", range(7), (time(0), time(23, 45)))
    search = _search(location, duration=30)
    with time_machine.travel(datetime(2026, 12, 1, 4, 0, tzinfo=UTC), tick=False):
        client.force_login(front_desk)
        response = client.get(OPENINGS, search)
    text = _text(response)
    assert "Monday, November 30" in text
    assert _starts(_book_links(response)[0]) == "2026-11-30T23:00"
