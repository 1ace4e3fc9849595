"""One length rule: 15 minutes to 4 hours in quarter hours, for visits and policies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.forms import modelform_factory
from hypothesis import given
from hypothesis import strategies as st

from massageclinic.admin import ClinicPolicyForm
from massageclinic.lengths import (
    LENGTH_RULE,
    length_problem,
    minutes_problem,
    valid_minutes,
)
from massageclinic.models import ClinicPolicy, clinic_policy


@given(st.integers(min_value=-60, max_value=600))
def test_a_length_is_valid_exactly_in_quarter_hours_from_15_to_240(minutes):
    expected = minutes % 15 == 0 and 15 <= minutes <= 240
    assert valid_minutes(minutes) is expected
    assert (length_problem(timedelta(minutes=minutes)) is None) is expected


@given(st.integers(min_value=-(10**40), max_value=10**40))
def test_typed_minutes_of_any_size_get_the_rule_never_an_overflow(minutes):
    expected = minutes % 15 == 0 and 15 <= minutes <= 240
    assert (minutes_problem(minutes) is None) is expected


def test_a_second_too_many_is_not_a_quarter_hour():
    assert length_problem(timedelta(minutes=60, seconds=1)) == LENGTH_RULE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "ok"), [("30,60,90", True), ("60,300", False), ("50", False)]
)
def test_the_policy_offers_only_lengths_a_visit_may_have(typed, ok):
    form_class = modelform_factory(
        ClinicPolicy, form=ClinicPolicyForm, fields=["session_lengths"]
    )
    bound = form_class(data={"session_lengths": typed}, instance=clinic_policy())
    bound.is_valid()
    assert ("session_lengths" not in bound.errors) is ok
    if not ok:
        assert LENGTH_RULE in bound.errors["session_lengths"][0]
