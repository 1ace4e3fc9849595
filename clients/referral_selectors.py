"""Reads for referrals and authorizations, with the usage derived from signed notes.

Used visits and units are never typed in: a visit counts once its note is signed, and
its units come from the note's timed technique minutes by CPT code, under the payer's
billing-unit rule (or the clinic's). `visits_billing` is the one place that decides a
visit's payer and units; the note page and the superbill call it too. Visits and notes live in the sessions app, which
sits above this one, so they are read here only through reverse relations
(`appointments__note__...`). Every function reads a whole page in a fixed number of
queries, however many rows it shows. The `*_for_reading` / `*_for_download` /
`*_for_editing` functions take the reader's `AuditContext` and write the VIEW or
DOWNLOAD row themselves, so every read of these records is audited the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypedDict, cast
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import FileResponse

from clients.models import (
    Authorization,
    Client,
    InsurancePolicy,
    Payer,
    Referral,
)
from clients.uploads import document_response
from massageclinic.audit import AuditContext, audit_record
from massageclinic.billing import TechniqueMinutes, VisitUnits, visit_units
from massageclinic.choices import BodyRegion
from massageclinic.clock import local_date
from massageclinic.models import AuditEvent, clinic_policy

if TYPE_CHECKING:
    # Only a type: WithAnnotations[Model, TypedDict] cannot be built at run time.
    from django_stubs_ext import WithAnnotations

WARN_USED_FRACTION = 0.8
WARN_EXPIRY_DAYS = 14

# Names of the diagnoses common in massage referrals (DESIGN.md section 7), shown
# beside a code; any other well-formed code is shown on its own.
COMMON_DIAGNOSES = {
    "M54.50": "Low back pain",
    "M54.2": "Cervicalgia",
    "M79.18": "Myalgia, other site",
    "M62.830": "Muscle spasm of back",
    "G44.209": "Tension-type headache",
    "G43.909": "Migraine",
    "M75.01": "Adhesive capsulitis, right shoulder",
    "M75.02": "Adhesive capsulitis, left shoulder",
    "S13.4XXA": "Whiplash (cervical sprain), initial encounter",
    "M79.7": "Fibromyalgia",
    "G56.01": "Carpal tunnel syndrome, right",
    "G56.02": "Carpal tunnel syndrome, left",
    "M26.609": "Temporomandibular joint disorder",
    "M17.11": "Osteoarthritis of knee, right",
    "M17.12": "Osteoarthritis of knee, left",
}

_SIGNED = Q(appointments__note__signed_at__isnull=False)


@dataclass(frozen=True)
class Usage:
    """Used out of authorized, for a bar."""

    used: int
    authorized: int

    @property
    def fraction(self) -> float:
        return self.used / self.authorized if self.authorized else 1.0

    @property
    def percent(self) -> int:
        """Width of the bar: 0-100, however far over the count is."""
        return min(100, round(self.fraction * 100))

    @property
    def remaining(self) -> int:
        return max(0, self.authorized - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.authorized

    @property
    def near_limit(self) -> bool:
        """At 80 % or more, not yet all used."""
        return not self.exhausted and self.fraction >= WARN_USED_FRACTION

    @property
    def level(self) -> str:
        """Bootstrap colour of the bar."""
        if self.exhausted:
            return "danger"
        return "warning" if self.near_limit else "success"


@dataclass(frozen=True)
class Diagnosis:
    code: str
    name: str


def _days_phrase(days: int) -> str:
    if days < 0:
        return "expired"
    if days == 0:
        return "expires today"
    return f"expires in {days} day{'s' if days != 1 else ''}"


def _expiry_warning(days: int) -> str:
    if days < 0:
        return ""
    if days <= WARN_EXPIRY_DAYS:
        return _days_phrase(days).capitalize() + "."
    return ""


@dataclass
class AuthorizationStatus:
    authorization: Authorization
    today: date
    visits: Usage | None
    units: Usage | None

    @property
    def days_left(self) -> int:
        return (self.authorization.valid_to - self.today).days

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def not_started(self) -> bool:
        return self.authorization.valid_from > self.today

    @property
    def expiry_phrase(self) -> str:
        return _days_phrase(self.days_left)

    @property
    def expiring_soon(self) -> bool:
        return 0 <= self.days_left <= WARN_EXPIRY_DAYS

    @property
    def usages(self) -> list[tuple[str, Usage]]:
        return [
            (n, u) for n, u in (("visits", self.visits), ("units", self.units)) if u
        ]

    @property
    def exhausted(self) -> bool:
        return any(u.exhausted for _, u in self.usages)

    @property
    def near_limit(self) -> bool:
        return any(u.near_limit for _, u in self.usages)

    @property
    def warnings(self) -> list[str]:
        if self.expired:
            return []
        found = []
        for name, usage in self.usages:
            if usage.exhausted:
                found.append(
                    f"All {usage.authorized} authorized {name} are used: ask the payer "
                    "for more before the next visit."
                )
            elif usage.near_limit:
                found.append(
                    f"{usage.used} of {usage.authorized} authorized {name} used "
                    f"({usage.percent}%): {usage.remaining} left."
                )
        expiry = _expiry_warning(self.days_left)
        if expiry:
            found.append(expiry)
        return found

    @property
    def needs_attention(self) -> bool:
        return bool(self.warnings)


@dataclass
class ReferralStatus:
    referral: Referral
    today: date
    visits: Usage
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def period_ends_on(self) -> date:
        return self.referral.referred_on + timedelta(weeks=self.referral.duration_weeks)

    @property
    def days_left(self) -> int:
        return (self.referral.expires_on - self.today).days

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def expiry_phrase(self) -> str:
        return _days_phrase(self.days_left)

    @property
    def expiring_soon(self) -> bool:
        return 0 <= self.days_left <= WARN_EXPIRY_DAYS

    @property
    def body_area_names(self) -> list[str]:
        labels = dict(BodyRegion.choices)
        return [labels.get(area, area) for area in self.referral.body_areas]

    @property
    def progress_report_due(self) -> bool:
        """The prescribed round is over: by the calendar or by the visit count."""
        return self.today >= self.period_ends_on or self.visits.exhausted

    @property
    def progress_report_reason(self) -> str:
        if self.visits.exhausted:
            return (
                f"all {self.visits.authorized} prescribed visits are done; send the "
                "referring provider a progress report"
            )
        return (
            f"the prescribed {self.referral.duration_weeks} weeks ended on "
            f"{self.period_ends_on:%b %-d, %Y}; send the referring provider a "
            "progress report"
        )

    @property
    def warnings(self) -> list[str]:
        found = []
        if self.visits.near_limit:
            found.append(
                f"{self.visits.used} of {self.visits.authorized} prescribed visits "
                f"used: {self.visits.remaining} left."
            )
        if not self.expired:
            expiry = _expiry_warning(self.days_left)
            if expiry:
                found.append(expiry)
        return found


# --- Billing: which payer, and how many units ---------------------------------------


@dataclass(frozen=True)
class BillableVisit:
    """A visit to bill, as plain data (sessions sits above this app).

    `day` is the visit's local date (its location's zone); `authorization` has its
    policy and payer loaded.
    """

    key: int
    client_id: int
    day: date
    authorization: Authorization | None
    techniques: list[TechniqueMinutes]


@dataclass(frozen=True)
class VisitBill:
    """Whom a visit is billed to, and its units under that payer's rule."""

    policy: InsurancePolicy | None
    units: VisitUnits

    @property
    def payer(self) -> Payer | None:
        return self.policy.payer if self.policy is not None else None


