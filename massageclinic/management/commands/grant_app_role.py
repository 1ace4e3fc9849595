"""`manage.py grant_app_role <role>`: give the app's database role exactly what the
app needs, and nothing that would let it change the rules (issue 11).

Run it as the owner of the tables, right after every `migrate`:

    manage.py migrate && manage.py grant_app_role clinic_app

The role must exist already (the command creates nothing) and must not be a
superuser, the owner of the tables or a member of the owner: PostgreSQL lets only
those ALTER a table, DISABLE a TRIGGER or SET session_replication_role, the ways round
the triggers that keep signed notes, addenda, screenings and the audit trail final.

It grants CONNECT on the database, USAGE on the schema, SELECT, INSERT, UPDATE and
DELETE on every table and USAGE and SELECT on every sequence; then takes UPDATE,
DELETE and TRUNCATE back on the append-only tables, and leaves django_migrations
read-only. Default privileges give tables that later migrations create the same
rights; running the command again after each migrate also makes a new append-only
table append-only for the role. Running it twice changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Tables whose rows are never changed or deleted once written (each also has a
# trigger refusing UPDATE and DELETE to everyone, the owner included).
APPEND_ONLY = (
    ("clinic", "AuditEvent"),  # massageclinic 0004
    ("clinic_sessions", "NoteAddendum"),  # sessions 0005
    ("clinic_sessions", "VisitScreening"),  # sessions 0011
)
# Only `migrate`, run by the owner, writes the record of applied migrations.
READ_ONLY = ("django_migrations",)

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def append_only_tables() -> list[str]:
    return [apps.get_model(label, name)._meta.db_table for label, name in APPEND_ONLY]


class Command(BaseCommand):
    help = (
        "Grant an existing database role the rights the app needs (no UPDATE or "
        "DELETE on append-only tables, no DDL). Run by the owner after each migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The app's role, e.g. clinic_app.")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database connection to use (default: %(default)s).",
        )

    def handle(self, *args: Any, role: str, database: str, **options: Any) -> None:
        if not _ROLE_NAME.match(role):
            raise CommandError(
                f"{role!r} is not a plain role name: use letters, digits and _."
            )
        connection = connections[database]
        quote = connection.ops.quote_name
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_database(), current_schema(), current_user, "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = %s)",
                [role],
            )
            database_name, schema, runner, superuser = cursor.fetchone()
            if superuser is None:
                raise CommandError(
                    f"There is no database role {role!r}. Create it first, e.g. "
                    f"CREATE ROLE {role} LOGIN PASSWORD '...';"
                )
            if superuser:
                raise CommandError(
                    f"{role!r} is a superuser: grants do not limit it. Use a role "
                    f"without SUPERUSER for the app."
                )
            cursor.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = %s "
                "AND pg_has_role(%s, tableowner, 'USAGE')",
                [schema, role],
            )
            owners = [owner for (owner,) in cursor.fetchall()]
            if owners or role == runner:
                raise CommandError(
                    f"{role!r} owns the tables or is a member of their owner "
                    f"({', '.join(owners) or runner}), so it could alter them and "
                    f"their triggers. Run the app as a separate role."
                )

            name, db, sch = quote(role), quote(database_name), quote(schema)
            cursor.execute(
                "SELECT has_database_privilege(%s, %s, 'CONNECT'), "
                "has_schema_privilege(%s, %s, 'USAGE'), "
                "has_schema_privilege(%s, %s, 'CREATE')",
                [role, database_name, role, schema, role, schema],
            )
            can_connect, can_use_schema, can_create = cursor.fetchone()
            statements = []
            # Only when missing: the owner of the tables need not own the database.
            if not can_connect:
                statements.append(f"GRANT CONNECT ON DATABASE {db} TO {name}")
            if not can_use_schema:
                statements.append(f"GRANT USAGE ON SCHEMA {sch} TO {name}")
            # A table a migration has not created yet (or has taken back) is skipped:
            # run the command again after the next migrate.
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s "
                "AND tablename = ANY(%s)",
                [schema, append_only_tables() + list(READ_ONLY)],
            )
            present = {table for (table,) in cursor.fetchall()}
            statements += [
                f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {sch} "
                f"FROM {name}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} "
                f"TO {name}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {name}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {name}",
            ]
            statements += [
                f"REVOKE UPDATE, DELETE, TRUNCATE ON {sch}.{quote(table)} FROM {name}"
                for table in append_only_tables()
                if table in present
            ]
            statements += [
                f"REVOKE INSERT, UPDATE, DELETE ON {sch}.{quote(table)} FROM {name}"
                for table in READ_ONLY
                if table in present
            ]
            for statement in statements:
                cursor.execute(statement)
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(
                f"{role} may read and write the tables of {database_name}.{schema}; "
                f"{', '.join(append_only_tables())} are append-only for it."
            )
        if can_create:
            self.stderr.write(
                f"Note: {role} may CREATE in schema {schema} (granted to PUBLIC on "
                f"PostgreSQL before 15). It cannot alter the app's tables, but you "
                f"can close it: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;"
            )
