"""The bench's results as Markdown: the table of measures against the issue's
targets, the machine, the data sizes, the EXPLAIN findings and the messages' output.

`write` replaces what follows the RESULTS marker in docs/benchmarks.md and keeps the
hand-written explanation above it.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils import timezone

from benchmarks import explain
from benchmarks.build import Built
from benchmarks.explain import Plan
from benchmarks.load import Throughput
from benchmarks.measure import Result

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
RESULTS = "<!-- results: everything below is written by `make bench` -->"
KB = 1024
BUILD_TARGET_SECONDS = 180
RATIO_TARGET = 0.10

# name -> (the target, whether the result meets it)
Check = Callable[[Result], bool]
TARGETS: dict[str, tuple[str, Check]] = {
    "day view": (
        "p95 < 50 ms, HTML < 80 KB",
        lambda r: r.p95_ms < 50 and (r.html_bytes or 0) < 80 * KB,
    ),
    "next openings (HTTP)": ("p95 < 30 ms", lambda r: r.p95_ms < 30),
    "one booking (service)": ("<= 12 queries", lambda r: r.queries <= 12),
    "24-visit weekly series (service)": (
        "p95 < 100 ms, <= 40 queries",
        lambda r: r.p95_ms < 100 and r.queries <= 40,
    ),
}


@dataclass
class Outcome:
    scale: float
    repeat: int
    built: Built
    results: list[Result]
    plans: list[Plan]
    minimal: Throughput
    day: Throughput
    messages_code: int | None
    messages_text: str

    @property
    def ratio(self) -> float:
        return self.day.per_second / self.minimal.per_second if self.minimal.ok else 0.0


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def machine() -> list[str]:
    cpu = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
                break
    except OSError:  # not Linux: say what we know
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return [
        f"- CPU: {os.cpu_count()} cores{f' ({cpu})' if cpu else ''}",
        f"- RAM: {memory or 'unknown'}",
        f"- Python {platform.python_version()}, PostgreSQL {postgres}, "
        f"{platform.system()} {platform.release()}",
    ]


def table(outcome: Outcome) -> str:
    rows = [
        "| measure | median ms | p95 ms | queries | HTML KB | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in outcome.results:
        target, met = TARGETS.get(r.name, ("", None))
        size = f"{r.html_bytes / KB:.1f}" if r.html_bytes else ""
        rows.append(
            f"| {r.name} | {r.median_ms:.1f} | {r.p95_ms:.1f} | {r.queries} | {size} "
            f"| {target or '-'} | {_mark(met(r)) if met else '-'} |"
        )
    seq = [p for p in outcome.plans if p.seq_scan]
    build = outcome.built.seconds
    rows += [
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        f"| day view throughput / minimal view (gunicorn, 2 workers, 4 clients) | "
        f"{outcome.day.per_second:.1f} / {outcome.minimal.per_second:.1f} req/s = "
        f"{outcome.ratio:.1%} | >= 10 % | {_mark(outcome.ratio >= RATIO_TARGET)} |",
        f"| sequential scans of appointments | {len(seq)} of {len(outcome.plans)} "
        f"queries | none | {_mark(not seq)} |",
        f"| data built in bulk | {build:.0f} s | < 3 min "
        f"| {_mark(build < BUILD_TARGET_SECONDS)} |",
    ]
    return "\n".join(rows)


def _explain(outcome: Outcome) -> list[str]:
    lines = [
        "| page or service | queries reading appointments | seq scans | how they read it |",
        "|---|---:|---:|---|",
    ]
    by_where: dict[str, list[Plan]] = {}
    for p in outcome.plans:
        by_where.setdefault(p.where, []).append(p)
    for where, plans in by_where.items():
        scans = sorted({s for p in plans for s in p.scans})
        lines.append(
            f"| {where} | {len(plans)} | {sum(p.seq_scan for p in plans)} "
            f"| {'; '.join(scans)} |"
        )
    for p in (p for p in outcome.plans if p.seq_scan):
        lines += ["", f"Sequential scan in **{p.where}**:", "", "```sql", p.sql, "```"]
        lines += ["", "```", p.plan, "```"]
    return lines


def repeats_of(results: list[Result]) -> list[str]:
    """Queries run three times or more in one request or call, by page or service."""
    lines = []
    for r in results:
        for count, sql in explain.repeated(r.sql)[:4]:
            lines.append(f"- {r.name}: {count} x `{explain.short(sql, 160)}`")
    return lines or ["None."]


def profiles(results: list[Result]) -> list[str]:
    """The cProfiles BENCH_PROFILE asked for, each trimmed to its table."""
    lines = []
    for r in (r for r in results if r.profile):
        table = r.profile[r.profile.find("ncalls") :] if "ncalls" in r.profile else ""
        lines += [f"### Profile: {r.name}", "", "```", table.rstrip(), "```", ""]
    return lines


def markdown(outcome: Outcome) -> str:
    built = outcome.built
    sizes = ", ".join(f"{name} {n:,}" for name, n in built.counts.items())
    messages = outcome.messages_text.splitlines()
    if len(messages) > 80:
        messages = ["...", *messages[-80:]]
    code = outcome.messages_code
    return "\n".join(
        [
            RESULTS,
            "",
            f"## Last run: {timezone.now():%Y-%m-%d %H:%M} UTC",
            "",
            f"Command: `{'BENCH_SCALE=' + str(outcome.scale) + ' ' if outcome.scale != 1 else ''}"
            "make bench` (scale "
            f"{outcome.scale}; {outcome.repeat} runs of each page and service after a "
            "warm-up).",
            "",
            "Machine:",
            "",
            *machine(),
            "",
            f"Data (built in {built.seconds:.0f} s on top of `seed_demo`): {sizes}. "
            f"The day view shows {built.busy.name} on {built.measured_day}: "
            f"{built.day_columns} therapists working, {built.day_visits} visits; pages "
            "are measured at 07:30 that day.",
            "",
            table(outcome),
            "",
            "### EXPLAIN",
            "",
            *_explain(outcome),
            "",
            "### Queries repeated in one request or call",
            "",
            *repeats_of(outcome.results),
            "",
            *profiles(outcome.results),
            "### Client messages",
            "",
            "benchmarks/messages.py "
            + (
                "was not there: not measured."
                if code is None
                else f"exited with code {code}:"
            ),
            "",
            *(["```", *messages, "```", ""] if code is not None else []),
        ]
    )


def merged(existing: str, results: str) -> str:
    """The hand-written part of the page (all before the RESULTS marker), then the
    new results, which start with the marker."""
    head = existing.split(RESULTS, 1)[0].rstrip()
    return f"{head}\n\n{results.rstrip()}\n"


def write(outcome: Outcome) -> None:
    existing = DOCS.read_text() if DOCS.exists() else "# Benchmarks"
    DOCS.write_text(merged(existing, markdown(outcome)))
