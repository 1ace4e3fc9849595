"""Client messages in one process: which rows a visit gets, what they say, delivery.

The same flows through a real Celery worker and a real SMTP server are in
test_delivery.py; here the mail goes to Django's in-memory outbox.
"""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django_celery_beat.models import PeriodicTask
from icalendar import Calendar

from clients.intake_services import history_submit
from clients.models import Authorization, InsurancePolicy, Payer
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.messaging.delivery import (
    MAX_ATTEMPTS,
    SENDING_TIMEOUT,
    messages_claim,
    messages_reclaim,
    messages_send,
)
from sessions.messaging.outbox import message_retry
from sessions.messaging.render import email_for, render_message
from sessions.models import Appointment, OutboundMessage, SessionNote
from sessions.scheduling.booking import (
    Confirmation,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from sessions.scheduling.series import (
    SCOPE_ALL,
    ProposedSeries,
    SeriesRule,
    series_book,
    series_cancel_rest,
    series_change,
)
from sessions.tasks import dispatch_messages
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)  # Monday 08:00 in New York
VISIT = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)  # Tuesday 10:00 EDT
GRACE = timedelta(minutes=3)

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


@pytest.fixture
def desk():
    return UserFactory(username="desk")


@pytest.fixture
def clinic():
    location = LocationFactory(
        time_zone="America/New_York", phone="(518) 555-0100", email="desk@clinic.test"
    )
    therapist = TherapistFactory(user__first_name="Tara", user__last_name="Hands")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(7),
            ends_at=time(21),
        )
    policy = clinic_policy()
    policy.clinic_name = "Riverside Medical Massage"
    policy.save()
    return {
        "location": location,
        "therapist": therapist,
        "room": RoomFactory(location=location, name="Maple Room"),
    }


@pytest.fixture
def patient():
    return ClientFactory(
        first_name="Grace", last_name="Okafor", email="grace@example.org"
    )


def _book(clinic, client, desk, *, starts_at=VISIT, now=NOW, **extra) -> Appointment:
    return appointment_book(
        client=client,
        therapist=clinic["therapist"],
        modality=modality("swedish"),
        location=clinic["location"],
        room=clinic["room"],
        starts_at=starts_at,
        duration_minutes=60,
        booked_by=desk,
        now=now,
        confirmation=Confirmation(safety_acknowledged=True),
        **extra,
    )


def _rows(**lookup) -> dict[str, OutboundMessage]:
    return {r.kind: r for r in OutboundMessage.objects.filter(**lookup)}


def _deliver(until: datetime) -> None:
    """What the minute sweep and a worker do up to `until`, here in one process."""
    pending = OutboundMessage.objects.filter(status=Status.PENDING, send_at__lte=until)
    while (first := pending.order_by("send_at").first()) is not None:
        due = pending.filter(send_at__lte=first.send_at)
        messages_send(ids=list(due.values_list("pk", flat=True)), now=first.send_at)


def _with_history(client) -> None:
    history_submit(
        context=AuditContext.system("test"),
        client=client,
        data={"chief_complaint": "Tight shoulders", "consent_name": client.full_name},
        submitted_by=None,
        now=NOW - timedelta(days=30),
    )


# --- which rows a visit gets ------------------------------------------------------------


def test_booking_a_visit_makes_its_confirmation_and_reminder(clinic, patient, desk):
    _with_history(patient)
    visit = _book(clinic, patient, desk)

    rows = _rows(appointment=visit)
    assert set(rows) == {Kind.CONFIRMATION, Kind.REMINDER}
    assert rows[Kind.CONFIRMATION].send_at == NOW + GRACE
    assert rows[Kind.REMINDER].send_at == VISIT - timedelta(hours=48)
    assert {r.status for r in rows.values()} == {Status.PENDING}


def test_the_second_reminder_follows_the_clinic_policy(clinic, patient, desk):
    policy = clinic_policy()
    policy.second_reminder_lead = timedelta(hours=2)
    policy.save()
    visit = _book(clinic, patient, desk)
    assert _rows(appointment=visit)[Kind.SECOND_REMINDER].send_at == VISIT - (
        timedelta(hours=2)
    )


