"""Progress of a client and of a treatment plan: reads from signed notes, and the
charts of goals and pain built from them (drawn by `sessions.treatment.charts`).

Only signed notes count: a draft can still change. Each note gives pain before and
after the visit and the measures taken for the plan's goals (`SessionNote.measures`,
by goal id). A plan's visits are the notes of visits booked under it, and any other
note that measured one of its goals. Every read here is a fixed number of queries,
however many visits it covers.

"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Q, QuerySet, Sum

from clients.models import Client
from sessions.models import (
    Appointment,
    Goal,
    NoteTechnique,
    SessionNote,
    TreatmentPlan,
)
from sessions.treatment.charts import (
    AFTER,
    BASELINE,
    BEFORE,
    MEASURE,
    TARGET,
    Chart,
    describe_line,
    format_number,
    line_chart,
)

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
        latest = self.latest
        # A numeric goal's readings are numbers (`_measure_value`); only a text
        # goal's are strings.
        if not self.is_numeric or not isinstance(latest, Decimal):
            return None
        if self.goal.baseline is None:
            return None
        return latest - self.goal.baseline

    @property
    def percent_of_way(self) -> int | None:
        """How far from baseline to target the latest reading is, 0-100."""
        goal = self.goal
        change = self.change
        if change is None or goal.target is None or goal.target == goal.baseline:
            return None
        assert goal.baseline is not None  # `change` is None without a baseline
        share = change / (goal.target - goal.baseline)
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
            describe_line(
                "Pain before the visit",
                [(d, b) for d, b in zip(days, before, strict=True) if b is not None],
                "/10",
            ),
            describe_line(
                "Pain after the visit",
                [(d, a) for d, a in zip(days, after, strict=True) if a is not None],
                "/10",
            ),
        ]
    )
    return line_chart(
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
            f"Baseline {format_number(goal.baseline)}{unit}, "
            f"target {format_number(goal.target)}{unit}.",
            describe_line("The measure", readings, unit),
        ]
    )
    return line_chart(
        slug=slug,
        title=item.label,
        desc=desc,
        y_label=goal.get_measure_display(),
        days=[d for d, _ in readings],
        lines=[("Measured", MEASURE, "circle", False, [v for _, v in readings], unit)],
        references=[
            (
                f"Baseline {format_number(goal.baseline)}{unit}",
                goal.baseline,
                BASELINE,
            ),
            (f"Target {format_number(goal.target)}{unit}", goal.target, TARGET),
        ],
        fixed=(0.0, 10.0) if goal.measure == Measure.PAIN else None,
    )
