"""The contraindication engine: is this modality, on this client, on this date, safe?

`modality_safety()` is the one answer that booking, the series preview and the SOAP
note all use. `client_alerts()` gives the headlines shown on the chart and on calendar
blocks (no clinical detail beyond the headline).

A flag applies on a date when it is not resolved by then. An `absolute` flag blocks
every modality until a physician's clearance dated on or before that date; `regional`
and `modify` flags, and rules that avoid a modality, are shown and must be
acknowledged. A flag whose recheck date has come still applies, marked "needs recheck".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q

from clients.models import (
    Client,
    Contraindication,
    ContraindicationRule,
    RuleAction,
    Severity,
)
from therapists.models import Modality


@dataclass(frozen=True)
class Concern:
    """One reason why a modality needs care (or is ruled out) for a client."""

    flag: Contraindication
    headline: str
    blocks: bool
    needs_recheck: bool
    detail: str = ""

    @property
    def severity(self) -> str:
        return self.flag.severity


@dataclass(frozen=True)
class SafetyVerdict:
    client: Client
    modality: Modality
    on: date
    concerns: tuple[Concern, ...]

    @property
    def blocked(self) -> bool:
        """An absolute contraindication without clearance: no booking, no treatment."""
        return any(c.blocks for c in self.concerns)

    @property
    def safe(self) -> bool:
        return not self.concerns

    @property
    def needs_acknowledgement(self) -> bool:
        return bool(self.concerns) and not self.blocked

    @property
    def reasons(self) -> list[str]:
        return [c.headline for c in self.concerns]

    def summary(self) -> str:
        if self.safe:
            return f"{self.modality.name} is safe for {self.client.full_name}."
        verb = "is ruled out" if self.blocked else "needs care"
        return f"{self.modality.name} {verb}: " + "; ".join(self.reasons) + "."


@dataclass(frozen=True)
class Alert:
    """A headline for the chart and the calendar: what to avoid, never why in detail."""

    flag: Contraindication
    headline: str
    severity: str
    blocks: bool
    needs_recheck: bool
    cleared: bool


def _rules_prefetch() -> Prefetch:
    return Prefetch(
        "condition__rules",
        queryset=ContraindicationRule.objects.select_related("modality"),
    )


def flags_in_force(client: Client, on: date) -> list[Contraindication]:
    """The client's flags that are not resolved by the end of `on` (one query)."""
    return flags_in_force_for_clients([client.pk], on).get(client.pk, [])


def flags_in_force_for_clients(
    client_ids: Iterable[int], on: date
) -> dict[int, list[Contraindication]]:
    """`flags_in_force` for many clients at once, by client id (two queries)."""
    flags: dict[int, list[Contraindication]] = {}
    for flag in (
        Contraindication.objects.filter(client_id__in=list(client_ids))
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__date__gt=on))
        .select_related("condition")
        .prefetch_related(_rules_prefetch())
    ):
        flags.setdefault(flag.client_id, []).append(flag)
    return flags


def _is_cleared(flag: Contraindication, on: date) -> bool:
    return flag.cleared_on is not None and flag.cleared_on <= on


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


def _concerns_of_flag(
    flag: Contraindication, modality: Modality, on: date
) -> list[Concern]:
    if flag.severity == Severity.ABSOLUTE:
        if _is_cleared(flag, on):
            return []
        rule = next(
            (
                r
                for r in flag.condition.rules.all()
                if r.action == RuleAction.NEEDS_CLEARANCE
            ),
            None,
        )
        headline = rule.headline if rule else _flag_fallback_headline(flag)
        return [
            Concern(
                flag=flag,
                headline=headline,
                blocks=True,
                needs_recheck=flag.needs_recheck_on(on),
            )
        ]

    recheck = flag.needs_recheck_on(on)
    rules = list(flag.condition.rules.all())
    if not rules:  # a condition staff added without rules: show it as it is
        return [
            Concern(
                flag=flag,
                headline=_flag_fallback_headline(flag),
                blocks=False,
                needs_recheck=recheck,
            )
        ]
    concerns = []
    for rule in rules:
        if rule.action == RuleAction.NEEDS_CLEARANCE:
            continue  # only an absolute flag needs a clearance
        if rule.modality_id is not None and rule.modality_id != modality.pk:
            continue
        detail = _rule_detail(rule)
        if flag.body_region and rule.action == RuleAction.AVOID_AREA:
            detail = f"avoid: {flag.get_body_region_display().lower()}"
        concerns.append(
            Concern(
                flag=flag,
                headline=rule.headline,
                blocks=False,
                needs_recheck=recheck,
                detail=detail,
            )
        )
    return concerns


