"""Progress of a client and of a treatment plan: reads from signed notes, and the
server-rendered SVG charts built from them.

Only signed notes count: a draft can still change. Each note gives pain before and
after the visit and the measures taken for the plan's goals (`SessionNote.measures`,
by goal id). A plan's visits are the notes of visits booked under it, and any other
note that measured one of its goals. Every read here is a fixed number of queries,
however many visits it covers.

The charts are plain data (`Chart`): positions are worked out here, in Python, so the
template only draws them, and the same drawing serves the page and the PDF.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from clients.models import Client, InsurancePolicy
from clients.referral_selectors import COMMON_DIAGNOSES, VisitBill, visits_billing
from massageclinic.models import BillingUnitRule, Location, clinic_policy
from sessions.models import (
    Appointment,
    Goal,
    NoteTechnique,
    SessionNote,
    TreatmentPlan,
)
from sessions.notes_services import billable_visit
from therapists.models import Therapist

Measure = Goal.Measure
Value = Decimal | str

# --- Reading the notes --------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One visit with a signed note, as progress sees it."""

    note_id: int
    day: date
    completed: bool
    pain_before: int | None
    pain_after: int | None
    measures: dict[int, Value]
    therapist_name: str

    @property
    def pain_change(self) -> int | None:
        if self.pain_before is None or self.pain_after is None:
            return None
        return self.pain_after - self.pain_before


def _number(raw: object) -> Decimal | None:
    if isinstance(raw, bool) or raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _measure_value(raw: object, measure: str) -> Value | None:
    """A measure as the note stored it: a number, a numeric string, or {"value": ...}."""
    if isinstance(raw, dict):
        raw = raw.get("value")
    if measure == Measure.TEXT:
        text = "" if raw is None else str(raw).strip()
        return text or None
    return _number(raw)


def _measures(note: SessionNote, goals: dict[int, Goal]) -> dict[int, Value]:
    found: dict[int, Value] = {}
    for key, raw in (note.measures or {}).items():
        try:
            goal = goals.get(int(key))
        except (TypeError, ValueError):
            continue
        if goal is None:
            continue
        value = _measure_value(raw, goal.measure)
        if value is not None:
            found[goal.pk] = value
    return found


def _signed_notes(client: Client) -> QuerySet[SessionNote]:
    return (
        SessionNote.objects.filter(appointment__client=client, signed_at__isnull=False)
        .select_related("appointment__location", "therapist__user")
        .order_by("appointment__starts_at", "pk")
    )


def _visits(notes: Iterable[SessionNote], goals: dict[int, Goal]) -> list[Visit]:
    return [
        Visit(
            note_id=note.pk,
            day=note.appointment.local_starts_at.date(),
            completed=note.appointment.status == Appointment.Status.COMPLETED,
            pain_before=note.pain_before,
            pain_after=note.pain_after,
            measures=_measures(note, goals),
            therapist_name=note.therapist.full_name,
        )
        for note in notes
    ]


def _in_period(visits: list[Visit], period: tuple[date, date] | None) -> list[Visit]:
    if period is None:
        return visits
    start, end = period
    return [v for v in visits if start <= v.day <= end]


# --- Goals ---------------------------------------------------------------------------


def unit_suffix(unit: str) -> str:
    """A unit as written after a number: 7/10, 120°, 30 points."""
    unit = unit.strip()
    return f" {unit}" if unit[:1].isalpha() else unit


@dataclass
class GoalProgress:
    goal: Goal
    readings: list[tuple[date, Value]]
    chart: Chart | None = None

    @property
    def is_numeric(self) -> bool:
        return self.goal.measure != Measure.TEXT

    @property
    def unit(self) -> str:
        return unit_suffix(self.goal.unit)

    @property
    def latest(self) -> Value | None:
        return self.readings[-1][1] if self.readings else None

    @property
    def latest_on(self) -> date | None:
        return self.readings[-1][0] if self.readings else None

    @property
    def change(self) -> Decimal | None:
        """Latest minus baseline, for numeric goals with a reading."""
        if not self.is_numeric or self.latest is None or self.goal.baseline is None:
            return None
        return self.latest - self.goal.baseline

    @property
    def percent_of_way(self) -> int | None:
        """How far from baseline to target the latest reading is, 0-100."""
        goal = self.goal
        if self.change is None or goal.target is None or goal.target == goal.baseline:
            return None
        share = self.change / (goal.target - goal.baseline)
        return max(0, min(100, round(share * 100)))

    @property
    def target_reached(self) -> bool:
        if self.percent_of_way is not None:
            return self.percent_of_way >= 100
        return self.goal.achieved_on is not None

    @property
    def label(self) -> str:
        goal = self.goal
        movement = f" ({goal.movement})" if goal.movement else ""
        return f"{goal.description}{movement}"


