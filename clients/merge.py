"""Merge two records of one person, undo the merge, or confirm it (manager only).

Every row pointing at the duplicate moves to the kept record. The rows are found
generically from `Client._meta.related_objects`, so visits, plans, messages and the
waitlist (the sessions app's, above this one in the app chain) move without this
module importing them, and a model added later moves too. What the database would
refuse (two overlapping visits, two one-to-one rows) is found first and explained in
a sentence, with nothing changed; a lost race ends in the same sentence. The two
records' medical histories become one list, numbered by the date each was submitted
(both usually have a version 1). The merge records exactly which rows moved and the
histories' old numbers, so that until a manager confirms it, undoing moves exactly
those back, numbered as they were, and restores the duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.contrib.postgres.constraints import ExclusionConstraint
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, Value, When

from clients.models import Client, ClientMerge, MedicalHistory
from massageclinic.audit import AuditContext, audit_record
from massageclinic.clock import location_zone
from massageclinic.models import AuditEvent
from massageclinic.roles import Role, user_roles

# What the desk calls a model's rows, where its verbose name is a database word.
KIND_NAMES = {
    "clinic_sessions.Appointment": "visits",
    "clinic_sessions.AppointmentSeries": "series",
    "clinic_sessions.OutboundMessage": "messages",
    "clinic_sessions.WaitlistEntry": "waitlist entries",
    "clinic_sessions.TreatmentPlan": "treatment plans",
    "clinic_sessions.VisitScreening": "safety screenings",
    "clinic_sessions.SessionNote": "notes",
    "clients.MedicalHistory": "intake / history versions",
    "clients.Contraindication": "safety flags",
    "clients.Referral": "referrals",
    "clients.InsurancePolicy": "insurance policies (with their authorizations)",
    "clients.IntakeInvitation": "intake links",
    "clients.ModificationPlan": "modification plans",
}


def can_merge(user: Any) -> bool:
    return Role.MANAGER in user_roles(user)


def _require_manager(user: Any) -> None:
    if not can_merge(user):
        raise PermissionDenied("Only a clinic manager can merge client records.")


def _relations() -> Iterator[models.ForeignKey]:
    """Every foreign key (or one-to-one) on another model that points at a client.

    The merge's own rows name both clients on purpose and stay as they are.
    """
    for rel in Client._meta.related_objects:
        if rel.related_model is ClientMerge:
            continue
        if isinstance(rel.field, models.ForeignKey):
            yield rel.field


_HISTORY_KEY = "clients.MedicalHistory.client"


def _key(fk: models.ForeignKey) -> str:
    return f"{fk.model._meta.label}.{fk.name}"


def _kind(model: type[models.Model]) -> str:
    return KIND_NAMES.get(model._meta.label, str(model._meta.verbose_name_plural))


@dataclass(frozen=True)
class MovingKind:
    kind: str
    count: int
    along: bool = False  # rows that hang on the moving rows and go with them


@dataclass(frozen=True)
class MergePreview:
    kept: Client
    duplicate: Client
    kinds: list[MovingKind]
    conflicts: list[str]
    histories: str = ""  # what happens to the two records' medical histories

    @property
    def total(self) -> int:
        return sum(k.count for k in self.kinds if not k.along)


def _rows_along(fk: models.ForeignKey, pks: list[int]) -> Iterator[MovingKind]:
    """Rows pointing at the moving rows (a visit's note): they move with them."""
    for rel in fk.model._meta.related_objects:
        if not isinstance(rel.field, models.ForeignKey) or rel.field.model is Client:
            continue
        if any(f.related_model is Client for f in _fks_to_client(rel.field.model)):
            continue  # it has its own client column and is counted there
        if rel.field.model._meta.label not in KIND_NAMES:
            continue  # a visit's own change history: part of the visit
        count = rel.field.model._base_manager.filter(
            **{f"{rel.field.name}__in": pks}
        ).count()
        if count:
            yield MovingKind(_kind(rel.field.model), count, along=True)


def _fks_to_client(model: type[models.Model]) -> list[models.ForeignKey]:
    return [
        f
        for f in model._meta.get_fields()
        if isinstance(f, models.ForeignKey) and f.related_model is Client
    ]


def client_merge_preview(*, kept: Client, duplicate: Client) -> MergePreview:
    """What would move from `duplicate` to `kept`, kind by kind, and what stops it."""
    problems = _refusals(kept, duplicate)
    kinds: list[MovingKind] = []
    for fk in _relations():
        pks = list(
            fk.model._base_manager.filter(**{fk.name: duplicate}).values_list(
                "pk", flat=True
            )
        )
        if pks:
            kinds.append(MovingKind(_kind(fk.model), len(pks)))
            kinds.extend(_rows_along(fk, pks))
    if not problems:
        problems = _conflicts(kept, duplicate)
    return MergePreview(
        kept=kept,
        duplicate=duplicate,
        kinds=kinds,
        conflicts=problems,
        histories=histories_combined_sentence(kept, duplicate),
    )


def live_merge_of(client: Client) -> ClientMerge | None:
    """The merge (pending or confirmed) that folded this client into another."""
    return (
        ClientMerge.objects.filter(duplicate=client)
        .exclude(status=ClientMerge.Status.UNDONE)
        .select_related("kept")
        .first()
    )


def merged_with(client: Client) -> set[int]:
    """The records merged into this one, or this one into, by a merge not undone:
    the same person, already known to be (never "likely a duplicate" of it)."""
    live = ClientMerge.objects.exclude(status=ClientMerge.Status.UNDONE)
    into = live.filter(kept=client).values_list("duplicate_id", flat=True)
    away = live.filter(duplicate=client).values_list("kept_id", flat=True)
    return set(into) | set(away)


def pending_merges_into(client: Client) -> list[ClientMerge]:
    return list(
        ClientMerge.objects.filter(
            kept=client, status=ClientMerge.Status.PENDING
        ).select_related("duplicate")
    )


def _refusals(kept: Client, duplicate: Client) -> list[str]:
    if kept.pk == duplicate.pk:
        return ["Choose another record: a client cannot be merged into themselves."]
    if kept.is_archived:
        return [
            f"{kept.full_name} (#{kept.pk}) is archived: restore them before "
            "merging another record into theirs."
        ]
    problems = []
    if ClientMerge.objects.filter(
        Q(duplicate__in=[kept, duplicate]), ~Q(status=ClientMerge.Status.UNDONE)
    ).exists():
        problems.append(
            "One of these records was already merged into another; "
            "undo that merge first or choose the record it was merged into."
        )
    if ClientMerge.objects.filter(
        kept=duplicate, status=ClientMerge.Status.PENDING
    ).exists():
        problems.append(
            f"Another record was merged into {duplicate.full_name} (#{duplicate.pk}) "
            "and is not confirmed yet: confirm or undo that merge first."
        )
    return problems


# --- Medical histories: one list, numbered by date ---------------------------------

# Unique constraints the merge satisfies itself, by renumbering.
RENUMBERED_BY_MERGE = {"history_version_unique"}
# Versions are moved out of the way (above any real number) while they are renumbered,
# because PostgreSQL checks the unique (client, version) row by row.
PARKED = 1_000_000


def _histories_of(*clients: Client) -> list[tuple[int, int, int, datetime]]:
    """(pk, client pk, version, submitted_at), oldest submission first."""
    return list(
        MedicalHistory.objects.filter(client__in=clients)
        .order_by("submitted_at", "pk")
        .values_list("pk", "client_id", "version", "submitted_at")
    )


def histories_combined_sentence(kept: Client, duplicate: Client) -> str:
    """What the merge does to the histories, when both records have some."""
    rows = _histories_of(kept, duplicate)
    owners = {client_id for _, client_id, _, _ in rows}
    if owners != {kept.pk, duplicate.pk}:
        return ""
    newest_owner = kept if rows[-1][1] == kept.pk else duplicate
    return (
        f"Both records have a medical history ({kept.full_name}: "
        f"{sum(1 for r in rows if r[1] == kept.pk)}, {duplicate.full_name}: "
        f"{sum(1 for r in rows if r[1] == duplicate.pk)} versions). They become one "
        f"list of {len(rows)} versions, numbered by the date each was submitted; the "
        f"newest, submitted {_when(rows[-1][3])} on {newest_owner.full_name}'s record, "
        "is the current history. The safety flags of both records stay active: a "
        "therapist should read them together after the merge."
    )


def _histories_combined(kept: Client, duplicate: Client) -> dict[str, int]:
    """Park both records' histories before the move; {pk: version} as they were.

    Empty, and nothing parked, unless both records have histories.
    """
    rows = _histories_of(kept, duplicate)
    if {client_id for _, client_id, _, _ in rows} != {kept.pk, duplicate.pk}:
        return {}
    # Each parked at its own number: both records' version 1 must not meet.
    _number_histories({pk: PARKED + n for n, (pk, *_) in enumerate(rows, start=1)})
    return {str(pk): version for pk, _, version, _ in rows}


def _number_histories(numbers: dict[int, int]) -> None:
    if numbers:
        MedicalHistory.objects.filter(pk__in=numbers).update(
            version=Case(
                *(When(pk=pk, then=Value(n)) for pk, n in numbers.items()),
                default=F("version"),
                output_field=models.PositiveIntegerField(),
            )
        )


def _number_by_date(client: Client) -> None:
    """Number a client's (parked) histories 1..n in the order they were submitted."""
    rows = _histories_of(client)
    _number_histories({pk: n for n, (pk, *_) in enumerate(rows, start=1)})


def _histories_restored(merge: ClientMerge, kept: Client) -> None:
    """Give the histories the merge renumbered their old numbers back.

    Called with the kept record's histories parked and the duplicate's moved back;
    a history written on the kept record since the merge follows its old ones.
    """
    old = {int(pk): version for pk, version in merge.history_versions.items()}
    _number_histories(old)
    kept_last = max(
        (v for pk, v in old.items() if pk not in merge.moved.get(_HISTORY_KEY, [])),
        default=0,
    )
    since = [pk for pk, *_ in _histories_of(kept) if pk not in old]
    _number_histories({pk: kept_last + n for n, pk in enumerate(since, start=1)})


# --- Conflicts the database would refuse -----------------------------------------


def _when(moment: datetime) -> str:
    local = moment.astimezone(location_zone())
    return f"{local:%a %b} {local.day}, {local:%Y %H:%M}"


def _conflicts(kept: Client, duplicate: Client) -> list[str]:
    """A sentence for each rule the moved rows would break on the kept record."""
    problems: list[str] = []
    for fk in _relations():
        model = fk.model
        manager = model._base_manager
        kind = _kind(model)
        if fk.one_to_one or fk.unique:
            if (
                manager.filter(**{fk.name: kept}).exists()
                and manager.filter(**{fk.name: duplicate}).exists()
            ):
                problems.append(
                    f"Both records have their own {model._meta.verbose_name}, and a "
                    "client can have only one: keep one of them before merging."
                )
            continue
        for constraint in model._meta.constraints:
            if constraint.name in RENUMBERED_BY_MERGE:
                continue
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                problems.extend(
                    _unique_conflicts(fk, constraint, kept, duplicate, kind)
                )
            elif isinstance(constraint, ExclusionConstraint):
                problems.extend(_overlap_conflicts(fk, constraint, kept, duplicate))
        for together in model._meta.unique_together:
            if fk.name in together:
                fake = models.UniqueConstraint(fields=together, name="together")
                problems.extend(_unique_conflicts(fk, fake, kept, duplicate, kind))
    return problems


def _unique_conflicts(
    fk: models.ForeignKey,
    constraint: models.UniqueConstraint,
    kept: Client,
    duplicate: Client,
    kind: str,
) -> list[str]:
    if fk.name not in constraint.fields and fk.attname not in constraint.fields:
        return []
    others = [f for f in constraint.fields if f not in (fk.name, fk.attname)]
    if not others:
        return []
    rows = fk.model._base_manager.all()
    if constraint.condition is not None:
        rows = rows.filter(constraint.condition)
    theirs = set(rows.filter(**{fk.name: duplicate}).values_list(*others))
    clashes = sorted(
        set(rows.filter(**{fk.name: kept}).values_list(*others)) & theirs, key=str
    )
    if not clashes:
        return []
    names = " and ".join(others)
    values = ", ".join(" / ".join(str(v) for v in clash) for clash in clashes[:5])
    return [
        f"Both records have {kind} with the same {names} ({values}), and one record "
        f"cannot hold two: {duplicate.full_name}'s would clash with "
        f"{kept.full_name}'s. Merging such records needs the clinic's data team."
    ]


def _range_fields(expression: Any) -> tuple[str, str] | None:
    """(start, end) of a range built from two columns, as the visits' is."""
    sources: list[Any] = getattr(expression, "get_source_expressions", list)()
    names = [str(getattr(s, "name", "")) for s in sources if isinstance(s, F)]
    return (names[0], names[1]) if len(sources) == 2 and len(names) == 2 else None


def _overlap_conflicts(
    fk: models.ForeignKey,
    constraint: ExclusionConstraint,
    kept: Client,
    duplicate: Client,
) -> list[str]:
    """Rows of the two records that the exclusion constraint would find overlapping.

    Understands the shape used here: the client column with "=", and a range of two
    columns with "&&" (half-open, as tstzrange's default). Other shapes are left to
    the database, whose refusal is reported by the same sentence.
    """
    equal: list[str] = []
    span: tuple[str, str] | None = None
    for expression, operator in constraint.expressions:
        name = expression if isinstance(expression, str) else None
        if isinstance(expression, F):
            name = str(getattr(expression, "name", ""))
        if operator == "=" and name:
            equal.append(name)
        elif operator == "&&":
            span = _range_fields(expression)
    if fk.name not in equal or span is None:
        return []
    start, end = span
    rows = fk.model._base_manager.all()
    if constraint.condition is not None:
        rows = rows.filter(constraint.condition)
    others = [n for n in equal if n != fk.name]
    problems = []
    for theirs in rows.filter(**{fk.name: duplicate}).values("pk", start, end, *others):
        clash = (
            rows.filter(**{fk.name: kept})
            .filter(**{f"{start}__lt": theirs[end], f"{end}__gt": theirs[start]})
            .filter(**{n: theirs[n] for n in others})
            .values(start)
            .first()
        )
        if clash:
            kind = _kind(fk.model).rstrip("s") or "row"
            problems.append(
                f"{duplicate.full_name} (#{duplicate.pk}) has a {kind} on "
                f"{_when(theirs[start])} that overlaps {kept.full_name}'s "
                f"{kind} on {_when(clash[start])}: one person cannot be in both. "
                "Cancel or move one of them, then merge."
            )
        if len(problems) >= 5:
            break
    return problems


def _integrity_sentence(error: IntegrityError) -> str:
    cause = getattr(error, "__cause__", None)
    name = getattr(getattr(cause, "diag", None), "constraint_name", None) or ""
    if "overlap" in name:
        return (
            "The two records now have visits at overlapping times (one was booked "
            "a moment ago): cancel or move one of them, then merge. Nothing was "
            "changed."
        )
    return (
        "The records changed while merging, and the database refused the result "
        f"({name or 'a rule on the records'}). Nothing was changed; open the merge "
        "again to see why."
    )


# --- Merge, undo, confirm -----------------------------------------------------------


def _locked_pair(*clients: Client) -> dict[int, Client]:
    # Always in the same order, so two merges of the same records cannot deadlock.
    pks = sorted(c.pk for c in clients)
    return {c.pk: c for c in Client.objects.select_for_update().filter(pk__in=pks)}


@transaction.atomic
def client_merge(
    *,
    kept: Client,
    duplicate: Client,
    by: User,
    now: datetime,
    context: AuditContext,
) -> ClientMerge:
    """Move every row of `duplicate` to `kept` and archive `duplicate`.

    Raises ValidationError with a sentence when a rule stops it; nothing changes then.
    """
    _require_manager(by)
    locked = _locked_pair(kept, duplicate)
    kept, duplicate = locked[kept.pk], locked[duplicate.pk]
    problems = _refusals(kept, duplicate) or _conflicts(kept, duplicate)
    if problems:
        raise ValidationError(problems)
    moved: dict[str, list[int]] = {}
    try:
        with transaction.atomic():
            history_versions = _histories_combined(kept, duplicate)
            for fk in _relations():
                rows = fk.model._base_manager.filter(**{fk.name: duplicate})
                pks = list(rows.values_list("pk", flat=True))
                if pks:
                    fk.model._base_manager.filter(pk__in=pks).update(**{fk.name: kept})
                    moved[_key(fk)] = pks
            if history_versions:
                _number_by_date(kept)
    except IntegrityError as error:
        raise ValidationError(_integrity_sentence(error)) from error
    merge = ClientMerge.objects.create(
        kept=kept,
        duplicate=duplicate,
        moved=moved,
        history_versions=history_versions,
        duplicate_archived_at=duplicate.archived_at,
        merged_by=by,
        merged_at=now,
    )
    if duplicate.archived_at is None:
        duplicate.archived_at = now
        duplicate.save(update_fields=["archived_at", "updated_at"])
    total = sum(len(pks) for pks in moved.values())
    renumbered = (
        f"; {len(history_versions)} medical history versions numbered by date"
        if history_versions
        else ""
    )
    summary = (
        f"Merged client #{duplicate.pk} into #{kept.pk} ({total} rows moved"
        f"{renumbered}; can be undone until confirmed)"
    )
    audit_record(
        context, AuditEvent.Action.CHANGE, merge, client_id=kept.pk, summary=summary
    )
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        merge,
        client_id=duplicate.pk,
        summary=summary,
    )
    return merge


