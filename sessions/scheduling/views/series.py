"""Book a treatment series: the rule, a preview of every visit, then all or none.

One URL, three steps by `action`: the rule (step 1), `preview` (every occurrence with
its status and a choice per visit) and `book`. Nothing the browser posts back is
trusted: `book` expands the rule again, runs a fresh preview and accepts a posted
alternative only when that preview still offers exactly that start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone

from massageclinic.audit import AuditContext
from massageclinic.clock import local_today
from massageclinic.models import Location, clinic_policy
from massageclinic.validators import parse_id
from sessions.access import require_booking_rights
from sessions.models import Place, TreatmentPlan
from sessions.scheduling.booking import BookingNeedsConfirmation, Confirmation
from sessions.scheduling.forms.series import (
    ConfirmForm,
    SeriesForm,
    active_clients,
    client_label,
    read_choices,
    room_label,
    rooms_at,
    search_clients,
    therapist_label,
    trained_therapists,
)
from sessions.scheduling.series import (
    ALTERNATIVE,
    KEEP,
    SKIP,
    Occurrence,
    ProposedSeries,
    SeriesRule,
    clock_change_sentence,
    expand,
    series_book,
    series_plan,
    series_preview,
)
from sessions.scheduling.series_prefill import Suggestion, series_suggestion
from therapists.models import Modality, Weekday

CLIENT_SEARCH_SHOWN = 50


# --- step 1 ---------------------------------------------------------------------------


def _form(request: HttpRequest, now: datetime, **kwargs) -> SeriesForm:
    return SeriesForm(
        lengths=clinic_policy().session_lengths,
        now=now,
        user=request.user,
        client_options_url=reverse("sessions:series_client_options"),
        therapist_options_url=reverse("sessions:series_therapist_options"),
        room_options_url=reverse("sessions:series_room_options"),
        prefill_url=reverse("sessions:series_new"),
        **kwargs,
    )


def _plan(request: HttpRequest) -> TreatmentPlan | None:
    raw = request.GET.get("plan", "")
    if not raw:
        return None
    plan_id = parse_id(raw)
    if plan_id is None:
        messages.warning(request, "That treatment plan does not exist.")
        return None
    plan = series_plan(plan_id=plan_id, context=AuditContext.from_request(request))
    if plan is None:
        raise Http404("No such treatment plan.")
    return plan


def _default_location(client, therapist) -> Location | None:
    locations = Location.objects.filter(is_active=True)
    if client is not None and client.preferred_location_id:
        found = locations.filter(pk=client.preferred_location_id).first()
        if found:
            return found
    if therapist is not None:
        found = locations.filter(working_hours__therapist=therapist).first()
        if found:
            return found
    return locations.first() if locations.count() == 1 else None


def _client(request: HttpRequest, plan: TreatmentPlan | None):
    if plan is not None:
        return plan.client
    client_id = parse_id(request.GET.get("client"))
    if client_id is None:
        return None
    return active_clients().filter(pk=client_id).first()


def _initial(
    request: HttpRequest, plan: TreatmentPlan | None, now: datetime
) -> tuple[dict, Suggestion]:
    """Pre-fill from the client's referral and plan: the desk adjusts."""
    client = _client(request, plan)
    therapist = plan.therapist if plan else None
    location = _default_location(client, therapist)
    today = local_today(location=location, now=now)
    # A plan that has begun books from today.
    starts_on = max(plan.starts_on, today) if plan else today
    initial: dict = {
        "client": client,
        "location": location,
        "place": Place.ROOM,
        "interval_weeks": 1,
        "starts_on": starts_on,
    }
    if plan is not None:
        initial["plan"] = str(plan.pk)
    if client is None:
        return initial, Suggestion()
    suggestion = series_suggestion(
        client=client,
        plan=plan,
        location=location,
        starts_on=starts_on,
        lengths=clinic_policy().session_lengths,
        now=now,
        context=AuditContext.from_request(request),
    )
    initial.update(suggestion.initial)
    return initial, suggestion


def series_new(request: HttpRequest) -> HttpResponse:
    require_booking_rights(request.user)
    now = timezone.now()
    if request.method == "POST":
        return _post(request, now)
    plan = _plan(request)
    initial, suggestion = _initial(request, plan, now)
    form = _form(request, now, initial=initial)
    return _render_rule(request, form, plan=plan, suggestion=suggestion)


