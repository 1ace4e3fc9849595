"""The zone of a therapist: one rule, asked by every path that reads their times."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest

from massageclinic.models import Location
from massageclinic.tests.factories import LocationFactory
from therapists.models import WorkingHours
from therapists.services import therapist_zone, therapist_zones
from therapists.tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db


def _hours(therapist, location, weekday: int = 1) -> None:
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=weekday,
        starts_at=time(9),
        ends_at=time(17),
    )


def test_it_is_the_zone_of_the_location_of_their_hours():
    LocationFactory(time_zone="America/New_York")  # the clinic's first location
    therapist = TherapistFactory()
    _hours(therapist, LocationFactory(time_zone="America/Los_Angeles"))

    assert therapist_zone(therapist) == ZoneInfo("America/Los_Angeles")


def test_without_hours_it_is_the_clinics_first_active_location():
    LocationFactory(time_zone="Europe/London", is_active=False)
    LocationFactory(time_zone="America/Chicago")
    LocationFactory(time_zone="America/Denver")

    assert therapist_zone(TherapistFactory()) == ZoneInfo("America/Chicago")


def test_with_hours_in_several_zones_it_is_the_clinics():
    LocationFactory(time_zone="America/Chicago")
    therapist = TherapistFactory()
    _hours(therapist, LocationFactory(time_zone="America/Los_Angeles"), weekday=1)
    _hours(therapist, LocationFactory(time_zone="Europe/London"), weekday=2)

    assert therapist_zone(therapist) == ZoneInfo("America/Chicago")


def test_several_locations_in_one_zone_are_that_zone():
    LocationFactory(time_zone="America/Chicago")
    therapist = TherapistFactory()
    _hours(therapist, LocationFactory(time_zone="Europe/London"), weekday=1)
    _hours(therapist, LocationFactory(time_zone="Europe/London"), weekday=2)

    assert therapist_zone(therapist) == ZoneInfo("Europe/London")


def test_without_any_location_it_is_utc():
    Location.objects.all().delete()

    assert therapist_zone(TherapistFactory()) == ZoneInfo("UTC")


def test_many_therapists_take_two_queries(django_assert_num_queries):
    LocationFactory(time_zone="America/Chicago")
    west, east, nowhere = TherapistFactory(), TherapistFactory(), TherapistFactory()
    _hours(west, LocationFactory(time_zone="America/Los_Angeles"))
    _hours(east, LocationFactory(time_zone="America/New_York"))

    with django_assert_num_queries(2):
        zones = therapist_zones([west.pk, east.pk, nowhere.pk])

    assert zones == {
        west.pk: ZoneInfo("America/Los_Angeles"),
        east.pk: ZoneInfo("America/New_York"),
        nowhere.pk: ZoneInfo("America/Chicago"),
    }
