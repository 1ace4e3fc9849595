"""Words the safety rules cannot read wait for a therapist's review.

"Pulmonary embolism" typed under other conditions, or a change of medications, is an
open item on the chart and the home page until a therapist who treats the client
marks it harmless (with a note) or records that the flags it needs were added. The
desk learns that a review is needed, never the words, and cannot record it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.history_reviews import history_review_record, history_reviews_open
from clients.models import Condition, HistoryReview, MedicalHistory
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from sessions.tests.factories import AppointmentFactory

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
CONTEXT = AuditContext(user=None, path="test")
WORDS = "pulmonary embolism in 2024"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _history(client, version: int, **fields) -> MedicalHistory:
    return MedicalHistory.objects.create(
        client=client,
        version=version,
        submitted_at=NOW - timedelta(days=10 - version),
        chief_complaint="Low back pain",
        consent_name=client.full_name,
        consent_signed_at=NOW,
        **fields,
    )


@pytest.fixture
def grace(therapist):
    patient = ClientFactory(first_name="Grace", last_name="Okafor")
    AppointmentFactory(client=patient, therapist=therapist)  # Tara treats her
    return patient


def test_text_under_other_conditions_opens_a_review_item(grace):
    history = _history(grace, 1, other_conditions=WORDS)

    [item] = history_reviews_open()

    assert item.history == history
    assert item.text == f"other conditions: {WORDS}"


def test_a_change_of_medications_opens_one_and_the_same_list_does_not(grace):
    _history(grace, 1, medications="ibuprofen")
    history = _history(grace, 2, medications="ibuprofen, warfarin")

    [item] = history_reviews_open(client_ids=[grace.pk])
    assert item.history == history
    assert item.text == "medications now: ibuprofen, warfarin"

    _history(grace, 3, medications="ibuprofen, warfarin")
    assert history_reviews_open(client_ids=[grace.pk]) == []


def test_a_history_with_nothing_in_words_opens_none(grace):
    _history(grace, 1)
    assert history_reviews_open() == []


def test_a_therapist_marks_it_harmless_and_it_disappears(grace, therapist):
    history = _history(grace, 1, other_conditions=WORDS)

    review = history_review_record(
        history=history,
        outcome=HistoryReview.Outcome.HARMLESS,
        note="Resolved in 2024, cleared by her physician",
        by=therapist.user,
        now=NOW,
        context=CONTEXT,
    )

    assert history_reviews_open() == []
    assert review.reviewed_by == therapist.user
    assert AuditEvent.objects.filter(
        object_type="clients.HistoryReview", object_id=review.pk, client_id=grace.pk
    ).exists()


def test_harmless_needs_a_note(grace, therapist):
    history = _history(grace, 1, other_conditions=WORDS)
    with pytest.raises(ValidationError, match="Say why it needs no safety flag"):
        history_review_record(
            history=history,
            outcome=HistoryReview.Outcome.HARMLESS,
            note=" ",
            by=therapist.user,
            now=NOW,
            context=CONTEXT,
        )


def test_flagged_needs_a_flag_on_the_chart(grace, therapist):
    history = _history(grace, 1, other_conditions=WORDS)
    review = {
        "history": history,
        "outcome": HistoryReview.Outcome.FLAGGED,
        "note": "",
        "by": therapist.user,
        "now": NOW,
        "context": CONTEXT,
    }
    with pytest.raises(ValidationError, match="add the flag it needs first"):
        history_review_record(**review)
    contraindication_add(
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=therapist.user,
        context=CONTEXT,
    )
    history_review_record(**review)
    assert history_reviews_open() == []


def test_the_desk_cannot_mark_it_nor_a_therapist_who_does_not_treat(
    grace, front_desk, other_therapist
):
    history = _history(grace, 1, other_conditions=WORDS)
    for user in (front_desk, other_therapist.user):
        with pytest.raises(ValidationError, match="Only a therapist who treats"):
            history_review_record(
                history=history,
                outcome=HistoryReview.Outcome.HARMLESS,
                note="fine",
                by=user,
                now=NOW,
                context=CONTEXT,
            )
    assert len(history_reviews_open()) == 1


# --- pages --------------------------------------------------------------------------


def test_the_chart_and_home_show_the_item_the_desk_without_the_words(
    client, grace, front_desk, therapist
):
    _history(grace, 1, other_conditions=WORDS)

    client.force_login(front_desk)
    for url in (reverse("clients:detail", args=[grace.pk]), reverse("home")):
        page = client.get(url).content.decode()
        assert "Needs a therapist's review" in page
        assert WORDS not in page

    client.force_login(therapist.user)
    chart = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()
    assert f"Needs a therapist's review: other conditions: {WORDS}" in chart


def test_the_desk_cannot_open_the_review_page(client, grace, front_desk):
    history = _history(grace, 1, other_conditions=WORDS)
    client.force_login(front_desk)
    url = reverse("clients:history_review", args=[grace.pk, history.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"outcome": "harmless", "note": "x"}).status_code == 403
    assert not HistoryReview.objects.exists()


def test_a_therapist_marks_it_harmless_on_its_page(client, grace, therapist):
    history = _history(grace, 1, other_conditions=WORDS)
    client.force_login(therapist.user)
    url = reverse("clients:history_review", args=[grace.pk, history.pk])

    page = client.get(url).content.decode()
    assert WORDS in page
    assert reverse("clients:flag_add", args=[grace.pk]) in page

    refused = client.post(url, {"outcome": "harmless", "note": ""})
    assert refused.status_code == 400

    done = client.post(url, {"outcome": "harmless", "note": "Resolved in 2024"})
    assert done.status_code == 302
    chart = client.get(reverse("clients:detail", args=[grace.pk])).content.decode()
    assert "Needs a therapist" not in chart


def test_the_admin_only_shows_reviews(client, grace, therapist, manager):
    history = _history(grace, 1, other_conditions=WORDS)
    review = history_review_record(
        history=history,
        outcome=HistoryReview.Outcome.HARMLESS,
        note="fine",
        by=therapist.user,
        now=NOW,
        context=CONTEXT,
    )
    client.force_login(manager)
    assert client.get("/admin/clients/historyreview/").status_code == 200
    view = client.get(f"/admin/clients/historyreview/{review.pk}/change/")
    assert view.status_code == 200
    assert reverse("clients:history_review", args=[grace.pk, history.pk]) in (
        view.content.decode()
    )
    assert client.get("/admin/clients/historyreview/add/").status_code == 403
