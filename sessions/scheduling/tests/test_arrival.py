"""Statuses follow time: check-in opens the clinic's lead before the visit, a no-show
only once it has started, and the refusal says the rule with the local time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massageclinic.models import clinic_policy
from sessions.models import Appointment
from sessions.scheduling.arrival import check_in_time_problem, no_show_time_problem
from sessions.scheduling.booking import appointment_set_status
from sessions.scheduling.tests import test_visit_lifecycle as lifecycle

TUESDAY_10AM = lifecycle.TUESDAY_10AM  # New York
desk, visit = lifecycle.desk, lifecycle.visit  # the same fixtures

pytestmark = pytest.mark.django_db


def test_a_no_show_ninety_minutes_before_the_visit_is_refused_with_the_rule(
    visit, desk
):
    with pytest.raises(ValidationError) as refused:
        appointment_set_status(
            appointment=visit,
            status="no_show",
            by=desk,
            now=TUESDAY_10AM - timedelta(minutes=90),
        )
    assert refused.value.messages == [
        "A client can be marked a no-show only once the visit has started: this one "
        "starts at 10:00 AM on Tue 1 Dec."
    ]
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_a_no_show_from_the_start_is_recorded(visit, desk):
    appointment_set_status(
        appointment=visit, status="no_show", by=desk, now=TUESDAY_10AM
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.NO_SHOW


def test_an_early_check_in_says_when_check_in_opens(visit, desk):
    with pytest.raises(ValidationError) as refused:
        appointment_set_status(
            appointment=visit,
            status="checked_in",
            by=desk,
            now=TUESDAY_10AM - timedelta(hours=3),
        )
    assert refused.value.messages == [
        "Check-in for this visit opens at 8:00 AM on Tue 1 Dec; the visit starts at "
        "10:00 AM on Tue 1 Dec."
    ]


def test_the_clinic_sets_how_early_check_in_opens(visit, desk):
    policy = clinic_policy()
    policy.check_in_opens = timedelta(hours=4)
    policy.save()
    appointment_set_status(
        appointment=visit,
        status="checked_in",
        by=desk,
        now=TUESDAY_10AM - timedelta(hours=3),
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN


@pytest.mark.parametrize("lead", [timedelta(minutes=-15), timedelta(hours=13)])
def test_the_check_in_lead_is_bounded_in_the_form_and_the_database(lead):
    policy = clinic_policy()
    policy.check_in_opens = lead
    with pytest.raises(ValidationError, match="0 minutes to 12 hours"):
        policy.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        policy.save()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lead_quarters=st.integers(min_value=0, max_value=48),
    offset_minutes=st.integers(min_value=-15 * 60, max_value=3 * 60),
)
def test_each_button_is_allowed_exactly_from_its_moment(
    visit, lead_quarters, offset_minutes
):
    policy = clinic_policy()
    policy.check_in_opens = timedelta(minutes=15 * lead_quarters)
    policy.save()
    now = visit.starts_at + timedelta(minutes=offset_minutes)
    opens = visit.starts_at - policy.check_in_opens
    assert (check_in_time_problem(visit, now) is None) == (now >= opens)
    assert (no_show_time_problem(visit, now) is None) == (now >= visit.starts_at)
