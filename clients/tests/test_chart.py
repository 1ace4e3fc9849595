"""The client chart: overview, edit and register, archive, plans and notes tabs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.client_services import (
    client_archive,
    client_create,
    client_unarchive,
    client_update,
)
from clients.models import (
    Client,
    Condition,
    MedicalHistory,
    Referral,
    ReferringProvider,
)
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.models import SessionNote
from sessions.tests.factories import AppointmentFactory

# 09:00 in New York on 1 December 2026 (UTC-5).
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def grace():
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace@example.org",
        address_line1="12 Elm Street",
        city="Albany",
        state="NY",
        postal_code="12207",
        workplace_name="State Museum",
        emergency_contact_name="Ike Okafor",
        emergency_contact_phone="(518) 555-0177",
        preferences="Quiet session, warm room.",
        email_reminders=False,
    )


def _visit(client, therapist, location, starts_at: datetime, **extra):
    return AppointmentFactory(
        client=client,
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        **extra,
    )


@pytest.fixture
def treated(grace, therapist, location):
    """Grace has a visit with the therapist tomorrow: the therapist treats her."""
    _visit(grace, therapist, location, NOW + timedelta(days=1))
    return grace


def _note(visit, *, signed: bool, pain_before=7, pain_after=3) -> SessionNote:
    return SessionNote.objects.create(
        appointment=visit,
        therapist=visit.therapist,
        complaint="Stiff neck after long drives",
        pain_before=pain_before,
        pain_after=pain_after,
        signed_at=visit.ends_at if signed else None,
        signed_by=visit.therapist.user if signed else None,
        content_sha256="a" * 64 if signed else "",
    )


def _history(client, **extra) -> MedicalHistory:
    values = {
        "version": 1,
        "submitted_at": datetime(2026, 10, 5, 15, tzinfo=UTC),
        "chief_complaint": "Sciatica down the left leg",
        "consent_name": client.full_name,
        "consent_signed_at": datetime(2026, 10, 5, 15, tzinfo=UTC),
        **extra,
    }
    return MedicalHistory.objects.create(client=client, **values)


def _plan(client, therapist, **extra):
    values = {
        "visits_planned": 12,
        "visits_per_week": 2,
        "starts_on": date(2026, 11, 2),
        "review_on": date(2026, 12, 14),
        "status": "active",
        **extra,
    }
    plan = client.treatment_plans.create(therapist=therapist, **values)
    plan.goals.create(
        description="Less neck pain at work",
        measure="pain",
        unit="/10",
        baseline=Decimal(7),
        target=Decimal(3),
    )
    plan.goals.create(
        description="Turn the head to check the blind spot",
        measure="rom",
        unit="°",
        movement="cervical rotation, left",
        baseline=Decimal(45),
        target=Decimal(70),
    )
    return plan


def _url(name: str, client: Client) -> str:
    return reverse(f"clients:{name}", args=[client.pk])


# --- Access ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "edit", "plans", "notes"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, grace, name):
    response = client.get(_url(name, grace))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_anonymous_visitor_cannot_register_or_archive(client, grace):
    for url in (reverse("clients:new"), _url("archive", grace)):
        response = client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    grace.refresh_from_db()
    assert grace.archived_at is None


@pytest.mark.parametrize("name", ["detail", "plans", "notes"])
def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, other_therapist, treated, name
):
    client.force_login(other_therapist.user)
    assert client.get(_url(name, treated)).status_code == 404


@pytest.mark.parametrize("name", ["detail", "plans", "notes"])
def test_a_therapist_who_treats_the_client_opens_the_chart(
    client, therapist, treated, name
):
    client.force_login(therapist.user)
    assert client.get(_url(name, treated)).status_code == 200


def test_a_therapist_may_not_edit_register_or_archive(client, therapist, treated):
    client.force_login(therapist.user)
    assert client.get(_url("edit", treated)).status_code == 403
    assert client.post(_url("edit", treated), {"first_name": "X"}).status_code == 403
    assert client.get(reverse("clients:new")).status_code == 403
    assert client.post(_url("archive", treated)).status_code == 403
    treated.refresh_from_db()
    assert treated.first_name == "Grace" and treated.archived_at is None


def test_a_person_without_a_role_is_refused(client, grace, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-long-pass-1")
    client.force_login(user)
    assert client.get(_url("detail", grace)).status_code == 403


def test_an_unknown_client_is_404(client, front_desk):
    client.force_login(front_desk)
    assert client.get(reverse("clients:detail", args=[999999])).status_code == 404


# --- Overview ---------------------------------------------------------------------


def test_the_overview_shows_contact_and_preferences(client, front_desk, grace):
    client.force_login(front_desk)
    page = client.get(_url("detail", grace)).content.decode()
    for text in (
        "(518) 555-0101",
        "grace@example.org",
        "12 Elm Street, Albany NY 12207",
        "State Museum",
        "Ike Okafor",
        "(518) 555-0177",
        "Quiet session, warm room.",
    ):
        assert text in page
    assert "Email reminders" in page and "Off" in page
    assert f'href="{_url("edit", grace)}"' in page


def test_visits_show_in_their_locations_local_time_with_the_note_state(
    client, front_desk, therapist, grace, location
):
    london = LocationFactory(name="London Bridge", time_zone="Europe/London")
    _visit(grace, therapist, london, datetime(2026, 12, 3, 10, tzinfo=UTC))
    _visit(
        grace,
        therapist,
        location,
        datetime(2026, 12, 4, 15, tzinfo=UTC),
        status="cancelled",
        cancelled_at=NOW,
    )
    signed = _visit(grace, therapist, location, datetime(2026, 11, 20, 15, tzinfo=UTC))
    signed.status = "completed"
    signed.save()
    _note(signed, signed=True)
    draft = _visit(
        grace,
        therapist,
        location,
        datetime(2026, 11, 27, 15, tzinfo=UTC),
        status="completed",
    )
    _note(draft, signed=False)
    client.force_login(front_desk)
    response = client.get(_url("detail", grace))
    page = response.content.decode()
    overview = response.context["overview"]
    assert [v.starts_at.day for v in overview.upcoming] == [3]  # not the cancelled
    assert [v.starts_at.day for v in overview.past] == [27, 20]
    assert "Thu Dec 3, 2026 · 10:00 AM GMT" in page
    assert "Fri Nov 20, 2026 · 10:00 AM EST" in page
    assert "Signed" in page and "Unsigned" in page
    assert "Stiff neck" not in page  # the note's content is never on the overview


def test_past_visits_show_the_last_ten(client, front_desk, therapist, grace, location):
    for day in range(1, 16):
        _visit(
            grace,
            therapist,
            location,
            datetime(2026, 11, day, 15, tzinfo=UTC),
            status="completed",
        )
    client.force_login(front_desk)
    past = client.get(_url("detail", grace)).context["overview"].past
    assert len(past) == 10
    assert past[0].starts_at.day == 15


def test_the_overview_shows_intake_status_not_content(client, front_desk, grace):
    _history(grace)
    _history(
        grace,
        version=2,
        submitted_at=datetime(2026, 11, 10, 15, tzinfo=UTC),
        medications="Warfarin",
    )
    client.force_login(front_desk)
    page = client.get(_url("detail", grace)).content.decode()
    assert "Complete" in page
    assert "Version 2, submitted Nov 10, 2026" in page
    assert "Sciatica" not in page and "Warfarin" not in page


def test_an_old_intake_needs_renewal_and_none_is_missing(client, front_desk, grace):
    client.force_login(front_desk)
    assert "No intake form yet" in client.get(_url("detail", grace)).content.decode()
    _history(grace, submitted_at=datetime(2025, 11, 1, 15, tzinfo=UTC))
    page = client.get(_url("detail", grace)).content.decode()
    assert "Needs renewal" in page
    assert "Older than 12 months" in page


def test_the_overview_summarises_the_active_referral(client, front_desk, grace):
    provider = ReferringProvider.objects.create(
        name="Dr. Ruth Alvarez", credentials="MD", npi="1234567893"
    )
    for referred_on, expires_on, visits in (
        (date(2026, 1, 5), date(2026, 3, 5), 6),  # expired
        (date(2026, 11, 1), date(2027, 1, 31), 12),
    ):
        Referral.objects.create(
            client=grace,
            provider=provider,
            referred_on=referred_on,
            diagnosis_codes=["M54.2"],
            diagnosis_text="Cervicalgia",
            visits_authorized=visits,
            expires_on=expires_on,
        )
    client.force_login(front_desk)
    page = client.get(_url("detail", grace)).content.decode()
    assert "Dr. Ruth Alvarez, MD" in page
    assert "expires Jan 31, 2027" in page
    assert "12 visits authorized" in page


def test_the_header_shows_the_alert_headlines(client, front_desk, grace):
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=front_desk,
        detail="DVT left calf 2019",
    )
    client.force_login(front_desk)
    page = client.get(_url("detail", grace)).content.decode()
    assert "no massage until cleared: DVT history" in page
    assert "left calf" not in page


def test_opening_the_chart_is_audited_for_those_who_read_health_data(
    client, therapist, front_desk, manager, treated
):
    client.force_login(therapist.user)
    client.get(_url("detail", treated))
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.client_id) == (
        therapist.user,
        "view",
        treated.pk,
    )
    assert event.path == _url("detail", treated)
    client.force_login(manager)
    client.get(_url("detail", treated))
    assert AuditEvent.objects.filter(user=manager, action="view").count() == 1
    client.force_login(front_desk)
    client.get(_url("detail", treated))
    assert not AuditEvent.objects.filter(user=front_desk).exists()


def test_the_overview_query_count_does_not_grow_with_visits(
    client, therapist, grace, location, django_assert_max_num_queries
):
    def add_visits(first_day: int, n: int) -> None:
        for day in range(first_day, first_day + n):
            visit = _visit(
                grace,
                therapist,
                location,
                datetime(2026, 11, day, 15, tzinfo=UTC),
                status="completed",
            )
            _note(visit, signed=day % 2 == 0)
            _visit(
                grace, therapist, location, datetime(2026, 12, day + 1, 15, tzinfo=UTC)
            )

    add_visits(1, 2)
    client.force_login(therapist.user)
    client.get(_url("detail", grace))
    with django_assert_max_num_queries(20) as few:
        client.get(_url("detail", grace))
    add_visits(10, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(_url("detail", grace))


# --- Register and edit ---------------------------------------------------------------


def _form_data(**changes) -> dict[str, str]:
    data = {
        "first_name": "Grace",
        "last_name": "Okafor",
        "preferred_name": "",
        "pronouns": "",
        "date_of_birth": "1984-03-09",
        "phone": "(518) 555-0101",
        "email": "grace@example.org",
        "email_reminders": "on",
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "state": "",
        "postal_code": "",
        "workplace_name": "",
        "workplace_address": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "preferred_location": "",
        "preferred_therapist": "",
        "preferences": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_front_desk_registers_a_client(client, front_desk, therapist, location):
    client.force_login(front_desk)
    assert client.get(reverse("clients:new")).status_code == 200
    response = client.post(
        reverse("clients:new"),
        _form_data(
            first_name="  Jun ",
            last_name="Park",
            date_of_birth="03/09/1984",
            email="Jun.Park@Example.ORG",
            preferred_therapist=str(therapist.pk),
            preferred_location=str(location.pk),
        ),
        follow=True,
    )
    jun = Client.objects.get(last_name="Park")
    assert response.redirect_chain == [(_url("detail", jun), 302)]
    assert "Jun Park is registered." in response.content.decode()
    assert jun.first_name == "Jun"
    assert jun.email == "jun.park@example.org"
    assert jun.date_of_birth == date(1984, 3, 9)
    assert (jun.preferred_therapist, jun.preferred_location) == (therapist, location)
    assert AuditEvent.objects.filter(client_id=jun.pk, action="create").exists()


def test_the_front_desk_edits_a_client(client, front_desk, grace):
    client.force_login(front_desk)
    form = client.get(_url("edit", grace)).content.decode()
    assert 'value="(518) 555-0101"' in form
    response = client.post(
        _url("edit", grace),
        _form_data(phone="(518) 555-0199", email_reminders=None, city="Troy"),
        follow=True,
    )
    assert response.redirect_chain == [(_url("detail", grace), 302)]
    assert "Saved the details of Grace Okafor." in response.content.decode()
    grace.refresh_from_db()
    assert (grace.phone, grace.email_reminders, grace.city) == (
        "(518) 555-0199",
        False,
        "Troy",
    )
    event = AuditEvent.objects.get(action="change")
    assert "phone" in event.summary and "(518)" not in event.summary


def test_the_manager_may_edit_too(client, manager, grace):
    client.force_login(manager)
    response = client.post(_url("edit", grace), _form_data(last_name="Okafor-Bell"))
    assert response.status_code == 302
    grace.refresh_from_db()
    assert grace.last_name == "Okafor-Bell"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"date_of_birth": "2026-12-02"},
            "date_of_birth",
            "The date of birth cannot be in the future.",
        ),
        (
            {"date_of_birth": "31/12/1984"},
            "date_of_birth",
            "Enter the date of birth as YYYY-MM-DD or MM/DD/YYYY.",
        ),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "Check the year"),
        (
            {"phone": "", "email": ""},
            "phone",
            "Give at least a phone number or an email address",
        ),
        (
            {"email": "grace-at-example"},
            "email",
            "Enter an email address like name@example.org.",
        ),
        ({"phone": "12"}, "phone", "A phone number has 7 to 15 digits"),
        ({"first_name": "  "}, "first_name", "Enter the client's first name."),
        (
            {"emergency_contact_phone": "(518) 555-0177"},
            "emergency_contact_name",
            "Name the emergency contact",
        ),
        (
            {"preferred_therapist": "999999"},
            "preferred_therapist",
            "Select a valid choice",
        ),
        ({"first_name": "x" * 200}, "first_name", "at most 80 characters"),
    ],
)
def test_invalid_input_is_shown_back_with_a_clear_message(
    client, front_desk, grace, changes, field, message
):
    client.force_login(front_desk)
    data = _form_data(**changes, city="Typed City")
    response = client.post(_url("edit", grace), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    page = response.content.decode()
    assert 'value="Typed City"' in page  # what was typed is kept
    assert "Nothing was saved yet" in page
    grace.refresh_from_db()
    assert grace.city == "Albany"


def test_registering_with_invalid_input_creates_nobody(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("clients:new"),
        _form_data(first_name="Jun", last_name="Park", phone="", email=""),
    )
    assert response.status_code == 200
    assert "Give at least a phone number" in response.content.decode()
    assert not Client.objects.filter(last_name="Park").exists()


def test_garbage_input_never_breaks_the_form(client, front_desk, grace):
    client.force_login(front_desk)
    response = client.post(
        _url("edit", grace),
        {"date_of_birth": "\x00", "preferred_location": "abc", "email_reminders": "x"},
    )
    assert response.status_code == 200


def test_the_services_check_their_rules_without_a_form(front_desk, grace):
    with pytest.raises(ValidationError) as error:
        client_create(
            context=AuditContext.system("test"),
            by=front_desk,
            today=TODAY,
            first_name="A",
            last_name="B",
        )
    assert "phone" in error.value.message_dict
    with pytest.raises(ValueError, match="archived_at"):
        client_update(
            client=grace,
            by=front_desk,
            today=TODAY,
            context=AuditContext(user=front_desk),
            archived_at=NOW,
        )
    with pytest.raises(ValidationError):
        client_update(
            client=grace,
            by=front_desk,
            today=TODAY,
            context=AuditContext(user=front_desk),
            date_of_birth=date(2027, 1, 1),
        )


# --- Archive -------------------------------------------------------------------------


def test_archiving_hides_the_client_and_keeps_the_records(client, front_desk, grace):
    client.force_login(front_desk)
    response = client.post(_url("archive", grace), follow=True)
    page = response.content.decode()
    assert "is archived" in page
    assert "Archived</span>" in page
    assert "Unarchive" in page
    grace.refresh_from_db()
    assert grace.archived_at == NOW
    listed = client.get(reverse("clients:list")).context["rows"]
    assert grace not in [r.client for r in listed]
    archived = client.get(reverse("clients:list"), {"status": "archived"})
    assert [r.client for r in archived.context["rows"]] == [grace]
    # Unarchive brings them back.
    client.post(_url("unarchive", grace))
    grace.refresh_from_db()
    assert grace.archived_at is None
    assert Client.objects.filter(pk=grace.pk).exists()


def test_archive_is_a_post(client, front_desk, grace):
    client.force_login(front_desk)
    assert client.get(_url("archive", grace)).status_code == 405
    grace.refresh_from_db()
    assert grace.archived_at is None


def test_a_client_with_upcoming_visits_is_not_archived(client, front_desk, treated):
    client.force_login(front_desk)
    response = client.post(_url("archive", treated), follow=True)
    assert "has 1 upcoming visit. Cancel them before archiving" in (
        response.content.decode()
    )
    treated.refresh_from_db()
    assert treated.archived_at is None


def test_archiving_twice_or_unarchiving_an_active_client_is_refused(front_desk, grace):
    desk = AuditContext(user=front_desk)
    client_archive(client=grace, by=front_desk, now=NOW, context=desk)
    with pytest.raises(ValidationError, match="already archived"):
        client_archive(client=grace, by=front_desk, now=NOW, context=desk)
    client_unarchive(client=grace, by=front_desk, context=desk)
    with pytest.raises(ValidationError, match="is not archived"):
        client_unarchive(client=grace, by=front_desk, context=desk)


def test_unarchiving_an_active_client_shows_a_message(client, front_desk, grace):
    client.force_login(front_desk)
    response = client.post(_url("unarchive", grace), follow=True)
    assert "Grace Okafor is not archived." in response.content.decode()


# --- Treatment plans and notes ---------------------------------------------------


def test_the_front_desk_sees_plan_status_and_dates_only(
    client, front_desk, therapist, treated
):
    _plan(treated, therapist)
    client.force_login(front_desk)
    page = client.get(_url("plans", treated)).content.decode()
    assert "Active" in page
    assert "Nov 2, 2026" in page and "Dec 14, 2026" in page
    assert "Less neck pain" not in page
    assert "7/10" not in page
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["therapist", "manager"])
def test_clinicians_see_the_plans_goals(client, request, therapist, treated, who):
    _plan(treated, therapist)
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    page = client.get(_url("plans", treated)).content.decode()
    assert "Less neck pain at work" in page
    assert "7/10 → 3/10" in page
    assert "45° → 70°" in page
    assert "12 (2x/week, 60 min)" in page
    assert "Tara Hands" in page
    assert AuditEvent.objects.get().summary == "Viewed the treatment plans"


def test_the_front_desk_sees_only_whether_notes_are_signed(
    client, front_desk, therapist, grace, location
):
    done = _visit(
        grace,
        therapist,
        location,
        datetime(2026, 11, 20, 15, tzinfo=UTC),
        status="completed",
    )
    _note(done, signed=True, pain_before=8, pain_after=2)
    _visit(
        grace,
        therapist,
        location,
        datetime(2026, 11, 27, 15, tzinfo=UTC),
        status="completed",
    )
    client.force_login(front_desk)
    page = client.get(_url("notes", grace)).content.decode()
    assert "Signed" in page and "No note yet" in page
    assert "8/10" not in page and "Pain before" not in page
    assert "Stiff neck" not in page


def test_a_treating_therapist_sees_pain_before_and_after(
    client, therapist, other_therapist, grace, location
):
    mine = _visit(
        grace,
        therapist,
        location,
        datetime(2026, 11, 20, 15, tzinfo=UTC),
        status="completed",
    )
    _note(mine, signed=False, pain_before=8, pain_after=2)
    theirs = _visit(
        grace,
        other_therapist,
        location,
        datetime(2026, 11, 24, 15, tzinfo=UTC),
        status="completed",
    )
    _note(theirs, signed=True, pain_before=6, pain_after=4)
    client.force_login(therapist.user)
    response = client.get(_url("notes", grace))
    page = response.content.decode()
    assert "8/10" in page and "2/10" in page  # their own draft
    assert "6/10" in page and "4/10" in page  # a colleague's note
    assert [v.starts_at.day for v in response.context["visits"]] == [24, 20]
    assert AuditEvent.objects.get().summary == "Viewed the SOAP notes"
