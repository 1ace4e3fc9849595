"""The reference data's version, kept by the database (massageclinic/reference.py).

A statement-level trigger on each table of reference data bumps one row to a new
value from a sequence before the statement writes, inside the writer's transaction.
So every path that changes these tables (the ORM, bulk updates, the admin, imports,
raw SQL, a flush) is seen, the new version commits or rolls back with the rows, and
a version is never handed out twice.
"""

from django.conf import settings
from django.db import migrations

# The tables the kept parts are read from (massageclinic/reference.py; a test checks
# every part's SQL against this list). auth_user only for what a part reads of it (a
# therapist's name): a new user is in no part until a therapist row names it, and a
# sign-in's last_login or a manager's switching an account off is no change.
TABLES = [
    "clinic_location",
    "clinic_room",
    "therapists_therapist",
    "therapists_workinghours",
    "therapists_training",
    "therapists_modality",
    "clients_condition",
    "clients_contraindicationrule",
]
USER_TABLE = "auth_user"
USER_COLUMNS = "first_name, last_name, username"

BUMP = "EXECUTE FUNCTION clinic_reference_changed()"
TRIGGERS = [
    *(
        f"CREATE TRIGGER clinic_reference_changed BEFORE INSERT OR UPDATE OR DELETE "
        f"OR TRUNCATE ON {table} FOR EACH STATEMENT {BUMP};"
        for table in TABLES
    ),
    f"CREATE TRIGGER clinic_reference_changed BEFORE UPDATE OF {USER_COLUMNS} "
    f"OR DELETE OR TRUNCATE ON {USER_TABLE} FOR EACH STATEMENT {BUMP};",
]

CREATE = [
    "CREATE SEQUENCE clinic_reference_version_seq;",
    """CREATE TABLE clinic_reference_version (
        id smallint PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
    );""",
    """INSERT INTO clinic_reference_version
        VALUES (1, nextval('clinic_reference_version_seq'));""",
    """CREATE FUNCTION clinic_reference_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO clinic_reference_version (id, version)
        VALUES (1, nextval('clinic_reference_version_seq'))
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
        RETURN NULL;
    END
    $$;""",
    *TRIGGERS,
]

DROP = [
    *(
        f"DROP TRIGGER clinic_reference_changed ON {table};"
        for table in [*TABLES, USER_TABLE]
    ),
    "DROP FUNCTION clinic_reference_changed();",
    "DROP TABLE clinic_reference_version;",
    "DROP SEQUENCE clinic_reference_version_seq;",
]


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0009_check_in_opens"),
        ("therapists", "0003_working_hours_no_overlap"),
        ("clients", "0011_client_imports"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
