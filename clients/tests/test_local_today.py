"""Every page's "today" is the location's local date, not UTC's.

At 01:30 UTC on 28 November 2026 it is still 20:30 on Friday 27 November in New York;
the list, the chart, the intake renewal and the booking page all count from the 27th.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.intake_services import history_needs_renewal, history_renewal_due_on
from clients.models import MedicalHistory, Referral, ReferringProvider
from clients.selectors import IntakeStatus
from clients.tests.factories import ClientFactory
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory

EVENING_IN_NEW_YORK = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
NEW_YORK_TODAY = date(2026, 11, 27)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(EVENING_IN_NEW_YORK, tick=False):
        yield


@pytest.fixture
def new_york():
    # The clinic's first active location, so it is the clinic's "here".
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def london():
    return LocationFactory(name="Albion", time_zone="Europe/London")


def _history(client, submitted_at: datetime) -> MedicalHistory:
    return MedicalHistory.objects.create(
        client=client,
        version=1,
        submitted_at=submitted_at,
        chief_complaint="Low back pain after lifting",
        consent_name=client.full_name,
        consent_signed_at=submitted_at,
    )


def _row(response, client):
    return next(r for r in response.context["rows"] if r.client.pk == client.pk)


# --- The client list ----------------------------------------------------------------


def test_the_list_counts_renewal_from_new_yorks_today(client, front_desk, new_york):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    # Signed at 10:00 on 27 Nov 2025 in New York: current through 27 Nov 2026.
    _history(grace, datetime(2025, 11, 27, 15, 0, tzinfo=UTC))
    client.force_login(front_desk)
    response = client.get(reverse("clients:list"))
    assert _row(response, grace).intake == IntakeStatus.COMPLETE


def test_the_list_counts_a_history_from_the_day_it_was_signed_in_new_york(
    client, front_desk, new_york
):
    henry = ClientFactory(first_name="Henry", last_name="Walsh")
    # 21:00 on 26 Nov 2025 in New York (already the 27th in UTC): due 26 Nov 2026.
    _history(henry, datetime(2025, 11, 27, 2, 0, tzinfo=UTC))
    client.force_login(front_desk)
    response = client.get(reverse("clients:list"))
    assert _row(response, henry).intake == IntakeStatus.NEEDS_RENEWAL


def test_a_referral_that_expires_today_in_new_york_is_still_expiring(
    client, front_desk, new_york
):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    provider = ReferringProvider.objects.create(
        name="Dr. Ruth Alvarez", credentials="MD", npi="1234567893"
    )
    Referral.objects.create(
        client=grace,
        provider=provider,
        referred_on=date(2026, 10, 1),
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=12,
        expires_on=NEW_YORK_TODAY,
    )
    client.force_login(front_desk)
    response = client.get(reverse("clients:list"), {"referral_expiring": "on"})
    assert [r.client.pk for r in response.context["rows"]] == [grace.pk]


# --- The chart ----------------------------------------------------------------------


def test_the_chart_counts_renewal_from_the_new_york_signing_day(
    client, front_desk, new_york
):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    # 21:00 on 26 Nov 2025 in New York: due 26 Nov 2026, so overdue on the 27th.
    _history(grace, datetime(2025, 11, 27, 2, 0, tzinfo=UTC))
    client.force_login(front_desk)
    response = client.get(reverse("clients:detail", args=[grace.pk]))
    assert response.context["today"] == NEW_YORK_TODAY
    assert response.context["overview"].intake == IntakeStatus.NEEDS_RENEWAL
    assert "Needs renewal" in response.content.decode()


def test_the_chart_and_the_list_agree_for_a_client_treated_elsewhere(
    client, front_desk, new_york, london
):
    # Treated in London: signed at 02:00 on 27 Nov 2025 there, due 27 Nov 2026.
    ada = ClientFactory(first_name="Ada", last_name="Byron", preferred_location=london)
    _history(ada, datetime(2025, 11, 27, 2, 0, tzinfo=UTC))
    client.force_login(front_desk)
    listed = _row(client.get(reverse("clients:list")), ada).intake
    chart = client.get(reverse("clients:detail", args=[ada.pk]))
    assert chart.context["overview"].intake == listed


# --- Intake renewal -----------------------------------------------------------------


def test_renewal_counts_from_the_evening_it_was_signed_in_new_york(new_york):
    clinic_policy()
    grace = ClientFactory()
    # 21:00 on 9 January in New York; 02:00 on the 10th in UTC.
    history = _history(grace, datetime(2026, 1, 10, 2, 0, tzinfo=UTC))
    assert history_renewal_due_on(history, months=12) == date(2027, 1, 9)
    assert not history_needs_renewal(history=history, today=date(2027, 1, 9))
    assert history_needs_renewal(history=history, today=date(2027, 1, 10))


def test_renewal_counts_in_the_clients_preferred_location(new_york, london):
    grace = ClientFactory(preferred_location=london)
    history = _history(grace, datetime(2026, 1, 10, 2, 0, tzinfo=UTC))
    assert history_renewal_due_on(history, months=12) == date(2027, 1, 10)


def test_the_history_tab_shows_the_new_york_renewal_date(client, manager, new_york):
    grace = ClientFactory()
    _history(grace, datetime(2026, 1, 10, 2, 0, tzinfo=UTC))
    client.force_login(manager)
    response = client.get(reverse("clients:history", args=[grace.pk]))
    assert response.context["renewal_due_on"] == date(2027, 1, 9)
    assert response.context["today"] == NEW_YORK_TODAY


# --- Scheduling pages ---------------------------------------------------------------


def test_the_booking_page_starts_on_the_locations_date(client, front_desk, new_york):
    client.force_login(front_desk)
    response = client.get(reverse("sessions:book"), {"location": new_york.pk})
    assert response.context["form"].initial["day"] == NEW_YORK_TODAY


def test_the_booking_page_uses_the_chosen_locations_date_not_the_clinics(
    client, front_desk, new_york, london
):
    client.force_login(front_desk)
    in_london = client.get(reverse("sessions:book"), {"location": london.pk})
    assert in_london.context["form"].initial["day"] == date(2026, 11, 28)
    in_new_york = client.get(reverse("sessions:book"), {"location": new_york.pk})
    assert in_new_york.context["form"].initial["day"] == NEW_YORK_TODAY


def test_the_day_calendar_opens_on_the_locations_today(client, front_desk, new_york):
    client.force_login(front_desk)
    response = client.get(reverse("sessions:day"), {"location": new_york.pk})
    assert response.context["day"] == NEW_YORK_TODAY
    assert response.context["today"] == NEW_YORK_TODAY
