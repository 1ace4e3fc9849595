"""The tests run the app as a least-privileged database role (issue 11).

pytest-django creates and migrates the test database as the configured user, the
owner of the tables (`postgres` in CI and here, the embedded server's superuser under
`make test`). `app_role_for_tests` then creates the NOLOGIN role APP_ROLE when it is
missing, gives it what `manage.py grant_app_role` gives the app in production, and
makes every later connection start as that role (`options=-c role=...`): this
process's, the live server's thread's and any Django subprocess's (a Celery worker
inherits DATABASE_ROLE, which the settings read). The app under test thus holds only
the app role's rights.

This is the harness's way in: logged in as the owner, the connection could still
RESET ROLE. Production does not SET ROLE; it logs in as the app role itself (README,
"Database roles in production").

Two things stay with the owner, because they are the harness's work and not the app's:
emptying every table after a transactional test (Django's flush TRUNCATEs them all,
the audit table included) and a test's own DDL (`as_database_owner`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.operations import DatabaseOperations

APP_ROLE = "clinic_app_test"

_CREATE_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another test run on this server created it just now
END
$$;
"""


@contextmanager
def app_role_for_tests(django_db_blocker: Any) -> Iterator[None]:
    """From here on every connection runs as APP_ROLE; undone at the end."""
    with django_db_blocker.unblock():
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(_CREATE_ROLE)
            # A superuser may SET ROLE to anyone; an owner with CREATEROLE only to a
            # role it is a member of.
            cursor.execute(f"SELECT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER')")
            if not cursor.fetchone()[0]:
                cursor.execute(f"GRANT {APP_ROLE} TO current_user")
        call_command("grant_app_role", APP_ROLE, verbosity=0)
        connections.close_all()
    # This process's connections, the live server's thread's included; and, through
    # the environment, those of any Django subprocess (a Celery worker).
    options = connections[DEFAULT_DB_ALIAS].settings_dict.setdefault("OPTIONS", {})
    settled = options.get("options")
    options["options"] = f"{settled or ''} -c role={APP_ROLE}".strip()
    before = os.environ.get("DATABASE_ROLE")
    os.environ["DATABASE_ROLE"] = APP_ROLE
    flush = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = _as_owner(flush)  # type: ignore[method-assign]
    try:
        yield
    finally:
        DatabaseOperations.execute_sql_flush = flush  # type: ignore[method-assign]
        if settled is None:
            options.pop("options", None)
        else:
            options["options"] = settled
        if before is None:
            os.environ.pop("DATABASE_ROLE", None)
        else:
            os.environ["DATABASE_ROLE"] = before
        # pytest-django drops the test database next, which only the owner may do.
        connections.close_all()


def _as_owner(flush: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(flush)
    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        with _owner(self.connection):
            flush(self, sql_list)

    return execute_sql_flush


@contextmanager
def as_database_owner(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block as the owner of the tables: for a test's own DDL (migrating
    backwards and forwards), never for what the app does.

    Afterwards the app role gets its rights again on any table the block created.
    """
    with _owner(connections[using]):
        try:
            yield
        finally:
            call_command("grant_app_role", APP_ROLE, database=using, verbosity=0)


@contextmanager
def _owner(connection: Any) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE NONE")  # the user the connection logged in as
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")  # back to the role the connection began as


def forget_audit_rows(using: str = DEFAULT_DB_ALIAS) -> None:
    """Empty the audit table inside the current test's transaction, as the owner, so
    that a test sees only the rows its next step writes.

    The app can never do this: the app role holds no DELETE or TRUNCATE on the
    table, and its trigger refuses DELETE to everyone. TRUNCATE does not fire row
    triggers; it is rolled back with the test. Pending deferred foreign-key checks on
    the table would block it, so they are run first.
    """
    connection = connections[using]
    with _owner(connection), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE clinic_auditevent")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
