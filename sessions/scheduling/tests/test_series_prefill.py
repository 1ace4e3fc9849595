"""The series form starts from the referral and plan, picks a free room, and names a
clock change only when one falls inside the series."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Condition
from clients.services import contraindication_add
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    ReferralFactory,
    ReferringProviderFactory,
)
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.kept_reference import keep_reference_data
from sessions.models import Appointment, TreatmentPlan
from sessions.scheduling.rules import ProposedVisit
from sessions.scheduling.schedule_sources import ScheduleSnapshot
from sessions.scheduling.series import clock_change_sentence, clock_changes
from sessions.scheduling.series_prefill import (
    plan_weekdays,
    series_count,
    series_minutes,
    series_room,
    series_suggestion,
    technique_words,
)
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

# Sunday 25 Oct 2026, 18:00 in New York: the series starts on Monday 26 Oct.
NOW = datetime(2026, 10, 25, 22, 0, tzinfo=UTC)
SUNDAY = date(2026, 10, 25)
URL = "/series/new/"
LENGTHS = [30, 45, 60, 90]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location(db):
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def rooms(location):
    return [
        RoomFactory(location=location, name=name)
        for name in ("Aspen", "Birch", "Cedar")
    ]


def _works_every_day(therapist, location) -> None:
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(20),
        )


@pytest.fixture
def tara(location):
    tara = TherapistFactory(
        user=UserFactory(username="tara", first_name="Tara", last_name="Hands")
    )
    for slug in ("swedish", "deep-tissue"):
        Training.objects.create(therapist=tara, modality=modality(slug))
    _works_every_day(tara, location)
    return tara


@pytest.fixture
def grace(db):
    return ClientFactory(first_name="Grace", last_name="Okafor")


@pytest.fixture
def referral(grace):
    """Dr Lee: 2 a week, 5 visits, 60 minutes, deep tissue."""
    referral = ReferralFactory(
        client=grace,
        provider=ReferringProviderFactory(name="Dr Lee"),
        referred_on=date(2026, 10, 20),
        visits_per_week=2,
        duration_weeks=6,
        session_minutes=60,
        visits_authorized=5,
        expires_on=date(2027, 1, 31),
    )
    referral.prescribed_modalities.add(modality("deep-tissue"))
    return referral


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def _visit_by_someone_else(_therapist, location, room, starts_at: datetime):
    """Another client with another therapist already has `room` at `starts_at`."""
    return Appointment.objects.create(
        client=ClientFactory(),
        therapist=TherapistFactory(),
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        booked_by=UserFactory(),
    )


def _at(day: date, hour: int, location) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=location.zone).astimezone(UTC)


SERIES_DAYS = [
    date(2026, 10, 26),
    date(2026, 10, 29),
    date(2026, 11, 2),
    date(2026, 11, 5),
    date(2026, 11, 9),
]


# --- the numbers ---------------------------------------------------------------------


limit = st.one_of(st.none(), st.integers(min_value=0, max_value=200))


@given(planned=limit, referral_left=limit, authorization_left=limit)
def test_the_count_is_what_is_planned_within_what_is_left(
    planned, referral_left, authorization_left
):
    count = series_count(
        planned=planned,
        referral_left=referral_left,
        authorization_left=authorization_left,
    )
    assert 1 <= count <= 104
    for known in (planned, referral_left, authorization_left):
        if known is not None and known >= 1:
            assert count <= known
    limits = [n for n in (planned, referral_left, authorization_left) if n is not None]
    if limits and 1 <= min(limits) <= 104:
        assert count == min(limits)


@given(
    per_week=st.integers(min_value=1, max_value=14),
    starts_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
)
def test_the_weekdays_are_as_many_as_the_visits_a_week_and_spaced(per_week, starts_on):
    days = plan_weekdays(per_week, starts_on)
    assert len(days) == len(set(days)) == min(per_week, 7)
    if per_week == 2:
        assert 2 <= days[1] - days[0] <= 3


@given(
    plan_minutes=st.one_of(st.none(), st.sampled_from([30, 45, 60, 75, 90])),
    referral_minutes=st.one_of(st.none(), st.sampled_from([30, 45, 60, 90, 120])),
    lengths=st.lists(st.sampled_from([15, 30, 45, 60, 90]), unique=True),
)
def test_the_length_is_the_plans_else_the_referrals_else_the_clinics(
    plan_minutes, referral_minutes, lengths
):
    plan = TreatmentPlan(session_minutes=plan_minutes) if plan_minutes else None
    referral = (
        ReferralFactory.build(session_minutes=referral_minutes)
        if referral_minutes
        else None
    )
    minutes = series_minutes(plan=plan, referral=referral, lengths=lengths)
    if plan_minutes:
        assert minutes == plan_minutes
    elif referral_minutes:
        assert minutes == referral_minutes
    else:
        assert minutes == (60 if 60 in lengths or not lengths else lengths[0])


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    per_week=st.integers(min_value=1, max_value=5),
    weeks=st.integers(min_value=1, max_value=8),
    minutes=st.sampled_from([30, 45, 60, 90]),
    authorized=st.integers(min_value=1, max_value=20),
    already=st.integers(min_value=0, max_value=4),
    insurer_allows=st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
)
def test_a_referral_fills_frequency_count_and_length(
    location, tara, per_week, weeks, minutes, authorized, already, insurer_allows
):
    # Each example in its own savepoint, rolled back: the examples share one test.
    with transaction.atomic():
        room = RoomFactory(location=location)
        grace = ClientFactory()
        referral = ReferralFactory(
            client=grace,
            referred_on=date(2026, 10, 1),
            visits_per_week=per_week,
            duration_weeks=weeks,
            session_minutes=minutes,
            visits_authorized=authorized,
            expires_on=date(2027, 6, 30),
        )
        authorization = None
        if insurer_allows is not None:
            authorization = AuthorizationFactory(
                policy=InsurancePolicyFactory(client=grace),
                visits_authorized=insurer_allows,
                valid_from=date(2026, 10, 1),
                valid_to=date(2027, 6, 30),
            )
        for n in range(already):
            Appointment.objects.create(
                client=grace,
                therapist=tara,
                modality=modality("swedish"),
                location=location,
                room=room,
                starts_at=_at(date(2026, 10, 5) + timedelta(days=n), 9, location),
                ends_at=_at(date(2026, 10, 5) + timedelta(days=n), 10, location),
                referral=referral,
                authorization=authorization,
                status=Appointment.Status.COMPLETED,
                booked_by=UserFactory(),
            )
        initial = series_suggestion(
            client=grace,
            plan=None,
            location=location,
            starts_on=SUNDAY,
            lengths=LENGTHS,
            now=NOW,
        ).initial
        limits = [per_week * weeks, authorized - already]
        if insurer_allows is not None:
            limits.append(insurer_allows - already)
        assert initial["count"] == max(min(limits), 1)
        assert initial["duration_minutes"] == minutes
        assert len(initial["weekdays"]) == per_week
        transaction.set_rollback(True)


# --- the page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_starts_from_the_referral(
    desk, front_desk, grace, referral, tara, rooms
):
    response = desk.get(f"{URL}?client={grace.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["client"].value() == grace.pk
    assert form["count"].value() == 5
    assert form["duration_minutes"].value() == 60
    assert form["modality"].value() == modality("deep-tissue").pk
    assert form["therapist"].value() == tara.pk
    assert form["weekdays"].value() == [0, 3]  # Monday and Thursday
    assert form["starts_on"].value() == SUNDAY
    assert form["local_start_time"].value() == time(8)
    assert form["room"].value() == rooms[0].pk
    page = response.content.decode()
    assert (
        "From Dr Lee&#x27;s referral of 20 Oct: 2 a week for 5 visits, 60 minutes, "
        "deep tissue; Aspen is free for all 5 visits. Change anything below."
    ) in page
    # The referral is a health record: reading it to fill the form is audited.
    assert AuditEvent.objects.filter(
        user=front_desk,
        action=AuditEvent.Action.VIEW,
        object_type="clients.Referral",
        object_id=referral.pk,
    ).exists()


@pytest.mark.django_db
def test_the_visits_already_booked_under_the_referral_are_taken_off(
    desk, grace, referral, tara, rooms, location
):
    Appointment.objects.create(
        client=grace,
        therapist=tara,
        modality=modality("deep-tissue"),
        location=location,
        room=rooms[0],
        starts_at=_at(date(2026, 10, 21), 9, location),
        ends_at=_at(date(2026, 10, 21), 10, location),
        referral=referral,
        status=Appointment.Status.COMPLETED,
        booked_by=UserFactory(),
    )
    form = desk.get(f"{URL}?client={grace.pk}").context["form"]
    assert form["count"].value() == 4


@pytest.mark.django_db
def test_the_authorization_left_caps_the_count(desk, grace, referral, tara, rooms):
    AuthorizationFactory(
        policy=InsurancePolicyFactory(client=grace),
        number="AUTH-7",
        visits_authorized=3,
        valid_from=date(2026, 10, 1),
        valid_to=date(2027, 1, 31),
    )
    response = desk.get(f"{URL}?client={grace.pk}")
    assert response.context["form"]["count"].value() == 3
    assert "3 visits left on authorization AUTH-7" in response.content.decode()


@pytest.mark.django_db
def test_a_technique_the_safety_rules_refuse_is_not_suggested(
    desk, grace, referral, tara, rooms, front_desk
):
    contraindication_add(
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
        detail="warfarin",
        context=AuditContext.system("test"),
    )
    response = desk.get(f"{URL}?client={grace.pk}")
    assert response.context["form"]["modality"].value() is None
    assert "deep tissue not allowed for this client" in response.content.decode()


@pytest.mark.django_db
def test_the_plan_comes_before_the_referral_for_length_and_count(
    desk, grace, referral, tara, rooms
):
    plan = TreatmentPlan.objects.create(
        client=grace,
        therapist=tara,
        referral=referral,
        visits_per_week=1,
        visits_planned=4,
        session_minutes=45,
        starts_on=date(2026, 10, 27),
        review_on=date(2026, 12, 1),
        status=TreatmentPlan.Status.ACTIVE,
    )
    plan.planned_modalities.add(modality("swedish"))
    response = desk.get(f"{URL}?plan={plan.pk}")
    form = response.context["form"]
    assert form["count"].value() == 4
    assert form["duration_minutes"].value() == 45
    assert form["weekdays"].value() == [1]  # the plan starts on a Tuesday
    # The referral's prescribed technique comes first.
    assert form["modality"].value() == modality("deep-tissue").pk
    assert (
        "From the treatment plan of 27 Oct with Tara Hands: 1 a week for 4 visits, "
        "45 minutes, deep tissue; 5 visits left on Dr Lee&#x27;s referral of 20 Oct;"
    ) in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("deep-tissue", "deep tissue"),
        ("swedish", "Swedish"),
        ("maya-abdominal", "Maya abdominal"),
        ("structural-integration", "structural integration (Rolfing)"),
    ],
)
def test_a_technique_reads_as_words_in_the_sentence(slug, words):
    assert technique_words(modality(slug)) == words


@pytest.mark.django_db
def test_a_client_without_referral_or_plan_gets_no_prefill(desk, grace, tara, rooms):
    response = desk.get(f"{URL}?client={grace.pk}")
    assert response.context["form"]["count"].value() is None
    assert 'id="prefilled-from"' not in response.content.decode()


@pytest.mark.django_db
def test_the_page_reads_a_fixed_number_of_queries(
    desk, grace, referral, tara, rooms, location, django_assert_max_num_queries
):
    # With the reference data kept (massageclinic.reference), as a serving
    # process keeps it.
    keep_reference_data()
    with django_assert_max_num_queries(30):
        desk.get(f"{URL}?client={grace.pk}")
    # Busy rooms make the search try more times and rooms, all in memory against one
    # schedule snapshot: the count stays the same.
    other = TherapistFactory()
    for day in SERIES_DAYS:
        for hour in (8, 9, 10):
            _visit_by_someone_else(other, location, rooms[0], _at(day, hour, location))
    keep_reference_data()
    with django_assert_max_num_queries(30):
        response = desk.get(f"{URL}?client={grace.pk}")
    assert response.context["form"]["room"].value() == rooms[1].pk


# --- the automatic room --------------------------------------------------------------


def _proposed(grace, tara, location) -> tuple[list[ProposedVisit], ScheduleSnapshot]:
    visits = [
        ProposedVisit.lasting(
            60,
            client=grace,
            therapist=tara,
            modality=modality("swedish"),
            location=location,
            starts_at=_at(day, 10, location),
        )
        for day in SERIES_DAYS
    ]
    return visits


def _room_for(grace, tara, location, rooms):
    visits = _proposed(grace, tara, location)
    source = ScheduleSnapshot(
        therapists=[tara],
        clients=[grace],
        rooms=rooms,
        start=visits[0].starts_at,
        end=visits[-1].ends_at,
    )
    return series_room(visits=visits, rooms=rooms, source=source, now=NOW)


@pytest.mark.django_db
def test_the_first_room_free_for_every_visit_is_chosen(grace, tara, location, rooms):
    other = TherapistFactory()
    _visit_by_someone_else(other, location, rooms[0], _at(SERIES_DAYS[2], 10, location))
    choice = _room_for(grace, tara, location, rooms)
    assert (choice.room, choice.free, choice.visits) == (rooms[1], 5, 5)
    assert choice.sentence == "Birch is free for all 5 visits"


@pytest.mark.django_db
def test_else_the_room_free_for_most_visits_is_chosen(grace, tara, location, rooms):
    other = TherapistFactory()
    taken = {
        rooms[0]: SERIES_DAYS[:2],
        rooms[1]: SERIES_DAYS[1:2],
        rooms[2]: SERIES_DAYS,
    }
    for room, days in taken.items():
        for day in days:
            _visit_by_someone_else(other, location, room, _at(day, 10, location))
    choice = _room_for(grace, tara, location, rooms)
    assert (choice.room, choice.free) == (rooms[1], 4)
    assert choice.sentence == (
        "Birch is free for 4 of 5 visits: the preview shows the others"
    )


@pytest.mark.django_db
def test_no_room_is_chosen_when_none_is_free(grace, tara, location, rooms):
    other = TherapistFactory()
    for room in rooms:
        for day in SERIES_DAYS:
            _visit_by_someone_else(other, location, room, _at(day, 10, location))
    choice = _room_for(grace, tara, location, rooms)
    assert choice.room is None
    assert choice.sentence == "no room is free for these visits: choose one"


@pytest.mark.django_db
def test_a_room_out_of_use_is_never_chosen(grace, tara, location, rooms):
    rooms[0].is_active = False
    rooms[0].save()
    response_room = _room_for(grace, tara, location, rooms).room
    assert response_room == rooms[1]


# --- the clocks ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "days", "expected"),
    [
        (
            "America/New_York",
            [date(2026, 10, 26), date(2026, 11, 5)],
            "The clocks change on Sun 1 Nov: visits stay at 10:00 local time.",
        ),
        ("America/New_York", [date(2026, 11, 2), date(2026, 11, 30)], ""),
        ("America/New_York", [date(2026, 10, 1), date(2026, 10, 31)], ""),
        (
            "Europe/London",
            [date(2026, 10, 20), date(2026, 10, 27)],
            "The clocks change on Sun 25 Oct: visits stay at 10:00 local time.",
        ),
        ("Europe/London", [date(2026, 10, 26), date(2026, 11, 5)], ""),
        # London's change is not New York's, and the other way round.
        ("Europe/London", [date(2026, 10, 27), date(2026, 11, 5)], ""),
        ("America/New_York", [date(2026, 10, 20), date(2026, 10, 27)], ""),
    ],
)
def test_the_clock_sentence_appears_only_for_a_change_inside_the_series(
    zone, days, expected
):
    location = LocationFactory(time_zone=zone)
    assert clock_change_sentence(location=location, days=days, at=time(10)) == expected


@pytest.mark.django_db
def test_a_visit_in_the_spring_forward_gap_says_when_it_is():
    location = LocationFactory(time_zone="America/New_York")
    days = [date(2026, 3, 1), date(2026, 3, 8)]
    assert clock_changes(location=location, days=days) == [date(2026, 3, 8)]
    assert clock_change_sentence(location=location, days=days, at=time(2, 30)) == (
        "The clocks change on Sun 8 Mar: visits stay at 02:30 local time, except "
        "that day, when 02:30 does not exist and the visit is at 03:30."
    )


@pytest.mark.django_db
def test_the_form_names_the_clock_change_inside_the_series(
    desk, grace, referral, tara, rooms
):
    page = desk.get(f"{URL}?client={grace.pk}").content.decode()
    assert "The clocks change on Sun 1 Nov: visits stay at 08:00 local time." in page
    assert "02:30 becomes 03:30" not in page


@pytest.mark.django_db
def test_the_form_says_nothing_about_clocks_for_a_series_without_a_change(
    desk, grace, referral, tara, rooms
):
    referral.visits_authorized = 1
    referral.save()
    page = desk.get(f"{URL}?client={grace.pk}").content.decode()
    assert "clocks change" not in page
    assert 'id="dst-rule"' not in page


@pytest.mark.django_db
def test_the_preview_names_the_clock_change(
    desk, grace, referral, tara, rooms, location
):
    data = {
        "client": grace.pk,
        "modality": modality("deep-tissue").pk,
        "therapist": tara.pk,
        "location": location.pk,
        "place": "room",
        "room": rooms[0].pk,
        "duration_minutes": 60,
        "weekdays": ["0", "3"],
        "interval_weeks": 1,
        "count": 5,
        "starts_on": "2026-10-26",
        "local_start_time": "10:00",
        "action": "preview",
    }
    page = desk.post(URL, data).content.decode()
    assert "The clocks change on Sun 1 Nov: visits stay at 10:00 local time." in page
    page = desk.post(URL, {**data, "count": 1}).content.decode()
    assert "clocks change" not in page


@pytest.mark.django_db
def test_choosing_a_client_on_the_page_fills_the_form_again(desk):
    form = desk.get(URL).context["form"]
    attrs = form.fields["client"].widget.attrs
    assert attrs["hx-get"] == reverse("sessions:series_new")
    assert attrs["hx-select"] == "#series-rule"


@pytest.mark.django_db
def test_a_used_up_referral_suggests_one_visit_and_says_so(
    desk, grace, referral, tara, rooms, location
):
    referral.visits_authorized = 1
    referral.save()
    Appointment.objects.create(
        client=grace,
        therapist=tara,
        modality=modality("deep-tissue"),
        location=location,
        room=rooms[0],
        starts_at=_at(date(2026, 10, 21), 9, location),
        ends_at=_at(date(2026, 10, 21), 10, location),
        referral=referral,
        status=Appointment.Status.COMPLETED,
        booked_by=UserFactory(),
    )
    response = desk.get(f"{URL}?client={grace.pk}")
    assert response.context["form"]["count"].value() == 1
    page = response.content.decode()
    assert "2 a week for 1 visit," in page
    assert "no visits left on the referral" in page


@pytest.mark.django_db
def test_a_therapist_without_hours_on_those_days_is_named(
    desk, grace, referral, tara, rooms
):
    WorkingHours.objects.filter(therapist=tara, weekday__in=[0, 3]).delete()
    response = desk.get(f"{URL}?client={grace.pk}")
    page = response.content.decode()
    assert "Tara Hands and Grace are free at 10:00 for 0 of 5 visits" in page
    assert "no room is free for these visits: choose one" in page
    assert response.context["form"]["room"].value() is None
