"""Booking one visit (the next-opening search is `openings.py`).

The booking form works with and without JavaScript. With htmx, finding a client,
registering one and reloading the therapist and room choices swap small
server-rendered partials; without it, the same buttons submit the whole form, which
comes back with everything typed kept. Only the "Book" button books.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BoundField
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clients.client_services import client_create
from clients.duplicates import client_duplicates, fields_from_search
from clients.models import Client
from clients.safety import client_alerts
from clients.selectors import ListStatus, clients_for_list
from massageclinic.audit import AuditContext
from massageclinic.clock import local_today
from massageclinic.models import Location, clinic_policy
from sessions.access import require_booking_rights
from sessions.models import Appointment, Place, WaitlistEntry
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_book,
)
from sessions.scheduling.forms.booking import (
    DEFAULT_LENGTH,
    BookingForm,
    BookingState,
    QuickClientForm,
)
from sessions.scheduling.waitlist import waitlist_close

SEARCH_RESULTS = 10
MIN_SEARCH_LENGTH = 2


# --- Helpers -------------------------------------------------------------------------


def default_length(lengths: list[int]) -> int:
    return DEFAULT_LENGTH if DEFAULT_LENGTH in lengths else min(lengths, default=60)


def client_or_none(value: Any) -> Client | None:
    raw = str(value or "")
    if not raw.isdecimal() or len(raw) > 12:
        return None
    return Client.objects.filter(pk=int(raw)).first()


def client_context(
    values: Mapping[str, Any],
    *,
    client: Client | None,
    mode: str = "book",
    quick: QuickClientForm | None = None,
    query: str = "",
    results: list[Client] | None = None,
    errors: list[str] | None = None,
    registered: bool = False,
) -> dict[str, Any]:
    """What `_book_client.html` needs: the chosen client or the search and quick add."""
    state = BookingState.read(values)
    day = state.day or local_today(location=state.location)
    # What was typed into "register a new client" survives the other steps.
    typed = {
        name: values.get(f"{QuickClientForm.prefix}-{name}") or ""
        for name in QuickClientForm.base_fields
    }
    if client is not None:
        typed = {}
    waitlist = None
    if client is not None:
        waitlist_id = str(values.get("waitlist") or "")
        if waitlist_id.isdecimal():
            waitlist = WaitlistEntry.objects.filter(
                pk=int(waitlist_id), client=client, closed_at__isnull=True
            ).first()
    return {
        "chosen": client,
        "alerts": client_alerts(client, day) if client else [],
        "alerts_day": day,
        "waitlist_entry": waitlist,
        "picker_mode": mode,
        "quick_form": quick or QuickClientForm(initial=typed),
        "carried_record": str(values.get(CARRIED) or "") if client is None else "",
        "quick_open": (quick is not None and quick.is_bound) or any(typed.values()),
        "query": query,
        "results": results,
        "client_errors": errors or [],
        "registered": registered,
    }


def search_clients(request: HttpRequest, query: str) -> list[Client] | None:
    """Up to 10 non-archived clients by name, phone, email or date of birth."""
    query = query.replace("\x00", "").strip()[:100]
    if len(query) < MIN_SEARCH_LENGTH:
        return None
    now = timezone.now()
    found = clients_for_list(
        user=request.user,
        now=now,
        today=local_today(now=now),
        query=query,
        status=ListStatus.ACTIVE,
    )
    return list(found[:SEARCH_RESULTS])


DIFFERENT_PERSON = f"{QuickClientForm.prefix}-different_person"
CARRIED = f"{QuickClientForm.prefix}-carried"


def _register_client(request: HttpRequest, quick: QuickClientForm) -> Client | None:
    """Register the client through the chart's service; its errors go onto `quick`.

    Likely duplicates (`client_duplicates`, the one rule) stop it until "This is a
    different person" is ticked; they ride on `quick.duplicates` to the partial.
    """
    if not quick.is_valid():
        return None
    data = quick.cleaned_data
    quick.different_person = bool(request.POST.get(DIFFERENT_PERSON))  # type: ignore[attr-defined]
    if not quick.different_person:  # type: ignore[attr-defined]
        quick.duplicates = client_duplicates(  # type: ignore[attr-defined]
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            phone=data["phone"],
            email=data["email"],
        )
        if quick.duplicates:  # type: ignore[attr-defined]
            return None
    try:
        client = client_create(
            by=request.user,
            today=local_today(),
            context=AuditContext.from_request(request),
            summary="Registered the client while booking",
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone=data["phone"],
            email=data["email"],
            date_of_birth=data["date_of_birth"],
        )
    except ValidationError as error:
        quick.add_service_errors(error)
        return None
    return client


def form_values(data: QueryDict) -> dict[str, Any]:
    """A form's posted values as initial data, to show them again without errors."""
    return {key: data.get(key) for key in data}


