"""The clinic manager reads the schedule of the clinic's tasks and changes none of it
(issue 11): re-run the roles' grant, which takes back what it no longer grants."""

import importlib

from django.db import migrations


def grant(apps, schema_editor):
    roles = importlib.import_module("sessions.migrations.0002_roles")
    roles._ensure_permissions_exist(apps)
    roles.grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0012_managers_read_notes")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
