"""Booking one visit: every check has a sentence; safety and authorization need consent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clients.models import Condition, ContraindicationRule
from clients.services import contraindication_add, contraindication_clear
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, AppointmentEvent, Place
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_book,
)
from therapists.models import TimeOff, Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

# Monday 30 November 2026, 08:00 in New York (UTC-5).
NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 local

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def tara(location):
    therapist = TherapistFactory(
        user=UserFactory(username="tara", first_name="Tara", last_name="Hands")
    )
    for slug in ("swedish", "deep-tissue"):
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
def grace():
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        address_line1="12 Elm Street",
        city="Albany",
        state="NY",
        postal_code="12207",
    )


@pytest.fixture
def desk():
    return UserFactory(username="desk")


def _book(tara, grace, location, default_room, desk, **overrides):
    fields = dict(
        client=grace,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        place=Place.ROOM,
        room=default_room,
        booked_by=desk,
        now=NOW,
    )
    fields.update(overrides)
    return appointment_book(**fields)


def _messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_it_books_a_visit_inside_the_therapists_hours(
    tara, grace, location, room, desk
):
    visit = _book(tara, grace, location, room, desk)
    assert visit.status == Appointment.Status.BOOKED
    assert visit.ends_at - visit.starts_at == timedelta(hours=1)
    assert (visit.therapist_busy_from, visit.therapist_busy_until) == (
        visit.starts_at,
        visit.ends_at,
    )
    assert visit.events.get().kind == AppointmentEvent.Kind.BOOKED


def test_outside_the_therapists_hours_is_refused_with_the_hours(
    tara, grace, location, room, desk
):
    with pytest.raises(ValidationError) as excinfo:
        _book(
            tara,
            grace,
            location,
            room,
            desk,
            starts_at=TUESDAY_10AM + timedelta(hours=7),
        )
    assert (
        "17:00-18:00 is outside Tara Hands's hours at Riverside on Tuesdays (09:00-17:00)"
        in (_messages(excinfo))
    )


def test_a_day_the_therapist_does_not_work_is_refused(
    tara, grace, location, room, desk
):
    saturday = TUESDAY_10AM + timedelta(days=4)
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk, starts_at=saturday)
    assert "does not work at Riverside on Saturdays" in _messages(excinfo)


def test_time_off_is_refused(tara, grace, location, room, desk):
    TimeOff.objects.create(
        therapist=tara,
        starts_at=TUESDAY_10AM - timedelta(hours=1),
        ends_at=TUESDAY_10AM + timedelta(days=1),
        reason="conference",
    )
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk)
    assert "Tara Hands is off from" in _messages(excinfo)
    assert "(conference)" in _messages(excinfo)


@pytest.mark.parametrize("shared", ["therapist", "room", "client"])
def test_an_overlap_names_the_conflicting_visit(
    tara, grace, location, room, desk, shared
):
    other_client = ClientFactory(first_name="Henry", last_name="Walsh")
    other_therapist = TherapistFactory()
    Training.objects.create(therapist=other_therapist, modality=modality("swedish"))
    WorkingHours.objects.create(
        therapist=other_therapist,
        location=location,
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    first = {
        "therapist": dict(client=other_client, room=RoomFactory(location=location)),
        "room": dict(client=other_client, therapist=other_therapist),
        "client": dict(therapist=other_therapist, room=RoomFactory(location=location)),
    }[shared]
    _book(tara, grace, location, room, desk, **first)
    with pytest.raises(ValidationError) as excinfo:
        _book(
            tara,
            grace,
            location,
            room,
            desk,
            starts_at=TUESDAY_10AM + timedelta(minutes=30),
        )
    message = _messages(excinfo)
    assert "Tue 01 Dec 10:00-11:00" in message
    expected = {
        "therapist": "Tara Hands is already booked then: Henry Walsh",
        "room": "Maple Room is already taken then: Henry Walsh",
        "client": "Grace Okafor already has a visit then: Grace Okafor",
    }[shared]
    assert expected in message


def test_back_to_back_is_fine(tara, grace, location, room, desk):
    _book(tara, grace, location, room, desk)
    _book(
        tara, grace, location, room, desk, starts_at=TUESDAY_10AM + timedelta(hours=1)
    )
    assert Appointment.objects.count() == 2


def test_an_expired_license_is_refused(tara, grace, location, room, desk):
    tara.license_expires_on = date(2026, 11, 30)
    tara.save()
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk)
    assert "Tara Hands's license expired on 30 Nov 2026" in _messages(excinfo)


def test_a_modality_the_therapist_does_not_offer_is_refused(
    tara, grace, location, room, desk
):
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk, modality=modality("cupping"))
    assert "Tara Hands does not offer Cupping." in _messages(excinfo)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": 7}, "in steps of 15 minutes"),
        ({"duration_minutes": 0}, "must end after it starts"),
        (
            {"starts_at": datetime(1900, 1, 2, 15, 0, tzinfo=UTC)},
            "is in the past",
        ),
    ],
)
def test_impossible_input_is_refused(
    tara, grace, location, room, desk, overrides, message
):
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk, **overrides)
    assert message in _messages(excinfo)
    assert not Appointment.objects.exists()


def test_an_archived_client_cannot_be_booked(tara, grace, location, room, desk):
    grace.archived_at = NOW
    grace.save()
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk)
    assert "Grace Okafor is archived" in _messages(excinfo)


def test_a_home_visit_blocks_travel_time_on_the_therapist(
    tara, grace, location, room, desk
):
    home = _book(tara, grace, location, room, desk, place=Place.HOME, room=None)
    assert home.visit_address.startswith("12 Elm Street")
    assert home.therapist_busy_from == TUESDAY_10AM - timedelta(minutes=30)
    assert home.therapist_busy_until == TUESDAY_10AM + timedelta(minutes=90)
    with pytest.raises(ValidationError) as excinfo:
        _book(
            tara,
            ClientFactory(),
            location,
            room,
            desk,
            starts_at=TUESDAY_10AM + timedelta(hours=1),
        )
    assert "Tara Hands is already booked then" in _messages(excinfo)


def test_an_absolute_contraindication_blocks_the_booking(
    tara, grace, location, room, desk
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=desk,
    )
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk)
    assert "no massage until cleared: DVT history" in _messages(excinfo)
    assert not isinstance(excinfo.value, BookingNeedsConfirmation)


def test_a_physicians_clearance_lets_the_booking_through(
    tara, grace, location, room, desk
):
    flag = contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=desk,
    )
    contraindication_clear(
        context=AuditContext.system("test"),
        flag=flag,
        by=desk,
        cleared_on=date(2026, 11, 27),
        physician="Dr. Amara Singh, MD",
        document=None,
        today=date(2026, 11, 30),
    )
    # A cleared condition still speaks: the desk acknowledges that a clearance
    # governs the visit; who cleared it, and its terms, are history detail.
    with pytest.raises(BookingNeedsConfirmation) as excinfo:
        _book(tara, grace, location, room, desk)
    assert any("follow the physician's clearance" in s for s in excinfo.value.safety)
    assert not any("Amara Singh" in s for s in excinfo.value.safety)
    confirmed = Confirmation(safety_acknowledged=True)
    assert _book(tara, grace, location, room, desk, confirmation=confirmed).pk


def test_a_technique_the_rules_rule_out_is_refused_and_safe_ones_are_offered(
    tara, grace, location, room, desk
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=desk,
    )
    acknowledged = Confirmation(safety_acknowledged=True)
    with pytest.raises(ValidationError) as excinfo:
        _book(
            tara,
            grace,
            location,
            room,
            desk,
            modality=modality("deep-tissue"),
            confirmation=acknowledged,  # no tick at the desk overrides it
        )
    (sentence,) = excinfo.value.messages
    assert sentence.startswith(
        "Deep tissue is not for Grace Okafor: no deep tissue: anticoagulant."
    )
    assert "Swedish" in sentence and "Cupping" not in sentence
    assert not Appointment.objects.exists()


def test_a_modify_alert_must_be_acknowledged_and_is_recorded(
    tara, grace, location, room, desk
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=desk,
    )
    with pytest.raises(BookingNeedsConfirmation) as excinfo:
        _book(tara, grace, location, room, desk, modality=modality("swedish"))
    assert excinfo.value.safety == ["no firm or deep pressure: anticoagulant"]
    visit = _book(
        tara,
        grace,
        location,
        room,
        desk,
        modality=modality("swedish"),
        confirmation=Confirmation(safety_acknowledged=True),
    )
    assert visit.safety_acknowledgement == "no firm or deep pressure: anticoagulant"
    assert visit.events.filter(kind="safety_acknowledged").exists()


def test_a_safe_modality_needs_no_acknowledgement(tara, grace, location, room, desk):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="oil-allergy"),
        severity="modify",
        by=desk,
    )
    # Leave the condition one rule, about aromatherapy: Swedish is then plain safe.
    ContraindicationRule.objects.filter(
        condition__slug="oil-allergy", modality=None
    ).delete()
    assert _book(tara, grace, location, room, desk, modality=modality("swedish")).pk


def test_a_visit_beyond_the_authorization_shows_the_numbers(
    tara, grace, location, room, desk
):
    from clients.models import Authorization, InsurancePolicy, Payer

    policy = InsurancePolicy.objects.create(
        client=grace, payer=Payer.objects.create(name="Aetna"), member_id="W123"
    )
    auth = Authorization.objects.create(
        policy=policy,
        number="A-77",
        visits_authorized=1,
        valid_from=date(2026, 11, 1),
        valid_to=date(2026, 12, 31),
    )
    _book(tara, grace, location, room, desk)
    later = TUESDAY_10AM + timedelta(days=1)
    with pytest.raises(BookingNeedsConfirmation) as excinfo:
        _book(tara, grace, location, room, desk, starts_at=later)
    assert excinfo.value.authorization == [
        "This would be visit 2 of 1 authorized (Aetna, authorization A-77)."
    ]
    visit = _book(
        tara,
        grace,
        location,
        room,
        desk,
        starts_at=later,
        confirmation=Confirmation(authorization_override_reason="Extension requested"),
    )
    assert visit.authorization == auth
    assert visit.authorization_override_reason == "Extension requested"


def test_a_lost_race_becomes_the_conflict_message(
    tara, grace, location, room, desk, monkeypatch
):
    _book(
        tara, ClientFactory(first_name="Henry", last_name="Walsh"), location, room, desk
    )
    # The other desk checked before the first one saved: skip the friendly check.
    monkeypatch.setattr(
        "sessions.scheduling.booking.scheduling_problems", lambda *a, **k: []
    )
    with pytest.raises(ValidationError) as excinfo:
        _book(tara, grace, location, room, desk)
    assert "Tara Hands is already booked then: Henry Walsh" in _messages(excinfo)
    assert Appointment.objects.count() == 1
