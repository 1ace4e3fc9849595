"""Progress from signed notes: the selectors, the SVG charts, the pages, access and
query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from sessions.models import Appointment, Goal
from sessions.tests.factories import (
    FIRST_VISIT,
    AppointmentFactory,
    make_plan,
    shared_place,
    signed_visit,
    visits_of_a_plan,
)
from sessions.treatment.progress import (
    client_progress,
    plan_progress,
    plan_visit_counts,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 20, 14, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(therapist):
    return make_plan(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
    )


def _goals(plan):
    return list(plan.goals.order_by("pk"))


def test_only_signed_notes_count_in_date_order(plan):
    place = shared_place()
    visits_of_a_plan(plan, place=place, count=3)
    signed_visit(
        client=plan.client,
        therapist=plan.therapist,
        plan=plan,
        place=place,
        starts_at=FIRST_VISIT + timedelta(weeks=5),
        pain_before=1,
        signed=False,
    )
    progress = plan_progress(plan=plan)
    assert [v.day for v in progress.visits] == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
    ]
    assert [(v.pain_before, v.pain_after) for v in progress.visits] == [
        (7, 5),
        (6, 4),
        (5, 3),
    ]
    assert progress.visits_done == 3


def test_each_goal_reads_its_measures_against_baseline_and_target(plan):
    visits_of_a_plan(plan, place=shared_place())
    pain, rom = plan_progress(plan=plan).goals
    assert [v for _, v in rom.readings] == [125, 135, 145, 155]
    assert (rom.latest, rom.latest_on) == (Decimal(155), date(2026, 3, 24))
    assert rom.change == 35
    assert rom.percent_of_way == 70  # 35 of the 50 degrees from 120 to 170
    assert not rom.target_reached
    assert pain.latest == 3 and pain.percent_of_way == 100 and pain.target_reached


def test_measures_are_read_however_the_note_stored_them(plan, therapist):
    pain, rom = _goals(plan)
    text = Goal.objects.create(
        plan=plan, description="Sleep", measure="text", target_text="Sleeps through"
    )
    signed_visit(
        client=plan.client,
        therapist=therapist,
        plan=plan,
        starts_at=FIRST_VISIT,
        measures={
            str(pain.pk): "6.5",
            str(rom.pk): {"value": 131},
            str(text.pk): "Woke twice",
            "999999": 4,  # a goal of no plan here
            "not-a-goal": 3,
        },
    )
    signed_visit(
        client=plan.client,
        therapist=therapist,
        plan=plan,
        starts_at=FIRST_VISIT + timedelta(days=3),
        measures={str(pain.pk): "", str(rom.pk): "stiff"},
    )
    pain_p, rom_p, text_p = plan_progress(plan=plan).goals
    assert pain_p.readings == [(date(2026, 3, 3), Decimal("6.5"))]
    assert rom_p.readings == [(date(2026, 3, 3), Decimal(131))]
    assert text_p.latest == "Woke twice" and text_p.chart is None


def test_a_note_outside_the_plan_that_measured_its_goal_still_counts(plan, therapist):
    pain, _ = _goals(plan)
    signed_visit(
        client=plan.client,
        therapist=therapist,
        starts_at=FIRST_VISIT,
        measures={str(pain.pk): 5},
    )
    # Another client's visit, even measuring with the same key, never does.
    signed_visit(
        client=ClientFactory(),
        therapist=therapist,
        starts_at=FIRST_VISIT + timedelta(hours=2),
        measures={str(pain.pk): 1},
    )
    progress = plan_progress(plan=plan)
    assert len(progress.visits) == 1
    assert progress.goals[0].latest == 5


def test_a_report_period_keeps_the_visits_of_its_local_days(plan):
    visits_of_a_plan(plan, place=shared_place())
    progress = plan_progress(plan=plan, period=(date(2026, 3, 10), date(2026, 3, 17)))
    assert [v.day for v in progress.visits] == [date(2026, 3, 10), date(2026, 3, 17)]
    assert progress.techniques[0].minutes == 100


def test_the_visit_counts_use_completed_visits_with_a_signed_note(plan, therapist):
    place = shared_place()
    visits_of_a_plan(plan, place=place, count=2)
    AppointmentFactory(
        client=plan.client,
        therapist=therapist,
        plan=plan,
        location=place[0],
        room=place[1],
        starts_at=NOW + timedelta(days=2),
    )
    counts = plan_visit_counts(plan, plan_progress(plan=plan))
    assert (counts.done, counts.planned, counts.booked_ahead) == (2, 12, 1)
    assert plan_visit_counts(plan, None).done == 2


def test_the_pain_chart_is_an_accessible_svg_of_both_lines(plan):
    visits_of_a_plan(plan, place=shared_place())
    chart = plan_progress(plan=plan).pain_chart
    before, after = chart.series
    assert [p.label for p in before.points][0] == "Mar 3, 2026: pain before 7/10"
    assert after.marker == "square" and after.dashed  # not by colour alone
    # 0-10 scale: pain 7 sits higher (smaller y) than pain 5.
    assert before.points[0].y < after.points[0].y
    assert [t.label for t in chart.x_ticks] == ["Mar 3", "Mar 10", "Mar 17", "Mar 24"]
    svg = render_to_string("sessions/_svg_chart.html", {"chart": chart})
    assert 'role="img"' in svg
    assert f'aria-labelledby="{chart.slug}-title {chart.slug}-desc"' in svg
    assert "<title" in svg and "Pain before the visit went from 7/10" in svg
    assert svg.count("<circle") == 4 + 1  # four visits and the legend
    assert svg.count("<polyline") == 2


def test_a_goal_chart_draws_baseline_and_target_lines(plan):
    visits_of_a_plan(plan, place=shared_place())
    rom = plan_progress(plan=plan).goals[1]
    labels = [r.label for r in rom.chart.references]
    assert labels == ["Baseline 120°", "Target 170°"]
    baseline, target = rom.chart.references
    assert target.y < baseline.y  # higher is better for this goal
    assert rom.chart.y_ticks[0].label <= "120"


def test_close_dates_do_not_crowd_the_axis(plan, therapist):
    for day in range(0, 60, 2):
        signed_visit(
            client=plan.client,
            therapist=therapist,
            plan=plan,
            starts_at=FIRST_VISIT + timedelta(days=day),
            pain_before=5,
        )
    ticks = plan_progress(plan=plan).pain_chart.x_ticks
    gaps = [b.position - a.position for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) < 30 and min(gaps) >= 52


def test_an_empty_chart_says_so(plan):
    chart = plan_progress(plan=plan).pain_chart
    assert chart.is_empty
    svg = render_to_string("sessions/_svg_chart.html", {"chart": chart})
    assert "No signed visit has recorded this yet." in svg


def test_client_progress_groups_goals_by_plan(plan, therapist):
    visits_of_a_plan(plan, place=shared_place(), count=2)
    older = make_plan(
        client=plan.client,
        therapist=therapist,
        starts_on=date(2025, 9, 1),
        review_on=date(2025, 10, 1),
        status="completed",
        goals=(
            {"description": "Turn the head", "measure": "text", "target_text": "x"},
        ),
    )
    data = client_progress(client=plan.client)
    assert [g.plan for g in data.plans] == [plan, older]
    assert [len(g.goals) for g in data.plans] == [2, 1]
    assert len(data.progress.visits) == 2


def _grow(plan, place, start: int, end: int) -> None:
    pain, rom = _goals(plan)
    for n in range(start, end):
        signed_visit(
            client=plan.client,
            therapist=plan.therapist,
            plan=plan,
            place=place,
            starts_at=FIRST_VISIT + timedelta(weeks=n),
            pain_before=6,
            pain_after=4,
            measures={str(pain.pk): 5, str(rom.pk): 140},
            minutes={"swedish": 30, "trigger-point": 15},
        )


@pytest.mark.parametrize("page", ["plan_progress", "client_progress"])
def test_the_progress_pages_read_a_fixed_number_of_queries(
    client, therapist, plan, page, django_assert_max_num_queries
):
    place = shared_place()
    _grow(plan, place, 0, 2)
    client.force_login(therapist.user)
    target = plan.pk if page == "plan_progress" else plan.client.pk
    url = reverse(f"sessions:{page}", args=[target])
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    _grow(plan, place, 2, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("<tr>") > 10


def test_the_progress_page_has_charts_with_data_tables(client, therapist, plan):
    visits_of_a_plan(plan, place=shared_place())
    client.force_login(therapist.user)
    page = client.get(
        reverse("sessions:plan_progress", args=[plan.pk])
    ).content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assert "Pain at each visit, as a table" in page
    assert "Raise the right arm overhead (right shoulder flexion): readings" in page
    assert "Swedish" in page and "200" in page  # minutes per technique
    assert "<script>" not in page
    assert AuditEvent.objects.filter(
        action="view", object_id=plan.pk, client_id=plan.client.pk
    ).exists()


def test_the_front_desk_may_not_read_progress(client, front_desk, plan):
    client.force_login(front_desk)
    assert (
        client.get(reverse("sessions:plan_progress", args=[plan.pk])).status_code == 403
    )
    url = reverse("sessions:client_progress", args=[plan.client.pk])
    assert client.get(url).status_code == 403


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, other_therapist, plan
):
    client.force_login(other_therapist.user)
    assert (
        client.get(reverse("sessions:plan_progress", args=[plan.pk])).status_code == 404
    )
    url = reverse("sessions:client_progress", args=[plan.client.pk])
    assert client.get(url).status_code == 404


def test_the_manager_reads_progress(client, manager, plan):
    client.force_login(manager)
    url = reverse("sessions:client_progress", args=[plan.client.pk])
    assert client.get(url).status_code == 200


def test_a_checked_in_visit_with_a_signed_note_charts_but_is_not_done(plan, therapist):
    signed_visit(
        client=plan.client,
        therapist=therapist,
        plan=plan,
        starts_at=FIRST_VISIT,
        pain_before=6,
        status=Appointment.Status.CHECKED_IN,
    )
    progress = plan_progress(plan=plan)
    assert len(progress.visits) == 1 and progress.visits_done == 0


def test_a_worded_unit_stands_apart_from_its_number(plan, therapist):
    ndi = Goal.objects.create(
        plan=plan,
        description="Neck Disability Index",
        measure="function",
        unit="points",
        baseline=30,
        target=10,
    )
    signed_visit(
        client=plan.client,
        therapist=therapist,
        plan=plan,
        starts_at=FIRST_VISIT,
        measures={str(ndi.pk): 20},
    )
    item = plan_progress(plan=plan).goals[2]
    assert item.percent_of_way == 50  # lower is better here
    assert [r.label for r in item.chart.references] == [
        "Baseline 30 points",
        "Target 10 points",
    ]
