"""Which message rows a visit has, and when each goes out.

The booking services call these hooks inside their own transaction, so a visit and
its message rows commit together or not at all. Nothing is released before the
transaction's `now` plus the clinic's grace period (3 minutes by default): a
correction made within it re-times the same row, so the client gets one message
carrying the final state, not two.

One *live* row (pending, sending or failed) exists per visit or series and kind; the
database enforces it. A change re-times that row; a row already sent stays as
history and a new one is made when the client must hear again.

No worker holds a row locked while it talks to the mail server, so these hooks never
wait for one. A row that is `sending` when the desk changes it may or may not have
reached the client: re-timed, it gets a new Message-ID (the corrected message must
not look like a copy of the first); cancelled, it counts as told, so a cancellation
notice follows. The worker records its outcome only while the row is still its
claim, so the desk's change stands.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from clients.intake_services import intake_invitation_create
from massageclinic.models import ClinicPolicy, clinic_policy
from sessions.messaging.ids import superseding_message_id
from sessions.messaging.queue import enqueue_send
from sessions.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentSeries,
    OutboundMessage,
)

logger = logging.getLogger(__name__)

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status

# An authorization "nears its end" when this booking leaves this few visits, or when
# the visit falls this close to its last valid day.
AUTHORIZATION_VISITS_LEFT = 1
AUTHORIZATION_DAYS_LEFT = timedelta(days=14)

# Kinds that tell the client about a visit's time; one of these sent means the client
# knows the visit, so a later change or cancellation needs a notice.
_ANNOUNCING = (Kind.CONFIRMATION, Kind.REMINDER, Kind.SECOND_REMINDER, Kind.RESCHEDULE)


def _live(**lookup) -> OutboundMessage | None:
    """The live row for `lookup`, locked: waits for a worker that is sending it."""
    return (
        OutboundMessage.objects.select_for_update(of=("self",))
        .filter(status__in=LIVE_STATUSES, **lookup)
        .first()
    )


def _may_have_reached_the_client(row: OutboundMessage) -> bool:
    """On its way out now, or handed to the mail server already (`sent_at` is set
    when it was sent, when a send outlived its cancel, and when the server took the
    whole message but never confirmed it)."""
    return row.status in (Status.SENT, Status.SENDING) or row.sent_at is not None


def _retime(row: OutboundMessage, send_at: datetime) -> None:
    if row.message_id and _may_have_reached_the_client(row):
        # What the client may have from an earlier send and the corrected message
        # must read as two messages.
        row.message_id = superseding_message_id(row, send_at)
    row.status = Status.PENDING
    row.send_at = send_at
    row.claimed_at = None
    row.attempts = 0
    row.last_error = ""
    row.save(
        update_fields=[
            "status",
            "send_at",
            "claimed_at",
            "attempts",
            "last_error",
            "message_id",
            "updated_at",
        ]
    )


def _cancel(row: OutboundMessage, reason: str) -> None:
    row.status = Status.CANCELLED
    row.skip_reason = reason[:120]
    row.claimed_at = None
    row.save(update_fields=["status", "skip_reason", "claimed_at", "updated_at"])


def _arm(
    *,
    kind: str,
    send_at: datetime,
    client,
    appointment: Appointment | None = None,
    series: AppointmentSeries | None = None,
) -> OutboundMessage:
    """Re-time the live row of this kind, or make one."""
    row = _live(kind=kind, appointment=appointment, series=series)
    if row is not None:
        _retime(row, send_at)
        return row
    return OutboundMessage.objects.create(
        kind=kind,
        appointment=appointment,
        series=series,
        client=client,
        to_email=client.email,
        send_at=send_at,
    )


def _release(now: datetime, policy: ClinicPolicy) -> datetime:
    return now + policy.message_grace


def _bump_sequence(appointment: Appointment) -> None:
    """The calendar SEQUENCE grows with every change the client can see."""
    appointment.ics_sequence += 1
    appointment.save(update_fields=["ics_sequence"])


def _reminder_times(
    appointment: Appointment, policy: ClinicPolicy, release: datetime
) -> list[tuple[str, datetime | None]]:
    """Each reminder kind with when it goes out, or None when the policy has no
    such reminder or its time passed before `release` (the confirmation, or the
    notice of the change, tells the client instead)."""
    times: list[tuple[str, datetime | None]] = []
    for kind, lead in (
        (Kind.REMINDER, policy.reminder_lead),
        (Kind.SECOND_REMINDER, policy.second_reminder_lead),
    ):
        # In UTC: a lead of 48 hours is 48 real hours, also across a DST change
        # (arithmetic on a local time would count wall-clock hours).
        send_at = appointment.starts_at.astimezone(UTC) - lead if lead else None
        times.append((kind, send_at if send_at and send_at >= release else None))
    return times


def _arm_reminders(
    appointment: Appointment, policy: ClinicPolicy, release: datetime
) -> None:
    for kind, send_at in _reminder_times(appointment, policy, release):
        row = _live(kind=kind, appointment=appointment)
        if send_at is None:
            # No such reminder in the policy, or its time has passed: the
            # confirmation (or the notice of the change) tells the client instead.
            if row is not None:
                _cancel(row, "its time passed before the visit was booked or moved")
            continue
        if row is not None:
            _retime(row, send_at)
        else:
            _new_row(kind, appointment, send_at).save()


def _request_intake(appointment: Appointment, now: datetime, release: datetime) -> None:
    """Before the first visit: the intake link, unless one is open or done.

    The request is tied to the visit and released with its confirmation, so a visit
    cancelled within the grace period withdraws it (see `_intake_follows`)."""
    client = appointment.client
    if client.is_archived or client.histories.exists():
        return
    # A link whose email was withdrawn before it went out does not count; one that
    # went out anyway (`sent_at` set) does.
    withdrawn_unsent = OutboundMessage.objects.filter(
        intake_invitation=OuterRef("pk"),
        status=Status.CANCELLED,
        sent_at__isnull=True,
    )
    if (
        client.intake_invitations.filter(used_at__isnull=True, expires_at__gt=now)
        .exclude(Exists(withdrawn_unsent))
        .exists()
    ):
        return
    try:
        invitation = intake_invitation_create(
            client=client, by=appointment.booked_by, now=now
        )
    except ValidationError:  # pragma: no cover - archived is checked above
        logger.warning("No intake link for client %s", client.pk)
        return
    OutboundMessage.objects.filter(
        intake_invitation=invitation, kind=Kind.INTAKE_REQUEST, status=Status.PENDING
    ).update(appointment=appointment, send_at=release)


def _intake_follows(row: OutboundMessage, appointment: Appointment, now) -> bool:
    """A cancelled visit's unsent intake request moves to the client's next visit
    still to come (booked or confirmed, not checked in: a client already there
    fills nothing in beforehand), if there is one; True when it did."""
    following = (
        Appointment.objects.filter(
            client_id=appointment.client_id,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CONFIRMED),
            starts_at__gt=now,
        )
        .exclude(pk=appointment.pk)
        .exclude(
            reminders__kind=Kind.INTAKE_REQUEST, reminders__status__in=LIVE_STATUSES
        )
        .order_by("starts_at")
        .first()
    )
    if following is None:
        return False
    row.appointment = following
    row.save(update_fields=["appointment", "updated_at"])
    return True


def _authorization_nears_end(authorization, days) -> bool:
    """Whether booking visits on `days` leaves the authorization near its end: few
    visits left of those authorized, or a visit close to its last valid day."""
    near = any(authorization.valid_to - day <= AUTHORIZATION_DAYS_LEFT for day in days)
    if authorization.visits_authorized is not None:
        booked = authorization.appointments.exclude(
            status__in=Appointment.NON_BLOCKING_STATUSES
        ).count()
        near = near or authorization.visits_authorized - booked <= (
            AUTHORIZATION_VISITS_LEFT
        )
    return near


def _authorization_notice(visits: list[Appointment], release: datetime) -> None:
    """Tell the front desk once when an authorization nears its end: `visits` are
    the new ones booked under it (soonest first), the notice is tied to the first."""
    appointment = visits[0]
    authorization = appointment.authorization
    if authorization is None:
        return
    existing = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .filter(authorization=authorization, kind=Kind.AUTHORIZATION_NOTICE)
        .first()
    )
    if existing is not None and existing.skip_reason != _NOTICE_WITHDRAWN:
        return  # told, about to be, or stopped by someone
    if not _authorization_nears_end(
        authorization, [visit.local_starts_at.date() for visit in visits]
    ):
        return
    if existing is not None:  # withdrawn when its visit was cancelled: true again
        existing.appointment = appointment
        existing.to_email = front_desk_address(appointment)
        existing.skip_reason = ""
        existing.save(update_fields=["appointment", "to_email", "skip_reason"])
        _retime(existing, release)
        return
    try:
        with transaction.atomic():  # another desk may have made it a moment ago
            OutboundMessage.objects.create(
                kind=Kind.AUTHORIZATION_NOTICE,
                client=appointment.client,
                authorization=authorization,
                appointment=appointment,
                to_email=front_desk_address(appointment),
                send_at=release,
            )
    except IntegrityError:
        pass


_NOTICE_WITHDRAWN = "the visit that brought it was cancelled"


def _authorization_notice_withdrawn(row: OutboundMessage, now: datetime) -> None:
    """The visit that brought an unsent notice was cancelled: the notice stays only
    while the authorization still nears its end without it (tied then to the next
    visit on it); otherwise it is withdrawn."""
    authorization = row.authorization
    if authorization is not None:
        remaining = list(
            authorization.appointments.filter(
                status__in=Appointment.OPEN_STATUSES, starts_at__gt=now
            )
            .select_related("location")
            .order_by("starts_at")
        )
        days = [visit.local_starts_at.date() for visit in remaining]
        if remaining and _authorization_nears_end(authorization, days):
            row.appointment = remaining[0]
            row.save(update_fields=["appointment", "updated_at"])
            return
    _cancel(row, _NOTICE_WITHDRAWN)


def front_desk_address(appointment: Appointment | None) -> str:
    location_email = appointment.location.email if appointment else ""
    return location_email or settings.CLINIC_FRONT_DESK_EMAIL


# --- hooks called by the booking services --------------------------------------------


@transaction.atomic
def messages_visits_booked(*, appointments: list[Appointment], now: datetime) -> None:
    """New visits (one, or a series' booked as one batch), which have no rows yet:
    each one's confirmation (unless a series confirms it) and reminders, written in
    one insert; the intake request before the first; the desk's notice per
    authorization nearing its end."""
    policy = clinic_policy()
    release = _release(now, policy)
    rows = []
    for appointment in appointments:
        if appointment.series_id is None:
            rows.append(_new_row(Kind.CONFIRMATION, appointment, release))
        rows += [
            _new_row(kind, appointment, send_at)
            for kind, send_at in _reminder_times(appointment, policy, release)
            if send_at is not None
        ]
    OutboundMessage.objects.bulk_create(rows)
    soonest = sorted(appointments, key=lambda a: a.starts_at)
    _request_intake(soonest[0], now, release)
    by_authorization: dict[int, list[Appointment]] = {}
    for appointment in soonest:
        if appointment.authorization_id is not None:
            by_authorization.setdefault(appointment.authorization_id, []).append(
                appointment
            )
    for visits in by_authorization.values():
        _authorization_notice(visits, release)


def _new_row(kind: str, appointment: Appointment, send_at: datetime) -> OutboundMessage:
    return OutboundMessage(
        kind=kind,
        appointment=appointment,
        client=appointment.client,
        to_email=appointment.client.email,
        send_at=send_at,
    )


@transaction.atomic
def messages_reminders_arm(*, appointments: list[Appointment], now: datetime) -> None:
    """Only the reminders of visits booked earlier (demo data, imports): no
    confirmation goes out for a booking the client already knows about."""
    policy = clinic_policy()
    release = _release(now, policy)
    for appointment in appointments:
        if appointment.status in Appointment.OPEN_STATUSES:
            _arm_reminders(appointment, policy, release)


@transaction.atomic
def messages_series_booked(*, series: AppointmentSeries, now: datetime) -> None:
    """One confirmation for the whole series, every visit in it."""
    _arm(
        kind=Kind.SERIES_CONFIRMATION,
        send_at=_release(now, clinic_policy()),
        client=series.client,
        series=series,
    )


def _unsent_confirmation(appointment: Appointment) -> OutboundMessage | None:
    if appointment.series_id is not None:
        found = _live(kind=Kind.SERIES_CONFIRMATION, series_id=appointment.series_id)
        if found is not None:
            return found
    return _live(kind=Kind.CONFIRMATION, appointment=appointment)


@transaction.atomic
def messages_visit_moved(*, appointment: Appointment, now: datetime) -> None:
    """A moved visit: re-time its reminders; one message with the new time.

    While its confirmation has not gone out, that confirmation is simply held for
    another grace period (it is rendered when sent, so it carries the new time);
    otherwise the client gets a reschedule notice with the updated calendar entry.
    """
    _bump_sequence(appointment)
    policy = clinic_policy()
    release = _release(now, policy)
    _arm_reminders(appointment, policy, release)
    unsent = _unsent_confirmation(appointment)
    if unsent is not None:
        _retime(unsent, release)
        return
    _arm(
        kind=Kind.RESCHEDULE,
        send_at=release,
        client=appointment.client,
        appointment=appointment,
    )


# Sent, or on its way out at this moment: it may have reached the client.
# The rows `_may_have_reached_the_client`, as a query.
_TOLD = Q(status__in=(Status.SENT, Status.SENDING)) | Q(sent_at__isnull=False)


def _client_knows(appointment: Appointment) -> bool:
    """Whether any message about this visit has reached (or may have reached) them."""
    told = appointment.reminders.filter(_TOLD, kind__in=_ANNOUNCING)
    if told.exists():
        return True
    return bool(
        appointment.series_id
        and OutboundMessage.objects.filter(
            _TOLD,
            series_id=appointment.series_id,
            kind__in=(Kind.SERIES_CONFIRMATION, Kind.RESCHEDULE),
        ).exists()
    )


@transaction.atomic
def messages_visit_cancelled(
    *, appointment: Appointment, now: datetime, for_safety: bool = False
) -> None:
    """A cancelled visit gets no reminder; a client who knew of it gets a notice.

    A visit rescheduled for safety (the day-of-visit screening found a reason not
    to massage) always tells the client, in the clinic's own wording, instead of
    the plain cancellation notice.
    """
    _bump_sequence(appointment)
    knew = _client_knows(appointment)  # before its rows in flight are cancelled
    live = OutboundMessage.objects.select_for_update(of=("self",)).filter(
        appointment=appointment, status__in=LIVE_STATUSES
    )
    for row in live:
        if row.kind == Kind.AUTHORIZATION_NOTICE:
            if row.status != Status.SENDING:
                _authorization_notice_withdrawn(row, now)
        elif row.kind == Kind.INTAKE_REQUEST and _intake_follows(row, appointment, now):
            continue
        else:
            _cancel(row, f"the visit was {appointment.get_status_display().lower()}")
    if appointment.series is not None:
        open_left = appointment.series.appointments.filter(
            status__in=Appointment.OPEN_STATUSES
        ).exists()
        confirmation = _live(
            kind=Kind.SERIES_CONFIRMATION, series_id=appointment.series_id
        )
        if confirmation is not None and not open_left:
            _cancel(confirmation, "every visit of the series was cancelled")
    if for_safety:
        _arm(
            kind=Kind.SAFETY_RESCHEDULE,
            send_at=_release(now, clinic_policy()),
            client=appointment.client,
            appointment=appointment,
        )
    elif knew:
        _arm(
            kind=Kind.CANCELLATION,
            send_at=_release(now, clinic_policy()),
            client=appointment.client,
            appointment=appointment,
        )


def _merge_into_series(
    *, series: AppointmentSeries, appointments: list[Appointment], kind: str, now
) -> None:
    """Replace the per-visit notices of one series-wide change by a single one."""
    if len(appointments) < 2:
        return
    AppointmentSeries.objects.select_for_update().get(pk=series.pk)
    covered = 0
    for appointment in appointments:
        row = _live(kind=kind, appointment=appointment)
        if row is not None:
            _cancel(row, "covered by one notice for the series")
            covered += 1
    if covered:
        _arm(
            kind=kind,
            send_at=_release(now, clinic_policy()),
            client=series.client,
            series=series,
        )


@transaction.atomic
def messages_series_changed(
    *, series: AppointmentSeries, appointments: list[Appointment], now: datetime
) -> None:
    """Several visits of a series moved at once: one notice, not one per visit."""
    _merge_into_series(
        series=series, appointments=appointments, kind=Kind.RESCHEDULE, now=now
    )


@transaction.atomic
def messages_series_cancelled(
    *, series: AppointmentSeries, appointments: list[Appointment], now: datetime
) -> None:
    """The rest of a series cancelled at once: one notice, not one per visit."""
    _merge_into_series(
        series=series, appointments=appointments, kind=Kind.CANCELLATION, now=now
    )


# --- the outbox page -------------------------------------------------------------------


@transaction.atomic
def message_retry(
    *, message: OutboundMessage, by: User, now: datetime
) -> OutboundMessage:
    """Send a failed message again now, with a fresh set of attempts."""
    row = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("appointment")
        .get(pk=message.pk)
    )
    if row.status != Status.FAILED:
        raise ValidationError(
            f"This message is {row.get_status_display().lower()}; only a failed "
            "message can be retried."
        )
    visit = row.appointment
    if (
        visit is not None
        and visit.status in Appointment.NON_BLOCKING_STATUSES
        and row.kind not in (Kind.CANCELLATION, Kind.SAFETY_RESCHEDULE)
    ):
        raise ValidationError(
            "The visit is cancelled: its messages are not sent again."
        )
    _retime(row, now)
    logger.info("Message %s retried by user %s", row.pk, by.pk)
    transaction.on_commit(lambda: _hand_over([row.pk], now), robust=True)
    return row


def _hand_over(ids: list[int], now: datetime) -> None:
    enqueue_send(ids, now)
