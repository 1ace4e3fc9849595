"""Day-of-visit screening: six questions before a visit, at the desk or by link.

Fever or feeling unwell, a new injury, a new medication, surgery or a procedure
since the last visit, pregnancy news, a new skin condition. A yes goes through the
clients app's flag services, by the same rules as the chart's (an open flag of the
same condition is updated, never doubled); where no condition fits (an injury, a
medication, a skin change), nothing clinical is invented: the answer becomes a line
"to review before the session" for the therapist. Then the one safety decision
(`clients.safety.modality_safety`) is asked for the visit's technique on its day:
*no massage* reschedules the visit for safety (never a late cancellation, the client
told in the clinic's wording); *not this technique* tells the therapist to change
the technique. Every screening is kept; the latest counts.

The desk checks a client in only through the questions (`screening_check_in`); the
client may answer them from the day before the visit until it starts, through the
signed link in their reminder (`screening_by_link`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import Client, Condition, Contraindication
from clients.safety import SafetyVerdict, modality_safety
from clients.services import (
    RECENT_SURGERY,
    contraindication_add,
    contraindication_update,
    pregnancy_dates,
    surgery_is_recent,
)
from massageclinic.audit import AuditContext, audit_record
from massageclinic.choices import BodyRegion
from massageclinic.clock import local_datetime, local_today
from massageclinic.models import AuditEvent
from sessions.messaging.links import Action, visit_link_visit
from sessions.models import Appointment, AppointmentEvent, VisitScreening
from sessions.models.screening import MAX_PREGNANCY_WEEKS
from sessions.scheduling.arrival import check_in_time_problem
from sessions.scheduling.booking import appointment_cancel, appointment_set_status
from sessions.scheduling.documented import documented_visit_problem

Channel = VisitScreening.Channel
Outcome = VisitScreening.Outcome

# Statuses in which the questions may be answered: the desk also screens a client
# marked no-show who arrives after all, and may screen again after the check-in.
DESK_STATUSES = (
    Appointment.Status.BOOKED,
    Appointment.Status.CONFIRMED,
    Appointment.Status.NO_SHOW,
    Appointment.Status.CHECKED_IN,
)
LINK_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED)
CHECK_IN_FROM = (
    Appointment.Status.BOOKED,
    Appointment.Status.CONFIRMED,
    Appointment.Status.NO_SHOW,
)
SAFETY_REASON_PREFIX = "Rescheduled for safety (day-of-visit screening)"
CHECK_IN_NEEDS_SCREENING = (
    "Ask the day-of-visit health questions first: the check-in page records the "
    "answers and checks the client in."
)


@dataclass(frozen=True)
class ScreeningAnswers:
    """The six answers, with the detail that goes with a yes."""

    unwell: bool = False
    injury: bool = False
    injury_detail: str = ""
    medication: bool = False
    medication_detail: str = ""
    surgery: bool = False
    surgery_detail: str = ""
    surgery_on: date | None = None
    surgery_region: str = ""
    pregnancy: bool = False
    pregnancy_weeks: int | None = None
    skin: bool = False
    skin_detail: str = ""


# --- when the questions may be answered ----------------------------------------------


def visit_day(appointment: Appointment) -> date:
    """The visit's date where it takes place."""
    return appointment.local_starts_at.date()


def screening_opens_at(appointment: Appointment) -> datetime:
    """Midnight at the start of the day before the visit, in the visit's zone."""
    return local_datetime(
        visit_day(appointment) - timedelta(days=1), time(0), appointment.location
    )


def _local_today(appointment: Appointment, now: datetime) -> date:
    return local_today(location=appointment.location, now=now)


