"""The message sweep runs every 5 seconds instead of every minute.

A reminder falling due waited up to a minute for the next sweep; now it waits up to
5 seconds. The sweep is one indexed read of due rows (and of lapsed leases), so
running it twelve times as often costs little. A tick nobody ran within 10 seconds
is dropped: the next one finds the same rows in the table.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

TASK_NAME = "Send due client messages"


def _set_interval(apps, *, every: int, period: str, expire_seconds: int) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=every, period=period)
    task_model.objects.filter(name=TASK_NAME).update(
        interval=interval, expire_seconds=expire_seconds
    )
    # django-celery-beat reloads its schedule when this row says it changed.
    changed = apps.get_model("django_celery_beat", "PeriodicTasks")
    changed.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def every_five_seconds(apps, schema_editor) -> None:
    _set_interval(apps, every=5, period="seconds", expire_seconds=10)


def every_minute(apps, schema_editor) -> None:
    _set_interval(apps, every=1, period="minutes", expire_seconds=120)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic_sessions", "0014_visit_ranges_bounded"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(every_five_seconds, every_minute)]
