"""The contraindication engine: is this technique, on this client, on this date, safe?

`modality_safety()` is the one answer that booking, the series preview, the move,
the openings search, the waitlist and the SOAP note all use. It has four outcomes:

- *safe*;
- *safe with a modification*: lighter pressure, an area to avoid, positioning, a
  physician's clearance with its conditions, or a therapist's modification plan;
- *not this technique*: a rule rules the technique out for this client (or, when an
  area or a pressure is asked, that area or that pressure);
- *no massage*: an absolute flag without a physician's clearance in force.

Rules apply by technique, by area, by pressure and by weeks since the flag's onset
(pregnancy by trimester, surgery by weeks). A therapist's modification plan in force
turns *not this technique* into *safe with a modification*; only a clearance lifts
*no massage*, and a cleared condition still speaks: never plain *safe*.
`client_alerts()` gives the headlines shown on the chart and on calendar blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import IntEnum

from django.db.models import (
    Prefetch,
    Q,
)

from clients.models import (
    Client,
    Contraindication,
    ContraindicationRule,
    ModificationPlan,
    RuleAction,
    Severity,
)
from massageclinic.choices import BodyRegion, Pressure
from massageclinic.clock import Where, clinic_zone_name, local_date, zone_named
from massageclinic.reference import Reference, reference, reference_part
from therapists.models import Modality, Therapist

PRESSURE_ORDER = list(Pressure.values)  # light, moderate, firm, deep


class Outcome(IntEnum):
    """The four answers, from the mildest to the strictest."""

    SAFE = 0
    MODIFY = 1
    NOT_THIS_TECHNIQUE = 2
    NO_MASSAGE = 3

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.SAFE: "safe",
    Outcome.MODIFY: "safe with a modification",
    Outcome.NOT_THIS_TECHNIQUE: "not this technique",
    Outcome.NO_MASSAGE: "no massage",
}


@dataclass(frozen=True)
class Concern:
    """One reason why a technique needs care (or is ruled out) for a client."""

    flag: Contraindication
    headline: str
    outcome: Outcome
    needs_recheck: bool
    detail: str = ""  # the modification: pressure, positioning, area, plan
    # The therapist's modification plan that turned "not this technique" into this.
    plan: ModificationPlan | None = None

    @property
    def blocks(self) -> bool:
        """Refuses the booking or the note: not this technique, or no massage."""
        return self.outcome >= Outcome.NOT_THIS_TECHNIQUE

    @property
    def severity(self) -> str:
        return self.flag.severity

    @property
    def text(self) -> str:
        return f"{self.headline} ({self.detail})" if self.detail else self.headline

    @property
    def shared_text(self) -> str:
        """The text for everyone who sees the schedule: a physician's clearance
        (who, when, its terms) is history detail and stays out."""
        return self.headline if is_clearance_detail(self.detail) else self.text


@dataclass(frozen=True)
class SafetyVerdict:
    client: Client
    modality: Modality
    on: date
    concerns: tuple[Concern, ...]

    @property
    def outcome(self) -> Outcome:
        return max((c.outcome for c in self.concerns), default=Outcome.SAFE)

    @property
    def blocked(self) -> bool:
        """Not this technique, or no massage: no booking, no treatment with it."""
        return self.outcome >= Outcome.NOT_THIS_TECHNIQUE

    @property
    def no_massage(self) -> bool:
        return self.outcome == Outcome.NO_MASSAGE

    @property
    def safe(self) -> bool:
        return self.outcome == Outcome.SAFE

    @property
    def needs_acknowledgement(self) -> bool:
        """Safe with a modification: books, and the modification is shown."""
        return self.outcome == Outcome.MODIFY

    @property
    def reasons(self) -> list[str]:
        return [c.headline for c in self.concerns]

    @property
    def modifications(self) -> list[str]:
        return [c.text for c in self.concerns if c.outcome == Outcome.MODIFY]

    def summary(self) -> str:
        name, client = self.modality.name, self.client.full_name
        if self.safe:
            return f"{name} is safe for {client}."
        strictest = [c.shared_text for c in self.concerns if c.outcome == self.outcome]
        why = "; ".join(strictest)
        if self.outcome == Outcome.NO_MASSAGE:
            return f"No massage for {client} until a physician clears it: {why}."
        if self.outcome == Outcome.NOT_THIS_TECHNIQUE:
            return f"{name} is not for {client}: {why}."
        return f"{name} is safe for {client} with a modification: {why}."


@dataclass(frozen=True)
class Alert:
    """A headline for the chart and the calendar: what to avoid, never why in detail.

    A physician's clearance (who cleared it, when, on which terms) is history detail:
    the headline only says the condition is cleared; `clearance` holds the detail for
    the pages that show it to those who may read the history.
    """

    flag: Contraindication | None
    headline: str
    severity: str
    blocks: bool
    needs_recheck: bool
    cleared: bool
    clearance: str = ""


def _plans_prefetch(on: date) -> Prefetch:
    return Prefetch(
        "client__modification_plans",
        # Not ended by `on`: a series checks later days with the same load, and
        # `_plan_for` asks each day whether the plan is in force.
        # Each client's plans newest first, as the model orders them; without the
        # model's first key (the client, by name) the query joins no client rows.
        queryset=ModificationPlan.objects.filter(
            withdrawn_at__isnull=True, ends_on__gte=on
        )
        .select_related("therapist__user", "modality")
        .order_by("-starts_on"),
        to_attr="plans_in_force",
    )


@reference_part
def condition_rules() -> dict[int, list[ContraindicationRule]]:
    """Each condition's rules with their technique, in the model's order (a reference
    part, `massageclinic.reference`: kept between requests until a rule, a
    condition or a technique changes)."""
    rules: dict[int, list[ContraindicationRule]] = {}
    # The model orders by the condition's name first: the same for all of one
    # condition's rules, so the query need not join conditions to sort.
    for rule in ContraindicationRule.objects.select_related("modality").order_by(
        "modality__name", "from_week", "pk"
    ):
        rules.setdefault(rule.condition_id, []).append(rule)
    return rules


def rules_of(flag: Contraindication) -> list[ContraindicationRule]:
    """The rules of the flag's condition: those its load gave it, else read now."""
    given: list[ContraindicationRule] | None = getattr(flag, "condition_rules", None)
    return given if given is not None else list(flag.condition.rules.all())


