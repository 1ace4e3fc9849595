"""Renaming the outbox model keeps its table, its rows and the roles' rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from massageclinic.tests.app_role import as_database_owner
from sessions.models import OutboundMessage

BEFORE = [("clinic_sessions", "0007_sensible_dates")]
AFTER = [("clinic_sessions", "0008_outbound_message")]


def _migrate(targets) -> None:
    # Migrating is the owner's work; the app's role may not alter tables.
    with as_database_owner():
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)


@pytest.fixture
def back_to_the_latest():
    """Later migrations' tables are back for the tests that follow (migrating to
    0008 alone would leave them out)."""
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_roles_keep_their_outbox_rights_across_the_rename(
    reference_data, back_to_the_latest
):
    _migrate(BEFORE)
    try:
        old = set(
            Group.objects.get(name="Front desk")
            .permissions.filter(content_type__model="reminder")
            .values_list("codename", flat=True)
        )
        assert "view_reminder" in old
    finally:
        _migrate(AFTER)
    renamed = set(
        Group.objects.get(name="Front desk")
        .permissions.filter(content_type__model="outboundmessage")
        .values_list("codename", flat=True)
    )
    assert renamed == {c.replace("reminder", "outboundmessage") for c in old}
    assert not Permission.objects.filter(codename__endswith="_reminder").exists()
    assert OutboundMessage._meta.db_table == "clinic_sessions_reminder"


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_roles_get_the_outbox_rights_again(reference_data):
    desk = Group.objects.get(name="Front desk")
    manager = Group.objects.get(name="Clinic manager")
    codenames = set(desk.permissions.values_list("codename", flat=True))
    assert {"view_outboundmessage", "change_outboundmessage"} <= codenames
    assert not manager.permissions.filter(codename="delete_outboundmessage").exists()
