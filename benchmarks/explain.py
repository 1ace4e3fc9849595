"""EXPLAIN every captured query that reads the appointments table; find seq scans.

The SQL comes from `CaptureQueriesContext`, with the real parameters filled in by the
database driver, so the plan is the one PostgreSQL chose for that very query on the
bench's data (after ANALYZE). A sequential scan of the appointments table at 100,000
visits is what the bench fails on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from sessions.models import Appointment

TABLE = Appointment._meta.db_table
_READS = re.compile(rf'\bFROM\s+"?{TABLE}"?\b|\bJOIN\s+"?{TABLE}"?\b', re.IGNORECASE)
_SEQ_SCAN = re.compile(rf"Seq Scan on {TABLE}\b")
_ON_TABLE = re.compile(rf" on {TABLE}\b")
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


@dataclass
class Plan:
    where: str  # the page or service that ran the query
    sql: str
    plan: str

    @property
    def seq_scan(self) -> bool:
        return bool(_SEQ_SCAN.search(self.plan))

    @property
    def shape(self) -> str:
        """The query with its literals blanked: one plan per shape is enough."""
        return shape(self.sql)

    @property
    def scans(self) -> list[str]:
        """How the plan reads the appointments table: 'Index Scan using ...' lines."""
        return sorted(
            {
                line.strip().split("  (")[0].lstrip("-> ").strip()
                for line in self.plan.splitlines()
                if _ON_TABLE.search(line)
            }
        )


def shape(sql: str) -> str:
    """The query with its literals blanked, so repeats of one query count together."""
    return _LITERALS.sub("?", sql)


def repeated(queries: list[str], at_least: int = 3) -> list[tuple[int, str]]:
    """The shapes of query run `at_least` times or more, most repeated first: a query
    in a loop, which the page's or service's count grows with."""
    counts: dict[str, int] = {}
    for sql in queries:
        if not sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            counts[shape(sql)] = counts.get(shape(sql), 0) + 1
    found = [(n, s) for s, n in counts.items() if n >= at_least]
    return sorted(found, key=lambda item: -item[0])


def reads_appointments(sql: str) -> bool:
    """A SELECT (or WITH ... SELECT) whose FROM or JOIN names the appointments table."""
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in {"SELECT", "WITH"} and bool(_READS.search(sql))


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def plans(where: str, queries: list[str]) -> list[Plan]:
    """One plan per distinct shape of query reading the appointments table."""
    found: dict[str, Plan] = {}
    for sql in queries:
        if not reads_appointments(sql):
            continue
        plan = Plan(where, sql, "")
        if plan.shape in found:
            continue
        plan.plan = explain(sql)
        found[plan.shape] = plan
    return list(found.values())


# The hot paths: their plans are printed even when they pass.
HOT = {
    "day view",
    "next openings (HTTP)",
    "one booking (service)",
    "one booking, new client (service)",
    "24-visit weekly series (service)",
    "next 20 openings (service)",
}


def report(all_plans: list[Plan], *, show_all: bool = False) -> list[Plan]:
    """Print the plans of the hot paths and of every query with a sequential scan of
    appointments (every plan with `show_all`); return the failing ones."""
    failing = [p for p in all_plans if p.seq_scan]
    for p in all_plans:
        if p.seq_scan or show_all or p.where in HOT:
            mark = "SEQ SCAN" if p.seq_scan else "ok"
            sql = p.sql if p.seq_scan or show_all else short(p.sql)
            print(f"\n--- {p.where}: {mark}\n{sql}\n{p.plan}", flush=True)
    print(
        f"\n{len(all_plans)} queries read {TABLE}; "
        f"{len(failing)} scan it sequentially.",
        flush=True,
    )
    return failing


def short(sql: str, keep: int = 400) -> str:
    """The FROM and WHERE of a long SELECT: its column list says little."""
    at = sql.find(" FROM ")
    tail = sql[at:] if at > 0 else sql
    return ("SELECT ..." + tail)[:keep] + ("..." if len(tail) > keep else "")
