"""The booking page: pre-filled from a link, every refusal on the form, confirmations,
registering a client on the way, finding a client, and bad input that changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.models import (
    Authorization,
    Client,
    Condition,
    InsurancePolicy,
    Payer,
)
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, AppointmentEvent, Place, WaitlistEntry
from sessions.scheduling.booking import appointment_book, appointment_cancel
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

# Monday 30 November 2026, 08:00 in New York (UTC-5).
NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 local

pytestmark = pytest.mark.django_db

BOOK = reverse("sessions:book")


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


def _therapist(location, username, first, last, slugs=("swedish", "deep-tissue")):
    therapist = TherapistFactory(
        user=UserFactory(username=username, first_name=first, last_name=last)
    )
    for slug in slugs:
        Training.objects.create(therapist=therapist, modality=modality(slug))
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
    return therapist


@pytest.fixture
def tara(location):
    return _therapist(location, "tara", "Tara", "Hands")


@pytest.fixture
def grace():
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace@example.org",
        date_of_birth=date(1980, 5, 17),
        address_line1="12 Elm Street",
        city="Albany",
        state="NY",
        postal_code="12207",
    )


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def _post(who, whom, at, default_room, **overrides):
    data = {
        "action": "book",
        "client": whom.pk,
        "location": at.pk,
        "modality": modality("swedish").pk,
        "duration": 60,
        "therapist": who.pk,
        "place": Place.ROOM,
        "room": default_room.pk,
        "day": "2026-12-01",
        "start_time": "10:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _text(response) -> str:
    """The page's text with tags dropped and spaces collapsed (to read sentences)."""
    html = response.content.decode()
    html = re.sub(r"<[^>]+>", " ", html)
    html = html.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    return re.sub(r"\s+", " ", html)


# --- GET: the form pre-filled from a link -------------------------------------------


