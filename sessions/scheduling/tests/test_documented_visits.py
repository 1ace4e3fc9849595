"""What is documented stays: a visit whose note is signed is not cancelled or moved.

Every path that changes a visit (the visit page, the services behind it, series
edits, the client's email link) asks `documented_visit_problem` and refuses with its
sentence, changing nothing: no status, no time, no history row, no client message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.messaging.links import Action, visit_link_token
from sessions.models import (
    Appointment,
    AppointmentEvent,
    OutboundMessage,
    SessionNote,
)
from sessions.scheduling.booking import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from sessions.scheduling.documented import documented_visit_problem
from sessions.scheduling.series import (
    SCOPE_ALL,
    SCOPE_FOLLOWING,
    SCOPE_ONE,
    ProposedSeries,
    SeriesRule,
    series_book,
    series_cancel_rest,
    series_change,
)
from sessions.scheduling.visit_links import Outcome, visit_link_use
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 New York
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SIGNED_AT = TUESDAY_10AM + timedelta(minutes=50)
DURING = TUESDAY_10AM + timedelta(minutes=55)  # still inside the visit's hour
SENTENCE = (
    "This visit is documented: its note was signed on 1 Dec 2026 by Tara Hands. "
    "It can no longer be cancelled, moved or marked no-show, nor its check-in "
    "undone. To correct the record, add an addendum to the note (its therapist adds "
    "it on the note page)."
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(DURING, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Maple Room")


def _works_here(therapist, location):
    Training.objects.get_or_create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(7),
            ends_at=time(21),
        )


@pytest.fixture
def visit(therapist, other_therapist, front_desk, location, room):
    """Tuesday 10:00 in New York, booked the day before, checked in on the day."""
    _works_here(therapist, location)
    _works_here(other_therapist, location)
    RoomFactory(location=location, name="Birch Room")
    booked = appointment_book(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
    )
    return appointment_set_status(
        appointment=booked,
        status=Appointment.Status.CHECKED_IN,
        by=front_desk,
        now=TUESDAY_10AM - timedelta(minutes=10),
    )


def _write_note(visit: Appointment, *, signed_at: datetime | None) -> SessionNote:
    """The therapist's note; signed last, as the database refuses later changes."""
    note = SessionNote.objects.create(
        appointment=visit, therapist=visit.therapist, complaint="Low back pain"
    )
    if signed_at is not None:
        note.signed_at = signed_at
        note.signed_by = visit.therapist.user
        note.content_sha256 = "c" * 64
        note.save()
    return note


@pytest.fixture
def documented(visit):
    _write_note(visit, signed_at=SIGNED_AT)
    return visit


@pytest.fixture
def documented_then_unchecked(documented):
    """A documented visit set back to confirmed before the rule existed."""
    Appointment.objects.filter(pk=documented.pk).update(
        status=Appointment.Status.CONFIRMED
    )
    documented.refresh_from_db()
    return documented


def _snapshot(visit: Appointment) -> dict:
    visit.refresh_from_db()
    return {
        "status": visit.status,
        "starts_at": visit.starts_at,
        "ends_at": visit.ends_at,
        "therapist": visit.therapist_id,
        "place": visit.place,
        "room": visit.room_id,
        "cancelled_at": visit.cancelled_at,
        "cancellation_reason": visit.cancellation_reason,
        "history": AppointmentEvent.objects.filter(appointment=visit).count(),
        "messages": list(
            OutboundMessage.objects.filter(appointment=visit)
            .order_by("pk")
            .values_list("pk", "status", "kind")
        ),
    }


def _everything(visit: Appointment) -> dict:
    """The visit, and every client message and audit row of the clinic."""
    return {
        **_snapshot(visit),
        "all_messages": list(
            OutboundMessage.objects.order_by("pk").values_list("pk", "status")
        ),
        "audit": AuditEvent.objects.count(),
    }


# --- the rule ----------------------------------------------------------------------


def test_the_sentence_names_the_local_day_of_signing_and_the_signer(visit):
    # 03:30 UTC on 2 December is still the evening of 1 December in New York.
    _write_note(visit, signed_at=datetime(2026, 12, 2, 3, 30, tzinfo=UTC))
    assert documented_visit_problem(visit) == SENTENCE