def test_a_visit_booked_inside_the_reminder_lead_gets_no_reminder(
    clinic, patient, desk
):
    visit = _book(clinic, patient, desk, now=VISIT - timedelta(hours=30))
    assert Kind.REMINDER not in _rows(appointment=visit)


def test_a_first_visit_sends_the_intake_link_once(clinic, patient, desk):
    first = _book(clinic, patient, desk)
    _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=7))

    intake = OutboundMessage.objects.get(kind=Kind.INTAKE_REQUEST)
    assert intake.client == patient
    assert intake.intake_invitation.client == patient
    assert intake.intake_invitation.created_by == first.booked_by


def test_a_client_with_a_history_gets_no_intake_link(clinic, patient, desk):
    _with_history(patient)
    _book(clinic, patient, desk)
    assert not OutboundMessage.objects.filter(kind=Kind.INTAKE_REQUEST).exists()


def _series(clinic, client, desk, *, count=6, starts_on=date(2026, 10, 19)):
    request = ProposedSeries(
        client=client,
        therapist=clinic["therapist"],
        modality=modality("swedish"),
        location=clinic["location"],
        rule=SeriesRule(
            weekdays=(0,),
            interval_weeks=1,
            starts_on=starts_on,
            local_start_time=time(10),
            count=count,
        ),
        duration_minutes=60,
        room=clinic["room"],
    )
    return series_book(
        proposed=request,
        choices={},
        alternatives={},
        created_by=desk,
        now=NOW,
        confirmation=Confirmation(safety_acknowledged=True),
    )


def test_a_series_gets_one_confirmation_and_a_reminder_per_visit(clinic, patient, desk):
    _with_history(patient)
    series = _series(clinic, patient, desk)

    assert list(
        OutboundMessage.objects.filter(series=series).values_list("kind", "send_at")
    ) == [(Kind.SERIES_CONFIRMATION, NOW + GRACE)]
    reminders = OutboundMessage.objects.filter(appointment__series=series)
    assert set(reminders.values_list("kind", flat=True)) == {Kind.REMINDER}
    assert [r.send_at for r in reminders.order_by("send_at")] == [
        v.starts_at - timedelta(hours=48)
        for v in series.appointments.order_by("starts_at")
    ]


def test_moving_a_visit_before_its_confirmation_went_out_only_delays_it(
    clinic, patient, desk
):
    visit = _book(clinic, patient, desk)
    later = NOW + timedelta(minutes=2)
    appointment_reschedule(
        appointment=visit, by=desk, now=later, starts_at=VISIT + timedelta(hours=2)
    )

    rows = _rows(appointment=visit)
    assert rows[Kind.CONFIRMATION].send_at == later + GRACE
    assert Kind.RESCHEDULE not in rows
    assert rows[Kind.REMINDER].send_at == VISIT + timedelta(hours=2 - 48)
    visit.refresh_from_db()
    assert visit.ics_sequence == 1