def _screening_problem(
    appointment: Appointment, *, channel: str, now: datetime
) -> str | None:
    if documented := documented_visit_problem(appointment):
        return documented
    allowed = LINK_STATUSES if channel == Channel.LINK else DESK_STATUSES
    if appointment.status not in allowed:
        return (
            f"This visit is {appointment.get_status_display().lower()}: there are no "
            "health questions to answer for it."
        )
    if now < screening_opens_at(appointment):
        opens = screening_opens_at(appointment).astimezone(appointment.location.zone)
        return (
            "The health questions open the day before the visit, on "
            f"{opens:%A %d %B}. Ask them then, or at check-in."
        )
    if channel == Channel.LINK and now >= appointment.starts_at:
        return "The visit has begun: the front desk asks the questions at check-in."
    return None


def _check_answers(answers: ScreeningAnswers, today: date) -> None:
    problems = []
    if answers.surgery:
        if answers.surgery_region not in BodyRegion.values:
            problems.append(
                "Say where on the body the surgery or procedure was, so the therapist "
                "knows which area to avoid."
            )
        if answers.surgery_on is None:
            problems.append("Give the date of the surgery or procedure.")
        elif answers.surgery_on > today:
            problems.append(
                "The surgery date is in the future: give the day it took place."
            )
    if answers.pregnancy and (
        answers.pregnancy_weeks is None
        or not 0 <= answers.pregnancy_weeks <= MAX_PREGNANCY_WEEKS
    ):
        problems.append(
            f"Give how many weeks pregnant (0 to {MAX_PREGNANCY_WEEKS}), or your best "
            "guess."
        )
    if problems:
        raise ValidationError(problems)


# --- flags ---------------------------------------------------------------------------


def _author(by: User | None) -> User:
    # The flag services type `by` as a staff user, but a flag's author fields are
    # nullable (None: the client through their own link, as for intake flags).
    return cast(User, by)


def _open_flag(
    client: Client, slug: str, body_region: str | None = None
) -> Contraindication | None:
    """The open flag of this condition to update instead of adding another.

    A cleared flag is not reused: a clearance was given for an earlier episode.
    """
    flags = Contraindication.objects.select_for_update(of=("self",)).filter(
        client=client,
        condition__slug=slug,
        resolved_at__isnull=True,
        cleared_on__isnull=True,
    )
    if body_region is not None:
        flags = flags.filter(body_region=body_region)
    return flags.select_related("condition").order_by("-pk").first()


@dataclass
class _Result:
    lines: list[str]
    raised: bool = False


@dataclass(frozen=True)
class _Who:
    """Whose flags, written by whom, in which audit context."""

    client: Client
    by: User | None
    context: AuditContext


def _flag(
    result: _Result,
    who: _Who,
    *,
    slug: str,
    body_region: str = "",
    match_region: bool = False,
    detail: str = "",
    onset_on: date | None = None,
    recheck_on: date | None = None,
    review_if_missing: str,
) -> None:
    """Add the flag, or update the open one of the same condition (and site)."""
    condition = Condition.objects.filter(slug=slug).first()
    if condition is None:  # a manager removed the condition: a person decides
        result.lines.append(review_if_missing)
        return
    client, by, context = who.client, who.by, who.context
    existing = _open_flag(client, slug, body_region if match_region else None)
    fields: dict[str, object] = {
        "detail": detail[:250],
        "onset_on": onset_on,
        "recheck_on": recheck_on,
    }
    if body_region:
        fields["body_region"] = body_region
    region = f", {BodyRegion(body_region).label.lower()}" if body_region else ""
    if existing is None:
        contraindication_add(
            client=client,
            condition=condition,
            severity=condition.default_severity,
            by=_author(by),
            context=context,
            body_region=body_region,
            detail=detail[:250],
            onset_on=onset_on,
            recheck_on=recheck_on,
        )
        result.lines.append(f"Flag added: {condition.name}{region} ({detail}).")
    else:
        contraindication_update(
            flag=existing, by=_author(by), context=context, **fields
        )
        result.lines.append(f"Flag updated: {condition.name}{region} ({detail}).")
    result.raised = True