def _rule_clock_note(form: SeriesForm) -> str:
    """The clock-change sentence for the rule as it stands (initial or posted)."""
    if form.is_bound:
        if not form.is_valid():
            return ""
        rule, location = form.rule(), form.cleaned_data["location"]
    else:
        initial = form.initial
        location = initial.get("location")
        if location is None or not initial.get("weekdays") or not initial.get("count"):
            return ""
        rule = SeriesRule(
            weekdays=tuple(initial["weekdays"]),
            interval_weeks=initial.get("interval_weeks") or 1,
            starts_on=initial["starts_on"],
            local_start_time=initial.get("local_start_time") or time(0),
            count=initial["count"],
        )
    if rule.problems():
        return ""
    # No start time given yet: say only that the visits keep their local time.
    known = form.is_bound or form.initial.get("local_start_time") is not None
    at = rule.local_start_time if known else None
    return clock_change_sentence(location=location, days=list(expand(rule)), at=at)


def _render_rule(
    request: HttpRequest,
    form: SeriesForm,
    *,
    plan: TreatmentPlan | None = None,
    suggestion: Suggestion | None = None,
    status: int = 200,
) -> HttpResponse:
    if plan is None and form.is_bound and form.is_valid():
        plan = form.cleaned_data["plan"]
    return render(
        request,
        "sessions/series_new.html",
        {
            "form": form,
            "plan": plan,
            "step": "rule",
            "prefilled_from": suggestion.sentence if suggestion else "",
            "clock_note": _rule_clock_note(form),
        },
        status=status,
    )


# --- preview and book -------------------------------------------------------------------


@dataclass
class Row:
    """One occurrence as the page shows it, with the person's choice."""

    occurrence: Occurrence
    choice: str
    requested: str  # the rule's local start time, "10:00"

    @property
    def number(self) -> int:
        return self.occurrence.number

    @property
    def when(self) -> str:
        start, end = self.occurrence.local_start, self.occurrence.local_end
        return f"{start:%a %d %b %Y}, {start:%H:%M}–{end:%H:%M}"

    @property
    def moved_by_clock_change(self) -> bool:
        return f"{self.occurrence.local_start:%H:%M}" != self.requested

    @property
    def alternative_label(self) -> str:
        alternative = self.occurrence.alternative
        if alternative is None:
            return ""
        local = alternative.astimezone(self.occurrence.zone)
        return f"{local:%a %d %b %H:%M}"

    @property
    def alternative_value(self) -> str:
        alternative = self.occurrence.alternative
        return alternative.isoformat() if alternative else ""


def _default_choice(occurrence: Occurrence) -> str:
    if occurrence.is_free:
        return KEEP
    return ALTERNATIVE if occurrence.alternative else SKIP


def _post(request: HttpRequest, now: datetime) -> HttpResponse:
    action = request.POST.get("action", "preview")
    form = _form(request, now, data=request.POST)
    if action == "edit":
        return _render_rule(request, form)
    if not form.is_valid():
        return _render_rule(request, form, status=400)
    proposed = form.proposed_series()
    try:
        occurrences = series_preview(proposed=proposed, now=now)
    except ValidationError as error:
        form.add_error(None, error)
        return _render_rule(request, form, status=400)
    if action != "book":
        choices = {o.number: _default_choice(o) for o in occurrences}
        return _render_preview(request, form, occurrences, choices, ConfirmForm())
    return _book(request, form, proposed, occurrences, now)


def _verify(
    occurrences: list[Occurrence],
    posted: dict[int, str],
    posted_alternatives: dict[int, datetime | None],
    missing: list[int],
) -> tuple[dict[int, str], list[str]]:
    """The choices to book with, and why the fresh preview differs from the posted one.

    A row whose choice no longer fits goes back to its default, for the person to see.
    """
    choices, problems = {}, []
    for occurrence in occurrences:
        number = occurrence.number
        choice = posted.get(number)
        when = f"Visit {number} ({occurrence.local_start:%a %d %b %H:%M})"
        problem = ""
        if number in missing:
            problem = f"{when}: choose to keep it, take the alternative or skip it."
        elif choice == KEEP and not occurrence.is_free:
            problem = (
                f"{when} is no longer free: "
                + " ".join(occurrence.problems)
                + " Take the alternative or skip it."
            )
        elif choice == ALTERNATIVE:
            offered = occurrence.alternative
            wanted = posted_alternatives.get(number)
            if occurrence.is_free:
                problem = f"{when} is free again at its own time."
            elif offered is None:
                problem = f"{when}: the alternative time is no longer free."
            elif wanted != offered:
                local = offered.astimezone(occurrence.zone)
                problem = (
                    f"{when}: the alternative time changed; the nearest free time "
                    f"is now {local:%a %d %b %H:%M}."
                )
        if problem:
            problems.append(problem)
            choices[number] = _default_choice(occurrence)
        else:
            choices[number] = choice
    return choices, problems


