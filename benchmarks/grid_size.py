"""Time the day and week grids at a busy practice's size (not part of `make test`).

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \
    REDIS_URL=redis://127.0.0.1:6379/<n> .venv/bin/python -m pytest \
    benchmarks/grid_size.py -q -s -p no:cacheprovider --create-db

Builds a location with N therapists working 08:00-18:00 and V visits on one day
(bulk; the first therapist's week is as full every day), then times `client.get` of
the day view and of that therapist's week view GRID_REQUESTS times (30 by default)
and prints the median and p95 of the wall time and of this process's CPU time (the
machine may be busy with other work), the queries and the HTML size. pytest-django
turns DEBUG off, so templates render without their debug machinery.

    GRID_SIZES=30x150,60x1200   which sizes (therapists x visits)
    GRID_GC_FREEZE=1            gc.freeze() first, as a preloaded server would; the
                                test process's big heap otherwise makes the cyclic
                                collector's full passes land in some requests
    GRID_PARTS=1                time day_grid() and _grid.html apart from the request
    GRID_PROFILE=1              and print a cProfile of each (30 therapists and up)
    GRID_QUERIES=1              print the day view's queries with their time
    GRID_DUMP=/tmp/grid         write the pages to /tmp/grid_calendar_ and ..._week_
"""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import statistics
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.template import engines
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment
from sessions.scheduling.calendar import day_grid
from therapists.models import WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
DAY = date(2026, 12, 1)  # Tuesday: every slot is in the future, so every cell is free
REQUESTS = int(os.environ.get("GRID_REQUESTS", "30"))
SIZES = [(3, 5), (30, 150), (25, 250), (60, 1200)]
if os.environ.get("GRID_SIZES"):
    SIZES = [
        (int(size.split("x")[0]), int(size.split("x")[1]))
        for size in os.environ["GRID_SIZES"].split(",")
    ]

pytestmark = pytest.mark.django_db


def _build(therapists: int, visits: int):
    location = LocationFactory(opens_at=time(8), closes_at=time(18))
    swedish = modality("swedish")
    booker = UserFactory()
    clients = Client.objects.bulk_create(
        Client(first_name=f"Client{i}", last_name="Bench") for i in range(visits)
    )
    per = -(-visits // therapists)
    step = timedelta(minutes=600 // per // 15 * 15)
    length = min(step, timedelta(minutes=60))
    rows, staff = [], []
    for t in range(therapists):
        therapist = TherapistFactory()
        staff.append(therapist)
        for weekday in range(7):
            WorkingHours.objects.create(
                therapist=therapist,
                location=location,
                weekday=weekday,
                starts_at=time(8),
                ends_at=time(18),
            )
        room = RoomFactory(location=location)
        for n in range(per):
            index = t * per + n
            if index >= visits:
                break
            starts = datetime(2026, 12, 1, 13, tzinfo=UTC) + step * n
            rows.append(
                Appointment(
                    client=clients[index],
                    therapist=therapist,
                    modality=swedish,
                    location=location,
                    room=room,
                    starts_at=starts,
                    ends_at=starts + length,
                    therapist_busy_from=starts,
                    therapist_busy_until=starts + length,
                    booked_by=booker,
                )
            )
    # The first therapist's week is as full every day as Tuesday.
    tuesday = [r for r in rows if r.therapist == staff[0]]
    for offset in (-1, 1, 2, 3, 4, 5):
        rows.extend(
            Appointment(
                client=v.client,
                therapist=v.therapist,
                modality=swedish,
                location=location,
                room=v.room,
                starts_at=v.starts_at + timedelta(days=offset),
                ends_at=v.ends_at + timedelta(days=offset),
                therapist_busy_from=v.starts_at + timedelta(days=offset),
                therapist_busy_until=v.ends_at + timedelta(days=offset),
                booked_by=booker,
            )
            for v in tuesday
        )
    Appointment.objects.bulk_create(rows)
    return location, staff[0]


def _time(client, url: str):
    if os.environ.get("GRID_GC_FREEZE"):
        gc.collect()
        gc.freeze()  # as gunicorn's preload would: the app's objects are not rescanned
    client.get(url)
    times, cpu = [], []
    for _ in range(REQUESTS):
        start, start_cpu = clock.perf_counter(), clock.process_time()
        response = client.get(url)
        times.append((clock.perf_counter() - start) * 1000)
        cpu.append((clock.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        size = len(client.get(url).content)
    queries = len(captured)  # the next request clears the log
    if os.environ.get("GRID_DUMP"):
        name = os.environ["GRID_DUMP"] + url.split("?")[0].replace("/", "_")
        with open(name, "wb") as dump:
            dump.write(client.get(url).content)
    return _stats(times), _stats(cpu), queries, size


def _stats(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return statistics.median(values), p95


def _parts(location, therapists: int) -> None:
    """Time building the day grid and drawing it, apart from the request around it."""
    built, drawn = [], []
    for _ in range(REQUESTS):
        start = clock.perf_counter()
        grid = day_grid(location=location, day=DAY, now=timezone.now())
        middle = clock.perf_counter()
        render_to_string(
            "sessions/_grid.html",
            {"grid": grid, "can_book": True, "grid_by_therapist": True},
        )
        built.append((middle - start) * 1000)
        drawn.append((clock.perf_counter() - middle) * 1000)
    median, p95 = _stats(built)
    print(f"\n  day_grid() median {median:.1f} p95 {p95:.1f} ms")
    if os.environ.get("GRID_PROFILE") and therapists >= 30:
        _profile(lambda: day_grid(location=location, day=DAY, now=timezone.now()))
    median, p95 = _stats(drawn)
    print(f"  _grid.html median {median:.1f} p95 {p95:.1f} ms")


@pytest.mark.parametrize(("therapists", "visits"), SIZES)
def test_grid_size(client, front_desk, therapists, visits):
    assert engines["django"].engine.debug is False
    with time_machine.travel(NOW, tick=True):
        location, first = _build(therapists, visits)
        client.force_login(front_desk)
        day = reverse("sessions:day") + f"?location={location.pk}&date={DAY}"
        week = (
            reverse("sessions:week")
            + f"?therapist={first.pk}&location={location.pk}&date={DAY}"
        )
        for name, url in (("day", day), ("week", week)):
            (median, p95), (cpu, cpu95), queries, size = _time(client, url)
            print(
                f"\n{name:4} {therapists:2} therapists x {visits:4} visits: "
                f"median {median:6.1f} ms  p95 {p95:6.1f} ms  "
                f"(CPU of this process {cpu:5.1f} / {cpu95:5.1f} ms)  "
                f"{queries} queries  {size / 1024:6.1f} KB"
            )
        if os.environ.get("GRID_PARTS"):
            _parts(location, therapists)
        if os.environ.get("GRID_QUERIES"):
            with CaptureQueriesContext(connection) as captured:
                client.get(day)
            for query in captured.captured_queries:
                print(query["time"], query["sql"][:150])
        if os.environ.get("GRID_PROFILE") and therapists >= 30:
            _profile(lambda: client.get(day))


def _profile(call) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(10):
        call()
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(
        r"calendar|safety|fetch_all|execute\b|loader_tags|base.py.*render\b", 30
    )
    stats.sort_stats("tottime").print_stats(20)
