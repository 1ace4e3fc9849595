"""The admin is no back door for merging: it has no merge pages, and it registers
no client (so it never skips the duplicate warning); merging is the chart's, for a
manager, through clients.merge."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from clients.models import Client, ClientMerge

pytestmark = pytest.mark.django_db


def test_the_admin_has_no_merge_pages_and_adds_no_client(admin_client):
    assert ClientMerge not in admin.site._registry
    with pytest.raises(NoReverseMatch):
        reverse("admin:clients_clientmerge_changelist")
    add = reverse("admin:clients_client_add")
    assert admin_client.get(add).status_code == 403
    forged = {"first_name": "Grace", "last_name": "Okafor", "email": "g@example.org"}
    assert admin_client.post(add, forged).status_code == 403
    assert not Client.objects.exists()
