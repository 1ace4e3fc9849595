"""What is documented stays: a visit whose SOAP note is signed keeps its place.

A signed note says the visit happened, when and with whom; cancelling, moving or
marking it a no-show afterwards would make the schedule contradict the clinical
record (and the billing built on it). Every service that changes a visit's status,
time, therapist or room asks `documented_visit_problem` first; the visit page asks
it too, to hide the buttons. Corrections go through an addendum to the note.
"""

from __future__ import annotations

from sessions.models import Appointment, SessionNote

# A documented visit may still move forward through its day: checked in, completed.
STATUSES_AFTER_DOCUMENTING = frozenset(
    {Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED}
)


def documented_visit_problem(
    appointment: Appointment, *, lock: bool = False
) -> str | None:
    """The sentence refusing a change to a visit whose note is signed, else None.

    `lock=True` (inside a service's transaction) also locks the note row, so a
    signature being written at this moment is waited for and seen.
    """
    notes = SessionNote.objects.filter(
        appointment_id=appointment.pk, signed_at__isnull=False
    ).select_related("signed_by")
    if lock:
        notes = notes.select_for_update(of=("self",))
    note = notes.first()
    if note is None or note.signed_at is None:
        return None
    signed_on = note.signed_at.astimezone(appointment.location.zone)
    signer = note.signed_by
    by = (
        (signer.get_full_name() or signer.get_username()) if signer else "its therapist"
    )
    return (
        f"This visit is documented: its note was signed on "
        f"{signed_on.day} {signed_on:%b %Y} by {by}. It can no longer be cancelled, "
        "moved or marked no-show, nor its check-in undone. To correct the record, add "
        "an addendum to the note (its therapist adds it on the note page)."
    )
