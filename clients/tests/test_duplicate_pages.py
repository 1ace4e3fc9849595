"""The pages: "New client" warns of likely duplicates; the manager's merge page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from clients.models import Client, ClientMerge
from clients.tests.factories import ClientFactory
from sessions.tests.factories import AppointmentFactory

BORN = date(1975, 3, 9)


@pytest.fixture
def existing(db):
    return ClientFactory(
        first_name="Robert",
        last_name="Miller",
        date_of_birth=BORN,
        phone="(518) 555-0199",
        email="robert.miller@example.org",
    )


def _new(client, **fields):
    data = {
        "first_name": "Bob",
        "last_name": "Miller",
        "date_of_birth": "1975-03-09",
        "phone": "518 555 0100",
        "email": "",
        "email_reminders": "on",
        **fields,
    }
    return client.post(reverse("clients:new"), data)


def test_new_client_page_lists_the_likely_duplicate_and_keeps_what_was_typed(
    client, front_desk, existing
):
    client.force_login(front_desk)
    response = _new(client, preferences="Quiet room")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This client may already be registered" in page
    assert reverse("clients:detail", args=[existing.pk]) in page
    assert "Use this client" in page
    assert "••• ••• 0199" in page and "(518) 555-0199" not in page
    assert "r•••@example.org" in page
    assert 'value="Bob"' in page and "Quiet room" in page
    assert "This is a different person" in page
    assert Client.objects.count() == 1


def test_new_client_page_registers_once_it_is_a_different_person(
    client, front_desk, existing
):
    client.force_login(front_desk)
    response = _new(client, different_person="on")
    assert response.status_code == 302
    assert Client.objects.count() == 2


def test_new_client_page_registers_at_once_when_nobody_matches(client, front_desk, db):
    client.force_login(front_desk)
    assert _new(client).status_code == 302


def _edit(client, record, **fields):
    data = {
        "first_name": record.first_name,
        "last_name": record.last_name,
        "date_of_birth": record.date_of_birth.isoformat()
        if record.date_of_birth
        else "",
        "phone": record.phone,
        "email": record.email,
        "email_reminders": "on",
        **fields,
    }
    return client.post(reverse("clients:edit", args=[record.pk]), data)


def test_an_edit_that_makes_the_record_look_like_another_is_shown_first(
    client, front_desk, existing
):
    ann = ClientFactory(first_name="Ann", last_name="Ray", phone="518 555 0111")
    client.force_login(front_desk)
    response = _edit(client, ann, phone="(518) 555-0199")
    page = response.content.decode()
    assert response.status_code == 200
    assert "With these changes, this record looks like another client" in page
    assert "Open this client" in page and "Use this client" not in page
    assert "This is a different person: save the changes" in page
    ann.refresh_from_db()
    assert ann.phone == "518 555 0111"
    response = _edit(client, ann, phone="(518) 555-0199", different_person="on")
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.phone == "(518) 555-0199"


def test_an_edit_of_other_details_does_not_ask_again(client, front_desk, existing):
    twin = ClientFactory(
        first_name="Rob", last_name="Miller", date_of_birth=BORN, phone="518 555 0122"
    )
    client.force_login(front_desk)
    # Already alike (a known pair, or kept apart on purpose): only the changed
    # details of name, birth date, phone and email are compared.
    assert _edit(client, twin, preferences="Quiet room").status_code == 302
    assert _edit(client, twin, phone="518 555 0123").status_code == 200


def test_an_edit_after_a_merge_does_not_warn_about_the_merged_record(
    client, manager, existing
):
    from clients.merge import client_merge
    from massageclinic.audit import AuditContext

    bob = ClientFactory(first_name="Bob", last_name="Miller", date_of_birth=BORN)
    client_merge(
        kept=existing,
        duplicate=bob,
        by=manager,
        now=datetime(2026, 3, 1, tzinfo=UTC),
        context=AuditContext(user=manager),
    )
    client.force_login(manager)
    assert _edit(client, existing, phone="518-555-0198").status_code == 302


# --- Merge ---------------------------------------------------------------------------


@pytest.fixture
def pair(existing):
    duplicate = ClientFactory(
        first_name="Bob", last_name="Miller", date_of_birth=BORN, phone="518 555 0100"
    )
    return existing, duplicate


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_the_merge_pages_are_for_the_manager_only(client, pair, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    kept, duplicate = pair
    url = reverse("clients:merge", args=[kept.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"duplicate": duplicate.pk}).status_code == 403
    assert not ClientMerge.objects.exists()


def test_the_merge_page_offers_the_likely_duplicate_and_previews_counts(
    client, manager, pair
):
    kept, duplicate = pair
    AppointmentFactory(client=duplicate)
    client.force_login(manager)
    url = reverse("clients:merge", args=[kept.pk])
    page = client.get(url).content.decode()
    assert f'value="{duplicate.pk}"' in page
    page = client.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert "Visits" in page and "Merge #" in page


def test_a_bad_record_number_is_a_sentence(client, manager, pair):
    kept, _ = pair
    client.force_login(manager)
    url = reverse("clients:merge", args=[kept.pk])
    response = client.get(url, {"number": "abc"})
    assert response.status_code == 400
    assert "Enter the record number" in response.content.decode()
    assert client.get(url, {"number": "99999999"}).status_code == 400
    assert client.get(url, {"number": str(kept.pk)}).status_code == 400


def test_merge_then_undo_from_the_chart(client, manager, pair):
    kept, duplicate = pair
    visit = AppointmentFactory(client=duplicate)
    client.force_login(manager)
    response = client.post(
        reverse("clients:merge", args=[kept.pk]), {"duplicate": duplicate.pk}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.client == kept
    chart = client.get(reverse("clients:detail", args=[kept.pk])).content.decode()
    assert "Undo the merge" in chart
    merged = client.get(reverse("clients:detail", args=[duplicate.pk])).content.decode()
    assert "This record was merged into" in merged
    merge = ClientMerge.objects.get()
    client.post(reverse("clients:merge_undo", args=[merge.pk]))
    visit.refresh_from_db()
    assert visit.client == duplicate


def test_a_conflict_is_shown_and_nothing_moves(client, manager, pair):
    kept, duplicate = pair
    start = datetime(2026, 12, 1, 15, tzinfo=UTC)
    AppointmentFactory(client=kept, starts_at=start)
    theirs = AppointmentFactory(
        client=duplicate,
        starts_at=start + timedelta(minutes=15),
        ends_at=start + timedelta(minutes=75),
    )
    client.force_login(manager)
    url = reverse("clients:merge", args=[kept.pk])
    page = client.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert "cannot be merged yet" in page and "overlaps" in page
    response = client.post(url, {"duplicate": duplicate.pk})
    assert response.status_code == 409
    theirs.refresh_from_db()
    assert theirs.client == duplicate


def test_undo_and_confirm_are_for_the_manager_only(client, front_desk, manager, pair):
    kept, duplicate = pair
    client.force_login(manager)
    client.post(reverse("clients:merge", args=[kept.pk]), {"duplicate": duplicate.pk})
    merge = ClientMerge.objects.get()
    client.force_login(front_desk)
    assert (
        client.post(reverse("clients:merge_undo", args=[merge.pk])).status_code == 403
    )
    assert (
        client.post(reverse("clients:merge_confirm", args=[merge.pk])).status_code
        == 403
    )
    client.force_login(manager)
    client.post(reverse("clients:merge_confirm", args=[merge.pk]))
    merge.refresh_from_db()
    assert merge.status == ClientMerge.Status.CONFIRMED
    chart = client.get(reverse("clients:detail", args=[kept.pk])).content.decode()
    assert "Undo the merge" not in chart


def test_both_records_with_histories_merge_and_the_page_says_so(client, manager, pair):
    from clients.tests.test_merge import _history

    kept, duplicate = pair
    _history(kept, submitted_at=datetime(2025, 5, 1, 14, tzinfo=UTC))
    _history(duplicate, submitted_at=datetime(2026, 2, 1, 14, tzinfo=UTC))
    client.force_login(manager)
    url = reverse("clients:merge", args=[kept.pk])
    page = client.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert "cannot be merged yet" not in page
    assert "one list of 2 versions" in page
    response = client.post(url, {"duplicate": duplicate.pk}, follow=True)
    page = response.content.decode()
    assert "numbered by date" in page and "combined safety flags" in page
    assert [h.version for h in kept.histories.order_by("submitted_at")] == [1, 2]
    assert kept.histories.order_by("-version").first().submitted_at.year == 2026
