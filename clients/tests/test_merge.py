"""Merging two records of one person: preview, merge, conflicts, undo, confirm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.merge import (
    client_merge,
    client_merge_confirm,
    client_merge_preview,
    client_merge_undo,
    live_merge_of,
)
from clients.models import ClientMerge, MedicalHistory
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from sessions.models import Appointment, SessionNote
from sessions.tests.factories import AppointmentFactory, visit_with_note

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
CTX = AuditContext(user=None, path="test")


def _history(client, version=1, submitted_at=NOW):
    return MedicalHistory.objects.create(
        client=client,
        version=version,
        submitted_at=submitted_at,
        chief_complaint="Low back pain",
        consent_name=client.full_name,
        consent_signed_at=NOW,
    )


@pytest.fixture
def pair(db):
    kept = ClientFactory(first_name="Robert", last_name="Miller")
    duplicate = ClientFactory(first_name="Bob", last_name="Miller")
    return kept, duplicate


def test_the_preview_counts_what_would_move_kind_by_kind(pair):
    kept, duplicate = pair
    visit_with_note(client=duplicate)
    visit_with_note(client=duplicate)
    _history(duplicate)
    preview = client_merge_preview(kept=kept, duplicate=duplicate)
    counts = {k.kind: k.count for k in preview.kinds}
    assert counts["visits"] == 2
    assert counts["notes"] == 2
    assert counts["intake / history versions"] == 1
    assert preview.conflicts == []


def test_merging_moves_every_row_archives_the_duplicate_and_audits(pair, manager):
    kept, duplicate = pair
    visit = visit_with_note(client=duplicate)
    history = _history(duplicate)
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    visit.refresh_from_db()
    history.refresh_from_db()
    duplicate.refresh_from_db()
    assert visit.client == kept and history.client == kept
    assert SessionNote.objects.get(appointment=visit).appointment.client == kept
    assert duplicate.archived_at == NOW
    assert live_merge_of(duplicate) == merge
    assert merge.moved["clinic_sessions.Appointment.client"] == [visit.pk]
    audited = AuditEvent.objects.filter(object_type="clients.ClientMerge")
    assert {e.client_id for e in audited} == {kept.pk, duplicate.pk}


def test_undo_moves_exactly_those_rows_back_and_unarchives(pair, manager):
    kept, duplicate = pair
    theirs = visit_with_note(client=duplicate)
    own = visit_with_note(client=kept)
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    later = AppointmentFactory(client=kept, starts_at=NOW + timedelta(days=3))
    client_merge_undo(merge=merge, by=manager, now=NOW, context=CTX)
    for row in (theirs, own, later, duplicate):
        row.refresh_from_db()
    assert theirs.client == duplicate
    assert own.client == kept and later.client == kept
    assert duplicate.archived_at is None
    merge.refresh_from_db()
    assert merge.status == ClientMerge.Status.UNDONE
    assert live_merge_of(duplicate) is None


def test_undo_keeps_an_archived_duplicate_archived(pair, manager):
    kept, duplicate = pair
    before = NOW - timedelta(days=400)
    duplicate.archived_at = before
    duplicate.save()
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    client_merge_undo(merge=merge, by=manager, now=NOW, context=CTX)
    duplicate.refresh_from_db()
    assert duplicate.archived_at == before


def test_a_confirmed_merge_cannot_be_undone(pair, manager):
    kept, duplicate = pair
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    client_merge_confirm(merge=merge, by=manager, now=NOW, context=CTX)
    with pytest.raises(ValidationError, match="already confirmed"):
        client_merge_undo(merge=merge, by=manager, now=NOW, context=CTX)


def test_overlapping_visits_are_explained_and_nothing_changes(pair, manager):
    kept, duplicate = pair
    start = datetime(2026, 4, 1, 14, tzinfo=UTC)
    AppointmentFactory(client=kept, starts_at=start, ends_at=start + timedelta(hours=1))
    theirs = AppointmentFactory(
        client=duplicate,
        starts_at=start + timedelta(minutes=30),
        ends_at=start + timedelta(minutes=90),
    )
    preview = client_merge_preview(kept=kept, duplicate=duplicate)
    assert len(preview.conflicts) == 1
    assert "overlaps" in preview.conflicts[0]
    with pytest.raises(ValidationError, match="overlaps"):
        client_merge(kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX)
    theirs.refresh_from_db()
    duplicate.refresh_from_db()
    assert theirs.client == duplicate and duplicate.archived_at is None
    assert not ClientMerge.objects.exists()


def test_a_cancelled_visit_at_the_same_time_is_no_conflict(pair, manager):
    kept, duplicate = pair
    start = datetime(2026, 4, 1, 14, tzinfo=UTC)
    AppointmentFactory(client=kept, starts_at=start)
    AppointmentFactory(
        client=duplicate,
        starts_at=start,
        status=Appointment.Status.CANCELLED,
        cancelled_at=start - timedelta(days=1),
    )
    assert client_merge_preview(kept=kept, duplicate=duplicate).conflicts == []


def _versions(client):
    return list(
        client.histories.order_by("version").values_list("version", "submitted_at")
    )


def test_two_intake_version_ones_become_one_list_numbered_by_date(pair, manager):
    kept, duplicate = pair
    first = _history(duplicate, submitted_at=NOW - timedelta(days=300))
    second = _history(kept, submitted_at=NOW - timedelta(days=30))
    third = _history(kept, version=2, submitted_at=NOW - timedelta(days=2))
    preview = client_merge_preview(kept=kept, duplicate=duplicate)
    assert preview.conflicts == []
    assert "one list of 3 versions" in preview.histories
    assert "Robert Miller's record" in preview.histories  # the newest is the kept's
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    numbers = dict(MedicalHistory.objects.values_list("pk", "version"))
    assert [numbers[h.pk] for h in (first, second, third)] == [1, 2, 3]
    assert set(kept.histories.values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
        third.pk,
    }
    assert kept.histories.order_by("-version").first() == third  # the current one
    assert merge.history_versions == {
        str(first.pk): 1,
        str(second.pk): 1,
        str(third.pk): 2,
    }
    assert AuditEvent.objects.filter(
        summary__contains="3 medical history versions numbered by date"
    ).exists()


def test_undo_gives_each_history_its_old_number_back(pair, manager):
    kept, duplicate = pair
    theirs = _history(duplicate, submitted_at=NOW - timedelta(days=1))
    own = _history(kept, submitted_at=NOW - timedelta(days=9))
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    since = _history(kept, version=3, submitted_at=NOW + timedelta(days=1))
    client_merge_undo(merge=merge, by=manager, now=NOW, context=CTX)
    assert _versions(duplicate) == [(1, theirs.submitted_at)]
    assert _versions(kept) == [(1, own.submitted_at), (2, since.submitted_at)]


def test_one_side_with_histories_keeps_its_numbers(pair, manager):
    kept, duplicate = pair
    _history(duplicate, submitted_at=NOW - timedelta(days=5))
    _history(duplicate, version=2, submitted_at=NOW - timedelta(days=50))
    assert client_merge_preview(kept=kept, duplicate=duplicate).histories == ""
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    assert merge.history_versions == {}
    assert [v for v, _ in _versions(kept)] == [1, 2]


when = st.integers(min_value=-400, max_value=0).map(lambda d: NOW + timedelta(days=d))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kept_dates=st.lists(when, max_size=4),
    duplicate_dates=st.lists(when, max_size=4),
)
def test_merge_numbers_histories_by_date_and_undo_restores_them(
    manager, kept_dates, duplicate_dates
):
    with transaction.atomic():
        kept, duplicate = ClientFactory(), ClientFactory()
        for client, dates in ((kept, kept_dates), (duplicate, duplicate_dates)):
            # As the intake numbers them: each record's later submissions higher.
            for version, at in enumerate(sorted(dates), start=1):
                _history(client, version=version, submitted_at=at)
        before = {c.pk: _versions(c) for c in (kept, duplicate)}
        merge = client_merge(
            kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
        )
        merged = _versions(kept)
        assert [v for v, _ in merged] == list(range(1, len(merged) + 1))
        assert [at for _, at in merged] == sorted(kept_dates + duplicate_dates)
        client_merge_undo(merge=merge, by=manager, now=NOW, context=CTX)
        assert {c.pk: _versions(c) for c in (kept, duplicate)} == before
        transaction.set_rollback(True)


def test_a_lost_race_is_reported_as_a_sentence(pair, manager, monkeypatch):
    kept, duplicate = pair
    start = datetime(2026, 4, 1, 14, tzinfo=UTC)
    AppointmentFactory(client=kept, starts_at=start)
    AppointmentFactory(client=duplicate, starts_at=start)
    # As if the other visit was booked after the check: the database refuses.
    monkeypatch.setattr("clients.merge._conflicts", lambda kept, duplicate: [])
    with pytest.raises(ValidationError, match="overlapping times"):
        client_merge(kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX)
    assert not ClientMerge.objects.exists()


def test_a_merged_record_is_not_merged_again_nor_into_itself(pair, manager):
    kept, duplicate = pair
    client_merge(kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX)
    other = ClientFactory()
    with pytest.raises(ValidationError, match="already merged"):
        client_merge(kept=other, duplicate=duplicate, by=manager, now=NOW, context=CTX)
    with pytest.raises(ValidationError, match="themselves"):
        client_merge(kept=other, duplicate=other, by=manager, now=NOW, context=CTX)


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_only_a_manager_merges(pair, persona, request):
    kept, duplicate = pair
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)  # the therapist fixture is the Therapist
    with pytest.raises(PermissionDenied):
        client_merge(kept=kept, duplicate=duplicate, by=user, now=NOW, context=CTX)


def test_a_merged_record_is_restored_by_undo_not_by_unarchive(pair, manager):
    from clients.client_services import client_unarchive

    kept, duplicate = pair
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    with pytest.raises(ValidationError, match="undo the merge"):
        client_unarchive(client=duplicate, by=manager, context=CTX)
    client_merge_confirm(merge=merge, by=manager, now=NOW, context=CTX)
    with pytest.raises(ValidationError, match="stays archived"):
        client_unarchive(client=duplicate, by=manager, context=CTX)
