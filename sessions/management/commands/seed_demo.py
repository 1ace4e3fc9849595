"""`manage.py seed_demo`: a realistic demo clinic to try the app with.

A thin wrapper: the seeder lives in `sessions.demo`. Running it again creates nothing
new: places, people and payers are found by their natural keys, and clinical records
(intakes, referrals, plans, visits, notes) are only written for clients this run
created. `--if-empty` skips everything when any client exists (what `make run` uses).
"""

from __future__ import annotations

import time as clock
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from clients.models import Client
from sessions.demo.seeder import DemoSeeder, model_counts


class Command(BaseCommand):
    help = "Fill the database with a realistic demo clinic. Safe to run more than once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any client exists (used by `make run`).",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and Client.objects.exists():
            self.stdout.write("Clients already exist: demo data not loaded.")
            return
        verbose = options.get("verbosity", 1) >= 1
        before = model_counts()
        started = clock.monotonic()
        with transaction.atomic():
            DemoSeeder(now=timezone.now(), say=self._say if verbose else _quiet).run()
        after = model_counts()
        elapsed = clock.monotonic() - started
        added = sum(after[name] - before[name] for name in after)
        summary = ", ".join(
            f"{name} {count}"
            + (f" (+{count - before[name]})" if count != before[name] else "")
            for name, count in after.items()
        )
        self.stdout.write(f"Demo data: {summary}.")
        verdict = f"{added} rows created" if added else "nothing new: already seeded"
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s, {verdict}."))

    def _say(self, message: str) -> None:
        self.stdout.write(f"  {message}")


def _quiet(message: str) -> None:
    return None