def test_a_calendar_cell_prefills_therapist_time_location_and_a_free_room(
    desk, tara, location, room
):
    taken = RoomFactory(location=location, name="Aspen Room")
    other = _therapist(location, "oscar", "Oscar", "Kneads")
    appointment_book(
        client=ClientFactory(),
        therapist=other,
        modality=modality("swedish"),
        location=location,
        room=taken,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    response = desk.get(
        BOOK,
        {"location": location.pk, "therapist": tara.pk, "starts": "2026-12-01T10:00"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{tara.pk}" selected>Tara Hands</option>' in html
    assert 'value="2026-12-01"' in html
    assert 'value="10:00"' in html
    assert f'<option value="{room.pk}" selected>Maple Room</option>' in html
    assert "Aspen Room (taken then)" in html
    assert "America/New_York" in html


def test_a_waitlist_link_prefills_client_modality_length_and_shows_alerts(
    desk, front_desk, tara, location, room, grace
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    entry = WaitlistEntry.objects.create(
        client=grace,
        location=location,
        modality=modality("deep-tissue"),
        duration_minutes=75,
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=front_desk,
    )
    response = desk.get(
        BOOK,
        {
            "location": location.pk,
            "therapist": tara.pk,
            "room": room.pk,
            "starts": "2026-12-01T10:00",
            "client": grace.pk,
            "modality": modality("deep-tissue").pk,
            "duration": 75,
            "waitlist": entry.pk,
        },
    )
    html = response.content.decode()
    assert f'name="client" value="{grace.pk}"' in html
    assert f'name="waitlist" value="{entry.pk}"' in html
    assert '<option value="75" selected>75 minutes</option>' in html
    assert "gua sha: anticoagulant medication" in html
    assert "Booking from the waitlist" in html


def test_the_therapist_list_offers_only_trained_active_and_licensed_therapists(
    desk, tara, location
):
    _therapist(location, "una", "Una", "Untrained", slugs=("swedish",))
    expired = _therapist(location, "eve", "Eve", "Expired")
    expired.license_expires_on = date(2026, 11, 30)
    expired.save()
    resting = _therapist(location, "ina", "Ina", "Inactive")
    resting.is_active = False
    resting.save()
    response = desk.get(
        reverse("sessions:book_choices"),
        {
            "location": location.pk,
            "modality": modality("deep-tissue").pk,
            "day": "2026-12-01",
            "start_time": "10:00",
            "duration": "60",
            "place": "room",
        },
    )
    html = response.content.decode()
    assert "Tara Hands" in html
    for name in ("Una Untrained", "Eve Expired", "Ina Inactive"):
        assert name not in html


def test_changing_the_modality_says_why_the_chosen_therapist_no_longer_fits(
    desk, tara, location
):
    response = desk.get(
        reverse("sessions:book_choices"),
        {
            "location": location.pk,
            "modality": modality("cupping").pk,
            "day": "2026-12-01",
            "therapist": tara.pk,
        },
    )
    assert "Tara Hands does not offer this modality" in _text(response)


def test_a_home_visit_needs_no_room_and_says_travel_is_blocked(desk, location):
    response = desk.get(
        reverse("sessions:book_choices"), {"location": location.pk, "place": "home"}
    )
    text = _text(response)
    assert "30 minutes before and after the visit are blocked" in text
    assert 'name="room"' not in response.content.decode()


def test_the_booking_page_makes_a_fixed_number_of_queries(
    desk, tara, location, room, grace, front_desk, django_assert_num_queries
):
    for n in range(5):
        RoomFactory(location=location, name=f"Room {n}")
        _therapist(location, f"t{n}", f"T{n}", "Extra")
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    params = {
        "location": location.pk,
        "therapist": tara.pk,
        "starts": "2026-12-01T10:00",
        "client": grace.pk,
        "modality": modality("swedish").pk,
    }
    desk.get(BOOK, params)  # warm the session and the clinic policy
    with django_assert_num_queries(14):
        response = desk.get(BOOK, params)
    assert response.status_code == 200


# --- POST: booking --------------------------------------------------------------------


def test_it_books_and_opens_the_visit(desk, front_desk, tara, grace, location, room):
    response = desk.post(BOOK, _post(tara, grace, location, room), follow=True)
    visit = Appointment.objects.get()
    assert response.redirect_chain == [
        (reverse("sessions:visit", args=[visit.pk]), 302)
    ]
    assert visit.starts_at == TUESDAY_10AM
    assert visit.ends_at == TUESDAY_10AM + timedelta(hours=1)
    assert (visit.client, visit.therapist, visit.room) == (grace, tara, room)
    assert visit.booked_by == front_desk
    assert (
        "Booked Grace Okafor with Tara Hands: Tue Dec 1, 10:00 AM–11:00 AM (Maple Room)."
        in _text(response)
    )


def test_a_manager_books_too(client, manager, tara, grace, location, room):
    client.force_login(manager)
    response = client.post(BOOK, _post(tara, grace, location, room))
    assert response.status_code == 302
    assert Appointment.objects.count() == 1


def test_a_home_visit_books_without_a_room(desk, tara, grace, location, room):
    response = desk.post(
        BOOK, _post(tara, grace, location, room, place=Place.HOME, room=room.pk)
    )
    assert response.status_code == 302
    visit = Appointment.objects.get()
    assert visit.room is None
    assert visit.visit_address.startswith("12 Elm Street")


def test_a_clinic_visit_without_a_room_asks_for_one(desk, tara, grace, location, room):
    response = desk.post(BOOK, _post(tara, grace, location, room, room=""))
    assert response.status_code == 400
    assert "Choose a room for a visit at the clinic." in _text(response)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        (
            {"start_time": "17:00"},
            "17:00-18:00 is outside Tara Hands's hours at Riverside on Tuesdays "
            "(09:00-17:00).",
        ),
        ({"day": "2026-12-05"}, "Tara Hands does not work at Riverside on Saturdays."),
        ({"modality": "cupping"}, "Tara Hands does not offer Cupping."),
        ({"day": "2026-11-23"}, "is in the past: choose a time from now on."),
    ],
)
def test_each_refusal_is_a_sentence_on_the_form_and_keeps_what_was_typed(
    desk, tara, grace, location, room, overrides, sentence
):
    if overrides.get("modality") == "cupping":
        overrides["modality"] = modality("cupping").pk
    response = desk.post(BOOK, _post(tara, grace, location, room, **overrides))
    assert response.status_code == 400
    text = _text(response)
    assert "The visit was not booked" in text
    assert sentence in text
    html = response.content.decode()
    assert f'name="client" value="{grace.pk}"' in html
    assert f'value="{overrides.get("day", "2026-12-01")}"' in html
    assert not Appointment.objects.exists()


def test_an_expired_license_is_refused(desk, tara, grace, location, room):
    tara.license_expires_on = date(2026, 11, 30)
    tara.save()
    response = desk.post(BOOK, _post(tara, grace, location, room))
    assert "Tara Hands's license expired on 30 Nov 2026" in _text(response)
    assert not Appointment.objects.exists()


def test_an_overlap_names_the_conflicting_visit(desk, tara, grace, location, room):
    henry = ClientFactory(first_name="Henry", last_name="Walsh")
    desk.post(BOOK, _post(tara, henry, location, room))
    response = desk.post(BOOK, _post(tara, grace, location, room, start_time="10:30"))
    assert response.status_code == 400
    assert (
        "Tara Hands is already booked then: Henry Walsh with Tara Hands, "
        "Tue 01 Dec 10:00-11:00 (Maple Room)." in _text(response)
    )
    assert Appointment.objects.count() == 1


def test_a_lost_race_shows_the_conflict_on_the_form(
    desk, tara, grace, location, room, monkeypatch
):
    henry = ClientFactory(first_name="Henry", last_name="Walsh")
    desk.post(BOOK, _post(tara, henry, location, room))
    # The other desk checked before the first one saved: skip the friendly check.
    monkeypatch.setattr(
        "sessions.scheduling.booking.scheduling_problems", lambda *a, **k: []
    )
    response = desk.post(BOOK, _post(tara, grace, location, room))
    assert response.status_code == 400
    assert "Tara Hands is already booked then: Henry Walsh" in _text(response)
    assert Appointment.objects.count() == 1


def test_an_absolute_contraindication_blocks_without_a_confirmation(
    desk, front_desk, tara, grace, location, room
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=front_desk,
    )
    response = desk.post(BOOK, _post(tara, grace, location, room))
    text = _text(response)
    assert "no massage until cleared: DVT history" in text
    assert "I have read the safety alerts" not in text
    assert not Appointment.objects.exists()


# --- Confirmations: safety alerts and authorization --------------------------------


@pytest.fixture
def anticoagulant(grace, front_desk):
    return contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )


def test_a_safety_alert_must_be_read_and_acknowledged(
    desk, tara, grace, location, room, anticoagulant
):
    deep = modality("swedish").pk
    first = desk.post(BOOK, _post(tara, grace, location, room, modality=deep))
    assert first.status_code == 200
    text = _text(first)
    assert "Safety alerts for this visit" in text
    assert "no firm or deep pressure: anticoagulant" in text
    assert "I have read the safety alerts" in text
    assert "The visit was not booked" not in text
    assert not Appointment.objects.exists()

    shown = {"shown_safety": "no firm or deep pressure: anticoagulant"}
    unticked = desk.post(
        BOOK, _post(tara, grace, location, room, modality=deep, **shown)
    )
    assert unticked.status_code == 400
    assert "Tick the box to confirm you have read the safety alerts." in _text(unticked)
    assert not Appointment.objects.exists()

    ticked = desk.post(
        BOOK,
        _post(
            tara,
            grace,
            location,
            room,
            modality=deep,
            acknowledge_safety="on",
            **shown,
        ),
    )
    assert ticked.status_code == 302
    visit = Appointment.objects.get()
    assert visit.safety_acknowledgement == "no firm or deep pressure: anticoagulant"
    assert visit.events.filter(kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED).exists()


def test_a_tick_for_other_alerts_does_not_confirm_new_ones(
    desk, tara, grace, location, room, anticoagulant
):
    response = desk.post(
        BOOK,
        _post(
            tara,
            grace,
            location,
            room,
            modality=modality("swedish").pk,
            acknowledge_safety="on",
            shown_safety="something else",
        ),
    )
    assert "The safety alerts changed" in _text(response)
    assert not Appointment.objects.exists()


def test_a_technique_the_rules_rule_out_is_refused_whatever_the_desk_ticks(
    desk, tara, grace, location, room, anticoagulant
):
    response = desk.post(
        BOOK,
        _post(
            tara,
            grace,
            location,
            room,
            modality=modality("deep-tissue").pk,
            acknowledge_safety="on",
            shown_safety="no deep tissue: anticoagulant",
        ),
    )
    text = _text(response)
    assert response.status_code == 400
    assert "Deep tissue is not for Grace Okafor: no deep tissue: anticoagulant." in text
    # Tara practises Swedish and deep tissue: the sentence offers hers the rules allow.
    assert (
        "Techniques the rules allow for Grace Okafor that Tara Hands practises: "
        "Swedish." in text
    )
    assert not Appointment.objects.exists()


@pytest.fixture
def one_visit_authorized(grace, tara, location, room):
    policy = InsurancePolicy.objects.create(
        client=grace, payer=Payer.objects.create(name="Aetna"), member_id="W123"
    )
    Authorization.objects.create(
        policy=policy,
        number="A-77",
        visits_authorized=1,
        valid_from=date(2026, 11, 1),
        valid_to=date(2026, 12, 31),
    )
    appointment_book(
        client=grace,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )


def test_beyond_the_authorization_needs_a_reason_and_shows_the_numbers(
    desk, tara, grace, location, room, one_visit_authorized
):
    warning = "This would be visit 2 of 1 authorized (Aetna, authorization A-77)."
    wednesday = _post(tara, grace, location, room, day="2026-12-02")
    first = desk.post(BOOK, wednesday)
    assert first.status_code == 200
    assert warning in _text(first)
    assert "Reason for overriding" in _text(first)

    no_reason = desk.post(BOOK, {**wednesday, "shown_authorization": warning})
    assert no_reason.status_code == 400
    assert "Give a reason for booking beyond the authorization." in _text(no_reason)
    assert Appointment.objects.count() == 1

    booked = desk.post(
        BOOK,
        {
            **wednesday,
            "shown_authorization": warning,
            "override_reason": "Extension requested",
        },
    )
    assert booked.status_code == 302
    visit = Appointment.objects.latest("starts_at")
    assert visit.authorization_override_reason == "Extension requested"


def test_a_later_error_keeps_the_typed_override_reason(
    desk, tara, grace, location, room, one_visit_authorized
):
    warning = "This would be visit 2 of 1 authorized (Aetna, authorization A-77)."
    response = desk.post(
        BOOK,
        _post(
            tara,
            grace,
            location,
            room,
            day="2026-12-02",
            start_time="18:00",
            shown_authorization=warning,
            override_reason="Extension requested",
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Extension requested"' in html
    assert warning in _text(response)


# --- The waitlist ------------------------------------------------------------------


@pytest.fixture
def entry(grace, location, front_desk):
    return WaitlistEntry.objects.create(
        client=grace,
        location=location,
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=front_desk,
    )


def test_booking_from_the_waitlist_closes_the_entry(
    desk, tara, grace, location, room, entry
):
    response = desk.post(BOOK, _post(tara, grace, location, room, waitlist=entry.pk))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.closed_at == NOW
    assert entry.booked_appointment == Appointment.objects.get()


def test_a_waitlist_entry_of_another_client_books_nothing(
    desk, tara, grace, location, room, entry
):
    henry = ClientFactory(first_name="Henry", last_name="Walsh")
    response = desk.post(BOOK, _post(tara, henry, location, room, waitlist=entry.pk))
    assert response.status_code == 400
    assert "The waitlist entry is for another client." in _text(response)
    assert not Appointment.objects.exists()
    entry.refresh_from_db()
    assert entry.closed_at is None


def test_a_closed_waitlist_entry_is_a_form_error(
    desk, tara, grace, location, room, entry
):
    entry.closed_at = NOW
    entry.save()
    response = desk.post(BOOK, _post(tara, grace, location, room, waitlist=entry.pk))
    assert response.status_code == 400
    assert "That waitlist entry is closed or no longer exists" in _text(response)
    assert not Appointment.objects.exists()


# --- Bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        ({"day": "1900-01-02"}, "Choose a date between 2000 and 2100."),
        ({"day": "2026-02-30"}, "Enter a valid date."),
        ({"start_time": "10:07"}, "Visits start on the quarter hour"),
        ({"start_time": "25:00"}, "Enter a valid time."),
        ({"duration": "7"}, "Choose a length of 30, 45, 60 or 90 minutes."),
        ({"duration": "-60"}, "Choose a length of 30, 45, 60 or 90 minutes."),
        ({"client": "999999"}, "That client was not found. Find the client again."),
        ({"client": "abc"}, "That client was not found. Find the client again."),
        ({"client": "9" * 30}, "That client was not found. Find the client again."),
        ({"room": "9" * 30}, "That room was not found"),
        ({"waitlist": "9" * 30}, "That waitlist entry is closed or no longer exists"),
        ({"therapist": "-1"}, "That therapist was not found"),
        ({"client": None}, "Choose a client: find them by name, phone, email"),
        ({"therapist": "1; DROP TABLE"}, "That therapist was not found"),
        ({"room": "x"}, "That room was not found"),
        ({"modality": "999999"}, "That modality is not offered"),
        ({"location": "999999"}, "That location was not found"),
        ({"place": "moon"}, "Choose a clinic room, home or workplace."),
        ({"waitlist": "abc"}, "That waitlist entry is closed or no longer exists"),
        ({"override_reason": "x" * 300}, "Ensure this value has at most 250"),
    ],
)
def test_malformed_input_is_a_form_error_and_changes_nothing(
    desk, tara, grace, location, room, overrides, sentence
):
    response = desk.post(BOOK, _post(tara, grace, location, room, **overrides))
    assert response.status_code == 400
    assert sentence in _text(response)
    assert not Appointment.objects.exists()


def test_a_room_of_another_location_is_refused(desk, tara, grace, location, room):
    elsewhere = RoomFactory(location=LocationFactory(name="Uptown"), name="Far Room")
    response = desk.post(BOOK, _post(tara, grace, location, room, room=elsewhere.pk))
    assert response.status_code == 400
    assert "Far Room is not at Riverside." in _text(response)
    assert not Appointment.objects.exists()


def test_an_archived_client_is_refused_with_a_sentence(
    desk, tara, grace, location, room
):
    grace.archived_at = NOW
    grace.save()
    response = desk.post(BOOK, _post(tara, grace, location, room))
    assert "Grace Okafor is archived: restore the client first." in _text(response)
    assert not Appointment.objects.exists()


def test_a_garbled_link_still_shows_the_form(desk, location):
    response = desk.get(
        BOOK,
        {
            "location": "abc",
            "therapist": "9999999999999999",
            "starts": "1900-01-01T10:00",
            "client": "12345",
            "duration": "x",
            "waitlist": "777",
        },
        follow=True,
    )
    assert response.status_code == 200
    text = _text(response)
    assert "Part of the link was not understood" in text
    assert "The client in the link was not found." in text


# --- Who may book ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("sessions:book", "get"),
        ("sessions:book", "post"),
        ("sessions:client_search", "get"),
        ("sessions:client_pick", "get"),
        ("sessions:client_quick_add", "post"),
        ("sessions:book_choices", "get"),
        ("sessions:openings", "get"),
    ],
)
def test_a_therapist_may_not_book(client, therapist, name, method):
    client.force_login(therapist.user)
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 403


