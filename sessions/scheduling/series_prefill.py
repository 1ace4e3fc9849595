"""What the series form starts from: the client's referral, treatment plan and schedule.

The desk opens "Book a series" for a client; the form fills itself from the paperwork
(frequency, number of visits, length, technique), picks a therapist, a start time and
a room that are free, and says in one line where each value came from. Every value
stays editable; the preview still checks every visit.

Nothing here decides a rule of its own: the visits left on a referral or an
authorization come from `ClientPaperwork`, whether a technique is allowed from
`clients.safety.modality_safety`, whether a room, therapist or client is free from
`sessions.scheduling.rules` read through one `ScheduleSnapshot`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet

from clients.models import Authorization, Client, Referral
from clients.safety import flags_in_force, modality_safety
from massageclinic.audit import AuditContext, audit_record
from massageclinic.clock import local_datetime
from massageclinic.models import AuditEvent, Location, Room
from sessions.models import Appointment, Place, TreatmentPlan
from sessions.scheduling.paperwork import ClientPaperwork
from sessions.scheduling.rules import (
    ProposedVisit,
    client_problems,
    room_problems,
    shape_problems,
    therapist_problems,
)
from sessions.scheduling.schedule_sources import ScheduleSnapshot
from sessions.scheduling.series import MAX_OCCURRENCES, SeriesRule, expand
from therapists.models import Modality, Therapist

DEFAULT_MINUTES = 60
CANDIDATE_STEP = timedelta(minutes=30)
MAX_CANDIDATE_TIMES = 24
FALLBACK_START = time(10)


def plan_weekdays(visits_per_week: int, starts_on: date) -> list[int]:
    """A spread of weekdays for `visits_per_week` visits, the start's weekday first.

    Twice a week keeps two or three days between visits (Mon/Thu, Tue/Fri, Wed/Fri);
    more often uses Mon-Fri, then the weekend. The desk changes it as the client wishes.
    """
    start = starts_on.weekday()
    if visits_per_week <= 1:
        return [start]
    if visits_per_week == 2:
        return {0: [0, 3], 1: [1, 4], 2: [2, 4], 3: [0, 3], 4: [1, 4]}.get(
            start, [0, 3]
        )
    patterns = {3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4], 6: list(range(6))}
    return patterns.get(visits_per_week, list(range(7)))


def visits_left(
    paperwork: ClientPaperwork, record: Referral | Authorization
) -> int | None:
    """Visits still allowed under a referral or authorization (None: no visit limit),
    counted as booking counts them: the number the next visit would have, minus one."""
    allowed = record.visits_authorized
    if allowed is None:
        return None
    # A fresh count: next_number() remembers what it handed out.
    fresh = ClientPaperwork(
        referrals=paperwork.referrals, authorizations=paperwork.authorizations
    )
    return max(allowed - (fresh.next_number(record) - 1), 0)


def series_count(
    *,
    planned: int | None,
    referral_left: int | None,
    authorization_left: int | None,
) -> int:
    """The number of visits to suggest: what is planned or prescribed, no more than
    the referral and the authorization still allow, and at least one."""
    limits = [n for n in (planned, referral_left, authorization_left) if n is not None]
    count = min(limits) if limits else 1
    return min(max(count, 1), MAX_OCCURRENCES)


def series_minutes(
    *, plan: TreatmentPlan | None, referral: Referral | None, lengths: list[int]
) -> int:
    """The plan's length, else the referral's, else the clinic's usual length."""
    if plan is not None and plan.session_minutes:
        return plan.session_minutes
    if referral is not None and referral.session_minutes:
        return referral.session_minutes
    if DEFAULT_MINUTES in lengths or not lengths:
        return DEFAULT_MINUTES
    return lengths[0]


@dataclass(frozen=True)
class RoomChoice:
    """The room suggested and for how many of the visits it is free."""

    room: Room | None
    free: int
    visits: int

    @property
    def sentence(self) -> str:
        if self.room is None:
            return "no room is free for these visits: choose one"
        if self.free == self.visits:
            return f"{self.room.name} is free for all {self.visits} visits"
        return (
            f"{self.room.name} is free for {self.free} of {self.visits} visits: "
            "the preview shows the others"
        )


def series_room(
    *,
    visits: list[ProposedVisit],
    rooms: list[Room],
    source: ScheduleSnapshot,
    now: datetime,
) -> RoomChoice:
    """The first room free for every visit, else the room free for most of them.

    Asks the same rule as the preview (`room_problems`), on the visits as proposed.
    """
    best: tuple[int, Room | None] = (0, None)
    for room in rooms:
        free = sum(
            1
            for visit in visits
            if not room_problems(_in_room(visit, room), source=source, explain=False)
        )
        if free == len(visits) and visits:
            return RoomChoice(room=room, free=free, visits=len(visits))
        if free > best[0]:
            best = (free, room)
    return RoomChoice(room=best[1], free=best[0], visits=len(visits))


def _in_room(visit: ProposedVisit, room: Room) -> ProposedVisit:
    return replace(visit, place=Place.ROOM, room=room)


