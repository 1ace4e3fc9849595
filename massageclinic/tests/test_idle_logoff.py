"""Sessions end after 15 idle minutes and 12 hours after signing in, whatever happens."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from massageclinic.models import AuditEvent
from massageclinic.session_security import ACTIVITY_WRITE_EVERY, why_session_ends
from massageclinic.tests.signing_in import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client, user) -> None:
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_fifteen_idle_minutes_end_the_session_with_a_clear_sentence(client, front_desk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _sign_in(client, front_desk)
        clock.shift(timedelta(minutes=14, seconds=59))
        assert client.get("/clients/").status_code == 200, "still within 15 minutes"

        clock.shift(timedelta(minutes=15, seconds=1))
        response = client.get("/clients/?q=smith", follow=True)

    assert response.redirect_chain[0][0] == "/login/?next=%2Fclients%2F%3Fq%3Dsmith"
    assert "after 15 minutes without activity" in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.IDLE_LOGOFF, object_id=front_desk.pk
    ).exists()


def test_each_page_counts_as_activity(client, front_desk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _sign_in(client, front_desk)
        for _ in range(5):  # an hour of work, a page every ten minutes
            clock.shift(timedelta(minutes=10))
            assert client.get("/").status_code == 200


def test_stay_signed_in_is_activity(client, front_desk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _sign_in(client, front_desk)
        clock.shift(timedelta(minutes=14))
        assert client.post("/account/keep-alive/").status_code == 204
        clock.shift(timedelta(minutes=14))
        assert client.get("/").status_code == 200


def test_twelve_hours_after_signing_in_the_session_ends_even_when_busy(
    client, front_desk
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _sign_in(client, front_desk)
        for _ in range(12 * 6):
            clock.shift(timedelta(minutes=10))
            response = client.get("/")
        assert response.status_code == 200, "12 hours to the minute: still in"
        clock.shift(timedelta(minutes=1))
        response = client.get("/", follow=True)

    assert "at most 12 hours" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_an_htmx_request_of_an_idle_session_loads_the_sign_in_page(client, front_desk):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _sign_in(client, front_desk)
        clock.shift(timedelta(minutes=16))
        response = client.get("/clients/", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/")


def test_the_page_carries_the_limits_for_its_warning(client, front_desk, settings):
    settings.CLINIC_IDLE_LOGOFF_SECONDS = 900
    settings.CLINIC_IDLE_WARNING_SECONDS = 60
    client.force_login(front_desk)

    page = client.get("/").content.decode()

    assert 'data-idle-logoff="900"' in page
    assert 'data-idle-warning="60"' in page
    assert "js/idle-logoff.js" in page
    assert "idle-logoff.js" not in client.get("/logout/").content.decode()


@pytest.mark.parametrize(
    ("signed_in_ago", "last_request_ago", "ends"),
    [
        (0, 0, False),
        (1000, 899, False),
        (1000, 901, True),
        (43_199, 0, False),
        (43_201, 0, True),
    ],
)
def test_the_rule_in_seconds(settings, signed_in_ago, last_request_ago, ends):
    settings.CLINIC_IDLE_LOGOFF_SECONDS = 900
    settings.CLINIC_SESSION_MAX_SECONDS = 43_200
    now = 1_800_000_000.0
    session = {
        "clinic_signed_in_at": now - signed_in_ago,
        "clinic_last_activity": now - last_request_ago,
    }

    assert (why_session_ends(session, now) is not None) is ends


def test_the_last_request_is_written_at_most_every_few_seconds(client, front_desk):
    """A session write on every page would be a query on every page."""
    client.force_login(front_desk)
    client.get("/")
    first = client.session["clinic_last_activity"]

    client.get("/")

    assert client.session["clinic_last_activity"] == first
    assert ACTIVITY_WRITE_EVERY <= 30
