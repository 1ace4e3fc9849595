"""Series: the same local time across daylight-saving changes; all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, AppointmentSeries
from sessions.scheduling.booking import appointment_book
from sessions.scheduling.series import (
    ALTERNATIVE,
    SCOPE_ALL,
    SCOPE_FOLLOWING,
    SKIP,
    ProposedSeries,
    SeriesRule,
    expand,
    series_book,
    series_cancel_rest,
    series_change,
    series_preview,
)
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)


def _setup(zone: str):
    location = LocationFactory(time_zone=zone)
    therapist = TherapistFactory()
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(1),
            ends_at=time(22),
        )
    return location, therapist, RoomFactory(location=location, name="Maple Room")


def _request(location, therapist, room, rule, client=None):
    return ProposedSeries(
        client=client or ClientFactory(),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        rule=rule,
        duration_minutes=60,
        room=room,
    )


def test_expansion_honours_weekdays_interval_and_count():
    rule = SeriesRule(
        weekdays=(0, 3),
        interval_weeks=2,
        starts_on=date(2026, 3, 5),  # a Thursday
        local_start_time=time(10),
        count=5,
    )
    assert list(expand(rule)) == [
        date(2026, 3, 5),
        date(2026, 3, 16),
        date(2026, 3, 19),
        date(2026, 3, 30),
        date(2026, 4, 2),
    ]


def test_expansion_stops_at_the_end_date():
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        until=date(2026, 3, 17),
    )
    assert list(expand(rule)) == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
    ]


@pytest.mark.parametrize(
    ("zone", "starts_on", "utc_hours"),
    [
        # New York: EST (UTC-5) until 8 March, EDT (UTC-4) until 1 November.
        ("America/New_York", date(2026, 3, 2), [15, 14, 14, 14]),
        ("America/New_York", date(2026, 10, 19), [14, 14, 15, 15]),
        # London: GMT until 29 March, BST (UTC+1) until 25 October.
        ("Europe/London", date(2026, 3, 16), [10, 10, 9, 9]),
        ("Europe/London", date(2026, 10, 12), [9, 9, 10, 10]),
    ],
)
def test_a_weekly_10am_stays_at_10am_local_across_dst(zone, starts_on, utc_hours):
    location, therapist, room = _setup(zone)
    rule = SeriesRule(
        weekdays=(starts_on.weekday(),),
        interval_weeks=1,
        starts_on=starts_on,
        local_start_time=time(10),
        count=4,
    )
    series = series_book(
        proposed=_request(location, therapist, room, rule),
        choices={},
        alternatives={},
        created_by=UserFactory(),
        now=NOW,
    )
    visits = list(series.appointments.order_by("starts_at"))
    assert [v.starts_at.astimezone(location.zone).hour for v in visits] == [10] * 4
    assert [v.starts_at.astimezone(UTC).hour for v in visits] == utc_hours


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap():
    location, therapist, room = _setup("America/New_York")
    rule = SeriesRule(
        weekdays=(6,),
        interval_weeks=1,
        starts_on=date(2026, 3, 1),
        local_start_time=time(2, 30),
        count=2,
    )
    occurrences = series_preview(
        proposed=_request(location, therapist, room, rule), now=NOW
    )
    local = [o.starts_at.astimezone(location.zone) for o in occurrences]
    assert [(t.month, t.day, t.hour, t.minute) for t in local] == [
        (3, 1, 2, 30),
        (3, 8, 3, 30),
    ]


def test_the_preview_shows_a_conflict_with_the_nearest_alternative():
    location, therapist, room = _setup("America/New_York")
    desk = UserFactory()
    # Someone already has Tara at 10:00 on the second Tuesday.
    appointment_book(
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC),  # 10:00 EDT
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=3,
    )
    occurrences = series_preview(
        proposed=_request(location, therapist, room, rule), now=NOW
    )
    assert [o.is_free for o in occurrences] == [True, False, True]
    conflict = occurrences[1]
    assert "already booked then: Henry Walsh" in conflict.problems[0]
    assert conflict.alternative.astimezone(location.zone).time() in {time(9), time(11)}


def test_saving_is_all_or_nothing():
    location, therapist, room = _setup("America/New_York")
    desk = UserFactory()
    appointment_book(
        client=ClientFactory(),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=3,
    )
    with pytest.raises(ValidationError) as excinfo:
        series_book(
            proposed=_request(location, therapist, room, rule),
            choices={},
            alternatives={},
            created_by=desk,
            now=NOW,
        )
    assert "Visit 2 (Tue 10 Mar 10:00)" in excinfo.value.messages[0]
    assert "Nothing was booked." in excinfo.value.messages
    assert Appointment.objects.count() == 1
    assert not AppointmentSeries.objects.exists()


def test_the_person_keeps_the_alternative_or_skips():
    location, therapist, room = _setup("America/New_York")
    desk = UserFactory()
    appointment_book(
        client=ClientFactory(),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=4,
    )
    request = _request(location, therapist, room, rule)
    occurrences = series_preview(proposed=request, now=NOW)
    series = series_book(
        proposed=request,
        choices={2: ALTERNATIVE, 4: SKIP},
        alternatives={2: occurrences[1].alternative},
        created_by=desk,
        now=NOW,
    )
    assert series.appointments.count() == 3


def test_change_the_whole_series_and_cancel_the_rest():
    location, therapist, room = _setup("America/New_York")
    desk = UserFactory()
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=4,
    )
    series = series_book(
        proposed=_request(location, therapist, room, rule),
        choices={},
        alternatives={},
        created_by=desk,
        now=NOW,
    )
    visits = list(series.appointments.order_by("starts_at"))
    series_change(
        appointment=visits[0],
        scope=SCOPE_ALL,
        by=desk,
        now=NOW,
        local_start_time=time(15),
    )
    local_times = [
        v.starts_at.astimezone(location.zone).time()
        for v in series.appointments.order_by("starts_at")
    ]
    assert local_times == [time(15)] * 4
    series_cancel_rest(appointment=visits[2], by=desk, reason="moving away", now=NOW)
    statuses = list(
        series.appointments.order_by("starts_at").values_list("status", flat=True)
    )
    assert statuses == ["booked", "booked", "cancelled", "cancelled"]


def test_change_this_and_following_leaves_earlier_visits():
    location, therapist, room = _setup("America/New_York")
    desk = UserFactory()
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=3,
    )
    series = series_book(
        proposed=_request(location, therapist, room, rule),
        choices={},
        alternatives={},
        created_by=desk,
        now=NOW,
    )
    visits = list(series.appointments.order_by("starts_at"))
    series_change(
        appointment=visits[1],
        scope=SCOPE_FOLLOWING,
        by=desk,
        now=NOW,
        local_start_time=time(8),
    )
    hours = [
        v.starts_at.astimezone(location.zone).hour
        for v in series.appointments.order_by("starts_at")
    ]
    assert hours == [10, 8, 8]


def test_visits_beyond_the_referral_are_flagged_in_the_preview():
    from clients.models import Referral, ReferringProvider

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
        expires_on=date(2026, 3, 12),
    )
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=3,
    )
    occurrences = series_preview(
        proposed=_request(location, therapist, room, rule, client=client), now=NOW
    )
    assert occurrences[0].authorization == []
    assert occurrences[2].authorization == [
        "after the referral expires (12 Mar 2026)",
        "visit 3 of 2 prescribed",
    ]


def test_a_rule_without_an_end_is_refused():
    location, therapist, room = _setup("America/New_York")
    rule = SeriesRule(
        weekdays=(),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
    )
    with pytest.raises(ValidationError) as excinfo:
        series_preview(proposed=_request(location, therapist, room, rule), now=NOW)
    assert excinfo.value.messages == [
        "Choose at least one weekday.",
        "Give a number of visits or an end date.",
    ]


def _preview_queries(count: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    location, therapist, room = _setup("America/New_York")
    rule = SeriesRule(
        weekdays=(1, 3),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=count,
    )
    request = _request(location, therapist, room, rule)
    with CaptureQueriesContext(connection) as queries:
        occurrences = series_preview(proposed=request, now=NOW)
    assert len(occurrences) == count
    return len(queries)


def test_the_preview_query_count_does_not_grow_with_the_visits():
    assert _preview_queries(4) == _preview_queries(24)


def test_changing_the_whole_series_keeps_the_new_length():
    location, therapist, room = _setup("America/New_York")
    desk = UserFactory()
    rule = SeriesRule(
        weekdays=(1,),
        interval_weeks=1,
        starts_on=date(2026, 3, 3),
        local_start_time=time(10),
        count=3,
    )
    series = series_book(
        proposed=_request(location, therapist, room, rule),
        choices={},
        alternatives={},
        created_by=desk,
        now=NOW,
    )
    first = series.appointments.order_by("starts_at").first()
    series_change(
        appointment=first, scope=SCOPE_ALL, by=desk, now=NOW, duration_minutes=90
    )
    assert {v.duration_minutes for v in series.appointments.all()} == {90}
