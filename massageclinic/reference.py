"""Reference data kept between requests: read again the moment any of it changes.

The busy pages read the same few dozen rows on every request: the active locations
and their rooms, the therapists with their hours and trainings, the techniques, the
contraindication rules. Each process keeps them, as parts of one `Reference` per
version of that data, and reads only the version per request (one short statement).

The database keeps the version (migration clinic 0010): a statement-level trigger on
each of those tables sets `clinic_reference_version` to a new value from a sequence
before any statement writes to it, inside the writer's transaction. So:

- every path that writes is seen (the ORM, bulk updates, the admin, imports, raw
  SQL, a test's flush), not only those that send Django's signals;
- a reader sees the new version exactly when it can see the new rows: the bump
  commits, or rolls back, with them;
- a version is never handed out twice (a sequence never goes back, not even on a
  rollback), so parts read inside a transaction that changed reference data, under
  its own uncommitted version, are never given to anyone else;
- the version is read before a part is, so a part is never older than the version
  it is kept under.

A part is a function of no arguments that reads the database, registered with
`@reference_part`. All of them are read together, right after the version, the first
time a process meets that version: nothing a caller writes afterwards, in its own
transaction, can slip into what the process keeps. The rows they return are shared
by every request of the process until the version changes: read them, never change
them.

The version row's lock is taken by every write to these tables, before the statement
writes. A transaction that locks one of their rows (FOR UPDATE) and then writes to
them must call `lock_reference_data()` first, so that all writers take the two locks
in the same order and none waits for the other in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db import connection

from massageclinic.models import Location, Room

T = TypeVar("T")

_VERSION_SQL = "SELECT version FROM clinic_reference_version WHERE id = 1"


_PARTS: list[Callable[[], Any]] = []


def reference_part(part: Callable[[], T]) -> Callable[[], T]:
    """Register a part: read with the others whenever a new version is met."""
    _PARTS.append(part)
    return part


def registered_parts() -> tuple[Callable[[], Any], ...]:
    return tuple(_PARTS)


class Reference:
    """The reference data at one version: every registered part, read at once."""

    def __init__(self, version: tuple[str, int] | None) -> None:
        self.version = version
        self._parts: dict[Callable[[], Any], Any] = {}

    @classmethod
    def read(cls, version: tuple[str, int] | None) -> Reference:
        ref = cls(version)
        for part in _PARTS:
            ref._parts[part] = part()
        return ref

    def get(self, part: Callable[[], T]) -> T:
        try:
            return cast(T, self._parts[part])
        except KeyError:  # not registered: read now, never kept
            return part()


_kept: Reference | None = None


def _version() -> tuple[str, int] | None:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    if row is None:
        return None
    # The database's name too: a process that moves to another database (a test
    # run's) never meets the other's numbers.
    return (str(connection.settings_dict["NAME"]), int(row[0]))


def reference() -> Reference:
    """The reference data as of now: the process's copy if it is still current,
    else a new, empty one (its parts read as they are asked for)."""
    global _kept
    version = _version()
    if version is None:  # no version row: nothing can be kept safely
        return Reference(None)
    kept = _kept
    if kept is None or kept.version != version:
        # Another thread (a test's live server) may swap in its own at any moment:
        # the one returned is always the one for the version read here.
        kept = _kept = Reference.read(version)
    return kept


def lock_reference_data() -> None:
    """Take the version row's lock now, as a write to reference data would (see the
    module's note): for a transaction about to lock a reference row FOR UPDATE."""
    with connection.cursor() as cursor:
        cursor.execute(f"{_VERSION_SQL} FOR UPDATE")


def forget() -> None:
    """Drop the process's copy (tests start from a cold process this way)."""
    global _kept
    _kept = None


# --- the clinic's own parts ------------------------------------------------------------


@reference_part
def active_locations() -> list[Location]:
    """The locations in use, by name."""
    return list(Location.objects.filter(is_active=True).order_by("name"))


@reference_part
def active_rooms() -> dict[int, list[Room]]:
    """Each location's rooms in use, by name."""
    rooms: dict[int, list[Room]] = {}
    for room in Room.objects.filter(is_active=True).order_by("name", "pk"):
        rooms.setdefault(room.location_id, []).append(room)
    return rooms
