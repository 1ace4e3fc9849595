"""The database itself refuses any change to a signed note (DESIGN.md section 5).

A signed SOAP note, its technique minutes, and every addendum are final: UPDATE and
DELETE raise, as does adding a technique to a signed note. Corrections are new addenda.
(TRUNCATE, which only tests use to empty tables, does not fire row triggers.)
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE FUNCTION clinic_signed_note_is_final() RETURNS trigger AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'Signed note % is final; add an addendum instead.', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sessionnote_signed_is_final
    BEFORE UPDATE OR DELETE ON clinic_sessions_sessionnote
    FOR EACH ROW EXECUTE FUNCTION clinic_signed_note_is_final();

CREATE FUNCTION clinic_signed_note_techniques_are_final() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM clinic_sessions_sessionnote AS n
        WHERE n.signed_at IS NOT NULL
          AND n.id IN (
              CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.note_id END,
              CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.note_id END
          )
    ) THEN
        RAISE EXCEPTION 'The techniques of a signed note are final.'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notetechnique_signed_is_final
    BEFORE INSERT OR UPDATE OR DELETE ON clinic_sessions_notetechnique
    FOR EACH ROW EXECUTE FUNCTION clinic_signed_note_techniques_are_final();

CREATE FUNCTION clinic_addendum_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Addenda are append-only; write a new one.'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER noteaddendum_append_only
    BEFORE UPDATE OR DELETE ON clinic_sessions_noteaddendum
    FOR EACH ROW EXECUTE FUNCTION clinic_addendum_is_append_only();
"""

BACKWARD = """
DROP TRIGGER noteaddendum_append_only ON clinic_sessions_noteaddendum;
DROP FUNCTION clinic_addendum_is_append_only();
DROP TRIGGER notetechnique_signed_is_final ON clinic_sessions_notetechnique;
DROP FUNCTION clinic_signed_note_techniques_are_final();
DROP TRIGGER sessionnote_signed_is_final ON clinic_sessions_sessionnote;
DROP FUNCTION clinic_signed_note_is_final();
"""


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0004_reports_ics_sequence_intake_messages")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