# --- The booking page --------------------------------------------------------------


def _initial_from_query(request: HttpRequest, lengths: list[int]) -> dict[str, Any]:
    """The form pre-filled from a calendar cell, an opening or a waitlist entry."""
    query = request.GET
    unclear: list[str] = []
    initial: dict[str, Any] = {}
    for name in ("location", "therapist", "room", "modality", "client", "waitlist"):
        raw = query.get(name, "")
        if raw.isdecimal() and len(raw) < 12:
            initial[name] = raw
        elif raw:
            unclear.append(name)
    location_id = initial.get("location")
    location = (
        Location.objects.filter(pk=location_id, is_active=True).first()
        if location_id
        else None
    )
    if location_id and location is None:
        unclear.append("location")
    location = location or Location.objects.filter(is_active=True).first()
    initial["location"] = location
    duration = query.get("duration", "")
    initial["duration"] = (
        int(duration)
        if duration.isdecimal() and len(duration) < 5
        else default_length(lengths)
    )
    initial["day"], initial["start_time"] = _local_start(query.get("starts", ""))
    initial["fold"] = 1 if query.get("fold") == "1" else 0
    if query.get("starts") and initial["day"] is None:
        unclear.append("start time")
    if initial["day"] is None:
        initial["day"] = local_today(location=location)
    initial["place"] = Place.ROOM
    if unclear:
        messages.warning(
            request,
            f"Part of the link was not understood ({', '.join(unclear)}); "
            "choose it below.",
        )
    return initial


def _local_start(raw: str) -> tuple[date | None, Any]:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None, None
    if moment.tzinfo is not None or not 2000 <= moment.year <= 2100:
        return None, None
    return moment.date(), moment.time()


def _unshown_errors(form: BookingForm, *, confirming: bool, show_room: bool) -> list:
    """Errors of fields the page does not show, so they go in the summary."""
    if not form.is_bound:
        return []
    unshown = [field.name for field in form.hidden_fields()]
    if not confirming:
        unshown += ["acknowledge_safety", "override_reason"]
    if not show_room:
        unshown.append("room")
    return [error for name in unshown for error in form.errors.get(name, [])]


def _render_book(
    request: HttpRequest,
    form: BookingForm,
    client_context: dict[str, Any],
    *,
    needs: BookingNeedsConfirmation | None = None,
    status: int = 200,
) -> HttpResponse:
    # After another error or step, keep showing what had to be confirmed.
    shown = request.POST if request.method == "POST" else QueryDict()
    confirm_safety = needs.safety if needs else shown.getlist("shown_safety")
    confirm_authorization = (
        needs.authorization if needs else shown.getlist("shown_authorization")
    )
    show_room = form.state.place == Place.ROOM
    context = {
        "form": form,
        "location": form.state.location,
        "confirm_safety": confirm_safety,
        "confirm_authorization": confirm_authorization,
        "show_room": show_room,
        "unshown_errors": _unshown_errors(
            form,
            confirming=bool(confirm_safety or confirm_authorization),
            show_room=show_room,
        ),
        **client_context,
    }
    return render(request, "sessions/book.html", context, status=status)


def _rerender(
    request: HttpRequest, values: dict[str, Any], **client_kwargs: Any
) -> HttpResponse:
    """Show the form again as typed, without checking it (a step, not a booking)."""
    form = BookingForm(initial=values, policy=clinic_policy())
    client = client_or_none(values.get("client"))
    return _render_book(
        request, form, client_context(values, client=client, **client_kwargs)
    )


def _confirmed(
    needs: BookingNeedsConfirmation, data: dict[str, Any], shown: QueryDict
) -> bool:
    """Whether the person confirmed exactly the warnings the service raises now."""
    safety_ok = not needs.safety or (
        data["acknowledge_safety"]
        and set(needs.safety) <= set(shown.getlist("shown_safety"))
    )
    authorization_ok = not needs.authorization or (
        data["override_reason"].strip()
        and set(needs.authorization) <= set(shown.getlist("shown_authorization"))
    )
    return bool(safety_ok and authorization_ok)


