"""New alerts reach visits already booked: the review list, and its three answers.

A flag added after booking puts the visit on the list with what to do; changing the
technique in place, a therapist's modification plan or the desk's acknowledgement
takes it off; nothing new, nothing listed; the list's queries do not grow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Condition, Contraindication
from clients.modification_plans import modification_plan_record
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.kept_reference import keep_reference_data
from sessions.models import Appointment, AppointmentEvent, SessionNote
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    appointment_book,
    appointment_reschedule,
)
from sessions.scheduling.safety_review import (
    ReviewAction,
    visits_needing_safety_review,
)
from sessions.scheduling.series import ProposedSeries, SeriesRule, series_book
from sessions.scheduling.technique import (
    appointment_change_technique,
    appointment_safety_acknowledge,
    series_change_technique,
)
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

# Monday 30 November 2026, 08:00 in New York (UTC-5).
NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CONTEXT = AuditContext(user=None, path="test")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Maple Room")


@pytest.fixture
def tara(therapist, location):
    for slug in ("swedish", "deep-tissue", "cupping"):
        Training.objects.create(therapist=therapist, modality=modality(slug))
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
    return therapist


@pytest.fixture
def grace():
    return ClientFactory(first_name="Grace", last_name="Okafor")


@pytest.fixture
def deep_tissue_visit(tara, grace, location, room, front_desk):
    return appointment_book(
        client=grace,
        therapist=tara,
        modality=modality("deep-tissue"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
        room=room,
    )


def _flag(client, slug: str, by):
    condition = Condition.objects.get(slug=slug)
    return contraindication_add(
        client=client,
        condition=condition,
        severity=condition.default_severity,
        by=by,
        context=CONTEXT,
    )


def _review_of(visit):
    reviews = visits_needing_safety_review(now=NOW)
    return next((r for r in reviews if r.appointment.pk == visit.pk), None)


def test_a_visit_with_nothing_new_is_not_listed(deep_tissue_visit):
    assert visits_needing_safety_review(now=NOW) == []


def test_a_flag_added_after_booking_lists_the_visit_with_a_change_of_technique(
    deep_tissue_visit, grace, front_desk
):
    _flag(grace, "anticoagulants", front_desk)

    review = _review_of(deep_tissue_visit)

    assert review is not None
    assert review.action == ReviewAction.CHANGE_TECHNIQUE
    assert "new since booking: no deep tissue: anticoagulant" in review.what_changed
    # Tara offers Swedish, deep tissue and cupping: the rules allow only Swedish.
    assert [m.name for m in review.allowed_techniques] == ["Swedish"]
    assert "change the technique to one the rules allow (Swedish)" in (
        review.what_to_do
    )
    assert "modification plan for Deep tissue" in review.what_to_do


def test_an_absolute_flag_asks_to_reschedule_or_cancel(
    deep_tissue_visit, grace, front_desk
):
    _flag(grace, "fever", front_desk)

    review = _review_of(deep_tissue_visit)

    assert review.action == ReviewAction.NO_MASSAGE
    assert review.allowed_techniques == []
    assert "reschedule" in review.what_to_do and "cancel" in review.what_to_do


def test_changing_the_technique_in_place_to_a_safe_one_takes_it_off(
    deep_tissue_visit, grace, front_desk
):
    _flag(grace, "anticoagulants", front_desk)
    with pytest.raises(BookingNeedsConfirmation) as needs:
        appointment_change_technique(
            appointment=deep_tissue_visit,
            modality=modality("swedish"),
            by=front_desk,
            now=NOW,
            context=CONTEXT,
        )
    assert any("pressure" in s for s in needs.value.safety)

    visit = appointment_change_technique(
        appointment=deep_tissue_visit,
        modality=modality("swedish"),
        by=front_desk,
        now=NOW,
        context=CONTEXT,
        confirmation=Confirmation(safety_acknowledged=True),
    )

    assert visit.modality.slug == "swedish"
    assert (visit.starts_at, visit.room_id) == (TUESDAY_10AM, deep_tissue_visit.room_id)
    assert _review_of(visit) is None
    kinds = list(visit.events.values_list("kind", "summary"))
    assert (
        AppointmentEvent.Kind.RESCHEDULED,
        "Technique changed from Deep tissue to Swedish",
    ) in kinds
    assert AuditEvent.objects.filter(
        object_type="clinic_sessions.Appointment",
        object_id=visit.pk,
        client_id=grace.pk,
        action=AuditEvent.Action.CHANGE,
    ).exists()


def test_changing_the_technique_follows_the_booking_rules(
    deep_tissue_visit, grace, front_desk
):
    _flag(grace, "anticoagulants", front_desk)
    with pytest.raises(ValidationError, match="Cupping is not for Grace Okafor"):
        appointment_change_technique(
            appointment=deep_tissue_visit,
            modality=modality("cupping"),
            by=front_desk,
            now=NOW,
            context=CONTEXT,
        )
    with pytest.raises(ValidationError, match="does not offer Reflexology"):
        appointment_change_technique(
            appointment=deep_tissue_visit,
            modality=modality("reflexology"),
            by=front_desk,
            now=NOW,
            context=CONTEXT,
            confirmation=Confirmation(safety_acknowledged=True),
        )
    deep_tissue_visit.refresh_from_db()
    assert deep_tissue_visit.modality.slug == "deep-tissue"


def test_a_documented_visit_keeps_its_technique(deep_tissue_visit, front_desk, tara):
    Appointment.objects.filter(pk=deep_tissue_visit.pk).update(
        status=Appointment.Status.COMPLETED
    )
    note = SessionNote.objects.create(
        appointment=deep_tissue_visit, therapist=tara, complaint="Low back pain"
    )
    note.signed_at, note.signed_by, note.content_sha256 = NOW, tara.user, "c" * 64
    note.save()
    with pytest.raises(ValidationError, match="This visit is documented"):
        appointment_change_technique(
            appointment=deep_tissue_visit,
            modality=modality("swedish"),
            by=front_desk,
            now=NOW,
            context=CONTEXT,
        )


def test_a_modification_plan_takes_it_off(deep_tissue_visit, grace, front_desk, tara):
    _flag(grace, "anticoagulants", front_desk)
    modification_plan_record(
        client=grace,
        modality=modality("deep-tissue"),
        changes="light pressure only, no work over the shins",
        reason="Chronic low back pain answers to deep work",
        starts_on=date(2026, 11, 30),
        ends_on=date(2027, 2, 28),
        by=tara.user,
        today=date(2026, 11, 30),
        context=CONTEXT,
    )

    assert _review_of(deep_tissue_visit) is None


def test_new_modifications_only_ask_for_an_acknowledgement(
    tara, grace, location, room, front_desk
):
    swedish = appointment_book(
        client=grace,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
        room=room,
    )
    _flag(grace, "anticoagulants", front_desk)

    review = _review_of(swedish)
    assert review.action == ReviewAction.ACKNOWLEDGE
    assert review.new_reasons

    appointment_safety_acknowledge(
        appointment=swedish, by=front_desk, now=NOW, context=CONTEXT
    )

    assert _review_of(swedish) is None
    swedish.refresh_from_db()
    assert set(review.new_reasons) <= set(swedish.safety_acknowledgement.splitlines())
    assert swedish.events.filter(
        kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED
    ).exists()
    with pytest.raises(ValidationError, match="Nothing new to acknowledge"):
        appointment_safety_acknowledge(
            appointment=swedish, by=front_desk, now=NOW, context=CONTEXT
        )


def test_a_ruled_out_technique_cannot_be_acknowledged(
    deep_tissue_visit, grace, front_desk
):
    _flag(grace, "anticoagulants", front_desk)
    with pytest.raises(ValidationError, match="Deep tissue is not for Grace Okafor"):
        appointment_safety_acknowledge(
            appointment=deep_tissue_visit, by=front_desk, now=NOW, context=CONTEXT
        )


def test_past_and_cancelled_visits_are_not_listed(grace, front_desk):
    AppointmentFactory(
        client=grace,
        modality=modality("deep-tissue"),
        starts_at=NOW - timedelta(days=1),
    )
    AppointmentFactory(
        client=grace,
        modality=modality("deep-tissue"),
        starts_at=NOW + timedelta(days=2),
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW,
    )
    _flag(grace, "anticoagulants", front_desk)
    assert visits_needing_safety_review(now=NOW) == []


def _booked_visits(count: int, front_desk) -> None:
    for number in range(count):
        patient = ClientFactory()
        _flag(patient, "anticoagulants", front_desk)
        AppointmentFactory(
            client=patient,
            modality=modality("deep-tissue"),
            starts_at=NOW + timedelta(days=1, hours=number),
        )


@pytest.mark.parametrize("count", [1, 10])
def test_the_list_takes_the_same_queries_for_1_or_10_visits(
    count, front_desk, django_assert_num_queries
):
    _booked_visits(count, front_desk)
    # The conditions' rules kept as a serving process keeps them (one statement for
    # their version; the first read after they change reads them too).
    keep_reference_data()
    with django_assert_num_queries(6):
        reviews = visits_needing_safety_review(now=NOW)
    assert len(reviews) == count


# --- pages --------------------------------------------------------------------------


def test_the_desk_sees_the_panel_on_the_home_page_and_the_chart(
    client, deep_tissue_visit, grace, front_desk
):
    _flag(grace, "anticoagulants", front_desk)
    client.force_login(front_desk)

    home = client.get(reverse("home")).content.decode()
    chart = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()

    for page in (home, chart):
        assert "Visits to review for safety" in page
        assert "new since booking: no deep tissue: anticoagulant" in page
        assert reverse("sessions:visit_change_technique", args=[deep_tissue_visit.pk])
        assert "Reschedule" in page


@pytest.mark.parametrize("count", [1, 10])
def test_the_home_page_queries_do_not_grow_with_the_visits_to_review(
    count, client, front_desk, django_assert_max_num_queries
):
    _booked_visits(count, front_desk)
    client.force_login(front_desk)
    # 14 at either size: Today also reads the clinic policy (when check-in opens),
    # the open waitlist and the referrals and authorizations of the day's visits;
    # with the reference data kept, as a serving process keeps it.
    keep_reference_data()
    with django_assert_max_num_queries(14):
        page = client.get(reverse("home")).content.decode()
    assert page.count("new since booking") == count


def test_the_desk_changes_the_technique_on_its_page(
    client, deep_tissue_visit, grace, front_desk
):
    _flag(grace, "anticoagulants", front_desk)
    client.force_login(front_desk)
    url = reverse("sessions:visit_change_technique", args=[deep_tissue_visit.pk])
    swedish = modality("swedish")

    form = client.get(url + "?next=/").content.decode()
    assert "Swedish" in form and "Cupping" not in form

    refused = client.post(url, {"modality": swedish.pk, "next": "/"})
    assert refused.status_code == 400
    assert "tick the box" in refused.content.decode()

    done = client.post(
        url, {"modality": swedish.pk, "acknowledge_safety": "on", "next": "/"}
    )
    assert done.status_code == 302 and done.url == "/"
    deep_tissue_visit.refresh_from_db()
    assert deep_tissue_visit.modality == swedish


def test_a_therapist_cannot_change_the_technique(client, deep_tissue_visit, tara):
    client.force_login(tara.user)
    url = reverse("sessions:visit_change_technique", args=[deep_tissue_visit.pk])
    assert client.get(url).status_code == 403


def test_the_desk_acknowledges_on_the_home_page(
    client, tara, grace, location, room, front_desk
):
    visit = appointment_book(
        client=grace,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
        room=room,
    )
    _flag(grace, "anticoagulants", front_desk)
    client.force_login(front_desk)
    response = client.post(
        reverse("sessions:visit_safety_acknowledge", args=[visit.pk]), {"next": "/"}
    )
    assert response.status_code == 302
    assert "Visits to review for safety" not in client.get("/").content.decode()


def test_the_chart_offers_the_acknowledgement_as_a_protected_form(
    client, tara, grace, location, room, front_desk
):
    visit = appointment_book(
        client=grace,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
        room=room,
    )
    _flag(grace, "anticoagulants", front_desk)
    client.force_login(front_desk)
    chart = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()
    form = chart.split(
        reverse("sessions:visit_safety_acknowledge", args=[visit.pk]), 1
    )[1].split("</form>", 1)[0]
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'value="{reverse("clients:detail", args=[grace.pk])}"' in form


def test_a_therapist_sees_their_own_visit_with_the_modification_plan_link(
    client, deep_tissue_visit, grace, front_desk, tara
):
    _flag(grace, "anticoagulants", front_desk)
    client.force_login(tara.user)
    page = client.get(reverse("home")).content.decode()
    assert "new since booking: no deep tissue: anticoagulant" in page
    plan_url = reverse("clients:modification_plan_new", args=[grace.pk])
    assert f"{plan_url}?modality={modality('deep-tissue').pk}" in page
    assert "Change technique" not in page


def test_the_following_visits_of_a_series_change_with_this_one(
    client, tara, grace, location, room, front_desk
):
    series = series_book(
        proposed=ProposedSeries(
            client=grace,
            therapist=tara,
            modality=modality("deep-tissue"),
            location=location,
            rule=SeriesRule(
                weekdays=(1,),
                interval_weeks=1,
                starts_on=date(2026, 12, 1),
                local_start_time=time(10),
                count=3,
            ),
            duration_minutes=60,
            room=room,
        ),
        choices={},
        alternatives={},
        created_by=front_desk,
        now=NOW,
    )
    first, *rest = series.appointments.order_by("starts_at")
    _flag(grace, "anticoagulants", front_desk)
    assert len(visits_needing_safety_review(now=NOW)) == 3
    client.force_login(front_desk)
    form = client.get(
        reverse("sessions:visit_change_technique", args=[rest[0].pk])
    ).content.decode()
    assert "This visit and the following visits of the series" in form

    changed = series_change_technique(
        appointment=rest[0],
        modality=modality("swedish"),
        following=True,
        by=front_desk,
        now=NOW,
        context=CONTEXT,
        confirmation=Confirmation(safety_acknowledged=True),
    )

    assert [v.pk for v in changed] == [v.pk for v in rest]
    assert [r.appointment.pk for r in visits_needing_safety_review(now=NOW)] == [
        first.pk
    ]


# --- acknowledgements stored before the cleared headline -----------------------------

PHYSICIAN = "Dr. Quentin Marlowe"
TERMS = "light strokes only above the knee"


def _booked_with_a_cleared_dvt(tara, grace, location, room, front_desk):
    Contraindication.objects.create(
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        cleared_on=date(2026, 11, 20),
        cleared_by_physician=PHYSICIAN,
        clearance_conditions=TERMS,
    )
    return appointment_book(
        client=grace,
        therapist=tara,
        modality=modality("swedish"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
        room=room,
        confirmation=Confirmation(safety_acknowledged=True),
    )


def _stored_the_old_way(visit) -> str:
    """The acknowledgement as booking stored it before the headline stopped carrying
    the clearance: who cleared, when, the condition, its terms."""
    condition = Condition.objects.get(slug="dvt-history").name.lower()
    headline = f"follow the physician's clearance: {condition}"
    old = f"cleared by {PHYSICIAN} on 2026-11-20: {condition}: {TERMS}"
    lines = visit.safety_acknowledgement.splitlines()
    assert headline in lines  # booking acknowledged the cleared headline today
    stored = "\n".join(old if line == headline else line for line in lines)
    Appointment.objects.filter(pk=visit.pk).update(safety_acknowledgement=stored)
    visit.refresh_from_db()
    return headline


def test_a_clearance_acknowledged_in_the_old_form_is_not_listed_again(
    tara, grace, location, room, front_desk
):
    visit = _booked_with_a_cleared_dvt(tara, grace, location, room, front_desk)
    headline = _stored_the_old_way(visit)
    assert headline not in visit.safety_acknowledgement

    assert _review_of(visit) is None
    # Without that line, the cleared headline is new since booking: the check bites.
    lines = visit.safety_acknowledgement.splitlines()
    Appointment.objects.filter(pk=visit.pk).update(
        safety_acknowledgement="\n".join(
            line for line in lines if not line.startswith("cleared by ")
        )
    )
    review = _review_of(visit)
    assert review is not None and review.new_reasons == [headline]


def test_moving_a_visit_acknowledged_in_the_old_form_asks_nothing_new(
    tara, grace, location, room, front_desk
):
    visit = _booked_with_a_cleared_dvt(tara, grace, location, room, front_desk)
    _stored_the_old_way(visit)
    stored = visit.safety_acknowledgement

    # No confirmation given: a reason counted as new would raise BookingNeedsConfirmation.
    moved = appointment_reschedule(
        appointment=visit,
        by=front_desk,
        now=NOW,
        starts_at=TUESDAY_10AM + timedelta(hours=2),
    )

    assert moved.starts_at == TUESDAY_10AM + timedelta(hours=2)
    assert moved.safety_acknowledgement == stored
    acknowledged = AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED
    assert moved.events.filter(kind=acknowledged).count() == 1  # booking's only


def test_a_flag_is_judged_on_the_visits_day_where_the_visit_is(front_desk):
    """The flags are loaded once for all visits; each visit then asks whether a flag
    still applies on its own local day at its own location. A flag whose resolution
    falls on the earliest visit's day in the client's own calendar (Honolulu) but on
    the next day where the visit is (Kiritimati, 24 hours ahead) still applies to it."""
    home = LocationFactory(name="Honolulu", time_zone="Pacific/Honolulu")
    away = LocationFactory(name="Kiritimati", time_zone="Pacific/Kiritimati")
    client = ClientFactory(first_name="Ana", last_name="Kai", preferred_location=home)
    # Wednesday 2 December, 10:00 in Kiritimati (Tuesday 20:00 UTC).
    visit = AppointmentFactory(
        client=client,
        location=away,
        modality=modality("deep-tissue"),
        starts_at=datetime(2026, 12, 1, 20, 0, tzinfo=UTC),
    )
    flag = _flag(client, "anticoagulants", front_desk)
    # Resolved at 12:00 UTC on 2 December: still the 2nd in Honolulu (02:00), the 3rd
    # in Kiritimati (02:00), so in force all through the visit's day there.
    Contraindication.objects.filter(pk=flag.pk).update(
        resolved_at=datetime(2026, 12, 2, 12, 0, tzinfo=UTC), resolved_by=front_desk
    )
    review = _review_of(visit)
    assert review is not None
    assert review.verdict.blocked