def flags_in_force(client: Client, on: date) -> list[Contraindication]:
    """The client's flags that are not resolved by the end of `on` (three queries),
    with the rules of their conditions and the client's modification plans."""
    return flags_in_force_for_clients([client.pk], on).get(client.pk, [])


def flags_in_force_for_clients(
    client_ids: Iterable[int], on: date, *, ref: Reference | None = None
) -> dict[int, list[Contraindication]]:
    """`flags_in_force` for many clients at once, by client id: three queries (the
    flags, the reference data's version and the plans), and the conditions' rules
    the first time after they change."""
    # A flag resolved before `on` began in UTC was resolved by the end of `on` in
    # every zone (none is more than a day ahead): only the later ones are read to be
    # dated where the client is treated.
    flags: dict[int, list[Contraindication]] = {}
    for flag in (
        Contraindication.objects.filter(client_id__in=list(client_ids))
        .filter(
            Q(resolved_at__isnull=True)
            | Q(resolved_at__gte=datetime.combine(on, time.min, tzinfo=UTC))
        )
        .annotate(clinic_time_zone=clinic_zone_name())
        .select_related("condition", "client__preferred_location")
        .prefetch_related(_plans_prefetch(on))
    ):
        # Where the client is treated: their preferred location, else the clinic.
        where = flag.client.preferred_location or zone_named(
            getattr(flag, "clinic_time_zone", None)
        )
        if in_force_on(flag, on, where):
            flags.setdefault(flag.client_id, []).append(flag)
    if flags:
        rules = (ref or reference()).get(condition_rules)
        for client_flags in flags.values():
            for each in client_flags:
                each.condition_rules = rules.get(each.condition_id, [])
    return flags