def _book(form: BookingForm, *, by: AbstractBaseUser, shown: QueryDict) -> Appointment:
    data = form.cleaned_data
    now = timezone.now()
    booking = {
        "client": data["client"],
        "therapist": data["therapist"],
        "modality": data["modality"],
        "location": data["location"],
        "starts_at": form.starts_at(),
        "duration_minutes": data["duration"],
        "place": data["place"],
        "room": data["room"],
        "booked_by": by,
        "now": now,
    }
    with transaction.atomic():
        try:
            visit = appointment_book(**booking)
        except BookingNeedsConfirmation as needs:
            # Book only if the person read these very warnings (not older ones).
            if not _confirmed(needs, data, shown):
                raise
            visit = appointment_book(
                **booking,
                confirmation=Confirmation(
                    safety_acknowledged=True,
                    authorization_override_reason=data["override_reason"],
                    acknowledged=needs.safety,
                ),
            )
        if data["waitlist"] is not None:
            waitlist_close(entry=data["waitlist"], appointment=visit, now=now)
    return visit


def _ask_confirmation(
    form: BookingForm, needs: BookingNeedsConfirmation, shown: QueryDict
) -> None:
    """Errors only for what the person had already been shown and did not confirm."""
    seen_safety = set(shown.getlist("shown_safety"))
    seen_authorization = set(shown.getlist("shown_authorization"))
    data = form.cleaned_data
    if needs.safety and seen_safety:
        if not set(needs.safety) <= seen_safety:
            form.add_error(
                None, "The safety alerts changed: read them again below and confirm."
            )
        elif not data["acknowledge_safety"]:
            form.add_error(
                "acknowledge_safety",
                "Tick the box to confirm you have read the safety alerts.",
            )
    if needs.authorization and seen_authorization:
        if not set(needs.authorization) <= seen_authorization:
            form.add_error(
                None,
                "The authorization numbers changed: read them again below and confirm.",
            )
        elif not data["override_reason"].strip():
            form.add_error(
                "override_reason", "Give a reason for booking beyond the authorization."
            )


def _clock(moment: datetime) -> str:
    return f"{moment:%I:%M %p}".lstrip("0")


def _success_message(visit: Appointment) -> str:
    start = visit.starts_at.astimezone(visit.location.zone)
    end = visit.ends_at.astimezone(visit.location.zone)
    where = visit.room.name if visit.room else visit.get_place_display().lower()
    return (
        f"Booked {visit.client.full_name} with {visit.therapist.full_name}: "
        f"{start:%a %b} {start.day}, {_clock(start)}–{_clock(end)} ({where})."
    )


def _step(request: HttpRequest, values: dict[str, Any]) -> HttpResponse | None:
    """A step before booking, posted without JavaScript: choose, find or register
    a client, or refresh the choices. None when the person asked to book."""
    post = request.POST
    action = post.get("action", "book")
    if post.get("pick_client"):
        return _rerender(request, {**values, "client": post["pick_client"]})
    if action == "change_client":
        values.pop("client", None)
        values.pop("waitlist", None)
        return _rerender(request, values, query=post.get("q", ""))
    if action == "find_client":
        query = post.get("q", "")
        results = search_clients(request, query)
        return _rerender(request, values, query=query, results=results)
    if action == "add_client":
        quick = QuickClientForm(post)
        client = _register_client(request, quick)
        if client is None:
            return _rerender(request, values, quick=quick)
        return _rerender(request, {**values, "client": client.pk}, registered=True)
    if action != "book":  # "refresh": new choices after a change
        return _rerender(request, values)
    return None