def _goal_progress(
    goals: Sequence[Goal], visits: Sequence[Visit]
) -> list[GoalProgress]:
    return [
        GoalProgress(
            goal=goal,
            readings=[
                (v.day, v.measures[goal.pk]) for v in visits if goal.pk in v.measures
            ],
        )
        for goal in goals
    ]


# --- Techniques ------------------------------------------------------------------------


@dataclass(frozen=True)
class TechniqueUse:
    name: str
    cpt_code: str
    minutes: int
    visits: int


def technique_use(note_ids: Sequence[int]) -> list[TechniqueUse]:
    """Minutes per technique over these notes, most used first (one query)."""
    if not note_ids:
        return []
    rows = (
        NoteTechnique.objects.filter(note_id__in=note_ids)
        .values("modality__name", "modality__cpt_code")
        .annotate(minutes=Sum("minutes"), visits=Count("note", distinct=True))
        .order_by("-minutes", "modality__name")
    )
    return [
        TechniqueUse(
            name=row["modality__name"],
            cpt_code=row["modality__cpt_code"],
            minutes=row["minutes"],
            visits=row["visits"],
        )
        for row in rows
    ]


# --- What the pages read ------------------------------------------------------------


@dataclass
class Progress:
    client: Client
    visits: list[Visit]
    goals: list[GoalProgress]
    techniques: list[TechniqueUse]
    pain_chart: Chart
    plan: TreatmentPlan | None = None
    period: tuple[date, date] | None = None

    @property
    def visits_done(self) -> int:
        return sum(1 for v in self.visits if v.completed)

    @property
    def first_day(self) -> date | None:
        return self.visits[0].day if self.visits else None

    @property
    def last_day(self) -> date | None:
        return self.visits[-1].day if self.visits else None

    @property
    def charts(self) -> list[Chart]:
        return [self.pain_chart] + [g.chart for g in self.goals if g.chart]

    @property
    def has_pain(self) -> bool:
        return any(
            v.pain_before is not None or v.pain_after is not None for v in self.visits
        )


def _plan_notes(plan: TreatmentPlan, goal_ids: Sequence[int]) -> QuerySet[SessionNote]:
    linked = Q(appointment__plan=plan)
    if goal_ids:
        linked |= Q(measures__has_any_keys=[str(pk) for pk in goal_ids])
    return _signed_notes(plan.client).filter(linked)


def plan_progress(
    *, plan: TreatmentPlan, period: tuple[date, date] | None = None
) -> Progress:
    """A plan's visits, goals and charts; three queries (plan and client loaded)."""
    goals = list(plan.goals.order_by("pk"))
    by_id = {g.pk: g for g in goals}
    visits = _in_period(_visits(_plan_notes(plan, list(by_id)), by_id), period)
    progress = _goal_progress(goals, visits)
    for item in progress:
        item.chart = goal_chart(item, slug=f"goal-{item.goal.pk}")
    return Progress(
        client=plan.client,
        plan=plan,
        period=period,
        visits=visits,
        goals=progress,
        techniques=technique_use([v.note_id for v in visits]),
        pain_chart=pain_chart(visits, slug=f"pain-plan-{plan.pk}"),
    )


@dataclass
class PlanGoals:
    plan: TreatmentPlan
    goals: list[GoalProgress] = field(default_factory=list)


@dataclass
class ClientProgress:
    progress: Progress
    plans: list[PlanGoals]


def client_progress(*, client: Client) -> ClientProgress:
    """Every signed visit of the client, and the goals of each plan (four queries)."""
    plans = list(
        client.treatment_plans.select_related("therapist__user").order_by(
            "-starts_on", "-pk"
        )
    )
    goals = list(Goal.objects.filter(plan__client=client).order_by("plan", "pk"))
    by_id = {g.pk: g for g in goals}
    visits = _visits(_signed_notes(client), by_id)
    progress = _goal_progress(goals, visits)
    for item in progress:
        item.chart = goal_chart(item, slug=f"goal-{item.goal.pk}")
    by_plan: dict[int, PlanGoals] = {p.pk: PlanGoals(plan=p) for p in plans}
    for item in progress:
        by_plan[item.goal.plan_id].goals.append(item)
    return ClientProgress(
        progress=Progress(
            client=client,
            visits=visits,
            goals=progress,
            techniques=technique_use([v.note_id for v in visits]),
            pain_chart=pain_chart(visits, slug=f"pain-client-{client.pk}"),
        ),
        plans=list(by_plan.values()),
    )


