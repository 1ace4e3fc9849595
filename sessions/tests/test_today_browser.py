"""Today as the desk's cockpit in a real Chromium: three clients checked in from the
home page, each through the health questions and straight back to Today; a no-show
only once the visit has started."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from massageclinic.models import clinic_policy
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment
from sessions.scheduling.tests.test_screening_browser import (
    QUESTIONS,
    _answer,
    _book,
)
from sessions.scheduling.tests.test_screening_browser import (
    place as place,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def _quarter(minutes_from_now: int):
    now = timezone.now().replace(second=0, microsecond=0)
    return (
        now - timedelta(minutes=now.minute % 15) + timedelta(minutes=minutes_from_now)
    )


def test_the_desk_checks_in_three_clients_from_today(
    page, screenshot, therapist, front_desk, place
):
    policy = clinic_policy()
    policy.check_in_opens = timedelta(hours=4)  # the clinic's setting
    policy.save()
    visits = [
        _book(therapist, front_desk, place, _quarter(30 + 75 * n), name)
        for n, name in enumerate(["Ada", "Bea", "Cy"])
    ]
    _book(therapist, front_desk, place, _quarter(360), "Dee")
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in_through_the_page(page, "frontdesk")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    later_row = page.get_by_role("row").filter(has_text="Dee Okafor")
    expect(later_row.get_by_text("check-in from")).to_be_visible()
    expect(
        later_row.get_by_role("button", name="Mark Dee Okafor a no-show")
    ).to_have_count(0)
    screenshot("today_desk")

    for visit in visits:
        name = visit.client.full_name
        page.get_by_role("link", name=f"Check in {name}").click()
        expect(page.get_by_role("heading", name=f"Check in {name}")).to_be_visible()
        for question in QUESTIONS:
            _answer(page, question, "No")
        page.get_by_role("button", name="Record the answers and check in").click()
        # Straight back to Today, with the next client a click away.
        expect(page.get_by_text("The visit is now checked in.")).to_be_visible()
        expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
        row = page.get_by_role("row").filter(has_text=name)
        expect(row.get_by_text("Checked in")).to_be_visible()
    screenshot("today_desk_three_checked_in")
    assert {
        v.status for v in Appointment.objects.filter(pk__in=[v.pk for v in visits])
    } == {Appointment.Status.CHECKED_IN}
