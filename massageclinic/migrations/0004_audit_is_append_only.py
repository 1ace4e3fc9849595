"""The audit trail is append-only (issue 11): the database refuses to change or
delete an audit row, whoever asks. The app's role also holds no UPDATE, DELETE or
TRUNCATE on the table (`manage.py grant_app_role`), so only the owner, resetting a
test database, can empty it: TRUNCATE does not fire row triggers.
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE FUNCTION clinic_audit_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Audit event % is kept as recorded; the audit trail is append-only.',
        OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER auditevent_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_is_append_only();
"""

BACKWARD = """
DROP TRIGGER auditevent_append_only ON clinic_auditevent;
DROP FUNCTION clinic_audit_is_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("clinic", "0003_security_audit_actions_and_policy")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