@dataclass
class Suggestion:
    """The form's initial values and the sentence saying where they came from."""

    initial: dict = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    room: RoomChoice | None = None

    @property
    def sentence(self) -> str:
        parts = list(self.sources)
        if self.room is not None:
            parts.append(self.room.sentence)
        if not parts:
            return ""
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + ". Change anything below."


def _modality(
    client: Client,
    referral: Referral | None,
    plan: TreatmentPlan | None,
    on: date,
) -> tuple[Modality | None, list[str]]:
    """The prescribed technique, else the plan's first, if the safety rules allow it."""
    candidates: list[Modality] = []
    if referral is not None:
        candidates += sorted(referral.prescribed_modalities.all(), key=_by_name)
    if plan is not None:
        candidates += sorted(plan.planned_modalities.all(), key=_by_name)
    candidates = [m for m in candidates if m.is_active]
    if not candidates:
        return None, []
    flags = flags_in_force(client, on)
    refused: list[str] = []
    for candidate in candidates:
        if not modality_safety(
            client=client, modality=candidate, on=on, flags=flags
        ).blocked:
            return candidate, refused
        refused.append(technique_words(candidate))
    return None, [
        f"{', '.join(refused)} not allowed for this client: choose a technique"
    ]


def _by_name(modality: Modality) -> str:
    return modality.name


def _therapist(
    client: Client, plan: TreatmentPlan | None, modality: Modality | None, location
) -> Therapist | None:
    """The plan's therapist, else the client's last therapist trained in the technique,
    else the first one trained in it who works at the location."""
    if plan is not None:
        return plan.therapist
    trained: QuerySet[Therapist] = Therapist.objects.filter(
        is_active=True
    ).select_related("user")
    if modality is not None:
        trained = trained.filter(trainings__modality=modality)
    last = (
        Appointment.objects.filter(client=client, therapist__in=trained)
        .order_by("-starts_at")
        .values_list("therapist_id", flat=True)
        .first()
    )
    if last is not None:
        return trained.filter(pk=last).first()
    if location is not None:
        trained = trained.filter(working_hours__location=location)
    return trained.distinct().order_by("user__last_name", "pk").first()


def _candidate_times(
    therapist: Therapist,
    location: Location,
    weekdays: list[int],
    minutes: int,
    source: ScheduleSnapshot,
) -> list[time]:
    """Start times inside the therapist's hours on the chosen weekdays, earliest first."""
    found: set[time] = set()
    length = timedelta(minutes=minutes)
    for weekday in weekdays:
        for block in source.working_hours(therapist, location, weekday):
            moment = datetime.combine(date(2000, 1, 3), block.starts_at)
            last = datetime.combine(date(2000, 1, 3), block.ends_at) - length
            while moment <= last:
                found.add(moment.time())
                moment += CANDIDATE_STEP
    return sorted(found)[:MAX_CANDIDATE_TIMES] or [FALLBACK_START]


def _visits(
    *,
    client: Client,
    therapist: Therapist,
    modality: Modality,
    location: Location,
    days: list[date],
    at: time,
    minutes: int,
) -> list[ProposedVisit]:
    return [
        ProposedVisit.lasting(
            minutes,
            client=client,
            therapist=therapist,
            modality=modality,
            location=location,
            starts_at=local_datetime(day, at, location),
            place=Place.ROOM,
            room=None,
        )
        for day in days
    ]


def _people_free(visit: ProposedVisit, source: ScheduleSnapshot, now: datetime) -> bool:
    return not (
        shape_problems(visit, now)
        or client_problems(visit, source=source, explain=False)
        or therapist_problems(visit, source=source, explain=False)
    )


def _time_and_room(
    *,
    client: Client,
    therapist: Therapist,
    modality: Modality,
    location: Location,
    days: list[date],
    minutes: int,
    now: datetime,
) -> tuple[time, RoomChoice, int]:
    """The earliest start time when therapist and client are free for every visit and
    a room is too; else the time and room free for the most visits. The last value
    is how many visits therapist and client are free for at that time."""
    rooms = list(
        Room.objects.filter(location=location, is_active=True).select_related(
            "location"
        )
    )
    source = ScheduleSnapshot(
        therapists=[therapist],
        clients=[client],
        rooms=rooms,
        start=local_datetime(days[0], time(0), location),
        end=local_datetime(days[-1] + timedelta(days=1), time(0), location),
    )
    weekdays = sorted({d.weekday() for d in days})
    best: tuple[tuple[int, int], time, RoomChoice] | None = None
    for at in _candidate_times(therapist, location, weekdays, minutes, source):
        visits = _visits(
            client=client,
            therapist=therapist,
            modality=modality,
            location=location,
            days=days,
            at=at,
            minutes=minutes,
        )
        people = [v for v in visits if _people_free(v, source, now)]
        choice = series_room(visits=people, rooms=rooms, source=source, now=now)
        choice = RoomChoice(room=choice.room, free=choice.free, visits=len(visits))
        score = (len(people), choice.free)
        if choice.free == len(visits):
            return at, choice, len(people)
        if best is None or score > best[0]:
            best = (score, at, choice)
    assert best is not None  # there is always at least one candidate time
    return best[1], best[2], best[0][0]


