"""SOAP notes: write a draft, sign it once, correct it with addenda, bill its minutes.

A note is a draft until its therapist signs it. Signing stores who, when and a
SHA-256 of the note's content (`note_content()`, the one definition of what a
signature covers); from then on the note never changes. The service refuses first,
with a sentence a person can act on, and the database refuses anyway (migration
0005: a trigger rejects any UPDATE or DELETE of a signed note and of its techniques).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field
from django.utils import timezone

from clients.safety import SafetyVerdict, flags_in_force, modality_safety
from massageclinic.audit import AuditContext, audit_record
from massageclinic.choices import BodyRegion, Pressure
from massageclinic.models import AuditEvent
from sessions.models import Appointment, NoteAddendum, NoteTechnique, SessionNote
from sessions.treatment.billing import note_techniques, visit_local_date
from sessions.treatment.note_selectors import WRITABLE_STATUSES, previous_signed_note
from sessions.treatment.signature import content_sha256, note_content
from therapists.models import Modality

SIGNED_MESSAGE = (
    "This note is signed and can no longer be changed. To correct or complete it, "
    "add an addendum."
)
MAX_TECHNIQUE_MINUTES = 480

TEXT_FIELDS = (
    "complaint",
    "changes_since_last",
    "home_care_report",
    "findings",
    "response",
    "adverse_reactions",
    "next_focus",
    "home_care_given",
)
PAIN_FIELDS = ("pain_before", "pain_after")
# What "start from the previous visit's note" carries over. Not pain or measures
# (they are this visit's own readings), not adverse reactions (a past reaction is
# not today's), not the safety acknowledgement (it is given afresh, for today).
COPIED_FIELDS = (
    "complaint",
    "changes_since_last",
    "home_care_report",
    "findings",
    "response",
    "next_focus",
    "home_care_given",
    "areas_treated",
    "pressure",
)
REASON_MARK = "Reason: "
# Saving as it is typed writes one audit line per stretch of typing, not per keystroke.
AUTOSAVE_AUDIT_EVERY = timedelta(minutes=10)

TechniqueEntry = tuple[Modality, int]


# --- Small helpers ---------------------------------------------------------------------


def _audit_note(
    context: AuditContext, action: str, obj: Any, note: SessionNote, summary: str
) -> None:
    audit_record(
        context, action, obj, client_id=note.appointment.client_id, summary=summary
    )


def _is_notes_therapist(note: SessionNote, user: User) -> bool:
    return note.appointment.therapist.user_id == user.pk


def _require_writer(note: SessionNote, by: User) -> None:
    if not _is_notes_therapist(note, by):
        therapist = note.appointment.therapist.full_name
        raise ValidationError(
            f"Only the visit's therapist, {therapist}, writes and signs this note "
            "and adds its addenda; others with access read it."
        )


def _locked(note: SessionNote) -> SessionNote:
    """The note's current row, locked for this transaction; refused when signed."""
    current = (
        SessionNote.objects.select_for_update(of=("self",))
        .select_related("appointment__therapist__user", "appointment__location")
        .get(pk=note.pk)
    )
    if current.is_signed:
        raise ValidationError(SIGNED_MESSAGE, code="signed")
    return current


def _signed_guard(error: IntegrityError) -> ValidationError:
    """The database's refusal of a change to a signed note, as the same sentence."""
    if "final" in str(error) or "signed" in str(error).lower():
        return ValidationError(SIGNED_MESSAGE, code="signed")
    return ValidationError(
        "The note could not be saved because it conflicts with a change made at the "
        "same moment. Reload the page and try again.",
        code="conflict",
    )


def acknowledgement_reason(text: str) -> str:
    """The therapist's own reason, out of a stored safety acknowledgement."""
    if REASON_MARK in text:
        return text.rpartition(REASON_MARK)[2].strip()
    return text.strip()


