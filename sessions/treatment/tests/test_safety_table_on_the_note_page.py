"""A sample of the safety decision table, run through the real note page as the
therapist: the technique recorded, on the areas treated, at the pressure used.

*Safe* saves; *safe with a modification* saves once the therapist gives a reason;
*not this technique* (or not this area, not this pressure) and *no massage* are never
recorded, whatever the reason typed.
"""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from clients.models import Condition, Contraindication
from clients.tests.test_safety_decisions import TABLE, Outcome
from sessions.models import SessionNote
from sessions.treatment.tests.test_note_helpers import (
    AFTER_VISIT,
    form_post,
    visit_fixture,  # noqa: F401
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

# Every row with an area or a pressure (the note records both), and every third
# other row; together they hold each outcome.
ROWS = [row for row in TABLE if row[3] or row[4]] + [
    row for row in TABLE if not (row[3] or row[4])
][::3]


@pytest.fixture(autouse=True)
def _after_the_visit():
    with time_machine.travel(AFTER_VISIT, tick=False):
        yield


def test_the_sample_holds_every_outcome():
    assert {row[5] for row in ROWS} == set(Outcome)


def _post(technique: str, area: str, pressure: str, **extra) -> dict:
    return form_post(
        **{
            "techniques-0-modality": str(modality(technique).pk),
            "techniques-0-minutes": "40",
            "techniques-1-modality": "",
            "techniques-1-minutes": "",
            "areas_treated": [area or "neck"],
            "pressure": pressure,
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("condition", "fields", "technique", "area", "pressure", "outcome", "headline"),
    ROWS,
    ids=[f"{r[0]}-{r[2]}-{r[3] or 'any'}-{r[4] or 'any'}-{r[5].name}" for r in ROWS],
)
def test_the_note_page_acts_on_the_decision(
    client,
    therapist,
    visit,
    condition,
    fields,
    technique,
    area,
    pressure,
    outcome,
    headline,
):
    if condition:
        found = Condition.objects.get(slug=condition)
        Contraindication.objects.create(
            client=visit.client,
            condition=found,
            severity=found.default_severity,
            **fields,
        )
    client.force_login(therapist.user)
    url = reverse("sessions:note", args=[visit.pk])

    def recorded() -> list[str]:
        note = SessionNote.objects.filter(appointment=visit).first()
        return [t.modality.slug for t in note.techniques.all()] if note else []

    assert client.get(url).status_code == 200  # opens the draft
    first = client.post(url, _post(technique, area, pressure))
    page = first.content.decode()
    if outcome == Outcome.SAFE:
        assert first.status_code == 302, page
        assert recorded() == [technique]
        return
    assert first.status_code == 400, page
    if outcome == Outcome.MODIFY:
        assert "needs care" in page
        assert recorded() == []
        again = client.post(
            url, _post(technique, area, pressure, safety_reason="As the alert says.")
        )
        assert again.status_code == 302, again.content.decode()
        assert recorded() == [technique]
        return
    assert "cannot be recorded in this note" in page
    insisted = client.post(
        url, _post(technique, area, pressure, safety_reason="The client insists.")
    )
    assert insisted.status_code == 400
    assert recorded() == []


def test_the_safety_panel_asks_about_the_pressure_and_areas_as_typed(
    client, therapist, visit
):
    found = Condition.objects.get(slug="anticoagulants")
    Contraindication.objects.create(
        client=visit.client, condition=found, severity=found.default_severity
    )
    client.force_login(therapist.user)
    assert client.get(reverse("sessions:note", args=[visit.pk])).status_code == 200
    units = reverse("sessions:note_units", args=[visit.pk])
    htmx = {"HTTP_HX_REQUEST": "true"}
    moderate = client.post(units, _post("swedish", "", "moderate"), **htmx)
    assert "needs care" in moderate.content.decode()
    firm = client.post(units, _post("swedish", "", "firm"), **htmx).content.decode()
    assert "is ruled out for this client: not firm pressure" in firm
