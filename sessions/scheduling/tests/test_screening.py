"""Day-of-visit screening: the answers, the flags they raise, the safety decision, the
desk's check-in through them and the client's link."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, transaction
from django.urls import reverse

from clients.models import Condition, Contraindication, Severity
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.messaging.links import Action, visit_link_token
from sessions.messaging.outbox import message_retry
from sessions.messaging.render import render_message
from sessions.models import (
    Appointment,
    AppointmentEvent,
    OutboundMessage,
    VisitScreening,
)
from sessions.scheduling.booking import Confirmation, appointment_book
from sessions.scheduling.safety_review import (
    ReviewAction,
    visits_needing_safety_review,
)
from sessions.scheduling.screening import (
    SAFETY_REASON_PREFIX,
    ScreeningAnswers,
    screening_check_in,
    screening_record,
    screenings_for_client,
)
from sessions.scheduling.technique import appointment_change_technique
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 New York
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 New York
AT_THE_DESK = TUESDAY_10AM - timedelta(minutes=10)  # inside the late-cancel window
VISIT_DAY = date(2026, 12, 1)
SYSTEM = AuditContext.system("test")

pytestmark = pytest.mark.django_db

ALL_NO = {
    "unwell": "no",
    "injury": "no",
    "medication": "no",
    "surgery": "no",
    "pregnancy": "no",
    "skin": "no",
}


def _book(therapist, desk, technique="swedish"):
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    for slug in ("swedish", "deep-tissue"):
        Training.objects.get_or_create(therapist=therapist, modality=modality(slug))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(20),
        )
    with time_machine.travel(NOW, tick=False):
        return appointment_book(
            client=ClientFactory(first_name="Grace", last_name="Okafor"),
            therapist=therapist,
            modality=modality(technique),
            location=location,
            room=RoomFactory(location=location, name="Maple Room"),
            starts_at=TUESDAY_10AM,
            duration_minutes=60,
            booked_by=desk,
            now=NOW,
        )


@pytest.fixture
def visit(therapist, front_desk):
    return _book(therapist, front_desk)


def _check_in(visit, desk, **answers):
    return screening_check_in(
        appointment=visit,
        answers=ScreeningAnswers(**answers),
        by=desk,
        now=AT_THE_DESK,
        context=SYSTEM,
    )


def _open_flags(visit, slug):
    return list(
        Contraindication.objects.filter(
            client=visit.client, condition__slug=slug, resolved_at__isnull=True
        )
    )


# --- the desk's check-in ------------------------------------------------------------


def test_all_no_records_a_clear_screening_and_checks_in(client, front_desk, visit):
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(front_desk)
        response = client.post(
            reverse("sessions:visit_check_in", args=[visit.pk]), ALL_NO, follow=True
        )
    assert "The visit is now checked in." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN
    screening = VisitScreening.objects.get(appointment=visit)
    assert screening.outcome == VisitScreening.Outcome.CLEAR
    assert screening.channel == VisitScreening.Channel.DESK
    assert screening.answered_by == front_desk
    assert screening.summary == ""
    assert visit.events.filter(kind=AppointmentEvent.Kind.SCREENED).count() == 1
    assert AuditEvent.objects.filter(
        object_type="clinic_sessions.VisitScreening", action="create"
    ).exists()


def test_the_desk_cannot_skip_a_question(client, front_desk, visit):
    skipped = {**ALL_NO}
    del skipped["medication"]
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(front_desk)
        response = client.post(
            reverse("sessions:visit_check_in", args=[visit.pk]), skipped
        )
    assert response.status_code == 400
    assert "Answer yes or no." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED
    assert not VisitScreening.objects.exists()


def test_a_forged_check_in_without_the_questions_is_refused(client, front_desk, visit):
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(front_desk)
        response = client.post(
            reverse("sessions:visit_status", args=[visit.pk]),
            {"status": "checked_in"},
            follow=True,
        )
    assert "Ask the day-of-visit health questions first" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(
        "sessions:visit_check_in", args=[visit.pk]
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_a_check_in_undone_by_mistake_may_be_redone_without_asking_again(
    client, front_desk, visit
):
    _check_in(visit, front_desk)
    url = reverse("sessions:visit_status", args=[visit.pk])
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(front_desk)
        client.post(url, {"status": "confirmed"})
        client.post(url, {"status": "checked_in"})
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN


def test_a_check_in_days_ahead_records_nothing(visit, front_desk):
    with pytest.raises(ValidationError, match="Check-in for this visit opens at"):
        screening_check_in(
            appointment=visit,
            answers=ScreeningAnswers(unwell=True),
            by=front_desk,
            now=NOW,
            context=SYSTEM,
        )
    assert not VisitScreening.objects.exists()
    assert not _open_flags(visit, "fever")


# --- what a yes does ------------------------------------------------------------------


def test_fever_reschedules_for_safety_without_a_fee_and_tells_the_client(
    visit, front_desk
):
    screening = _check_in(visit, front_desk, unwell=True)

    assert screening.outcome == VisitScreening.Outcome.RESCHEDULED
    [flag] = _open_flags(visit, "fever")
    assert flag.severity == Severity.ABSOLUTE and flag.onset_on == VISIT_DAY
    visit.refresh_from_db()
    # Ten minutes before the visit is deep in the late-cancel window: still no fee.
    assert visit.status == Appointment.Status.CANCELLED
    assert visit.cancellation_reason.startswith(SAFETY_REASON_PREFIX)
    assert "Rescheduled for safety" in screening.summary

    message = OutboundMessage.objects.get(
        appointment=visit, kind=OutboundMessage.Kind.SAFETY_RESCHEDULE
    )
    assert message.status == OutboundMessage.Status.PENDING
    assert not OutboundMessage.objects.filter(
        appointment=visit, kind=OutboundMessage.Kind.CANCELLATION
    ).exists()
    text = " ".join(render_message(message, AT_THE_DESK).text.split())
    assert (
        "For your safety we have rescheduled today's visit: your answers to today's "
        "health questions mean massage should wait. Please call us to book a new time "
        "once you are well." in text
    )
    # An email carries no clinical detail: not what the client answered.
    assert "fever" not in text.lower() and "unwell" not in text.lower()
    assert "no late-cancellation fee" in text

    audited = set(
        AuditEvent.objects.filter(client_id=visit.client_id).values_list(
            "object_type", "action"
        )
    )
    assert ("clinic_sessions.VisitScreening", "create") in audited
    assert ("clients.Contraindication", "create") in audited


def test_a_client_marked_no_show_who_arrives_unwell_is_rescheduled_too(
    visit, front_desk
):
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.NO_SHOW)
    visit.refresh_from_db()
    screening = _check_in(visit, front_desk, unwell=True)
    assert screening.outcome == VisitScreening.Outcome.RESCHEDULED
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED  # no no-show on the record
    assert VisitScreening.objects.filter(appointment=visit).count() == 1


def test_an_open_fever_flag_is_updated_not_doubled(visit, front_desk):
    fever = Condition.objects.get(slug="fever")
    contraindication_add(
        client=visit.client,
        condition=fever,
        severity=Severity.ABSOLUTE,
        by=front_desk,
        detail="last week",
        context=SYSTEM,
    )
    with time_machine.travel(AT_THE_DESK, tick=False):
        screening_record(
            appointment=visit,
            answers=ScreeningAnswers(unwell=True),
            by=None,
            channel=VisitScreening.Channel.LINK,
            now=AT_THE_DESK,
            context=SYSTEM,
        )
    [flag] = _open_flags(visit, "fever")
    assert "through the client's link" in flag.detail


def test_surgery_raises_the_recent_surgery_flag_with_its_site_and_date(
    visit, front_desk
):
    screening = _check_in(
        visit,
        front_desk,
        surgery=True,
        surgery_detail="knee arthroscopy",
        surgery_on=date(2026, 11, 20),
        surgery_region="knee_left",
    )
    [flag] = _open_flags(visit, "recent-surgery")
    assert flag.body_region == "knee_left"
    assert flag.onset_on == date(2026, 11, 20)
    assert flag.recheck_on == date(2026, 11, 20) + timedelta(weeks=6)
    assert flag.detail == "knee arthroscopy"
    assert screening.outcome == VisitScreening.Outcome.FLAGS_RAISED
    assert "Flag added: Recent surgery" in screening.summary
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN


def test_a_surgery_without_its_site_is_refused(visit, front_desk):
    with pytest.raises(ValidationError, match="where on the body"):
        _check_in(visit, front_desk, surgery=True, surgery_on=date(2026, 11, 20))
    assert not VisitScreening.objects.exists()


def test_pregnancy_news_updates_the_open_flag_instead_of_doubling_it(visit, front_desk):
    contraindication_add(
        client=visit.client,
        condition=Condition.objects.get(slug="pregnancy"),
        severity=Severity.MODIFY,
        by=front_desk,
        detail="10 weeks on 2026-10-01",
        onset_on=date(2026, 7, 23),
        context=SYSTEM,
    )
    screening = _check_in(visit, front_desk, pregnancy=True, pregnancy_weeks=20)
    [flag] = _open_flags(visit, "pregnancy")
    assert flag.detail == "20 weeks on 2026-12-01"
    assert flag.onset_on == VISIT_DAY - timedelta(weeks=20)
    assert flag.recheck_on == VISIT_DAY + timedelta(weeks=20)
    assert "Flag updated: Pregnancy" in screening.summary


def test_a_technique_now_ruled_out_is_said_not_cancelled(therapist, front_desk):
    visit = _book(therapist, front_desk, technique="deep-tissue")
    screening = _check_in(visit, front_desk, pregnancy=True, pregnancy_weeks=16)
    assert screening.outcome == VisitScreening.Outcome.FLAGS_RAISED
    assert (
        "Deep tissue is now ruled out: change the technique before the session"
        in screening.summary
    )
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN
    # Nothing is left silently as booked: the visit is on the desk's review list,
    # and its technique can still be changed before the session.
    (review,) = visits_needing_safety_review(now=AT_THE_DESK)
    assert review.appointment == visit
    assert review.action == ReviewAction.CHANGE_TECHNIQUE
    with time_machine.travel(AT_THE_DESK, tick=False):
        changed = appointment_change_technique(
            appointment=visit,
            modality=modality("swedish"),
            by=front_desk,
            now=AT_THE_DESK,
            context=SYSTEM,
            confirmation=Confirmation(safety_acknowledged=True),
        )
    assert changed.modality.slug == "swedish"
    assert changed.status == Appointment.Status.CHECKED_IN
    assert visits_needing_safety_review(now=AT_THE_DESK) == []


def test_a_new_medication_is_a_line_to_review_not_a_flag(visit, front_desk):
    before = Contraindication.objects.count()
    screening = _check_in(
        visit, front_desk, medication=True, medication_detail="Eliquis"
    )
    assert Contraindication.objects.count() == before
    assert screening.outcome == VisitScreening.Outcome.FLAGS_RAISED
    [line] = screening.summary_lines
    assert line.startswith("New medication (Eliquis): to review before the session.")
    assert "anticoagulant" in line


def test_an_injury_and_a_skin_change_are_lines_to_review(visit, front_desk):
    screening = _check_in(
        visit,
        front_desk,
        injury=True,
        injury_detail="sprained right wrist",
        skin=True,
        skin_detail="rash on the back",
    )
    assert not Contraindication.objects.filter(client=visit.client).exists()
    assert len(screening.summary_lines) == 2
    assert all(
        "to review before the session" in line for line in screening.summary_lines
    )


# --- the client's link ------------------------------------------------------------------


def _link(visit):
    return reverse(
        "sessions:link_screen",
        args=[visit_link_token(appointment=visit, action=Action.SCREEN)],
    )


def test_the_client_answers_through_the_link_once(client, visit):
    url = _link(visit)
    evening_before = TUESDAY_10AM - timedelta(hours=15)
    with time_machine.travel(evening_before, tick=False):
        page = client.get(url)
        assert page.status_code == 200
        assert "Health questions before your visit" in page.content.decode()
        response = client.post(url, ALL_NO)
        assert response.status_code == 200
        assert "your answers are recorded" in response.content.decode()
        screening = VisitScreening.objects.get(appointment=visit)
        assert screening.answered_by is None
        assert screening.channel == VisitScreening.Channel.LINK

        again = client.post(url, {**ALL_NO, "unwell": "yes"})
    assert again.status_code == 409
    assert "Nothing was changed" in again.content.decode()
    assert VisitScreening.objects.filter(appointment=visit).count() == 1
    assert not _open_flags(visit, "fever")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED  # the desk still checks in


def test_an_expired_link_changes_nothing(client, visit):
    with time_machine.travel(TUESDAY_10AM + timedelta(minutes=5), tick=False):
        response = client.post(_link(visit), {**ALL_NO, "unwell": "yes"})
    assert response.status_code == 410
    assert "Nothing was changed" in response.content.decode()
    assert not VisitScreening.objects.exists()


def test_the_link_opens_only_the_day_before(client, visit):
    two_days_before = TUESDAY_10AM - timedelta(days=2)
    with time_machine.travel(two_days_before, tick=False):
        response = client.post(_link(visit), ALL_NO)
    assert response.status_code == 409
    assert "open the day before your visit" in response.content.decode()
    assert not VisitScreening.objects.exists()


def test_a_fever_through_the_link_reschedules_and_says_so(client, visit):
    with time_machine.travel(TUESDAY_10AM - timedelta(hours=15), tick=False):
        response = client.post(_link(visit), {**ALL_NO, "unwell": "yes"})
    page = response.content.decode()
    assert "For your safety we have rescheduled your visit" in page
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED
    assert OutboundMessage.objects.filter(
        appointment=visit, kind=OutboundMessage.Kind.SAFETY_RESCHEDULE
    ).exists()


def test_a_confirm_token_does_not_open_the_questions(client, visit):
    token = visit_link_token(appointment=visit, action=Action.CONFIRM)
    with time_machine.travel(AT_THE_DESK, tick=False):
        response = client.get(reverse("sessions:link_screen", args=[token]))
    assert response.status_code == 400


# --- who sees the answers --------------------------------------------------------------


def _two_screenings(visit, desk):
    with time_machine.travel(TUESDAY_10AM - timedelta(hours=15), tick=False):
        screening_record(
            appointment=visit,
            answers=ScreeningAnswers(),
            by=None,
            channel=VisitScreening.Channel.LINK,
            now=TUESDAY_10AM - timedelta(hours=15),
            context=SYSTEM,
        )
    _check_in(visit, desk, medication=True, medication_detail="Eliquis")


def test_the_therapists_visit_page_shows_the_latest_screening(
    client, therapist, front_desk, visit
):
    _two_screenings(visit, front_desk)
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(therapist.user)
        page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()
    assert "Health questions today" in page
    assert "New medication: <strong>yes</strong> (Eliquis)" in page
    assert "to review before the session" in page
    assert AuditEvent.objects.filter(
        object_type="clinic_sessions.VisitScreening", action="view"
    ).exists()


def test_the_front_desk_sees_the_outcome_not_the_answers(client, front_desk, visit):
    _two_screenings(visit, front_desk)
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(front_desk)
        page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()
    assert "Flags raised or to review" in page
    assert "Eliquis" not in page


def test_the_chart_keeps_every_screening(visit, front_desk):
    _two_screenings(visit, front_desk)
    screenings = screenings_for_client(visit.client)
    assert [s.channel for s in screenings] == ["desk", "link"]


def test_the_chart_lists_every_screening_without_the_answers(
    client, front_desk, manager, visit
):
    _two_screenings(visit, front_desk)
    for who in (front_desk, manager):
        client.force_login(who)
        page = client.get(reverse("clients:detail", args=[visit.client_id]))
        text = page.content.decode()
        assert "Day-of-visit health questions" in text
        assert text.count('aria-label="Health questions answered') == 2
        assert "by the client through their link" in text
        assert "Flags raised or to review" in text and "Clear" in text
        assert "Eliquis" not in text  # the answers are read on the visit page


def test_the_note_page_shows_the_latest_screening_before_the_session(
    client, therapist, front_desk, visit
):
    _two_screenings(visit, front_desk)
    with time_machine.travel(AT_THE_DESK, tick=False):
        client.force_login(therapist.user)
        page = client.get(reverse("sessions:note", args=[visit.pk])).content.decode()
    assert "Health questions today" in page
    assert "New medication: <strong>yes</strong> (Eliquis)" in page


# --- where the client finds the link ------------------------------------------------------


def test_the_reminder_carries_the_health_questions_link(visit):
    # Booked the day before, past the 48-hour lead: the reminder row is made here.
    reminder = OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.SECOND_REMINDER,
        appointment=visit,
        client=visit.client,
        to_email=visit.client.email,
        send_at=TUESDAY_10AM - timedelta(hours=2),
    )
    text = render_message(reminder, reminder.send_at).text
    assert "answer six quick health questions" in text
    assert "/screen/" in text
    confirmation = OutboundMessage.objects.get(
        appointment=visit, kind=OutboundMessage.Kind.CONFIRMATION
    )
    assert "/screen/" not in render_message(confirmation, NOW).text


def test_the_confirm_page_offers_the_questions_once_they_open(client, visit):
    url = reverse(
        "sessions:link_confirm",
        args=[visit_link_token(appointment=visit, action=Action.CONFIRM)],
    )
    with time_machine.travel(TUESDAY_10AM - timedelta(days=2), tick=False):
        assert "Answer today" not in client.get(url).content.decode()
    with time_machine.travel(TUESDAY_10AM - timedelta(hours=15), tick=False):
        assert "Answer today's health questions" in client.get(url).content.decode()


def test_a_screening_is_kept_as_answered(visit, front_desk, database_owner):
    screening = _check_in(visit, front_desk)
    kept = VisitScreening.objects.filter(pk=screening.pk)
    # The app's role holds no UPDATE or DELETE on screenings; the owner meets the
    # trigger.
    for role, error, message in (
        (nullcontext, ProgrammingError, "permission denied"),
        (database_owner, IntegrityError, "kept as answered"),
    ):
        with role():
            with pytest.raises(error, match=message), transaction.atomic():
                kept.update(unwell=True)
            with pytest.raises(error, match=message), transaction.atomic():
                kept.delete()


def test_a_failed_safety_message_can_be_retried(visit, front_desk):
    _check_in(visit, front_desk, unwell=True)
    message = OutboundMessage.objects.get(
        appointment=visit, kind=OutboundMessage.Kind.SAFETY_RESCHEDULE
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.FAILED
    )
    message_retry(message=message, by=front_desk, now=AT_THE_DESK)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