def _acknowledgement(verdicts: Sequence[SafetyVerdict], reason: str) -> str:
    lines = [f"{v.modality.name}: {'; '.join(v.reasons)}" for v in verdicts]
    return "\n".join([*lines, f"{REASON_MARK}{reason.strip()}"])


def technique_verdicts(
    *,
    appointment: Appointment,
    modalities: Iterable[Modality],
    areas: Sequence[str] = (),
    pressure: str = "",
) -> list[SafetyVerdict]:
    """The safety verdict of each distinct modality, on the day of the visit, for the
    areas treated and the pressure used: the strictest over the areas."""
    on = visit_local_date(appointment)
    flags = flags_in_force(appointment.client, on)
    unique = {m.pk: m for m in modalities}
    return [
        max(
            (
                modality_safety(
                    client=appointment.client,
                    modality=m,
                    on=on,
                    flags=flags,
                    area=area,
                    pressure=pressure,
                )
                for area in (areas or [""])
            ),
            key=lambda verdict: verdict.outcome,
        )
        for m in unique.values()
    ]


def _blocked_message(blocked: Sequence[SafetyVerdict]) -> str:
    names = ", ".join(v.modality.name for v in blocked)
    why = " ".join(v.summary() for v in blocked)
    return (
        f"{names} cannot be recorded in this note. {why} Remove it from the "
        "techniques (a technique the rules rule out needs a modification plan on "
        "the chart first)."
    )


def _unacknowledged_message(unsafe: Sequence[SafetyVerdict]) -> str:
    names = ", ".join(v.modality.name for v in unsafe)
    reasons = "; ".join(dict.fromkeys(r for v in unsafe for r in v.reasons))
    return (
        f"{names} needs care for this client ({reasons}). Acknowledge the alerts by "
        "giving your reason for using it today, or remove it."
    )


# --- Opening and saving a draft ----------------------------------------------------------


@transaction.atomic
def note_open_or_create(
    *, appointment: Appointment, by: User, context: AuditContext
) -> tuple[SessionNote, bool]:
    """The visit's note, created as an empty draft the first time its therapist opens it.

    Creating it is audited here; reading an existing note is the selector's to audit.
    """
    existing = SessionNote.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing, False
    if appointment.therapist.user_id != by.pk:
        raise ValidationError(
            f"Only the visit's therapist, {appointment.therapist.full_name}, starts "
            "its note."
        )
    if appointment.status not in WRITABLE_STATUSES:
        raise ValidationError(
            "A note is written once the client has checked in; this visit is "
            f"{appointment.get_status_display().lower()}."
        )
    try:
        with transaction.atomic():
            note = SessionNote.objects.create(
                appointment=appointment, therapist=appointment.therapist
            )
    except IntegrityError:
        # Opened twice at once (two tabs): both get the one note.
        return SessionNote.objects.get(appointment=appointment), False
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        note,
        client_id=appointment.client_id,
        summary="Started the note",
    )
    return note, True


def _clean_draft_data(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict]:
    """Check what a caller other than the form might send; errors by key."""
    errors: dict[str, list[str]] = defaultdict(list)
    clean: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in data:
            clean[name] = (data[name] or "").strip()
    for name in PAIN_FIELDS:
        if name in data:
            value = data[name]
            if value is not None and not (isinstance(value, int) and 0 <= value <= 10):
                errors[name].append("Give pain as a whole number from 0 to 10.")
            else:
                clean[name] = value
    if "pressure" in data:
        pressure = data["pressure"] or ""
        if pressure and pressure not in Pressure.values:
            errors["pressure"].append("Choose light, moderate, firm or deep.")
        else:
            clean["pressure"] = pressure
    if "areas_treated" in data:
        areas = list(data["areas_treated"] or [])
        unknown = [a for a in areas if a not in BodyRegion.values]
        if unknown:
            errors["areas_treated"].append("Tick the areas on the body chart.")
        else:
            # Body-chart order, so the same areas always hash the same.
            clean["areas_treated"] = [r for r in BodyRegion.values if r in areas]
    if "measures" in data:
        clean["measures"] = dict(data["measures"] or {})
    if "techniques" in data:
        techniques: list[TechniqueEntry] = list(data["techniques"] or [])
        seen: set[int] = set()
        for modality, minutes in techniques:
            if modality.pk in seen:
                errors["techniques"].append(
                    f"{modality.name} is listed twice: put all its minutes on one row."
                )
            seen.add(modality.pk)
            if not 1 <= minutes <= MAX_TECHNIQUE_MINUTES:
                errors["techniques"].append(
                    f"Give the minutes of {modality.name} as a number from 1 to "
                    f"{MAX_TECHNIQUE_MINUTES}."
                )
        clean["techniques"] = techniques
    if "safety_reason" in data:
        clean["safety_reason"] = (data["safety_reason"] or "").strip()
    return clean, errors


