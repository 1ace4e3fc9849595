"""The admin's "visits used" is the tally the pages show: visits with a signed note."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.tests.factories import AuthorizationFactory
from sessions.tests.factories import visit_with_note

pytestmark = pytest.mark.django_db


def test_visits_used_counts_signed_notes_like_the_authorization_pages(admin_client):
    auth = AuthorizationFactory()
    client = auth.policy.client
    visit_with_note(client=client, authorization=auth)
    visit_with_note(client=client, authorization=auth)
    visit_with_note(client=client, authorization=auth, signed=False)  # completed only
    page = admin_client.get(reverse("admin:clients_authorization_changelist"))
    assert page.status_code == 200
    used = page.context["cl"].result_list[0].used_visits
    assert used == 2
    assert '<td class="field-visits_used">2</td>' in page.content.decode()