def in_force_on(flag: Contraindication, day: date, where: Where) -> bool:
    """The flag still applies on `day` in the calendar of `where`, the place the
    client is treated: it is not resolved, or was resolved after that day ended."""
    return flag.resolved_at is None or local_date(flag.resolved_at, where) > day


def clearance_in_force(flag: Contraindication, on: date) -> bool:
    """A physician's clearance dated on or before `on` that has not expired."""
    return (
        flag.cleared_on is not None
        and flag.cleared_on <= on
        and (flag.clearance_expires_on is None or on <= flag.clearance_expires_on)
    )


def weeks_since_onset(flag: Contraindication, on: date) -> int | None:
    """Whole weeks from the flag's onset to `on` (pregnancy: weeks pregnant)."""
    if flag.onset_on is None:
        return None
    return (on - flag.onset_on).days // 7


def _rule_applies_on(
    rule: ContraindicationRule, flag: Contraindication, on: date
) -> bool:
    if rule.from_week is None and rule.until_week is None:
        return True
    weeks = weeks_since_onset(flag, on)
    if weeks is None:
        return True  # the onset is unknown: every window may be the one, so all apply
    if rule.from_week is not None and weeks < rule.from_week:
        return False
    return rule.until_week is None or weeks < rule.until_week


def _rule_detail(rule: ContraindicationRule) -> str:
    parts = []
    if rule.pressure_limit:
        parts.append(
            f"pressure no more than {rule.get_pressure_limit_display().lower()}"
        )
    if rule.positioning:
        parts.append(rule.positioning.rstrip("."))
    if rule.area:
        parts.append(f"avoid: {rule.area.rstrip('.')}")
    return "; ".join(parts)


def _flag_fallback_headline(flag: Contraindication) -> str:
    region = f" ({flag.get_body_region_display().lower()})" if flag.body_region else ""
    if flag.severity == Severity.ABSOLUTE:
        return f"no massage until cleared: {flag.condition.name.lower()}{region}"
    if flag.severity == Severity.REGIONAL:
        return f"avoid the area{region}: {flag.condition.name.lower()}"
    return f"modify treatment: {flag.condition.name.lower()}"


CLEARANCE_PREFIX = "cleared by "


def is_clearance_detail(text: str) -> bool:
    """A line of a verdict or an acknowledgement that carries a physician's clearance
    (who, when, its terms): history detail, not a headline."""
    return text.startswith(CLEARANCE_PREFIX)


CLEARED_HEADLINE = "follow the physician's clearance"

# A clearance line as `_clearance_headline` writes it (and as acknowledgements stored
# it before the headline stopped carrying it): who, when, the condition, its terms.
_CLEARANCE_LINE = re.compile(
    re.escape(CLEARANCE_PREFIX) + r".*? on \d{4}-\d{2}-\d{2}: (?P<condition>.+?): .*",
    re.DOTALL,
)


def shared_line(line: str) -> str:
    """A verdict or acknowledgement line as everyone may read it, and as it compares
    with today's headlines: a physician's clearance line ("cleared by Dr X on
    2026-01-02: <condition>: <terms>", how visits booked before the headline changed
    stored it) becomes the cleared headline of its condition; any other line is
    itself. A clearance line that does not parse keeps no detail (and matches no
    headline, so it is asked again rather than taken as acknowledged)."""
    if not is_clearance_detail(line):
        return line
    match = _CLEARANCE_LINE.fullmatch(line.strip())
    if match is None:
        return CLEARED_HEADLINE
    return _cleared_headline_of(match["condition"])


def _cleared_headline_of(condition: str) -> str:
    return f"{CLEARED_HEADLINE}: {condition}"


def _cleared_headline(flag: Contraindication) -> str:
    """What everyone may read of a cleared flag: that a clearance governs it."""
    return _cleared_headline_of(flag.condition.name.lower())


