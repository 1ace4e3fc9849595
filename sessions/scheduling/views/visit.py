"""One visit: its detail and history, status changes, cancelling, rescheduling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.access import (
    can_open_chart,
    can_read_health_data,
    can_read_referrals,
    treats,
)
from clients.safety import Alert, client_alerts, is_clearance_detail, shared_line
from massageclinic.audit import audit
from massageclinic.models import AuditEvent, clinic_policy
from massageclinic.roles import Role, user_roles
from massageclinic.validators import parse_id
from sessions.access import (
    can_book,
    can_change_status,
    get_appointment_for_user,
    require_booking_rights,
)
from sessions.models import Appointment, AppointmentEvent, SessionNote
from sessions.scheduling.arrival import check_in_time_problem, no_show_time_problem
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from sessions.scheduling.documented import documented_visit_problem
from sessions.scheduling.forms.visit import CancelForm, RescheduleForm, StatusForm
from sessions.scheduling.move import Proposal, move_choices, proposal_from_query
from sessions.scheduling.openings import waitlist_matches
from sessions.scheduling.screening import (
    CHECK_IN_FROM,
    check_in_problem,
    latest_screening,
)
from sessions.scheduling.series import SCOPE_ONE, series_cancel_rest, series_change
from sessions.scheduling.views.back import back_to
from sessions.scheduling.views.screening import urlpatterns as screening_urlpatterns
from therapists.models import Modality


def _note_links(
    request: HttpRequest, visit: Appointment, note_signed: bool | None
) -> dict:
    """Who gets a link to the note and to the superbill (DESIGN.md section 6)."""
    roles = user_roles(request.user)
    manager = Role.MANAGER in roles
    therapist = Role.THERAPIST in roles
    own = therapist and visit.therapist.user_id == request.user.pk
    treating = therapist and (own or treats(request.user, visit.client))
    writable = visit.status in {
        Appointment.Status.CHECKED_IN,
        Appointment.Status.COMPLETED,
    }
    exists = note_signed is not None
    return {
        "can_open_note": (own and (writable or exists))
        or ((manager or treating) and exists),
        "can_superbill": bool(note_signed)
        and (can_book(request.user) or manager or treating),
    }


@dataclass(frozen=True)
class HistoryLine:
    """One event of the visit's history as this reader may see it."""

    at: datetime
    by: User | None
    summary: str


def _acknowledged_alerts(event: AppointmentEvent) -> list[str] | None:
    alerts = event.details.get("alerts") if isinstance(event.details, dict) else None
    if isinstance(alerts, list) and alerts and all(isinstance(a, str) for a in alerts):
        return alerts
    return None


def _carries_clearance(event: AppointmentEvent) -> bool:
    """A safety acknowledgement that names a physician's clearance."""
    if event.kind != AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED:
        return False
    listed = _acknowledged_alerts(event) or event.summary.partition(": ")[2].split("; ")
    return any(is_clearance_detail(line.strip()) for line in listed)


def _shown_summary(
    event: AppointmentEvent, *, reads_referrals: bool, reads_history: bool
) -> str:
    """An event's summary with what this reader may not see taken out (DESIGN.md
    section 6), decided by the event's kind: the reason an authorization was
    overridden is the referral's (only that it happened for the others); the safety
    alerts acknowledged keep a physician's clearance (who, when, its terms) for
    those who read the history, the others read its cleared headline."""
    kind = AppointmentEvent.Kind
    if event.kind == kind.AUTHORIZATION_OVERRIDDEN:
        return event.summary if reads_referrals else kind.AUTHORIZATION_OVERRIDDEN.label
    if event.kind == kind.SAFETY_ACKNOWLEDGED and not reads_history:
        alerts = _acknowledged_alerts(event)
        if alerts is None:  # no list to redact line by line: the kind alone
            return kind.SAFETY_ACKNOWLEDGED.label
        lines = dict.fromkeys(shared_line(a.strip()) for a in alerts)
        return f"{kind.SAFETY_ACKNOWLEDGED.label}: " + "; ".join(lines)
    return event.summary


