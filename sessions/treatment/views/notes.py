"""The SOAP note of a visit: write it (saved as it is typed), sign it, add addenda.

Who may do what (DESIGN.md section 6): the visit's therapist writes its note until
it is signed; other therapists read the notes of clients they treat; the manager
reads every note and adds addenda; the front desk sees only whether a note is
signed (on the visit and the chart), so this page is a 403 for them. A note of a
client someone may not know of is a 404. A change to a signed note is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clients.access import treats
from clients.safety import client_alerts
from massageclinic.audit import AuditContext, audit_record
from massageclinic.choices import BodyRegion
from massageclinic.models import AuditEvent
from massageclinic.roles import Role, user_roles
from massageclinic.validators import parse_id
from sessions.models import Appointment, SessionNote
from sessions.scheduling.screening import latest_screening
from sessions.treatment.billing import units_breakdown, visit_local_date
from sessions.treatment.forms.notes import (
    MAX_TECHNIQUE_ROWS,
    AddendumForm,
    NoteForm,
    body_chart,
    measure_field_name,
    modalities_for_note,
    technique_formset,
)
from sessions.treatment.note_selectors import (
    WRITABLE_STATUSES,
    goals_for_visit,
    note_of_visit,
    previous_signed_note,
    visit_for_note,
)
from sessions.treatment.notes import (
    SIGNED_MESSAGE,
    note_add_addendum,
    note_copy_previous,
    note_open_or_create,
    note_save_draft,
    note_sign,
    technique_verdicts,
)
from sessions.treatment.selectors import note_read
from sessions.treatment.signature import note_verify

FRONT_DESK_MESSAGE = (
    "SOAP notes are for the client's therapists and the clinic manager; the visit "
    "page shows whether the note is signed."
)
FORM_MARKER = "techniques-TOTAL_FORMS"
EMPTY_NOTE_ROWS = 3  # technique rows offered on a new note


# --- Access ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteAccess:
    visit: Appointment
    writes: bool  # the visit's own therapist: writes and signs until signed
    adds_addenda: bool  # the visit's therapist, once signed (managers only read)


def _note_access(request: HttpRequest, pk: int) -> NoteAccess:
    user = request.user
    roles = user_roles(user)
    if not roles:
        raise PermissionDenied("Your account has no role yet.")
    if not roles & {Role.THERAPIST, Role.MANAGER}:
        raise PermissionDenied(FRONT_DESK_MESSAGE)
    visit = visit_for_note(pk)
    if visit is None:
        raise Http404
    own = Role.THERAPIST in roles and visit.therapist.user_id == user.pk
    manager = Role.MANAGER in roles
    if not (own or manager or (Role.THERAPIST in roles and treats(user, visit.client))):
        raise Http404
    return NoteAccess(visit=visit, writes=own, adds_addenda=own)


def _require_writer(access: NoteAccess) -> None:
    if not access.writes:
        raise PermissionDenied(
            f"Only the visit's therapist, {access.visit.therapist.full_name}, writes "
            "this note."
        )


def _existing_note(access: NoteAccess) -> SessionNote:
    note = note_of_visit(access.visit)
    if note is None:
        raise Http404("This visit has no note yet.")
    return note


# --- Building the page -------------------------------------------------------------


def _rows_wanted(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("rows", "1")), MAX_TECHNIQUE_ROWS))
    except ValueError:
        return 1


def _saved_techniques(note: SessionNote) -> list:
    return [(t.modality, t.minutes) for t in note.techniques.all()]


@dataclass
class DraftForms:
    form: NoteForm
    formset: Any
    goals: list
    technique_errors: list[str]


def _draft_forms(
    access: NoteAccess,
    note: SessionNote,
    alerts: list,
    *,
    data: Any = None,
    rows: int = 1,
) -> DraftForms:
    goals = goals_for_visit(access.visit)
    saved = _saved_techniques(note)
    form = NoteForm(
        data,
        initial=NoteForm.initial_for(note, goals),
        goals=goals,
        asks_safety_reason=bool(alerts) or bool(note.safety_acknowledgement),
    )
    formset = technique_formset(
        data=data,
        initial=saved,
        modalities=modalities_for_note(saved),
        rows=max(rows, len(saved) + 1, EMPTY_NOTE_ROWS),
    )
    return DraftForms(form=form, formset=formset, goals=goals, technique_errors=[])


def _measure_rows(note: SessionNote, goals: list) -> list[tuple[str, Any]]:
    form = NoteForm(goals=goals)
    rows = []
    for goal in goals:
        value = note.measures.get(str(goal.pk))
        if value is not None:
            rows.append((form.fields[measure_field_name(goal)].label, value))
    known = {str(goal.pk) for goal in goals}
    for goal_id, value in note.measures.items():
        if goal_id not in known:
            rows.append((f"Goal {goal_id} (no longer on the plan)", value))
    return rows


def _context(
    request: HttpRequest,
    access: NoteAccess,
    note: SessionNote,
    *,
    draft: DraftForms | None = None,
    addendum_form: AddendumForm | None = None,
    page_errors: list[str] | None = None,
    rows: int = 1,
) -> dict[str, Any]:
    visit = access.visit
    alerts = client_alerts(visit.client, visit_local_date(visit))
    editing = access.writes and not note.is_signed
    flagged = {
        a.flag.body_region
        for a in alerts
        if a.flag.body_region and not a.cleared and a.severity != "absolute"
    }
    context: dict[str, Any] = {
        "visit": visit,
        "note": note,
        "alerts": alerts,
        "screenings": _latest_screening(request, visit),
        "access": access,
        "editing": editing,
        "page_errors": page_errors or [],
    }
    if editing:
        draft = draft or _draft_forms(access, note, alerts, rows=rows)
        typed = (
            draft.formset.typed_entries()
            if draft.formset.is_bound
            else _saved_techniques(note)
        )
        bound = draft.form.is_bound
        checked = (
            draft.form.data.getlist("areas_treated") if bound else note.areas_treated
        )
        pressure = draft.form.data.get("pressure", "") if bound else note.pressure
        context |= {
            "form": draft.form,
            "formset": draft.formset,
            "technique_errors": draft.technique_errors,
            "chart": body_chart(checked=checked, flagged=flagged),
            "chart_flagged": bool(flagged),
            "units": units_breakdown(appointment=visit, techniques=typed),
            "verdicts": _concerns(visit, typed, checked, pressure),
            "previous": previous_signed_note(note),
        }
    else:
        goals = goals_for_visit(visit)
        techniques = _saved_techniques(note)
        context |= {
            "techniques": techniques,
            "units": units_breakdown(appointment=visit, techniques=techniques),
            "measure_rows": _measure_rows(note, goals),
            "areas": [
                label
                for value, label in BodyRegion.choices
                if value in note.areas_treated
            ],
            "verified": note_verify(note) if note.is_signed else None,
            "addendum_form": addendum_form
            or (AddendumForm() if access.adds_addenda and note.is_signed else None),
        }
    return context


def _latest_screening(request: HttpRequest, visit: Appointment) -> list:
    """The day-of-visit answers that count, read (and audited) before the session."""
    screening = latest_screening(visit)
    if screening is None:
        return []
    audit_record(
        AuditContext.from_request(request),
        AuditEvent.Action.VIEW,
        screening,
        client_id=visit.client_id,
        summary="Day-of-visit screening on the note page",
    )
    return [screening]


def _concerns(visit: Appointment, techniques: list, areas: list, pressure: str) -> list:
    """The safety decision on the techniques, areas and pressure as typed."""
    modalities = [m for m, _ in techniques]
    verdicts = technique_verdicts(
        appointment=visit, modalities=modalities, areas=areas, pressure=pressure
    )
    return [v for v in verdicts if not v.safe]


def _render_page(
    request: HttpRequest,
    access: NoteAccess,
    note: SessionNote,
    *,
    status: int = 200,
    **kwargs: Any,
) -> HttpResponse:
    return render(
        request,
        "sessions/note.html",
        _context(request, access, note, **kwargs),
        status=status,
    )


def _signed_conflict(
    request: HttpRequest, access: NoteAccess, note: SessionNote
) -> HttpResponse:
    """409 for any attempt to change a signed note; htmx reloads the page."""
    if getattr(request, "htmx", False):
        response = render(
            request,
            "sessions/_note_autosave_status.html",
            {"visit": access.visit, "problems": [SIGNED_MESSAGE], "saved": False},
            status=409,
        )
        response["HX-Refresh"] = "true"
        return response
    return _render_page(request, access, note, status=409, page_errors=[SIGNED_MESSAGE])


# --- Saving what was typed -----------------------------------------------------------


def _save_posted(
    request: HttpRequest,
    note: SessionNote,
    draft: DraftForms,
    *,
    context: AuditContext,
    autosave: bool = False,
) -> tuple[bool, list[str]]:
    """Save every valid field of the posted note; the problems with the rest.

    Raises ValidationError (without fields) when nothing may be saved at all, e.g.
    the note was signed meanwhile.
    """
    form, formset = draft.form, draft.formset
    form.is_valid()  # the valid fields are saved even when others are not
    formset_ok = formset.is_valid()
    data = form.note_data()
    problems = [
        f"{form.fields[name].label if name in form.fields else 'Note'}: {message}"
        for name, errors in form.errors.items()
        for message in errors
    ]
    if formset_ok:
        data["techniques"] = formset.entries()
    else:
        draft.technique_errors.extend(formset.non_form_errors())
        for row in formset.forms:
            for name, errors in row.errors.items():
                label = row.fields[name].label if name in row.fields else "Techniques"
                problems.extend(f"{label}: {message}" for message in errors)
        problems.extend(formset.non_form_errors())
        # Without valid rows, the reason stands alone; keep the techniques as saved.
    saved = False
    for _attempt in range(2):
        if not data:
            break
        try:
            note_save_draft(
                note=note,
                data=data,
                by=request.user,
                now=timezone.now(),
                context=context,
                autosave=autosave,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise
            for key, messages_ in error.message_dict.items():
                problems.extend(messages_)
                if key == "techniques":
                    draft.technique_errors.extend(messages_)
                elif key in form.fields:
                    for message in messages_:
                        form.add_error(key, message)
                data.pop(key, None)
                if key == "safety_reason":
                    data.pop("techniques", None)
            continue
        saved = True
        break
    return saved, problems


# --- Views ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def note_page(request: HttpRequest, pk: int) -> HttpResponse:
    access = _note_access(request, pk)
    visit = access.visit
    context = AuditContext.from_request(request)
    if request.method == "POST":
        _require_writer(access)
        note = note_of_visit(visit)
        if note is None:
            raise Http404("This visit has no note yet.")
        if note.is_signed:
            return _signed_conflict(request, access, note)
        return _note_post(request, access, note, context)
    note = note_read(visit=visit, context=context)
    if note is None:
        if not access.writes:
            return render(
                request, "sessions/note_missing.html", {"visit": visit}, status=200
            )
        if visit.status not in WRITABLE_STATUSES:
            messages.error(
                request,
                "A note is written once the client has checked in; this visit is "
                f"{visit.get_status_display().lower()}.",
            )
            return redirect("sessions:visit", pk=visit.pk)
        note_open_or_create(appointment=visit, by=request.user, context=context)
        note = note_of_visit(visit)
    return _render_page(request, access, note, rows=_rows_wanted(request))


def _note_post(
    request: HttpRequest,
    access: NoteAccess,
    note: SessionNote,
    context: AuditContext,
) -> HttpResponse:
    alerts = client_alerts(access.visit.client, visit_local_date(access.visit))
    draft = _draft_forms(access, note, alerts, data=request.POST)
    try:
        _saved, problems = _save_posted(request, note, draft, context=context)
    except ValidationError as error:
        if getattr(error, "code", None) == "signed":
            return _signed_conflict(request, access, note)
        raise
    if problems:
        note = note_of_visit(access.visit)
        return _render_page(
            request,
            access,
            note,
            status=400,
            draft=draft,
            page_errors=[
                "Some of what you typed was not saved: correct the fields marked below."
            ],
        )
    if "add_row" in request.POST:
        rows = (parse_id(request.POST.get(FORM_MARKER)) or 1) + 1
        url = reverse("sessions:note", args=[access.visit.pk])
        return redirect(f"{url}?rows={min(rows, MAX_TECHNIQUE_ROWS)}#techniques")
    messages.success(request, "Draft saved.")
    return redirect("sessions:note", pk=access.visit.pk)


@require_POST
def note_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: save the draft as it is typed; answer with a small status line."""
    access = _note_access(request, pk)
    _require_writer(access)
    note = _existing_note(access)
    if note.is_signed:
        return _signed_conflict(request, access, note)
    alerts = client_alerts(access.visit.client, visit_local_date(access.visit))
    draft = _draft_forms(access, note, alerts, data=request.POST)
    try:
        saved, problems = _save_posted(
            request,
            note,
            draft,
            context=AuditContext.from_request(request),
            autosave=True,
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "signed":
            return _signed_conflict(request, access, note)
        raise
    return render(
        request,
        "sessions/_note_autosave_status.html",
        {
            "visit": access.visit,
            "saved": saved,
            "saved_at": timezone.now(),
            "problems": problems,
        },
    )


@require_POST
def note_units(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: units per CPT code and safety of the technique rows as typed."""
    access = _note_access(request, pk)
    _require_writer(access)
    note = _existing_note(access)
    if note.is_signed:
        return _signed_conflict(request, access, note)
    saved = _saved_techniques(note)
    formset = technique_formset(
        data=request.POST,
        initial=saved,
        modalities=modalities_for_note(saved),
        rows=1,
    )
    typed = formset.typed_entries()
    return render(
        request,
        "sessions/_note_units.html",
        {
            "visit": access.visit,
            "units": units_breakdown(appointment=access.visit, techniques=typed),
            "verdicts": _concerns(
                access.visit,
                typed,
                request.POST.getlist("areas_treated") or note.areas_treated,
                request.POST.get("pressure", note.pressure),
            ),
            "with_safety": True,
        },
    )


@require_POST
def note_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _note_access(request, pk)
    _require_writer(access)
    note = _existing_note(access)
    if note.is_signed:
        return _signed_conflict(request, access, note)
    draft = None
    context = AuditContext.from_request(request)
    try:
        if FORM_MARKER in request.POST:
            # The sign button sits in the note's form: save what is on screen first.
            alerts = client_alerts(access.visit.client, visit_local_date(access.visit))
            draft = _draft_forms(access, note, alerts, data=request.POST)
            _saved, problems = _save_posted(request, note, draft, context=context)
            if problems:
                return _render_page(
                    request,
                    access,
                    note_of_visit(access.visit),
                    status=400,
                    draft=draft,
                    page_errors=[
                        "The note was not signed: correct the fields marked below "
                        "first."
                    ],
                )
        note_sign(note=note, by=request.user, now=timezone.now(), context=context)
    except ValidationError as error:
        if getattr(error, "code", None) == "signed":
            return _signed_conflict(request, access, note_of_visit(access.visit))
        note = note_of_visit(access.visit)
        return _render_page(
            request,
            access,
            note,
            status=400,
            draft=draft,
            page_errors=["The note was not signed.", *error.messages],
        )
    messages.success(
        request,
        "Note signed. It can no longer be changed; add an addendum to correct it.",
    )
    return redirect("sessions:note", pk=access.visit.pk)


@require_POST
def note_copy_previous_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _note_access(request, pk)
    _require_writer(access)
    note = _existing_note(access)
    if note.is_signed:
        return _signed_conflict(request, access, note)
    try:
        result = note_copy_previous(
            note=note, by=request.user, context=AuditContext.from_request(request)
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "signed":
            return _signed_conflict(request, access, note_of_visit(access.visit))
        messages.error(request, " ".join(error.messages))
        return redirect("sessions:note", pk=access.visit.pk)
    when = timezone.localtime(
        result.previous.appointment.starts_at, access.visit.location.zone
    )
    copied = len(result.fields) + len(result.techniques)
    if copied:
        text = f"Copied from the note of {when:%b %-d, %Y}"
        if result.techniques:
            text += f" (techniques: {', '.join(result.techniques)})"
        text += ". Pain and measures are for you to take today; check everything."
        messages.success(request, text)
    else:
        messages.info(
            request,
            "Nothing was copied: every field the previous note had is already filled "
            "in here.",
        )
    if result.skipped:
        messages.warning(
            request,
            f"Not copied, ruled out for this client today: {', '.join(result.skipped)}.",
        )
    return redirect("sessions:note", pk=access.visit.pk)


@require_POST
def note_addendum_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = _note_access(request, pk)
    if not access.adds_addenda:
        raise PermissionDenied("Only the note's therapist adds addenda.")
    note = _existing_note(access)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            note_add_addendum(
                note=note,
                by=request.user,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                now=timezone.now(),
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for key, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(key if key in form.fields else None, message)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, "Addendum added.")
            return redirect(
                reverse("sessions:note", args=[access.visit.pk]) + "#addenda"
            )
    if not note.is_signed and access.writes:
        return _render_page(
            request,
            access,
            note,
            status=400,
            page_errors=[" ".join(m for e in form.errors.values() for m in e)],
        )
    return _render_page(request, access, note, status=400, addendum_form=form)


urlpatterns: list[URLPattern] = [
    path("visits/<int:pk>/note/", note_page, name="note"),
    path("visits/<int:pk>/note/autosave/", note_autosave, name="note_autosave"),
    path("visits/<int:pk>/note/units/", note_units, name="note_units"),
    path("visits/<int:pk>/note/sign/", note_sign_view, name="note_sign"),
    path(
        "visits/<int:pk>/note/copy-previous/",
        note_copy_previous_view,
        name="note_copy_previous",
    ),
    path("visits/<int:pk>/note/addenda/", note_addendum_view, name="note_addendum"),
]
