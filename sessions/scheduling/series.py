"""Treatment series: expand a weekly rule into visits, preview them, book all or none.

The rule is expanded in the location's zone, so a weekly 10:00 visit stays at 10:00
local time across daylight-saving changes; each visit is stored in UTC. A wall time
that does not exist on a spring-forward day follows `massageclinic.clock.local_datetime`
(02:30 becomes 03:30).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import Authorization, Client, Referral
from clients.safety import flags_in_force, modality_safety, refusal_sentence
from massageclinic.audit import AuditContext, audit_record
from massageclinic.clock import local_datetime
from massageclinic.models import AuditEvent, Location, Room, one_policy_read
from sessions.messaging.outbox import (
    messages_series_booked,
    messages_series_cancelled,
    messages_series_changed,
)
from sessions.models import Appointment, AppointmentSeries, Place, TreatmentPlan
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    BookingTerms,
    Confirmation,
    appointment_cancel,
    appointment_reschedule,
    visits_book,
)
from sessions.scheduling.documented import documented_visit_problem
from sessions.scheduling.paperwork import ClientPaperwork
from sessions.scheduling.rules import ProposedVisit, scheduling_problems, visit_end
from sessions.scheduling.schedule_sources import LiveSchedule, ScheduleSnapshot
from therapists.models import Modality, Therapist

MAX_OCCURRENCES = 104
ALTERNATIVE_STEPS = 16  # look up to 4 hours earlier and later, in 15-minute steps
ALTERNATIVE_DAYS = 3  # then the same time up to 3 days later


@dataclass(frozen=True)
class SeriesRule:
    weekdays: tuple[int, ...]
    interval_weeks: int
    starts_on: date
    local_start_time: time
    count: int | None = None
    until: date | None = None

    def problems(self) -> list[str]:
        problems = []
        if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
            problems.append("Choose at least one weekday.")
        if self.interval_weeks < 1:
            problems.append("Repeat every 1 week or more.")
        if self.count is None and self.until is None:
            problems.append("Give a number of visits or an end date.")
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            problems.append(f"A series has 1 to {MAX_OCCURRENCES} visits.")
        if self.until is not None and self.until < self.starts_on:
            problems.append("The end date is before the start date.")
        return problems


def expand(rule: SeriesRule) -> Iterator[date]:
    """The local dates of the series, in order."""
    monday = rule.starts_on - timedelta(days=rule.starts_on.weekday())
    produced, week = 0, 0
    while produced < (rule.count or MAX_OCCURRENCES):
        for weekday in sorted(set(rule.weekdays)):
            day = monday + timedelta(weeks=week, days=weekday)
            if day < rule.starts_on:
                continue
            if rule.until is not None and day > rule.until:
                return
            yield day
            produced += 1
            if produced >= (rule.count or MAX_OCCURRENCES):
                return
        week += rule.interval_weeks


@dataclass
class Occurrence:
    number: int
    day: date  # local
    starts_at: datetime
    ends_at: datetime
    problems: list[str] = field(default_factory=list)
    alternative: datetime | None = None
    authorization: list[str] = field(default_factory=list)
    safety: list[str] = field(default_factory=list)
    zone: tzinfo = UTC  # the location's, for showing the times

    @property
    def is_free(self) -> bool:
        return not self.problems

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)


@dataclass(frozen=True)
class ProposedSeries:
    client: Client
    therapist: Therapist
    modality: Modality
    location: Location
    rule: SeriesRule
    duration_minutes: int
    place: str = Place.ROOM
    room: Room | None = None
    plan: TreatmentPlan | None = None
    referral: Referral | None = None

    def visit_at(self, starts_at: datetime) -> ProposedVisit:
        return ProposedVisit.lasting(
            self.duration_minutes,
            client=self.client,
            therapist=self.therapist,
            modality=self.modality,
            location=self.location,
            starts_at=starts_at,
            place=self.place,
            room=self.room,
        )


def _alternative(
    proposed: ProposedSeries, wanted: datetime, now: datetime, source: LiveSchedule
) -> datetime | None:
    """The nearest free start: the same day first (closest in time), then later days."""
    zone = proposed.location.zone
    local = wanted.astimezone(zone)
    same_day = [
        wanted + sign * step * timedelta(minutes=15)
        for step in range(1, ALTERNATIVE_STEPS + 1)
        for sign in (-1, 1)
    ]
    same_day = [c for c in same_day if c.astimezone(zone).date() == local.date()]
    later_days = [
        local_datetime(
            local.date() + timedelta(days=days), local.time(), proposed.location
        )
        for days in range(1, ALTERNATIVE_DAYS + 1)
    ]
    for candidate in same_day + later_days:
        if not scheduling_problems(
            proposed.visit_at(candidate), now=now, source=source
        ):
            return candidate
    return None


def series_preview(*, proposed: ProposedSeries, now: datetime) -> list[Occurrence]:
    """Every occurrence with its status, the reasons it conflicts, and an alternative."""
    problems = proposed.rule.problems()
    if problems:
        raise ValidationError(problems)
    referral = proposed.referral or (proposed.plan.referral if proposed.plan else None)
    first_day = proposed.rule.starts_on
    paperwork = ClientPaperwork.load(proposed.client)
    referral = referral or paperwork.referral_on(first_day)
    authorization = paperwork.authorization_on(first_day)
    days = list(expand(proposed.rule))
    starts = [
        local_datetime(d, proposed.rule.local_start_time, proposed.location)
        for d in days
    ]
    # Everything the rules read, loaded once for the whole series and its alternatives.
    room = proposed.room if proposed.place == Place.ROOM else None
    source = ScheduleSnapshot(
        therapists=[proposed.therapist],
        clients=[proposed.client],
        rooms=[room] if room else [],
        start=starts[0] - timedelta(hours=ALTERNATIVE_STEPS // 4 + 1),
        end=starts[-1] + timedelta(days=ALTERNATIVE_DAYS + 1),
    )
    flags = flags_in_force(proposed.client, first_day)
    occurrences = []
    for number, (day, starts_at) in enumerate(zip(days, starts, strict=True), start=1):
        occurrence = Occurrence(
            number=number,
            day=day,
            starts_at=starts_at,
            ends_at=visit_end(starts_at, proposed.duration_minutes),
            zone=proposed.location.zone,
        )
        occurrence.problems = scheduling_problems(
            proposed.visit_at(starts_at), now=now, source=source
        )
        verdict = modality_safety(
            client=proposed.client, modality=proposed.modality, on=day, flags=flags
        )
        if verdict.blocked:
            occurrence.problems.append(
                refusal_sentence(verdict, flags=flags, therapist=proposed.therapist)
            )
        else:
            occurrence.safety = verdict.reasons
        if occurrence.problems and not verdict.blocked:
            occurrence.alternative = _alternative(proposed, starts_at, now, source)
        occurrences.append(occurrence)
    _number_against_authorization(occurrences, referral, authorization, paperwork)
    return occurrences


def _number_against_authorization(
    occurrences: list[Occurrence],
    referral: Referral | None,
    authorization: Authorization | None,
    paperwork: ClientPaperwork,
) -> None:
    """Flag occurrences past the referral's expiry or beyond the visits authorized,
    numbered as booking numbers them (`ClientPaperwork`)."""
    for occurrence in occurrences:
        day = occurrence.day
        warnings = []
        if referral is not None:
            if day > referral.expires_on:
                warnings.append(
                    f"after the referral expires ({referral.expires_on:%d %b %Y})"
                )
            number = paperwork.next_number(referral)
            if number > referral.visits_authorized:
                warnings.append(
                    f"visit {number} of {referral.visits_authorized} prescribed"
                )
        if authorization is not None:
            allowed = authorization.visits_authorized
            number = paperwork.next_number(authorization)
            if allowed is not None and number > allowed:
                warnings.append(f"visit {number} of {allowed} authorized")
            if day > authorization.valid_to:
                warnings.append(
                    f"after authorization {authorization.number} ends "
                    f"({authorization.valid_to:%d %b %Y})"
                )
        occurrence.authorization = warnings


def clock_changes(*, location: Location, days: list[date]) -> list[date]:
    """The local days from the first to the last of `days` on which the location's
    clocks change (its UTC offset at noon differs from the day before's)."""
    if not days:
        return []
    zone = location.zone

    def offset(day: date) -> timedelta | None:
        return datetime.combine(day, time(12), tzinfo=zone).utcoffset()

    first, last = min(days), max(days)
    changes = []
    day = first + timedelta(days=1)
    while day <= last:
        if offset(day) != offset(day - timedelta(days=1)):
            changes.append(day)
        day += timedelta(days=1)
    return changes


def clock_change_sentence(
    *, location: Location, days: list[date], at: time | None
) -> str:
    """One sentence when the clocks change inside this series' dates, else nothing.

    A start time that does not exist on a spring-forward day is named with the time
    the visit takes instead (`local_datetime`: 02:30 becomes 03:30).
    """
    sentences = []
    for change in clock_changes(location=location, days=days):
        when = f"The clocks change on {change:%a} {change.day} {change:%b}"
        if at is None:
            sentences.append(f"{when}: visits stay at the same local time.")
            continue
        sentence = f"{when}: visits stay at {at:%H:%M} local time"
        if change in days:
            actual = local_datetime(change, at, location).astimezone(location.zone)
            if actual.time() != at:
                sentence += (
                    f", except that day, when {at:%H:%M} does not exist and the visit "
                    f"is at {actual:%H:%M}"
                )
        sentences.append(sentence + ".")
    return " ".join(sentences)


KEEP, ALTERNATIVE, SKIP = "keep", "alternative", "skip"


@transaction.atomic
@one_policy_read()
def series_book(
    *,
    proposed: ProposedSeries,
    choices: dict[int, str],
    alternatives: dict[int, datetime],
    created_by: User,
    now: datetime,
    confirmation: Confirmation | None = None,
) -> AppointmentSeries:
    """Book every chosen occurrence, or none: any refusal rolls the whole series back.

    `choices` maps an occurrence number to keep / alternative / skip (default keep);
    `alternatives` gives the start chosen for those taking an alternative.
    """
    problems = proposed.rule.problems()
    if problems:
        raise ValidationError(problems)
    rule = proposed.rule
    series = AppointmentSeries.objects.create(
        client=proposed.client,
        therapist=proposed.therapist,
        modality=proposed.modality,
        location=proposed.location,
        room=proposed.room if proposed.place == Place.ROOM else None,
        place=proposed.place,
        plan=proposed.plan,
        referral=proposed.referral
        or (proposed.plan.referral if proposed.plan else None),
        weekdays=sorted(set(rule.weekdays)),
        interval_weeks=rule.interval_weeks,
        count=rule.count,
        until=rule.until,
        starts_on=rule.starts_on,
        local_start_time=rule.local_start_time,
        duration_minutes=proposed.duration_minutes,
        time_zone=proposed.location.time_zone,
        created_by=created_by,
    )
    numbers, visits = [], []
    for number, day in enumerate(expand(rule), start=1):
        choice = choices.get(number, KEEP)
        if choice == SKIP:
            continue
        starts_at = local_datetime(day, rule.local_start_time, proposed.location)
        if choice == ALTERNATIVE:
            if number not in alternatives:
                raise ValidationError(
                    f"Visit {number}: choose the alternative time again."
                )
            starts_at = alternatives[number]
        numbers.append(number)
        visits.append(proposed.visit_at(starts_at))
    if not visits:
        raise ValidationError("Every visit was skipped: nothing to book.")

    def name_visit(index: int, visit: ProposedVisit) -> str:
        return f"Visit {numbers[index]} ({visit.local_start:%a %d %b %H:%M})"

    terms = BookingTerms(
        booked_by=created_by,
        confirmation=confirmation or Confirmation(),
        plan=proposed.plan,
        referral=series.referral,
        series=series,
    )
    try:
        visits_book(visits, terms=terms, now=now, name_visit=name_visit)
    except BookingNeedsConfirmation:
        raise
    except ValidationError as error:
        raise ValidationError([*error.messages, "Nothing was booked."]) from None
    messages_series_booked(series=series, now=now)
    return series


SCOPE_ONE, SCOPE_FOLLOWING, SCOPE_ALL = "one", "following", "all"


@dataclass
class SeriesEdit:
    """What a change to several visits did: the visits changed, those left as they were."""

    changed: list[Appointment]
    documented: list[Appointment] = field(default_factory=list)

    @property
    def documented_message(self) -> str:
        """The sentence naming the visits left alone because their notes are signed."""
        if not self.documented:
            return ""
        days = [f"{v.local_starts_at:%a %d %b}" for v in self.documented]
        listed = (
            days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
        )
        if len(days) == 1:
            return (
                f"The visit on {listed} was left as it is: it is documented (its note "
                "is signed). To correct its record, add an addendum to its note."
            )
        return (
            f"The visits on {listed} were left as they are: they are documented "
            "(their notes are signed). To correct their record, add an addendum to "
            "their notes."
        )


def _leave_documented(
    appointment: Appointment, visits: list[Appointment]
) -> tuple[list[Appointment], list[Appointment]]:
    """The visits to change and the documented ones to leave as they are.

    The visit the change was asked from must itself be changeable: its page offers no
    such change once its note is signed.
    """
    if documented := documented_visit_problem(appointment):
        raise ValidationError(documented, code="documented")
    to_change: list[Appointment] = []
    documented_visits: list[Appointment] = []
    for visit in visits:
        (documented_visits if documented_visit_problem(visit) else to_change).append(
            visit
        )
    return to_change, documented_visits


def _in_scope(appointment: Appointment, scope: str) -> list[Appointment]:
    if scope == SCOPE_ONE or appointment.series is None:
        return [appointment]
    visits = appointment.series.appointments.filter(
        status__in=Appointment.OPEN_STATUSES
    ).select_related("location", "therapist__user", "room", "client", "modality")
    if scope == SCOPE_FOLLOWING:
        visits = visits.filter(starts_at__gte=appointment.starts_at)
    return list(visits.order_by("starts_at"))


@transaction.atomic
def series_change(
    *,
    appointment: Appointment,
    scope: str,
    by: User,
    now: datetime,
    local_start_time: time | None = None,
    duration_minutes: int | None = None,
    therapist: Therapist | None = None,
    place: str | None = None,
    room: Room | None = None,
    confirmation: Confirmation | None = None,
) -> SeriesEdit:
    """Change one visit, this and the following, or the whole series: all or none.

    Documented visits (their note signed) are left as they are and named in the
    result; every other visit in scope changes, or none does.
    """
    changed = []
    visits, documented = _leave_documented(appointment, _in_scope(appointment, scope))
    for visit in visits:
        local = visit.starts_at.astimezone(visit.location.zone)
        starts_at = (
            local_datetime(local.date(), local_start_time, visit.location)
            if local_start_time
            else visit.starts_at
        )
        try:
            changed.append(
                appointment_reschedule(
                    appointment=visit,
                    by=by,
                    now=now,
                    starts_at=starts_at,
                    duration_minutes=duration_minutes,
                    therapist=therapist,
                    place=place,
                    room=room,
                    confirmation=confirmation,
                )
            )
        except BookingNeedsConfirmation:
            raise
        except ValidationError as error:
            raise ValidationError(
                [f"{local:%a %d %b}: {m}" for m in error.messages]
                + ["Nothing was changed."]
            ) from None
    if appointment.series is not None:
        messages_series_changed(
            series=appointment.series, appointments=changed, now=now
        )
    return SeriesEdit(changed=changed, documented=documented)


@transaction.atomic
def series_cancel_rest(
    *, appointment: Appointment, by: User, reason: str, now: datetime
) -> SeriesEdit:
    """Cancel this visit and every later open visit of its series, in one step.

    Documented visits (their note signed) stay as they are; the result names them.
    """
    visits, documented = _leave_documented(
        appointment, _in_scope(appointment, SCOPE_FOLLOWING)
    )
    cancelled = [
        appointment_cancel(appointment=visit, by=by, reason=reason, now=now)
        for visit in visits
    ]
    if appointment.series is not None:
        messages_series_cancelled(
            series=appointment.series, appointments=cancelled, now=now
        )
    return SeriesEdit(changed=cancelled, documented=documented)


# --- the plan a series is booked from -----------------------------------------------


def series_plan(*, plan_id: int, context: AuditContext) -> TreatmentPlan | None:
    """The treatment plan the series form is pre-filled from; its read is audited."""
    plan = (
        TreatmentPlan.objects.select_related(
            "client", "therapist__user", "referral__provider"
        )
        .filter(pk=plan_id)
        .first()
    )
    if plan is not None:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            plan,
            client_id=plan.client_id,
            summary="Series booking pre-filled from the treatment plan",
        )
    return plan
