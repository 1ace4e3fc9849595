"""Time off typed in the admin is read and shown in the therapist's zone, not UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse

from massageclinic.tests.factories import LocationFactory
from therapists.models import TimeOff, WorkingHours
from therapists.tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:therapists_timeoff_add")


@pytest.fixture(params=["manager", "admin_user"])
def staff(request, client):
    """The admin as the clinic manager, and as a superuser."""
    client.force_login(request.getfixturevalue(request.param))
    return client


def _therapist_in(zone: str):
    therapist = TherapistFactory()
    WorkingHours.objects.create(
        therapist=therapist,
        location=LocationFactory(time_zone=zone),
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    return therapist


def _form(therapist_id: object, day: str = "2026-12-01", **changes) -> dict:
    data = {
        "therapist": therapist_id,
        "starts_at_0": day,
        "starts_at_1": "08:00",
        "ends_at_0": day,
        "ends_at_1": "12:00",
        "reason": "Dentist",
    }
    data.update(changes)
    return data


def test_time_off_typed_for_a_new_york_therapist_is_new_york_time(staff):
    LocationFactory(time_zone="Europe/London")  # the clinic's first location
    therapist = _therapist_in("America/New_York")

    response = staff.post(ADD, _form(therapist.pk))

    assert response.status_code == 302, response.context["adminform"].form.errors
    off = TimeOff.objects.get()
    assert (off.starts_at, off.ends_at) == (
        datetime(2026, 12, 1, 13, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
    )

    page = staff.get(reverse("admin:therapists_timeoff_change", args=[off.pk]))
    html = page.content.decode()
    assert 'value="08:00:00"' in html and 'value="12:00:00"' in html
    assert "America/New_York" in html


def test_a_los_angeles_therapist_on_a_summer_day(staff):
    therapist = _therapist_in("America/Los_Angeles")

    response = staff.post(ADD, _form(therapist.pk, day="2026-07-01"))

    assert response.status_code == 302
    assert TimeOff.objects.get().starts_at == datetime(2026, 7, 1, 15, tzinfo=UTC)


def test_changing_time_off_keeps_reading_the_therapists_zone(staff):
    therapist = _therapist_in("America/New_York")
    off = TimeOff.objects.create(
        therapist=therapist,
        starts_at=datetime(2026, 12, 1, 13, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
    )
    url = reverse("admin:therapists_timeoff_change", args=[off.pk])

    response = staff.post(url, _form(therapist.pk, ends_at_1="14:00"))

    assert response.status_code == 302
    off.refresh_from_db()
    assert off.ends_at == datetime(2026, 12, 1, 19, tzinfo=UTC)


def test_the_list_shows_local_times_and_the_zone(staff):
    therapist = _therapist_in("America/New_York")
    TimeOff.objects.create(
        therapist=therapist,
        starts_at=datetime(2026, 12, 1, 13, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
    )

    page = staff.get(reverse("admin:therapists_timeoff_changelist")).content.decode()

    assert "Tue 2026-12-01 08:00 EST (America/New_York)" in page
    assert "Tue 2026-12-01 12:00 EST (America/New_York)" in page


def test_a_time_that_does_not_exist_in_the_zone_is_a_form_error(staff):
    therapist = _therapist_in("America/New_York")

    response = staff.post(
        ADD, _form(therapist.pk, day="2026-03-08", starts_at_1="02:30")
    )

    assert response.status_code == 200
    assert not TimeOff.objects.exists()


def test_an_end_before_the_start_is_a_form_error(staff):
    therapist = _therapist_in("America/New_York")

    response = staff.post(ADD, _form(therapist.pk, ends_at_1="07:00"))

    assert response.status_code == 200
    assert "Time off must end after it starts." in response.content.decode()
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(
    "therapist_id", ["abc", "-1", "0", "99999999999999999999", "1\x00", "١", ""]
)
def test_hostile_therapists_are_form_errors(staff, therapist_id):
    _therapist_in("America/New_York")

    response = staff.post(ADD, _form(therapist_id, starts_at_0="2026-99-01"))
    page = staff.get(ADD, {"therapist": therapist_id})

    assert (response.status_code, page.status_code) == (200, 200)
    assert not TimeOff.objects.exists()
    for object_id in [therapist_id, "abc", "99999999999999999999"]:
        url = f"/admin/therapists/timeoff/{object_id}/change/"
        assert staff.get(url).status_code in {302, 404}


@pytest.mark.parametrize(
    ("day", "at", "message"),
    [
        ("2026-03-08", "02:30", "does not exist in America/New_York"),
        ("2026-11-01", "01:30", "happens twice in America/New_York"),
    ],
)
def test_a_skipped_or_repeated_hour_gets_the_schedule_pages_sentence(
    staff, day, at, message
):
    therapist = _therapist_in("America/New_York")

    response = staff.post(
        ADD, _form(therapist.pk, day=day, starts_at_1=at, ends_at_1="09:00")
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TimeOff.objects.exists()


def test_time_off_saved_in_the_admin_is_audited_in_local_time(staff):
    from massageclinic.models import AuditEvent

    therapist = _therapist_in("America/New_York")

    staff.post(ADD, _form(therapist.pk))

    event = AuditEvent.objects.get(object_type="therapists.TimeOff")
    assert "08:00" in event.summary and "America/New_York" in event.summary


def test_weekly_hours_are_shown_in_the_admin_and_set_on_the_schedule_page(staff):
    therapist = _therapist_in("America/New_York")
    block = WorkingHours.objects.get()

    listing = staff.get(reverse("admin:therapists_workinghours_changelist"))
    html = listing.content.decode()
    assert "America/New_York" in html
    assert reverse("sessions:schedule", args=[therapist.pk]) in html
    assert staff.get(reverse("admin:therapists_workinghours_add")).status_code == 403
    change = reverse("admin:therapists_workinghours_change", args=[block.pk])
    assert staff.post(change, {"starts_at": "01:00"}).status_code == 403
    block.refresh_from_db()
    assert block.starts_at == time(9)

    page = staff.get(reverse("admin:therapists_therapist_change", args=[therapist.pk]))
    assert reverse("sessions:schedule", args=[therapist.pk]) in page.content.decode()