def _flags_and_reviews(
    answers: ScreeningAnswers,
    *,
    client: Client,
    today: date,
    by: User | None,
    channel: str,
    context: AuditContext,
) -> _Result:
    result = _Result(lines=[])
    told = "at the desk" if channel == Channel.DESK else "through the client's link"
    who = _Who(client=client, by=by, context=context)
    if answers.unwell:
        _flag(
            result,
            who,
            slug="fever",
            detail=f"fever or feeling unwell, reported {told} on {today:%Y-%m-%d}",
            onset_on=today,
            review_if_missing="Fever or feeling unwell: to review before the session.",
        )
    if answers.injury:
        where = answers.injury_detail.strip() or "where not given"
        result.lines.append(
            f"New injury ({where}): to review before the session; ask what happened "
            "and look at the area before working near it."
        )
    if answers.medication:
        which = answers.medication_detail.strip() or "name not given"
        result.lines.append(
            f"New medication ({which}): to review before the session. It could be "
            "an anticoagulant (blood thinner): if it is, add that flag on the chart "
            "so the safety rules apply."
        )
    if answers.surgery:
        _surgery(answers, result, who, today=today)
    if answers.pregnancy and answers.pregnancy_weeks is not None:
        weeks = answers.pregnancy_weeks
        onset, due = pregnancy_dates(weeks, today)  # as the intake derives them
        _flag(
            result,
            who,
            slug="pregnancy",
            detail=f"{weeks} weeks on {today:%Y-%m-%d}",
            onset_on=onset,
            recheck_on=due,
            review_if_missing=f"Pregnancy, {weeks} weeks: to review before the session.",
        )
    if answers.skin:
        where = answers.skin_detail.strip() or "where not given"
        result.lines.append(
            f"New skin condition ({where}): to review before the session; look at "
            "it first, and if it is fragile skin or an infection, add that flag on "
            "the chart."
        )
    return result


def _surgery(
    answers: ScreeningAnswers, result: _Result, who: _Who, *, today: date
) -> None:
    when = answers.surgery_on
    assert when is not None  # checked by _check_answers
    region = answers.surgery_region
    what = answers.surgery_detail.strip() or "surgery or procedure"
    site = BodyRegion(region).label.lower()
    if not surgery_is_recent(when, today):  # the intake's rule
        result.lines.append(
            f"{what.capitalize()} on {when:%d %b %Y} ({site}), more than six weeks "
            "ago: to review before the session."
        )
        return
    _flag(
        result,
        who,
        slug="recent-surgery",
        body_region=region,
        match_region=True,
        detail=what,
        onset_on=when,
        recheck_on=when + RECENT_SURGERY,
        review_if_missing=f"{what.capitalize()} on {when:%d %b %Y} ({site}): to "
        "review before the session.",
    )


# --- the safety decision ---------------------------------------------------------------


def _why(verdict: SafetyVerdict) -> str:
    return "; ".join(c.text for c in verdict.concerns if c.outcome == verdict.outcome)


def _client_reason(answers: ScreeningAnswers) -> str:
    """The reason as an email may carry it: no clinical detail (DESIGN.md section 7),
    only that the answers or a clearance stand in the way."""
    if answers.unwell:
        return "your answers to today's health questions mean massage should wait"
    return "a physician's clearance is needed before your next massage"


# --- recording ---------------------------------------------------------------------------


