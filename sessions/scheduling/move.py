"""What the move page offers: free times for a visit on a day, and a drop's proposal.

The free times come from the one opening search (`find_openings`, which asks the
scheduling rules about every candidate), so every time offered is one the move
service accepts; the room a dragged visit lands in is the one the room rule finds
free. Nothing here decides a rule: it asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from clients.safety import modality_safety, refusal_sentence
from massageclinic.clock import local_datetime
from massageclinic.lengths import STEP
from massageclinic.models import Room
from massageclinic.validators import parse_id
from sessions.models import Appointment, Place
from sessions.scheduling.openings import Opening, find_openings
from sessions.scheduling.rules import ProposedVisit, room_problems, scheduling_problems
from sessions.scheduling.schedule_sources import ScheduleSnapshot
from therapists.models import Modality, Therapist

# A day has at most 96 quarter hours per therapist; enough for a clinic's day.
DAY_LIMIT = 600


@dataclass(frozen=True)
class TherapistOpenings:
    therapist: Therapist
    openings: list[Opening]


@dataclass(frozen=True)
class MoveChoices:
    """The free start times of one day for the visit, by how much changes."""

    day: date
    past: bool = False
    refused: str = ""  # the safety decision rules the technique out that day
    same_room: list[Opening] = field(default_factory=list)
    other_rooms: list[Opening] = field(default_factory=list)
    others: list[TherapistOpenings] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.same_room or self.other_rooms or self.others)


def move_choices(
    *,
    appointment: Appointment,
    day: date,
    modality: Modality,
    therapist: Therapist,
    now: datetime,
) -> MoveChoices:
    """Where the visit could go on `day` (local): with `therapist` in the visit's
    room, with them in another room, and with every other therapist who offers the
    technique, for the visit's length. The search sees the visit itself in the way
    of every time overlapping it, so those few times are asked of the rules apart,
    with the visit left out (`_around_itself`)."""
    location = appointment.location
    if day < now.astimezone(location.zone).date():
        return MoveChoices(day=day, past=True)
    verdict = modality_safety(client=appointment.client, modality=modality, on=day)
    if verdict.blocked:
        return MoveChoices(day=day, refused=refusal_sentence(verdict))
    # From the day's midnight, or from now on today.
    since = max(now, local_datetime(day, time(0), location))

    def search(who: Therapist | None = None, room: Room | None = None) -> list[Opening]:
        return find_openings(
            modality=modality,
            duration_minutes=appointment.duration_minutes,
            location=location,
            now=since,
            therapist=who,
            room=room,
            client=appointment.client,
            days=1,
            limit=DAY_LIMIT,
        )

    own_room = appointment.room if appointment.place == Place.ROOM else None
    same_room = search(therapist, own_room) if own_room else []
    everyone = search()
    if day == appointment.starts_at.astimezone(location.zone).date():
        near = _around_itself(appointment, modality, since, own_room)
        same_room = sorted(
            same_room
            + [
                o for o in near if o.therapist.pk == therapist.pk and o.room == own_room
            ],
            key=lambda o: o.starts_at,
        )
        everyone = sorted(
            everyone + near, key=lambda o: (o.starts_at, o.therapist.full_name)
        )
    kept = {o.starts_at for o in same_room}
    other_rooms = [
        o
        for o in everyone
        if o.therapist.pk == therapist.pk and o.starts_at not in kept
    ]
    by_therapist: dict[int, TherapistOpenings] = {}
    for opening in everyone:
        if opening.therapist.pk == therapist.pk:
            continue
        by_therapist.setdefault(
            opening.therapist.pk, TherapistOpenings(opening.therapist, [])
        ).openings.append(opening)
    return MoveChoices(
        day=day,
        same_room=same_room,
        other_rooms=other_rooms,
        others=sorted(by_therapist.values(), key=lambda t: t.therapist.full_name),
    )


def _around_itself(
    appointment: Appointment, modality: Modality, now: datetime, own_room: Room | None
) -> list[Opening]:
    """Openings that overlap the visit's current time (which the opening search
    cannot offer: the visit itself is in their way), judged by the scheduling rules
    with the visit left out, from one load of the schedule: for each therapist who
    offers the technique, the visit's room when free, else the first free room."""
    if appointment.place != Place.ROOM:
        return []
    length = appointment.ends_at - appointment.starts_at
    starts = []
    moment = appointment.starts_at - length + STEP
    while moment < appointment.ends_at:
        if moment >= now:
            starts.append(moment)
        moment += STEP
    therapists = list(
        Therapist.objects.filter(is_active=True, trainings__modality=modality)
        .select_related("user")
        .distinct()
    )
    rooms = list(
        Room.objects.filter(location=appointment.location, is_active=True)
        .select_related("location")
        .order_by("name")
    )
    if own_room is not None:
        rooms.sort(key=lambda r: r.pk != own_room.pk)
    if not starts or not therapists or not rooms:
        return []
    source = ScheduleSnapshot(
        therapists=therapists,
        rooms=rooms,
        clients=[appointment.client],
        start=starts[0],
        end=starts[-1] + length,
    )
    found = []
    for therapist in therapists:
        for start in starts:
            for room in rooms:
                if (therapist.pk, start, room.pk) == (
                    appointment.therapist_id,
                    appointment.starts_at,
                    appointment.room_id,
                ):
                    continue  # where it is now
                visit = ProposedVisit.lasting(
                    appointment.duration_minutes,
                    client=appointment.client,
                    therapist=therapist,
                    modality=modality,
                    location=appointment.location,
                    starts_at=start,
                    room=room,
                )
                if not scheduling_problems(
                    visit, now=now, exclude=[appointment.pk], source=source
                ):
                    found.append(
                        Opening(
                            therapist, appointment.location, room, start, visit.ends_at
                        )
                    )
                    break
    return found