def test_a_therapist_posting_a_booking_changes_nothing(
    client, therapist, tara, grace, location, room
):
    client.force_login(therapist.user)
    response = client.post(BOOK, _post(tara, grace, location, room))
    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(BOOK)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Finding a client --------------------------------------------------------------


SEARCH = reverse("sessions:client_search")


@pytest.mark.parametrize(
    "query",
    [
        "okaf",
        "Grace Oka",
        "518-555-0101",
        "5550101",
        "grace@example",
        "1980-05-17",
        "05/17/1980",
    ],
)
def test_the_client_search_finds_by_name_phone_email_or_birth_date(desk, grace, query):
    ClientFactory(
        first_name="Henry",
        last_name="Walsh",
        phone="(212) 555-0199",
        email="henry@example.org",
        date_of_birth=date(1975, 1, 2),
    )
    response = desk.get(SEARCH, {"q": query})
    text = _text(response)
    assert "Okafor, Grace" in text
    assert "Walsh" not in text


def test_the_client_search_leaves_out_archived_clients_and_shows_ten(desk):
    ClientFactory(first_name="Old", last_name="Smith", archived_at=NOW)
    for n in range(12):
        ClientFactory(first_name=f"Ann{n}", last_name="Smith")
    response = desk.get(SEARCH, {"q": "smith"})
    html = response.content.decode()
    assert html.count('name="pick_client"') == 10
    assert "Old" not in html
    assert "Showing the first 10" in _text(response)