def _policy_on(
    policies: Sequence[InsurancePolicy], day: date
) -> InsurancePolicy | None:
    """The client's active policy on `day`: the one with an authorization covering
    it, else the first (by payer name). Policies themselves carry no dates."""
    for policy in policies:
        if any(a.valid_from <= day <= a.valid_to for a in policy.authorizations.all()):
            return policy
    return policies[0] if policies else None


def visits_billing(visits: Sequence[BillableVisit]) -> dict[int, VisitBill]:
    """The one billing decision, for the note, the superbill and the tally alike.

    Each visit's payer: its authorization's, else the client's active insurance
    policy on the visit's local date, else none (the clinic's rule). Then its timed
    minutes by CPT code under the payer's rule (or the clinic's when the payer has
    none), leaving out the codes the payer refuses. At most three queries, however
    many visits: the active policies of clients with unauthorized visits (two, with
    their authorizations) and the clinic's policy.
    """
    unauthorized = {v.client_id for v in visits if v.authorization is None}
    policies: dict[int, list[InsurancePolicy]] = defaultdict(list)
    if unauthorized:
        for insurance in (
            InsurancePolicy.objects.filter(client_id__in=unauthorized, is_active=True)
            .select_related("payer")
            .prefetch_related("authorizations")
            .order_by("payer__name", "pk")
        ):
            policies[insurance.client_id].append(insurance)
    clinic_rule = ""
    bills: dict[int, VisitBill] = {}
    for visit in visits:
        if visit.authorization is not None:
            policy: InsurancePolicy | None = visit.authorization.policy
        else:
            policy = _policy_on(policies[visit.client_id], visit.day)
        payer = policy.payer if policy is not None else None
        rule = payer.billing_unit_rule if payer is not None else ""
        if not rule:
            clinic_rule = clinic_rule or clinic_policy().billing_unit_rule
            rule = clinic_rule
        refused = payer.refused_cpt_codes if payer is not None else ()
        bills[visit.key] = VisitBill(
            policy=policy,
            units=visit_units(visit.techniques, rule=rule, refused=refused),
        )
    return bills