def _health_context(
    request: HttpRequest, visit: Appointment, alerts: list[Alert]
) -> dict:
    """What of the client's health data the page shows this person (DESIGN.md
    section 6): the schedule and the alert headlines are everyone's; the referral and
    authorization (and the reason one was overridden, in the history too) go to those
    who may read referrals; the physician's clearance and the alerts acknowledged at
    booking (which carry it, on the page and in the history) to those who read the
    history. Showing any of it writes one audit row."""
    reads_referrals = can_read_referrals(request.user, visit.client)
    reads_history = can_read_health_data(request.user, visit.client)
    lines = visit.safety_acknowledgement.splitlines()
    events = list(visit.events.select_related("by").order_by("at", "id"))
    overridden = any(
        e.kind == AppointmentEvent.Kind.AUTHORIZATION_OVERRIDDEN for e in events
    )
    cleared = (
        any(alert.clearance for alert in alerts)
        or any(is_clearance_detail(line) for line in lines)
        or any(_carries_clearance(e) for e in events)
    )
    shown = []
    if reads_referrals and (
        visit.referral_id
        or visit.authorization_id
        or visit.authorization_override_reason
        or overridden
    ):
        shown.append("referral and authorization")
    if reads_history and cleared:
        shown.append("physician's clearance")
    if shown:
        audit(
            request,
            AuditEvent.Action.VIEW,
            visit,
            client_id=visit.client_id,
            summary=f"Visit page: {', '.join(shown)}",
        )
    return {
        "events": [
            HistoryLine(
                at=e.at,
                by=e.by,
                summary=_shown_summary(
                    e, reads_referrals=reads_referrals, reads_history=reads_history
                ),
            )
            for e in events
        ],
        "shows_referral": reads_referrals,
        "shows_clearance": reads_history,
        "acknowledged": lines
        if reads_history
        else [line for line in lines if not is_clearance_detail(line)],
        "acknowledged_clearance_hidden": not reads_history
        and any(is_clearance_detail(line) for line in lines),
    }


def _detail_context(request: HttpRequest, visit: Appointment) -> dict:
    local_day = visit.starts_at.astimezone(visit.location.zone).date()
    freed = visit.status in Appointment.NON_BLOCKING_STATUSES
    note_signed = _note_signed(visit)
    alerts = client_alerts(visit.client, local_day)
    return {
        **_note_links(request, visit, note_signed),
        **_health_context(request, visit, alerts),
        "visit": visit,
        "alerts": alerts,
        "can_open_chart": can_open_chart(request.user, visit.client),
        "can_book": can_book(request.user),
        "can_change_status": can_change_status(request.user, visit),
        "is_open": visit.status in Appointment.OPEN_STATUSES,
        "cancel_form": CancelForm(),
        "waitlist": waitlist_matches(appointment=visit, now=timezone.now())
        if freed and can_book(request.user)
        else [],
        "late_window": clinic_policy().late_cancel_window,
        "note_signed": note_signed,
        # A signed note: no cancel, move or no-show; the page says why instead.
        "documented": documented_visit_problem(visit) if note_signed else None,
        **_screening_context(request, visit),
    }


def _screening_context(request: HttpRequest, visit: Appointment) -> dict:
    """The latest day-of-visit screening: its answers for the client's therapists and
    the manager (health data, audited); for the front desk only when and the outcome."""
    roles = user_roles(request.user)
    treating = Role.THERAPIST in roles and (
        visit.therapist.user_id == request.user.pk or treats(request.user, visit.client)
    )
    screening = latest_screening(visit)
    show_detail = bool(screening) and (Role.MANAGER in roles or treating)
    if screening is not None and show_detail:
        audit(
            request,
            AuditEvent.Action.VIEW,
            screening,
            client_id=visit.client_id,
            summary="Day-of-visit screening on the visit page",
        )
    return {
        "screening": screening,
        "screening_list": [screening] if screening else [],
        "screening_detail": show_detail,
        "can_check_in": visit.status in CHECK_IN_FROM,
        # Said beside the buttons, in the words the service would refuse with.
        "check_in_waits": check_in_time_problem(visit, timezone.now()),
        "no_show_waits": no_show_time_problem(visit, timezone.now()),
    }