def _merged_measures(
    current: Mapping[str, Any], new: Mapping[Any, Any]
) -> dict[str, Any]:
    """New readings replace old ones; an empty reading removes it."""
    merged = dict(current)
    for goal_id, value in new.items():
        if value is None or value == "":
            merged.pop(str(goal_id), None)
        else:
            merged[str(goal_id)] = value
    return merged


def _set_techniques(note: SessionNote, wanted: Sequence[TechniqueEntry]) -> None:
    existing = {t.modality_id: t for t in note.techniques.all()}
    minutes = {m.pk: n for m, n in wanted}
    gone = [t.pk for mid, t in existing.items() if mid not in minutes]
    if gone:
        NoteTechnique.objects.filter(pk__in=gone).delete()
    for modality, n in wanted:
        current = existing.get(modality.pk)
        if current is None:
            NoteTechnique.objects.create(note=note, modality=modality, minutes=n)
        elif current.minutes != n:
            current.minutes = n
            current.save(update_fields=["minutes"])


def _safety_step(
    note: SessionNote,
    clean: dict[str, Any],
    errors: dict[str, list[str]],
) -> str | None:
    """The acknowledgement to store, or None to leave it as it is."""
    if "techniques" not in clean and "safety_reason" not in clean:
        return None
    if "techniques" in clean:
        modalities = [m for m, _ in clean["techniques"]]
    else:
        modalities = [t.modality for t in note.techniques.select_related("modality")]
    verdicts = technique_verdicts(
        appointment=note.appointment,
        modalities=modalities,
        areas=clean.get("areas_treated", note.areas_treated or []),
        pressure=clean.get("pressure", note.pressure),
    )
    blocked = [v for v in verdicts if v.blocked]
    if blocked and "techniques" in clean:
        errors["techniques"].append(_blocked_message(blocked))
    unsafe = [v for v in verdicts if v.needs_acknowledgement]
    if not unsafe:
        return ""
    if "safety_reason" in clean:
        reason = clean["safety_reason"]
    else:
        # A reason given earlier covers only the techniques it was given for.
        stored = note.safety_acknowledgement
        covered = all(v.modality.name in stored for v in unsafe)
        reason = acknowledgement_reason(stored) if covered else ""
    if not reason:
        errors["safety_reason"].append(_unacknowledged_message(unsafe))
        return None
    return _acknowledgement(unsafe, reason)


