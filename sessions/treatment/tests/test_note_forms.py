"""The note's forms: the body chart covers every region, readings are stored plainly."""

from __future__ import annotations

from collections import Counter

import pytest

from massageclinic.choices import BodyRegion
from sessions.treatment.forms.notes import (
    BODY_CHART_GROUPS,
    BODY_CHART_SHAPES,
    NoteForm,
    body_chart,
    measure_field_name,
)
from sessions.treatment.tests.test_note_helpers import (  # noqa: F401
    plan_with_goals,
    visit_fixture,
)


def test_every_body_region_is_on_the_chart_once():
    listed = Counter(value for _, values in BODY_CHART_GROUPS for value in values)
    assert set(listed) == set(BodyRegion.values)
    assert set(listed.values()) == {1}
    assert all(BODY_CHART_SHAPES[region] for region in BodyRegion.values)


def test_limbs_appear_on_the_front_and_the_back():
    assert len(BODY_CHART_SHAPES["shoulder_left"]) == 2
    assert len(BODY_CHART_SHAPES["chest"]) == 1  # front only
    assert len(BODY_CHART_SHAPES["lower_back"]) == 1  # back only


def test_the_chart_marks_ticked_and_flagged_regions():
    regions = {
        r.value: r
        for _, group in body_chart(checked=["neck"], flagged=["knee_right"])
        for r in group
    }
    assert regions["neck"].checked and not regions["neck"].flagged
    assert regions["knee_right"].flagged and not regions["knee_right"].checked
    assert regions["neck"].label == "Neck"


@pytest.mark.django_db
def test_goal_readings_are_stored_as_plain_numbers(visit):
    _, pain, flexion = plan_with_goals(visit)
    form = NoteForm(
        {measure_field_name(pain): "4", measure_field_name(flexion): "142.5"},
        goals=[pain, flexion],
    )
    assert form.is_valid(), form.errors
    assert form.note_data()["measures"] == {pain.pk: 4, flexion.pk: 142.5}
    assert form.fields[measure_field_name(flexion)].label == (
        "Right shoulder flexion (degrees)"
    )


@pytest.mark.django_db
def test_a_pain_reading_above_ten_is_refused_and_not_saved(visit):
    _, pain, flexion = plan_with_goals(visit)
    form = NoteForm(
        {measure_field_name(pain): "12", "findings": "Tight"}, goals=[pain, flexion]
    )
    assert not form.is_valid()
    data = form.note_data()
    assert "measures" not in data  # kept as they were
    assert data["findings"] == "Tight"