def test_moving_a_confirmed_visit_sends_a_reschedule_notice(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    _deliver(NOW + GRACE)
    assert [m.subject for m in mailoutbox] == [
        "Your visit on Tuesday, October 20, 2026, 10:00 AM at Riverside Medical "
        "Massage is booked"
    ]

    moved_at = NOW + timedelta(hours=1)
    appointment_reschedule(
        appointment=visit, by=desk, now=moved_at, starts_at=VISIT + timedelta(days=1)
    )
    appointment_reschedule(
        appointment=visit,
        by=desk,
        now=moved_at + timedelta(minutes=1),
        starts_at=VISIT + timedelta(days=1, hours=1),
    )
    notice = OutboundMessage.objects.get(appointment=visit, kind=Kind.RESCHEDULE)
    assert notice.send_at == moved_at + timedelta(minutes=1) + GRACE
    _deliver(moved_at + timedelta(minutes=10))
    assert mailoutbox[-1].subject == (
        "Your visit at Riverside Medical Massage has moved to Wednesday, October 21, "
        "2026, 11:00 AM"
    )
    assert len(mailoutbox) == 2


def test_a_visit_moved_twice_over_its_life_gets_two_notices(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    _deliver(NOW + GRACE)
    for hours in (1, 5):
        now = NOW + timedelta(hours=hours)
        appointment_reschedule(
            appointment=visit,
            by=desk,
            now=now,
            starts_at=VISIT + timedelta(hours=hours),
        )
        _deliver(now + GRACE)
    notices = OutboundMessage.objects.filter(appointment=visit, kind=Kind.RESCHEDULE)
    assert list(notices.values_list("status", flat=True)) == [Status.SENT] * 2
    assert len(mailoutbox) == 3


def test_cancelling_before_anything_went_out_sends_nothing(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    appointment_cancel(appointment=visit, by=desk, reason="booked by mistake", now=NOW)

    rows = _rows(appointment=visit)
    assert {k: r.status for k, r in rows.items()} == {
        Kind.CONFIRMATION: Status.CANCELLED,
        Kind.REMINDER: Status.CANCELLED,
    }
    _deliver(VISIT)
    assert mailoutbox == []


def test_cancelling_a_confirmed_visit_cancels_its_reminder_and_notifies(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    _deliver(NOW + GRACE)
    appointment_cancel(
        appointment=visit, by=desk, reason="flu", now=NOW + timedelta(days=1)
    )

    rows = _rows(appointment=visit)
    assert rows[Kind.REMINDER].status == Status.CANCELLED
    assert rows[Kind.CANCELLATION].status == Status.PENDING
    _deliver(VISIT)
    assert [m.subject.split(":")[0] for m in mailoutbox] == [
        "Your visit on Tuesday, October 20, 2026, 10",
        "Cancelled",
    ]


def test_moving_a_whole_series_sends_one_notice(clinic, patient, desk, mailoutbox):
    _with_history(patient)
    series = _series(clinic, patient, desk, count=3)
    _deliver(NOW + GRACE)
    first = series.appointments.order_by("starts_at").first()
    series_change(
        appointment=first,
        scope=SCOPE_ALL,
        by=desk,
        now=NOW + timedelta(hours=1),
        local_start_time=time(11),
    )

    notices = OutboundMessage.objects.filter(kind=Kind.RESCHEDULE)
    assert [(n.series_id, n.status) for n in notices.exclude(status="cancelled")] == [
        (series.pk, Status.PENDING)
    ]
    _deliver(NOW + timedelta(hours=2))
    assert mailoutbox[-1].subject == (
        "Your visits at Riverside Medical Massage have changed"
    )
    assert mailoutbox[-1].body.count("11:00 AM to 12:00 PM") == 3


def test_cancelling_the_rest_of_a_series_sends_one_notice(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    series = _series(clinic, patient, desk, count=4)
    _deliver(NOW + GRACE)
    second = series.appointments.order_by("starts_at")[1]
    series_cancel_rest(
        appointment=second, by=desk, reason="moving away", now=NOW + timedelta(hours=1)
    )
    _deliver(NOW + timedelta(hours=2))

    assert [m.subject for m in mailoutbox[1:]] == [
        "3 visits cancelled at Riverside Medical Massage"
    ]
    calendar = Calendar.from_ical(
        mailoutbox[-1].attachments[0].get_payload(decode=True)
    )
    assert calendar["method"] == "CANCEL"
    assert len(calendar.walk("VEVENT")) == 3


def test_an_authorization_near_its_end_tells_the_front_desk_once(clinic, patient, desk):
    payer = Payer.objects.create(name="Empire Health")
    policy = InsurancePolicy.objects.create(
        client=patient, payer=payer, member_id="X123"
    )
    authorization = Authorization.objects.create(
        policy=policy,
        number="AUTH-77",
        visits_authorized=3,
        valid_from=date(2026, 10, 1),
        valid_to=date(2026, 12, 31),
    )
    _book(clinic, patient, desk)
    assert not OutboundMessage.objects.filter(kind=Kind.AUTHORIZATION_NOTICE).exists()
    _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=7))  # one left
    _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=14))

    notice = OutboundMessage.objects.get(kind=Kind.AUTHORIZATION_NOTICE)
    assert (notice.authorization, notice.to_email) == (
        authorization,
        "desk@clinic.test",
    )
    rendered = render_message(notice, NOW)
    assert "AUTH-77" in rendered.text and "3 of 3 authorized visits" in rendered.text


def test_one_live_row_per_visit_and_kind_but_history_may_repeat(clinic, patient, desk):
    visit = _book(clinic, patient, desk)
    OutboundMessage.objects.filter(appointment=visit, kind=Kind.CONFIRMATION).update(
        status=Status.SENT, sent_at=NOW
    )
    fields = dict(
        appointment=visit, client=patient, kind=Kind.CONFIRMATION, send_at=NOW
    )
    OutboundMessage.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundMessage.objects.create(**fields)


def test_the_sweep_every_five_seconds_is_installed_by_the_migrations():
    sweep = PeriodicTask.objects.get(name="Send due client messages")
    assert sweep.task == "sessions.tasks.dispatch_messages"
    assert (sweep.interval.every, sweep.interval.period) == (5, "seconds")
    assert sweep.expire_seconds == 10
    assert sweep.enabled


# --- what a message says ---------------------------------------------------------------

CLINICAL = [
    "warfarin",
    "whiplash",
    "cervicalgia",
    "M54",
    "stiff neck",
    "anticoagulant",
    "diagnos",
    "medication",
    "condition",
    "lymphatic",
    "swedish",
    "hypertonic",
    "quadratus",
    "flu",
    "deep tissue",
    "referral",
]


def _clinical_client(clinic, desk):
    client = ClientFactory(
        first_name="Grace", last_name="Okafor", email="grace@example.org"
    )
    history_submit(
        context=AuditContext.system("test"),
        client=client,
        data={
            "chief_complaint": "Stiff neck after whiplash; cervicalgia",
            "medications": "Warfarin 5 mg daily",
            "takes_anticoagulants": True,
            "consent_name": "Grace Okafor",
        },
        submitted_by=None,
        now=NOW - timedelta(days=30),
    )
    return client


def test_no_message_carries_anything_clinical(clinic, desk, mailoutbox):
    client = _clinical_client(clinic, desk)
    series = _series(clinic, client, desk, count=2)
    single = _book(clinic, client, desk, starts_at=VISIT + timedelta(days=30))
    SessionNote.objects.create(
        appointment=single,
        therapist=clinic["therapist"],
        findings="Hypertonic left quadratus lumborum",
    )
    _deliver(NOW + GRACE)
    appointment_reschedule(
        appointment=single,
        by=desk,
        now=NOW + timedelta(hours=1),
        starts_at=VISIT + timedelta(days=31),
    )
    visits = list(series.appointments.order_by("starts_at"))
    appointment_cancel(
        appointment=visits[0], by=desk, reason="flu", now=NOW + timedelta(hours=1)
    )
    _deliver(VISIT + timedelta(days=40))

    kinds = {m.extra_headers["X-Clinic-Message"].split()[0] for m in mailoutbox}
    assert kinds == {
        "series_confirmation",
        "confirmation",
        "reminder",
        "reschedule",
        "cancellation",
    }
    for message in mailoutbox:
        parts = [message.subject, message.body, message.alternatives[0][0]]
        parts += [a.get_payload(decode=True).decode() for a in message.attachments]
        text = "\n".join(str(p) for p in parts).lower()
        # The signed links' tokens are random letters ("...fLu..." once): words are
        # looked for in what a person reads, not inside the tokens.
        text = re.sub(r"https?://\S+|/visit-link/\S+", " ", text)
        found = [word for word in CLINICAL if word.lower() in text]
        assert found == [], (message.subject, found)


def test_the_series_confirmation_lists_every_visit_in_local_time(clinic, patient, desk):
    series = _series(clinic, patient, desk, starts_on=date(2026, 10, 19))
    row = OutboundMessage.objects.get(series=series)
    rendered = render_message(row, NOW)

    dates = re.findall(
        r"\w+day, \w+ \d+, 2026, 10:00 AM to 11:00 AM \((E[DS]T)\)", rendered.text
    )
    assert dates == ["EDT", "EDT", "EST", "EST", "EST", "EST"]  # across 1 November
    assert "With Tara" in rendered.text and "Hands" not in rendered.text
    assert "Maple Room" in rendered.text and "120 Main Street" in rendered.text
    assert "What to bring" in rendered.text and "(518) 555-0100" in rendered.text
    assert rendered.text.count("/visit-link/") == 12  # confirm and cancel, each visit
    assert "Riverside Medical Massage" in rendered.html


def test_a_home_visit_says_at_your_home(clinic, desk):
    client = ClientFactory(address_line1="9 Elm Street", city="Troy", state="NY")
    visit = appointment_book(
        client=client,
        therapist=clinic["therapist"],
        modality=modality("swedish"),
        location=clinic["location"],
        place="home",
        starts_at=VISIT,
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    assert "At your home (9 Elm Street, Troy NY)" in render_message(row, NOW).text


def test_the_calendar_parses_back_with_uids_times_and_sequence(clinic, patient, desk):
    series = _series(clinic, patient, desk, count=3)
    visits = list(series.appointments.order_by("starts_at"))
    appointment_reschedule(
        appointment=visits[1],
        by=desk,
        now=NOW + timedelta(minutes=1),
        starts_at=visits[1].starts_at + timedelta(hours=1),
    )
    row = OutboundMessage.objects.get(series=series)
    email = email_for(row, NOW + timedelta(minutes=5))
    (part,) = email.attachments
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"

    calendar = Calendar.from_ical(part.get_payload(decode=True))
    events = calendar.walk("VEVENT")
    for visit in visits:
        visit.refresh_from_db()
    assert [str(e["uid"]) for e in events] == [
        f"visit-{v.pk}@localhost" for v in visits
    ]
    assert [e.decoded("dtstart") for e in events] == [v.starts_at for v in visits]
    assert [e.decoded("dtend") for e in events] == [v.ends_at for v in visits]
    assert [int(e["sequence"]) for e in events] == [0, 1, 0]


def test_a_cancellation_carries_a_cancel_calendar_with_a_higher_sequence(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    _deliver(NOW + GRACE)
    appointment_cancel(appointment=visit, by=desk, reason="x", now=NOW + GRACE)
    _deliver(NOW + timedelta(minutes=10))

    first, cancel = (
        Calendar.from_ical(m.attachments[0].get_payload(decode=True))
        for m in mailoutbox
    )
    (booked_event,) = first.walk("VEVENT")
    (cancelled_event,) = cancel.walk("VEVENT")
    assert cancel["method"] == "CANCEL"
    assert booked_event["uid"] == cancelled_event["uid"]
    assert int(cancelled_event["sequence"]) > int(booked_event["sequence"])
    assert cancelled_event["status"] == "CANCELLED"


# --- delivery in one process --------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"email": ""}, "no email address"),
        ({"email_reminders": False}, "client opted out of email"),
    ],
)
def test_a_client_without_email_or_who_opted_out_gets_nothing(
    clinic, patient, desk, mailoutbox, changes, reason
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.save()
    _deliver(VISIT - timedelta(hours=1))

    assert mailoutbox == []
    assert {
        (r.status, r.skip_reason)
        for r in OutboundMessage.objects.filter(appointment=visit)
    } == {(Status.SKIPPED, reason)}


def test_each_row_keeps_one_message_id_and_records_the_sending(
    clinic, patient, desk, mailoutbox
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    _deliver(NOW + GRACE)

    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    assert row.status == Status.SENT and row.sent_at is not None
    assert row.message_id == f"<clinic-message-{row.pk}@localhost>"
    assert mailoutbox[0].extra_headers["Message-ID"] == row.message_id
    assert row.attempts == 1 and row.to_email == "grace@example.org"


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that is down: every connection is refused."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, email_messages):
        self.open()


class RejectingBackend(BaseEmailBackend):
    """A server that refuses the recipient for good (550)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused(
            {"grace@example.org": (550, b"No such user")}
        )


def test_smtp_errors_back_off_then_fail_with_the_error(clinic, patient, desk, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    now = row.send_at
    waits = []
    for _ in range(MAX_ATTEMPTS):
        messages_send(ids=[row.pk], now=now)
        row.refresh_from_db()
        if row.status == Status.PENDING:
            waits.append(row.send_at - now)
            now = row.send_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert (row.status, row.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert "Connection refused" in row.last_error


def test_a_permanent_refusal_fails_at_once(clinic, patient, desk, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RejectingBackend"
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    messages_send(ids=[row.pk], now=row.send_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert "No such user" in row.last_error


def test_nothing_goes_out_before_its_time(clinic, patient, desk, mailoutbox):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    messages_send(ids=[row.pk], now=NOW + GRACE - timedelta(seconds=1))
    row.refresh_from_db()
    assert row.status == Status.PENDING and mailoutbox == []


def test_a_claimed_row_is_not_claimed_again(clinic, patient, desk):
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    first, _ = messages_claim(ids=[row.pk], now=VISIT)
    second, _ = messages_claim(ids=[row.pk], now=VISIT)
    assert (first, second) == ([row.pk], [])


def test_rows_left_sending_by_a_dead_worker_are_reclaimed(clinic, patient, desk):
    _with_history(patient)  # no intake request: the visit's own two rows
    visit = _book(clinic, patient, desk)
    rows = OutboundMessage.objects.filter(appointment=visit)
    claimed, claimed_at = messages_claim(
        ids=list(rows.values_list("pk", flat=True)), now=VISIT
    )
    worn_out = rows.get(kind=Kind.REMINDER)
    OutboundMessage.objects.filter(pk=worn_out.pk).update(attempts=MAX_ATTEMPTS)

    assert messages_reclaim(now=claimed_at + SENDING_TIMEOUT / 2) == 0
    assert messages_reclaim(now=claimed_at + SENDING_TIMEOUT * 2) == 2
    statuses = dict(rows.values_list("kind", "status"))
    assert statuses == {Kind.CONFIRMATION: Status.PENDING, Kind.REMINDER: "failed"}
    assert rows.get(kind=Kind.CONFIRMATION).message_id  # kept for the resend


def test_a_failed_message_is_retried_with_fresh_attempts(
    clinic, patient, desk, django_capture_on_commit_callbacks
):
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    OutboundMessage.objects.filter(pk=row.pk).update(
        status=Status.FAILED, attempts=5, last_error="SMTP down"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        message_retry(message=row, by=desk, now=NOW + timedelta(hours=1))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.send_at) == (
        Status.PENDING,
        0,
        NOW + timedelta(hours=1),
    )
    assert len(callbacks) == 1  # handed to a worker at once, after commit


def test_only_failed_messages_can_be_retried(clinic, patient, desk):
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    with pytest.raises(Exception, match="only a failed message"):
        message_retry(message=row, by=desk, now=NOW)
    assert mail.outbox == []


def test_tasks_the_broker_lost_are_handed_again_next_minute(
    clinic, patient, desk, django_capture_on_commit_callbacks
):
    _with_history(patient)
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    with django_capture_on_commit_callbacks() as lost:  # never run: Redis restarted
        assert dispatch_messages((NOW + GRACE).isoformat()) == 1
    assert len(lost) == 1
    row.refresh_from_db()
    assert row.status == Status.PENDING  # the table, not the broker, remembers it
    with django_capture_on_commit_callbacks() as handed:
        assert dispatch_messages((NOW + GRACE + timedelta(minutes=1)).isoformat()) == 1
    assert len(handed) == 1