def _needs_confirmation(
    occurrences: list[Occurrence], choices: dict[int, str], confirm: ConfirmForm
) -> bool:
    booked = [o for o in occurrences if choices.get(o.number) != SKIP]
    data = confirm.cleaned_data
    missing = False
    if any(o.safety for o in booked) and not data["acknowledge_safety"]:
        confirm.add_error(
            "acknowledge_safety", "Read the safety alerts above and tick the box."
        )
        missing = True
    if any(o.authorization for o in booked) and not data["override_reason"].strip():
        confirm.add_error(
            "override_reason",
            "Give a reason to book beyond the referral or authorization, "
            "or skip the flagged visits.",
        )
        missing = True
    return missing


def _book(
    request: HttpRequest,
    form: SeriesForm,
    proposed: ProposedSeries,
    occurrences: list[Occurrence],
    now: datetime,
) -> HttpResponse:
    posted, posted_alternatives, missing = read_choices(
        request.POST, [o.number for o in occurrences]
    )
    choices, problems = _verify(occurrences, posted, posted_alternatives, missing)
    confirm = ConfirmForm(request.POST)
    if problems:
        problems.append(
            "Nothing was booked. The visits below show the schedule as it is now: "
            "check them and book again."
        )
        return _render_preview(
            request, form, occurrences, choices, confirm, errors=problems, status=409
        )
    if not confirm.is_valid() or _needs_confirmation(occurrences, choices, confirm):
        return _render_preview(
            request,
            form,
            occurrences,
            choices,
            confirm,
            errors=["Nothing was booked yet: answer the questions below the table."],
            status=400,
        )
    by_number = {o.number: o for o in occurrences}
    try:
        series = series_book(
            proposed=proposed,
            choices=choices,
            alternatives={
                n: by_number[n].alternative
                for n, choice in choices.items()
                if choice == ALTERNATIVE
            },
            created_by=request.user,
            now=now,
            confirmation=Confirmation(
                safety_acknowledged=confirm.cleaned_data["acknowledge_safety"],
                authorization_override_reason=confirm.cleaned_data["override_reason"],
            ),
        )
    except BookingNeedsConfirmation as needs:
        if needs.safety:
            confirm.add_error(
                "acknowledge_safety", "Read the safety alerts above and tick the box."
            )
        if needs.authorization:
            confirm.add_error(
                "override_reason",
                "Give a reason to book beyond the referral or authorization.",
            )
        return _render_preview(
            request,
            form,
            occurrences,
            choices,
            confirm,
            errors=needs.messages + ["Nothing was booked."],
            needs=needs,
            status=400,
        )
    except ValidationError as error:
        # Someone booked in between: show the schedule as it is now.
        fresh = series_preview(proposed=proposed, now=timezone.now())
        fresh_choices, _ = _verify(
            fresh, choices, {n: o.alternative for n, o in by_number.items()}, []
        )
        return _render_preview(
            request,
            form,
            fresh,
            fresh_choices,
            confirm,
            errors=error.messages,
            status=409,
        )
    messages.success(request, _booked_message(choices))
    first = series.appointments.order_by("starts_at").first()
    return redirect("sessions:visit", pk=first.pk)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _booked_message(choices: dict[int, str]) -> str:
    values = list(choices.values())
    booked = sum(1 for c in values if c != SKIP)
    details = []
    if values.count(ALTERNATIVE):
        details.append(f"{values.count(ALTERNATIVE)} at an alternative time")
    if values.count(SKIP):
        details.append(f"{values.count(SKIP)} skipped")
    extra = f" ({', '.join(details)})" if details else ""
    return f"{_plural(booked, 'visit')} booked{extra}."


def _describe_rule(form: SeriesForm) -> str:
    data = form.cleaned_data
    names = dict(Weekday.choices)
    days = ", ".join(names[d] for d in sorted(set(data["weekdays"])))
    every = (
        "Every week"
        if data["interval_weeks"] == 1
        else f"Every {data['interval_weeks']} weeks"
    )
    end = (
        _plural(data["count"], "visit")
        if data["count"]
        else f"until {data['until']:%a %d %b %Y}"
    )
    return (
        f"{every} on {days}, {end}, from {data['starts_on']:%a %d %b %Y} "
        f"at {data['local_start_time']:%H:%M}"
    )