PROPER_WORDS = {"Swedish", "Maya", "(Rolfing)"}


def technique_words(modality: Modality) -> str:
    """A technique's name inside a sentence: "deep tissue", but "Swedish"."""
    return " ".join(
        w if w in PROPER_WORDS else w.lower() for w in modality.name.split()
    )


def _visits_text(count: int) -> str:
    return f"{count} visit{'' if count == 1 else 's'}"


def _what(per_week: int, count: int, minutes: int, modality) -> str:
    what = [f"{per_week} a week for {_visits_text(count)}", f"{minutes} minutes"]
    if modality is not None:
        what.append(technique_words(modality))
    return ", ".join(what)


def _referral_name(referral: Referral) -> str:
    return f"{referral.provider.name}'s referral of {referral.referred_on:%-d %b}"


def _sources(
    *,
    plan: TreatmentPlan | None,
    referral: Referral | None,
    referral_left: int | None,
    count: int,
    per_week: int,
    minutes: int,
    modality,
) -> list[str]:
    """Where the values came from: the plan (with the referral it books under), or
    the referral alone."""
    what = _what(per_week, count, minutes, modality)
    if plan is None and referral is not None:
        return [f"from {_referral_name(referral)}: {what}"]
    if plan is None:
        return []
    sources = [
        f"from the treatment plan of {plan.starts_on:%-d %b} with "
        f"{plan.therapist.full_name}: {what}"
    ]
    if referral is not None and referral_left:
        sources.append(
            f"{_visits_text(referral_left)} left on {_referral_name(referral)}"
        )
    return sources


def series_suggestion(
    *,
    client: Client,
    plan: TreatmentPlan | None,
    location: Location | None,
    starts_on: date,
    lengths: list[int],
    now: datetime,
    context: AuditContext | None = None,
) -> Suggestion:
    """The series form's starting values for `client` (and `plan`), and their sources.

    The referral it reads and names on the page is a health record: with a
    `context`, the read is audited.
    """
    paperwork = ClientPaperwork.load(client)
    referral = (plan.referral if plan else None) or paperwork.referral_on(starts_on)
    if referral is not None and referral.expires_on < starts_on and plan is None:
        referral = None  # an expired prescription prescribes nothing new
    authorization = paperwork.authorization_on(starts_on)
    if plan is None and referral is None:
        return Suggestion()
    if referral is not None and context is not None:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            referral,
            client_id=client.pk,
            summary="Series booking pre-filled from the referral",
        )

    planned = None
    if plan is not None:
        booked = plan.appointments.exclude(
            status__in=Appointment.NON_BLOCKING_STATUSES
        ).count()
        planned = max(plan.visits_planned - booked, 1)
    elif referral is not None:
        planned = referral.visits_per_week * referral.duration_weeks
    referral_left = visits_left(paperwork, referral) if referral else None
    count = series_count(
        planned=planned,
        referral_left=referral_left,
        authorization_left=(
            visits_left(paperwork, authorization) if authorization else None
        ),
    )
    per_week = (
        plan.visits_per_week
        if plan is not None
        else (referral.visits_per_week if referral is not None else 1)
    )
    minutes = series_minutes(plan=plan, referral=referral, lengths=lengths)
    modality, refused = _modality(client, referral, plan, starts_on)
    therapist = _therapist(client, plan, modality, location)
    weekdays = plan_weekdays(per_week, starts_on)
    initial: dict = {
        "count": count,
        "duration_minutes": minutes,
        "weekdays": weekdays,
        "starts_on": starts_on,
    }
    if modality is not None:
        initial["modality"] = modality
    if therapist is not None:
        initial["therapist"] = therapist

    sources = _sources(
        plan=plan,
        referral=referral,
        referral_left=referral_left,
        count=count,
        per_week=per_week,
        minutes=minutes,
        modality=modality,
    )
    if authorization is not None and authorization.visits_authorized is not None:
        left = visits_left(paperwork, authorization)
        sources.append(
            f"{left} visit{'' if left == 1 else 's'} left on authorization "
            f"{authorization.number}"
        )
    if referral_left == 0:
        sources.append(
            "no visits left on the referral: the preview flags the visits beyond it"
        )
    sources += refused

    suggestion = Suggestion(initial=initial, sources=sources)
    if location is None or therapist is None or modality is None:
        return suggestion
    rule = SeriesRule(
        weekdays=tuple(weekdays),
        interval_weeks=1,
        starts_on=starts_on,
        local_start_time=FALLBACK_START,
        count=count,
    )
    days = list(expand(rule))
    at, room, people_free = _time_and_room(
        client=client,
        therapist=therapist,
        modality=modality,
        location=location,
        days=days,
        minutes=minutes,
        now=now,
    )
    initial["local_start_time"] = at
    if people_free < len(days):
        sources.append(
            f"{therapist.full_name} and {client.first_name} are free at {at:%H:%M} "
            f"for {people_free} of {len(days)} visits: the preview shows the others"
        )
    if room.room is not None:
        initial["room"] = room.room
    suggestion.room = room
    return suggestion
