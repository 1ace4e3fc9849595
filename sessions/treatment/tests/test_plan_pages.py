"""The plan pages: new (from a referral), edit, the plan page, status changes, access
by role, and the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.models import Condition, Contraindication
from clients.tests.factories import AuthorizationFactory, ClientFactory
from massageclinic.models import AuditEvent
from sessions.models import Goal, TreatmentPlan
from sessions.tests.factories import (
    FIRST_VISIT,
    AppointmentFactory,
    make_plan,
    referral_for,
    shared_place,
    signed_visit,
    visits_of_a_plan,
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

Status = TreatmentPlan.Status
NOW = datetime(2026, 3, 31, 14, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def grace(therapist):
    """A client the therapist treats (a visit with them), with a referral."""
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    AppointmentFactory(
        client=client, therapist=therapist, starts_at=FIRST_VISIT - timedelta(days=7)
    )
    referral = referral_for(client, visits_authorized=12)
    referral.prescribed_modalities.set([modality("swedish"), modality("trigger-point")])
    return client


@pytest.fixture
def plan(grace, therapist):
    return make_plan(client=grace, therapist=therapist, referral=grace.referrals.get())


def _plan_post(**changes) -> dict[str, str]:
    data = {
        "referral": "",
        "problems": "M54.50, m62.830",
        "planned_modalities": [str(modality("swedish").pk)],
        "visits_per_week": "2",
        "visits_planned": "12",
        "session_minutes": "60",
        "starts_on": "2026-04-01",
        "review_on": "2026-05-13",
        "home_care_plan": "Cat-cow: 10 slow rounds each morning.",
        "goals-TOTAL_FORMS": "2",
        "goals-INITIAL_FORMS": "0",
        "goals-MIN_NUM_FORMS": "0",
        "goals-MAX_NUM_FORMS": "20",
        "goals-0-description": "Reduce low back pain",
        "goals-0-measure": "pain",
        "goals-0-baseline": "7",
        "goals-0-target": "3",
        "goals-1-description": "Raise the arm overhead",
        "goals-1-measure": "rom",
        "goals-1-movement": "right shoulder flexion",
        "goals-1-baseline": "120",
        "goals-1-target": "170",
    }
    return data | changes


def test_a_new_plan_is_filled_in_from_the_referral(client, therapist, grace):
    referral = grace.referrals.get()
    client.force_login(therapist.user)
    url = reverse("sessions:plan_new", args=[grace.pk]) + f"?referral={referral.pk}"
    page = client.get(url).content.decode()
    assert 'value="M54.50, M62.830"' in page
    assert 'name="visits_planned" value="12"' in page
    assert 'name="visits_per_week" value="2"' in page
    assert "Filled in from the referral" in page
    # The prescribed modalities come ticked.
    ticked = re.findall(r'name="planned_modalities" value="(\d+)"[^>]*checked', page)
    assert sorted(int(pk) for pk in ticked) == sorted(
        [modality("swedish").pk, modality("trigger-point").pk]
    )


def test_a_therapist_creates_a_plan_with_two_goals(client, therapist, grace):
    client.force_login(therapist.user)
    response = client.post(
        reverse("sessions:plan_new", args=[grace.pk]),
        _plan_post(referral=str(grace.referrals.get().pk)),
    )
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:plan", args=[plan.pk])
    assert plan.therapist == therapist
    assert plan.problems == ["M54.50", "M62.830"]
    assert plan.status == Status.DRAFT
    assert [g.measure for g in plan.goals.order_by("pk")] == ["pain", "rom"]
    assert AuditEvent.objects.filter(
        action="create", object_type="clinic_sessions.TreatmentPlan", client_id=grace.pk
    ).exists()


def test_the_form_puts_each_problem_on_its_field(client, therapist, grace):
    client.force_login(therapist.user)
    response = client.post(
        reverse("sessions:plan_new", args=[grace.pk]),
        _plan_post(
            **{
                "problems": "M54.50, lowback",
                "goals-0-baseline": "11",
                "goals-1-target": "",
                "review_on": "2026-03-01",
            }
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "is not an ICD-10-CM code" in page
    assert "pain is scored from 0 to 10" in page
    assert "needs a target" in page
    assert "The review cannot come before the start" in page
    assert 'value="Reduce low back pain"' in page  # what was typed is kept
    assert not TreatmentPlan.objects.exists()


def test_add_another_goal_gives_one_more_row_without_saving(client, therapist, grace):
    client.force_login(therapist.user)
    response = client.post(
        reverse("sessions:plan_new", args=[grace.pk]), _plan_post(add_goal="1")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Goal 3" in page and 'name="goals-2-description"' in page
    assert not TreatmentPlan.objects.exists()


def test_unsafe_planned_modalities_are_flagged_and_warned_not_blocked(
    client, therapist, grace
):
    condition = Condition.objects.get(slug="anticoagulants")
    Contraindication.objects.create(
        client=grace, condition=condition, severity=condition.default_severity
    )
    client.force_login(therapist.user)
    form = client.get(reverse("sessions:plan_new", args=[grace.pk])).content.decode()
    assert "Deep tissue (97124) — ruled out: no deep tissue: anticoagulant" in form
    response = client.post(
        reverse("sessions:plan_new", args=[grace.pk]),
        _plan_post(planned_modalities=[str(modality("deep-tissue").pk)]),
        follow=True,
    )
    page = response.content.decode()
    assert TreatmentPlan.objects.get().planned_modalities.get().slug == "deep-tissue"
    assert (
        "Safety: Deep tissue is not for Grace Okafor: no deep tissue: anticoagulant."
        in page
    )
    assert "Planned modalities that need care" in page


def test_the_manager_chooses_the_therapist(client, manager, therapist, grace):
    client.force_login(manager)
    response = client.post(
        reverse("sessions:plan_new", args=[grace.pk]),
        _plan_post(therapist=str(therapist.pk)),
    )
    assert response.status_code == 302
    assert TreatmentPlan.objects.get().therapist == therapist


def test_the_front_desk_may_not_write_a_plan(client, front_desk, grace):
    client.force_login(front_desk)
    assert client.get(reverse("sessions:plan_new", args=[grace.pk])).status_code == 403


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, other_therapist, plan
):
    client.force_login(other_therapist.user)
    for url in (
        reverse("sessions:plan_new", args=[plan.client.pk]),
        reverse("sessions:plan", args=[plan.pk]),
        reverse("sessions:plan_edit", args=[plan.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("sessions:plan_status", args=[plan.pk]), {"status": "completed"}
    )
    assert response.status_code == 404


def test_the_plan_page_shows_visits_authorization_and_goal_progress(
    client, therapist, plan
):
    AuthorizationFactory(
        policy__client=plan.client,
        referral=plan.referral,
        number="AUTH-7788",
        visits_authorized=10,
    )
    visits_of_a_plan(plan, place=shared_place())
    client.force_login(therapist.user)
    page = client.get(reverse("sessions:plan", args=[plan.pk])).content.decode()
    assert "4 of 12 done" in page
    assert "Prescribed visits" in page
    assert "Authorization AUTH-7788" in page
    assert "155°" in page and "70% of the way" in page  # 120 -> 155 of 170
    assert "M54.50</strong> Low back pain" in page
    assert "Write a progress report" in page
    assert "Book a series" not in page  # booking is the desk's
    assert AuditEvent.objects.filter(
        action="view", object_type="clinic_sessions.TreatmentPlan", object_id=plan.pk
    ).exists()


def test_the_plan_page_reads_a_fixed_number_of_queries(
    client, therapist, plan, django_assert_max_num_queries
):
    place = shared_place()
    visits_of_a_plan(plan, place=place, count=2)
    client.force_login(therapist.user)
    url = reverse("sessions:plan", args=[plan.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(2, 8):
        signed_visit(
            client=plan.client,
            therapist=therapist,
            plan=plan,
            place=place,
            starts_at=FIRST_VISIT + timedelta(weeks=n),
            pain_before=5,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_front_desk_sees_status_dates_and_books_the_series(
    client, front_desk, plan
):
    client.force_login(front_desk)
    response = client.get(reverse("sessions:plan", args=[plan.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Status and dates" in page and "Apr 14, 2026" in page
    assert f"{reverse('sessions:series_new')}?plan={plan.pk}" in page
    assert "Reduce low back pain" not in page
    assert "M54.50" not in page
    assert not AuditEvent.objects.filter(object_id=plan.pk).exists()
    assert client.get(reverse("sessions:plan_edit", args=[plan.pk])).status_code == 403


def test_the_manager_reads_and_changes_any_plan(client, manager, plan):
    client.force_login(manager)
    page = client.get(reverse("sessions:plan", args=[plan.pk])).content.decode()
    assert "Reduce low back pain" in page and "Book a series" in page
    assert client.get(reverse("sessions:plan_edit", args=[plan.pk])).status_code == 200


def test_another_treating_therapist_reads_but_does_not_change_the_plan(
    client, other_therapist, plan
):
    AppointmentFactory(client=plan.client, therapist=other_therapist)
    client.force_login(other_therapist.user)
    page = client.get(reverse("sessions:plan", args=[plan.pk])).content.decode()
    assert "Reduce low back pain" in page
    assert "Edit the plan" not in page
    assert client.get(reverse("sessions:plan_edit", args=[plan.pk])).status_code == 403
    response = client.post(
        reverse("sessions:plan_status", args=[plan.pk]), {"status": "completed"}
    )
    assert response.status_code == 403


def test_editing_keeps_the_goals_and_adds_one(client, therapist, plan):
    client.force_login(therapist.user)
    pain, rom = plan.goals.order_by("pk")
    form = client.get(reverse("sessions:plan_edit", args=[plan.pk])).content.decode()
    assert 'value="right shoulder flexion"' in form
    data = _plan_post(
        **{
            "goals-TOTAL_FORMS": "3",
            "goals-INITIAL_FORMS": "2",
            "goals-0-goal_id": str(pain.pk),
            "goals-0-target": "2",
            "goals-1-goal_id": str(rom.pk),
            "goals-2-description": "Sleep through the night",
            "goals-2-measure": "text",
            "goals-2-target_text": "No waking from pain",
        }
    )
    response = client.post(reverse("sessions:plan_edit", args=[plan.pk]), data)
    assert response.status_code == 302
    goals = list(plan.goals.order_by("pk"))
    assert [g.pk for g in goals[:2]] == [pain.pk, rom.pk]
    assert goals[0].target == 2
    assert goals[2].measure == Goal.Measure.TEXT


def test_status_buttons_start_and_discontinue_with_a_reason(client, therapist, grace):
    plan = make_plan(client=grace, therapist=therapist, status=Status.DRAFT)
    client.force_login(therapist.user)
    url = reverse("sessions:plan_status", args=[plan.pk])
    page = client.get(reverse("sessions:plan", args=[plan.pk])).content.decode()
    assert "Start the plan" in page and "Mark the plan completed" not in page

    assert client.post(url, {"status": "active"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE

    response = client.post(url, {"status": "discontinued", "reason": ""})
    assert response.status_code == 400
    assert "Say why the plan is discontinued" in response.content.decode()

    client.post(url, {"status": "discontinued", "reason": "Client moved to Ohio"})
    plan.refresh_from_db()
    assert (plan.status, plan.discontinued_reason) == (
        Status.DISCONTINUED,
        "Client moved to Ohio",
    )
    page = client.get(reverse("sessions:plan", args=[plan.pk])).content.decode()
    assert "Client moved to Ohio" in page and "Edit the plan" not in page
    assert client.post(url, {"status": "active"}).status_code == 400


def test_nonsense_status_is_a_form_error_not_a_500(client, therapist, plan):
    client.force_login(therapist.user)
    response = client.post(
        reverse("sessions:plan_status", args=[plan.pk]), {"status": "exploded"}
    )
    assert response.status_code == 400


def test_the_chart_tab_links_each_plan_and_offers_a_new_one(client, therapist, plan):
    client.force_login(therapist.user)
    page = client.get(reverse("clients:plans", args=[plan.client.pk])).content.decode()
    assert reverse("sessions:plan", args=[plan.pk]) in page
    assert reverse("sessions:plan_new", args=[plan.client.pk]) in page
    assert reverse("sessions:client_progress", args=[plan.client.pk]) in page


def test_a_review_date_in_the_past_is_fine_for_an_old_plan(client, therapist, grace):
    client.force_login(therapist.user)
    response = client.post(
        reverse("sessions:plan_new", args=[grace.pk]),
        _plan_post(starts_on="2026-01-05", review_on="2026-02-16"),
    )
    assert response.status_code == 302
    assert TreatmentPlan.objects.get().review_on == date(2026, 2, 16)