# --- Usage ------------------------------------------------------------------------


class UsedVisits(TypedDict):
    """The `used_visits` annotation: visits with a signed note."""

    used_visits: int


def with_used_visits(
    authorizations: QuerySet[Authorization],
) -> QuerySet[WithAnnotations[Authorization, UsedVisits]]:
    return authorizations.annotate(
        used_visits=Count("appointments", filter=_SIGNED, distinct=True)
    )


def units_used_by_authorization(
    authorizations: Sequence[Authorization],
) -> dict[int, int]:
    """Billing units of the signed notes of each authorization's visits: one query.

    Each visit is billed by `visits_billing`, as on its note and on the superbill.
    """
    if not authorizations:
        return {}
    by_id = {a.pk: a for a in authorizations}
    technique = "appointments__note__techniques"
    # One filter() call, so the values below are read over these very joins.
    rows = (
        Authorization.objects.filter(
            pk__in=by_id,
            appointments__note__signed_at__isnull=False,
            **{f"{technique}__isnull": False},
        )
        .values(
            auth_id=F("pk"),
            visit_id=F("appointments"),
            client_id=F("appointments__client"),
            starts_at=F("appointments__starts_at"),
            time_zone=F("appointments__location__time_zone"),
            code=F(f"{technique}__modality__cpt_code"),
            timed=F(f"{technique}__modality__is_timed"),
            name=F(f"{technique}__modality__name"),
            minutes=F(f"{technique}__minutes"),
        )
        .order_by("appointments", f"{technique}__pk")
    )
    visits: dict[int, BillableVisit] = {}
    authorization_of: dict[int, int] = {}
    for row in rows:
        visit = visits.get(row["visit_id"])
        if visit is None:
            authorization_of[row["visit_id"]] = row["auth_id"]
            day = local_date(row["starts_at"], ZoneInfo(row["time_zone"]))
            visit = visits[row["visit_id"]] = BillableVisit(
                key=row["visit_id"],
                client_id=row["client_id"],
                day=day,
                authorization=by_id[row["auth_id"]],
                techniques=[],
            )
        visit.techniques.append(
            TechniqueMinutes(row["code"], row["minutes"], row["timed"], row["name"])
        )
    units: dict[int, int] = defaultdict(int)
    for visit_id, bill in visits_billing(list(visits.values())).items():
        units[authorization_of[visit_id]] += bill.units.total_units
    return dict(units)


def authorization_statuses(
    authorizations: Iterable[WithAnnotations[Authorization, UsedVisits]], *, today: date
) -> list[AuthorizationStatus]:
    """Statuses of authorizations annotated by `with_used_visits`, with payer loaded."""
    authorizations = list(authorizations)
    units = units_used_by_authorization(authorizations)
    return [
        AuthorizationStatus(
            authorization=auth,
            today=today,
            visits=(
                Usage(auth.used_visits, auth.visits_authorized)
                if auth.visits_authorized is not None
                else None
            ),
            units=(
                Usage(units.get(auth.pk, 0), auth.units_authorized)
                if auth.units_authorized is not None
                else None
            ),
        )
        for auth in authorizations
    ]


# --- Pages ------------------------------------------------------------------------


@dataclass
class PolicyWithAuthorizations:
    policy: InsurancePolicy
    authorizations: list[AuthorizationStatus]


@dataclass
class ClientReferrals:
    referrals: list[ReferralStatus]
    policies: list[PolicyWithAuthorizations]

    @property
    def authorization_count(self) -> int:
        return sum(len(p.authorizations) for p in self.policies)


def referral_statuses(
    referrals: Iterable[WithAnnotations[Referral, UsedVisits]], *, today: date
) -> list[ReferralStatus]:
    """For referrals annotated with `used_visits` (see `client_referrals`)."""
    return [
        ReferralStatus(
            referral=referral,
            today=today,
            visits=Usage(referral.used_visits, referral.visits_authorized),
            diagnoses=[
                Diagnosis(code, COMMON_DIAGNOSES.get(code, ""))
                for code in referral.diagnosis_codes
            ],
        )
        for referral in referrals
    ]


