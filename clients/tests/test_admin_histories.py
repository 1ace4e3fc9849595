"""Histories and archiving in the admin go through the clients' services (issue 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, MedicalHistory
from clients.tests.factories import ClientFactory
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["manager", "admin_user"])
def staff(request, client):
    """The admin as the clinic manager, and as a superuser."""
    client.force_login(request.getfixturevalue(request.param))
    return client


def _history(patient: Client) -> MedicalHistory:
    now = timezone.now()
    return MedicalHistory.objects.create(
        client=patient,
        version=1,
        submitted_at=now,
        chief_complaint="Low back pain",
        pain_level=7,
        consent_name=patient.full_name,
        consent_signed_at=now,
    )


def _history_form(patient: Client, complaint: str) -> dict[str, object]:
    now = timezone.now()
    return {
        "client": patient.pk,
        "submitted_at_0": f"{now:%Y-%m-%d}",
        "submitted_at_1": "09:00:00",
        "chief_complaint": complaint,
        "pain_level": "2",
        "surgeries": "[]",
        "consent_name": patient.full_name,
        "consent_signed_at_0": f"{now:%Y-%m-%d}",
        "consent_signed_at_1": "09:00:00",
    }


def test_a_history_version_cannot_be_added_or_changed_in_the_admin(staff):
    patient = ClientFactory()
    history = _history(patient)
    add = reverse("admin:clients_medicalhistory_add")
    change = reverse("admin:clients_medicalhistory_change", args=[history.pk])

    added = staff.post(add, _history_form(patient, "Neck pain"))
    changed = staff.post(change, _history_form(patient, "Nothing at all"))

    assert (added.status_code, changed.status_code) == (403, 403)
    assert staff.get(add).status_code == 403
    history.refresh_from_db()
    assert history.chief_complaint == "Low back pain"
    assert list(patient.histories.values_list("version", flat=True)) == [1]
    page = staff.get(change).content.decode()
    assert "Low back pain" in page and 'name="chief_complaint"' not in page


def test_archiving_in_the_admin_keeps_the_services_rule_about_upcoming_visits(staff):
    visit = AppointmentFactory(
        starts_at=timezone.now() + timedelta(days=30),
        ends_at=timezone.now() + timedelta(days=30, hours=1),
    )
    free = ClientFactory()

    response = staff.post(
        reverse("admin:clients_client_changelist"),
        {"action": "archive", "_selected_action": [visit.client_id, free.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "upcoming visit" in response.content.decode()
    visit.client.refresh_from_db()
    free.refresh_from_db()
    assert visit.client.archived_at is None
    assert free.archived_at is not None