def test_a_too_short_search_asks_for_more(desk, grace):
    response = desk.get(SEARCH, {"q": "g"})
    assert "Type at least two characters." in _text(response)
    assert "Okafor" not in _text(response)


def test_picking_a_client_shows_them_with_their_alert_headlines(
    desk, grace, anticoagulant, location
):
    response = desk.get(
        reverse("sessions:client_pick"),
        {"client": grace.pk, "day": "2026-12-01", "location": location.pk},
    )
    html = response.content.decode()
    assert f'name="client" value="{grace.pk}"' in html
    assert "Grace Okafor" in html
    assert "gua sha: anticoagulant medication" in html
    assert "Change client" in html


def test_picking_an_unknown_client_shows_the_search_again(desk):
    response = desk.get(reverse("sessions:client_pick"), {"client": "424242"})
    assert response.status_code == 200
    assert "That client was not found." in _text(response)
    assert 'name="q"' in response.content.decode()


# --- Without JavaScript: the same steps as whole-form posts ---------------------------


def test_without_javascript_a_search_lists_clients_and_keeps_the_form(
    desk, tara, grace, location, room
):
    data = _post(tara, grace, location, room, client=None, action="find_client")
    response = desk.post(BOOK, {**data, "q": "okafor"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="pick_client" value="{grace.pk}"' in html
    assert f'<option value="{tara.pk}" selected>Tara Hands</option>' in html
    assert "The visit was not booked" not in html


def test_without_javascript_picking_then_booking_works(
    desk, tara, grace, location, room
):
    data = _post(tara, grace, location, room, client=None)
    picked = desk.post(BOOK, {**data, "pick_client": grace.pk})
    assert f'name="client" value="{grace.pk}"' in picked.content.decode()
    assert not Appointment.objects.exists()
    changed = desk.post(BOOK, {**data, "client": grace.pk, "action": "change_client"})
    assert 'name="client"' not in changed.content.decode()


# --- Registering a client inside the booking ----------------------------------------


QUICK = reverse("sessions:client_quick_add")


def test_registering_a_client_creates_and_chooses_them(desk, location):
    response = desk.post(
        QUICK,
        {
            "new-first_name": "Nora",
            "new-last_name": "Quinn",
            "new-phone": "(518) 555-0142",
            "new-date_of_birth": "1990-03-04",
            "day": "2026-12-01",
            "location": location.pk,
        },
    )
    assert response.status_code == 200
    nora = Client.objects.get(last_name="Quinn")
    assert nora.date_of_birth == date(1990, 3, 4)
    html = response.content.decode()
    assert f'name="client" value="{nora.pk}"' in html
    assert "Nora Quinn is registered and chosen." in _text(response)
    assert AuditEvent.objects.filter(
        client_id=nora.pk, action=AuditEvent.Action.CREATE
    ).exists()


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"new-first_name": ""}, "Enter the client's first name."),
        ({"new-last_name": ""}, "Enter the client's last name."),
        (
            {"new-phone": "", "new-email": ""},
            "Give at least a phone number or an email",
        ),
        (
            {"new-date_of_birth": "2027-01-01"},
            "The date of birth cannot be in the future.",
        ),
        ({"new-date_of_birth": "someday"}, "Enter the date of birth as YYYY-MM-DD"),
        ({"new-email": "not-an-email"}, "Enter a valid email address."),
        ({"new-phone": "12"}, "A phone number has 7 to 15 digits"),
    ],
)
def test_registering_a_client_checks_the_few_fields(desk, fields, sentence):
    data = {
        "new-first_name": "Nora",
        "new-last_name": "Quinn",
        "new-phone": "(518) 555-0142",
        "new-email": "",
        "new-date_of_birth": "",
        **fields,
    }
    response = desk.post(QUICK, data)
    assert response.status_code == 200  # htmx swaps the partial with its errors
    assert sentence in _text(response)
    assert not Client.objects.exists()
    html = response.content.decode()
    assert '<details class="mt-3" open>' in html
    assert 'name="client"' not in html


