"""The front desk finds a failed message on the outbox page and retries it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from conftest import PASSWORD
from massageclinic.celery import app as celery_app
from massageclinic.tests.factories import LocationFactory
from sessions.models import OutboundMessage
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def private_queue():
    """The Retry hands the message to a worker: to a queue of this test's own."""
    name = f"clinic-test-{uuid.uuid4().hex[:10]}"
    previous = celery_app.conf.task_default_queue

    def _forget_routing():
        for cached in ("queues", "default_queue", "router"):
            celery_app.amqp.__dict__.pop(cached, None)

    celery_app.conf.task_default_queue = name
    _forget_routing()
    yield name
    celery_app.conf.task_default_queue = previous
    _forget_routing()
    redis.Redis.from_url(settings.REDIS_URL).delete(name, f"_kombu.binding.{name}")


@pytest.fixture
def failed_message():
    location = LocationFactory(time_zone="America/New_York")
    starts_at = timezone.now() + timedelta(days=3)
    visit = AppointmentFactory(
        location=location,
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )
    return OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.REMINDER,
        appointment=visit,
        client=visit.client,
        to_email=visit.client.email,
        send_at=timezone.now() - timedelta(hours=1),
        status=OutboundMessage.Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


def test_the_front_desk_retries_a_failed_message(
    page, screenshot, front_desk, failed_message, private_queue
):
    page.goto("/messages/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Grace Okafor"))
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("Connection unexpectedly closed")
    expect(row).to_contain_text("5 attempts")
    screenshot("outbox-failed")

    row.get_by_role("button", name="Retry the reminder to Grace Okafor").click()

    expect(page.get_by_role("status")).to_contain_text(
        "The reminder to Grace Okafor is being sent again."
    )
    row = page.get_by_role("row", name=re.compile("Grace Okafor"))
    expect(row).to_contain_text("Pending")
    expect(row.get_by_role("button", name=re.compile("Retry"))).to_have_count(0)
    screenshot("outbox-retried")
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.attempts) == ("pending", 0)
    handed = redis.Redis.from_url(settings.REDIS_URL).llen(private_queue)
    assert handed == 1  # one task, for a worker to send it now


def test_a_sent_message_reads_its_old_error_as_history(page, screenshot, front_desk):
    location = LocationFactory(time_zone="America/New_York")
    starts_at = timezone.now() + timedelta(days=3)
    visit = AppointmentFactory(
        location=location,
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )
    OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.REMINDER,
        appointment=visit,
        client=visit.client,
        to_email=visit.client.email,
        send_at=timezone.now() - timedelta(hours=1),
        sent_at=timezone.now() - timedelta(minutes=50),
        status=OutboundMessage.Status.SENT,
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    page.goto("/messages/?show=sent")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    row = page.get_by_role("row", name=re.compile("Grace Okafor"))
    expect(row).to_contain_text("Sent")
    expect(row).to_contain_text(
        "Sent after an earlier attempt failed (SMTPServerDisconnected"
    )
    expect(row.locator(".text-danger")).to_have_count(0)
    screenshot("outbox-sent-with-earlier-error")


def test_the_desk_filters_the_outbox_and_pages_through_it(page, screenshot, front_desk):
    location = LocationFactory(time_zone="America/New_York")
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    henry = ClientFactory(first_name="Henry", last_name="Walsh")
    start = timezone.now() + timedelta(days=3)
    for n in range(70):
        visit = AppointmentFactory(
            location=location,
            client=grace if n < 60 else henry,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=1),
        )
        OutboundMessage.objects.create(
            kind=OutboundMessage.Kind.REMINDER,
            appointment=visit,
            client=visit.client,
            to_email=visit.client.email,
            send_at=timezone.now() - timedelta(hours=1) + timedelta(days=n),
            # Grace's: 55 failed, 5 pending.
            status=OutboundMessage.Status.FAILED
            if n < 55 or n >= 60
            else OutboundMessage.Status.PENDING,
            attempts=5,
            last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        )
    page.goto("/messages/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("70 messages match")).to_be_visible()

    filters = page.get_by_role("search", name="Filter messages")
    filters.get_by_label("Client").fill("grace oka")
    filters.get_by_label("Status").select_option(label="Failed")
    filters.get_by_role("button", name="Filter").click()

    expect(page.get_by_text("55 messages match")).to_be_visible()
    expect(page.get_by_text("page 1 of 2")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Henry Walsh"))).to_have_count(0)
    expect(filters.get_by_label("Client")).to_have_value("grace oka")
    screenshot("outbox-filtered")

    page.get_by_role("navigation", name="Pages of messages").get_by_role(
        "link", name="Page 2"
    ).click()
    expect(page.get_by_text("showing 51–55, page 2 of 2")).to_be_visible()
    expect(page).to_have_url(re.compile(r"client=grace\+oka.*show=failed.*page=2"))
    expect(page.get_by_role("row", name=re.compile("Grace Okafor"))).to_have_count(5)
    screenshot("outbox-page-2")

    filters.get_by_label("Client").fill("nobody at all")
    filters.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No message matches these filters.")).to_be_visible()
    screenshot("outbox-no-match")
    page.get_by_role("link", name="Clear the filters").first.click()
    expect(page.get_by_text("65 messages match")).to_be_visible()
