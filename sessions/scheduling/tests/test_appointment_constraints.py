"""The database itself refuses double bookings (exclusion constraints)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.tests.factories import ClientFactory
from massageclinic.lengths import LONGEST_TRAVEL, LONGEST_VISIT, STEP, TRAVEL_RULE
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import RoomFactory
from sessions.models import Appointment, Place
from sessions.tests.factories import AppointmentFactory
from therapists.tests.factories import TherapistFactory

NINE = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked():
    return AppointmentFactory(starts_at=NINE, ends_at=NINE + HOUR)


def _book_over(booked, **overrides):
    """Another visit half an hour into `booked`, sharing nothing unless told."""
    fields = {
        "location": booked.location,
        "room": RoomFactory(location=booked.location),
        "starts_at": NINE + HOUR / 2,
        "ends_at": NINE + HOUR * 1.5,
    }
    fields.update(overrides)
    with transaction.atomic():
        return AppointmentFactory(**fields)


def _constraint_name(excinfo) -> str:
    return excinfo.value.__cause__.diag.constraint_name


def test_it_rejects_an_overlap_for_the_same_therapist(booked):
    with pytest.raises(IntegrityError) as excinfo:
        _book_over(booked, therapist=booked.therapist)
    assert _constraint_name(excinfo) == "appointment_no_therapist_overlap"


def test_it_rejects_an_overlap_in_the_same_room(booked):
    with pytest.raises(IntegrityError) as excinfo:
        _book_over(booked, room=booked.room)
    assert _constraint_name(excinfo) == "appointment_no_room_overlap"


def test_it_rejects_an_overlap_for_the_same_client(booked):
    with pytest.raises(IntegrityError) as excinfo:
        _book_over(booked, client=booked.client)
    assert _constraint_name(excinfo) == "appointment_no_client_overlap"


def test_it_accepts_overlaps_that_share_no_one(booked):
    _book_over(booked)
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize("status", ["cancelled", "late_cancelled"])
def test_a_cancelled_visit_blocks_nothing(booked, status):
    booked.status = status
    booked.cancelled_at = timezone.now()
    booked.save()
    _book_over(
        booked, therapist=booked.therapist, room=booked.room, client=booked.client
    )
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    "status", ["booked", "confirmed", "checked_in", "completed", "no_show"]
)
def test_every_other_status_blocks(booked, status):
    booked.status = status
    booked.save()
    with pytest.raises(IntegrityError):
        _book_over(booked, therapist=booked.therapist)


def test_back_to_back_visits_are_accepted(booked):
    _book_over(
        booked,
        therapist=booked.therapist,
        room=booked.room,
        client=booked.client,
        starts_at=booked.ends_at,
        ends_at=booked.ends_at + HOUR,
    )
    assert Appointment.objects.count() == 2


def test_travel_time_blocks_the_therapist_but_not_a_room(booked):
    home_visit = dict(
        place=Place.HOME,
        room=None,
        visit_address="12 Elm Street, Albany NY",
        starts_at=booked.ends_at + timedelta(minutes=15),
        ends_at=booked.ends_at + timedelta(minutes=75),
        therapist_busy_from=booked.ends_at - timedelta(minutes=15),
        therapist_busy_until=booked.ends_at + timedelta(minutes=105),
    )
    with pytest.raises(IntegrityError) as excinfo:
        _book_over(booked, therapist=booked.therapist, **home_visit)
    assert _constraint_name(excinfo) == "appointment_no_therapist_overlap"
    _book_over(booked, therapist=TherapistFactory(), **home_visit)


def test_it_rejects_a_visit_that_ends_before_it_starts(booked):
    with pytest.raises(IntegrityError) as excinfo:
        _book_over(booked, starts_at=NINE + HOUR * 3, ends_at=NINE + HOUR * 2)
    assert _constraint_name(excinfo) == "appointment_starts_before_end"


def test_a_room_visit_needs_a_room_and_a_home_visit_has_none(booked):
    with pytest.raises(IntegrityError):
        _book_over(booked, place=Place.HOME)
    with pytest.raises(IntegrityError):
        _book_over(booked, place=Place.ROOM, room=None)


def test_clinical_records_are_protected_from_deletion(booked):
    from django.db.models import ProtectedError

    client = booked.client
    with pytest.raises(ProtectedError):
        client.delete()
    assert ClientFactory._meta.model.objects.filter(pk=client.pk).exists()


# --- the bounds every range read relies on (AppointmentQuerySet) -----------------------


def test_it_rejects_a_visit_longer_than_the_longest(booked):
    with pytest.raises(IntegrityError) as excinfo:
        _book_over(booked, ends_at=NINE + HOUR / 2 + LONGEST_VISIT + STEP)
    assert _constraint_name(excinfo) == "appointment_at_most_longest_visit"


@pytest.mark.parametrize("side", ["before", "after"])
def test_it_rejects_travel_longer_than_the_longest(booked, side):
    start, end = NINE + 5 * HOUR, NINE + 6 * HOUR
    too_far = LONGEST_TRAVEL + STEP
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        AppointmentFactory(
            location=booked.location,
            place=Place.HOME,
            room=None,
            starts_at=start,
            ends_at=end,
            therapist_busy_from=start - (too_far if side == "before" else HOUR),
            therapist_busy_until=end + (too_far if side == "after" else HOUR),
        )
    assert _constraint_name(excinfo) == "appointment_travel_at_most_longest"


def test_the_longest_visit_with_the_longest_travel_is_accepted(booked):
    start = NINE + 5 * HOUR
    visit = AppointmentFactory(
        location=booked.location,
        place=Place.HOME,
        room=None,
        starts_at=start,
        ends_at=start + LONGEST_VISIT,
        therapist_busy_from=start - LONGEST_TRAVEL,
        therapist_busy_until=start + LONGEST_VISIT + LONGEST_TRAVEL,
    )
    assert visit.pk


def test_the_clinic_travel_buffer_is_bounded_in_the_database():
    policy = clinic_policy()
    policy.travel_buffer = LONGEST_TRAVEL + STEP
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        policy.save()
    assert _constraint_name(excinfo) == "clinic_policy_travel_buffer_bounded"


def test_the_clinic_travel_buffer_form_says_the_rule():
    policy = clinic_policy()
    policy.travel_buffer = LONGEST_TRAVEL + STEP
    with pytest.raises(ValidationError) as excinfo:
        policy.full_clean()
    assert TRAVEL_RULE in excinfo.value.message_dict["travel_buffer"]
