"""The series booking page: rule, preview with a choice per visit, all-or-nothing save."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from clients.models import Condition, Referral, ReferringProvider
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, AppointmentSeries, TreatmentPlan
from sessions.scheduling.booking import appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 2, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
URL = "/series/new/"

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
    tara = TherapistFactory(
        user=UserFactory(username="tara", first_name="Tara", last_name="Hands")
    )
    Training.objects.create(therapist=tara, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=tara,
            location=location,
            weekday=weekday,
            starts_at=time(1),
            ends_at=time(22),
        )
    return tara


@pytest.fixture
def grace():
    return ClientFactory(first_name="Grace", last_name="Okafor")


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


def _data(who, therapist_, where, in_room, /, **changes) -> dict:
    data = {
        "client_query": "",
        "client": str(who.pk),
        "modality": str(modality("swedish").pk),
        "therapist": str(therapist_.pk),
        "location": str(where.pk),
        "place": "room",
        "room": str(in_room.pk),
        "duration_minutes": "60",
        "weekdays": ["1"],  # Tuesday
        "interval_weeks": "1",
        "count": "4",
        "until": "",
        "starts_on": "2026-03-03",
        "local_start_time": "10:00",
        "plan": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _henry_at(tara, location, starts_at: datetime) -> Appointment:
    """Someone else already has Tara at that time (in another room)."""
    return appointment_book(
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=starts_at,
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )


TUE_10_MAR_10AM = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 EDT


def _preview(desk, data):
    return desk.post(URL, {**data, "action": "preview"})


def _book(desk, data, **choices):
    return desk.post(URL, {**data, **choices, "action": "book"})


# --- access ------------------------------------------------------------------------


def test_a_therapist_may_not_book_a_series(client, therapist):
    client.force_login(therapist.user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "preview"}).status_code == 403
    assert client.get(reverse("sessions:series_client_options")).status_code == 403


def test_the_manager_may_book_a_series(client, manager):
    client.force_login(manager)
    assert client.get(URL).status_code == 200


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- step 1 ------------------------------------------------------------------------


def test_the_form_lists_its_fields_and_no_clock_rule_without_a_series(desk, location):
    page = desk.get(URL).content.decode()
    for label in [
        "Find a client",
        "Modality",
        "Therapist",
        "Weekdays",
        "Repeat every (weeks)",
        "Number of visits",
        "Or: last date",
        "First date",
        "Start time (local)",
        "Length",
    ]:
        assert label in page
    # Nothing to say about the clocks before there is a series with dates.
    assert "clocks change" not in page
    assert "<script>" not in page


def test_lengths_come_from_the_clinic_policy(desk):
    form = desk.get(URL).context["form"]
    assert [value for value, _ in form.fields["duration_minutes"].choices] == [
        30,
        45,
        60,
        90,
    ]


# --- preview -----------------------------------------------------------------------


def test_the_preview_shows_a_conflict_with_its_alternative(
    desk, grace, tara, location, room
):
    _henry_at(tara, location, TUE_10_MAR_10AM)
    response = _preview(desk, _data(grace, tara, location, room))
    assert response.status_code == 200
    page = response.content.decode()
    rows = response.context["rows"]
    assert [r.occurrence.is_free for r in rows] == [True, False, True, True]
    assert "Tara Hands is already booked then: Henry Walsh" in page
    assert "Take the alternative (Tue 10 Mar 09:00)" in page
    # The alternative is chosen by default; free visits are kept.
    assert [r.choice for r in rows] == ["keep", "alternative", "keep", "keep"]
    assert "America/New_York" in page
    assert "Tue 03 Mar 2026, 10:00–11:00" in page
    assert not Appointment.objects.filter(client=grace).exists()


def test_a_conflict_without_an_alternative_defaults_to_skip(
    desk, grace, tara, location, room
):
    # Tara works 10:00-11:00 from Tuesday to Friday; that week Henry has it all.
    WorkingHours.objects.filter(therapist=tara, weekday__in=[1, 2, 3, 4]).update(
        starts_at=time(10), ends_at=time(11)
    )
    for day in (10, 11, 12, 13):
        _henry_at(tara, location, datetime(2026, 3, day, 14, 0, tzinfo=UTC))
    response = _preview(desk, _data(grace, tara, location, room))
    row = response.context["rows"][1]
    assert row.occurrence.alternative is None
    assert row.choice == "skip"
    assert "No free time nearby" in response.content.decode()


def test_the_preview_flags_visits_beyond_the_referral(
    desk, grace, tara, location, room
):
    Referral.objects.create(
        client=grace,
        provider=ReferringProvider.objects.create(
            name="Dr. Amara Singh", credentials="MD", npi="1234567893"
        ),
        referred_on=date(2026, 2, 1),
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=2,
        expires_on=date(2026, 3, 12),
    )
    response = _preview(desk, _data(grace, tara, location, room, count="3"))
    rows = response.context["rows"]
    assert rows[0].occurrence.authorization == []
    page = response.content.decode()
    assert "visit 3 of 2 prescribed" in page
    assert "after the referral expires (12 Mar 2026)" in page
    assert "Reason for booking beyond the referral or authorization" in page

    # Booking needs a reason; with one, the override is recorded on the visit.
    choices = {f"choice_{n}": "keep" for n in (1, 2, 3)}
    refused = _book(desk, _data(grace, tara, location, room, count="3"), **choices)
    assert refused.status_code == 400
    assert "Give a reason to book beyond" in refused.content.decode()
    assert not AppointmentSeries.objects.exists()

    booked = _book(
        desk,
        _data(grace, tara, location, room, count="3"),
        **choices,
        override_reason="Renewal requested from Dr. Singh",
    )
    assert booked.status_code == 302
    third = Appointment.objects.filter(client=grace).order_by("starts_at").last()
    assert third.authorization_override_reason == "Renewal requested from Dr. Singh"


def test_safety_alerts_must_be_acknowledged(
    desk, front_desk, grace, tara, location, room
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="pregnancy"),
        severity="modify",
        by=front_desk,
    )
    data = _data(grace, tara, location, room, count="2")
    preview = _preview(desk, data)
    assert preview.context["safety"]
    assert "I have read the safety alerts for these visits" in preview.content.decode()
    choices = {"choice_1": "keep", "choice_2": "keep"}
    refused = _book(desk, data, **choices)
    assert refused.status_code == 400
    assert "tick the box" in refused.content.decode()
    assert not Appointment.objects.exists()
    assert _book(desk, data, **choices, acknowledge_safety="on").status_code == 302
    visit = Appointment.objects.filter(client=grace).first()
    assert visit.safety_acknowledgement


def test_a_time_in_the_spring_forward_gap_is_explained_on_its_row(
    desk, grace, tara, location, room
):
    data = _data(
        grace,
        tara,
        location,
        room,
        weekdays=["6"],
        starts_on="2026-03-01",
        local_start_time="02:30",
        count="2",
    )
    response = _preview(desk, data)
    rows = response.context["rows"]
    assert [r.when for r in rows] == [
        "Sun 01 Mar 2026, 02:30–03:30",
        "Sun 08 Mar 2026, 03:30–04:30",
    ]
    assert [r.moved_by_clock_change for r in rows] == [False, True]
    assert "02:30 does not exist that day" in response.content.decode()


# --- booking -----------------------------------------------------------------------


def test_taking_the_alternative_and_skipping_a_visit(desk, grace, tara, location, room):
    _henry_at(tara, location, TUE_10_MAR_10AM)
    data = _data(grace, tara, location, room)
    alternative = _preview(desk, data).context["rows"][1].alternative_value
    response = _book(
        desk,
        data,
        choice_1="keep",
        choice_2="alternative",
        alternative_2=alternative,
        choice_3="keep",
        choice_4="skip",
    )
    visits = list(Appointment.objects.filter(client=grace).order_by("starts_at"))
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:visit", args=[visits[0].pk])
    local = [v.starts_at.astimezone(location.zone) for v in visits]
    assert [(t.day, t.hour) for t in local] == [(3, 10), (10, 9), (17, 10)]
    assert {v.series_id for v in visits} == {AppointmentSeries.objects.get().pk}
    page = desk.get(response["Location"]).content.decode()
    assert "3 visits booked (1 at an alternative time, 1 skipped)." in page


def test_a_free_series_books_every_visit(desk, grace, tara, location, room):
    data = _data(grace, tara, location, room, count="12")
    _preview(desk, data)
    response = _book(desk, data, **{f"choice_{n}": "keep" for n in range(1, 13)})
    assert response.status_code == 302
    series = AppointmentSeries.objects.get()
    assert series.appointments.count() == 12
    # Across the 8 March change, still 10:00 local.
    hours = {
        v.starts_at.astimezone(location.zone).hour for v in series.appointments.all()
    }
    assert hours == {10}


def test_a_conflict_between_preview_and_save_books_nothing(
    desk, grace, tara, location, room
):
    data = _data(grace, tara, location, room)
    preview = _preview(desk, data)
    assert all(r.occurrence.is_free for r in preview.context["rows"])
    # Another desk books Tara on the second Tuesday meanwhile.
    _henry_at(tara, location, TUE_10_MAR_10AM)
    response = _book(desk, data, **{f"choice_{n}": "keep" for n in range(1, 5)})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Visit 2 (Tue 10 Mar 10:00) is no longer free" in page
    assert "Nothing was booked." in page
    assert not Appointment.objects.filter(client=grace).exists()
    assert not AppointmentSeries.objects.exists()
    # The page shows the schedule as it is now, with the alternative chosen.
    assert response.context["rows"][1].choice == "alternative"
    assert response.context["rows"][0].choice == "keep"


def test_a_race_inside_the_save_books_nothing(
    desk, grace, tara, location, room, monkeypatch
):
    """The fresh preview passes, then someone books before the rows are written."""
    from sessions.scheduling.views import series as view

    data = _data(grace, tara, location, room)
    real_book = view.series_book

    def book_after_a_rival(**kwargs):
        _henry_at(tara, location, TUE_10_MAR_10AM)
        return real_book(**kwargs)

    monkeypatch.setattr(view, "series_book", book_after_a_rival)
    response = _book(desk, data, **{f"choice_{n}": "keep" for n in range(1, 5)})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Visit 2 (Tue 10 Mar 10:00)" in page
    assert "Nothing was booked." in page
    assert not Appointment.objects.filter(client=grace).exists()
    assert response.context["rows"][1].choice == "alternative"


def test_a_tampered_alternative_is_not_booked(desk, grace, tara, location, room):
    _henry_at(tara, location, TUE_10_MAR_10AM)
    data = _data(grace, tara, location, room)
    for tampered in ["2026-03-10T03:00:00-04:00", "yesterday", ""]:
        response = _book(
            desk,
            data,
            choice_1="keep",
            choice_2="alternative",
            alternative_2=tampered,
            choice_3="keep",
            choice_4="keep",
        )
        assert response.status_code == 409
        assert "the alternative time changed" in response.content.decode()
    assert not Appointment.objects.filter(client=grace).exists()


@pytest.mark.parametrize("choice", ["", "book-anyway", None])
def test_a_missing_or_unknown_choice_is_refused(
    desk, grace, tara, location, room, choice
):
    data = _data(grace, tara, location, room)
    choices = {"choice_1": "keep", "choice_2": "keep", "choice_3": "keep"}
    if choice is not None:
        choices["choice_4"] = choice
    response = _book(desk, data, **choices)
    assert response.status_code == 409
    assert "Visit 4 (Tue 24 Mar 10:00): choose" in response.content.decode()
    assert not Appointment.objects.exists()


def test_skipping_every_visit_books_nothing(desk, grace, tara, location, room):
    data = _data(grace, tara, location, room, count="2")
    response = _book(desk, data, choice_1="skip", choice_2="skip")
    assert response.status_code == 409
    assert "Every visit was skipped" in response.content.decode()
    assert not AppointmentSeries.objects.exists()


def test_change_the_details_goes_back_to_the_form(desk, grace, tara, location, room):
    response = desk.post(URL, {**_data(grace, tara, location, room), "action": "edit"})
    assert response.status_code == 200
    assert response.context["step"] == "rule"
    assert response.context["form"]["local_start_time"].value() == "10:00"


# --- the treatment plan ------------------------------------------------------------


@pytest.fixture
def plan(grace, tara):
    referral = Referral.objects.create(
        client=grace,
        provider=ReferringProvider.objects.create(
            name="Dr. Amara Singh", credentials="MD", npi="1234567893"
        ),
        referred_on=date(2026, 2, 1),
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=12,
        expires_on=date(2026, 6, 30),
    )
    plan = TreatmentPlan.objects.create(
        client=grace,
        therapist=tara,
        referral=referral,
        visits_per_week=2,
        visits_planned=8,
        session_minutes=45,
        starts_on=date(2026, 3, 3),
        review_on=date(2026, 4, 1),
        status=TreatmentPlan.Status.ACTIVE,
    )
    plan.planned_modalities.add(modality("swedish"))
    return plan


def test_the_plan_prefills_the_form(desk, front_desk, plan, grace, tara, location):
    response = desk.get(f"{URL}?plan={plan.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form["client"].value() == grace.pk
    assert form["therapist"].value() == tara.pk
    assert form["modality"].value() == modality("swedish").pk
    assert form["duration_minutes"].value() == 45
    assert form["count"].value() == 8
    assert form["weekdays"].value() == [1, 4]  # Tuesday and Friday
    assert form["starts_on"].value() == date(2026, 3, 3)
    assert form["location"].value() == location.pk  # where Tara works
    assert form["plan"].value() == str(plan.pk)
    page = response.content.decode()
    assert "From the treatment plan of Grace Okafor" in page
    assert "Referral from Dr. Amara Singh" in page
    assert AuditEvent.objects.filter(
        user=front_desk, object_type="clinic_sessions.TreatmentPlan", object_id=plan.pk
    ).exists()


def test_a_plan_that_has_begun_books_from_today(desk, plan):
    plan.starts_on = date(2026, 1, 5)
    plan.save()
    form = desk.get(f"{URL}?plan={plan.pk}").context["form"]
    assert form["starts_on"].value() == date(2026, 2, 2)


def test_an_unknown_plan_is_a_404(desk):
    assert desk.get(f"{URL}?plan=999999").status_code == 404


def test_a_series_from_a_plan_is_linked_to_the_plan_and_its_referral(
    desk, plan, grace, tara, location, room
):
    data = _data(
        grace,
        tara,
        location,
        room,
        plan=str(plan.pk),
        weekdays=["1", "4"],
        count="8",
        duration_minutes="45",
    )
    response = _book(desk, data, **{f"choice_{n}": "keep" for n in range(1, 9)})
    assert response.status_code == 302
    series = AppointmentSeries.objects.get()
    assert series.plan == plan
    assert series.referral == plan.referral
    assert {(v.plan_id, v.referral_id) for v in series.appointments.all()} == {
        (plan.pk, plan.referral_id)
    }


def test_a_plan_of_another_client_is_refused(desk, plan, tara, location, room):
    other = ClientFactory()
    data = _data(other, tara, location, room, plan=str(plan.pk))
    response = _preview(desk, data)
    assert response.status_code == 400
    assert "belongs to another client" in response.content.decode()


# --- malformed input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weekdays": None}, "Choose at least one weekday."),
        ({"weekdays": ["9"]}, "Select a valid choice"),
        ({"count": ""}, "Give a number of visits or a last date."),
        ({"until": "2026-06-30"}, "not both"),
        (
            {"count": "", "until": "2026-03-01"},
            "The last date is before the first date.",
        ),
        ({"count": "", "until": "2029-12-31"}, "more than 104 visits"),
        ({"count": "0"}, "greater than or equal to 1"),
        ({"count": "500"}, "less than or equal to 104"),
        ({"duration_minutes": "7"}, "Choose a length from the list"),
        ({"starts_on": "1900-01-01"}, "Choose a date between 2000 and 2100."),
        ({"starts_on": "2026-01-15"}, "The first date is in the past"),
        ({"starts_on": "03/03/26x"}, "Enter a valid date."),
        ({"local_start_time": "10:07"}, "quarter hour"),
        ({"interval_weeks": "0"}, "greater than or equal to 1"),
        ({"client": "999999"}, "Choose a client from the list."),
        ({"therapist": "abc"}, "Choose a therapist from the list."),
        ({"room": ""}, "Choose a room for a visit at the clinic."),
        ({"plan": "not-a-plan"}, "no longer exists"),
        ({"plan": "999999"}, "no longer exists"),
        ({"place": "moon"}, "Select a valid choice"),
    ],
)
def test_malformed_input_is_a_form_error(
    desk, grace, tara, location, room, changes, message
):
    data = _data(grace, tara, location, room, **changes)
    for action in ("preview", "book"):
        response = desk.post(URL, {**data, "action": action, "choice_1": "keep"})
        assert response.status_code == 400, action
        assert message in response.content.decode()
    assert not Appointment.objects.exists()
    assert not AppointmentSeries.objects.exists()


def test_an_archived_client_cannot_be_chosen(desk, grace, tara, location, room):
    grace.archived_at = NOW
    grace.save()
    response = _preview(desk, _data(grace, tara, location, room))
    assert response.status_code == 400
    assert "Choose a client from the list." in response.content.decode()


def test_a_room_at_another_location_is_refused(desk, grace, tara, location):
    elsewhere = RoomFactory(name="Harbour Room")
    response = _preview(desk, _data(grace, tara, location, elsewhere))
    assert response.status_code == 400
    assert "Harbour Room is not at Riverside." in response.content.decode()


def test_a_therapist_not_trained_in_the_modality_is_refused(
    desk, grace, tara, location, room
):
    response = _preview(
        desk,
        _data(grace, tara, location, room, modality=str(modality("cupping").pk)),
    )
    assert response.status_code == 400
    assert "Tara Hands does not offer Cupping" in response.content.decode()


# --- htmx lists --------------------------------------------------------------------


def test_the_client_search_narrows_the_list(desk, grace):
    ClientFactory(first_name="Henry", last_name="Walsh")
    ClientFactory(first_name="Old", last_name="Okafor", archived_at=NOW)
    url = reverse("sessions:series_client_options")
    page = desk.get(url, {"client_query": "okafor"}).content.decode()
    assert f'<option value="{grace.pk}" selected>Okafor, Grace' in page
    assert "Walsh" not in page
    assert "Old" not in page
    assert "1 client found" in page
    assert (
        "No client matches" in desk.get(url, {"client_query": "zzz"}).content.decode()
    )


def test_the_therapist_list_follows_the_modality(desk, tara, other_therapist):
    Training.objects.create(therapist=other_therapist, modality=modality("cupping"))
    url = reverse("sessions:series_therapist_options")
    page = desk.get(url, {"modality": modality("cupping").pk}).content.decode()
    assert "Oscar Kneads" in page
    assert "Tara Hands" not in page


def test_the_room_list_follows_the_location(desk, location, room):
    RoomFactory(name="Harbour Room")
    url = reverse("sessions:series_room_options")
    page = desk.get(url, {"location": location.pk, "room": room.pk}).content.decode()
    assert f'<option value="{room.pk}" selected>Maple Room (Riverside)' in page
    assert "Harbour Room" not in page


BIG = "99999999999999999999"


@pytest.mark.parametrize(
    "changes",
    [
        {"client": BIG},
        {"therapist": BIG, "modality": BIG, "location": BIG, "room": BIG},
        {"plan": BIG},
        {"client_query": "gr\x00ace"},
        {"duration_minutes": BIG, "count": BIG, "interval_weeks": BIG},
        {"starts_on": "10000-01-01", "until": "0000-00-00"},
    ],
)
def test_absurd_values_are_form_errors_not_500s(
    desk, grace, tara, location, room, changes
):
    data = _data(grace, tara, location, room, **changes)
    for action in ("preview", "book", "edit"):
        response = desk.post(URL, {**data, "action": action})
        assert response.status_code in (200, 400), action
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "query",
    [f"?plan={BIG}", f"?client={BIG}", "?client=abc", "?plan=-1", "?plan=1%00"],
)
def test_absurd_links_do_not_break_the_page(desk, query):
    assert desk.get(URL + query).status_code in (200, 404)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("series_client_options", {"client_query": "a\x00b", "client": BIG}),
        ("series_therapist_options", {"modality": BIG, "therapist": BIG}),
        ("series_room_options", {"location": BIG, "room": "x"}),
    ],
)
def test_absurd_list_requests_do_not_break(desk, name, params):
    assert desk.get(reverse(f"sessions:{name}"), params).status_code == 200
