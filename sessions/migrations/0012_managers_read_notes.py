"""The clinic manager reads SOAP notes, techniques, addenda and progress reports, and
no longer holds the admin's add and change permissions on them (issue 11).

The roles' grant (0002's `grant_roles`, also run by the tests after a flush) decides
every role's permissions; re-running it takes back what it no longer grants.
"""

import importlib

from django.db import migrations


def grant(apps, schema_editor):
    roles = importlib.import_module("sessions.migrations.0002_roles")
    roles._ensure_permissions_exist(apps)
    roles.grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("clinic_sessions", "0011_screenings_are_kept")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