@dataclass(frozen=True)
class Proposal:
    """A move proposed by dropping the visit on a grid cell, to be confirmed."""

    starts_at: datetime
    therapist: Therapist
    room: Room | None
    fold: int

    def problems(self, appointment: Appointment, now: datetime) -> list[str]:
        """Why the move service would refuse this drop, asked before the person
        confirms it: the scheduling rules (the visit left out) and the safety
        decision, the two questions the service asks first."""
        visit = ProposedVisit.lasting(
            appointment.duration_minutes,
            client=appointment.client,
            therapist=self.therapist,
            modality=appointment.modality,
            location=appointment.location,
            starts_at=self.starts_at,
            place=appointment.place,
            room=self.room,
        )
        problems = scheduling_problems(visit, now=now, exclude=[appointment.pk])
        day = visit.local_start.date()
        verdict = modality_safety(
            client=appointment.client, modality=appointment.modality, on=day
        )
        if verdict.blocked:
            problems.append(refusal_sentence(verdict, therapist=self.therapist))
        return problems

    def sentence(self, appointment: Appointment) -> str:
        local = self.starts_at.astimezone(appointment.location.zone)
        hour = local.hour % 12 or 12
        clock = f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
        where = (
            f" in {self.room.name}"
            if self.room
            else f" ({appointment.get_place_display().lower()})"
        )
        return (
            f"Move {appointment.client.full_name} to {local:%a} {local.day} "
            f"{local:%b} {clock} with {self.therapist.full_name}{where}?"
        )


def _free_room(
    appointment: Appointment, therapist: Therapist, starts_at: datetime
) -> Room | None:
    """The visit's room when the room rule finds it free then, else the first free
    room of the location (by name), else the visit's room (the move then says why)."""
    current = appointment.room
    rooms = [
        r
        for r in Room.objects.filter(location=appointment.location, is_active=True)
        .select_related("location")
        .order_by("name")
        if current is None or r.pk != current.pk
    ]
    if current is not None:
        rooms.insert(0, current)
    for room in rooms:
        visit = ProposedVisit.lasting(
            appointment.duration_minutes,
            client=appointment.client,
            therapist=therapist,
            modality=appointment.modality,
            location=appointment.location,
            starts_at=starts_at,
            room=room,
        )
        if not room_problems(visit, exclude=[appointment.pk]):
            return room
    return current


def proposal_from_query(
    query: Mapping[str, str], appointment: Appointment
) -> Proposal | None:
    """The grid's drop as the booking link writes a cell (`starts`, `fold`,
    `therapist` or `room`), or None when the link holds no usable time."""
    raw = query.get("starts", "")
    try:
        naive = datetime.strptime(raw, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    if not 2000 <= naive.year <= 2100 or naive.minute % 15:
        return None
    fold = 1 if query.get("fold") == "1" else 0
    starts_at = local_datetime(
        naive.date(), naive.time(), appointment.location, fold=fold
    )
    therapist = appointment.therapist
    wanted = parse_id(query.get("therapist"))
    if wanted is not None and wanted != therapist.pk:
        found = Therapist.objects.select_related("user").filter(pk=wanted).first()
        if found is None:
            return None
        therapist = found
    if appointment.place != Place.ROOM:
        return Proposal(starts_at, therapist, None, fold)
    wanted_room = parse_id(query.get("room"))
    if wanted_room is not None:
        room = Room.objects.filter(
            pk=wanted_room, location=appointment.location
        ).first()
        if room is None:
            return None
    else:
        room = _free_room(appointment, therapist, starts_at)
    return Proposal(starts_at, therapist, room, fold)
