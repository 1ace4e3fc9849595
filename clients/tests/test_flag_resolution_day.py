"""A resolved flag stops applying from the day it was resolved on where the client is
treated: their preferred location's calendar, else the clinic's first location's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Condition, Contraindication
from clients.safety import flags_in_force, flags_in_force_for_clients
from clients.tests.factories import ClientFactory
from massageclinic.models import Location
from massageclinic.tests.factories import LocationFactory, UserFactory
from massageclinic.tests.kept_reference import parts_read_after_a_change

pytestmark = pytest.mark.django_db

# The extremes: fourteen hours ahead of UTC and twelve behind, and two in between.
ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "America/New_York", "Asia/Kolkata", "UTC"]
DAY = date(2026, 12, 1)


@pytest.fixture
def places(db):
    Location.objects.update(is_active=False)
    clinic = LocationFactory(time_zone="America/New_York")
    treated_at = LocationFactory(time_zone="UTC")
    return clinic, treated_at


def _flag(client, resolved_at: datetime | None = None) -> Contraindication:
    condition = Condition.objects.get(slug="anticoagulants")
    return Contraindication.objects.create(
        client=client,
        condition=condition,
        severity=condition.default_severity,
        resolved_at=resolved_at,
        resolved_by=UserFactory() if resolved_at else None,
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    clinic_zone=st.sampled_from(ZONES),
    client_zone=st.sampled_from([*ZONES, None]),
    minutes=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
    days_later=st.integers(min_value=-2, max_value=2),
)
def test_a_flag_applies_until_the_local_day_it_was_resolved(
    places, clinic_zone, client_zone, minutes, days_later
):
    clinic, treated_at = places
    Location.objects.filter(pk=clinic.pk).update(time_zone=clinic_zone)
    Location.objects.filter(pk=treated_at.pk).update(time_zone=client_zone or "UTC")
    client = ClientFactory(preferred_location=treated_at if client_zone else None)
    resolved_at = datetime(2026, 12, 1, 12, tzinfo=UTC) + timedelta(minutes=minutes)
    flag = _flag(client, resolved_at)
    on = DAY + timedelta(days=days_later)

    resolved_on = resolved_at.astimezone(ZoneInfo(client_zone or clinic_zone)).date()
    in_force = [f.pk for f in flags_in_force(client, on)]
    assert in_force == ([flag.pk] if resolved_on > on else [])


def test_many_clients_cost_three_queries_whatever_their_places(
    places, django_assert_num_queries
):
    clinic, treated_at = places
    here = ClientFactory(preferred_location=treated_at)
    anywhere = ClientFactory(preferred_location=None)
    for client in (here, anywhere):
        _flag(client, resolved_at=datetime(2026, 12, 2, 3, tzinfo=UTC))
    _flag(here)
    # The clinic's zone, for the client without a preferred location, is read in
    # the flags' own query. The conditions' rules are reference data the process
    # keeps (massageclinic.reference): their version is one statement, and the
    # first load after a change reads every part of it.
    with django_assert_num_queries(3 + parts_read_after_a_change()):
        flags_in_force_for_clients([here.pk, anywhere.pk], DAY)
    with django_assert_num_queries(3):
        flags = flags_in_force_for_clients([here.pk, anywhere.pk], DAY)
    # 03:00 UTC on Dec 2 is Dec 2 where `here` is treated (UTC), but still the
    # evening of Dec 1 in the clinic's New York: resolved by the end of that day.
    assert {c: len(f) for c, f in flags.items()} == {here.pk: 2}
