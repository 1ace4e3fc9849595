"""Find the next opening: every slot the rules allow, each a link to the booking form."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from clients.models import Client
from clients.safety import modality_safety, refusal_sentence
from massageclinic.clock import day_label, local_today, time_label
from massageclinic.models import clinic_policy
from massageclinic.reference import Reference, reference
from sessions.access import require_booking_rights
from sessions.scheduling.forms.booking import (
    OpeningsForm,
)
from sessions.scheduling.openings import Opening, find_openings
from sessions.scheduling.views.booking import (
    client_context,
    client_or_none,
    default_length,
    form_values,
    search_clients,
)

OPENING_DAYS = 21
OPENINGS_SHOWN = 20


def _book_link(opening: Opening, form: OpeningsForm, book_url: str) -> str:
    data = form.cleaned_data
    params = {
        "location": opening.location.pk,
        "therapist": opening.therapist.pk,
        "room": opening.room.pk,
        "starts": opening.local_start.strftime("%Y-%m-%dT%H:%M"),
        "modality": data["modality"].pk,
        "duration": data["duration"],
    }
    if opening.local_start.fold:  # the second time of a repeated wall time
        params["fold"] = 1
    if data.get("client"):
        params["client"] = data["client"].pk
    return book_url + "?" + urlencode(params)


def _opening_rows(
    openings: list[Opening], form: OpeningsForm
) -> list[tuple[date, list[dict[str, Any]]]]:
    # The times are written here, once each, not by the template's date filter,
    # and the booking page's address is looked up once for all the links.
    book_url = reverse("sessions:book")
    rows = [
        {
            "opening": o,
            "local": o.local_start,
            "time": time_label(o.local_start),
            "day": day_label(o.local_start.date()),
            "book_url": _book_link(o, form, book_url),
        }
        for o in openings
    ]
    return [
        (day, list(group))
        for day, group in groupby(rows, key=lambda r: r["local"].date())
    ]


def _openings_form(query: QueryDict, *, searched: bool, ref: Reference) -> OpeningsForm:
    lengths = list(clinic_policy().session_lengths)
    if searched:
        return OpeningsForm(query, lengths=lengths, ref=ref)
    initial: dict[str, Any] = {
        "duration": default_length(lengths),
        **form_values(query),
    }
    initial["weekdays"] = query.getlist("weekdays")
    return OpeningsForm(initial=initial, lengths=lengths, ref=ref)


def _find(
    form: OpeningsForm, ref: Reference
) -> list[tuple[date, list[dict[str, Any]]]]:
    data = form.cleaned_data
    found = find_openings(
        modality=data["modality"],
        duration_minutes=data["duration"],
        location=data["location"],
        now=timezone.now(),
        therapist=data["therapist"],
        room=data["room"],
        client=data["client"],
        weekdays=set(data["weekdays"]) or None,
        earliest=data["earliest"],
        latest=data["latest"],
        days=OPENING_DAYS,
        limit=OPENINGS_SHOWN,
        ref=ref,
    )
    return _opening_rows(found, form)


def _ruled_out(form: OpeningsForm, client: Client | None) -> str:
    """Why no opening can be offered to this client for this technique, if so."""
    if client is None:
        return ""
    verdict = modality_safety(
        client=client,
        modality=form.cleaned_data["modality"],
        on=local_today(location=form.cleaned_data["location"]),
    )
    return refusal_sentence(verdict) if verdict.blocked else ""


@require_GET
def openings(request: HttpRequest) -> HttpResponse:
    """Find the next open slots for a modality and length, and book one."""
    require_booking_rights(request.user)
    query = request.GET.copy()
    action = query.get("action", "search")
    if query.get("pick_client"):  # without JavaScript: a client chosen from the list
        query["client"] = query["pick_client"]
    if action == "change_client":
        query.pop("client", None)
    searched = "modality" in query and action == "search"
    ref = reference()
    form = _openings_form(query, searched=searched, ref=ref)
    found = searched and form.is_valid()
    client = client_or_none(query.get("client"))
    if client is not None and client.is_archived:
        client = None
    client_query = query.get("q", "")
    results = search_clients(request, client_query) if action == "find_client" else None
    return render(
        request,
        "sessions/openings.html",
        {
            "form": form,
            "searched": found,
            "days": _find(form, ref) if found else [],
            "ruled_out": _ruled_out(form, client) if found else "",
            "location": form.location,
            "weeks": OPENING_DAYS // 7,
            **client_context(
                {"location": form.location},
                client=client,
                mode="openings",
                query=client_query,
                results=results,
            ),
        },
        status=400 if searched and not found else 200,
    )


urlpatterns: list[URLPattern] = [
    path("openings/", openings, name="openings"),
]
