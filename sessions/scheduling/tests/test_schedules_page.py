"""The schedule pages: weekly hours and time off in local time, who may open them,
and the booked visits that new time off or hours leave out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.models import Appointment, OutboundMessage
from sessions.scheduling.rules import ProposedVisit, therapist_problems
from sessions.tests.factories import AppointmentFactory
from therapists.models import TimeOff, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 14, tzinfo=UTC)  # Friday 20 Nov, 09:00 in New York


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def new_york(db):
    return LocationFactory(name="Manhattan", time_zone="America/New_York")


@pytest.fixture
def maple(new_york):
    return RoomFactory(location=new_york, name="Maple Room")


@pytest.fixture
def tara(therapist, new_york):
    """The therapist persona, working Tuesdays 09:00-17:00 in New York."""
    WorkingHours.objects.create(
        therapist=therapist,
        location=new_york,
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    return therapist


@pytest.fixture
def visit(tara, new_york, maple):
    """Tuesday 1 December, 10:00-11:00 in New York."""
    return AppointmentFactory(
        therapist=tara,
        location=new_york,
        room=maple,
        client=ClientFactory(first_name="Amy", last_name="Stone"),
        starts_at=datetime(2026, 12, 1, 15, tzinfo=UTC),
    )


def _time_off(client, therapist, **changes):
    data = {
        "starts_on": "2026-12-01",
        "starts_time": "08:00",
        "ends_on": "2026-12-01",
        "ends_time": "12:00",
        "reason": "Dentist",
    }
    data.update(changes)
    return client.post(reverse("sessions:schedule_time_off", args=[therapist.pk]), data)


def _hours(client, therapist, where, **changes):
    data = {
        "location": where.pk,
        "weekday": "2",
        "starts_at": "08:00",
        "ends_at": "18:00",
    }
    data.update(changes)
    return client.post(reverse("sessions:schedule", args=[therapist.pk]), data)


# --- who may open what --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["schedule", "schedule_time_off"])
def test_a_therapist_reads_their_own_schedule_and_not_a_colleagues(
    client, tara, other_therapist, name
):
    client.force_login(tara.user)

    assert client.get(reverse(f"sessions:{name}", args=[tara.pk])).status_code == 200
    other = reverse(f"sessions:{name}", args=[other_therapist.pk])
    assert client.get(other).status_code == 404
    assert client.post(other, {}).status_code == 404


def test_a_therapist_cannot_add_time_off_or_hours_for_a_colleague(
    client, tara, other_therapist, new_york
):
    client.force_login(tara.user)

    assert _time_off(client, other_therapist).status_code == 404
    assert _hours(client, other_therapist, new_york).status_code == 404
    assert not TimeOff.objects.exists()
    assert not WorkingHours.objects.filter(therapist=other_therapist).exists()


def test_the_schedules_list_sends_a_therapist_to_their_own(client, tara):
    client.force_login(tara.user)

    response = client.get(reverse("sessions:schedules"))

    assert response.status_code == 302
    assert response.url == reverse("sessions:schedule", args=[tara.pk])


def test_the_desk_reads_every_schedule_but_changes_none(
    client, front_desk, tara, new_york, visit
):
    client.force_login(front_desk)
    listing = client.get(reverse("sessions:schedules"))
    assert tara.full_name in listing.content.decode()
    page = client.get(reverse("sessions:schedule_time_off", args=[tara.pk]))
    assert page.status_code == 200
    assert "Add time off" not in page.content.decode()

    assert _time_off(client, tara).status_code == 403
    assert _hours(client, tara, new_york).status_code == 403
    block = WorkingHours.objects.get(therapist=tara)
    remove = reverse("sessions:schedule_hours_remove", args=[tara.pk, block.pk])
    assert client.post(remove).status_code == 403
    assert not TimeOff.objects.exists() and WorkingHours.objects.count() == 1


def test_the_manager_edits_any_therapists_schedule(client, manager, tara, new_york):
    client.force_login(manager)

    assert _hours(client, tara, new_york).status_code == 302
    assert _time_off(client, tara).status_code == 302
    assert WorkingHours.objects.filter(therapist=tara).count() == 2
    assert TimeOff.objects.filter(therapist=tara).count() == 1


def test_a_person_without_a_role_gets_403(client, tara):
    from massageclinic.tests.factories import UserFactory

    client.force_login(UserFactory())
    for url in [
        reverse("sessions:schedules"),
        reverse("sessions:schedule", args=[tara.pk]),
    ]:
        assert client.get(url).status_code == 403


# --- weekly hours ---------------------------------------------------------------------------


def test_hours_typed_on_the_page_are_the_locations_wall_clock(client, tara, new_york):
    """The issue's case: 08:00-18:00 for a New York therapist is bookable from 08:00
    New York time, not from 1 PM, and not at 07:45."""
    client.force_login(tara.user)
    assert _hours(client, tara, new_york, weekday="2").status_code == 302

    def problems(local_hour: int, minute: int) -> list[str]:
        starts = datetime(2026, 12, 2, local_hour, minute, tzinfo=new_york.zone)
        visit = ProposedVisit.lasting(
            60,
            client=None,
            therapist=tara,
            modality=modality(),
            location=new_york,
            starts_at=starts,
        )
        return [p for p in therapist_problems(visit) if "hours" in p or "work" in p]

    assert problems(8, 0) == []
    assert problems(7, 45) != []
    assert problems(17, 0) == []
    page = client.get(reverse("sessions:schedule", args=[tara.pk])).content.decode()
    assert "08:00–18:00" in page and "America/New_York" in page


def test_overlapping_hours_are_a_form_error_not_a_500(client, tara, new_york):
    client.force_login(tara.user)

    response = _hours(
        client, tara, LocationFactory(name="Brooklyn"), weekday="1", starts_at="16:00"
    )

    assert response.status_code == 400
    assert "overlaps" in response.content.decode()
    assert WorkingHours.objects.filter(therapist=tara).count() == 1


def test_hours_that_leave_a_booked_visit_out_list_it(client, tara, visit):
    client.force_login(tara.user)
    block = WorkingHours.objects.get(therapist=tara)

    client.post(reverse("sessions:schedule_hours_remove", args=[tara.pk, block.pk]))
    page = client.get(reverse("sessions:schedule", args=[tara.pk])).content.decode()

    assert "1 booked visit outside these hours" in page
    assert "Amy Stone" in page and "Maple Room" in page


# --- time off -------------------------------------------------------------------------------


def test_time_off_is_typed_and_shown_in_the_therapists_zone(client, tara):
    client.force_login(tara.user)

    assert _time_off(client, tara).status_code == 302

    off = TimeOff.objects.get()
    assert off.starts_at == datetime(2026, 12, 1, 13, tzinfo=UTC)
    page = client.get(reverse("sessions:schedule_time_off", args=[tara.pk]))
    html = page.content.decode()
    assert "Tue 1 Dec 2026, 08:00" in html and "America/New_York" in html
    assert AuditEvent.objects.filter(object_type="therapists.TimeOff").exists()


def test_time_off_over_a_booked_visit_is_saved_and_lists_the_visit(client, tara, visit):
    client.force_login(tara.user)

    response = _time_off(client, tara)
    page = client.get(response.url).content.decode()

    assert TimeOff.objects.count() == 1
    assert "1 booked visit in time off" in page
    assert "Amy Stone" in page and "Tue 1 Dec 2026, 10:00–11:00" in page
    assert "Maple Room" in page and "Cancel with notice" in page
    # A therapist does not move visits (the desk does): no link to a page they
    # may not open.
    assert reverse("sessions:visit_reschedule", args=[visit.pk]) not in page


def test_the_desk_sees_move_and_cancel_for_each_visit(client, front_desk, tara, visit):
    TimeOff.objects.create(
        therapist=tara,
        starts_at=datetime(2026, 12, 1, 13, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
    )
    client.force_login(front_desk)

    page = client.get(reverse("sessions:schedule_time_off", args=[tara.pk]))

    html = page.content.decode()
    assert reverse("sessions:visit_reschedule", args=[visit.pk]) in html
    assert "Cancel with notice" in html


def test_cancel_with_notice_cancels_with_the_time_off_as_reason(
    client, front_desk, tara, visit
):
    visit.status = Appointment.Status.CONFIRMED
    visit.save()
    OutboundMessage.objects.all().delete()
    _time_off_row(tara)
    client.force_login(front_desk)

    response = client.post(
        reverse("sessions:schedule_visit_cancel", args=[tara.pk, visit.pk])
    )

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED
    assert "is off from" in visit.cancellation_reason
    assert "Dentist" in visit.cancellation_reason
    page = client.get(response.url).content.decode()
    assert "booked visit in time off" not in page  # none left: the list is gone


def test_a_therapist_may_cancel_their_own_visit_in_their_time_off(client, tara, visit):
    _time_off_row(tara)
    client.force_login(tara.user)

    client.post(reverse("sessions:schedule_visit_cancel", args=[tara.pk, visit.pk]))

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


def test_a_visit_not_in_the_way_is_not_cancelled_from_here(
    client, front_desk, tara, visit
):
    client.force_login(front_desk)

    response = client.post(
        reverse("sessions:schedule_visit_cancel", args=[tara.pk, visit.pk])
    )

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED
    other = AppointmentFactory(starts_at=datetime(2026, 12, 1, 15, tzinfo=UTC))
    missing = reverse("sessions:schedule_visit_cancel", args=[tara.pk, other.pk])
    assert client.post(missing).status_code == 404


def _time_off_row(therapist):
    return TimeOff.objects.create(
        therapist=therapist,
        starts_at=datetime(2026, 12, 1, 13, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
        reason="Dentist",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_on": "2026-03-08", "starts_time": "02:30", "ends_on": "2026-03-08"},
        {"starts_on": "2026-11-01", "starts_time": "01:30", "ends_on": "2026-11-01"},
        {"ends_on": "2026-11-30"},
        {"starts_on": "99999-01-01"},
        {"starts_on": "0001-01-01"},
        {"starts_time": "25:00"},
        {"starts_time": "\x00"},
        {"reason": "x" * 500},
        {"starts_on": ""},
    ],
)
def test_bad_time_off_is_a_form_error_never_a_500(client, tara, changes):
    client.force_login(tara.user)

    response = _time_off(client, tara, **changes)

    assert response.status_code == 400
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"location": "99999999999999999999"},
        {"location": "abc"},
        {"weekday": "9"},
        {"starts_at": "18:00", "ends_at": "08:00"},
        {"starts_at": "nonsense"},
        {"ends_at": "\x00"},
    ],
)
def test_bad_hours_are_a_form_error_never_a_500(client, tara, new_york, changes):
    client.force_login(tara.user)

    response = _hours(client, tara, new_york, **changes)

    assert response.status_code == 400
    assert WorkingHours.objects.filter(therapist=tara).count() == 1


def test_unknown_ids_in_the_address_are_404(client, manager, tara):
    client.force_login(manager)
    huge = 99999999999999999999
    for url in [
        reverse("sessions:schedule", args=[huge]),
        reverse("sessions:schedule_time_off", args=[huge]),
    ]:
        assert client.get(url).status_code == 404
    for url in [
        reverse("sessions:schedule_hours_remove", args=[tara.pk, huge]),
        reverse("sessions:schedule_time_off_remove", args=[tara.pk, huge]),
        reverse("sessions:schedule_visit_cancel", args=[tara.pk, huge]),
    ]:
        assert client.post(url).status_code == 404


# --- query counts ---------------------------------------------------------------------------


def _busy_week(therapist, location, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=i % 7,
            starts_at=time(5 + i // 7),
            ends_at=time(5 + i // 7, 30),
        )
        TimeOff.objects.create(
            therapist=therapist,
            starts_at=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=i),
            ends_at=datetime(2026, 12, 1, 23, tzinfo=UTC) + timedelta(days=i),
        )
        AppointmentFactory(
            therapist=therapist,
            location=location,
            room=RoomFactory(location=location),
            starts_at=datetime(2026, 12, 1, 15, tzinfo=UTC) + timedelta(days=i),
        )


@pytest.mark.parametrize("name", ["schedule", "schedule_time_off"])
def test_the_pages_queries_do_not_grow_with_rows(
    client, manager, new_york, name, django_assert_max_num_queries
):
    therapist = TherapistFactory()
    client.force_login(manager)
    url = reverse(f"sessions:{name}", args=[therapist.pk])
    _busy_week(therapist, new_york, 2)
    with django_assert_max_num_queries(14):
        small = client.get(url)
    _busy_week(TherapistFactory(), new_york, 1)
    _busy_week(therapist, new_york, 12, first=2)
    with django_assert_max_num_queries(14):
        big = client.get(url)
    assert small.status_code == big.status_code == 200
    assert big.content.decode().count("Cancel with notice") >= 8


def test_the_list_of_therapists_has_a_fixed_query_count(
    client, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    for _ in range(8):
        TherapistFactory()
    with django_assert_max_num_queries(10):
        assert client.get(reverse("sessions:schedules")).status_code == 200


def test_a_visit_cancelled_for_time_off_is_never_a_late_cancellation(
    client, front_desk, tara, visit
):
    _time_off_row(tara)
    client.force_login(front_desk)
    # Three hours before the visit: inside the clinic's 24-hour late-cancel window.
    with time_machine.travel(visit.starts_at - timedelta(hours=3), tick=False):
        client.force_login(front_desk)
        client.post(reverse("sessions:schedule_visit_cancel", args=[tara.pk, visit.pk]))
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED  # the clinic's reason: no fee
