"""The superbill: a client's signed visits as CPT lines with units, for the insurer.

Every visit is billed under its own payer's rule (`clients.referral_selectors.
visits_billing`), the same decision the note page and the authorization tally use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet

from clients.models import Client, InsurancePolicy
from clients.referral_selectors import COMMON_DIAGNOSES, VisitBill, visits_billing
from massageclinic.models import BillingUnitRule, Location, clinic_policy
from sessions.models import (
    Appointment,
    NoteTechnique,
    SessionNote,
)
from sessions.treatment.billing import billable_visit
from therapists.models import Therapist


@dataclass(frozen=True)
class BillLine:
    """One CPT code on one date of service."""

    day: date
    cpt_code: str
    units: int
    minutes: int
    techniques: str
    therapist: Therapist


@dataclass
class Superbill:
    client: Client
    clinic_name: str
    location: Location | None
    lines: list[BillLine]
    therapists: list[Therapist]
    diagnoses: list[tuple[str, str]]
    policy: InsurancePolicy | None
    authorization_numbers: list[str]
    rule_label: str
    not_billed: list[str]
    days: list[date]
    period: tuple[date, date] | None = None
    refusing_payers: list[str] = field(default_factory=list)

    @property
    def total_units(self) -> int:
        return sum(line.units for line in self.lines)

    @property
    def visit_count(self) -> int:
        return len(self.days)


def _superbill_notes(client: Client) -> QuerySet[SessionNote]:
    return (
        SessionNote.objects.filter(appointment__client=client, signed_at__isnull=False)
        .select_related(
            "appointment__location",
            "appointment__referral",
            "appointment__plan__referral",
            "appointment__authorization__policy__payer",
            "therapist__user",
        )
        .prefetch_related(
            Prefetch(
                "techniques", queryset=NoteTechnique.objects.select_related("modality")
            )
        )
        .order_by("appointment__starts_at", "pk")
    )


def _bill_policy(client: Client, bills: Sequence[VisitBill]) -> InsurancePolicy | None:
    """The policy in the bill's header: the first visit's payer, else the client's."""
    for bill in bills:
        if bill.policy is not None:
            return bill.policy
    if bills:
        return None
    return (
        client.insurance_policies.filter(is_active=True)
        .select_related("payer")
        .order_by("payer__name", "pk")
        .first()
    )


def _rule_label(bills: Sequence[VisitBill], policy: InsurancePolicy | None) -> str:
    """The rule the units follow; each payer's when the visits' payers differ."""
    if not bills:
        rule = (policy.payer.billing_unit_rule if policy else "") or (
            clinic_policy().billing_unit_rule
        )
        return BillingUnitRule(rule).label
    by_payer: dict[str, str] = {}
    for bill in bills:
        name = bill.payer.name if bill.payer else "visits without insurance"
        by_payer.setdefault(name, BillingUnitRule(bill.units.rule).label)
    rules = set(by_payer.values())
    if len(rules) == 1:
        return rules.pop()
    return "; ".join(f"{label} for {name}" for name, label in by_payer.items())


def superbill(
    *,
    client: Client,
    visit: Appointment | None = None,
    period: tuple[date, date] | None = None,
) -> Superbill:
    """CPT codes and units of the client's signed visits: one visit, or a period.

    Each visit is billed by `visits_billing`, as its note and its authorization's
    tally are: its own payer's rule (else the clinic's) over its timed minutes by
    code; untimed codes (97010) and unsigned notes count for nothing. Codes a
    visit's payer refuses from massage therapists are left off and named.
    """
    queryset = _superbill_notes(client)
    if visit is not None:
        queryset = queryset.filter(appointment=visit)
    elif period is not None:
        # A day's margin on each side: the exact cut is by each visit's local date.
        start, end = period
        queryset = queryset.filter(
            appointment__starts_at__date__gte=start - timedelta(days=1),
            appointment__starts_at__date__lte=end + timedelta(days=1),
        )
    notes = [
        n
        for n in queryset
        if period is None
        or period[0] <= n.appointment.local_starts_at.date() <= period[1]
    ]
    bills = visits_billing(
        [
            billable_visit(
                n.appointment, [(t.modality, t.minutes) for t in n.techniques.all()]
            )
            for n in notes
        ]
    )
    ordered = [bills[n.appointment_id] for n in notes]
    authorizations = [
        n.appointment.authorization for n in notes if n.appointment.authorization
    ]
    policy = _bill_policy(client, ordered)
    lines: list[BillLine] = []
    not_billed: set[str] = set()
    refusing: dict[str, None] = {}
    therapists: dict[int, Therapist] = {}
    codes: dict[str, None] = {}
    for note, bill in zip(notes, ordered, strict=True):
        therapists.setdefault(note.therapist_id, note.therapist)
        appointment = note.appointment
        for referral in (
            appointment.referral,
            getattr(appointment.plan, "referral", None),
        ):
            if referral is not None:
                codes.update(dict.fromkeys(referral.diagnosis_codes))
        if appointment.plan is not None:
            codes.update(dict.fromkeys(appointment.plan.problems))
        if bill.units.refused and bill.payer is not None:
            not_billed.update(bill.units.refused)
            refusing[bill.payer.name] = None
        names: dict[str, list[str]] = defaultdict(list)
        for technique in note.techniques.all():
            if technique.modality.is_timed:
                names[technique.modality.cpt_code].append(technique.modality.name)
        day = appointment.local_starts_at.date()
        for code, units in sorted(bill.units.units.items()):
            lines.append(
                BillLine(
                    day=day,
                    cpt_code=code,
                    units=units,
                    minutes=bill.units.minutes_by_code[code],
                    techniques=", ".join(names[code]),
                    therapist=note.therapist,
                )
            )
    if not codes:
        latest = client.referrals.order_by("-referred_on", "-pk").first()
        if latest is not None:
            codes.update(dict.fromkeys(latest.diagnosis_codes))
    return Superbill(
        client=client,
        clinic_name=clinic_policy().clinic_name,
        location=notes[0].appointment.location if notes else None,
        lines=lines,
        therapists=list(therapists.values()),
        diagnoses=[(c, COMMON_DIAGNOSES.get(c, "")) for c in codes],
        policy=policy,
        authorization_numbers=list(dict.fromkeys(a.number for a in authorizations)),
        rule_label=_rule_label(ordered, policy),
        not_billed=sorted(not_billed),
        refusing_payers=list(refusing),
        days=[n.appointment.local_starts_at.date() for n in notes],
        period=period,
    )
