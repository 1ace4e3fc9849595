"""Every day-of-visit screening is kept (issue 10, point 4): the database refuses to
change or delete one; a new answer is a new screening, and the latest counts.
(TRUNCATE, which only tests use to empty tables, does not fire row triggers.)
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE FUNCTION clinic_screening_is_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Screening % is kept as answered; record a new one instead.', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER visitscreening_is_kept
    BEFORE UPDATE OR DELETE ON clinic_sessions_visitscreening
    FOR EACH ROW EXECUTE FUNCTION clinic_screening_is_kept();
"""

BACKWARD = """
DROP TRIGGER visitscreening_is_kept ON clinic_sessions_visitscreening;
DROP FUNCTION clinic_screening_is_kept();
"""


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0010_visit_screening")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
