"""Client messages: one live row per visit or series and kind; the every-minute sweep.

The unique constraints on (appointment, kind) and (series, kind) now cover only live
rows (pending, sending, failed): a change re-times the live row, and a sent row stays
as history, so a visit moved twice over its life can get two reschedule notices.

The data migration creates the one django-celery-beat job that runs every minute and
hands due message rows to the workers (DESIGN.md section 3: no long ETA or countdown).
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

LIVE = ["pending", "sending", "failed"]
TASK_NAME = "Send due client messages"
TASK = "sessions.tasks.dispatch_messages"


def create_sweep(apps, schema_editor) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "enabled": True,
            # A tick nobody ran within two minutes is dropped: the next one finds
            # the same rows in the table, so nothing is lost and nothing piles up.
            "expire_seconds": 120,
            "description": "Hands due confirmations, reminders and notices to the "
            "workers. The message table, not the broker, says what must be sent.",
        },
    )


def remove_sweep(apps, schema_editor) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0003_chart_intake_links_flag_edits"),
        ("clinic_sessions", "0005_signed_notes_are_final"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="reminder",
            name="reminder_once_per_appointment_and_kind",
        ),
        migrations.RemoveConstraint(
            model_name="reminder",
            name="reminder_once_per_series_and_kind",
        ),
        migrations.AddField(
            model_name="reminder",
            name="authorization",
            field=models.ForeignKey(
                blank=True,
                help_text="The authorization an internal notice is about.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="messages",
                to="clients.authorization",
            ),
        ),
        migrations.AddField(
            model_name="reminder",
            name="intake_invitation",
            field=models.ForeignKey(
                blank=True,
                help_text="The intake link an intake-form request carries.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="messages",
                to="clients.intakeinvitation",
            ),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("appointment__isnull", False), ("status__in", LIVE)
                ),
                fields=("appointment", "kind"),
                name="reminder_once_per_appointment_and_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("series__isnull", False), ("status__in", LIVE)),
                fields=("series", "kind"),
                name="reminder_once_per_series_and_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("authorization__isnull", False)),
                fields=("authorization", "kind"),
                name="reminder_once_per_authorization_and_kind",
            ),
        ),
        migrations.RunPython(create_sweep, remove_sweep),
    ]
