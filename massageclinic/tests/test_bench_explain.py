"""The bench's own pieces: the EXPLAIN checker finds a sequential scan of the
appointments table, the results replace only their part of docs/benchmarks.md, and
the minimal view it compares the day view with asks for a sign-in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from benchmarks import explain, report
from benchmarks.bench_urls import MINIMAL_PATH
from benchmarks.measure import p95

APPOINTMENTS = 'SELECT "id" FROM "clinic_sessions_appointment"'


def test_it_knows_which_queries_read_appointments():
    assert explain.reads_appointments(APPOINTMENTS + ' WHERE "id" = 1')
    assert explain.reads_appointments(
        'SELECT 1 FROM "clinic_sessions_reminder" LEFT OUTER JOIN '
        '"clinic_sessions_appointment" ON (1 = 1)'
    )
    assert not explain.reads_appointments(
        'SELECT 1 FROM "clinic_sessions_appointmentseries"'
    )
    assert not explain.reads_appointments(
        'UPDATE "clinic_sessions_appointment" SET "status" = \'booked\''
    )
    assert not explain.reads_appointments("SAVEPOINT s1")


@pytest.mark.django_db
def test_it_finds_a_sequential_scan_of_appointments():
    found = explain.plans("whole table", [APPOINTMENTS])
    assert len(found) == 1
    assert found[0].seq_scan
    assert "Seq Scan on clinic_sessions_appointment" in found[0].scans[0]


@pytest.mark.django_db
def test_an_index_scan_passes():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    found = explain.plans("by id", [APPOINTMENTS + ' WHERE "id" = 7'])
    assert not found[0].seq_scan
    assert "Index" in found[0].plan


@pytest.mark.django_db
def test_one_plan_per_shape_of_query():
    found = explain.plans(
        "twice", [APPOINTMENTS + ' WHERE "id" = 7', APPOINTMENTS + ' WHERE "id" = 8']
    )
    assert len(found) == 1


def test_the_results_replace_only_their_part_of_the_page():
    page = f"# Benchmarks\n\nHow to read it.\n\n{report.RESULTS}\n\nold numbers\n"
    new = report.merged(page, f"{report.RESULTS}\n\nnew numbers")
    assert new.startswith("# Benchmarks\n\nHow to read it.\n\n")
    assert "new numbers" in new
    assert "old numbers" not in new
    assert new.count(report.RESULTS) == 1


def test_p95_is_the_worst_of_few_samples_and_the_95th_percentile_of_many():
    assert p95([5.0, 1.0, 3.0]) == 5.0
    assert p95([float(n) for n in range(1, 101)]) == pytest.approx(95.05)


@pytest.mark.urls("benchmarks.bench_urls")
def test_the_minimal_view_asks_for_a_sign_in(client, front_desk):
    assert client.get(MINIMAL_PATH).status_code == 302
    client.force_login(front_desk)
    response = client.get(MINIMAL_PATH)
    assert response.status_code == 200
    assert response.content == b"ok"
    assert reverse("home") == "/"  # the project's pages are there too


def test_it_counts_a_query_run_in_a_loop_once_per_shape():
    loop = [APPOINTMENTS + f' WHERE "id" = {n}' for n in range(5)]
    once = ['SELECT 1 FROM "clients_client"', "SAVEPOINT s1", "SAVEPOINT s2"]
    assert explain.repeated(loop + once) == [(5, APPOINTMENTS + ' WHERE "id" = ?')]


def test_a_seq_scan_of_the_series_table_is_not_one_of_appointments():
    plan = explain.Plan(
        "visit page",
        APPOINTMENTS,
        "Hash Join\n  ->  Index Scan using clinic_sessions_appointment_pkey on "
        "clinic_sessions_appointment  (cost=0.29..8.31 rows=1 width=8)\n"
        "  ->  Seq Scan on clinic_sessions_appointmentseries  (cost=0.00..1.08)",
    )
    assert not plan.seq_scan
    assert plan.scans == [
        "Index Scan using clinic_sessions_appointment_pkey on "
        "clinic_sessions_appointment"
    ]


def test_a_profile_is_taken_only_of_the_measures_named(monkeypatch):
    from benchmarks.measure import profiled

    monkeypatch.setenv("BENCH_PROFILE", "day view, outbox")
    assert "ncalls" in profiled("outbox", lambda: sorted(range(10)))
    assert profiled("waitlist", lambda: sorted(range(10))) == ""