def test_a_visit_without_a_note_or_with_a_draft_is_not_documented(visit):
    assert documented_visit_problem(visit) is None
    _write_note(visit, signed_at=None)
    assert documented_visit_problem(visit) is None


# --- every service refuses and changes nothing --------------------------------------


def _cancel_early(visit, user):
    appointment_cancel(
        appointment=visit,
        by=user,
        reason="travel",
        now=TUESDAY_10AM - timedelta(days=2),
    )


def _cancel_late(visit, user):
    appointment_cancel(appointment=visit, by=user, reason="unwell", now=DURING)


def _cancel_as_the_client(visit, user):
    appointment_cancel(appointment=visit, by=None, reason="client", now=NOW)


def _move_time(visit, user):
    appointment_reschedule(
        appointment=visit,
        by=user,
        now=NOW,
        starts_at=TUESDAY_10AM + timedelta(hours=3),
    )


def _move_therapist(visit, user):
    from therapists.models import Therapist

    other = Therapist.objects.exclude(pk=visit.therapist_id).get()
    appointment_reschedule(
        appointment=visit, by=user, now=NOW, starts_at=visit.starts_at, therapist=other
    )


def _move_room(visit, user):
    birch = visit.location.rooms.get(name="Birch Room")
    appointment_reschedule(
        appointment=visit, by=user, now=NOW, starts_at=visit.starts_at, room=birch
    )


def _move_with_the_series_form(visit, user):
    series_change(
        appointment=visit, scope=SCOPE_ONE, by=user, now=NOW, local_start_time=time(14)
    )


def _cancel_with_the_rest_of_the_series(visit, user):
    series_cancel_rest(appointment=visit, by=user, reason="moving away", now=NOW)


def _undo_check_in(visit, user):
    appointment_set_status(
        appointment=visit, status=Appointment.Status.CONFIRMED, by=user, now=DURING
    )


def _mark_no_show(visit, user):
    appointment_set_status(
        appointment=visit, status=Appointment.Status.NO_SHOW, by=user, now=DURING
    )


@pytest.mark.parametrize(
    "change",
    [
        _cancel_early,
        _cancel_late,
        _cancel_as_the_client,
        _move_time,
        _move_therapist,
        _move_room,
        _move_with_the_series_form,
        _cancel_with_the_rest_of_the_series,
        _undo_check_in,
        _mark_no_show,
    ],
)
def test_every_service_refuses_a_documented_visit_and_changes_nothing(
    documented, front_desk, change
):
    before = _everything(documented)
    with pytest.raises(ValidationError) as refused:
        change(documented, front_desk)
    assert refused.value.messages == [SENTENCE]
    assert _everything(documented) == before


@pytest.mark.parametrize(
    "status", [Appointment.Status.NO_SHOW, Appointment.Status.BOOKED]
)
def test_a_documented_visit_set_back_before_the_rule_cannot_go_further_back(
    documented_then_unchecked, front_desk, status
):
    visit = documented_then_unchecked
    before = _everything(visit)
    with pytest.raises(ValidationError, match="This visit is documented"):
        appointment_set_status(
            appointment=visit, status=status, by=front_desk, now=DURING
        )
    assert _everything(visit) == before


def test_a_documented_visit_is_still_completed(documented, front_desk):
    appointment_set_status(
        appointment=documented,
        status=Appointment.Status.COMPLETED,
        by=front_desk,
        now=TUESDAY_10AM + timedelta(hours=1),
    )
    documented.refresh_from_db()
    assert documented.status == Appointment.Status.COMPLETED


def test_a_documented_completed_visit_gets_the_sentence_too(documented, front_desk):
    appointment_set_status(
        appointment=documented,
        status=Appointment.Status.COMPLETED,
        by=front_desk,
        now=TUESDAY_10AM + timedelta(hours=1),
    )
    before = _everything(documented)
    for change in (_cancel_late, _move_time, _mark_no_show):
        with pytest.raises(ValidationError) as refused:
            change(documented, front_desk)
        assert refused.value.messages == [SENTENCE]
    assert _everything(documented) == before


