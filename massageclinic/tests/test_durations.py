"""Durations in words: "24 hours", not "1 00:00:00" (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from massageclinic.admin import ClinicPolicyAdmin
from massageclinic.durations import duration_from_words, duration_words
from massageclinic.models import ClinicPolicy, clinic_policy
from massageclinic.tests.factories import UserFactory


@pytest.mark.parametrize(
    "value,words",
    [
        (timedelta(hours=24), "24 hours"),
        (timedelta(days=1, hours=12), "36 hours"),
        (timedelta(hours=48), "48 hours"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=14), "14 days"),
        (timedelta(hours=2, minutes=30), "2 hours 30 minutes"),
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(0), "0 minutes"),
        (timedelta(seconds=90), "1 minute 30 seconds"),
        (timedelta(days=3, hours=1, minutes=5), "3 days 1 hour 5 minutes"),
        (-timedelta(minutes=5), "minus 5 minutes"),
    ],
)
def test_it_says_a_duration_in_words(value, words):
    assert duration_words(value) == words


def test_nothing_is_said_of_no_duration():
    assert duration_words(None) == ""


@given(st.timedeltas())
@example(timedelta.min)
@example(timedelta.max)
@example(timedelta(microseconds=1))
def test_the_words_describe_exactly_the_same_duration(value):
    words = duration_words(value)
    assert ":" not in words and "," not in words
    assert duration_from_words(words) == value


@pytest.mark.parametrize(
    "typed,value",
    [
        ("1 00:00:00", timedelta(days=1)),  # what the form used to show
        ("90 minutes", timedelta(minutes=90)),
        ("1 day, 3 hours", timedelta(hours=27)),
        ("2 hours and 15 minutes", timedelta(hours=2, minutes=15)),
        ("2h 30m", timedelta(hours=2, minutes=30)),
        ("1.5 hours", timedelta(minutes=90)),
        ("  3 DAYS ", timedelta(days=3)),
    ],
)
def test_it_reads_what_a_person_types(typed, value):
    assert duration_from_words(typed) == value


@pytest.mark.parametrize("typed", ["", "soon", "3 hours banana", "2 fortnights"])
def test_it_reads_nothing_from_words_that_are_no_duration(typed):
    assert duration_from_words(typed) is None


def test_the_template_filter_says_it_in_words():
    template = Template("{% load durations %}{{ window|duration_words }}")
    page = template.render(Context({"window": timedelta(hours=2, minutes=30)}))
    assert page == "2 hours 30 minutes"


# --- the admin -------------------------------------------------------------------


@pytest.fixture
def policy(db):
    policy = clinic_policy()
    policy.late_cancel_window = timedelta(hours=24)
    policy.message_grace = timedelta(minutes=3)
    policy.second_reminder_lead = timedelta(hours=2, minutes=30)
    policy.save()
    return policy


def test_the_admin_list_shows_the_durations_in_words(admin_client, policy):
    url = reverse("admin:clinic_clinicpolicy_changelist")
    page = admin_client.get(url).content.decode()
    assert "24 hours" in page and "2 hours 30 minutes" in page
    assert "1 day, 0:00:00" not in page and "1 00:00:00" not in page


def test_the_admin_form_shows_and_takes_words(admin_client, policy):
    url = reverse("admin:clinic_clinicpolicy_change", args=[policy.pk])
    page = admin_client.get(url).content.decode()
    assert 'value="24 hours"' in page and 'value="3 minutes"' in page

    form_class = ClinicPolicyAdmin(ClinicPolicy, admin.site).get_form(
        _request(admin_client, url), policy
    )
    unbound = form_class(instance=policy)
    data = {
        name: unbound[name].value()
        for name in unbound.fields
        if unbound[name].value() not in (None, False)
    }
    data |= {"late_cancel_window": "2 hours 30 minutes", "travel_buffer": "1 hour"}
    bound = form_class(data=data, instance=policy)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["late_cancel_window"] == timedelta(hours=2, minutes=30)
    assert bound.cleaned_data["travel_buffer"] == timedelta(hours=1)

    data["late_cancel_window"] = "a while"
    bound = form_class(data=data, instance=policy)
    assert "Enter a duration in words" in bound.errors["late_cancel_window"][0]


def _request(admin_client, url):
    request = RequestFactory().get(url)
    request.user = _user_of(admin_client)
    return request


def _user_of(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def test_a_read_only_policy_shows_the_durations_in_words(client, policy):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_clinicpolicy"))
    client.force_login(viewer)
    url = reverse("admin:clinic_clinicpolicy_change", args=[policy.pk])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "24 hours" in page and "3 minutes" in page
    assert "1 day, 0:00:00" not in page and "0:03:00" not in page


def test_more_days_than_a_duration_holds_is_no_duration():
    assert duration_from_words("99999999999 00:00:00") is None
    assert duration_from_words("99999999999 days") is None
