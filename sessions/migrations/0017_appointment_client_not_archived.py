"""A visit is never booked for, or moved to, an archived (or merged) client.

The booking service refuses an archived client, but it reads the client before it
writes: a merge archiving the duplicate at that moment would leave the new visit on
the archived record. The trigger reads the client with FOR KEY SHARE, so it waits for
a merge holding the client row (FOR UPDATE) and then sees it archived; the error
names the constraint, which the booking service turns into a sentence.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION clinic_appointment_client_not_archived() RETURNS trigger AS $$
DECLARE
    archived timestamptz;
BEGIN
    -- Locked by its key alone, then read: a row locked by a merge is waited for
    -- and read as the merge left it (a condition on archived_at in the WHERE
    -- would be judged on the version before the merge, without waiting).
    SELECT archived_at INTO archived FROM clients_client
    WHERE id = NEW.client_id
    FOR KEY SHARE;
    IF archived IS NOT NULL THEN
        RAISE EXCEPTION 'client % is archived', NEW.client_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'appointment_client_not_archived';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER appointment_client_not_archived
    BEFORE INSERT ON clinic_sessions_appointment
    FOR EACH ROW EXECUTE FUNCTION clinic_appointment_client_not_archived();

-- A full save names every column: only a real change of client is checked, so an
-- archived client's own visits can still be cancelled, completed or noted.
CREATE TRIGGER appointment_client_not_archived_on_change
    BEFORE UPDATE OF client_id ON clinic_sessions_appointment
    FOR EACH ROW WHEN (OLD.client_id IS DISTINCT FROM NEW.client_id)
    EXECUTE FUNCTION clinic_appointment_client_not_archived();
"""

REVERSE = """
DROP TRIGGER IF EXISTS appointment_client_not_archived ON clinic_sessions_appointment;
DROP TRIGGER IF EXISTS appointment_client_not_archived_on_change
    ON clinic_sessions_appointment;
DROP FUNCTION IF EXISTS clinic_appointment_client_not_archived();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("clinic_sessions", "0016_waitlist_offers"),
        ("clients", "0011_client_imports"),
    ]

    operations = [migrations.RunSQL(FUNCTION, REVERSE)]
