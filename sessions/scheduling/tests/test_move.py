"""Moving by seeing: the move service changes therapist, room and technique under the
same rules as booking, and the move page shows the day's free times (from the one
opening search), each a one-step move, and confirms a time dropped on the grid."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Condition, Contraindication
from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.kept_reference import keep_reference_data
from sessions.models import Appointment, AppointmentEvent
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_book,
    appointment_reschedule,
)
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 New York
TUESDAY = datetime(2026, 12, 1).date()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _works(therapist, location, *slugs):
    for slug in slugs:
        Training.objects.create(therapist=therapist, modality=modality(slug))
    WorkingHours.objects.bulk_create(
        WorkingHours(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
        for weekday in range(7)
    )


@pytest.fixture
def clinic(therapist):
    """Tara (the therapist persona; Swedish) and Ben (Swedish, deep tissue) work 9-17
    in New York; Grace has an hour of Swedish with Tara in Maple Room, Tuesday 10:00."""
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    maple = RoomFactory(location=location, name="Maple Room")
    oak = RoomFactory(location=location, name="Oak Room")
    ben = TherapistFactory(user=UserFactory(first_name="Ben", last_name="Stretch"))
    _works(therapist, location, "swedish")
    _works(ben, location, "swedish", "deep-tissue")
    visit = appointment_book(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=maple,
        starts_at=local_datetime(TUESDAY, time(10), location),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    return visit, ben, maple, oak


def _at(visit, hour, minute=0):
    return local_datetime(TUESDAY, time(hour, minute), visit.location)


# --- the service ----------------------------------------------------------------


def test_a_move_changes_therapist_room_and_technique_in_one_step(clinic):
    visit, ben, _, oak = clinic
    desk = UserFactory()
    appointment_reschedule(
        appointment=visit,
        by=desk,
        now=NOW,
        starts_at=_at(visit, 13),
        therapist=ben,
        room=oak,
        modality=modality("deep-tissue"),
    )
    visit.refresh_from_db()
    assert (visit.therapist, visit.room, visit.modality.slug) == (
        ben,
        oak,
        "deep-tissue",
    )
    assert visit.starts_at == _at(visit, 13)
    event = visit.events.get(kind=AppointmentEvent.Kind.RESCHEDULED)
    assert event.by == desk
    assert "with Ben Stretch (Oak Room)" in event.summary
    assert event.summary.endswith("technique changed from Swedish to Deep tissue"), (
        event.summary
    )
    assert event.details["technique"] == {"from": "Swedish", "to": "Deep tissue"}


def test_a_technique_the_therapist_does_not_offer_is_refused_by_the_rules(clinic):
    visit, *_ = clinic
    with pytest.raises(ValidationError, match="Tara Hands does not offer Deep tissue"):
        appointment_reschedule(
            appointment=visit,
            by=UserFactory(),
            now=NOW,
            starts_at=_at(visit, 13),
            modality=modality("deep-tissue"),
        )
    visit.refresh_from_db()
    assert visit.modality.slug == "swedish" and visit.starts_at == _at(visit, 10)


def _flag(client, slug):
    condition = Condition.objects.get(slug=slug)
    Contraindication.objects.create(
        client=client, condition=condition, severity=condition.default_severity
    )


def test_a_technique_ruled_out_for_the_client_is_refused_with_the_safety_sentence(
    clinic,
):
    visit, ben, *_ = clinic
    _flag(visit.client, "anticoagulants")
    with pytest.raises(ValidationError) as refused:
        appointment_reschedule(
            appointment=visit,
            by=UserFactory(),
            now=NOW,
            starts_at=_at(visit, 13),
            therapist=ben,
            modality=modality("deep-tissue"),
        )
    assert not isinstance(refused.value, BookingNeedsConfirmation)
    assert "Deep tissue" in " ".join(refused.value.messages)
    visit.refresh_from_db()
    assert visit.therapist != ben and visit.modality.slug == "swedish"


def test_the_new_techniques_alerts_are_acknowledged_and_replace_the_old(clinic):
    visit, ben, *_ = clinic
    visit.safety_acknowledgement = "an alert of the old technique"
    visit.save(update_fields=["safety_acknowledgement"])
    _flag(visit.client, "anticoagulants")
    with pytest.raises(BookingNeedsConfirmation):
        appointment_reschedule(
            appointment=visit,
            by=UserFactory(),
            now=NOW,
            starts_at=_at(visit, 13),
            therapist=ben,
            modality=modality("swedish"),
        )
    appointment_reschedule(
        appointment=visit,
        by=UserFactory(),
        now=NOW,
        starts_at=_at(visit, 13),
        therapist=ben,
        confirmation=Confirmation(safety_acknowledged=True),
    )
    visit.refresh_from_db()
    assert "anticoagulant" in visit.safety_acknowledgement


def test_a_move_into_a_busy_room_is_refused_and_changes_nothing(clinic):
    visit, ben, maple, oak = clinic
    appointment_book(
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=ben,
        modality=modality("swedish"),
        location=visit.location,
        room=oak,
        starts_at=_at(visit, 13),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    with pytest.raises(ValidationError, match="Oak Room"):
        appointment_reschedule(
            appointment=visit,
            by=UserFactory(),
            now=NOW,
            starts_at=_at(visit, 13),
            room=oak,
        )
    visit.refresh_from_db()
    assert visit.room == maple


# --- the page ---------------------------------------------------------------------


def _url(visit, **query):
    url = reverse("sessions:visit_reschedule", args=[visit.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def test_the_page_shows_the_days_free_times_by_who_and_where(
    client, front_desk, clinic
):
    visit, ben, maple, oak = clinic
    appointment_book(  # Maple Room is taken 13:00-14:00 by someone else
        client=ClientFactory(),
        therapist=ben,
        modality=modality("swedish"),
        location=visit.location,
        room=maple,
        starts_at=_at(visit, 13),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    client.force_login(front_desk)
    response = client.get(_url(visit))
    assert response.status_code == 200
    choices = response.context["choices"]
    assert choices.day == TUESDAY
    same = [o.local_start.strftime("%H:%M") for o in choices.same_room]
    # Tara 9-17 in Maple Room, an hour long: over her visit's own time too (the
    # visit is not in its own way), but not where it is now, nor over the room's
    # 13-14; 16:00 is the last start.
    assert same[:6] == ["09:00", "09:15", "09:30", "09:45", "10:15", "10:30"]
    assert "10:00" not in same and same[-1] == "16:00"
    assert "12:15" not in same and "13:00" not in same and "14:00" in same
    assert {o.room for o in choices.same_room} == {maple}
    other_rooms = [
        (o.local_start.strftime("%H:%M"), o.room) for o in choices.other_rooms
    ]
    assert ("13:00", oak) in other_rooms and ("09:00", maple) not in other_rooms
    assert [group.therapist for group in choices.others] == [ben]
    # Ben at Grace's own time: the client is free then once her visit moves.
    assert "10:00" in [
        o.local_start.strftime("%H:%M") for o in choices.others[0].openings
    ]
    page = response.content.decode()
    assert "Free times on Tuesday, December 1" in page
    assert "With Tara Hands in Maple Room" in page and "Other therapists" in page


def test_the_page_walks_the_days_and_techniques(client, front_desk, clinic):
    visit, ben, *_ = clinic
    client.force_login(front_desk)
    deep = modality("deep-tissue")
    response = client.get(_url(visit, day="2026-12-02", modality=deep.pk))
    choices = response.context["choices"]
    assert choices.day == TUESDAY + timedelta(days=1)
    # Only Ben offers deep tissue.
    assert not choices.same_room and not choices.other_rooms
    assert [group.therapist for group in choices.others] == [ben]
    assert 'href="?day=2026-12-01&amp;modality=' in response.content.decode()
    past = client.get(_url(visit, day="2026-11-01")).context["choices"]
    assert past.past and past.empty


def test_the_page_says_why_a_technique_is_ruled_out(client, front_desk, clinic):
    visit, *_ = clinic
    _flag(visit.client, "anticoagulants")
    client.force_login(front_desk)
    response = client.get(_url(visit, modality=modality("deep-tissue").pk))
    assert response.context["choices"].refused
    assert response.context["choices"].empty


@pytest.mark.parametrize(
    "query",
    [
        {"day": "tuesday"},
        {"day": "1900-01-01"},
        {"modality": "x" * 40},
        {"starts": "2026-12-01T25:00"},
        {"starts": "2026-12-01T10:07"},
        {"starts": "2026-12-01T12:00", "therapist": "99999999"},
        {"starts": "2026-12-01T12:00", "room": "99999"},
        {"next": "https://elsewhere.example/"},
    ],
)
def test_bad_input_gets_a_page_never_an_error(client, front_desk, clinic, query):
    visit, *_ = clinic
    client.force_login(front_desk)
    response = client.get(_url(visit, **query))
    assert response.status_code == 200
    assert response.context["back"] == ""
    assert response.context["proposal"] is None


def _opening_post(visit, therapist, room, at, **extra):
    local = at.astimezone(visit.location.zone)
    return {
        "day": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "fold": "0",
        "duration_minutes": "60",
        "therapist": str(therapist.pk),
        "place": "room",
        "room": str(room.pk),
        "modality": str(visit.modality_id),
        "scope": "one",
        **extra,
    }


def test_a_shown_time_moves_the_visit_in_one_post(client, front_desk, clinic):
    visit, ben, maple, oak = clinic
    client.force_login(front_desk)
    response = client.post(_url(visit), _opening_post(visit, ben, oak, _at(visit, 14)))
    assert response.status_code == 302
    assert response.url == reverse("sessions:visit", args=[visit.pk])
    visit.refresh_from_db()
    assert (visit.therapist, visit.room, visit.starts_at) == (ben, oak, _at(visit, 14))
    assert visit.events.filter(kind=AppointmentEvent.Kind.RESCHEDULED).count() == 1


def test_a_move_from_the_grid_returns_to_the_grid(client, front_desk, clinic):
    visit, ben, maple, _ = clinic
    client.force_login(front_desk)
    grid = f"/calendar/?location={visit.location.pk}&date=2026-12-01"
    response = client.post(
        _url(visit), _opening_post(visit, ben, maple, _at(visit, 12), next=grid)
    )
    assert response.status_code == 302 and response.url == grid


def test_a_refused_move_says_the_rules_sentence_and_changes_nothing(
    client, front_desk, clinic
):
    visit, ben, maple, _ = clinic
    client.force_login(front_desk)
    data = _opening_post(visit, ben, maple, _at(visit, 12))
    data["modality"] = str(modality("reflexology").pk)
    response = client.post(_url(visit), data)
    assert response.status_code == 400
    assert "Ben Stretch does not offer Reflexology" in response.content.decode()
    visit.refresh_from_db()
    assert visit.therapist != ben


def test_a_technique_change_for_a_whole_series_is_refused_with_a_sentence(
    client, front_desk, clinic
):
    visit, ben, maple, _ = clinic
    client.force_login(front_desk)
    data = _opening_post(visit, ben, maple, _at(visit, 12), scope="all")
    data["modality"] = str(modality("deep-tissue").pk)
    response = client.post(_url(visit), data)
    # Not a series: "all" is not a choice at all; the form says so, no 500.
    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.modality.slug == "swedish"


def test_a_time_dropped_on_the_grid_is_proposed_with_the_room_kept_when_free(
    client, front_desk, clinic
):
    visit, ben, maple, oak = clinic
    client.force_login(front_desk)
    response = client.get(
        _url(visit, starts="2026-12-01T12:30", therapist=ben.pk, location=1)
    )
    assert response.status_code == 200
    assert response.context["proposal_sentence"] == (
        "Move Grace Okafor to Tue 1 Dec 12:30 PM with Ben Stretch in Maple Room?"
    )
    # Maple Room taken then: the first free room instead.
    appointment_book(
        client=ClientFactory(),
        therapist=ben,
        modality=modality("swedish"),
        location=visit.location,
        room=maple,
        starts_at=_at(visit, 15),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    response = client.get(_url(visit, starts="2026-12-01T15:00"))
    assert response.context["proposal"].room == oak
    assert "with Tara Hands in Oak Room?" in response.context["proposal_sentence"]
    # The visit overlapping its own time keeps its own room (it is not in its way).
    response = client.get(_url(visit, starts="2026-12-01T10:30"))
    assert response.context["proposal"].room == maple


@pytest.mark.parametrize("who", ["front_desk", "manager"])
def test_the_desk_and_the_manager_move_visits(client, clinic, who, request):
    visit, ben, maple, _ = clinic
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(visit)).status_code == 200
    response = client.post(
        _url(visit), _opening_post(visit, ben, maple, _at(visit, 12))
    )
    assert response.status_code == 302


def test_a_therapist_does_not_move_visits(client, therapist, clinic):
    visit, ben, maple, _ = clinic
    client.force_login(therapist.user)
    assert client.get(_url(visit)).status_code == 403
    response = client.post(
        _url(visit), _opening_post(visit, ben, maple, _at(visit, 12))
    )
    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.therapist != ben


def test_the_grid_carries_the_move_url_for_the_desk_only(
    client, front_desk, therapist, clinic
):
    visit, *_ = clinic
    client.force_login(front_desk)
    page = client.get(f"/calendar/?location={visit.location.pk}&date=2026-12-01")
    assert re.search(
        r'data-move="/visits/0/move/\?location=\d+"', page.content.decode()
    )
    client.force_login(therapist.user)
    page = client.get(f"/calendar/?location={visit.location.pk}&date=2026-12-01")
    assert "data-move" not in page.content.decode()


def test_a_move_of_a_completed_visit_is_refused_with_a_sentence(
    client, front_desk, clinic
):
    visit, ben, maple, _ = clinic
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.NO_SHOW)
    client.force_login(front_desk)
    response = client.post(
        _url(visit), _opening_post(visit, ben, maple, _at(visit, 12))
    )
    assert response.status_code == 400
    assert "it cannot be moved" in response.content.decode()


def test_a_shown_time_that_needs_the_alerts_read_asks_for_them_then_moves(
    client, front_desk, clinic
):
    visit, ben, maple, _ = clinic
    _flag(visit.client, "anticoagulants")
    client.force_login(front_desk)
    data = _opening_post(visit, ben, maple, _at(visit, 12))
    response = client.post(_url(visit), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Safety alerts for the new time" in page and "anticoagulant" in page
    assert response.context["form"]["therapist"].value() == str(ben.pk)
    response = client.post(_url(visit), {**data, "acknowledge_safety": "on"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.therapist == ben and "anticoagulant" in visit.safety_acknowledgement


def test_a_time_dropped_on_a_rooms_week_keeps_that_room(client, front_desk, clinic):
    visit, ben, maple, oak = clinic
    client.force_login(front_desk)
    # The week grid of Oak Room writes its cells as room and start.
    response = client.get(
        _url(visit, location=visit.location.pk, room=oak.pk, starts="2026-12-02T09:00")
    )
    proposal = response.context["proposal"]
    assert (proposal.room, proposal.therapist) == (oak, visit.therapist)
    assert response.context["choices"].day == TUESDAY + timedelta(days=1)


def _extra_therapist(location, n):
    person = TherapistFactory(user=UserFactory(first_name=f"T{n}", last_name="Extra"))
    _works(person, location, "swedish")
    return person


def test_the_pages_queries_do_not_grow_with_the_therapists_and_times(
    client, front_desk, clinic, django_assert_max_num_queries
):
    visit, *_ = clinic
    client.force_login(front_desk)
    # The two opening searches, the times around the visit and the form's choices
    # are each read once: 33 with two therapists or with six, with the reference
    # data kept as a serving process keeps it (massageclinic.reference).
    keep_reference_data()
    with django_assert_max_num_queries(33) as few:
        assert client.get(_url(visit)).status_code == 200
    for n in range(4):
        _extra_therapist(visit.location, n)
    keep_reference_data()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_url(visit))
    assert len(response.context["choices"].others) == 5


def test_a_move_that_loses_a_race_ends_in_the_conflict_sentence(
    client, front_desk, clinic, monkeypatch
):
    visit, ben, maple, _ = clinic
    appointment_book(
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=ben,
        modality=modality("swedish"),
        location=visit.location,
        room=maple,
        starts_at=_at(visit, 12),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    # The other desk booked between this move's check and its save: the check saw
    # nothing, the database's exclusion constraint refuses.
    monkeypatch.setattr(
        "sessions.scheduling.booking.scheduling_problems", lambda *a, **k: []
    )
    client.force_login(front_desk)
    response = client.post(
        _url(visit), _opening_post(visit, ben, maple, _at(visit, 12))
    )
    assert response.status_code == 400
    assert "Henry Walsh" in response.content.decode()
    visit.refresh_from_db()
    assert visit.starts_at == _at(visit, 10)


def test_a_drop_the_rules_refuse_says_why_before_it_is_confirmed(
    client, front_desk, clinic
):
    visit, ben, maple, _ = clinic
    appointment_book(  # Ben is busy at 12:00
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=ben,
        modality=modality("swedish"),
        location=visit.location,
        room=RoomFactory(location=visit.location, name="Elm Room"),
        starts_at=_at(visit, 12),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    client.force_login(front_desk)
    response = client.get(_url(visit, starts="2026-12-01T12:00", therapist=ben.pk))
    problems = response.context["proposal_problems"]
    assert problems and "Henry Walsh" in problems[0]
    assert "Yes, move the visit" not in response.content.decode()
    fine = client.get(_url(visit, starts="2026-12-01T14:00", therapist=ben.pk))
    assert fine.context["proposal_problems"] == []
    assert "Yes, move the visit" in fine.content.decode()


def test_the_page_moves_a_visit_to_another_therapist_and_technique(
    client, front_desk, clinic
):
    visit, ben, _, oak = clinic
    client.force_login(front_desk)
    data = _opening_post(visit, ben, oak, _at(visit, 10))
    data["modality"] = str(modality("deep-tissue").pk)
    response = client.post(_url(visit), data)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.therapist, visit.room, visit.modality.slug) == (
        ben,
        oak,
        "deep-tissue",
    )
    assert "technique changed from Swedish to Deep tissue" in (
        visit.events.get(kind=AppointmentEvent.Kind.RESCHEDULED).summary
    )
