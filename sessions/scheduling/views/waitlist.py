"""The waitlist: clients who want an earlier or another slot, and what would suit them."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from clients.models import Client
from massageclinic.clock import local_today
from massageclinic.models import Location, Room
from massageclinic.validators import EARLIEST_DATE, LATEST_DATE
from sessions.access import require_booking_rights
from sessions.models import Appointment, Place, WaitlistEntry
from sessions.scheduling.openings import FreeSlot
from sessions.scheduling.rules import visit_end
from sessions.scheduling.views import waitlist_links
from sessions.scheduling.views.booking import (
    client_context,
    client_or_none,
    search_clients,
)
from sessions.scheduling.views.waitlist_matches import entry_matches
from sessions.scheduling.waitlist import (
    waitlist_add,
    waitlist_close,
    waitlist_entry_problems,
    waitlist_offer_make,
)
from therapists.models import Modality, Therapist, Weekday


class WaitlistForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit",
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day.",
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "client",
            "location",
            "modality",
            "therapist",
            "duration_minutes",
            "weekdays",
            "earliest_time",
            "latest_time",
            "wanted_from",
            "wanted_until",
            "note",
        ]
        labels = {
            "duration_minutes": "Length (minutes)",
            "earliest_time": "Not before",
            "latest_time": "Not after",
            "wanted_from": "From",
            "wanted_until": "Until",
        }
        widgets = {
            # Chosen with the booking form's client search (`_book_client.html`):
            # a select of every client would send the whole register with the page.
            "client": forms.HiddenInput,
            "earliest_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "latest_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "wanted_from": forms.DateInput(attrs={"type": "date"}),
            "wanted_until": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(archived_at__isnull=True)
        self.fields["client"].error_messages["required"] = (
            "Find the client and choose them."
        )
        self.fields["location"].queryset = Location.objects.filter(is_active=True)
        self.fields["modality"].queryset = Modality.objects.filter(is_active=True)
        self.fields["therapist"].queryset = Therapist.objects.filter(
            is_active=True
        ).select_related("user")
        self.fields["modality"].required = False
        self.fields["therapist"].required = False

    def clean(self) -> dict:
        # Said here, on the fields, so the model's own constraint check (which would
        # only name the constraint) is skipped for them.
        cleaned = super().clean()
        problems = waitlist_entry_problems(
            wanted_from=cleaned.get("wanted_from"),
            wanted_until=cleaned.get("wanted_until"),
            earliest_time=cleaned.get("earliest_time"),
            latest_time=cleaned.get("latest_time"),
            duration_minutes=cleaned.get("duration_minutes"),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return cleaned


# Matches are worked out for the entries of the page shown only: each entry's next
# openings are one search, so the page's cost stays that of one page.
PAGE_SIZE = 10


# The client search's own buttons, when the page works without JavaScript: they
# submit the form to search or choose, never to add.
PICKER_ACTIONS = ("find_client", "change_client")


def _picked_client(data) -> Client | None:
    raw = data.get("pick_client") or data.get("client")
    client = client_or_none(raw) if data.get("action") != "change_client" else None
    return client if client is not None and not client.is_archived else None


def waitlist(request: HttpRequest) -> HttpResponse:
    require_booking_rights(request.user)
    data = request.POST if request.method == "POST" else request.GET
    picking = request.method == "POST" and (
        data.get("action") in PICKER_ACTIONS or "pick_client" in data
    )
    client = _picked_client(data)
    if picking:
        values = data.copy()
        values["client"] = str(client.pk) if client else ""
        initial: dict = values.dict()
        initial["weekdays"] = values.getlist("weekdays")
        form = WaitlistForm(initial=initial)
    else:
        form = WaitlistForm(
            request.POST or None,
            initial={"wanted_from": local_today(), "client": client},
        )
    if request.method == "POST" and not picking and form.is_valid():
        try:
            waitlist_add(entry=form.save(commit=False), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Added to the waitlist.")
            return redirect("sessions:waitlist")
    query = data.get("q", "") if data.get("action") == "find_client" else ""
    entries = (
        WaitlistEntry.objects.filter(closed_at__isnull=True)
        .select_related("client", "modality", "therapist__user", "location")
        .order_by("wanted_until", "created_at", "pk")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    matches = entry_matches(rows, now=timezone.now())
    return render(
        request,
        "sessions/waitlist.html",
        {
            "form": form,
            "page": page,
            "rows": [(entry, matches.get(entry.pk, [])) for entry in rows],
            **client_context(
                data,
                client=client,
                mode="waitlist",
                query=query,
                results=search_clients(request, query) if query else None,
                errors=form.errors.get("client", []) if form.is_bound else [],
            ),
        },
        status=400 if request.method == "POST" and not picking else 200,
    )


@require_POST
def waitlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_booking_rights(request.user)
    entry = get_object_or_404(WaitlistEntry, pk=pk)
    try:
        waitlist_close(entry=entry, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{entry.client.full_name} is off the waitlist.")
    return redirect("sessions:waitlist")


def _posted_id(data, name: str) -> int | None:
    raw = str(data.get(name, ""))
    return int(raw) if raw.isdecimal() and len(raw) < 10 else None


def _posted_slot(data) -> FreeSlot | None:
    """The slot an "Offer to client" button posts, or None when it is not one."""
    try:
        starts_at = parse_datetime(str(data.get("starts_at", "")))
    except ValueError:  # well formed, but no such date or time
        return None
    therapist_id, location_id = (
        _posted_id(data, "therapist"),
        _posted_id(data, "location"),
    )
    if starts_at is None or starts_at.tzinfo is None:
        return None
    if not EARLIEST_DATE < starts_at.date() < LATEST_DATE:
        return None  # a date no visit has (and 9999-12-31 overflows its end)
    if therapist_id is None or location_id is None:
        return None
    therapist = Therapist.objects.select_related("user").filter(pk=therapist_id).first()
    location = Location.objects.filter(pk=location_id, is_active=True).first()
    if therapist is None or location is None:
        return None
    freed_id = _posted_id(data, "freed")
    if data.get("freed") and freed_id is None:
        return None
    if freed_id is not None:
        freed = (
            Appointment.objects.select_related("therapist__user", "location", "room")
            .filter(
                pk=freed_id,
                status__in=Appointment.NON_BLOCKING_STATUSES,
                therapist=therapist,
                starts_at=starts_at,
            )
            .first()
        )
        return FreeSlot.of_visit(freed) if freed is not None else None
    room_id = _posted_id(data, "room")
    if room_id is None:
        return None
    room = Room.objects.filter(pk=room_id, location=location).first()
    if room is None:
        return None
    return FreeSlot(
        therapist=therapist,
        location=location,
        starts_at=starts_at,
        ends_at=starts_at,  # the entry's length decides the end
        place=Place.ROOM,
        room=room,
    )


@require_POST
def waitlist_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """Desk and manager: offer a free slot to a waiting client by email."""
    require_booking_rights(request.user)
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related("client"), pk=pk, closed_at__isnull=True
    )
    slot = _posted_slot(request.POST)
    page = str(request.POST.get("page", ""))
    back = redirect(
        _waitlist_url()
        + (f"?page={page}" if page.isdecimal() and len(page) < 6 else "")
    )
    if slot is None:
        messages.error(
            request, "That time was not understood; choose it again from the list."
        )
        return back
    if slot.freed is None:
        slot = FreeSlot(
            therapist=slot.therapist,
            location=slot.location,
            starts_at=slot.starts_at,
            ends_at=visit_end(slot.starts_at, entry.duration_minutes),
            place=slot.place,
            room=slot.room,
        )
    try:
        waitlist_offer_make(
            entry=entry, slot=slot, by=cast(User, request.user), now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        local = slot.starts_at.astimezone(slot.location.zone)
        when = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
        messages.success(
            request,
            f"Offered {when} to {entry.client.full_name}: the email "
            "goes out in a few minutes; the first client to take the time gets it.",
        )
    return back


def _waitlist_url() -> str:
    return reverse("sessions:waitlist")


@require_GET
def waitlist_entry_openings(request: HttpRequest, pk: int) -> HttpResponse:
    """One waiting client's times with the next openings searched: the list's
    partial for htmx, a page of its own without JavaScript."""
    require_booking_rights(request.user)
    entry = get_object_or_404(
        WaitlistEntry.objects.select_related(
            "client", "modality", "therapist__user", "location"
        ),
        pk=pk,
        closed_at__isnull=True,
    )
    matches = entry_matches([entry], now=timezone.now(), openings=True)[entry.pk]
    page = str(request.GET.get("page", ""))
    context = {
        "entry": entry,
        "matches": matches,
        "page_number": page if page.isdecimal() and len(page) < 6 else 1,
        "searched": True,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "sessions/_waitlist_matches.html", context)
    return render(request, "sessions/waitlist_entry_openings.html", context)


urlpatterns = [
    path("waitlist/", waitlist, name="waitlist"),
    path(
        "waitlist/<int:pk>/openings/",
        waitlist_entry_openings,
        name="waitlist_entry_openings",
    ),
    path("waitlist/<int:pk>/remove/", waitlist_remove, name="waitlist_remove"),
    path("waitlist/<int:pk>/offer/", waitlist_offer, name="waitlist_offer"),
    *waitlist_links.urlpatterns,
]
