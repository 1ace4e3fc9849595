"""403, 404, 500 and the CSRF failure: a sentence, the layout, and the way back."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def _ways_back(page: str) -> None:
    assert re.search(r'<a class="btn btn-primary" href="/">.*Back to Today</a>', page)
    assert "Go back</a>" in page and "data-go-back" in page


def _in_the_layout(page: str) -> None:
    assert '<nav class="navbar' in page and 'aria-label="Main"' in page
    assert 'href="/calendar/' in page or ">Calendar</a>" in page
    assert "Log out" in page


def test_an_unknown_address_gets_the_404_page_in_the_layout(client, front_desk):
    client.force_login(front_desk)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page
    _in_the_layout(page)
    _ways_back(page)


def test_a_404_for_a_hidden_record_reads_as_one_that_does_not_exist(client, therapist):
    """A therapist who does not treat the client gets the same page as for a client
    who was never registered, and never the view's own sentence."""
    hidden = ClientFactory(first_name="Hidden", last_name="Person")
    client.force_login(therapist.user)

    hidden_page = client.get(reverse("clients:referrals", args=[hidden.pk]))
    missing_page = client.get(reverse("clients:referrals", args=[hidden.pk + 999]))

    assert hidden_page.status_code == missing_page.status_code == 404

    def without_tokens(response) -> str:
        return re.sub(r'value="[^"]+"', "", response.content.decode())

    assert without_tokens(hidden_page) == without_tokens(missing_page)
    assert "Hidden" not in hidden_page.content.decode()
    _ways_back(hidden_page.content.decode())


def test_an_anonymous_visitor_of_a_404_gets_the_sign_in_not_the_navigation(client):
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page
    assert f'href="{reverse("login")}"' in page and "Sign in</a>" in page
    assert "Back to Today" not in page and "Log out" not in page
    assert "Go back</a>" in page


def test_a_forbidden_page_says_why_in_the_layout(client, front_desk):
    client.force_login(front_desk)
    response = client.get(reverse("sessions:notes_to_sign"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You cannot open this page" in page
    assert "Your role does not give access to this page." in page
    _in_the_layout(page)
    _ways_back(page)


def test_a_post_the_role_may_not_send_gets_the_403_page(client, therapist):
    """Views raise PermissionDenied with their own sentence; the page shows it."""
    from sessions.models import OutboundMessage
    from sessions.tests.factories import AppointmentFactory

    visit = AppointmentFactory(therapist=therapist)
    message = OutboundMessage.objects.create(
        kind="reminder",
        appointment=visit,
        client=visit.client,
        to_email="x@example.com",
        send_at=visit.starts_at,
        status="failed",
    )
    client.force_login(therapist.user)
    response = client.post(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 403
    assert "Only the front desk and the manager retry messages." in (
        response.content.decode()
    )


def test_go_back_leads_to_the_previous_page_of_this_site_only(client, front_desk):
    client.force_login(front_desk)
    here = client.get("/no-such-page/", HTTP_REFERER="http://testserver/clients/")
    assert 'href="http://testserver/clients/" data-go-back' in here.content.decode()
    elsewhere = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in elsewhere.content.decode()
    assert 'href="/" data-go-back' in elsewhere.content.decode()


def test_an_expired_form_gets_the_csrf_page_with_what_to_do(front_desk):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(front_desk)
    response = browser.post(reverse("logout"))
    page = response.content.decode()
    assert response.status_code == 403
    assert (
        "The form was open too long or in another tab: go back, reload and send it "
        "again." in page
    )
    assert "CSRF" not in page
    _in_the_layout(page)
    _ways_back(page)


def test_an_expired_sign_in_form_gets_the_csrf_page_too(db):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("login"), {"username": "a", "password": "b"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "The form was open too long" in page and "Sign in</a>" in page


@pytest.mark.urls("massageclinic.tests.error_urls")
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_500_page_renders_with_the_database_unreachable(front_desk, signed_in):
    browser = Client(raise_request_exception=False)
    if signed_in:
        browser.force_login(front_desk)
    down = OperationalError("could not connect to server: Connection refused")
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=down):
        response = browser.get("/test-broken/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "css/clinic.css" in page and "bootstrap.min.css" in page
    _ways_back(page)
    assert "Connection refused" not in page and "Traceback" not in page