def _note_signed(visit: Appointment) -> bool | None:
    """Signed, unsigned, or no note yet: all the front desk may know of a note."""
    try:
        return visit.note.is_signed
    except SessionNote.DoesNotExist:
        return None


def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_appointment_for_user(request, pk)
    return render(request, "sessions/visit.html", _detail_context(request, visit))


@require_POST
def visit_status(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_appointment_for_user(request, pk)
    if not can_change_status(request.user, visit):
        raise PermissionDenied("You may change the status of your own visits only.")
    visit_page = reverse("sessions:visit", args=[pk])
    back = back_to(request, visit_page)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That status is not one a visit can be given here.")
        return redirect(back)
    if form.cleaned_data["status"] == Appointment.Status.CHECKED_IN and (
        problem := check_in_problem(visit)
    ):
        # No silent check-in: the check-in page asks the health questions first.
        messages.error(request, problem)
        check_in = reverse("sessions:visit_check_in", args=[pk])
        if back == visit_page:  # the check-in page returns to the visit anyway
            return redirect(check_in)
        return redirect(f"{check_in}?{urlencode({'next': back})}")
    try:
        appointment_set_status(
            appointment=visit,
            status=form.cleaned_data["status"],
            by=request.user,
            now=timezone.now(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        visit.refresh_from_db()
        messages.success(
            request,
            f"{visit.client.full_name}'s visit is now "
            f"{visit.get_status_display().lower()}.",
        )
    return redirect(back)


@require_POST
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_appointment_for_user(request, pk)
    require_booking_rights(request.user)
    form = CancelForm(request.POST)
    rest_of_series = request.POST.get("scope") == "following" and visit.series_id
    if form.is_valid():
        try:
            reason, now = form.cleaned_data["reason"], timezone.now()
            if rest_of_series:
                edit = series_cancel_rest(
                    appointment=visit, by=request.user, reason=reason, now=now
                )
                messages.success(
                    request, f"{len(edit.changed)} visits of the series cancelled."
                )
                if edit.documented:
                    messages.warning(request, edit.documented_message)
            else:
                visit = appointment_cancel(
                    appointment=visit, by=request.user, reason=reason, now=now
                )
                messages.success(
                    request, f"The visit is {visit.get_status_display().lower()}."
                )
            return redirect("sessions:visit", pk=pk)
        except ValidationError as error:
            form.add_error(None, error)
    context = _detail_context(request, visit)
    context["cancel_form"] = form
    return render(request, "sessions/visit.html", context, status=400)


def _move_day(request: HttpRequest, fallback: date) -> date:
    """The day whose free times the move page shows (`?day=`), else `fallback`."""
    raw = request.GET.get("day", "")
    if not raw:
        return fallback
    try:
        wanted = date.fromisoformat(raw)
    except ValueError:
        messages.warning(request, f"{raw!r} is not a date (use YYYY-MM-DD).")
        return fallback
    if not date(2000, 1, 1) <= wanted <= date(2100, 12, 31):
        messages.warning(request, "Choose a date between 2000 and 2100.")
        return fallback
    return wanted


def _move_technique(request: HttpRequest, visit: Appointment) -> Modality:
    """The technique whose free times are shown (`?modality=`), else the visit's."""
    wanted = parse_id(request.GET.get("modality") or request.POST.get("modality"))
    if wanted is not None and wanted != visit.modality_id:
        found = Modality.objects.filter(pk=wanted, is_active=True).first()
        if found is not None:
            return found
    return visit.modality


def _move_initial(visit: Appointment, proposal: Proposal | None) -> dict:
    start = proposal.starts_at if proposal else visit.starts_at
    local = start.astimezone(visit.location.zone)
    return {
        "day": local.date(),
        "start_time": local.time(),
        "fold": local.fold,
        "duration_minutes": visit.duration_minutes,
        "therapist": proposal.therapist if proposal else visit.therapist,
        "place": visit.place,
        "room": proposal.room if proposal else visit.room,
        "modality": visit.modality,
    }


def visit_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a visit: the day's free times to choose from (each moves it in one
    click), a proposal dropped on the grid to confirm, and the full form."""
    visit = get_appointment_for_user(request, pk)
    require_booking_rights(request.user)
    if request.method != "POST" and (documented := documented_visit_problem(visit)):
        messages.error(request, documented)
        return redirect("sessions:visit", pk=pk)
    lengths = clinic_policy().session_lengths
    proposal = proposal_from_query(request.GET, visit)
    if request.GET.get("starts") and proposal is None:
        messages.warning(
            request, "That time or therapist was not understood; choose it below."
        )
    initial = _move_initial(visit, proposal)
    form = RescheduleForm(
        request.POST or None, appointment=visit, lengths=lengths, initial=initial
    )
    back = back_to(request, "")  # from the grid: back to it after the move
    warnings: list[str] = []
    left_documented = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        confirmation = Confirmation(safety_acknowledged=data["acknowledge_safety"])
        try:
            if data["scope"] == SCOPE_ONE:
                appointment_reschedule(
                    appointment=visit,
                    by=request.user,
                    now=timezone.now(),
                    starts_at=form.local_start(),
                    duration_minutes=data["duration_minutes"],
                    therapist=data["therapist"],
                    place=data["place"],
                    room=data["room"],
                    confirmation=confirmation,
                    modality=data["modality"],
                )
            else:
                left_documented = series_change(
                    appointment=visit,
                    scope=data["scope"],
                    by=request.user,
                    now=timezone.now(),
                    local_start_time=data["start_time"],
                    duration_minutes=data["duration_minutes"],
                    therapist=data["therapist"],
                    place=data["place"],
                    room=data["room"],
                    confirmation=confirmation,
                ).documented_message
        except BookingNeedsConfirmation as needs:
            warnings = needs.safety
            form.add_error(
                "acknowledge_safety", "Read the safety alerts above and tick the box."
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The visit was moved.")
            if left_documented:
                messages.warning(request, left_documented)
            return redirect(back or reverse("sessions:visit", args=[pk]))
    visit.refresh_from_db()  # a refused move changed nothing; show what is
    local_day = visit.starts_at.astimezone(visit.location.zone).date()
    shown_day = _move_day(
        request,
        proposal.starts_at.astimezone(visit.location.zone).date()
        if proposal
        else local_day,
    )
    technique = _move_technique(request, visit)
    choices = move_choices(
        appointment=visit,
        day=shown_day,
        modality=technique,
        therapist=visit.therapist,
        now=timezone.now(),
    )
    return render(
        request,
        "sessions/reschedule.html",
        {
            "visit": visit,
            "form": form,
            "warnings": warnings,
            "choices": choices,
            "technique": technique,
            "techniques": Modality.objects.filter(is_active=True),
            "previous_day": shown_day - timedelta(days=1),
            "next_day": shown_day + timedelta(days=1),
            "proposal": proposal if request.method != "POST" else None,
            "proposal_sentence": proposal.sentence(visit) if proposal else "",
            "proposal_problems": proposal.problems(visit, timezone.now())
            if proposal and request.method != "POST"
            else [],
            "back": back,
            "lengths": lengths,
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("visits/<int:pk>/", visit_detail, name="visit"),
    path("visits/<int:pk>/status/", visit_status, name="visit_status"),
    path("visits/<int:pk>/cancel/", visit_cancel, name="visit_cancel"),
    path("visits/<int:pk>/move/", visit_reschedule, name="visit_reschedule"),
    *screening_urlpatterns,
]
