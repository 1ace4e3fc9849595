"""The admin is no back door for merging: merges are listed and viewed there, never
written; and it registers no client, so it never skips the duplicate warning."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.merge import client_merge
from clients.models import Client, ClientMerge
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["manager", "admin_user"])
def staff(request, client):
    client.force_login(request.getfixturevalue(request.param))
    return client


def test_a_merge_cannot_be_added_changed_or_undone_in_the_admin(staff, manager):
    kept, duplicate = ClientFactory(), ClientFactory()
    merge = client_merge(
        kept=kept,
        duplicate=duplicate,
        by=manager,
        now=timezone.now(),
        context=AuditContext(user=manager),
    )
    add = reverse("admin:clients_clientmerge_add")
    change = reverse("admin:clients_clientmerge_change", args=[merge.pk])
    assert staff.get(add).status_code == 403
    forged = {"kept": kept.pk, "duplicate": duplicate.pk, "status": "undone"}
    assert staff.post(add, forged).status_code == 403
    staff.post(change, forged)
    merge.refresh_from_db()
    assert merge.status == ClientMerge.Status.PENDING
    assert staff.get(reverse("admin:clients_clientmerge_changelist")).status_code == 200
    assert staff.get(change).status_code == 200  # viewed, read-only


def test_the_admin_adds_no_client(staff):
    add = reverse("admin:clients_client_add")
    assert staff.get(add).status_code == 403
    forged = {"first_name": "Grace", "last_name": "Okafor", "email": "g@example.org"}
    assert staff.post(add, forged).status_code == 403
    assert not Client.objects.filter(first_name="Grace").exists()