def test_a_checked_in_visit_with_an_unsigned_note_can_still_be_cancelled(
    visit, front_desk
):
    _write_note(visit, signed_at=None)
    appointment_cancel(appointment=visit, by=front_desk, reason="unwell", now=DURING)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.LATE_CANCELLED


def test_a_checked_in_visit_with_an_unsigned_note_can_still_be_moved(visit, front_desk):
    _write_note(visit, signed_at=None)
    appointment_reschedule(
        appointment=visit,
        by=front_desk,
        now=DURING,
        starts_at=TUESDAY_10AM + timedelta(hours=3),
    )
    visit.refresh_from_db()
    assert visit.starts_at == TUESDAY_10AM + timedelta(hours=3)


# --- the client's email link ---------------------------------------------------------


def _link(visit: Appointment, action: Action) -> str:
    return visit_link_token(appointment=visit, action=action)


def test_the_clients_cancel_link_leaves_a_documented_visit_as_it_is(
    client, documented_then_unchecked
):
    visit = documented_then_unchecked
    token = _link(visit, Action.CANCEL)
    before = _everything(visit)
    with time_machine.travel(TUESDAY_10AM - timedelta(days=3), tick=False):
        assert (
            visit_link_use(
                token=token, action=Action.CANCEL, now=TUESDAY_10AM - timedelta(days=3)
            ).outcome
            == Outcome.CLOSED
        )
        url = reverse("sessions:link_cancel", args=[token])
        opened, posted = client.get(url), client.post(url)
    for response in (opened, posted):
        assert response.status_code == 200
        page = response.content.decode()
        assert "can no longer be cancelled online" in page
        assert "Cancel my visit" not in page
    assert _everything(visit) == before


# --- the visit page ------------------------------------------------------------------


def _url(name: str, visit: Appointment) -> str:
    return reverse(f"sessions:{name}", args=[visit.pk])


def test_the_page_hides_cancel_move_and_no_show_and_says_why(
    client, front_desk, documented_then_unchecked
):
    client.force_login(front_desk)
    page = client.get(_url("visit", documented_then_unchecked)).content.decode()
    assert SENTENCE in page
    assert "Cancel visit" not in page
    assert "Move this visit" not in page
    assert "No-show" not in page
    assert 'value="confirmed"' not in page


def test_the_manager_gets_a_link_to_the_note_beside_the_sentence(
    client, manager, documented
):
    client.force_login(manager)
    page = client.get(_url("visit", documented)).content.decode()
    documented_card = page.split('id="documented-heading"')[1].split("</section>")[0]
    assert SENTENCE in documented_card
    assert f'href="{_url("note", documented)}"' in documented_card
    assert "Complete" in page  # the visit still moves forward through its day


def test_the_page_of_an_undocumented_checked_in_visit_keeps_its_buttons(
    client, front_desk, visit
):
    _write_note(visit, signed_at=None)
    client.force_login(front_desk)
    page = client.get(_url("visit", visit)).content.decode()
    assert "Cancel visit" in page and "Move this visit" in page
    assert "This visit is documented" not in page


MOVE = {
    "day": "2026-12-01",
    "start_time": "13:00",
    "duration_minutes": "60",
    "place": "room",
    "scope": "one",
}


@pytest.mark.parametrize(
    ("which", "action", "data"),
    [
        ("documented", "visit_status", {"status": "confirmed"}),
        ("documented", "visit_cancel", {"reason": "client is unwell"}),
        ("documented", "visit_cancel", {"reason": "unwell", "scope": "following"}),
        ("documented", "visit_reschedule", MOVE),
        ("documented_then_unchecked", "visit_status", {"status": "no_show"}),
        ("documented_then_unchecked", "visit_status", {"status": "booked"}),
        ("documented_then_unchecked", "visit_cancel", {"reason": "unwell"}),
        ("documented_then_unchecked", "visit_reschedule", MOVE),
    ],
)
def test_a_forged_post_gets_the_sentence_and_changes_nothing(
    client, request, front_desk, which, action, data
):
    visit = request.getfixturevalue(which)
    if action == "visit_reschedule":
        data = {**data, "therapist": visit.therapist_id, "room": visit.room_id}
    client.force_login(front_desk)
    before = _everything(visit)
    response = client.post(_url(action, visit), data, follow=True)
    assert response.status_code in {200, 400}
    assert SENTENCE in response.content.decode()
    assert _everything(visit) == before