def modality_safety(
    *,
    client: Client,
    modality: Modality,
    on: date,
    flags: Iterable[Contraindication] | None = None,
) -> SafetyVerdict:
    """Is `modality` safe for `client` on `on`, and if not, why.

    Pass `flags` (from `flags_in_force`) to check several modalities with one query.
    """
    flags = flags_in_force(client, on) if flags is None else flags
    concerns: list[Concern] = []
    for flag in flags:
        concerns.extend(_concerns_of_flag(flag, modality, on))
    concerns.sort(key=lambda c: (not c.blocks, c.headline))
    return SafetyVerdict(
        client=client, modality=modality, on=on, concerns=tuple(concerns)
    )


def _alert_headline(flag: Contraindication) -> str:
    rules = list(flag.condition.rules.all())
    if flag.severity == Severity.ABSOLUTE:
        clearance = next(
            (r for r in rules if r.action == RuleAction.NEEDS_CLEARANCE), None
        )
        return clearance.headline if clearance else _flag_fallback_headline(flag)
    parts = [
        r.headline
        for r in rules
        if r.modality_id is None and r.action != RuleAction.NEEDS_CLEARANCE
    ]
    # Every seeded "avoid modality" rule names its modality, but nothing in the
    # database enforces it; the ignore keeps today's behaviour (no silent skip).
    avoided = [
        r.modality.name.lower()  # type: ignore[union-attr]
        for r in rules
        if r.action == RuleAction.AVOID_MODALITY
    ]
    if avoided:
        parts.append(f"no {', '.join(avoided)}: {flag.condition.name.lower()}")
    if not parts:
        return _flag_fallback_headline(flag)
    if flag.body_region and flag.severity == Severity.REGIONAL:
        parts = [f"{p} ({flag.get_body_region_display().lower()})" for p in parts]
    return "; ".join(parts)


def client_alerts(client: Client, on: date) -> list[Alert]:
    """Headlines of the client's flags in force on `on`, the blocking ones first."""
    return _alerts_of(flags_in_force(client, on), on)


def _alerts_of(flags: Iterable[Contraindication], on: date) -> list[Alert]:
    alerts = [
        Alert(
            flag=flag,
            headline=_alert_headline(flag),
            severity=flag.severity,
            blocks=flag.severity == Severity.ABSOLUTE and not _is_cleared(flag, on),
            needs_recheck=flag.needs_recheck_on(on),
            cleared=_is_cleared(flag, on),
        )
        for flag in flags
    ]
    alerts.sort(key=lambda a: (not a.blocks, a.cleared, a.headline))
    return alerts


def alerts_for_clients(client_ids: Iterable[int], on: date) -> dict[int, list[Alert]]:
    """Alerts for many clients at once (calendar, lists): two queries in all."""
    flags = (
        Contraindication.objects.filter(client_id__in=set(client_ids))
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__date__gt=on))
        .select_related("condition")
        .prefetch_related(_rules_prefetch())
    )
    by_client: dict[int, list[Contraindication]] = {}
    for flag in flags:
        by_client.setdefault(flag.client_id, []).append(flag)
    return {
        client_id: _alerts_of(flag_list, on)
        for client_id, flag_list in by_client.items()
    }
