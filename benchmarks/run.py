"""Time the pages the front desk and therapists use all day, on the demo clinic.

    make bench            # or: python -m massageclinic.devstack bench

Runs against its own database (the configured one with `_bench` appended), migrated
and filled with `seed_demo`, and prints the median and worst time and the query count
of each page over a number of requests. Compare runs on the same machine only.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massageclinic.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from massageclinic.models import Location  # noqa: E402
from sessions.models import TreatmentPlan  # noqa: E402
from therapists.models import Modality, Therapist  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))


def _client(username: str) -> Client:
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm caches and connections
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), max(times), len(queries)


def _pages() -> list[tuple[str, str, str]]:
    location = Location.objects.order_by("pk").first()
    today = timezone.now().astimezone(location.zone).date()
    therapist = Therapist.objects.order_by("pk").first()
    swedish = Modality.objects.get(slug="swedish")
    plan = TreatmentPlan.objects.filter(status="active").order_by("pk").first()
    series = (
        reverse("sessions:series_new") + f"?plan={plan.pk}"
        if plan
        else reverse("sessions:series_new")
    )
    return [
        ("frontdesk", "home (today)", reverse("home")),
        (
            "frontdesk",
            "day view",
            f"{reverse('sessions:day')}?location={location.pk}&date={today}",
        ),
        (
            "frontdesk",
            "week view",
            f"{reverse('sessions:week')}?therapist={therapist.pk}&date={today}",
        ),
        ("frontdesk", "client list", reverse("clients:list")),
        ("frontdesk", "client search", reverse("clients:list") + "?q=an"),
        ("frontdesk", "booking form", reverse("sessions:book")),
        (
            "frontdesk",
            "next openings",
            reverse("sessions:openings")
            + f"?location={location.pk}&modality={swedish.pk}&duration=60",
        ),
        ("frontdesk", "series from a plan", series),
        ("frontdesk", "authorizations", reverse("clients:authorizations")),
        ("frontdesk", "outbox", reverse("sessions:outbox")),
        ("therapist", "notes to sign", reverse("sessions:notes_to_sign")),
        ("manager", "admin appointments", "/admin/clinic_sessions/appointment/"),
    ]


def main() -> None:
    print(f"{REQUESTS} requests per page after one warm-up; demo clinic data.\n")
    print(f"{'page':<22}{'median ms':>10}{'worst ms':>10}{'queries':>9}")
    clients: dict[str, Client] = {}
    for username, name, url in _pages():
        client = clients.setdefault(username, _client(username))
        median, worst, queries = _measure(client, url)
        print(f"{name:<22}{median:>10.1f}{worst:>10.1f}{queries:>9}")


if __name__ == "__main__":
    main()
