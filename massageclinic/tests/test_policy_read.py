"""Inside one booking the clinic policy row is read once and shared."""

from __future__ import annotations

import pytest

from massageclinic.models import ClinicPolicy, clinic_policy, one_policy_read

pytestmark = pytest.mark.django_db


def test_the_policy_is_read_once_inside_and_every_time_outside(
    django_assert_num_queries,
):
    clinic_policy()  # the row exists, as after set-up
    with django_assert_num_queries(1), one_policy_read():
        first = clinic_policy()
        with one_policy_read():  # a booking inside a series: still the one read
            assert clinic_policy() is first
        assert clinic_policy() is first
    with django_assert_num_queries(2):
        clinic_policy()
        clinic_policy()


def test_a_change_saved_before_is_what_the_next_booking_reads():
    policy = clinic_policy()
    with one_policy_read():
        assert clinic_policy().clinic_name == policy.clinic_name
    ClinicPolicy.objects.filter(pk=1).update(clinic_name="Harbour Massage")
    with one_policy_read():
        assert clinic_policy().clinic_name == "Harbour Massage"
