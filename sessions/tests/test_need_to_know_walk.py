"""Need to know on every page: every URL of the app, as every kind of person.

Each URL name outside the admin is requested (GET) as anonymous, the front desk, a
therapist who treats the client (Tara), a therapist who does not (Oscar) and the
manager, with real objects in the URL. The test fails

- on a URL name without a rule in `RULES` below (a new page needs one);
- on a server error (each URL is asked for as a page and as an htmx partial);
- when a person outside the rule's `opens` gets the page (anything but 403, 404,
  405, or the sign-in page for the anonymous), or a person inside it does not;
- when the body shows a health text (history answer, referral diagnosis, physician's
  clearance, note, plan goal) of a client the person may not see it for
  (DESIGN.md section 6, `MAY_SEE`), or any health text on a page whose rule says
  `shows=NO_HEALTH_TEXT`.

Two clients: Ada, treated by Tara, and Bruno, treated by Oscar; each has a history,
a referral, a cleared flag, a signed note and a plan, and a visit booked past its
authorization with the clearance acknowledged (in its history too), every text
distinctive. The
pages with an object in the URL get Ada's; lists and calendars show both.

POST-only URLs are only requested with GET here (405): what they change is tested
with each view, and the admin has its own walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clients.imports.models import ClientImport, ClientImportRow
from clients.intake_services import intake_invitation_token
from clients.models import (
    Condition,
    Contraindication,
    IntakeInvitation,
    MedicalHistory,
)
from clients.tests.factories import (
    PDF_BYTES,
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
)
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.messaging.links import Action, visit_link_token
from sessions.messaging.waitlist_offers import offer_token
from sessions.models import AppointmentEvent, Goal, ProgressReport, WaitlistOffer
from sessions.tests.factories import (
    AppointmentFactory,
    make_plan,
    referral_for,
    signed_visit,
)
from sessions.treatment.tests.test_pdf_report import pdf_text
from therapists.models import Modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York


class Persona(StrEnum):
    ANONYMOUS = "anonymous"
    DESK = "front desk"
    TREATING = "treating therapist"  # Tara treats Ada
    OTHER = "other therapist"  # Oscar treats Bruno, not Ada
    MANAGER = "manager"


class Health(StrEnum):
    HISTORY = "history answer"
    REFERRAL = "referral diagnosis"
    CLEARANCE = "physician's clearance"
    NOTE = "note text"
    GOAL = "plan goal"


# The distinctive texts of each client's health data.
TEXTS = {
    "ada": {
        Health.HISTORY: "Sciatica since a trampoline fall",
        Health.REFERRAL: "Quillon tendinopathy of the left wrist",
        Health.CLEARANCE: "Dr. Quentin Marlowe",
        Health.NOTE: "Tingling eased after the second stroke sequence",
        Health.GOAL: "Lift the watering can without wrist pain",
    },
    "bruno": {
        Health.HISTORY: "Whiplash from a rodeo in Cheyenne",
        Health.REFERRAL: "Cervical strain after the bull ride",
        Health.CLEARANCE: "Dr. Helga Rasmussen",
        Health.NOTE: "Trapezius knots released with patience",
        Health.GOAL: "Shoulder check while reversing the truck",
    },
}
CLEARANCE_TERMS = {
    "ada": "light strokes only above the knee",
    "bruno": "no work on the left calf at all",
}
# Why the desk booked past the authorization: referral and authorization data.
OVERRIDE_REASONS = {
    "ada": "Payer approved the extra visit by phone to Mr Fennimore",
    "bruno": "Adjuster Ms Quigley extended the visits verbally",
}

ALL_HEALTH = frozenset(Health)
CLINICAL = ALL_HEALTH  # those who treat the client, and the manager

# DESIGN.md section 6: who may see which health data of a client.
MAY_SEE: dict[Persona, dict[str, frozenset[Health]]] = {
    Persona.ANONYMOUS: {"ada": frozenset(), "bruno": frozenset()},
    Persona.DESK: {
        "ada": frozenset({Health.REFERRAL}),
        "bruno": frozenset({Health.REFERRAL}),
    },
    Persona.TREATING: {"ada": CLINICAL, "bruno": frozenset()},
    Persona.OTHER: {"ada": frozenset(), "bruno": CLINICAL},
    Persona.MANAGER: {"ada": CLINICAL, "bruno": CLINICAL},
}

# --- The rules: who may open each page, and whether it may show health data -------

EVERYONE = frozenset(Persona)
STAFF = frozenset(EVERYONE - {Persona.ANONYMOUS})
# Those who may know Ada exists: the desk, the manager, and her therapist.
ADAS_STAFF = frozenset({Persona.DESK, Persona.TREATING, Persona.MANAGER})
CLINICIANS = frozenset({Persona.TREATING, Persona.MANAGER})
DESK_AND_MANAGER = frozenset({Persona.DESK, Persona.MANAGER})
MANAGER = frozenset({Persona.MANAGER})
THERAPISTS_AND_MANAGER = frozenset({Persona.TREATING, Persona.OTHER, Persona.MANAGER})
NOBODY = frozenset()  # POST only: a GET is refused for everyone

MATRIX = "as the matrix allows"
NO_HEALTH_TEXT = "no health text for anyone"


@dataclass(frozen=True)
class Rule:
    opens: frozenset[Persona]
    shows: str = MATRIX
    # Extra query strings to request as well ({ada}, {location}: the objects' ids).
    queries: tuple[str, ...] = field(default=())


RULES: dict[str, Rule] = {
    # Signing in and one's own account
    "login": Rule(EVERYONE, NO_HEALTH_TEXT),
    "logout": Rule(NOBODY, NO_HEALTH_TEXT),
    "account": Rule(STAFF, NO_HEALTH_TEXT),
    "account_lockouts": Rule(MANAGER, NO_HEALTH_TEXT),
    "account_unlock": Rule(NOBODY, NO_HEALTH_TEXT),
    "two_factor_setup": Rule(STAFF, NO_HEALTH_TEXT),
    "two_factor_verify": Rule(STAFF, NO_HEALTH_TEXT),
    "two_factor_recovery_codes": Rule(NOBODY, NO_HEALTH_TEXT),
    "two_factor_reset": Rule(NOBODY, NO_HEALTH_TEXT),
    "keep_alive": Rule(NOBODY, NO_HEALTH_TEXT),
    "staff:list": Rule(MANAGER, NO_HEALTH_TEXT),
    "staff:add": Rule(MANAGER, NO_HEALTH_TEXT),
    "staff:role": Rule(NOBODY, NO_HEALTH_TEXT),
    "staff:active": Rule(NOBODY, NO_HEALTH_TEXT),
    # Home, calendars and lists: schedule facts and alert headlines only
    "home": Rule(STAFF, NO_HEALTH_TEXT),
    "sessions:day": Rule(
        STAFF, NO_HEALTH_TEXT, ("?date=2026-11-30&location={location}",)
    ),
    "sessions:week": Rule(
        STAFF, NO_HEALTH_TEXT, ("?date=2026-11-30&location={location}",)
    ),
    "clients:list": Rule(STAFF, NO_HEALTH_TEXT, ("?q=Lovelace",)),
    "clients:authorizations": Rule(DESK_AND_MANAGER),
    "sessions:outbox": Rule(STAFF, NO_HEALTH_TEXT),
    "sessions:outbox_retry": Rule(NOBODY),
    "clients:audit_log": Rule(MANAGER),
    "clients:audit_log_csv": Rule(MANAGER),
    "sessions:openings": Rule(
        DESK_AND_MANAGER, NO_HEALTH_TEXT, ("?client={ada}&modality={swedish}",)
    ),
    "sessions:waitlist": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT),
    "sessions:waitlist_remove": Rule(NOBODY),
    "sessions:waitlist_offer": Rule(NOBODY),
    # The walk's world has no waitlist entry: a 404 for all (the desk's and the
    # manager's only: test_waitlist_matches_page).
    "sessions:waitlist_entry_openings": Rule(NOBODY),
    "sessions:notes_to_sign": Rule(THERAPISTS_AND_MANAGER),
    # Schedules (issue 13): the desk reads, a therapist their own, the manager all
    "sessions:schedules": Rule(STAFF, NO_HEALTH_TEXT),
    "sessions:schedule": Rule(ADAS_STAFF, NO_HEALTH_TEXT),
    "sessions:schedule_time_off": Rule(ADAS_STAFF, NO_HEALTH_TEXT),
    "sessions:schedule_hours_remove": Rule(NOBODY),
    "sessions:schedule_time_off_remove": Rule(NOBODY),
    "sessions:schedule_visit_cancel": Rule(NOBODY),
    # Booking: the desk and the manager
    "sessions:book": Rule(
        DESK_AND_MANAGER,
        NO_HEALTH_TEXT,
        ("?client={ada}", "?client={ada}&modality={swedish}&location={location}"),
    ),
    "sessions:client_search": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT, ("?q=Lovelace",)),
    "sessions:client_pick": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT, ("?client={ada}",)),
    "sessions:client_quick_add": Rule(NOBODY),
    "sessions:book_choices": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT),
    "sessions:series_new": Rule(
        DESK_AND_MANAGER, NO_HEALTH_TEXT, ("?client={ada}", "?plan={plan}")
    ),
    "sessions:series_client_options": Rule(
        DESK_AND_MANAGER, NO_HEALTH_TEXT, ("?client_query=Lovelace",)
    ),
    "sessions:series_therapist_options": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT),
    "sessions:series_room_options": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT),
    # Ada's chart
    "clients:new": Rule(DESK_AND_MANAGER, NO_HEALTH_TEXT),
    "clients:detail": Rule(ADAS_STAFF),
    "clients:edit": Rule(DESK_AND_MANAGER),
    "clients:archive": Rule(NOBODY),
    "clients:unarchive": Rule(NOBODY),
    "clients:plans": Rule(ADAS_STAFF),
    "clients:notes": Rule(ADAS_STAFF),
    "clients:history": Rule(ADAS_STAFF),
    "clients:history_version": Rule(CLINICIANS),
    "clients:history_new": Rule(CLINICIANS),
    "clients:history_review": Rule(CLINICIANS),
    "clients:intake_link": Rule(NOBODY),
    "clients:flag_add": Rule(CLINICIANS),
    "clients:flag_edit": Rule(CLINICIANS),
    "clients:flag_resolve": Rule(CLINICIANS),
    "clients:flag_clear": Rule(CLINICIANS),
    "clients:clearance_document": Rule(CLINICIANS),
    "clients:referrals": Rule(ADAS_STAFF),
    "clients:referral_add": Rule(DESK_AND_MANAGER),
    "clients:referral_edit": Rule(DESK_AND_MANAGER),
    "clients:referral_document": Rule(ADAS_STAFF),
    "clients:policy_add": Rule(DESK_AND_MANAGER),
    "clients:policy_edit": Rule(DESK_AND_MANAGER),
    "clients:authorization_add": Rule(DESK_AND_MANAGER),
    "clients:authorization_edit": Rule(DESK_AND_MANAGER),
    "clients:modification_plan_new": Rule(CLINICIANS),
    "clients:modification_plan_withdraw": Rule(NOBODY),
    # Merging two records of one person: the manager only
    "clients:merge": Rule(MANAGER),
    "clients:merge_undo": Rule(NOBODY),
    "clients:merge_confirm": Rule(NOBODY),
    # Importing clients (names and contact details only)
    "clients:imports": Rule(MANAGER, NO_HEALTH_TEXT),
    "clients:import_template": Rule(MANAGER, NO_HEALTH_TEXT),
    "clients:import": Rule(MANAGER, NO_HEALTH_TEXT, ("?show=duplicates",)),
    "clients:import_progress": Rule(MANAGER, NO_HEALTH_TEXT),
    "clients:import_leftover": Rule(MANAGER, NO_HEALTH_TEXT),
    "clients:import_choose": Rule(NOBODY),
    "clients:import_start": Rule(NOBODY),
    "clients:import_discard": Rule(NOBODY),
    # The client's own links (no sign-in): what the client may see of their visit
    "clients:intake_public": Rule(EVERYONE, NO_HEALTH_TEXT),
    "clients:intake_thanks": Rule(EVERYONE, NO_HEALTH_TEXT),
    "sessions:link_confirm": Rule(EVERYONE, NO_HEALTH_TEXT),
    "sessions:link_cancel": Rule(EVERYONE, NO_HEALTH_TEXT),
    "sessions:link_screen": Rule(EVERYONE, NO_HEALTH_TEXT),
    "sessions:waitlist_offer_link": Rule(EVERYONE, NO_HEALTH_TEXT),
    # Ada's visit (Tara's, signed) and its note
    "sessions:visit": Rule(STAFF),
    "sessions:visit_status": Rule(NOBODY),
    "sessions:visit_cancel": Rule(NOBODY),
    "sessions:visit_reschedule": Rule(DESK_AND_MANAGER),
    "sessions:visit_check_in": Rule(ADAS_STAFF),
    "sessions:visit_change_technique": Rule(DESK_AND_MANAGER),
    "sessions:visit_safety_acknowledge": Rule(NOBODY),
    "sessions:note": Rule(CLINICIANS),
    "sessions:note_autosave": Rule(NOBODY),
    "sessions:note_units": Rule(NOBODY),
    "sessions:note_sign": Rule(NOBODY),
    "sessions:note_copy_previous": Rule(NOBODY),
    "sessions:note_addendum": Rule(NOBODY),
    "sessions:superbill": Rule(ADAS_STAFF),
    "sessions:client_superbill": Rule(ADAS_STAFF),
    # Ada's plan
    "sessions:plan_new": Rule(CLINICIANS),
    "sessions:plan": Rule(ADAS_STAFF),
    "sessions:plan_edit": Rule(CLINICIANS),
    "sessions:plan_status": Rule(NOBODY),
    "sessions:plan_progress": Rule(CLINICIANS),
    "sessions:client_progress": Rule(CLINICIANS),
    "sessions:progress_report": Rule(frozenset({Persona.TREATING})),
    "sessions:progress_report_pdf": Rule(CLINICIANS),
}


# --- The clinic: two clients, two therapists -----------------------------------------


@dataclass
class World:
    objects: dict[str, object]
    users: dict[Persona, object]

    def kwargs_for(self, name: str, route: str, params: list[str]) -> dict[str, object]:
        by_prefix = {
            "clients/imports/": "client_import",
            "clients/": "ada",
            "visits/": "visit",
            "plans/": "plan",
            "progress-reports/": "report",
            "messages/": "message",
            "waitlist/": "waitlist",
            "staff/": "staff",
            "schedules/": "schedule_therapist",  # Ada's therapist's schedule
        }
        by_param = {
            "client_pk": "ada",
            "flag_pk": "flag",
            "referral_pk": "referral",
            "policy_pk": "policy",
            "auth_pk": "authorization",
            "plan_pk": "modification_plan",
            "history_pk": "history",
            "user_id": "staff",
            "block_pk": "nothing",
            "off_pk": "nothing",
            "visit_pk": "upcoming",
        }
        kwargs: dict[str, object] = {}
        for param in params:
            if param == "pk":
                key = next(v for k, v in by_prefix.items() if route.startswith(k))
            elif param == "token":
                key = f"token:{name}"
            elif param == "version":
                kwargs[param] = 1
                continue
            else:
                key = by_param[param]
            kwargs[param] = self.objects[key]
        return kwargs


def _history(client, text: str) -> MedicalHistory:
    return MedicalHistory.objects.create(
        client=client,
        version=1,
        submitted_at=NOW - timedelta(days=60),
        chief_complaint=text,
        consent_name=client.full_name,
        consent_signed_at=NOW - timedelta(days=60),
    )


def _booking_history(visit, cleared: str, override: str) -> None:
    """The visit's history as booking writes it: the alerts acknowledged (with the
    clearance, as visits booked before the cleared headline carry it) and the
    reason the authorization was overridden."""
    for kind, summary, details in (
        (
            AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
            f"Safety alerts acknowledged: {cleared}",
            {"alerts": [cleared]},
        ),
        (
            AppointmentEvent.Kind.AUTHORIZATION_OVERRIDDEN,
            f"Authorization overridden: {override}",
            {"warnings": ["The authorization has no visits left."]},
        ),
    ):
        AppointmentEvent.objects.create(
            appointment=visit,
            at=visit.starts_at - timedelta(days=7),
            kind=kind,
            summary=summary,
            details=details,
        )


def _chart(key: str, client, therapist, place, visit_at: datetime, upcoming_at):
    texts = TEXTS[key]
    history = _history(client, texts[Health.HISTORY])
    referral = referral_for(
        client,
        diagnosis_text=texts[Health.REFERRAL],
        document=SimpleUploadedFile("referral.pdf", PDF_BYTES),
    )
    policy = InsurancePolicyFactory(client=client)
    authorization = AuthorizationFactory(policy=policy, referral=referral)
    flag = Contraindication.objects.create(
        client=client,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        cleared_on=date(2026, 9, 1),
        cleared_by_physician=texts[Health.CLEARANCE],
        clearance_conditions=CLEARANCE_TERMS[key],
        clearance_document=SimpleUploadedFile("clearance.pdf", PDF_BYTES),
    )
    plan = make_plan(
        client=client,
        therapist=therapist,
        referral=referral,
        starts_on=date(2026, 11, 2),
        review_on=date(2026, 12, 28),
        goals=(
            {
                "description": texts[Health.GOAL],
                "measure": Goal.Measure.PAIN,
                "unit": "/10",
                "baseline": Decimal(7),
                "target": Decimal(2),
            },
        ),
    )
    cleared = (
        f"cleared by {texts[Health.CLEARANCE]} on 2026-09-01: "
        f"history of dvt: {CLEARANCE_TERMS[key]}"
    )
    visit = signed_visit(
        client=client,
        therapist=therapist,
        plan=plan,
        place=place,
        starts_at=visit_at,
        referral=referral,
        authorization=authorization,
        safety_acknowledgement=cleared,
        authorization_override_reason=OVERRIDE_REASONS[key],
        signed=False,
    )
    _booking_history(visit, cleared, OVERRIDE_REASONS[key])
    note = visit.note
    note.complaint = texts[Health.NOTE]
    note.signed_at, note.signed_by = visit_at + timedelta(hours=2), therapist.user
    note.content_sha256 = "c" * 64
    note.save()  # signed last: the database refuses changes to a signed note
    upcoming = AppointmentFactory(
        client=client,
        therapist=therapist,
        location=place[0],
        room=place[1],
        plan=plan,
        starts_at=upcoming_at,
        ends_at=upcoming_at + timedelta(hours=1),
    )
    return {
        key: client,
        "history": history,
        "referral": referral,
        "policy": policy,
        "authorization": authorization,
        "flag": flag,
        "plan": plan,
        "visit": visit,
        "upcoming": upcoming,
    }


@pytest.fixture
def world(front_desk, therapist, other_therapist, manager, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    place = (location, RoomFactory(location=location, name="Maple Room"))
    second_room = (location, RoomFactory(location=location, name="Birch Room"))
    ada = ClientFactory(first_name="Ada", last_name="Lovelace")
    bruno = ClientFactory(first_name="Bruno", last_name="Ganz")
    today_10am = datetime(2026, 11, 30, 15, tzinfo=UTC)
    objects = _chart(
        "ada",
        ada,
        therapist,
        place,
        datetime(2026, 11, 23, 15, tzinfo=UTC),
        today_10am,
    )
    _chart(
        "bruno",
        bruno,
        other_therapist,
        second_room,
        datetime(2026, 11, 23, 17, tzinfo=UTC),
        today_10am + timedelta(hours=2),
    )
    plan = objects["plan"]
    report = ProgressReport.objects.create(
        plan=plan,
        therapist=therapist,
        period_start=date(2026, 11, 2),
        period_end=date(2026, 11, 29),
        assessment="Responding well.",
        recommendation="Continue twice a week.",
        created_by=therapist.user,
    )
    invitation = IntakeInvitation.objects.create(
        client=ada, created_by=front_desk, expires_at=NOW + timedelta(days=7)
    )
    upcoming = objects["upcoming"]
    client_import = ClientImport.objects.create(
        file_name="old-system.csv",
        uploaded_by=manager,
        uploaded_at=NOW,
        status=ClientImport.Status.CHECKED,
        total_rows=1,
        checked_rows=1,
    )
    ClientImportRow.objects.create(
        client_import=client_import,
        line=2,
        values={"first_name": "Ada", "last_name": "Lovelace", "phone": "5185550101"},
        checked=True,
        matches=[{"client": ada.pk, "why": "same phone"}],
        decision=ClientImportRow.Decision.SKIP,
    )
    objects.update(
        client_import=client_import,
        location=location.pk,
        swedish=Modality.objects.get(slug="swedish").pk,
        report=report,
        message=999999,
        waitlist=999999,
        modification_plan=999999,
        staff=therapist.user.pk,
        schedule_therapist=therapist.pk,
        nothing=999999,
        **{
            "token:clients:intake_public": intake_invitation_token(invitation),
            "token:sessions:link_confirm": visit_link_token(
                appointment=upcoming, action=Action.CONFIRM
            ),
            "token:sessions:link_cancel": visit_link_token(
                appointment=upcoming, action=Action.CANCEL
            ),
            "token:sessions:link_screen": visit_link_token(
                appointment=upcoming, action=Action.SCREEN
            ),
            # A signed link to an offer that does not exist: its page says so.
            "token:sessions:waitlist_offer_link": offer_token(WaitlistOffer(pk=999999)),
        },
    )
    objects = {
        k: (v.pk if hasattr(v, "pk") and not isinstance(v, int) else v)
        for k, v in objects.items()
    }
    return World(
        objects=objects,
        users={
            Persona.ANONYMOUS: None,
            Persona.DESK: front_desk,
            Persona.TREATING: therapist.user,
            Persona.OTHER: other_therapist.user,
            Persona.MANAGER: manager,
        },
    )


# --- The walk ------------------------------------------------------------------------


def _url_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(name, route, parameter names) of every named URL outside the admin."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            converters = getattr(entry.pattern, "converters", {})
            name = namespace + (entry.name or f"<unnamed {route}>")
            yield name, route, list(converters)


def test_every_url_has_a_rule():
    names = {name for name, _, _ in _url_patterns()}
    missing = sorted(names - set(RULES))
    assert not missing, (
        "These URLs have no need-to-know rule: add each to RULES in "
        f"{__name__} (who may open it, whether it shows health data): {missing}"
    )
    assert not sorted(set(RULES) - names), "RULES names URLs that no longer exist"


def _body(response) -> str:
    if response.streaming:
        content = b"".join(response.streaming_content)
        if getattr(response, "file_to_stream", None) is not None:
            response.file_to_stream.close()  # a download: let go of the file
    else:
        content = response.content
    if content.startswith(b"%PDF") and content != PDF_BYTES:
        return pdf_text(content)  # the clinic's own PDFs: their text, uncompressed
    return content.decode(errors="replace")


def _forbidden_texts(persona: Persona, rule: Rule) -> dict[str, str]:
    """The health texts this persona must not find on this page, by what they are."""
    forbidden = {}
    for key, texts in TEXTS.items():
        allowed = MAY_SEE[persona][key] if rule.shows == MATRIX else frozenset()
        for kind, text in texts.items():
            if kind not in allowed:
                forbidden[text] = f"{key}'s {kind}"
        if Health.CLEARANCE not in allowed:
            forbidden[CLEARANCE_TERMS[key]] = f"{key}'s clearance terms"
        if Health.REFERRAL not in allowed:
            forbidden[OVERRIDE_REASONS[key]] = f"{key}'s authorization override"
    return forbidden


def _refused(persona: Persona, response) -> bool:
    if response.status_code in {403, 404, 405, 410}:
        return True
    return (
        persona == Persona.ANONYMOUS
        and response.status_code == 302
        and response["Location"].startswith(reverse("login"))
    )


@pytest.mark.parametrize("persona", list(Persona))
def test_no_page_shows_health_data_to_someone_who_may_not_see_it(
    client, world, persona
):
    problems: list[str] = []
    user = world.users[persona]
    for name, route, params in _url_patterns():
        rule = RULES.get(name)
        if rule is None:
            continue  # test_every_url_has_a_rule names it
        base = reverse(name, kwargs=world.kwargs_for(name, route, params))
        ids = {
            key: world.objects[key] for key in ("ada", "location", "plan", "swedish")
        }
        urls = [base, *(base + q.format(**ids) for q in rule.queries)]
        # Each as a page and as the htmx partial some pages answer instead.
        for url, headers in [
            (u, h) for u in urls for h in ({}, {"HX-Request": "true"})
        ]:
            with time_machine.travel(NOW, tick=False):
                client.logout()
                if user is not None:
                    client.force_login(user)
                response = client.get(url, headers=headers)
            url += " (htmx)" if headers else ""
            status = response.status_code
            if status >= 500:
                problems.append(f"{url}: server error {status}")
                continue
            if persona in rule.opens and _refused(persona, response):
                problems.append(f"{url}: refused ({status}), the rule opens it")
            elif persona not in rule.opens and not _refused(persona, response):
                where = f" to {response['Location']}" if status == 302 else ""
                problems.append(f"{url}: answered {status}{where}, the rule refuses it")
            body = _body(response)
            for text, what in _forbidden_texts(persona, rule).items():
                if text in body:
                    problems.append(f"{url}: shows {what} ({text!r})")
    assert not problems, f"As the {persona}:\n" + "\n".join(problems)
