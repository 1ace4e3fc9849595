"""Create the staff groups with the model permissions of DESIGN.md section 6.

Pages check roles themselves (per object, too); these permissions govern the admin
and are the coarse outer fence. Clinical records get no delete permission at all.
"""

from __future__ import annotations

from django.db import migrations

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
RW = (VIEW, ADD, CHANGE)

FRONT_DESK = {
    "clinic": {"location": (VIEW,), "room": (VIEW,), "clinicpolicy": (VIEW,)},
    "therapists": {m: (VIEW,) for m in ("therapist", "modality", "training", "workinghours", "timeoff")},
    "clients": {
        "client": RW, "contraindication": (VIEW,), "condition": (VIEW,),
        "referringprovider": RW, "referral": RW, "payer": (VIEW,),
        "insurancepolicy": RW, "authorization": RW,
    },
    "clinic_sessions": {
        "appointment": RW, "appointmentseries": RW, "treatmentplan": (VIEW,),
        "reminder": (VIEW, CHANGE),
    },
}

THERAPIST = {
    "clinic": {"location": (VIEW,), "room": (VIEW,), "clinicpolicy": (VIEW,)},
    "therapists": {m: (VIEW,) for m in ("therapist", "modality", "training", "workinghours", "timeoff")},
    "clients": {
        "client": (VIEW,), "medicalhistory": (VIEW, ADD), "contraindication": RW,
        "condition": (VIEW,), "contraindicationrule": (VIEW,), "referringprovider": (VIEW,),
        "referral": (VIEW,), "payer": (VIEW,), "insurancepolicy": (VIEW,), "authorization": (VIEW,),
    },
    "clinic_sessions": {
        "appointment": (VIEW, CHANGE), "appointmentseries": (VIEW,), "treatmentplan": RW,
        "goal": RW, "sessionnote": RW, "notetechnique": (*RW, DELETE), "noteaddendum": (VIEW, ADD),
        "reminder": (VIEW,),
    },
}

# Clinical records are never hard-deleted, not even by a manager.
CLINICAL = {
    ("clients", "client"), ("clients", "medicalhistory"), ("clients", "contraindication"),
    ("clients", "referral"), ("clients", "authorization"), ("clients", "insurancepolicy"),
    ("clinic_sessions", "treatmentplan"), ("clinic_sessions", "goal"),
    ("clinic_sessions", "appointment"), ("clinic_sessions", "appointmentseries"),
    ("clinic_sessions", "sessionnote"), ("clinic_sessions", "notetechnique"),
    ("clinic_sessions", "noteaddendum"), ("clinic_sessions", "reminder"),
}
MANAGER_APPS = ("clinic", "therapists", "clients", "clinic_sessions", "django_celery_beat")
# The clinic manager reads SOAP notes, their techniques and addenda, and progress
# reports; therapists write them (DESIGN.md section 6, issue 11).
MANAGER_READS_ONLY = {
    ("clinic_sessions", "sessionnote"), ("clinic_sessions", "notetechnique"),
    ("clinic_sessions", "noteaddendum"), ("clinic_sessions", "progressreport"),
}


# The schedule of the clinic's own tasks (reminders, sweeps) is set by the code; the
# manager reads it in the admin and changes none of it (issue 11).
MANAGER_READS_ONLY_APPS = {"django_celery_beat"}


def _manager_may(key: tuple[str, str], codename: str) -> bool:
    """Whether the clinic manager's group holds this model permission."""
    if key[0] in MANAGER_READS_ONLY_APPS and not codename.startswith("view_"):
        return False
    if codename.startswith("delete_") and key in CLINICAL:
        return False
    return not (key in MANAGER_READS_ONLY and not codename.startswith("view_"))


def _ensure_permissions_exist(apps) -> None:
    # Permissions are normally created after all migrations (post_migrate); a fresh
    # database needs them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def _grant(Permission, group, matrix) -> None:
    for app_label, models in matrix.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            perms = Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
            group.permissions.add(*perms)


def create_roles(apps, schema_editor):
    _ensure_permissions_exist(apps)
    grant_roles(apps)


def grant_roles(apps) -> None:
    """Create or complete the three groups (also used by tests after a flush)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    front_desk, _ = Group.objects.get_or_create(name="Front desk")
    _grant(Permission, front_desk, FRONT_DESK)
    therapist, _ = Group.objects.get_or_create(name="Therapist")
    _grant(Permission, therapist, THERAPIST)

    manager, _ = Group.objects.get_or_create(name="Clinic manager")
    refused = []
    for perm in Permission.objects.filter(content_type__app_label__in=MANAGER_APPS).select_related(
        "content_type"
    ):
        key = (perm.content_type.app_label, perm.content_type.model)
        if _manager_may(key, perm.codename):
            manager.permissions.add(perm)
        else:
            refused.append(perm)
    # Re-run on a database that granted them before: taken back.
    manager.permissions.remove(*refused)
    manager.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth",
            codename__in=["view_user", "add_user", "change_user", "view_group"],
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic_sessions", "0001_initial"),
        ("clients", "0002_seed_contraindication_rules"),
        ("therapists", "0002_seed_modalities"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
