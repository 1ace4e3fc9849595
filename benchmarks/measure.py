"""Time the everyday pages and services in-process: median, p95, queries, HTML size.

Pages go through Django's test client signed in as the role that uses them
(`force_login` plus the second factor marked as given, as the tests do); services are
called directly, each call inside a transaction rolled back afterwards, so every
repetition books into the same free time. The SQL of one run of each is kept for the
EXPLAIN check (benchmarks.explain).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.build import RESERVED_HOUR, Built
from clients.models import MedicalHistory
from massageclinic.clock import local_datetime
from massageclinic.tests.signing_in import mark_second_factor_given
from sessions.models import Appointment, SessionNote
from sessions.scheduling.booking import appointment_book
from sessions.scheduling.openings import find_openings
from sessions.scheduling.series import ProposedSeries, SeriesRule, series_book
from therapists.models import Modality, Therapist


@dataclass
class Result:
    name: str
    median_ms: float
    p95_ms: float
    queries: int
    html_bytes: int | None = None
    sql: list[str] = field(default_factory=list, repr=False)
    profile: str = field(default="", repr=False)


BASE_DIR = Path(__file__).resolve().parent.parent


def p95(times: list[float]) -> float:
    """The 95th percentile (the worst of fewer than 20 samples)."""
    if len(times) < 20:
        return max(times)
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def profiled(name: str, call: Callable[[], object]) -> str:
    """A cProfile of one more run of `call`, when BENCH_PROFILE names this measure
    (comma-separated names, or "all"): the 25 functions with most cumulative time."""
    wanted = {w.strip() for w in os.environ.get("BENCH_PROFILE", "").split(",")}
    if name not in wanted and "all" not in wanted:
        return ""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue().replace(f"{BASE_DIR}/", "")


def signed_in(username: str) -> Client:
    """A test client signed in with both factors, as a person at the desk would be."""
    client = Client(SERVER_NAME="127.0.0.1")
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    mark_second_factor_given(client, user)
    return client


def _timed(call: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    call()  # warm caches, templates and connections
    times, last = [], None
    for _ in range(repeat):
        start = clock.perf_counter()
        last = call()
        times.append((clock.perf_counter() - start) * 1000)
    return times, last


def measure_page(name: str, client: Client, url: str, repeat: int) -> Result:
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        return response

    times, response = _timed(get, repeat)
    with CaptureQueriesContext(connection) as queries:
        get()
    return Result(
        name,
        statistics.median(times),
        p95(times),
        len(queries),
        len(response.content),  # type: ignore[attr-defined]
        [q["sql"] for q in queries],
        profiled(name, get),
    )


def measure_service(
    name: str,
    call: Callable[[], object],
    repeat: int,
    check: Callable[[object], None] = lambda outcome: None,
) -> Result:
    """Time `call` inside a transaction that is rolled back after each run; `check`
    looks at the outcome of a first, untimed run before its rollback."""

    def once(checked: bool = False):
        with transaction.atomic():
            outcome = call()
            if checked:
                check(outcome)
            transaction.set_rollback(True)
        return outcome

    once(checked=True)
    times, _ = _timed(once, repeat)
    with CaptureQueriesContext(connection) as queries:
        once()
    sql = [q["sql"] for q in queries]
    # The bench's own transaction (BEGIN ... ROLLBACK) and the atomic blocks'
    # savepoints are not the service's statements.
    counted = [
        s
        for s in sql
        if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]
    if name in os.environ.get("BENCH_SQL", "").split(","):
        print(f"--- the statements of {name}:", *counted, sep="\n  ")
    return Result(
        name,
        statistics.median(times),
        p95(times),
        len(counted),
        None,
        sql,
        profiled(name, once),
    )


def _busiest(queryset, field_name: str):
    return (
        queryset.values(field_name)
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list(field_name, flat=True)
        .first()
    )


def pages(built: Built, repeat: int) -> list[Result]:
    busy, day = built.busy, built.measured_day
    swedish = Modality.objects.get(slug="swedish")
    desk = signed_in("frontdesk")
    visit = (
        Appointment.objects.filter(
            location=busy,
            starts_at__gte=local_datetime(day, time(10), busy),
            room__in=built.rooms.values(),
        )
        .order_by("starts_at")
        .first()
    )
    chart_client = _busiest(Appointment.objects.all(), "client")
    note_therapist = _busiest(
        SessionNote.objects.filter(signed_at__isnull=True), "therapist__user__username"
    )
    openings = (
        reverse("sessions:openings")
        + f"?location={busy.pk}&modality={swedish.pk}&duration=60"
    )
    wanted = [
        ("home (today)", desk, reverse("home")),
        ("day view", desk, f"{reverse('sessions:day')}?location={busy.pk}&date={day}"),
        (
            "week view",
            desk,
            f"{reverse('sessions:week')}?therapist={built.reserved[1].pk}&date={day}",
        ),
        ("client search", desk, reverse("clients:list") + "?q=an"),
        ("client chart", desk, reverse("clients:detail", args=[chart_client])),
        ("visit page", desk, reverse("sessions:visit", args=[visit.pk])),  # type: ignore[union-attr]
        ("next openings (HTTP)", desk, openings),
        ("booking form", desk, reverse("sessions:book")),
        ("notes to sign", signed_in(note_therapist), reverse("sessions:notes_to_sign")),
        ("outbox", desk, reverse("sessions:outbox")),
        ("waitlist", desk, reverse("sessions:waitlist")),
    ]
    results = []
    for name, client, url in wanted:
        results.append(measure_page(name, client, url, repeat))
        _say_result(results[-1])
    return results


def _give_intake(client, now: datetime) -> None:
    MedicalHistory.objects.get_or_create(
        client=client,
        version=1,
        defaults={
            "submitted_at": now,
            "chief_complaint": "Low back pain",
            "pain_level": 4,
            "consent_name": client.full_name,
            "consent_signed_at": now,
        },
    )


def services(built: Built, now: datetime, repeat: int) -> list[Result]:
    busy, day = built.busy, built.measured_day
    swedish = Modality.objects.get(slug="swedish")
    desk = get_user_model().objects.get(username="frontdesk")
    at_five = local_datetime(day, time(RESERVED_HOUR), busy)
    single, series_client = built.fresh_clients[0], built.fresh_clients[1]
    # Loaded as the booking and series forms load them (with the therapist's user).
    as_the_form_loads = Therapist.objects.select_related("user")
    booker = as_the_form_loads.get(pk=built.reserved[1].pk)
    series_therapist = as_the_form_loads.get(pk=built.reserved[0].pk)

    def book_for(client):
        def book():
            return appointment_book(
                client=client,
                therapist=booker,
                modality=swedish,
                location=busy,
                starts_at=at_five,
                duration_minutes=60,
                booked_by=desk,
                now=now,
                room=built.rooms[booker.pk],
            )

        return book

    # The everyday booking is for a client who has filled in the intake form; a new
    # client's first booking also writes the intake request (its link and email).
    returning = built.fresh_clients[2]
    _give_intake(returning, now)

    proposed = ProposedSeries(
        client=series_client,
        therapist=series_therapist,
        modality=swedish,
        location=busy,
        rule=SeriesRule(
            weekdays=(day.weekday(),),
            interval_weeks=1,
            starts_on=day,
            local_start_time=time(RESERVED_HOUR),
            count=24,
        ),
        duration_minutes=60,
        room=built.rooms[series_therapist.pk],
    )

    def series():
        return series_book(
            proposed=proposed, choices={}, alternatives={}, created_by=desk, now=now
        )

    def twenty_four(booked) -> None:
        if (visits := booked.appointments.count()) != 24:
            raise SystemExit(f"The series booked {visits} visits, not 24.")

    def openings():
        return find_openings(
            modality=swedish, duration_minutes=60, location=busy, now=now, limit=20
        )

    def twenty(found) -> None:
        if len(found) < 20:
            raise SystemExit(f"find_openings found {len(found)} openings, not 20.")

    results = []
    for name, call, check in (
        ("one booking (service)", book_for(returning), lambda outcome: None),
        ("one booking, new client (service)", book_for(single), lambda outcome: None),
        ("24-visit weekly series (service)", series, twenty_four),
        ("next 20 openings (service)", openings, twenty),
    ):
        results.append(measure_service(name, call, repeat, check))
        _say_result(results[-1])
    return results


def _say_result(result: Result) -> None:
    size = f"{result.html_bytes / 1024:8.1f}" if result.html_bytes else f"{'':>8}"
    print(
        f"  {result.name:<34}{result.median_ms:>9.1f}{result.p95_ms:>9.1f}"
        f"{result.queries:>9}{size}",
        flush=True,
    )


def header() -> None:
    print(
        f"  {'measure':<34}{'median':>9}{'p95 ms':>9}{'queries':>9}{'HTML KB':>8}",
        flush=True,
    )