@transaction.atomic
def note_save_draft(
    *,
    note: SessionNote,
    data: Mapping[str, Any],
    by: User,
    now: datetime,
    context: AuditContext,
    autosave: bool = False,
) -> SessionNote:
    """Save what the therapist has written so far; only the keys in `data` change.

    Keys: the note's text fields, `pain_before`, `pain_after`, `pressure`,
    `areas_treated`, `measures` ({goal id: value}, merged; empty removes),
    `techniques` ([(modality, minutes)], replacing the note's), `safety_reason`.
    A technique the safety engine blocks is refused; one that needs care needs a
    reason. Errors come keyed by those names, so a caller can save the rest.
    `autosave` (saved as it is typed) writes at most one audit line per person and
    note every AUTOSAVE_AUDIT_EVERY; a deliberate save always writes one.
    """
    note = _locked(note)
    _require_writer(note, by)
    clean, errors = _clean_draft_data(data)
    acknowledgement = _safety_step(note, clean, errors)
    if errors:
        raise ValidationError(dict(errors))
    for name in (*TEXT_FIELDS, *PAIN_FIELDS, "pressure", "areas_treated"):
        if name in clean:
            setattr(note, name, clean[name])
    if "measures" in clean:
        note.measures = _merged_measures(note.measures, clean["measures"])
    if acknowledgement is not None:
        note.safety_acknowledgement = acknowledgement
    try:
        with transaction.atomic():
            note.save()
            if "techniques" in clean:
                _set_techniques(note, clean["techniques"])
    except IntegrityError as error:
        raise _signed_guard(error) from error
    if not autosave:
        _audit_note(context, AuditEvent.Action.CHANGE, note, note, "Saved the draft")
    elif not _audited_lately(context, note):
        _audit_note(
            context,
            AuditEvent.Action.CHANGE,
            note,
            note,
            "Saved the draft note as it was typed",
        )
    return note


def _audited_lately(context: AuditContext, note: SessionNote) -> bool:
    """Has this person's change of this note been audited in the last stretch?"""
    rows = AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE,
        object_type=note._meta.label,
        object_id=note.pk,
        at__gte=timezone.now() - AUTOSAVE_AUDIT_EVERY,
    )
    user = context.user
    if user is not None and user.is_authenticated:
        return rows.filter(user_id=user.pk).exists()
    return rows.filter(user__isnull=True).exists()  # a task's or command's own saves


# --- Starting from the previous visit ------------------------------------------------------


def _verbose_name(name: str) -> str:
    field = SessionNote._meta.get_field(name)
    assert isinstance(field, Field)  # COPIED_FIELDS are the note's own fields
    # Plain strings here (no lazy translation); str() keeps the type exact.
    return str(field.verbose_name)


@dataclass(frozen=True)
class CopyResult:
    previous: SessionNote
    fields: list[str]
    techniques: list[str]
    skipped: list[str]  # techniques not copied: ruled out for the client today


@transaction.atomic
def note_copy_previous(
    *, note: SessionNote, by: User, context: AuditContext
) -> CopyResult:
    """Fill this draft's empty fields, and its techniques if it has none, from the
    previous signed note of the same client. Pain and measures are never copied.
    """
    note = _locked(note)
    _require_writer(note, by)
    previous = previous_signed_note(note)
    if previous is None:
        raise ValidationError(
            "There is no earlier signed note for this client to start from."
        )
    copied = []
    for name in COPIED_FIELDS:
        if not getattr(note, name) and getattr(previous, name):
            setattr(note, name, getattr(previous, name))
            copied.append(_verbose_name(name))
    techniques: list[str] = []
    skipped: list[str] = []
    if not note.techniques.exists():
        earlier = note_techniques(previous)
        verdicts = {
            v.modality.pk: v
            for v in technique_verdicts(
                appointment=note.appointment, modalities=[m for m, _ in earlier]
            )
        }
        kept = []
        for modality, minutes in earlier:
            if verdicts[modality.pk].blocked or not modality.is_active:
                skipped.append(modality.name)
            else:
                kept.append((modality, minutes))
                techniques.append(f"{modality.name} {minutes} min")
        try:
            with transaction.atomic():
                note.save()
                _set_techniques(note, kept)
        except IntegrityError as error:
            raise _signed_guard(error) from error
    else:
        try:
            with transaction.atomic():
                note.save()
        except IntegrityError as error:
            raise _signed_guard(error) from error
    when = timezone.localtime(
        previous.appointment.starts_at, note.appointment.location.zone
    )
    _audit_note(
        context,
        AuditEvent.Action.CHANGE,
        note,
        note,
        f"Started the draft from the note of {when:%b %-d, %Y}",
    )
    return CopyResult(
        previous=previous, fields=copied, techniques=techniques, skipped=skipped
    )