@dataclass(frozen=True)
class PlanVisitCounts:
    done: int
    planned: int
    booked_ahead: int

    @property
    def percent(self) -> int:
        return min(100, round(self.done / self.planned * 100)) if self.planned else 0

    @property
    def remaining(self) -> int:
        return max(0, self.planned - self.done)


def plan_visit_counts(
    plan: TreatmentPlan, progress: Progress | None
) -> PlanVisitCounts:
    """Visits done (completed, note signed) against planned, and those still booked.

    Without `progress` (the front desk's page, which reads no notes) the done visits
    are counted from the visits booked under the plan; one query either way.
    """
    open_statuses = list(Appointment.OPEN_STATUSES)
    counts = plan.appointments.aggregate(
        booked=Count("pk", filter=Q(status__in=open_statuses)),
        done=Count(
            "pk",
            filter=Q(
                status=Appointment.Status.COMPLETED, note__signed_at__isnull=False
            ),
        ),
    )
    done = progress.visits_done if progress is not None else counts["done"]
    return PlanVisitCounts(
        done=done, planned=plan.visits_planned, booked_ahead=counts["booked"]
    )


# --- Charts ---------------------------------------------------------------------------

WIDTH = 640
HEIGHT = 270
LEFT = 52
RIGHT = 128  # room for the baseline and target labels
TOP = 40  # room for the legend
BOTTOM = 42
MIN_TICK_GAP = 52  # pixels between two date labels

BEFORE = "#b02a37"
AFTER = "#0a58ca"
MEASURE = "#6f42c1"
BASELINE = "#6c757d"
TARGET = "#146c43"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str

    @property
    def square_x(self) -> float:
        return self.x - 4

    @property
    def square_y(self) -> float:
        return self.y - 4


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: tuple[Point, ...]
    marker: str = "circle"  # circle or square: not told apart by colour alone
    dashed: bool = False

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Reference:
    label: str
    y: float
    colour: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    x: float
    name: str
    colour: str
    marker: str
    dashed: bool

    @property
    def line_end(self) -> float:
        return self.x + 24

    @property
    def marker_x(self) -> float:
        return self.x + 12

    @property
    def square_x(self) -> float:
        return self.x + 8

    @property
    def text_x(self) -> float:
        return self.x + 30


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    desc: str
    series: tuple[Series, ...]
    references: tuple[Reference, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    y_label: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def left(self) -> int:
        return LEFT

    @property
    def right(self) -> int:
        return self.width - RIGHT

    @property
    def top(self) -> int:
        return TOP

    @property
    def bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def is_empty(self) -> bool:
        return not any(s.points for s in self.series)

    @property
    def middle_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def middle_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def reference_label_x(self) -> int:
        return self.right + 6

    @property
    def y_tick_label_x(self) -> int:
        return self.left - 6

    @property
    def x_tick_end(self) -> int:
        return self.bottom + 4

    @property
    def x_label_y(self) -> int:
        return self.bottom + 17

    @property
    def legend(self) -> list[LegendItem]:
        items, x = [], float(self.left)
        for s in self.series:
            items.append(LegendItem(x, s.name, s.colour, s.marker, s.dashed))
            x += 40 + 7 * len(s.name)
        return items


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks if span > 0 else 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover


def _y_range(values: list[Decimal], fixed: tuple[float, float] | None):
    if fixed is not None:
        return fixed[0], fixed[1], 2.0
    low, high = float(min(values)), float(max(values))
    if low == high:
        low, high = low - 1, high + 1
    step = _nice_step(high - low)
    # Room around the lowest and highest values, so no line runs along the frame.
    low = math.floor(low / step) * step
    if float(min(values)) - low < step / 4:
        low -= step
    high = math.ceil(high / step) * step
    if high - float(max(values)) < step / 4:
        high += step
    if low < 0 <= float(min(values)):
        low = 0.0
    return low, high, step


def _format_number(value: float | Decimal) -> str:
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _x_positions(days: Sequence[date]) -> dict[date, float]:
    if not days:
        return {}
    first, last = min(days), max(days)
    span = (last - first).days
    if span == 0:
        return {first: (LEFT + WIDTH - RIGHT) / 2}
    plot = WIDTH - RIGHT - LEFT - 20
    return {d: LEFT + 10 + (d - first).days / span * plot for d in set(days)}


def _x_ticks(positions: dict[date, float]) -> tuple[Tick, ...]:
    ticks: list[Tick] = []
    for day in sorted(positions):
        x = positions[day]
        if ticks and x - ticks[-1].position < MIN_TICK_GAP:
            continue
        ticks.append(Tick(x, f"{day:%b} {day.day}"))
    return tuple(ticks)


def _line_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    y_label: str,
    days: Sequence[date],
    lines: Sequence[tuple[str, str, str, bool, Sequence[Decimal | None], str]],
    references: Sequence[tuple[str, Decimal, str]] = (),
    fixed: tuple[float, float] | None = None,
) -> Chart:
    """Lines of values by date; each line: name, colour, marker, dashed, values, unit."""
    values = [v for line in lines for v in line[4] if v is not None]
    values += [value for _, value, _ in references]
    low, high, step = _y_range(values or [Decimal(0)], fixed)
    top, bottom = TOP, HEIGHT - BOTTOM

    def y_of(value: float | Decimal) -> float:
        return bottom - (float(value) - low) / (high - low) * (bottom - top)

    positions = _x_positions(days)
    series = []
    for name, colour, marker, dashed, line_values, unit in lines:
        points = tuple(
            Point(
                positions[day],
                y_of(value),
                f"{day:%b} {day.day}, {day.year}: {name.lower()} "
                f"{_format_number(value)}{unit}",
            )
            for day, value in zip(days, line_values, strict=True)
            if value is not None
        )
        series.append(Series(name, colour, points, marker, dashed))
    count = int(round((high - low) / step))
    y_ticks = tuple(
        Tick(y_of(low + i * step), _format_number(low + i * step))
        for i in range(count + 1)
    )
    return Chart(
        slug=slug,
        title=title,
        desc=desc,
        series=tuple(series),
        references=tuple(
            Reference(label, y_of(value), colour) for label, value, colour in references
        ),
        x_ticks=_x_ticks(positions),
        y_ticks=y_ticks,
        y_label=y_label,
    )


