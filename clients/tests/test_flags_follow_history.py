"""The intake's safety flags follow the newest history (issue 10, point 5).

A new version adds the flags it calls for, updates in place the open intake flags
whose answers changed (keeping their clearance and staff's review), and resolves as
superseded the ones it no longer calls for. Staff's and referrals' flags are never
touched. Each change has its audit row, written with the submission.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.intake_services import (
    FlagChangeKind,
    history_flag_changes,
    history_submit,
    intake_invitation_create,
    intake_invitation_submit,
    intake_invitation_token,
)
from clients.models import (
    Condition,
    Contraindication,
    FlagSource,
    MedicalHistory,
)
from clients.services import (
    contraindication_add,
    contraindication_clear,
    contraindication_update,
    flag_specs_for_history,
    flags_follow_history,
)
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

FIRST = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
CONTEXT = AuditContext(user=None, ip_address="198.51.100.4", path="/test/")
FLAG = Contraindication._meta.label


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(db):
    return ClientFactory(first_name="Grace", last_name="Okafor")


@pytest.fixture
def staff_context(manager):
    return AuditContext(user=manager, ip_address="198.51.100.4", path="/history/")


def answers(**changes) -> dict:
    return {
        "chief_complaint": "Low back pain",
        "pain_areas": ["lower_back"],
        "consent_name": "Grace Okafor",
        **changes,
    }


def surgery(procedure: str, when: str, site: str = "") -> dict:
    return {"procedure": procedure, "date": when, "site": site}


def submit(client, by, at: datetime, context: AuditContext | None = None, **changes):
    return history_submit(
        client=client,
        data=answers(**changes),
        submitted_by=by,
        now=at,
        context=context or AuditContext(user=by, path="/history/"),
    )


def open_intake(client) -> list[Contraindication]:
    return list(
        client.contraindications.filter(
            source=FlagSource.INTAKE, resolved_at__isnull=True
        ).select_related("condition")
    )


def by_slug(client) -> dict[str, Contraindication]:
    return {f.condition.slug: f for f in open_intake(client)}


def flag_rows(version: int) -> list[tuple[str, str]]:
    return [
        (e.action, e.summary)
        for e in AuditEvent.objects.filter(
            object_type=FLAG, summary__contains=f"history v{version}"
        ).order_by("pk")
    ]


# --- Added, updated, resolved, untouched ----------------------------------------------


def test_a_new_version_adds_the_flags_it_calls_for(patient, manager):
    submit(patient, manager, FIRST)
    second = submit(patient, manager, NOW, dvt_history=True)
    (flag,) = open_intake(patient)
    assert flag.condition.slug == "dvt-history"
    assert (flag.history, flag.created_by) == (second, manager)
    assert flag_rows(2) == [
        (
            AuditEvent.Action.CREATE,
            "Flag added from the history v2: History of deep vein thrombosis (DVT)",
        )
    ]


def test_new_pregnancy_weeks_update_the_flag_in_place(patient, manager, therapist):
    submit(patient, manager, FIRST, pregnant=True, pregnancy_weeks=24)
    before = by_slug(patient)["pregnancy"]
    assert before.detail == "24 weeks on 2026-10-01"

    second = submit(patient, therapist.user, NOW, pregnant=True, pregnancy_weeks=31)

    flag = by_slug(patient)["pregnancy"]
    assert flag.pk == before.pk
    assert flag.detail == "31 weeks on 2026-11-28"
    assert flag.onset_on == date(2026, 11, 28) - timedelta(weeks=31)
    assert flag.recheck_on == date(2026, 11, 28) + timedelta(weeks=9)
    assert (flag.history, flag.updated_by, flag.created_by) == (
        second,
        therapist.user,
        manager,
    )
    event = AuditEvent.objects.get(object_type=FLAG, object_id=flag.pk, action="change")
    assert event.summary == (
        "Flag updated from the history v2: Pregnancy (24 -> 31 weeks on 2026-11-28)"
    )
    assert (event.user, event.client_id) == (therapist.user, patient.pk)


def test_a_changed_medication_updates_the_anticoagulant_flag(patient, manager):
    submit(
        patient, manager, FIRST, takes_anticoagulants=True, medications="Warfarin 5 mg"
    )
    submit(patient, manager, NOW, takes_anticoagulants=True, medications="Apixaban")
    assert by_slug(patient)["anticoagulants"].detail == "Apixaban"
    assert flag_rows(2) == [
        (
            AuditEvent.Action.CHANGE,
            "Flag updated from the history v2: Anticoagulant medication "
            "(Warfarin 5 mg -> Apixaban)",
        )
    ]


def test_an_update_keeps_the_clearance_and_staff_review(
    patient, manager, staff_context
):
    submit(
        patient,
        manager,
        FIRST,
        dvt_history=True,
        implanted_devices="Pacemaker",
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    flags = by_slug(patient)
    dvt = contraindication_update(
        flag=flags["dvt-history"],
        by=manager,
        context=staff_context,
        body_region="lower_leg_left",
        detail="Left calf, 2019",
    )
    contraindication_clear(
        flag=dvt,
        by=manager,
        cleared_on=date(2026, 10, 5),
        physician="Laura Bennett, MD",
        document=None,
        today=date(2026, 10, 6),
        context=staff_context,
    )
    contraindication_update(
        flag=flags["implanted-device"],
        by=manager,
        context=staff_context,
        body_region="chest",
    )
    contraindication_update(
        flag=flags["recent-surgery"],
        by=manager,
        context=staff_context,
        body_region="lower_leg_left",  # staff widened the area to avoid
    )

    later = FIRST + timedelta(days=10)
    second = submit(
        patient,
        manager,
        later,
        dvt_history=True,
        implanted_devices="Pacemaker, replaced in October",
        surgeries=[surgery("Knee arthroscopy", "2026-09-22", "knee_left")],
    )

    flags = by_slug(patient)
    dvt = flags["dvt-history"]
    assert (dvt.body_region, dvt.detail, dvt.cleared_on) == (
        "lower_leg_left",
        "Left calf, 2019",
        date(2026, 10, 5),
    )
    assert dvt.cleared_by_physician == "Laura Bennett, MD"
    assert dvt.history != second  # nothing it says changed
    device = flags["implanted-device"]
    assert (device.body_region, device.detail) == (
        "chest",
        "Pacemaker, replaced in October",
    )
    knee = flags["recent-surgery"]
    assert knee.body_region == "lower_leg_left"  # the history's site did not change
    assert (knee.onset_on, knee.recheck_on) == (
        date(2026, 9, 22),
        date(2026, 9, 22) + timedelta(weeks=6),
    )

    # The history's own site changes: now it wins over staff's region.
    submit(
        patient,
        manager,
        later + timedelta(days=1),
        dvt_history=True,
        implanted_devices="Pacemaker, replaced in October",
        surgeries=[surgery("Knee arthroscopy", "2026-09-22", "knee_right")],
    )
    assert by_slug(patient)["recent-surgery"].pk == knee.pk
    assert by_slug(patient)["recent-surgery"].body_region == "knee_right"
    assert by_slug(patient)["implanted-device"].body_region == "chest"


def test_a_surgery_no_longer_listed_is_resolved_as_superseded(patient, manager):
    submit(
        patient,
        manager,
        FIRST,
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    (flag,) = open_intake(patient)
    LocationFactory(time_zone="America/New_York")
    later = datetime(2026, 10, 20, 3, 30, tzinfo=UTC)  # Oct 19, 23:30 in New York
    second = submit(patient, manager, later)

    flag.refresh_from_db()
    assert flag.resolved_at == later
    assert (flag.resolved_by, flag.superseded_by) == (manager, second)
    # The client's local date, not UTC's.
    assert flag.resolution_note == "superseded by the history of 2026-10-19"
    assert flag.history.version == 1
    assert flag_rows(2) == [
        (
            AuditEvent.Action.CHANGE,
            "Flag resolved by the history v2: Recent surgery (under 6 weeks), "
            "left knee (superseded by the history of 2026-10-19)",
        )
    ]


def test_a_surgery_older_than_six_weeks_in_the_new_history_is_resolved(
    patient, manager
):
    submit(
        patient,
        manager,
        FIRST,
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    submit(
        patient,
        manager,
        NOW,
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    assert open_intake(patient) == []


def test_staff_and_referral_flags_are_never_touched(patient, manager, staff_context):
    fever = contraindication_add(
        client=patient,
        condition=Condition.objects.get(slug="fever"),
        severity="absolute",
        by=manager,
        context=staff_context,
    )
    thinner = contraindication_add(
        client=patient,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        detail="Told us on the phone",
        by=manager,
        context=staff_context,
    )
    referral = Contraindication.objects.create(
        client=patient,
        condition=Condition.objects.get(slug="recent-surgery"),
        severity="regional",
        body_region="knee_left",
        source=FlagSource.REFERRAL,
    )
    staff_flags = [fever, thinner, referral]
    snapshot = [
        Contraindication.objects.filter(pk=f.pk).values().get() for f in staff_flags
    ]

    submit(patient, manager, FIRST, takes_anticoagulants=True, medications="Warfarin")
    # An open staff flag of the same condition and region stands in for the intake's.
    assert open_intake(patient) == []
    submit(
        patient,
        manager,
        NOW,
        pregnant=True,
        surgeries=[surgery("Knee arthroscopy", "2026-11-20", "knee_right")],
    )
    assert sorted(f.condition.slug for f in open_intake(patient)) == [
        "pregnancy",
        "recent-surgery",
    ]
    assert [
        Contraindication.objects.filter(pk=f.pk).values().get() for f in staff_flags
    ] == snapshot


def test_two_surgeries_are_told_apart(patient, manager):
    submit(
        patient,
        manager,
        NOW - timedelta(days=5),
        surgeries=[
            surgery("Knee arthroscopy", "2026-10-20", "knee_left"),
            surgery("Rotator cuff repair", "2026-11-10", "shoulder_right"),
        ],
    )
    knee, shoulder = sorted(open_intake(patient), key=lambda f: f.onset_on)
    changes = flags_follow_history(
        history=submit_raw(
            patient,
            surgeries=[
                surgery("Rotator cuff repair", "2026-11-10", "shoulder_right"),
                surgery("Knee arthroscopy", "2026-10-22", "knee_left"),  # corrected
                surgery("Hernia repair", "2026-11-15"),
            ],
        ),
        by=manager,
        context=CONTEXT,
    )
    assert changes.updated == [knee]
    assert changes.updated[0].onset_on == date(2026, 10, 22)
    assert [f.detail for f in changes.added] == ["Hernia repair"]
    assert changes.resolved == []
    shoulder_now = Contraindication.objects.get(pk=shoulder.pk)
    assert shoulder_now.history.version == 1  # said the same again: untouched

    # A second operation on the same knee is a new flag; the first keeps its own.
    changes = flags_follow_history(
        history=submit_raw(
            patient,
            surgeries=[
                surgery("Knee revision", "2026-11-12", "knee_left"),
                surgery("Knee arthroscopy", "2026-10-22", "knee_left"),
                surgery("Rotator cuff repair", "2026-11-10", "shoulder_right"),
            ],
        ),
        by=manager,
        context=CONTEXT,
    )
    assert [(f.detail, f.onset_on) for f in changes.added] == [
        ("Knee revision", date(2026, 11, 12))
    ]
    assert [f.detail for f in changes.resolved] == ["Hernia repair"]
    assert changes.updated == []


def submit_raw(client, **answers_) -> MedicalHistory:
    """A newer version written without its flags, to call flags_follow_history."""
    last = client.histories.order_by("-version").first()
    return MedicalHistory.objects.create(
        client=client,
        version=(last.version if last else 0) + 1,
        submitted_at=NOW,
        chief_complaint="Low back pain",
        consent_name="Grace Okafor",
        consent_signed_at=NOW,
        **answers_,
    )


# --- Idempotence, the link, the newest only ---------------------------------------------


def test_the_same_history_twice_changes_nothing(patient, manager):
    content = {
        "pregnant": True,
        "pregnancy_weeks": 20,
        "takes_anticoagulants": True,
        "medications": "Apixaban",
        "implanted_devices": "Insulin pump",
        "surgeries": [surgery("Knee arthroscopy", "2026-11-20", "knee_left")],
    }
    submit(patient, manager, NOW - timedelta(hours=2), **content)
    before = list(
        patient.contraindications.order_by("pk").values(
            "pk", "body_region", "detail", "onset_on", "recheck_on", "history"
        )
    )
    second = submit(patient, manager, NOW, **content)
    assert flag_rows(2) == []
    assert history_flag_changes(second) == []
    again = flags_follow_history(history=second, by=manager, context=CONTEXT)
    assert not again
    after = list(
        patient.contraindications.order_by("pk").values(
            "pk", "body_region", "detail", "onset_on", "recheck_on", "history"
        )
    )
    assert after == before


def test_following_the_same_history_again_changes_nothing(patient, manager):
    submit(patient, manager, FIRST, pregnant=True, pregnancy_weeks=24)
    second = submit(
        patient,
        manager,
        NOW,
        pregnant=True,
        pregnancy_weeks=31,
        surgeries=[surgery("Knee arthroscopy", "2026-11-20", "knee_left")],
    )
    assert not flags_follow_history(history=second, by=manager, context=CONTEXT)


def test_the_clients_own_link_updates_and_resolves_with_no_user(
    patient, manager, front_desk
):
    submit(
        patient,
        manager,
        FIRST,
        pregnant=True,
        pregnancy_weeks=24,
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    pregnancy = by_slug(patient)["pregnancy"]
    knee = by_slug(patient)["recent-surgery"]
    invitation = intake_invitation_create(client=patient, by=front_desk, now=NOW)
    token = intake_invitation_token(invitation)
    link = AuditContext(user=None, ip_address="192.0.2.55", path=f"/intake/{token}/")

    history = intake_invitation_submit(
        token=token,
        data=answers(pregnant=True, pregnancy_weeks=32, dvt_history=True),
        now=NOW,
        context=link,
    )

    pregnancy.refresh_from_db()
    knee.refresh_from_db()
    assert pregnancy.detail == "32 weeks on 2026-11-28"
    assert (pregnancy.history, pregnancy.updated_by) == (history, None)
    assert (knee.resolved_at, knee.resolved_by, knee.superseded_by) == (
        NOW,
        None,
        history,
    )
    dvt = by_slug(patient)["dvt-history"]
    assert (dvt.created_by, dvt.history) == (None, history)
    rows = AuditEvent.objects.filter(object_type=FLAG, summary__contains="v2")
    assert {(e.user, e.ip_address, e.path) for e in rows} == {
        (None, "192.0.2.55", f"/intake/{token}/")
    }
    assert sorted(e.action for e in rows) == ["change", "change", "create"]
    assert AuditEvent.objects.get(
        object_id=history.pk, object_type="clients.MedicalHistory"
    ).summary == ("Client sent medical history v2 by link")


def test_flags_follow_only_the_newest_history(patient, manager):
    first = submit(patient, manager, FIRST, pregnant=True)
    submit(patient, manager, NOW)
    with pytest.raises(ValueError, match="not the client's newest"):
        flags_follow_history(history=first, by=manager, context=CONTEXT)


def test_a_refused_submission_changes_no_flag(patient, manager):
    submit(patient, manager, FIRST, pregnant=True, pregnancy_weeks=24)
    before = list(patient.contraindications.values())
    with pytest.raises(ValidationError, match="full name"):
        submit(patient, manager, NOW, pregnant=True, consent_name="")
    assert list(patient.contraindications.values()) == before


# --- What the chart shows ---------------------------------------------------------------


def _lines(history) -> list[tuple[str, str]]:
    return [(c.heading, c.text) for c in history_flag_changes(history)]


def test_the_latest_versions_flag_changes_are_read_back_from_the_data(patient, manager):
    first = submit(
        patient,
        manager,
        FIRST,
        pregnant=True,
        pregnancy_weeks=24,
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    assert _lines(first) == [
        ("New flag", "Pregnancy (24 weeks on 2026-10-01)"),
        ("New flag", "Recent surgery (under 6 weeks), left knee (Knee arthroscopy)"),
    ]
    second = submit(
        patient, manager, NOW, pregnant=True, pregnancy_weeks=31, dvt_history=True
    )
    assert _lines(second) == [
        ("New flag", "History of deep vein thrombosis (DVT)"),
        ("Updated", "Pregnancy (24 -> 31 weeks on 2026-11-28)"),
        (
            "Resolved",
            "Recent surgery (under 6 weeks), left knee "
            "(superseded by the history of 2026-11-28)",
        ),
    ]
    assert [c.kind for c in history_flag_changes(second)] == [
        FlagChangeKind.ADDED,
        FlagChangeKind.UPDATED,
        FlagChangeKind.RESOLVED,
    ]


def test_the_history_page_lists_the_flag_changes(client, patient, manager, therapist):
    AppointmentFactory(client=patient, therapist=therapist)
    submit(
        patient,
        manager,
        FIRST,
        pregnant=True,
        pregnancy_weeks=24,
        surgeries=[surgery("Knee arthroscopy", "2026-09-20", "knee_left")],
    )
    submit(patient, manager, NOW, pregnant=True, pregnancy_weeks=31)
    client.force_login(therapist.user)
    page = client.get(reverse("clients:history", args=[patient.pk])).content.decode()
    assert "What version 2 did to the safety flags" in page
    assert (
        "<strong>Updated:</strong> Pregnancy (24 -&gt; 31 weeks on 2026-11-28)" in page
    )
    assert (
        "<strong>Resolved:</strong> Recent surgery (under 6 weeks), left knee "
        "(superseded by the history of 2026-11-28)"
    ) in page


def test_the_saved_message_names_the_flag_changes(client, patient, therapist):
    AppointmentFactory(client=patient, therapist=therapist)
    submit(patient, therapist.user, FIRST, pregnant=True, pregnancy_weeks=24)
    client.force_login(therapist.user)
    response = client.post(
        reverse("clients:history_new", args=[patient.pk]),
        {
            "chief_complaint": "Low back pain",
            "pain_areas": ["lower_back"],
            "pregnant": "on",
            "pregnancy_weeks": "31",
            "dvt_history": "on",
            "consent_name": "Grace Okafor",
            "consent_agreed": "on",
            "surgeries-TOTAL_FORMS": "0",
            "surgeries-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Medical history version 2 saved." in page
    assert "New safety flags: History of deep vein thrombosis (DVT)." in page
    assert "Updated safety flags: Pregnancy." in page


# --- Property: the open intake flags are exactly what the newest history calls for --

SITES = ["", "knee_left", "knee_right", "shoulder_right"]
version_answers = st.fixed_dictionaries(
    {
        "days_later": st.integers(min_value=0, max_value=40),
        "pregnant": st.booleans(),
        "weeks": st.none() | st.integers(min_value=1, max_value=42),
        "anticoagulants": st.booleans(),
        "medications": st.sampled_from(["", "Warfarin", "Apixaban 5 mg"]),
        "devices": st.sampled_from(["", "Pacemaker", "Insulin pump"]),
        "surgeries": st.lists(
            st.tuples(
                st.sampled_from(["Arthroscopy", "Repair", "Revision"]),
                st.integers(min_value=0, max_value=60),  # days before the form
                st.sampled_from(SITES),
            ),
            max_size=3,
        ),
        "by_link": st.booleans(),
    }
)
# Staff's own flags, some of the very conditions the intake raises, in regions the
# intake never gives them, so they neither stand in for nor get mixed up with them.
STAFF_FLAGS = [
    ("fever", ""),
    ("pregnancy", "abdomen"),
    ("anticoagulants", "lower_leg_left"),
    ("recent-surgery", "lower_back"),
]


def _form(spec: dict, at: datetime) -> dict:
    today = at.date()
    return answers(
        pregnant=spec["pregnant"],
        pregnancy_weeks=spec["weeks"] if spec["pregnant"] else None,
        takes_anticoagulants=spec["anticoagulants"],
        medications=spec["medications"],
        implanted_devices=spec["devices"],
        surgeries=[
            surgery(name, (today - timedelta(days=ago)).isoformat(), site)
            for name, ago, site in spec["surgeries"]
        ],
    )


def _check(versions: list[dict], staff: list[int], manager) -> None:
    patient = ClientFactory()
    staff_flags = [
        Contraindication.objects.create(
            client=patient,
            condition=Condition.objects.get(slug=STAFF_FLAGS[i][0]),
            severity="modify",
            body_region=STAFF_FLAGS[i][1],
            source=FlagSource.STAFF,
            created_by=manager,
        )
        for i in sorted(set(staff))
    ]
    snapshot = [
        Contraindication.objects.filter(pk=f.pk).values().get() for f in staff_flags
    ]
    at = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    for spec in versions:
        at += timedelta(days=spec["days_later"], minutes=1)
        if spec["by_link"]:
            invitation = intake_invitation_create(client=patient, by=manager, now=at)
            history = intake_invitation_submit(
                token=intake_invitation_token(invitation),
                data=_form(spec, at),
                now=at,
                context=CONTEXT,
            )
        else:
            history = history_submit(
                client=patient,
                data=_form(spec, at),
                submitted_by=manager,
                now=at,
                context=CONTEXT,
            )
        wanted = Counter(
            (s.condition_slug, s.body_region) for s in flag_specs_for_history(history)
        )
        have = Counter((f.condition.slug, f.body_region) for f in open_intake(patient))
        assert have == wanted, (history.version, history.surgeries)
        superseded = patient.contraindications.filter(superseded_by=history)
        assert all(f.resolved_at == at for f in superseded)
        assert [
            Contraindication.objects.filter(pk=f.pk).values().get() for f in staff_flags
        ] == snapshot
        # Following it once more changes nothing.
        assert not flags_follow_history(history=history, by=manager, context=CONTEXT)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    versions=st.lists(version_answers, min_size=1, max_size=4),
    staff=st.lists(st.integers(min_value=0, max_value=len(STAFF_FLAGS) - 1)),
)
def test_the_open_intake_flags_are_what_the_newest_history_calls_for(
    manager, versions, staff
):
    with transaction.atomic():
        _check(versions, staff, manager)
        transaction.set_rollback(True)
