"""Therapists' schedules in local time: weekly hours per location, and time off.

Who (issue 13, which widens DESIGN.md section 6 for therapists): the clinic manager
sees and edits every therapist's schedule; a therapist sees and edits only their own
(another's answers 404); the front desk reads every schedule and acts on the visits
listed (move, cancel with the client's notice), but changes no hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from massageclinic.audit import AuditContext
from massageclinic.models import Location
from massageclinic.roles import Role, user_roles
from massageclinic.validators import validate_clinic_date
from sessions.access import can_book
from sessions.models import Appointment
from sessions.scheduling.booking import appointment_cancel
from sessions.scheduling.schedules import (
    AffectedVisit,
    affected_visit,
    visits_in_time_off,
    visits_outside_hours,
)
from therapists.models import Therapist, TimeOff, Weekday, WorkingHours
from therapists.schedule_services import (
    time_off_add,
    time_off_remove,
    working_hours_add,
    working_hours_remove,
)
from therapists.services import therapist_zone

_TIME = {"type": "time", "step": 900}
_DATE = {"type": "date"}


class _LocationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.name} ({obj.time_zone})"


class HoursForm(forms.Form):
    location = _LocationChoice(queryset=Location.objects.none())
    weekday = forms.TypedChoiceField(label="Day", choices=Weekday.choices, coerce=int)
    starts_at = forms.TimeField(
        label="From", widget=forms.TimeInput(attrs=_TIME, format="%H:%M")
    )
    ends_at = forms.TimeField(
        label="Until", widget=forms.TimeInput(attrs=_TIME, format="%H:%M")
    )

    def __init__(self, *args, locations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = locations


class TimeOffForm(forms.Form):
    starts_on = forms.DateField(
        label="From (date)",
        widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
        validators=[validate_clinic_date],
    )
    starts_time = forms.TimeField(
        label="From (time)", widget=forms.TimeInput(attrs=_TIME, format="%H:%M")
    )
    ends_on = forms.DateField(
        label="Until (date)",
        widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
        validators=[validate_clinic_date],
    )
    ends_time = forms.TimeField(
        label="Until (time)", widget=forms.TimeInput(attrs=_TIME, format="%H:%M")
    )
    reason = forms.CharField(max_length=200, required=False)

    def span(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        return (
            datetime.combine(data["starts_on"], data["starts_time"]),
            datetime.combine(data["ends_on"], data["ends_time"]),
        )


# --- who ---------------------------------------------------------------------------------


def _therapist_for(request: HttpRequest, pk: int, *, write: bool) -> Therapist:
    """The therapist whose schedule is asked for, if this reader may open it."""
    roles = user_roles(request.user)
    if not roles:
        raise PermissionDenied("Your account has no role yet.")
    therapist = get_object_or_404(Therapist.objects.select_related("user"), pk=pk)
    if Role.MANAGER in roles:
        return therapist
    if Role.THERAPIST in roles and therapist.user_id == request.user.pk:
        return therapist
    if Role.FRONT_DESK in roles:
        if write:
            raise PermissionDenied(
                "The front desk reads therapists' schedules; the clinic manager or "
                "the therapist changes them."
            )
        return therapist
    raise Http404("No such therapist.")


def _can_edit(request: HttpRequest, therapist: Therapist) -> bool:
    roles = user_roles(request.user)
    return Role.MANAGER in roles or (
        Role.THERAPIST in roles and therapist.user_id == request.user.pk
    )


def _can_cancel(request: HttpRequest, therapist: Therapist) -> bool:
    """The desk and the manager cancel any visit; a therapist their own, here."""
    return can_book(request.user) or _can_edit(request, therapist)


def _affected_context(
    request: HttpRequest, therapist: Therapist, affected: list[AffectedVisit]
) -> dict:
    return {
        "affected": affected,
        "can_move": can_book(request.user),
        "can_cancel": _can_cancel(request, therapist),
    }


# --- pages -------------------------------------------------------------------------------


def schedules(request: HttpRequest) -> HttpResponse:
    """Every therapist, for the manager and the desk; a therapist goes to their own."""
    roles = user_roles(request.user)
    if not roles:
        raise PermissionDenied("Your account has no role yet.")
    if not roles & {Role.MANAGER, Role.FRONT_DESK}:
        user = cast(User, request.user)  # signed in: LoginRequiredMiddleware
        own = Therapist.objects.filter(user=user).values_list("pk", flat=True)
        if own:
            return redirect("sessions:schedule", pk=own[0])
        raise PermissionDenied("Your role does not give access to this page.")
    therapists = Therapist.objects.select_related("user").filter(is_active=True)
    return render(
        request,
        "sessions/schedules.html",
        {"therapists": therapists, "can_edit": Role.MANAGER in roles},
    )


def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """The weekly hours, day by day, in each location's own time; adds a block."""
    therapist = _therapist_for(request, pk, write=request.method == "POST")
    locations = Location.objects.filter(is_active=True).order_by("name")
    form = HoursForm(request.POST or None, locations=locations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            working_hours_add(
                therapist=therapist,
                location=data["location"],
                weekday=data["weekday"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Hours added.")
            return redirect("sessions:schedule", pk=therapist.pk)
    blocks = list(
        WorkingHours.objects.filter(therapist=therapist)
        .select_related("location")
        .order_by("weekday", "starts_at")
    )
    days = [
        {"name": label, "blocks": [b for b in blocks if b.weekday == value]}
        for value, label in Weekday.choices
    ]
    now = timezone.now()
    affected = visits_outside_hours(therapist=therapist, now=now, blocks=blocks)
    context = {
        "therapist": therapist,
        "days": days,
        "zones": sorted({(b.location.name, b.location.time_zone) for b in blocks}),
        "form": form,
        "can_edit": _can_edit(request, therapist),
        "tab": "hours",
        **_affected_context(request, therapist, affected),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "sessions/schedule_hours.html", context, status=status)


@require_POST
def schedule_hours_remove(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    therapist = _therapist_for(request, pk, write=True)
    block = get_object_or_404(
        WorkingHours.objects.select_related("location", "therapist__user"),
        pk=block_pk,
        therapist=therapist,
    )
    working_hours_remove(block=block, context=AuditContext.from_request(request))
    messages.success(request, "Hours removed.")
    return redirect("sessions:schedule", pk=therapist.pk)


def schedule_time_off(request: HttpRequest, pk: int) -> HttpResponse:
    """Time off, in the therapist's zone; the open visits it covers, to act on."""
    therapist = _therapist_for(request, pk, write=request.method == "POST")
    zone = therapist_zone(therapist)
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        starts, ends = form.span()
        try:
            off = time_off_add(
                therapist=therapist,
                starts=starts,
                ends=ends,
                reason=form.cleaned_data["reason"],
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            clash = [
                a
                for a in visits_in_time_off(therapist=therapist, now=timezone.now())
                if a.visit.therapist_busy_from < off.ends_at
                and a.visit.therapist_busy_until > off.starts_at
            ]
            if clash:
                messages.warning(
                    request,
                    f"Time off saved. {len(clash)} booked visit(s) fall in it: "
                    "move or cancel each below.",
                )
            else:
                messages.success(request, "Time off saved.")
            return redirect("sessions:schedule_time_off", pk=therapist.pk)
    now = timezone.now()
    time_off = list(
        TimeOff.objects.filter(therapist=therapist, ends_at__gt=now).order_by(
            "starts_at"
        )
    )
    affected = visits_in_time_off(therapist=therapist, now=now, time_off=time_off)
    context = {
        "therapist": therapist,
        "zone": zone.key,
        "time_off": time_off,
        "form": form,
        "can_edit": _can_edit(request, therapist),
        "tab": "time_off",
        **_affected_context(request, therapist, affected),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "sessions/schedule_time_off.html", context, status=status)


@require_POST
def schedule_time_off_remove(
    request: HttpRequest, pk: int, off_pk: int
) -> HttpResponse:
    therapist = _therapist_for(request, pk, write=True)
    off = get_object_or_404(
        TimeOff.objects.select_related("therapist__user"),
        pk=off_pk,
        therapist=therapist,
    )
    time_off_remove(time_off=off, context=AuditContext.from_request(request))
    messages.success(request, "Time off removed.")
    return redirect("sessions:schedule_time_off", pk=therapist.pk)


@require_POST
def schedule_visit_cancel(request: HttpRequest, pk: int, visit_pk: int) -> HttpResponse:
    """Cancel one listed visit, telling the client; the schedule is the reason."""
    therapist = _therapist_for(request, pk, write=False)
    if not _can_cancel(request, therapist):
        raise PermissionDenied("Your role does not let you cancel this visit.")
    back = (
        "sessions:schedule"
        if request.POST.get("back") == "hours"
        else "sessions:schedule_time_off"
    )
    affected = affected_visit(
        therapist=therapist, visit_pk=visit_pk, now=timezone.now()
    )
    if affected is None:
        if not Appointment.objects.filter(pk=visit_pk, therapist=therapist).exists():
            raise Http404("No such visit on this schedule.")
        messages.info(
            request, "That visit is no longer in the way of this schedule: unchanged."
        )
        return redirect(back, pk=therapist.pk)
    try:
        visit = appointment_cancel(
            appointment=affected.visit,
            by=cast(User, request.user),  # signed in: LoginRequiredMiddleware
            reason=affected.cancel_reason,
            now=timezone.now(),
            by_clinic=True,  # the therapist's time or hours: no late-cancel fee
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{visit.client.full_name}'s visit is "
            f"{visit.get_status_display().lower()}; the client is sent a notice.",
        )
    return redirect(back, pk=therapist.pk)


urlpatterns = [
    path("schedules/", schedules, name="schedules"),
    path("schedules/<int:pk>/", schedule, name="schedule"),
    path(
        "schedules/<int:pk>/hours/<int:block_pk>/remove/",
        schedule_hours_remove,
        name="schedule_hours_remove",
    ),
    path("schedules/<int:pk>/time-off/", schedule_time_off, name="schedule_time_off"),
    path(
        "schedules/<int:pk>/time-off/<int:off_pk>/remove/",
        schedule_time_off_remove,
        name="schedule_time_off_remove",
    ),
    path(
        "schedules/<int:pk>/visits/<int:visit_pk>/cancel/",
        schedule_visit_cancel,
        name="schedule_visit_cancel",
    ),
]