def test_opening_the_move_form_of_a_documented_visit_says_why_not(
    client, front_desk, documented
):
    client.force_login(front_desk)
    response = client.get(_url("visit_reschedule", documented), follow=True)
    assert response.redirect_chain == [(_url("visit", documented), 302)]
    assert SENTENCE in response.content.decode()


# --- series ----------------------------------------------------------------------------


@pytest.fixture
def series(therapist, front_desk, location, room):
    """Four Tuesdays at 10:00; the second one took place and its note is signed."""
    _works_here(therapist, location)
    booked = series_book(
        proposed=ProposedSeries(
            client=ClientFactory(first_name="Henry"),
            therapist=therapist,
            modality=modality("swedish"),
            location=location,
            rule=SeriesRule(
                weekdays=(1,),
                interval_weeks=1,
                starts_on=date(2026, 12, 1),
                local_start_time=time(10),
                count=4,
            ),
            duration_minutes=60,
            room=room,
        ),
        choices={},
        alternatives={},
        created_by=front_desk,
        now=NOW,
    )
    visits = list(booked.appointments.order_by("starts_at"))
    Appointment.objects.filter(pk=visits[1].pk).update(
        status=Appointment.Status.CHECKED_IN
    )
    _write_note(visits[1], signed_at=visits[1].starts_at + timedelta(minutes=50))
    return visits


def test_cancelling_the_rest_of_a_series_leaves_the_documented_visit_and_says_so(
    series, front_desk
):
    first, kept, *rest = series
    before = _snapshot(kept)  # its own messages included
    edit = series_cancel_rest(
        appointment=first, by=front_desk, reason="moving away", now=NOW
    )
    assert [v.pk for v in edit.changed] == [first.pk] + [v.pk for v in rest]
    assert [v.pk for v in edit.documented] == [kept.pk]
    assert edit.documented_message == (
        "The visit on Tue 08 Dec was left as it is: it is documented (its note is "
        "signed). To correct its record, add an addendum to its note."
    )
    assert _snapshot(kept) == before
    assert not OutboundMessage.objects.filter(
        appointment=kept, kind="cancellation"
    ).exists()
    statuses = [_snapshot(v)["status"] for v in series]
    assert statuses == ["cancelled", "checked_in", "cancelled", "cancelled"]


def test_the_desk_is_told_which_series_visits_stayed(client, front_desk, series):
    client.force_login(front_desk)
    response = client.post(
        _url("visit_cancel", series[0]),
        {"reason": "moving away", "scope": "following"},
        follow=True,
    )
    page = response.content.decode()
    assert "3 visits of the series cancelled." in page
    assert "The visit on Tue 08 Dec was left as it is" in page


def test_moving_the_whole_series_leaves_the_documented_visit_where_it_was(
    series, front_desk, location
):
    first, kept, *_ = series
    before = _snapshot(kept)
    edit = series_change(
        appointment=first,
        scope=SCOPE_ALL,
        by=front_desk,
        now=NOW,
        local_start_time=time(14),
    )
    assert [v.pk for v in edit.documented] == [kept.pk]
    assert "Tue 08 Dec was left as it is" in edit.documented_message
    assert _snapshot(kept) == before
    hours = [
        v.starts_at.astimezone(location.zone).hour
        for v in Appointment.objects.filter(series=first.series).order_by("starts_at")
    ]
    assert hours == [14, 10, 14, 14]


def test_a_series_change_asked_from_a_documented_visit_is_refused(series, front_desk):
    kept = series[1]
    before = [_snapshot(v) for v in series]
    with pytest.raises(ValidationError) as refused:
        series_cancel_rest(appointment=kept, by=front_desk, reason="x", now=NOW)
    assert "This visit is documented" in refused.value.messages[0]
    with pytest.raises(ValidationError, match="This visit is documented"):
        series_change(
            appointment=kept,
            scope=SCOPE_FOLLOWING,
            by=front_desk,
            now=NOW,
            local_start_time=time(14),
        )
    assert [_snapshot(v) for v in series] == before