def test_without_javascript_registering_keeps_the_booking_and_chooses_the_client(
    desk, tara, location, room, grace
):
    data = _post(tara, grace, location, room, client=None, action="add_client")
    response = desk.post(
        BOOK,
        {
            **data,
            "new-first_name": "Nora",
            "new-last_name": "Quinn",
            "new-email": "nora@example.org",
        },
    )
    nora = Client.objects.get(last_name="Quinn")
    html = response.content.decode()
    assert f'name="client" value="{nora.pk}"' in html
    assert f'<option value="{tara.pk}" selected>Tara Hands</option>' in html
    booked = desk.post(BOOK, {**data, "action": "book", "client": nora.pk})
    assert booked.status_code == 302
    assert Appointment.objects.get().client == nora


def test_without_javascript_a_search_keeps_what_was_typed_for_a_new_client(
    desk, tara, grace, location, room
):
    data = _post(tara, grace, location, room, client=None, action="find_client")
    response = desk.post(
        BOOK, {**data, "q": "nobody", "new-first_name": "Nora", "new-phone": "555"}
    )
    html = response.content.decode()
    assert 'name="new-first_name" value="Nora"' in html
    assert '<details class="mt-3" open>' in html
    assert "No client matches “nobody”." in _text(response)


def test_the_waitlist_button_of_a_cancelled_visit_books_and_closes_the_entry(
    desk, front_desk, tara, grace, location, room
):
    henry = ClientFactory(first_name="Henry", last_name="Walsh")
    freed = appointment_book(
        client=henry,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
    )
    appointment_cancel(appointment=freed, by=front_desk, reason="sick", now=NOW)
    entry = WaitlistEntry.objects.create(
        client=grace,
        location=location,
        modality=modality("swedish"),
        duration_minutes=60,
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=front_desk,
    )
    visit_page = desk.get(reverse("sessions:visit", args=[freed.pk])).content.decode()
    link = re.search(r'href="(/book/\?[^"]+)">Book Grace', visit_page).group(1)
    form = desk.get(link.replace("&amp;", "&"))
    html = form.content.decode()
    assert f'name="waitlist" value="{entry.pk}"' in html
    assert f'<option value="{room.pk}" selected>Maple Room</option>' in html
    response = desk.post(
        BOOK, _post(tara, grace, location, room, waitlist=entry.pk), follow=True
    )
    visit = Appointment.objects.get(client=grace)
    entry.refresh_from_db()
    assert entry.booked_appointment == visit
    assert "Booked Grace Okafor" in _text(response)
