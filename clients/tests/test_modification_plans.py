"""Therapists' modification plans: who may record one, for what, for how long; the
chart's page and section; and booking a ruled-out technique while one is in force."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clients.models import Condition, ModificationPlan
from clients.modification_plans import (
    modification_plan_record,
    modification_plan_withdraw,
    ruled_out_techniques,
)
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.models import Appointment, Place
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_book,
)
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

# Monday 30 November 2026, 08:00 in New York.
NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 local
CONTEXT = AuditContext.system("test")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def grace(therapist, location, front_desk):
    """Anticoagulated (no deep tissue), with a visit with Tara: Tara treats her."""
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    contraindication_add(
        context=CONTEXT,
        client=client,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    AppointmentFactory(
        client=client,
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location, name="Room 1"),
        starts_at=NOW - timedelta(days=7),
        ends_at=NOW - timedelta(days=7) + timedelta(hours=1),
        status=Appointment.Status.COMPLETED,
    )
    return client


def _record(by, client, **overrides):
    fields = dict(
        client=client,
        modality=modality("deep-tissue"),
        changes="Light pressure over the calves; no friction",
        reason="Chronic low back hypertonicity; INR stable, physician informed.",
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=90),
        by=by,
        today=TODAY,
        context=CONTEXT,
    )
    fields.update(overrides)
    return modification_plan_record(**fields)


def _messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- The service -------------------------------------------------------------------


def test_a_licensed_therapist_records_a_plan_and_it_is_audited(therapist, grace):
    plan = _record(therapist.user, grace)
    assert plan.therapist == therapist
    assert plan.in_force_on(TODAY)
    event = AuditEvent.objects.get(object_type="clients.ModificationPlan")
    assert event.action == AuditEvent.Action.CREATE
    assert event.client_id == grace.pk
    assert "Deep tissue" in event.summary


@pytest.mark.parametrize("who", ["front_desk", "manager"])
def test_only_a_therapist_may_record_a_plan(request, grace, who):
    user = request.getfixturevalue(who)
    with pytest.raises(ValidationError) as excinfo:
        _record(user, grace)
    assert _messages(excinfo) == (
        "Only a licensed therapist can record a modification plan."
    )
    assert not ModificationPlan.objects.exists()


def test_a_therapist_who_does_not_treat_the_client_may_not_record_one(grace):
    stranger = TherapistFactory()
    with pytest.raises(ValidationError, match="Only a therapist who treats"):
        _record(stranger.user, grace)
    assert not ModificationPlan.objects.exists()


def test_a_therapist_whose_licence_has_expired_by_the_start_may_not(therapist, grace):
    therapist.license_expires_on = TODAY + timedelta(days=5)
    therapist.save()
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace, starts_on=TODAY + timedelta(days=6))
    message = _messages(excinfo)
    assert "license expired on 05 Dec 2026" in message
    assert "Only a licensed therapist can record a modification plan." in message


def test_a_technique_the_rules_allow_needs_no_plan(therapist, grace):
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace, modality=modality("swedish"))
    assert _messages(excinfo) == (
        "Swedish is not ruled out for Grace Okafor: no plan is needed."
    )


def test_a_plan_cannot_lift_no_massage(therapist, grace, front_desk):
    contraindication_add(
        context=CONTEXT,
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=front_desk,
    )
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace)
    assert _messages(excinfo) == (
        "No massage until a physician's clearance is recorded: a modification plan "
        "cannot lift it."
    )


@pytest.mark.parametrize(
    ("dates", "words"),
    [
        ({"starts_on": TODAY - timedelta(days=1)}, "cannot start in the past"),
        (
            {"starts_on": TODAY + timedelta(days=3), "ends_on": TODAY},
            "must end on or after the day it starts",
        ),
        ({"ends_on": date(2027, 12, 1)}, "at most a year: end it by 30 Nov 2027"),
    ],
)
def test_the_dates_are_bounded(therapist, grace, dates, words):
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace, **dates)
    assert words in _messages(excinfo)


def test_exactly_a_year_is_accepted(therapist, grace):
    assert _record(therapist.user, grace, ends_on=date(2027, 11, 30)).pk


@pytest.mark.parametrize("field", ["changes", "reason"])
def test_changes_and_reason_are_required(therapist, grace, field):
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace, **{field: "   "})
    assert field in excinfo.value.error_dict


def test_a_second_overlapping_plan_is_refused(therapist, grace):
    _record(therapist.user, grace)
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace, starts_on=TODAY + timedelta(days=10))
    assert "already in force" in _messages(excinfo)


def test_a_document_that_is_not_a_pdf_or_image_is_refused(therapist, grace):
    fake = SimpleUploadedFile("clearance.pdf", b"MZ not a pdf", "application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        _record(therapist.user, grace, clearance_document=fake)
    assert "not a PDF, PNG or JPEG" in _messages(excinfo)


def test_the_therapist_who_recorded_it_withdraws_it(therapist, grace):
    plan = _record(therapist.user, grace)
    modification_plan_withdraw(
        plan=plan, by=therapist.user, now=timezone.now(), context=CONTEXT
    )
    plan.refresh_from_db()
    assert plan.withdrawn_by == therapist.user
    assert not plan.in_force_on(TODAY)
    assert AuditEvent.objects.filter(
        object_type="clients.ModificationPlan", action=AuditEvent.Action.CHANGE
    ).exists()
    assert modality("deep-tissue") in ruled_out_techniques(client=grace, on=TODAY)


def test_a_manager_may_withdraw_but_another_therapist_may_not(
    therapist, other_therapist, manager, grace
):
    plan = _record(therapist.user, grace)
    with pytest.raises(ValidationError) as excinfo:
        modification_plan_withdraw(
            plan=plan, by=other_therapist.user, now=timezone.now(), context=CONTEXT
        )
    assert "Only the therapist who recorded this plan" in _messages(excinfo)
    modification_plan_withdraw(
        plan=plan, by=manager, now=timezone.now(), context=CONTEXT
    )
    with pytest.raises(ValidationError) as excinfo:
        modification_plan_withdraw(
            plan=plan, by=manager, now=timezone.now(), context=CONTEXT
        )
    assert "already withdrawn" in _messages(excinfo)


# --- The page and the chart ---------------------------------------------------------


def _new_url(client) -> str:
    return reverse("clients:modification_plan_new", args=[client.pk])


def test_the_front_desk_gets_403(client, front_desk, grace):
    client.force_login(front_desk)
    assert client.get(_new_url(grace)).status_code == 403
    assert client.post(_new_url(grace), {}).status_code == 403


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, other_therapist, grace
):
    client.force_login(other_therapist.user)
    assert client.get(_new_url(grace)).status_code == 404


def test_the_chart_lists_the_ruled_out_techniques_with_links(client, therapist, grace):
    client.force_login(therapist.user)
    page = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()
    assert "Ruled out by the safety rules:" in page
    assert f"?modality={modality('deep-tissue').pk}" in page
    assert "Record a modification plan" in page


def test_the_desk_sees_the_section_without_the_button(client, front_desk, grace):
    client.force_login(front_desk)
    page = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()
    assert "Ruled out by the safety rules:" in page
    assert "Record a modification plan" not in page


def test_the_form_offers_only_the_ruled_out_techniques(client, therapist, grace):
    client.force_login(therapist.user)
    deep = modality("deep-tissue")
    response = client.get(_new_url(grace) + f"?modality={deep.pk}")
    choices = list(response.context["form"].fields["modality"].queryset)
    assert deep in choices and modality("swedish") not in choices
    assert response.context["form"].initial["modality"] == deep.pk


def _post_plan(client, grace, **overrides):
    data = {
        "modality": modality("deep-tissue").pk,
        "changes": "Light pressure over the calves; no friction",
        "reason": "Chronic low back hypertonicity; INR stable.",
        "starts_on": "2026-11-30",
        "ends_on": "2027-02-28",
    }
    data.update(overrides)
    return client.post(_new_url(grace), data)


def test_a_form_error_is_shown_next_to_its_field(client, therapist, grace):
    client.force_login(therapist.user)
    response = _post_plan(client, grace, ends_on="2028-01-01")
    assert response.status_code == 200
    assert "at most a year" in str(response.context["form"].errors["ends_on"])
    assert not ModificationPlan.objects.exists()


@pytest.fixture
def bookable(therapist, location):
    """Tara offers deep tissue and works weekdays 9-17 at Riverside."""
    Training.objects.create(therapist=therapist, modality=modality("deep-tissue"))
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
    return RoomFactory(location=location, name="Maple Room")


def _book_deep_tissue(grace, therapist, location, room, desk, **extra):
    fields = dict(
        client=grace,
        therapist=therapist,
        modality=modality("deep-tissue"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        place=Place.ROOM,
        room=room,
        booked_by=desk,
        now=NOW,
    )
    fields.update(extra)
    return appointment_book(**fields)


def test_after_a_plan_is_recorded_deep_tissue_books_and_after_withdrawal_not(
    client, therapist, front_desk, grace, location, bookable
):
    with pytest.raises(ValidationError) as excinfo:
        _book_deep_tissue(grace, therapist, location, bookable, front_desk)
    assert "Deep tissue is not for Grace Okafor" in _messages(excinfo)

    client.force_login(therapist.user)
    response = _post_plan(client, grace)
    assert response.status_code == 302
    assert response["Location"].endswith("#modification-plans")
    plan = ModificationPlan.objects.get()
    chart = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()
    assert "Light pressure over the calves; no friction" in chart
    assert "Withdraw" in chart

    with pytest.raises(BookingNeedsConfirmation) as excinfo:
        _book_deep_tissue(grace, therapist, location, bookable, front_desk)
    assert any("modification plan by Tara Hands" in s for s in excinfo.value.safety)
    visit = _book_deep_tissue(
        grace,
        therapist,
        location,
        bookable,
        front_desk,
        confirmation=Confirmation(safety_acknowledged=True),
    )
    assert "modification plan by Tara Hands" in visit.safety_acknowledgement

    response = client.post(
        reverse("clients:modification_plan_withdraw", args=[grace.pk, plan.pk])
    )
    assert response.status_code == 302
    with pytest.raises(ValidationError) as excinfo:
        _book_deep_tissue(
            grace,
            therapist,
            location,
            bookable,
            front_desk,
            starts_at=TUESDAY_10AM + timedelta(hours=2),
            confirmation=Confirmation(safety_acknowledged=True),
        )
    assert "Deep tissue is not for Grace Okafor" in _messages(excinfo)


def test_the_front_desk_cannot_withdraw(client, therapist, front_desk, grace):
    plan = _record(therapist.user, grace)
    client.force_login(front_desk)
    url = reverse("clients:modification_plan_withdraw", args=[grace.pk, plan.pk])
    assert client.post(url).status_code == 403
    plan.refresh_from_db()
    assert plan.withdrawn_at is None
