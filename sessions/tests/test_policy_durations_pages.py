"""The policy's durations on the pages and in the emails, in words (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from massageclinic.models import clinic_policy
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_visit_page_says_the_late_cancel_window_in_words(client, front_desk):
    policy = clinic_policy()
    policy.late_cancel_window = timedelta(hours=1, minutes=30)
    policy.save()
    visit = AppointmentFactory()
    client.force_login(front_desk)

    page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()

    assert (
        "Cancelling less than 1 hour 30 minutes before the visit counts as a late "
        "cancellation." in page
    )


def test_notes_to_sign_says_the_deadline_in_words(client, manager):
    policy = clinic_policy()
    policy.note_sign_deadline = timedelta(days=3)
    policy.save()
    client.force_login(manager)

    page = client.get(reverse("sessions:notes_to_sign")).content.decode()

    assert "A note is overdue once unsigned 3 days after the visit ended." in page