# --- Signing ------------------------------------------------------------------------------


def _missing_for_signature(note: SessionNote, techniques: list[TechniqueEntry]) -> str:
    missing = []
    if not note.complaint.strip():
        missing.append("the chief complaint")
    if note.pain_before is None:
        missing.append("pain before (0-10)")
    if not note.areas_treated:
        missing.append("the areas treated (tick them on the body chart)")
    if not techniques:
        missing.append("at least one technique with its minutes")
    if note.pain_after is None:
        missing.append("pain after (0-10)")
    if not missing:
        return ""
    listed = (
        missing[0]
        if len(missing) == 1
        else ", ".join(missing[:-1]) + " and " + missing[-1]
    )
    return f"Before signing, fill in {listed}."


@transaction.atomic
def note_sign(
    *, note: SessionNote, by: User, now: datetime, context: AuditContext
) -> SessionNote:
    """Sign the note as its therapist: store who, when and the content's SHA-256."""
    note = _locked(note)
    _require_writer(note, by)
    appointment = note.appointment
    if appointment.status not in WRITABLE_STATUSES:
        raise ValidationError(
            "Only the note of a checked-in or completed visit can be signed; this "
            f"visit is {appointment.get_status_display().lower()}."
        )
    techniques = note_techniques(note)
    problems = []
    missing = _missing_for_signature(note, techniques)
    if missing:
        problems.append(missing)
    verdicts = technique_verdicts(
        appointment=appointment,
        modalities=[m for m, _ in techniques],
        areas=note.areas_treated or [],
        pressure=note.pressure,
    )
    blocked = [v for v in verdicts if v.blocked]
    if blocked:
        problems.append(_blocked_message(blocked))
    unsafe = [v for v in verdicts if v.needs_acknowledgement]
    reason = acknowledgement_reason(note.safety_acknowledgement)
    if unsafe and (
        not reason
        or any(v.modality.name not in note.safety_acknowledgement for v in unsafe)
    ):
        problems.append(_unacknowledged_message(unsafe))
    if problems:
        raise ValidationError(problems)
    digest = content_sha256(
        note_content(note, [(m.slug, minutes) for m, minutes in techniques])
    )
    note.signed_at = now
    note.signed_by = by
    note.content_sha256 = digest
    try:
        with transaction.atomic():
            note.save(
                update_fields=["signed_at", "signed_by", "content_sha256", "updated_at"]
            )
    except IntegrityError as error:
        raise _signed_guard(error) from error
    _audit_note(context, AuditEvent.Action.CHANGE, note, note, "Signed the note")
    return note


# --- Addenda --------------------------------------------------------------------------------


@transaction.atomic
def note_add_addendum(
    *,
    note: SessionNote,
    by: User,
    reason: str,
    text: str,
    now: datetime,
    context: AuditContext,
) -> NoteAddendum:
    """Append a correction to a signed note (its therapist only: managers read notes)."""
    note = SessionNote.objects.select_related("appointment__therapist__user").get(
        pk=note.pk
    )
    if not note.is_signed:
        raise ValidationError(
            "This note is still a draft: change the note itself. Addenda are for "
            "signed notes."
        )
    if not _is_notes_therapist(note, by):
        raise ValidationError(
            "Only the note's therapist adds addenda to it; the clinic manager reads "
            "notes and never writes them."
        )
    reason, text = (reason or "").strip(), (text or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the note needs this addendum."
    elif len(reason) > 250:
        errors["reason"] = "Keep the reason under 250 characters."
    if not text:
        errors["text"] = "Write the correction or addition."
    if errors:
        raise ValidationError(errors)
    addendum = NoteAddendum.objects.create(
        note=note, author=by, reason=reason, text=text
    )
    _audit_note(
        context,
        AuditEvent.Action.CREATE,
        addendum,
        note,
        "Added an addendum to the note",
    )
    return addendum
