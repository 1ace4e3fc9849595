"""Every response the app makes is sent with `Cache-Control: no-store`: pages, htmx
partials, PDFs, error pages and the client's link pages may hold health data. Static
files keep their long cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import ClientFactory
from sessions.messaging.links import Action, visit_link_token
from sessions.tests.factories import (
    AppointmentFactory,
    make_plan,
    referral_for,
    signed_visit,
)
from therapists.tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 11, 30, 13, tzinfo=UTC), tick=False):
        yield


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_pages_pdfs_error_pages_and_link_pages_are_never_stored(client, manager):
    grace = ClientFactory()
    visit = signed_visit(
        client=grace,
        therapist=TherapistFactory(),
        starts_at=datetime(2026, 3, 3, 15, tzinfo=UTC),
        referral=referral_for(grace),
    )
    plan = make_plan(client=grace, therapist=visit.therapist)
    upcoming = AppointmentFactory(client=grace, therapist=visit.therapist)
    client.force_login(manager)
    urls = [
        reverse("home"),
        reverse("clients:detail", args=[grace.pk]),
        reverse("clients:history", args=[grace.pk]),
        reverse("sessions:note", args=[visit.pk]),
        reverse("sessions:plan", args=[plan.pk]),
        reverse("sessions:superbill", args=[visit.pk]),
        "/no-such-page/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert _no_store(response), url
    assert client.get(urls[5])["Content-Type"] == "application/pdf"
    client.logout()
    token = visit_link_token(appointment=upcoming, action=Action.CANCEL)
    for url in [
        reverse("sessions:link_cancel", args=[token]),
        reverse("sessions:link_cancel", args=["not-a-token"]),
        reverse("login"),
    ]:
        assert _no_store(client.get(url)), url


def test_static_files_keep_their_long_cache(client):
    response = client.get("/static/css/clinic.css")
    response.close()  # a file response: let go of the file
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
