"""The app's own database connection cannot get round the rules (issue 11).

Every test here runs as the app role the harness puts every connection under
(massageclinic/tests/app_role.py), the rights `manage.py grant_app_role` gives the app
in production: it may read and write rows, but not alter a table or its triggers,
not switch triggers off for the session, and not change or remove an audit row.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, ProgrammingError, connection, transaction

from massageclinic.management.commands.grant_app_role import append_only_tables
from massageclinic.models import AuditEvent
from massageclinic.tests.app_role import APP_ROLE
from sessions.models import NoteAddendum, NoteTechnique, SessionNote
from sessions.tests.factories import AppointmentFactory
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

SIGNED = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def signed_note():
    visit = AppointmentFactory(status="completed")
    note = SessionNote.objects.create(
        appointment=visit, therapist=visit.therapist, findings="Tight upper trapezius"
    )
    NoteTechnique.objects.create(note=note, modality=modality("swedish"), minutes=30)
    note.signed_at = SIGNED
    note.signed_by = visit.therapist.user
    note.content_sha256 = "a" * 64
    note.save()
    return note


@pytest.fixture
def audit_row():
    return AuditEvent.objects.create(
        action=AuditEvent.Action.VIEW, object_type="clients.Client", summary="Read"
    )


def _execute(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _refused(sql: str, params: list | None = None, *, error=ProgrammingError, match):
    with pytest.raises(error, match=match):
        _execute(sql, params)


def test_the_app_connects_as_the_app_role_which_is_no_superuser():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolbypassrls "
            "FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (APP_ROLE, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
            "AND pg_has_role(current_user, tableowner, 'USAGE')"
        )
        assert cursor.fetchone() == (0,)  # it owns no table, nor is it their owner


def test_it_cannot_disable_the_trigger_that_freezes_signed_notes(signed_note):
    for statement in (
        "ALTER TABLE clinic_sessions_sessionnote "
        "DISABLE TRIGGER sessionnote_signed_is_final",
        "ALTER TABLE clinic_sessions_sessionnote DISABLE TRIGGER ALL",
        "DROP TRIGGER sessionnote_signed_is_final ON clinic_sessions_sessionnote",
        "ALTER TABLE clinic_auditevent DISABLE TRIGGER auditevent_append_only",
    ):
        _refused(statement, match="must be owner")


def test_it_cannot_switch_triggers_off_for_its_session():
    _refused("SET session_replication_role = replica", match="permission denied")
    _refused(
        "SELECT set_config('session_replication_role', 'replica', false)",
        match="permission denied",
    )


def test_it_cannot_create_a_table_or_replace_a_trigger_function():
    _refused("CREATE TABLE clinic_sneaky (id int)", match="permission denied")
    _refused(
        "CREATE OR REPLACE FUNCTION clinic_signed_note_is_final() RETURNS trigger "
        "AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
        match="permission denied|must be owner",
    )


def test_a_signed_note_stays_as_signed(signed_note):
    _refused(
        "UPDATE clinic_sessions_sessionnote SET findings = %s WHERE id = %s",
        ["rewritten", signed_note.pk],
        error=IntegrityError,
        match="is final",
    )
    signed_note.refresh_from_db()
    assert signed_note.findings == "Tight upper trapezius"


def test_it_writes_audit_rows(audit_row):
    _execute(
        "INSERT INTO clinic_auditevent (at, action, object_type, summary, path) "
        "VALUES (now(), 'view', 'clients.Client', 'Raw read', '')"
    )
    assert AuditEvent.objects.filter(summary__in=["Read", "Raw read"]).count() == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE clinic_auditevent SET summary = 'nothing happened' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
        "TRUNCATE clinic_auditevent",
    ],
)
def test_it_cannot_change_or_remove_an_audit_row(audit_row, statement):
    params = [audit_row.pk] if "%s" in statement else None
    _refused(statement, params, match="permission denied for table clinic_auditevent")
    audit_row.refresh_from_db()
    assert audit_row.summary == "Read"


def test_even_the_owner_cannot_change_or_delete_an_audit_row(audit_row, database_owner):
    with database_owner():
        for statement in (
            "UPDATE clinic_auditevent SET summary = 'nothing happened' WHERE id = %s",
            "DELETE FROM clinic_auditevent WHERE id = %s",
        ):
            _refused(
                statement, [audit_row.pk], error=IntegrityError, match="append-only"
            )
    audit_row.refresh_from_db()
    assert audit_row.summary == "Read"


def test_even_the_owner_cannot_change_an_addendum(signed_note, database_owner):
    addendum = NoteAddendum.objects.create(
        note=signed_note, author=signed_note.signed_by, reason="Typo", text="Left."
    )
    sql = "UPDATE clinic_sessions_noteaddendum SET text = 'Right.' WHERE id = %s"
    _refused(sql, [addendum.pk], match="permission denied")
    with database_owner():
        _refused(sql, [addendum.pk], error=IntegrityError, match="append-only")


@pytest.mark.parametrize("table", append_only_tables())
def test_append_only_tables_take_new_rows_only(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.table_privileges "
            "WHERE grantee = current_user AND table_name = %s",
            [table],
        )
        assert {row[0] for row in cursor.fetchall()} == {"SELECT", "INSERT"}


def test_tables_created_by_later_migrations_are_granted_too(database_owner):
    with database_owner():
        _execute("CREATE TABLE clinic_later (id serial PRIMARY KEY, note text)")
    _execute("INSERT INTO clinic_later (note) VALUES ('written by the app')")
    _refused("ALTER TABLE clinic_later ADD COLUMN x int", match="must be owner")


def _test_database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    socket_dir = db["OPTIONS"].get("host")
    if not db["HOST"] and socket_dir:  # the embedded server listens on a socket only
        return f"postgres://{user}{password}@/{db['NAME']}?host={quote(socket_dir)}"
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def test_a_django_subprocess_such_as_a_celery_worker_runs_as_the_app_role():
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SELECT current_user')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        # What the Celery worker of the delivery tests gets: the owner's URL, and
        # the role the harness exported.
        env={
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_SETTINGS_MODULE": "massageclinic.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == APP_ROLE


def test_granting_again_changes_nothing(database_owner):
    def rights():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, privilege_type "
                "FROM information_schema.table_privileges WHERE grantee = %s",
                [APP_ROLE],
            )
            return set(cursor.fetchall())

    before = rights()
    with database_owner():
        call_command("grant_app_role", APP_ROLE, verbosity=0)
    assert rights() == before


def test_it_refuses_a_missing_role_or_a_superuser(database_owner):
    with database_owner():
        with pytest.raises(CommandError, match="There is no database role"):
            call_command("grant_app_role", "clinic_no_such_role", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (owner,) = cursor.fetchone()
        with pytest.raises(CommandError, match="superuser|owns the tables"):
            call_command("grant_app_role", owner, verbosity=0)
        with pytest.raises(CommandError, match="not a plain role name"):
            call_command("grant_app_role", 'x"; DROP TABLE y; --', verbosity=0)


def test_a_malformed_database_role_stops_start_up_naming_the_variable():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_ROLE": "app; DROP TABLE x",
            "DJANGO_SECRET_KEY": "test-key",
            "DJANGO_SETTINGS_MODULE": "massageclinic.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_ROLE='app; DROP TABLE x' is not a plain role name" in result.stderr