def client_referrals(*, client: Client, today: date) -> ClientReferrals:
    """Everything the referrals tab of the chart shows, in a fixed number of queries."""
    referrals = (
        Referral.objects.filter(client=client)
        .select_related("provider")
        .prefetch_related("prescribed_modalities")
        .annotate(used_visits=Count("appointments", filter=_SIGNED, distinct=True))
        .order_by("-referred_on", "-pk")
    )
    authorizations = with_used_visits(
        Authorization.objects.select_related("referral", "policy__payer")
    ).order_by("-valid_to", "-pk")
    policies = list(
        InsurancePolicy.objects.filter(client=client)
        .select_related("payer")
        .prefetch_related(Prefetch("authorizations", queryset=authorizations))
        .order_by("-is_active", "payer__name", "pk")
    )
    # Prefetched through the annotated queryset above, so each carries `used_visits`;
    # the reverse manager's type cannot say so.
    all_authorizations = [
        cast("WithAnnotations[Authorization, UsedVisits]", a)
        for p in policies
        for a in p.authorizations.all()
    ]
    statuses = {
        s.authorization.pk: s
        for s in authorization_statuses(all_authorizations, today=today)
    }
    return ClientReferrals(
        referrals=referral_statuses(referrals, today=today),
        policies=[
            PolicyWithAuthorizations(
                policy=policy,
                authorizations=[statuses[a.pk] for a in policy.authorizations.all()],
            )
            for policy in policies
        ],
    )


SORTS = {
    "expiry": ("valid_to", "policy__client__last_name", "pk"),
    "client": (
        "policy__client__last_name",
        "policy__client__first_name",
        "valid_to",
        "pk",
    ),
    "payer": ("policy__payer__name", "valid_to", "pk"),
}


def active_authorizations(
    *, today: date, sort: str = "expiry", needs_attention: bool = False
) -> list[AuthorizationStatus]:
    """Authorizations still valid today (or later) across clients: the desk's list."""
    queryset = with_used_visits(
        Authorization.objects.filter(valid_to__gte=today).select_related(
            "policy__client", "policy__payer", "referral"
        )
    ).order_by(*SORTS.get(sort, SORTS["expiry"]))
    statuses = authorization_statuses(queryset, today=today)
    if needs_attention:
        statuses = [s for s in statuses if s.needs_attention]
    return statuses


# --- Reads of health data: each records that it was read -------------------------------


def client_referrals_for_reading(
    *, client: Client, today: date, context: AuditContext
) -> ClientReferrals:
    """The referrals tab (see `client_referrals`); records that it was read."""
    data = client_referrals(client=client, today=today)
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        client,
        client_id=client.pk,
        summary=f"Referrals and authorizations: {len(data.referrals)} referrals, "
        f"{data.authorization_count} authorizations",
    )
    return data


def referral_document_for_download(
    referral: Referral, *, context: AuditContext
) -> FileResponse:
    """The scanned prescription, served inline; records the download."""
    response = document_response(
        referral.document,
        filename_stem=f"referral-{referral.pk}-{referral.referred_on:%Y-%m-%d}",
    )
    audit_record(
        context,
        AuditEvent.Action.DOWNLOAD,
        referral,
        client_id=referral.client_id,
        summary="Scanned prescription",
    )
    return response


def referral_for_editing(referral: Referral, *, context: AuditContext) -> Referral:
    """A referral whose details fill the edit form; records that it was read."""
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        referral,
        client_id=referral.client_id,
        summary="Referral opened for editing",
    )
    return referral


def authorization_for_editing(
    authorization: Authorization, *, context: AuditContext
) -> Authorization:
    """An authorization whose details fill the edit form; records that it was read."""
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        authorization,
        client_id=authorization.policy.client_id,
        summary="Authorization opened for editing",
    )
    return authorization


def insurance_policy_for_editing(
    policy: InsurancePolicy, *, context: AuditContext
) -> InsurancePolicy:
    """A policy whose details fill the edit form; records that it was read."""
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        policy,
        client_id=policy.client_id,
        summary="Insurance policy opened for editing",
    )
    return policy


def policy_authorizations_in_force(*, policy: InsurancePolicy, today: date) -> int:
    """How many of the policy's authorizations have not expired by `today`."""
    return policy.authorizations.filter(valid_to__gte=today).count()


def active_authorizations_for_reading(
    *,
    today: date,
    context: AuditContext,
    sort: str = "expiry",
    needs_attention: bool = False,
) -> list[AuthorizationStatus]:
    """The desk's list (see `active_authorizations`); records that it was read."""
    rows = active_authorizations(
        today=today, sort=sort, needs_attention=needs_attention
    )
    # Across clients: the row names no client and no single record.
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        Authorization(),
        client_id=None,
        summary=f"List of active authorizations ({len(rows)} shown)",
    )
    return rows
