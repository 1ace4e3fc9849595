"""The day-of-visit health questions: the desk's check-in page, and the client's page
behind the link in their reminder (no login, phone-sized)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clients.safety import client_alerts
from massageclinic.audit import AuditContext
from massageclinic.clock import local_today
from massageclinic.models import clinic_policy
from sessions.access import can_change_status, get_appointment_for_user
from sessions.messaging.links import VisitLinkError
from sessions.messaging.render import long_date, short_time
from sessions.models import Appointment, VisitScreening
from sessions.scheduling.forms.screening import ScreeningForm
from sessions.scheduling.screening import (
    CHECK_IN_FROM,
    LinkScreening,
    LinkState,
    latest_screening,
    screening_by_link,
    screening_check_in,
    screening_link_open,
    screening_opens_at,
    visit_day,
)
from sessions.scheduling.views.back import back_to
from sessions.scheduling.views.links import link_refused

Outcome = VisitScreening.Outcome


def _today(visit: Appointment):
    return local_today(location=visit.location)


@require_http_methods(["GET", "POST"])
def visit_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-in: the six questions, then the check-in (or the safety reschedule)."""
    visit = get_appointment_for_user(request, pk)
    if not can_change_status(request.user, visit):
        raise PermissionDenied("You may check in your own visits only.")
    if visit.status not in CHECK_IN_FROM:
        messages.info(
            request,
            f"This visit is {visit.get_status_display().lower()}: there is nothing "
            "to check in.",
        )
        return redirect("sessions:visit", pk=pk)
    form = ScreeningForm(request.POST or None, today=_today(visit))
    if request.method == "POST" and form.is_valid():
        try:
            screening = screening_check_in(
                appointment=visit,
                answers=form.answers(),
                by=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _report(request, screening)
            return redirect(back_to(request, reverse("sessions:visit", args=[pk])))
    return render(
        request,
        "sessions/check_in.html",
        {
            "visit": visit,
            "form": form,
            "alerts": client_alerts(visit.client, visit_day(visit)),
            "earlier": latest_screening(visit),
            "next": back_to(request, ""),
        },
        status=400 if request.method == "POST" else 200,
    )


def _report(request: HttpRequest, screening: VisitScreening) -> None:
    if screening.outcome == Outcome.RESCHEDULED:
        messages.warning(
            request,
            "Rescheduled for safety: the answers rule out massage today. The visit is "
            "cancelled without a late-cancellation fee, and the client's message "
            "with the clinic's wording is queued. Please tell the client.",
        )
        return
    text = "The visit is now checked in."
    if screening.outcome == Outcome.FLAGS_RAISED:
        text += " The therapist sees the answers to review before the session."
    messages.success(request, text)


# --- the client's link -------------------------------------------------------------------


def _link_page(
    request: HttpRequest,
    result: LinkScreening,
    *,
    form: ScreeningForm | None = None,
    just_answered: bool = False,
    status: int = 200,
) -> HttpResponse:
    visit = result.appointment
    policy = clinic_policy()
    local = visit.local_starts_at
    opens = screening_opens_at(visit).astimezone(visit.location.zone)
    screening = result.screening
    return render(
        request,
        "sessions/link_screen.html",
        {
            "clinic_name": policy.clinic_name,
            "phone": visit.location.phone,
            "state": str(result.state),
            "visit": visit,
            "screening": screening,
            "just_answered": just_answered,
            "form": form,
            "when": f"{long_date(local)} at {short_time(local)} ({local.tzname()})",
            "therapist": visit.therapist.first_name,
            "opens": long_date(opens),
            "answered_at": (
                f"{long_date(screening.answered_at.astimezone(visit.location.zone))} "
                f"at {short_time(screening.answered_at.astimezone(visit.location.zone))}"
                if screening
                else ""
            ),
        },
        status=status,
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def link_screen(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        state = screening_link_open(token=token, now=now)
        if state.state != LinkState.ASK:
            # A used link, or a visit no longer open: nothing changes, and it says so.
            return _link_page(
                request, state, status=409 if request.method == "POST" else 200
            )
        form = ScreeningForm(request.POST or None, today=_today(state.appointment))
        if request.method == "POST" and form.is_valid():
            try:
                result = screening_by_link(
                    token=token,
                    answers=form.answers(),
                    now=now,
                    context=AuditContext.from_request(request),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _link_page(
                    request,
                    result,
                    just_answered=result.recorded,
                    status=200 if result.recorded else 409,
                )
        return _link_page(
            request,
            state,
            form=form,
            status=400 if request.method == "POST" else 200,
        )
    except VisitLinkError as error:
        return link_refused(request, error)


urlpatterns: list[URLPattern] = [
    path("visits/<int:pk>/check-in/", visit_check_in, name="visit_check_in"),
    path("visit-link/<str:token>/screen/", link_screen, name="link_screen"),
]
