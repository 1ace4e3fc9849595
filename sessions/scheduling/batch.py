"""A batch of visits (one booking, or a whole series) judged against one load of the
schedule: lean first, whole only to explain a refusal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sessions.models import Appointment
from sessions.scheduling.rules import ProposedVisit, scheduling_problems
from sessions.scheduling.schedule_sources import ScheduleSnapshot


def _snapshot_for(
    visits: Sequence[ProposedVisit], *, lean: bool = False
) -> ScheduleSnapshot:
    """Hours, time off and visits of everyone the batch involves, loaded once."""
    return ScheduleSnapshot(
        therapists=list({v.therapist.pk: v.therapist for v in visits}.values()),
        rooms=list({v.room.pk: v.room for v in visits if v.room}.values()),
        clients=list({v.client.pk: v.client for v in visits if v.client}.values()),
        start=min(v.busy[0] for v in visits),
        end=max(v.busy[1] for v in visits),
        lean=lean,
    )


class BatchSchedule:
    """The batch's checks: first on a lean load (the other visits' compared columns
    only), which is all a batch that fits needs; a visit that does not fit is judged
    again on a whole load, so its refusal names the visit in the way."""

    def __init__(self, visits: Sequence[ProposedVisit]) -> None:
        self.visits = visits
        self.lean = _snapshot_for(visits, lean=True)
        self.booked: list[Appointment] = []

    def problems(self, visit: ProposedVisit, now: datetime) -> list[str]:
        if not scheduling_problems(visit, now=now, source=self.lean, explain=False):
            return []
        whole = _snapshot_for(self.visits)
        for appointment in self.booked:
            whole.add(appointment)
        return scheduling_problems(visit, now=now, source=whole)

    def add(self, appointment: Appointment) -> None:
        """Count a visit of the batch, so its later visits are checked against it."""
        self.lean.add(appointment)
        self.booked.append(appointment)
