"""A visit's life: confirm, check in, complete, cancel (late or not), no-show, move."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clients.models import Condition, Contraindication
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, AppointmentEvent
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 New York
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return UserFactory(username="desk")


@pytest.fixture
def visit(desk):
    location = LocationFactory(time_zone="America/New_York")
    therapist = TherapistFactory()
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(20),
        )
    with time_machine.travel(NOW, tick=False):
        return appointment_book(
            client=ClientFactory(),
            therapist=therapist,
            modality=modality("swedish"),
            location=location,
            room=RoomFactory(location=location, name="Maple Room"),
            starts_at=TUESDAY_10AM,
            duration_minutes=60,
            booked_by=desk,
            now=NOW,
        )


def test_a_cancellation_inside_the_window_is_late(visit, desk):
    three_hours_before = TUESDAY_10AM - timedelta(hours=3)
    appointment_cancel(
        appointment=visit, by=desk, reason="sick", now=three_hours_before
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.LATE_CANCELLED
    assert visit.cancelled_at == three_hours_before


def test_a_cancellation_before_the_window_is_plain(visit, desk):
    appointment_cancel(appointment=visit, by=desk, reason="travel", now=NOW)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


def test_cancelling_needs_a_reason_and_happens_once(visit, desk):
    with pytest.raises(ValidationError, match="Give a reason"):
        appointment_cancel(appointment=visit, by=desk, reason=" ", now=NOW)
    appointment_cancel(appointment=visit, by=desk, reason="travel", now=NOW)
    with pytest.raises(ValidationError, match="already cancelled"):
        appointment_cancel(appointment=visit, by=desk, reason="again", now=NOW)


def test_check_in_then_complete(visit, desk):
    on_the_day = TUESDAY_10AM - timedelta(minutes=10)
    appointment_set_status(
        appointment=visit, status="checked_in", by=desk, now=on_the_day
    )
    appointment_set_status(
        appointment=visit,
        status="completed",
        by=desk,
        now=TUESDAY_10AM + timedelta(hours=1),
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED
    assert list(visit.events.values_list("summary", flat=True))[-2:] == [
        "Booked → Checked in",
        "Checked in → Completed",
    ]


def test_a_second_click_changes_nothing(visit, desk):
    appointment_set_status(appointment=visit, status="confirmed", by=desk, now=NOW)
    appointment_set_status(appointment=visit, status="confirmed", by=desk, now=NOW)
    assert visit.events.filter(kind=AppointmentEvent.Kind.STATUS).count() == 1


def test_check_in_days_ahead_is_refused(visit, desk):
    with pytest.raises(ValidationError, match="Check-in for this visit opens at"):
        appointment_set_status(appointment=visit, status="checked_in", by=desk, now=NOW)


def test_a_completed_visit_cannot_be_cancelled_or_marked_no_show(visit, desk):
    appointment_set_status(
        appointment=visit, status="checked_in", by=desk, now=TUESDAY_10AM
    )
    appointment_set_status(
        appointment=visit,
        status="completed",
        by=desk,
        now=TUESDAY_10AM + timedelta(hours=1),
    )
    with pytest.raises(ValidationError, match="cannot be marked no show"):
        appointment_set_status(
            appointment=visit, status="no_show", by=desk, now=TUESDAY_10AM
        )
    with pytest.raises(ValidationError, match="already completed"):
        appointment_cancel(appointment=visit, by=desk, reason="x", now=TUESDAY_10AM)


def test_rescheduling_keeps_the_history_of_who_moved_what(visit, desk):
    appointment_reschedule(
        appointment=visit,
        by=desk,
        now=NOW,
        starts_at=TUESDAY_10AM + timedelta(hours=2),
    )
    visit.refresh_from_db()
    assert visit.starts_at == TUESDAY_10AM + timedelta(hours=2)
    event = visit.events.get(kind=AppointmentEvent.Kind.RESCHEDULED)
    assert event.by == desk
    assert event.summary.startswith("Moved from Tue 01 Dec 10:00-11:00")
    assert "to Tue 01 Dec 12:00-13:00" in event.summary


def test_alerts_new_since_booking_are_acknowledged_on_the_move_and_kept(visit, desk):
    condition = Condition.objects.get(slug="anticoagulants")
    Contraindication.objects.create(
        client=visit.client, condition=condition, severity=condition.default_severity
    )
    later = TUESDAY_10AM + timedelta(hours=2)
    with pytest.raises(BookingNeedsConfirmation) as asked:
        appointment_reschedule(appointment=visit, by=desk, now=NOW, starts_at=later)
    assert asked.value.safety == ["no firm or deep pressure: anticoagulant"]
    appointment_reschedule(
        appointment=visit,
        by=desk,
        now=NOW,
        starts_at=later,
        confirmation=Confirmation(safety_acknowledged=True),
    )
    visit.refresh_from_db()
    assert visit.safety_acknowledgement == "no firm or deep pressure: anticoagulant"
    event = visit.events.get(kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED)
    assert event.by == desk and "anticoagulant" in event.summary
    # Moved again, nothing new to acknowledge: it is not asked twice.
    appointment_reschedule(
        appointment=visit, by=desk, now=NOW, starts_at=later + timedelta(hours=1)
    )


def test_a_move_onto_another_visit_is_refused_and_changes_nothing(visit, desk):
    other = appointment_book(
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=visit.therapist,
        modality=visit.modality,
        location=visit.location,
        room=RoomFactory(location=visit.location),
        starts_at=TUESDAY_10AM + timedelta(hours=2),
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    with pytest.raises(ValidationError, match="already booked then: Henry Walsh"):
        appointment_reschedule(
            appointment=visit, by=desk, now=NOW, starts_at=other.starts_at
        )
    visit.refresh_from_db()
    assert visit.starts_at == TUESDAY_10AM