def _describe_line(name: str, readings: list[tuple[date, Decimal]], unit: str) -> str:
    if not readings:
        return f"No {name.lower()} recorded."
    (first_day, first), (last_day, last) = readings[0], readings[-1]
    if len(readings) == 1:
        return f"{name}: {_format_number(first)}{unit} on {first_day:%b %-d, %Y}."
    return (
        f"{name} went from {_format_number(first)}{unit} on {first_day:%b %-d, %Y} "
        f"to {_format_number(last)}{unit} on {last_day:%b %-d, %Y}."
    )


def pain_chart(visits: Sequence[Visit], *, slug: str) -> Chart:
    """Pain before and after every signed visit, by date, on the 0-10 scale."""
    rated = [v for v in visits if v.pain_before is not None or v.pain_after is not None]
    days = [v.day for v in rated]
    before = [
        Decimal(v.pain_before) if v.pain_before is not None else None for v in rated
    ]
    after = [Decimal(v.pain_after) if v.pain_after is not None else None for v in rated]
    desc = " ".join(
        [
            f"Pain on a 0-10 scale at {len(rated)} visit{'s' if len(rated) != 1 else ''}.",
            _describe_line(
                "Pain before the visit",
                [(d, b) for d, b in zip(days, before, strict=True) if b is not None],
                "/10",
            ),
            _describe_line(
                "Pain after the visit",
                [(d, a) for d, a in zip(days, after, strict=True) if a is not None],
                "/10",
            ),
        ]
    )
    return _line_chart(
        slug=slug,
        title="Pain before and after each visit",
        desc=desc,
        y_label="Pain (0-10)",
        days=days,
        lines=[
            ("Pain before", BEFORE, "circle", False, before, "/10"),
            ("Pain after", AFTER, "square", True, after, "/10"),
        ],
        fixed=(0.0, 10.0),
    )


def goal_chart(item: GoalProgress, *, slug: str) -> Chart | None:
    """A numeric goal's readings against its baseline and target lines."""
    goal = item.goal
    if not item.is_numeric or goal.baseline is None or goal.target is None:
        return None
    unit = item.unit
    readings = [(d, v) for d, v in item.readings if isinstance(v, Decimal)]
    desc = " ".join(
        [
            f"Baseline {_format_number(goal.baseline)}{unit}, "
            f"target {_format_number(goal.target)}{unit}.",
            _describe_line("The measure", readings, unit),
        ]
    )
    return _line_chart(
        slug=slug,
        title=item.label,
        desc=desc,
        y_label=goal.get_measure_display(),
        days=[d for d, _ in readings],
        lines=[("Measured", MEASURE, "circle", False, [v for _, v in readings], unit)],
        references=[
            (
                f"Baseline {_format_number(goal.baseline)}{unit}",
                goal.baseline,
                BASELINE,
            ),
            (f"Target {_format_number(goal.target)}{unit}", goal.target, TARGET),
        ],
        fixed=(0.0, 10.0) if goal.measure == Measure.PAIN else None,
    )


# --- The superbill --------------------------------------------------------------------


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