def _clearance_headline(flag: Contraindication) -> str:
    """The clearance itself (who, when, its terms): history detail."""
    assert flag.cleared_on is not None  # only asked of a cleared flag
    who = flag.cleared_by_physician or "a physician"
    terms = flag.clearance_conditions.strip() or "follow the clearance's terms"
    return (
        f"{CLEARANCE_PREFIX}{who} on {flag.cleared_on:%Y-%m-%d}: "
        f"{flag.condition.name.lower()}: {terms}"
    )


def _absolute(flag: Contraindication, on: date) -> Concern | None:
    """An absolute flag: no massage until cleared; a cleared one still speaks."""
    recheck = flag.needs_recheck_on(on)
    if clearance_in_force(flag, on):
        # The headline is what the desk acknowledges at booking and the safety
        # reviews list; who cleared it and on which terms stay in the detail, for
        # the pages of those who read the history (the note, the plan).
        return Concern(
            flag=flag,
            headline=_cleared_headline(flag),
            outcome=Outcome.MODIFY,
            needs_recheck=recheck,
            detail=_clearance_headline(flag),
        )
    rule = next(
        (r for r in rules_of(flag) if r.action == RuleAction.NEEDS_CLEARANCE),
        None,
    )
    headline = rule.headline if rule else _flag_fallback_headline(flag)
    expired = flag.clearance_expires_on
    if flag.cleared_on is not None and expired is not None and on > expired:
        headline += f" (the clearance expired on {expired:%Y-%m-%d})"
    return Concern(
        flag=flag, headline=headline, outcome=Outcome.NO_MASSAGE, needs_recheck=recheck
    )


def _plan_for(
    flag: Contraindication, modality: Modality, on: date
) -> ModificationPlan | None:
    """The plan that answers this flag's rule for this technique on `on`: a plan
    answers the flags on the chart when it was written, never a flag raised after."""
    plans: list[ModificationPlan] = getattr(flag.client, "plans_in_force", None) or []
    return next(
        (
            p
            for p in plans
            if p.modality_id == modality.pk
            and p.in_force_on(on)
            and flag.created_at <= p.recorded_at
        ),
        None,
    )


def _planned(
    rule: ContraindicationRule,
    flag: Contraindication,
    plan: ModificationPlan,
    recheck: bool,
) -> Concern:
    therapist = plan.therapist.user.get_full_name() or plan.therapist.user.username
    return Concern(
        flag=flag,
        headline=f"{rule.headline}; modification plan by {therapist} "
        f"until {plan.ends_on:%Y-%m-%d}: {plan.changes}",
        outcome=Outcome.MODIFY,
        needs_recheck=recheck,
        plan=plan,
    )


def _firmer_than(pressure: str, limit: str) -> bool:
    if not (pressure and limit):
        return False
    return PRESSURE_ORDER.index(pressure) > PRESSURE_ORDER.index(limit)


def _rule_concern(
    rule: ContraindicationRule,
    flag: Contraindication,
    modality: Modality,
    *,
    on: date,
    area: str,
    pressure: str,
    recheck: bool,
) -> Concern | None:
    """What one rule says about this technique (None: it says nothing about it)."""
    if rule.modality_id is not None and rule.modality_id != modality.pk:
        return None
    if rule.action == RuleAction.AVOID_MODALITY:
        plan = _plan_for(flag, modality, on)
        if plan is not None:
            return _planned(rule, flag, plan, recheck)
        return Concern(
            flag=flag,
            headline=rule.headline,
            outcome=Outcome.NOT_THIS_TECHNIQUE,
            needs_recheck=recheck,
        )
    detail = _rule_detail(rule)
    if area and area in (rule.body_regions or []):
        return Concern(
            flag=flag,
            headline=f"not on the {BodyRegion(area).label.lower()}: {rule.headline}",
            outcome=Outcome.NOT_THIS_TECHNIQUE,
            needs_recheck=recheck,
            detail=detail,
        )
    if rule.action == RuleAction.AVOID_AREA and flag.body_region:
        region = flag.get_body_region_display().lower()
        detail = f"avoid: {region}"
        if area and area == flag.body_region:
            return Concern(
                flag=flag,
                headline=f"not on the {region}: {rule.headline}",
                outcome=Outcome.NOT_THIS_TECHNIQUE,
                needs_recheck=recheck,
            )
    if _firmer_than(pressure, rule.pressure_limit):
        return Concern(
            flag=flag,
            headline=f"not {Pressure(pressure).label.lower()} pressure: "
            f"{rule.headline}",
            outcome=Outcome.NOT_THIS_TECHNIQUE,
            needs_recheck=recheck,
            detail=detail,
        )
    return Concern(
        flag=flag,
        headline=rule.headline,
        outcome=Outcome.MODIFY,
        needs_recheck=recheck,
        detail=detail,
    )


