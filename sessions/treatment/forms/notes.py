"""Forms of the SOAP-note page: the note, its technique rows, and an addendum.

They validate and normalise; the rules (safety, signing, units) live in
`sessions.treatment.notes`. The note form is saved field by field: what is valid is
kept even when another field has an error, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.forms import BaseFormSet, formset_factory

from massageclinic.choices import BodyRegion, Pressure
from sessions.models import Goal, SessionNote
from sessions.treatment.notes import (
    MAX_TECHNIQUE_MINUTES,
    PAIN_FIELDS,
    TEXT_FIELDS,
    TechniqueEntry,
    acknowledgement_reason,
)
from therapists.models import Modality

MAX_TECHNIQUE_ROWS = 12
DEFAULT_UNITS = {
    Goal.Measure.PAIN: "0-10",
    Goal.Measure.RANGE_OF_MOTION: "degrees",
    Goal.Measure.FUNCTION: "points",
}
MEASURE_LIMITS = {
    Goal.Measure.PAIN: Decimal(10),
    Goal.Measure.RANGE_OF_MOTION: Decimal(360),
    Goal.Measure.FUNCTION: Decimal("99999.9"),
}


def _text(label: str, rows: int = 2, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _pain(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "pain"}),
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(value: Decimal | float | int) -> int | float:
    """A reading as JSON stores it: whole numbers as ints, others to one decimal."""
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(round(value, 1))


def measure_field_name(goal: Goal) -> str:
    return f"measure_{goal.pk}"


def _measure_field(goal: Goal) -> forms.Field:
    baseline = (
        goal.baseline_text if goal.measure == Goal.Measure.TEXT else goal.baseline
    )
    target = goal.target_text if goal.measure == Goal.Measure.TEXT else goal.target
    name = goal.movement or goal.description
    help_parts = [] if name == goal.description else [goal.description]
    if baseline not in (None, ""):
        help_parts.append(f"baseline {_display(baseline)}")
    if target not in (None, ""):
        help_parts.append(f"target {_display(target)}")
    help_text = _capitalised(" · ".join(help_parts))
    if goal.measure == Goal.Measure.TEXT:
        return forms.CharField(
            label=_capitalised(name),
            required=False,
            max_length=250,
            help_text=help_text,
        )
    unit = goal.unit or DEFAULT_UNITS.get(goal.measure, "")
    return forms.DecimalField(
        label=_capitalised(f"{name} ({unit})" if unit else name),
        required=False,
        min_value=Decimal(0),
        max_value=MEASURE_LIMITS.get(goal.measure, Decimal("99999.9")),
        max_digits=6,
        decimal_places=1,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


def _display(value: Any) -> str:
    if isinstance(value, Decimal | float | int):
        return str(_number(value))
    return str(value)


class NoteForm(forms.Form):
    # Subjective
    complaint = _text("Chief complaint")
    pain_before = _pain("Pain before (0-10)")
    changes_since_last = _text("Changes since the last visit")
    home_care_report = _text("Client's report on home care")
    # Objective
    findings = _text("Findings", rows=3, help_text="Palpation, posture, tissue.")
    # Areas treated
    areas_treated = forms.MultipleChoiceField(
        label="Areas treated",
        required=False,
        choices=BodyRegion.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    # Techniques
    pressure = forms.ChoiceField(
        label="Pressure",
        required=False,
        choices=Pressure.choices,
        widget=forms.RadioSelect,
    )
    safety_reason = _text(
        "Your reason for these techniques today",
        help_text="Required when a technique you chose is flagged above: it is "
        "stored, with the alerts, as your acknowledgement.",
    )
    # Assessment
    response = _text("Response to treatment")
    pain_after = _pain("Pain after (0-10)")
    adverse_reactions = _text("Adverse reactions", help_text="Leave empty if none.")
    # Plan
    next_focus = _text("Focus of the next visit")
    home_care_given = _text("Home care given", help_text="Stretches, self-care.")

    def __init__(
        self,
        *args: Any,
        goals: Iterable[Goal] = (),
        asks_safety_reason: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.goals = list(goals)
        for goal in self.goals:
            self.fields[measure_field_name(goal)] = _measure_field(goal)
        if not asks_safety_reason:
            del self.fields["safety_reason"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    @classmethod
    def initial_for(cls, note: SessionNote, goals: Iterable[Goal]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(note, name)
            for name in (*TEXT_FIELDS, *PAIN_FIELDS, "areas_treated", "pressure")
        }
        initial["safety_reason"] = acknowledgement_reason(note.safety_acknowledgement)
        for goal in goals:
            initial[measure_field_name(goal)] = note.measures.get(str(goal.pk))
        return initial

    def measure_fields(self) -> list[forms.BoundField]:
        return [self[measure_field_name(goal)] for goal in self.goals]

    def note_data(self) -> dict[str, Any]:
        """The fields that are valid, for `note_save_draft` (call after is_valid())."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {}
        for name in (*TEXT_FIELDS, *PAIN_FIELDS, "areas_treated", "pressure"):
            if name in cleaned and name not in self.errors:
                data[name] = cleaned[name]
        if "safety_reason" in self.fields and "safety_reason" not in self.errors:
            data["safety_reason"] = cleaned.get("safety_reason", "")
        names = [measure_field_name(goal) for goal in self.goals]
        if names and not any(name in self.errors for name in names):
            data["measures"] = {
                goal.pk: _reading(cleaned.get(measure_field_name(goal)))
                for goal in self.goals
            }
        return data


