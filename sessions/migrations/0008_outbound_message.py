"""The outbox model's Python name says what it holds: OutboundMessage (was Reminder).

Only the name changes: the table, its rows and its constraints stay as they are. The
content type and the permissions follow the new name, so the roles keep their rights.
"""

from django.db import migrations

OLD, NEW = "reminder", "outboundmessage"


def _rename_permissions(apps, schema_editor, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    stale = ContentType.objects.filter(app_label="clinic_sessions", model=new)
    current = ContentType.objects.filter(app_label="clinic_sessions", model=old).first()
    if current is None:
        return  # a fresh database: post_migrate creates them under the new name
    # A content type made for the new name before this ran would collide: merge.
    for extra in stale:
        Permission.objects.filter(content_type=extra).delete()
        extra.delete()
    current.model = new
    current.save(update_fields=["model"])
    for permission in Permission.objects.filter(content_type=current):
        action = permission.codename.split("_", 1)[0]
        permission.codename = f"{action}_{new}"
        permission.save(update_fields=["codename"])


def grant_outbound_message(apps) -> None:
    """The roles' rights on the outbox under its new name (also used by tests after a
    flush, where the permissions are made afresh under the new name): the front desk
    views and retries, therapists view, the manager does all but delete."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {
        p.codename.split("_", 1)[0]: p
        for p in Permission.objects.filter(
            content_type__app_label="clinic_sessions", content_type__model=NEW
        )
    }
    rights = {
        "Front desk": ("view", "change"),
        "Therapist": ("view",),
        "Clinic manager": ("view", "add", "change"),
    }
    for name, actions in rights.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(*(perms[a] for a in actions if a in perms))
        if "delete" in perms:
            group.permissions.remove(perms["delete"])


def forwards(apps, schema_editor):
    _rename_permissions(apps, schema_editor, OLD, NEW)
    grant_outbound_message(apps)


def backwards(apps, schema_editor):
    _rename_permissions(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic_sessions", "0007_sensible_dates"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel(old_name="Reminder", new_name="OutboundMessage"),
                migrations.AlterModelTable(
                    name="outboundmessage", table="clinic_sessions_reminder"
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