def _locked_merge(merge: ClientMerge) -> ClientMerge:
    locked = ClientMerge.objects.select_for_update().get(pk=merge.pk)
    if locked.status != ClientMerge.Status.PENDING:
        raise ValidationError(
            f"This merge is already {locked.get_status_display().lower()}."
        )
    return locked


@transaction.atomic
def client_merge_undo(
    *, merge: ClientMerge, by: User, now: datetime, context: AuditContext
) -> ClientMerge:
    """Move exactly the rows the merge moved back, and restore the duplicate."""
    _require_manager(by)
    merge = _locked_merge(merge)
    locked = _locked_pair(merge.kept, merge.duplicate)
    duplicate = locked[merge.duplicate_id]
    kept = locked[merge.kept_id]
    by_key = {_key(fk): fk for fk in _relations()}
    # Restored before its rows come back: an archived record takes no visits (the
    # database's trigger); archived again below if it was before the merge.
    duplicate.archived_at = None
    duplicate.save(update_fields=["archived_at", "updated_at"])
    try:
        with transaction.atomic():
            if merge.history_versions:
                MedicalHistory.objects.filter(client=kept).update(
                    version=F("version") + PARKED
                )
            for key, pks in merge.moved.items():
                fk = by_key.get(key)
                if fk is None:  # the model is gone: its rows went with it
                    continue
                fk.model._base_manager.filter(
                    pk__in=pks, **{fk.name: merge.kept_id}
                ).update(**{fk.name: duplicate})
            if merge.history_versions:
                _histories_restored(merge, kept)
    except IntegrityError as error:
        raise ValidationError(_integrity_sentence(error)) from error
    duplicate.archived_at = merge.duplicate_archived_at
    duplicate.save(update_fields=["archived_at", "updated_at"])
    merge.status = ClientMerge.Status.UNDONE
    merge.settled_by = by
    merge.settled_at = now
    merge.save(update_fields=["status", "settled_by", "settled_at"])
    summary = f"Undid the merge of client #{merge.duplicate_id} into #{merge.kept_id}"
    for client_id in (merge.kept_id, merge.duplicate_id):
        audit_record(
            context,
            AuditEvent.Action.CHANGE,
            merge,
            client_id=client_id,
            summary=summary,
        )
    return merge


@transaction.atomic
def client_merge_confirm(
    *, merge: ClientMerge, by: User, now: datetime, context: AuditContext
) -> ClientMerge:
    """Make a merge final: it can no longer be undone."""
    _require_manager(by)
    merge = _locked_merge(merge)
    merge.status = ClientMerge.Status.CONFIRMED
    merge.settled_by = by
    merge.settled_at = now
    merge.save(update_fields=["status", "settled_by", "settled_at"])
    summary = (
        f"Confirmed the merge of client #{merge.duplicate_id} into #{merge.kept_id}"
    )
    for client_id in (merge.kept_id, merge.duplicate_id):
        audit_record(
            context,
            AuditEvent.Action.CHANGE,
            merge,
            client_id=client_id,
            summary=summary,
        )
    return merge
