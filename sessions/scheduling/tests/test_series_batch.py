"""A series is judged and inserted as one batch (`visits_book`): its visits are
checked against each other as well as the schedule, numbered against the referral
one after another, and a race lost at insert time still ends in a sentence."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from clients.models import Referral, ReferringProvider
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import UserFactory
from sessions.models import Appointment, AppointmentSeries
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
)
from sessions.scheduling.series import (
    ALTERNATIVE,
    SeriesRule,
    series_book,
)
from sessions.scheduling.tests.test_series import NOW, _request, _setup
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db


def _weekly(count: int, starts_on=date(2026, 3, 3)) -> SeriesRule:
    return SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=starts_on,
        local_start_time=time(10),
        count=count,
    )


def test_an_alternative_that_lands_on_another_visit_of_the_series_is_refused():
    location, therapist, room = _setup("America/New_York")
    request = _request(location, therapist, room, _weekly(2))
    second_visit = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 EDT
    with pytest.raises(ValidationError) as excinfo:
        series_book(
            proposed=request,
            choices={1: ALTERNATIVE},
            alternatives={1: second_visit},
            created_by=UserFactory(),
            now=NOW,
        )
    messages = excinfo.value.messages
    assert messages[0].startswith("Visit 2 (Tue 10 Mar 10:00): ")
    assert "already booked then" in messages[0]
    assert messages[-1] == "Nothing was booked."
    assert not Appointment.objects.exists()
    assert not AppointmentSeries.objects.exists()


def test_visits_of_the_batch_are_numbered_against_the_referral_in_order():
    location, therapist, room = _setup("America/New_York")
    client = ClientFactory()
    Referral.objects.create(
        client=client,
        provider=ReferringProvider.objects.create(
            name="Dr. Amara Singh", credentials="MD", npi="1234567893"
        ),
        referred_on=date(2026, 2, 1),
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=2,
        expires_on=date(2026, 6, 1),
    )
    request = _request(location, therapist, room, _weekly(3), client=client)
    with pytest.raises(BookingNeedsConfirmation) as excinfo:
        series_book(
            proposed=request,
            choices={},
            alternatives={},
            created_by=UserFactory(),
            now=NOW,
        )
    assert excinfo.value.authorization == [
        "This would be visit 3 of 2 prescribed by the referral."
    ]
    series = series_book(
        proposed=request,
        choices={},
        alternatives={},
        created_by=UserFactory(),
        now=NOW,
        confirmation=Confirmation(authorization_override_reason="Renewal on its way"),
    )
    visits = list(series.appointments.order_by("starts_at"))
    assert [v.authorization_override_reason for v in visits] == [
        "",
        "",
        "Renewal on its way",
    ]
    assert [v.events.count() for v in visits] == [1, 1, 2]


def test_a_race_lost_at_insert_is_a_sentence_and_nothing_is_booked(monkeypatch):
    """Another desk books the therapist after the batch's checks read the schedule
    and before its insert: the exclusion constraint refuses the insert, and the
    desk reads who holds the time."""
    from sessions.scheduling import booking

    location, therapist, room = _setup("America/New_York")
    request = _request(location, therapist, room, _weekly(3))
    real_insert = booking.insert_or_conflict

    def other_desk_first(appointments, visits, name_visit=None):
        # Another connection's booking, committed before ours; here the same
        # transaction stands in for it (the constraint sees both the same way).
        Appointment.objects.create(
            client=ClientFactory(),
            therapist=therapist,
            modality=modality("swedish"),
            location=location,
            room=None,
            place="home",
            starts_at=datetime(2026, 3, 17, 14, 0, tzinfo=UTC),
            ends_at=datetime(2026, 3, 17, 15, 0, tzinfo=UTC),
            booked_by=UserFactory(),
        )
        real_insert(appointments, visits, name_visit)

    monkeypatch.setattr(booking, "insert_or_conflict", other_desk_first)
    with pytest.raises(ValidationError) as excinfo:
        series_book(
            proposed=request,
            choices={},
            alternatives={},
            created_by=UserFactory(),
            now=NOW,
        )
    first = excinfo.value.messages[0]
    assert (
        first.startswith("Visit 3 (Tue 17 Mar 10:00): ")
        and "is already booked then" in first
    )
    assert excinfo.value.messages[-1] == "Nothing was booked."
    assert not AppointmentSeries.objects.exists()
    # The stand-in for the other desk shared our transaction, so it went too.
    assert not Appointment.objects.exists()


def test_a_series_that_fits_reads_the_other_visits_lean(monkeypatch):
    """Only a refusal needs the other visits whole (to name them): a series whose
    visits all fit is judged on one lean load of the schedule."""
    from sessions.scheduling import schedule_sources

    loads: list[bool] = []
    original = schedule_sources.ScheduleSnapshot.__init__

    def counted(self, **kwargs):
        loads.append(kwargs.get("lean", False))
        original(self, **kwargs)

    monkeypatch.setattr(schedule_sources.ScheduleSnapshot, "__init__", counted)
    location, therapist, room = _setup("America/New_York")
    series = series_book(
        proposed=_request(location, therapist, room, _weekly(6)),
        choices={},
        alternatives={},
        created_by=UserFactory(),
        now=NOW,
    )
    assert series.appointments.count() == 6
    assert loads == [True]