def _concerns_of_flag(
    flag: Contraindication,
    modality: Modality,
    on: date,
    *,
    area: str = "",
    pressure: str = "",
) -> list[Concern]:
    concerns: list[Concern] = []
    if flag.severity == Severity.ABSOLUTE:
        first = _absolute(flag, on)
        if first is None or first.outcome == Outcome.NO_MASSAGE:
            return [first] if first else []
        concerns.append(first)  # cleared: its terms, and the condition's other rules

    recheck = flag.needs_recheck_on(on)
    rules = [
        r
        for r in rules_of(flag)
        if r.action != RuleAction.NEEDS_CLEARANCE and _rule_applies_on(r, flag, on)
    ]
    if not rules and not concerns and not rules_of(flag):
        # a condition staff added without rules: show it as it is
        return [
            Concern(
                flag=flag,
                headline=_flag_fallback_headline(flag),
                outcome=Outcome.MODIFY,
                needs_recheck=recheck,
            )
        ]
    for rule in rules:
        concern = _rule_concern(
            rule, flag, modality, on=on, area=area, pressure=pressure, recheck=recheck
        )
        if concern is not None:
            concerns.append(concern)
    return concerns


def modality_safety(
    *,
    client: Client,
    modality: Modality,
    on: date,
    flags: Iterable[Contraindication] | None = None,
    area: str = "",
    pressure: str = "",
) -> SafetyVerdict:
    """Is `modality` safe for `client` on `on` (on `area`, at `pressure`), and if not,
    why: one of the four outcomes, with every concern that led to it.

    Pass `flags` (from `flags_in_force`) to check several techniques with one load.
    """
    flags = flags_in_force(client, on) if flags is None else flags
    concerns: list[Concern] = []
    for flag in flags:
        concerns.extend(
            _concerns_of_flag(flag, modality, on, area=area, pressure=pressure)
        )
    concerns.sort(key=lambda c: (-c.outcome, c.headline))
    return SafetyVerdict(
        client=client, modality=modality, on=on, concerns=tuple(concerns)
    )


def safe_techniques(
    *,
    client: Client,
    on: date,
    flags: Iterable[Contraindication] | None = None,
    among: Iterable[Modality] | None = None,
) -> list[Modality]:
    """The active techniques the rules allow for `client` on `on` (maybe modified)."""
    flags = list(flags_in_force(client, on) if flags is None else flags)
    candidates = (
        Modality.objects.filter(is_active=True).order_by("name")
        if among is None
        else among
    )
    return [
        m
        for m in candidates
        if not modality_safety(client=client, modality=m, on=on, flags=flags).blocked
    ]


def _alert_headline(flag: Contraindication, on: date) -> str:
    rules = rules_of(flag)
    if flag.severity == Severity.ABSOLUTE:
        if clearance_in_force(flag, on):
            return _cleared_headline(flag)
        clearance = next(
            (r for r in rules if r.action == RuleAction.NEEDS_CLEARANCE), None
        )
        return clearance.headline if clearance else _flag_fallback_headline(flag)
    rules = [r for r in rules if _rule_applies_on(r, flag, on)]
    parts = [
        r.headline
        for r in rules
        if r.modality_id is None and r.action != RuleAction.NEEDS_CLEARANCE
    ]
    avoided = [
        r.modality.name.lower()
        for r in rules
        if r.action == RuleAction.AVOID_MODALITY and r.modality is not None
    ]
    if avoided:
        parts.append(f"no {', '.join(avoided)}: {flag.condition.name.lower()}")
    if not parts:
        return _flag_fallback_headline(flag)
    if flag.body_region and flag.severity == Severity.REGIONAL:
        parts = [f"{p} ({flag.get_body_region_display().lower()})" for p in parts]
    return "; ".join(parts)


