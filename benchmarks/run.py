"""The bench at the size of a busy practice (issue 12).

    make bench                  # or: python -m massageclinic.devstack bench
    BENCH_SCALE=0.1 make bench  # a tenth of the rows, for a quick look

devstack gives this script its own database (the configured one with `_bench`
appended), migrated and filled with `seed_demo`. The script then builds the busy
practice on top in bulk (benchmarks.build), and measures:

- each everyday page and service in-process: median, p95, queries, HTML size
  (BENCH_REQUESTS runs each, 30 by default), at 07:30 on the first working day ahead;
- the EXPLAIN of every query reading the appointments table (fails on a seq scan);
- the day view's throughput next to a minimal view under gunicorn on loopback
  (BENCH_LOAD_SECONDS each, 15 by default);
- client messages, through benchmarks/messages.py when it is there.

BENCH_PROFILE="day view,next 20 openings (service)" (or "all") also prints a cProfile
of one more run of those measures.

It prints everything and rewrites the results part of docs/benchmarks.md (set
BENCH_DOCS=0 not to). It exits non-zero on a sequential scan of appointments.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massageclinic.settings")

import django

django.setup()

import time_machine  # noqa: E402
from django.utils import timezone  # noqa: E402

from benchmarks import explain, load, measure, report  # noqa: E402
from benchmarks.build import BenchClinic, Size  # noqa: E402
from massageclinic.clock import local_datetime  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent
MESSAGES = BASE_DIR / "benchmarks" / "messages.py"
MESSAGES_TIMEOUT = 1800  # seconds


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name) or str(default)
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {raw!r}.") from None


def throughput(built, seconds: float) -> list[load.Throughput]:
    from django.urls import reverse

    from benchmarks.bench_urls import MINIMAL_PATH

    client = measure.signed_in("frontdesk")
    cookie = "; ".join(f"{k}={m.value}" for k, m in client.cookies.items())
    day = (
        f"{reverse('sessions:day')}?location={built.busy.pk}&date={built.measured_day}"
    )
    results = []
    with load.Gunicorn(workers=2) as server:
        for path in (MINIMAL_PATH, day):
            load.check(server.port, path, cookie)
            load.hammer(server.port, path, cookie, seconds=2)  # warm both workers
            results.append(load.hammer(server.port, path, cookie, seconds=seconds))
            r = results[-1]
            print(
                f"  {path[:60]:<60} {r.per_second:8.1f} req/s ({r.ok} ok, "
                f"{r.errors} errors in {r.seconds:.1f} s)",
                flush=True,
            )
    return results


def messages() -> tuple[int | None, str]:
    if not MESSAGES.exists():
        text = "benchmarks/messages.py is not there yet: messages not measured."
        print(text, flush=True)
        return None, text
    try:
        done = subprocess.run(  # noqa: S603 - our own script, same interpreter
            [sys.executable, str(MESSAGES)],
            cwd=BASE_DIR,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=MESSAGES_TIMEOUT,
        )
    except subprocess.TimeoutExpired as stopped:
        out = stopped.stdout or b""
        text = (out.decode() if isinstance(out, bytes) else out).strip()
        text += f"\nStopped after {MESSAGES_TIMEOUT} s."
        print(text, flush=True)
        return -1, text
    lines = (done.stdout + done.stderr).strip().splitlines()
    # django-axes announces itself on every start: noise in a report.
    text = "\n".join(line for line in lines if not line.startswith("AXES: "))
    print(text, flush=True)
    return done.returncode, text


def main() -> int:
    scale = _env_float("BENCH_SCALE", 1.0)
    repeat = int(_env_float("BENCH_REQUESTS", 30))
    seconds = _env_float("BENCH_LOAD_SECONDS", 15)
    size = Size.scaled(scale)
    print(f"Building the bench clinic at scale {scale}: {size}", flush=True)
    built = BenchClinic(
        size=size, now=timezone.now(), say=lambda m: print(f"  {m}", flush=True)
    ).build()

    morning = local_datetime(built.measured_day, time(7, 30), built.busy)
    print(
        f"\nPages and services on {built.measured_day} at 07:30 "
        f"({built.busy.name}), {repeat} runs each after a warm-up:",
        flush=True,
    )
    measure.header()
    with time_machine.travel(morning, tick=True):
        results = measure.pages(built, repeat)
        results += measure.services(built, timezone.now(), repeat)

    for result in results:
        if result.profile:
            print(f"\nProfile of {result.name}:\n{result.profile}", flush=True)

    print("\nQueries run three times or more in one request or call:", flush=True)
    for line in report.repeats_of(results):
        print(f"  {line}", flush=True)

    print("\nEXPLAIN of the queries reading appointments:", flush=True)
    plans = [p for r in results for p in explain.plans(r.name, r.sql)]
    failing = explain.report(plans, show_all=os.environ.get("BENCH_EXPLAIN") == "all")

    print(f"\nThroughput, gunicorn with 2 workers, 4 clients, {seconds:.0f} s each:")
    minimal, day = throughput(built, seconds)
    ratio = day.per_second / minimal.per_second if minimal.per_second else 0.0
    print(f"  day view / minimal view: {ratio:.1%}", flush=True)

    print("\nClient messages (benchmarks/messages.py):", flush=True)
    code, text = messages()

    outcome = report.Outcome(
        scale=scale,
        repeat=repeat,
        built=built,
        results=results,
        plans=plans,
        minimal=minimal,
        day=day,
        messages_code=code,
        messages_text=text,
    )
    print("\n" + report.table(outcome), flush=True)
    if os.environ.get("BENCH_DOCS", "1") != "0":
        report.write(outcome)
        print(f"\nResults written to {report.DOCS.relative_to(BASE_DIR)}.")
    if failing:
        where = sorted({p.where for p in failing})
        print(
            f"\nFAILED: a sequential scan of appointments in {', '.join(where)}.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
