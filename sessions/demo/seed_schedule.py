"""The seeder's view of the schedule for the app's rules (see `SeedSchedule`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from massageclinic.models import Location
from sessions.models import Appointment
from sessions.scheduling.schedule_sources import LiveSchedule, VisitAsked
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours


class SeedSchedule(LiveSchedule):
    """What the scheduling rules read while seeding: trainings, hours and time off
    loaded once, and the visits booked so far (in memory; saved in bulk at the end).

    Every visit the seeder makes is judged by the app's own rules
    (`therapist_problems`, `client_problems`, `room_problems`) against it.
    """

    def __init__(self, therapists: list[Therapist]) -> None:
        ids = [t.pk for t in therapists]
        self._trained = set(
            Training.objects.filter(therapist_id__in=ids).values_list(
                "therapist_id", "modality_id"
            )
        )
        self._hours: dict[tuple[int, int, int], list[WorkingHours]] = defaultdict(list)
        for block in WorkingHours.objects.filter(therapist_id__in=ids).order_by(
            "starts_at"
        ):
            key = (block.therapist_id, block.location_id, block.weekday)
            self._hours[key].append(block)
        self._off: dict[int, list[TimeOff]] = defaultdict(list)
        for off in TimeOff.objects.filter(therapist_id__in=ids):
            self._off[off.therapist_id].append(off)
        self._by: dict[str, dict[int, list[Appointment]]] = {
            kind: defaultdict(list) for kind in ("therapist", "client", "room")
        }

    def add(self, appointment: Appointment) -> None:
        self._by["therapist"][appointment.therapist_id].append(appointment)
        self._by["client"][appointment.client_id].append(appointment)
        if appointment.room_id:
            self._by["room"][appointment.room_id].append(appointment)

    def is_trained(self, therapist: Therapist, modality: Modality) -> bool:
        return (therapist.pk, modality.pk) in self._trained

    def working_hours(
        self, therapist: Therapist, location: Location, weekday: int
    ) -> list[WorkingHours]:
        return self._hours.get((therapist.pk, location.pk, weekday), [])

    def time_off(
        self, therapist: Therapist, start: datetime, end: datetime
    ) -> list[TimeOff]:
        return [
            o
            for o in self._off[therapist.pk]
            if o.starts_at < end and o.ends_at > start
        ]

    def visits_near(
        self, visit: VisitAsked, start: datetime, end: datetime
    ) -> list[Appointment]:
        found = {id(v): v for v in self._by["therapist"][visit.therapist.pk]}
        if visit.client is not None:
            found.update((id(v), v) for v in self._by["client"][visit.client.pk])
        if visit.room is not None:
            found.update((id(v), v) for v in self._by["room"][visit.room.pk])
        return [
            v
            for v in found.values()
            if v.therapist_busy_from < end and v.therapist_busy_until > start
        ]