def _book_post(request: HttpRequest) -> HttpResponse:
    values = form_values(request.POST)
    step = _step(request, values)
    if step is not None:
        return step
    form = BookingForm(request.POST, policy=clinic_policy())
    client = client_or_none(request.POST.get("client"))
    if form.is_valid():
        try:
            visit = _book(form, by=request.user, shown=request.POST)
        except BookingNeedsConfirmation as needs:
            _ask_confirmation(form, needs, request.POST)
            return _render_book(
                request,
                form,
                client_context(values, client=client),
                needs=needs,
                status=400 if form.errors else 200,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _success_message(visit))
            return redirect("sessions:visit", pk=visit.pk)
    errors = list(form.errors.get("client", []))
    return _render_book(
        request,
        form,
        client_context(values, client=client, errors=errors),
        status=400,
    )


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Book one visit: GET shows the form pre-filled from the link; POST books."""
    require_booking_rights(request.user)
    if request.method == "POST":
        return _book_post(request)
    policy = clinic_policy()
    initial = _initial_from_query(request, list(policy.session_lengths))
    form = BookingForm(initial=initial, policy=policy)
    client = client_or_none(initial.get("client"))
    if initial.get("client") and client is None:
        messages.warning(request, "The client in the link was not found.")
    context = client_context(initial, client=client)
    if initial.get("waitlist") and context["waitlist_entry"] is None:
        messages.warning(
            request,
            "That waitlist entry is closed or no longer exists; this is a normal "
            "booking.",
        )
    return _render_book(request, form, context)


# --- The htmx partials of the booking page ------------------------------------------


@require_GET
def client_search(request: HttpRequest) -> HttpResponse:
    """Matching clients as the person types (name, phone, email, date of birth)."""
    require_booking_rights(request.user)
    query = request.GET.get("q", "")
    mode = request.GET.get("mode", "book")
    return render(
        request,
        "sessions/_book_client_results.html",
        {
            "query": query,
            "results": search_clients(request, query),
            "picker_mode": mode,
            "carry": carried_fields(request.GET, query) if mode == "book" else None,
        },
    )


@dataclass(frozen=True)
class Carry:
    """What a search puts into the new-client fields, field by field.

    `changed` are the fields whose input it replaces (out of band, one input each, so
    the field the person is typing in keeps its focus); `record` is what it carried,
    as JSON in `new-carried`, so the next search knows which values are still its own.
    """

    form: QuickClientForm
    changed: tuple[str, ...]
    carried: dict[str, str]

    @property
    def changed_fields(self) -> list[BoundField]:
        return [self.form[name] for name in self.changed]

    @property
    def record(self) -> str:
        return json.dumps(self.carried, separators=(",", ":"))

    @property
    def filled(self) -> bool:
        """Something searched for is in the fields now."""
        return any(self.carried.values())


def _carried_before(raw: str) -> dict[str, str]:
    """What an earlier search carried, by field; nothing when the record is not ours."""
    try:
        record = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(record, dict):
        return {}
    return {k: v for k, v in record.items() if isinstance(v, str)}


def carried_fields(values: QueryDict, query: str) -> Carry | None:
    """The new-client fields filled from the search, each where the person has not
    typed into it (it is empty or holds what an earlier search put there); what they
    typed into the others stays."""
    searched = fields_from_search(query)
    if not searched:
        return None
    names = list(QuickClientForm.base_fields)
    current = {n: values.get(f"{QuickClientForm.prefix}-{n}", "") for n in names}
    earlier = _carried_before(values.get(CARRIED, ""))
    untouched = [n for n in names if current[n] in ("", earlier.get(n, ""))]
    carried = {n: searched.get(n, "") for n in untouched}
    return Carry(
        form=QuickClientForm(initial={**current, **carried}),
        changed=tuple(n for n in untouched if carried[n] != current[n]),
        carried={n: v for n, v in carried.items() if v},
    )


@require_GET
def client_pick(request: HttpRequest) -> HttpResponse:
    """The client field with the chosen client (or, without one, the search)."""
    require_booking_rights(request.user)
    raw = request.GET.get("client", "")
    client = client_or_none(raw)
    errors = ["That client was not found. Find the client again."] if raw else []
    return render(
        request,
        "sessions/_book_client.html",
        client_context(
            request.GET,
            client=client,
            mode=request.GET.get("mode", "book"),
            errors=errors if client is None else [],
        ),
    )


@require_http_methods(["POST"])
def client_quick_add(request: HttpRequest) -> HttpResponse:
    """Register a client from the booking form and choose them (htmx)."""
    require_booking_rights(request.user)
    quick = QuickClientForm(request.POST)
    client = _register_client(request, quick)
    # 200 either way: htmx swaps only successful responses, and the errors are
    # part of the partial.
    if client is None:
        context = client_context(request.POST, client=None, quick=quick)
    else:
        context = client_context(request.POST, client=client, registered=True)
    return render(request, "sessions/_book_client.html", context)


@require_GET
def book_choices(request: HttpRequest) -> HttpResponse:
    """The therapist and room choices for the modality, date, time and location."""
    require_booking_rights(request.user)
    form = BookingForm(initial=form_values(request.GET), policy=clinic_policy())
    return render(
        request,
        "sessions/_book_choices.html",
        {"form": form, "show_room": form.state.place == Place.ROOM},
    )


urlpatterns: list[URLPattern] = [
    path("book/", book, name="book"),
    path("book/clients/", client_search, name="client_search"),
    path("book/clients/pick/", client_pick, name="client_pick"),
    path("book/clients/new/", client_quick_add, name="client_quick_add"),
    path("book/choices/", book_choices, name="book_choices"),
]
