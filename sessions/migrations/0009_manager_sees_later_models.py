"""The clinic manager's admin rights on the models added after the roles were made
(visit history, waitlist, progress reports): the same as on the rest, no deletes of
clinical records. Re-running the roles' grant is idempotent."""

import importlib

from django.db import migrations


def grant(apps, schema_editor):
    roles = importlib.import_module("sessions.migrations.0002_roles")
    roles._ensure_permissions_exist(apps)
    roles.grant_roles(apps)
    importlib.import_module(
        "sessions.migrations.0008_outbound_message"
    ).grant_outbound_message(apps)
    Group = apps.get_model("auth", "Group")
    manager = Group.objects.filter(name="Clinic manager").first()
    if manager is not None:
        manager.permissions.remove(
            *manager.permissions.filter(
                content_type__app_label="clinic_sessions",
                codename__in=[
                    "delete_progressreport",
                    "delete_appointmentevent",
                    "delete_waitlistentry",
                ],
            )
        )


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0008_outbound_message")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
