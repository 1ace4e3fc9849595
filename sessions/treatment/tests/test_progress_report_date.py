"""The progress report is dated on the day it was written where the client is seen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import ClientFactory
from sessions.models import ProgressReport
from sessions.tests.factories import (
    make_plan,
    referral_for,
    shared_place,
    visits_of_a_plan,
)
from sessions.treatment.tests.test_pdf_report import pdf_text

pytestmark = pytest.mark.django_db

# 22:00 on April 20 in New York: already April 21 in UTC.
EVENING = datetime(2026, 4, 21, 2, tzinfo=UTC)


def test_a_report_written_in_the_evening_carries_that_days_date(client, therapist):
    location, room = shared_place()
    grace = ClientFactory(preferred_location=location)
    plan = make_plan(client=grace, therapist=therapist, referral=referral_for(grace))
    visits_of_a_plan(plan, place=(location, room))
    client.force_login(therapist.user)
    with time_machine.travel(EVENING, tick=False):
        response = client.post(
            reverse("sessions:progress_report", args=[plan.pk]),
            {
                "period_start": "2026-03-01",
                "period_end": "2026-04-20",
                "assessment": "Pain down from 7/10 to 4/10.",
                "recommendation": "Continue once a week for four weeks.",
            },
        )
        assert response.status_code == 302
        report = ProgressReport.objects.get()
        download = client.get(reverse("sessions:progress_report_pdf", args=[report.pk]))
    text = pdf_text(download.content)
    assert "written Apr 20, 2026" in text
    assert "Apr 21, 2026" not in text