def _render_preview(
    request: HttpRequest,
    form: SeriesForm,
    occurrences: list[Occurrence],
    choices: dict[int, str],
    confirm: ConfirmForm,
    *,
    errors: list[str] | None = None,
    needs: BookingNeedsConfirmation | None = None,
    status: int = 200,
) -> HttpResponse:
    data = form.cleaned_data
    location: Location = data["location"]
    requested = f"{data['local_start_time']:%H:%M}"
    rows = [
        Row(o, choices.get(o.number, _default_choice(o)), requested)
        for o in occurrences
    ]
    booked = [r for r in rows if r.choice != SKIP]
    # The booking service may ask for more than the preview flagged (an alert or an
    # authorization that starts later in the series): show what it asked for too.
    safety = sorted(
        {s for r in rows for s in r.occurrence.safety}
        | set(needs.safety if needs else [])
    )
    context = {
        "step": "preview",
        "form": form,
        "confirm": confirm,
        "rows": rows,
        "errors": errors or [],
        "location": location,
        "plan": data["plan"],
        "rule_text": _describe_rule(form),
        "where": (
            room_label(data["room"])
            if data["place"] == Place.ROOM
            else f"{Place(data['place']).label}, from {location.name} "
            "(travel time is blocked before and after)"
        ),
        "therapist": therapist_label(data["therapist"]),
        "conflicts": sum(1 for r in rows if not r.occurrence.is_free),
        "booked_count": len(booked),
        "safety": safety,
        "needs_override": any(r.occurrence.authorization for r in rows)
        or bool(needs and needs.authorization),
        "moved": any(r.moved_by_clock_change for r in rows),
        "clock_note": clock_change_sentence(
            location=location,
            days=[o.day for o in occurrences],
            at=data["local_start_time"],
        ),
    }
    return render(request, "sessions/series_new.html", context, status=status)


# --- htmx: narrow the lists as the person types or picks ---------------------------------


def _pk(request: HttpRequest, name: str) -> int | None:
    return parse_id(request.GET.get(name))


def _options(
    request: HttpRequest,
    rows,
    label,
    *,
    empty: str,
    selected: int | None,
    results: str | None = None,
) -> HttpResponse:
    options = [(row.pk, label(row), row.pk == selected) for row in rows]
    return render(
        request,
        "sessions/_series_options.html",
        {"options": options, "empty": empty, "results": results},
    )


def series_client_options(request: HttpRequest) -> HttpResponse:
    require_booking_rights(request.user)
    query = request.GET.get("client_query", "")[:100]
    found = list(
        search_clients(user=request.user, now=timezone.now(), query=query)[
            : CLIENT_SEARCH_SHOWN + 1
        ]
    )
    more = len(found) > CLIENT_SEARCH_SHOWN
    found = found[:CLIENT_SEARCH_SHOWN]
    selected = _pk(request, "client")
    if query.strip() and len(found) == 1:
        selected = found[0].pk  # one match: choose it, as a person would
    if not query.strip():
        results = ""
    elif not found:
        results = "No client matches; check the spelling or register the client."
    else:
        results = (
            f"{_plural(len(found), 'client')} found"
            + (", showing the first ones: type more to narrow" if more else "")
            + "; choose one in the Client list."
        )
    return _options(
        request,
        found,
        client_label,
        empty="Choose a client",
        selected=selected,
        results=results,
    )


def series_therapist_options(request: HttpRequest) -> HttpResponse:
    require_booking_rights(request.user)
    modality_pk = _pk(request, "modality")
    modality = (
        Modality.objects.filter(is_active=True, pk=modality_pk).first()
        if modality_pk
        else None
    )
    return _options(
        request,
        trained_therapists(modality),
        therapist_label,
        empty="Choose a therapist",
        selected=_pk(request, "therapist"),
    )


def series_room_options(request: HttpRequest) -> HttpResponse:
    require_booking_rights(request.user)
    location_pk = _pk(request, "location")
    location = (
        Location.objects.filter(is_active=True, pk=location_pk).first()
        if location_pk
        else None
    )
    return _options(
        request,
        rooms_at(location),
        room_label,
        empty="Choose a room",
        selected=_pk(request, "room"),
    )


urlpatterns = [
    path("series/new/", series_new, name="series_new"),
    path("series/new/clients/", series_client_options, name="series_client_options"),
    path(
        "series/new/therapists/",
        series_therapist_options,
        name="series_therapist_options",
    ),
    path("series/new/rooms/", series_room_options, name="series_room_options"),
]