def _reading(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return _number(value)
    return str(value).strip() or None


def modality_label(modality: Modality) -> str:
    if not modality.cpt_code:
        return f"{modality.name} · not billable"
    if not modality.is_timed:
        return f"{modality.name} · {modality.cpt_code}, untimed"
    return f"{modality.name} · {modality.cpt_code}"


class TechniqueForm(forms.Form):
    modality = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TECHNIQUE_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(
        self,
        *args: Any,
        row: int,
        choices: list[tuple[Any, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.row = row
        modality = self.fields["modality"]
        modality.label = f"Technique {row}"
        modality.choices = choices
        modality.widget.attrs["class"] = "form-select"
        minutes = self.fields["minutes"]
        minutes.label = f"Minutes of technique {row}"
        minutes.widget.attrs["class"] = "form-control minutes"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        modality, minutes = cleaned.get("modality"), cleaned.get("minutes")
        if modality and minutes is None and "minutes" not in self.errors:
            self.add_error("minutes", "Give the minutes spent on this technique.")
        if minutes is not None and not modality and "modality" not in self.errors:
            self.add_error("modality", "Choose the technique these minutes were for.")
        return cleaned


class BaseTechniqueFormSet(BaseFormSet):
    def __init__(self, *args: Any, modalities: Mapping[int, Modality], **kwargs: Any):
        self.modalities = dict(modalities)
        self.choices = [("", "—")] + [
            (pk, modality_label(m)) for pk, m in self.modalities.items()
        ]
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        row = index + 1 if index is not None else 0
        return {"row": row, "choices": self.choices}

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[int] = set()
        for form in self.forms:
            pk = form.cleaned_data.get("modality")
            if pk in seen:
                name = self.modalities[pk].name
                raise forms.ValidationError(
                    f"{name} is listed twice: put all its minutes on one row."
                )
            if pk:
                seen.add(pk)

    def _entries(self, forms_: Iterable[TechniqueForm]) -> list[TechniqueEntry]:
        entries = []
        for form in forms_:
            pk, minutes = (
                form.cleaned_data.get("modality"),
                form.cleaned_data.get("minutes"),
            )
            if pk and minutes:
                entries.append((self.modalities[pk], minutes))
        return entries

    def entries(self) -> list[TechniqueEntry]:
        """The complete rows of a valid formset."""
        return self._entries(self.forms)

    def typed_entries(self) -> list[TechniqueEntry]:
        """The complete, valid rows of a formset being typed (for the units preview)."""
        self.is_valid()
        return self._entries(f for f in self.forms if not f.errors)


def technique_formset(
    *,
    data: Mapping[str, Any] | None,
    initial: list[TechniqueEntry],
    modalities: Mapping[int, Modality],
    rows: int,
) -> BaseTechniqueFormSet:
    """Technique rows: the note's own, then empty ones up to `rows` (at least one)."""
    extra = max(1, min(rows, MAX_TECHNIQUE_ROWS) - len(initial))
    formset_class = formset_factory(
        TechniqueForm,
        formset=BaseTechniqueFormSet,
        extra=extra,
        max_num=MAX_TECHNIQUE_ROWS,
        validate_max=True,
    )
    # A bound formset gets no initial: a posted row equal to its initial would count
    # as "unchanged" and be dropped, which would delete the technique.
    return formset_class(
        data=data,
        initial=None
        if data is not None
        else [{"modality": m.pk, "minutes": n} for m, n in initial],
        prefix="techniques",
        modalities=modalities,
    )


def modalities_for_note(techniques: Iterable[TechniqueEntry]) -> dict[int, Modality]:
    """Active modalities by name, and any (since retired) the note already records."""
    chosen = {m.pk: m for m, _ in techniques}
    active = {m.pk: m for m in Modality.objects.filter(is_active=True)}
    merged = {**active, **chosen}
    return dict(sorted(merged.items(), key=lambda item: item[1].name))


class AddendumForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the addendum",
        max_length=250,
        help_text="e.g. a correction, a late entry, a follow-up call.",
    )
    text = forms.CharField(
        label="Addendum",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It is added under the signed note with your name and the time; "
        "it cannot be changed afterwards.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


# --- The body chart ------------------------------------------------------------------
# Front and back outlines side by side in one 400 x 400 box: the front view centred
# on x = 100 (the client's right on the viewer's left), the back view on x = 300
# (the client's left on the viewer's left). Each region is a checkbox; its shapes
# are drawn as a label for that checkbox, so a click on the drawing ticks it.

Point = tuple[float, float]
CHART_SIZE = 400
FRONT_AXIS = 100
BACK_SHIFT = 200

# The client's right side, front view. The left side is its mirror image; the back
# view shows the same limbs, the client's left now on the viewer's left.
_RIGHT_SIDE: dict[str, list[Point]] = {
    BodyRegion.SHOULDER_RIGHT: [(78, 72), (60, 78), (52, 96), (70, 100), (78, 96)],
    BodyRegion.ARM_RIGHT: [(52, 96), (70, 100), (66, 156), (48, 154)],
    BodyRegion.FOREARM_HAND_RIGHT: [
        (48, 154),
        (66, 156),
        (62, 214),
        (64, 236),
        (48, 240),
        (42, 214),
    ],
    BodyRegion.HIP_GLUTE_RIGHT: [(78, 168), (100, 168), (100, 198), (76, 198)],
    BodyRegion.THIGH_RIGHT: [(76, 198), (99, 198), (97, 266), (80, 266)],
    BodyRegion.KNEE_RIGHT: [(80, 266), (97, 266), (97, 290), (81, 290)],
    BodyRegion.LOWER_LEG_RIGHT: [(81, 290), (97, 290), (95, 352), (84, 352)],
    BodyRegion.FOOT_RIGHT: [(84, 352), (95, 352), (96, 368), (76, 368)],
}
_FRONT_ONLY: dict[str, list[Point]] = {
    BodyRegion.NECK: [(91, 60), (109, 60), (109, 72), (91, 72)],
    BodyRegion.JAW: [(86, 44), (114, 44), (108, 57), (100, 60), (92, 57)],
    BodyRegion.CHEST: [(78, 72), (122, 72), (124, 120), (76, 120)],
    BodyRegion.ABDOMEN: [(76, 120), (124, 120), (122, 168), (78, 168)],
}
_BACK_ONLY: dict[str, list[Point]] = {
    BodyRegion.NECK: [(291, 56), (309, 56), (309, 72), (291, 72)],
    BodyRegion.UPPER_BACK: [(278, 72), (322, 72), (323, 104), (277, 104)],
    BodyRegion.MID_BACK: [(277, 104), (323, 104), (324, 136), (276, 136)],
    BodyRegion.LOWER_BACK: [(276, 136), (324, 136), (322, 168), (278, 168)],
}


def _path(points: Iterable[Point]) -> str:
    return "M" + " L".join(f"{x:g} {y:g}" for x, y in points) + " Z"


def _mirrored(points: Iterable[Point]) -> list[Point]:
    return [(2 * FRONT_AXIS - x, y) for x, y in points]


def _shifted(points: Iterable[Point]) -> list[Point]:
    return [(x + BACK_SHIFT, y) for x, y in points]


def _head(cx: float) -> str:
    return f"M{cx - 20:g} 32 a20 24 0 1 0 40 0 a20 24 0 1 0 -40 0 Z"


def _body_chart_shapes() -> dict[str, list[str]]:
    shapes: dict[str, list[str]] = {region: [] for region in BodyRegion.values}
    shapes[BodyRegion.HEAD] = [_head(FRONT_AXIS), _head(FRONT_AXIS + BACK_SHIFT)]
    for right, points in _RIGHT_SIDE.items():
        left = right.replace("_right", "_left")
        shapes[right] += [_path(points), _path(_shifted(_mirrored(points)))]
        shapes[left] += [_path(_mirrored(points)), _path(_shifted(points))]
    for region, points in (*_FRONT_ONLY.items(), *_BACK_ONLY.items()):
        shapes[region].append(_path(points))
    return shapes


BODY_CHART_SHAPES = _body_chart_shapes()
BODY_CHART_GROUPS: list[tuple[str, list[str]]] = [
    ("Head and neck", ["head", "jaw", "neck"]),
    (
        "Shoulders and arms",
        [
            "shoulder_right",
            "shoulder_left",
            "arm_right",
            "arm_left",
            "forearm_hand_right",
            "forearm_hand_left",
        ],
    ),
    ("Trunk", ["chest", "abdomen", "upper_back", "mid_back", "lower_back"]),
    (
        "Hips and legs",
        [
            "hip_glute_right",
            "hip_glute_left",
            "thigh_right",
            "thigh_left",
            "knee_right",
            "knee_left",
            "lower_leg_right",
            "lower_leg_left",
            "foot_right",
            "foot_left",
        ],
    ),
]


@dataclass(frozen=True)
class ChartRegion:
    value: str
    label: str
    shapes: list[str]
    checked: bool
    flagged: bool


def body_chart(
    *, checked: Iterable[str], flagged: Iterable[str] = ()
) -> list[tuple[str, list[ChartRegion]]]:
    """The chart's regions in groups, with what is ticked and what a flag avoids."""
    checked, flagged = set(checked), set(flagged)
    labels = dict(BodyRegion.choices)
    return [
        (
            title,
            [
                ChartRegion(
                    value=value,
                    label=labels[value],
                    shapes=BODY_CHART_SHAPES[value],
                    checked=value in checked,
                    flagged=value in flagged,
                )
                for value in values
            ],
        )
        for title, values in BODY_CHART_GROUPS
    ]
