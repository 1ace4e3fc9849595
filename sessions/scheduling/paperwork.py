"""Which referral and insurer's authorization a visit falls under, and the warnings
when it falls past their end or beyond the visits they allow.

Booking one visit and booking a whole series ask the same functions: the choice
(`referral_on`, `authorization_on`) and the warnings (`authorization_warnings`) are
pure functions of what `ClientPaperwork` loads once, in two queries, with the
number of visits already booked against each referral and authorization.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from django.db.models import Count, Q

from clients.models import Authorization, Client, Referral
from massageclinic.models import Location
from sessions.models import Appointment

_BLOCKING = ~Q(appointments__status__in=Appointment.NON_BLOCKING_STATUSES)
NEAR_END_DAYS = 14  # a referral or authorization ending this soon gets a note


def referral_on(referrals: Iterable[Referral], on: date) -> Referral | None:
    """The referral a visit on `on` falls under: the latest one written by then."""
    written = [r for r in referrals if r.referred_on <= on]
    return max(written, key=lambda r: (r.referred_on, r.pk), default=None)


def authorization_on(
    authorizations: Iterable[Authorization], on: date
) -> Authorization | None:
    """The authorization covering `on` (the one ending first), else the latest one
    started by then. Only authorizations of active policies count."""
    started = [a for a in authorizations if a.policy.is_active and a.valid_from <= on]
    covering = [a for a in started if a.valid_to >= on]
    if covering:
        return min(covering, key=lambda a: (a.valid_to, a.pk))
    return max(started, key=lambda a: (a.valid_to, a.pk), default=None)


def authorization_warnings(
    *,
    on: date,
    referral: Referral | None,
    authorization: Authorization | None,
    referral_number: int = 0,
    authorization_number: int = 0,
) -> list[str]:
    """Sentences with the numbers when a visit is past expiry or beyond what is
    authorized; `*_number` is the visit's number under each (booked before it + 1)."""
    warnings = []
    if referral is not None:
        if on > referral.expires_on:
            warnings.append(
                f"The referral from {referral.provider.name} expired on "
                f"{referral.expires_on:%d %b %Y}."
            )
        if referral_number > referral.visits_authorized:
            warnings.append(
                f"This would be visit {referral_number} of {referral.visits_authorized} "
                f"prescribed by the referral."
            )
    if authorization is not None:
        if not authorization.valid_from <= on <= authorization.valid_to:
            warnings.append(
                f"Authorization {authorization.number} is valid "
                f"{authorization.valid_from:%d %b} to {authorization.valid_to:%d %b %Y}."
            )
        allowed = authorization.visits_authorized
        if allowed is not None and authorization_number > allowed:
            warnings.append(
                f"This would be visit {authorization_number} of {allowed} "
                f"authorized ({authorization.policy.payer.name}, "
                f"authorization {authorization.number})."
            )
    return warnings


@dataclass
class ClientPaperwork:
    """A client's referrals and active authorizations, each with `booked` (its
    blocking visits), loaded once; then numbers each new visit booked against them."""

    referrals: list[Referral]
    authorizations: list[Authorization]
    _counted: dict[tuple[str, int], int] = field(default_factory=dict)

    @classmethod
    def load(cls, client: Client) -> ClientPaperwork:
        return cls(
            referrals=list(
                client.referrals.select_related("provider").annotate(
                    booked=Count("appointments", filter=_BLOCKING)
                )
            ),
            authorizations=list(
                Authorization.objects.filter(policy__client=client)
                .select_related("policy__payer")
                .annotate(booked=Count("appointments", filter=_BLOCKING))
            ),
        )

    def referral_on(self, on: date) -> Referral | None:
        return referral_on(self.referrals, on)

    def authorization_on(self, on: date) -> Authorization | None:
        return authorization_on(self.authorizations, on)

    def _booked(self, record: Referral | Authorization) -> int:
        loaded: list = (
            self.referrals if isinstance(record, Referral) else self.authorizations
        )
        for known in loaded:
            if known.pk == record.pk:
                return known.booked
        # Not the client's (a caller's mistake the database would not stop): count it.
        return record.appointments.filter(
            ~Q(status__in=Appointment.NON_BLOCKING_STATUSES)
        ).count()

    def next_number(self, record: Referral | Authorization | None) -> int:
        """The number the next visit booked under `record` would have."""
        if record is None:
            return 0
        key = (type(record).__name__, record.pk)
        if key not in self._counted:
            self._counted[key] = self._booked(record)
        self._counted[key] += 1
        return self._counted[key]

    def warnings_for(
        self,
        on: date,
        referral: Referral | None,
        authorization: Authorization | None,
    ) -> list[str]:
        """`authorization_warnings` for the next visit on `on`, counting it booked."""
        return authorization_warnings(
            on=on,
            referral=referral,
            authorization=authorization,
            referral_number=self.next_number(referral),
            authorization_number=self.next_number(authorization),
        )


class BookedVisit(Protocol):
    """What the paperwork notes read of a visit: an Appointment, or a grid's row."""

    @property
    def pk(self) -> int: ...
    @property
    def referral_id(self) -> int | None: ...
    @property
    def authorization_id(self) -> int | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def location(self) -> Location: ...


def paperwork_notes(
    visits: Sequence[BookedVisit], location: Location | None = None
) -> dict[int, list[str]]:
    """Per visit: the referral or authorization near its end or used up (two queries
    in all), read on the visit's local day at `location` (else the visit's own
    location). The day and week grids and Today show these same notes."""
    referral_ids = {v.referral_id for v in visits if v.referral_id}
    auth_ids = {v.authorization_id for v in visits if v.authorization_id}
    # Only what the notes read: a referral's or authorization's end and visits, and
    # the visits booked on it.
    referrals = {
        r.pk: r
        for r in Referral.objects.filter(pk__in=referral_ids)
        .only("expires_on", "visits_authorized")
        .annotate(booked=Count("appointments", filter=_BLOCKING))
    }
    authorizations = {
        a.pk: a
        for a in Authorization.objects.filter(pk__in=auth_ids)
        .only("valid_to", "visits_authorized")
        .annotate(booked=Count("appointments", filter=_BLOCKING))
    }
    notes: dict[int, list[str]] = defaultdict(list)
    for visit in visits:
        zone = (location or visit.location).zone
        day = visit.starts_at.astimezone(zone).date()
        referral = (
            referrals.get(visit.referral_id) if visit.referral_id is not None else None
        )
        if referral is not None:
            if referral.expires_on < day + timedelta(days=NEAR_END_DAYS):
                notes[visit.pk].append(f"referral ends {referral.expires_on:%d %b}")
            if referral.booked >= referral.visits_authorized:
                notes[visit.pk].append(
                    f"{referral.booked} of {referral.visits_authorized} prescribed visits booked"
                )
        auth = (
            authorizations.get(visit.authorization_id)
            if visit.authorization_id is not None
            else None
        )
        if auth is not None:
            if auth.valid_to < day + timedelta(days=NEAR_END_DAYS):
                notes[visit.pk].append(f"authorization ends {auth.valid_to:%d %b}")
            if (
                auth.visits_authorized is not None
                and auth.booked >= auth.visits_authorized
            ):
                notes[visit.pk].append(
                    f"{auth.booked} of {auth.visits_authorized} authorized visits booked"
                )
    return notes