def _plan_alerts(flags: list[Contraindication], on: date) -> list[Alert]:
    """The modification plans in force: the technique allowed, and what changes."""
    if not flags:
        return []
    plans: list[ModificationPlan] = getattr(flags[0].client, "plans_in_force", [])
    return [
        Alert(
            flag=None,
            headline=f"{plan.modality.name.lower()} only with changes: {plan.changes}",
            severity=Severity.MODIFY,
            blocks=False,
            needs_recheck=False,
            cleared=False,
        )
        for plan in plans
        if plan.in_force_on(on)
    ]


def client_alerts(client: Client, on: date) -> list[Alert]:
    """Headlines of the client's flags in force on `on`, the blocking ones first."""
    return _alerts_of(flags_in_force(client, on), on)


def _alerts_of(flags: list[Contraindication], on: date) -> list[Alert]:
    alerts = [
        Alert(
            flag=flag,
            headline=_alert_headline(flag, on),
            severity=flag.severity,
            blocks=flag.severity == Severity.ABSOLUTE
            and not clearance_in_force(flag, on),
            needs_recheck=flag.needs_recheck_on(on),
            cleared=clearance_in_force(flag, on),
            clearance=_clearance_headline(flag) if clearance_in_force(flag, on) else "",
        )
        for flag in flags
    ]
    alerts.sort(key=lambda a: (not a.blocks, a.cleared, a.headline))
    return alerts + _plan_alerts(flags, on)


def alerts_for_clients(
    client_ids: Iterable[int], on: date, *, ref: Reference | None = None
) -> dict[int, list[Alert]]:
    """Alerts for many clients at once (calendar, lists): the flags' few queries."""
    flags_by_client = flags_in_force_for_clients(set(client_ids), on, ref=ref)
    return {
        client_id: _alerts_of(flags, on) for client_id, flags in flags_by_client.items()
    }


def refusal_sentence(
    verdict: SafetyVerdict,
    *,
    flags: Iterable[Contraindication] | None = None,
    therapist: Therapist | None = None,
) -> str:
    """Why a ruled-out technique cannot be booked, and what can: one sentence for
    the booking form, the series preview and the move. With `therapist`, the
    techniques offered are theirs when they practise any the rules allow."""
    client, name = verdict.client, verdict.modality.name
    why = "; ".join(c.text for c in verdict.concerns if c.outcome == verdict.outcome)
    if verdict.no_massage:
        return (
            f"No massage for {client.full_name} until a physician's clearance is "
            f"recorded on the chart: {why}."
        )
    flags = list(flags_in_force(client, verdict.on) if flags is None else flags)
    allowed = [
        m
        for m in safe_techniques(client=client, on=verdict.on, flags=flags)
        if m.pk != verdict.modality.pk
    ]
    practised: set[int] = set()
    if therapist is not None:
        practised = set(therapist.trainings.values_list("modality_id", flat=True))
    theirs = [m.name for m in allowed if m.pk in practised]
    if theirs and therapist is not None:
        offer = (
            f" Techniques the rules allow for {client.full_name} that "
            f"{therapist.full_name} practises: {', '.join(theirs)}."
        )
    elif allowed:
        names = ", ".join(m.name for m in allowed)
        offer = f" Techniques the rules allow for {client.full_name}: {names}."
    else:
        offer = ""
    return (
        f"{name} is not for {client.full_name}: {why}.{offer} Only a licensed "
        f"therapist's modification plan for {name}, recorded on the chart, allows it."
    )