@transaction.atomic
def screening_record(
    *,
    appointment: Appointment,
    answers: ScreeningAnswers,
    by: User | None,
    channel: str,
    now: datetime,
    context: AuditContext,
) -> VisitScreening:
    """Record the answers, raise the flags they call for, and ask the safety decision.

    `by` is None when the client answers through their link. A *no massage* verdict
    reschedules the visit for safety (cancelled, never late-cancelled; the client
    gets the clinic's message); *not this technique* is a line for the therapist.
    """
    if (channel == Channel.LINK) != (by is None):
        raise ValueError("The link is the client's (by=None); the desk is staff's.")
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client", "location", "modality")
        .get(pk=appointment.pk)
    )
    if problem := _screening_problem(appointment, channel=channel, now=now):
        raise ValidationError(problem)
    today = _local_today(appointment, now)
    _check_answers(answers, today)
    client = appointment.client
    result = _flags_and_reviews(
        answers, client=client, today=today, by=by, channel=channel, context=context
    )
    verdict = modality_safety(
        client=client, modality=appointment.modality, on=visit_day(appointment)
    )
    outcome = Outcome.FLAGS_RAISED if result.lines else Outcome.CLEAR
    client_reason = ""
    if verdict.no_massage:
        outcome = Outcome.RESCHEDULED
        client_reason = _client_reason(answers)
        result.lines.append(
            f"Rescheduled for safety: no massage until a physician clears it: "
            f"{_why(verdict)}."
        )
    elif verdict.blocked:
        outcome = Outcome.FLAGS_RAISED
        result.lines.append(
            f"{appointment.modality.name} is now ruled out: change the technique "
            f"before the session ({_why(verdict)})."
        )
    screening = VisitScreening.objects.create(
        appointment=appointment,
        client=client,
        answered_at=now,
        answered_by=by,
        channel=channel,
        unwell=answers.unwell,
        injury=answers.injury,
        injury_detail=answers.injury_detail.strip()[:250] if answers.injury else "",
        medication=answers.medication,
        medication_detail=(
            answers.medication_detail.strip()[:250] if answers.medication else ""
        ),
        surgery=answers.surgery,
        surgery_detail=answers.surgery_detail.strip()[:250] if answers.surgery else "",
        surgery_on=answers.surgery_on if answers.surgery else None,
        surgery_region=answers.surgery_region if answers.surgery else "",
        pregnancy=answers.pregnancy,
        pregnancy_weeks=answers.pregnancy_weeks if answers.pregnancy else None,
        skin=answers.skin,
        skin_detail=answers.skin_detail.strip()[:250] if answers.skin else "",
        outcome=outcome,
        summary="\n".join(result.lines),
        client_reason=client_reason,
    )
    told = "at the desk" if channel == Channel.DESK else "by the client's link"
    AppointmentEvent.objects.create(
        appointment=appointment,
        at=now,
        by=by,
        kind=AppointmentEvent.Kind.SCREENED,
        summary=f"Health questions answered {told}: {screening.get_outcome_display()}",
        details={"screening": screening.pk},
    )
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        screening,
        client_id=client.pk,
        summary=f"Day-of-visit screening {told}: {screening.get_outcome_display()}",
    )
    if outcome == Outcome.RESCHEDULED:
        appointment_cancel(
            appointment=appointment,
            by=by,
            reason=f"{SAFETY_REASON_PREFIX}: {_why(verdict)}",
            now=now,
            for_safety=True,
        )
    return screening


@transaction.atomic
def screening_check_in(
    *,
    appointment: Appointment,
    answers: ScreeningAnswers,
    by: User,
    now: datetime,
    context: AuditContext,
) -> VisitScreening:
    """The desk's check-in: the answers first, then the check-in, unless the
    answers rescheduled the visit for safety. Either both happen or neither."""
    if appointment.status in CHECK_IN_FROM and (
        too_early := check_in_time_problem(appointment, now)
    ):
        raise ValidationError(too_early, code="too_early")
    screening = screening_record(
        appointment=appointment,
        answers=answers,
        by=by,
        channel=Channel.DESK,
        now=now,
        context=context,
    )
    if screening.outcome != Outcome.RESCHEDULED:
        current = Appointment.objects.only("status").get(pk=appointment.pk)
        if current.status in CHECK_IN_FROM:
            appointment_set_status(
                appointment=appointment,
                status=Appointment.Status.CHECKED_IN,
                by=by,
                now=now,
            )
    return screening


