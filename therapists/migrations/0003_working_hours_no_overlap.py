"""No two blocks of a therapist's weekly hours overlap on the same weekday."""

import django.contrib.postgres.constraints
from django.db import migrations

import therapists.models


def hours_do_not_overlap(apps, schema_editor):
    """Say which blocks overlap, instead of a bare constraint error.

    The admin used to accept two blocks of one weekday that overlap (say 09:00-17:00
    at one location and 13:00-18:00 at another); this version refuses them, since a
    therapist is in one place at a time.
    """
    working_hours = apps.get_model("therapists", "WorkingHours")
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    blocks = working_hours.objects.order_by(
        "therapist_id", "weekday", "starts_at"
    ).values_list("pk", "therapist_id", "weekday", "starts_at", "ends_at")
    clashes: list[str] = []
    last = None
    for block in blocks:
        pk, therapist_id, weekday, starts_at, _ends_at = block
        if last is not None and last[1:3] == (therapist_id, weekday):
            if starts_at < last[4]:
                clashes.append(
                    f"therapist {therapist_id} on {days[weekday]}: blocks {last[0]} "
                    f"and {pk}"
                )
                if last[4] > _ends_at:
                    continue  # the longer block keeps reaching over the next ones
        last = block
    if clashes:
        raise RuntimeError(
            f"{len(clashes)} pair(s) of weekly hours overlap ("
            + "; ".join(clashes[:20])
            + "). A therapist works in one place at a time: in the admin (Working "
            "hours) shorten or delete one block of each pair, then run the "
            "migrations again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0008_travel_buffer_bounded"),
        ("therapists", "0002_seed_modalities"),
    ]

    operations = [
        migrations.RunPython(hours_do_not_overlap, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="workinghours",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                expressions=[
                    ("therapist", "="),
                    ("weekday", "="),
                    (therapists.models.WallClockRange("starts_at", "ends_at"), "&&"),
                ],
                name="working_hours_no_overlap",
                violation_error_message=(
                    "These hours overlap other hours of the same therapist that day."
                ),
            ),
        ),
    ]