def check_in_problem(appointment: Appointment) -> str | None:
    """Why the plain status button may not check this visit in: a check-in goes
    through the health questions (`screening_check_in`); only a visit the desk has
    screened since the questions opened (say, a check-in undone by mistake) may be
    checked in again without them."""
    screened = appointment.screenings.filter(
        channel=Channel.DESK, answered_at__gte=screening_opens_at(appointment)
    ).exclude(outcome=Outcome.RESCHEDULED)
    return None if screened.exists() else CHECK_IN_NEEDS_SCREENING


# --- the client's link -------------------------------------------------------------------


class LinkState(StrEnum):
    ASK = "ask"  # show the questions
    NOT_YET = "not_yet"  # before the day before the visit
    USED = "used"  # the client answered through the link already
    CLOSED = "closed"  # checked in, completed, no-show, documented
    CANCELLED = "cancelled"


@dataclass
class LinkScreening:
    state: LinkState
    appointment: Appointment
    screening: VisitScreening | None = None
    recorded: bool = False  # this use recorded the answers


def _link_state(appointment: Appointment, now: datetime) -> LinkScreening:
    latest = latest_screening(appointment, channel=Channel.LINK)
    if latest is not None:
        return LinkScreening(LinkState.USED, appointment, latest)
    if appointment.status in Appointment.NON_BLOCKING_STATUSES:
        return LinkScreening(LinkState.CANCELLED, appointment)
    if appointment.status not in LINK_STATUSES or documented_visit_problem(appointment):
        return LinkScreening(LinkState.CLOSED, appointment)
    if now < screening_opens_at(appointment):
        return LinkScreening(LinkState.NOT_YET, appointment)
    return LinkScreening(LinkState.ASK, appointment)


def screening_link_is_open(appointment: Appointment, now: datetime) -> bool:
    """Whether the client may answer through their link now (for other link pages)."""
    return (
        now < appointment.starts_at
        and _link_state(appointment, now).state == LinkState.ASK
    )


def screening_link_open(*, token: str, now: datetime) -> LinkScreening:
    """What the link's page shows, without changing anything (VisitLinkError when
    the link is not valid or the visit has begun)."""
    return _link_state(visit_link_visit(token, Action.SCREEN, now), now)


@transaction.atomic
def screening_by_link(
    *, token: str, answers: ScreeningAnswers, now: datetime, context: AuditContext
) -> LinkScreening:
    """The client's answers through their link: recorded once (by None, channel
    link); a used link, or one whose visit is closed, changes nothing."""
    appointment = visit_link_visit(token, Action.SCREEN, now, for_update=True)
    state = _link_state(appointment, now)
    if state.state != LinkState.ASK:
        return state
    # The client answers, not whoever may be signed in on this browser.
    context = replace(context, user=None)
    screening = screening_record(
        appointment=appointment,
        answers=answers,
        by=None,
        channel=Channel.LINK,
        now=now,
        context=context,
    )
    appointment.refresh_from_db()
    return LinkScreening(LinkState.USED, appointment, screening, recorded=True)


# --- reads -------------------------------------------------------------------------------


def latest_screening(
    appointment: Appointment, *, channel: str | None = None
) -> VisitScreening | None:
    """The screening that counts for a visit: the latest one (of `channel`)."""
    screenings = appointment.screenings.select_related("answered_by")
    if channel is not None:
        screenings = screenings.filter(channel=channel)
    return screenings.order_by("-answered_at", "-pk").first()


def screenings_for_client(client: Client) -> list[VisitScreening]:
    """Every screening on the client's chart, newest first (one query)."""
    return list(
        VisitScreening.objects.filter(client=client)
        .select_related("appointment__location", "appointment__modality", "answered_by")
        .order_by("-answered_at", "-pk")
    )
