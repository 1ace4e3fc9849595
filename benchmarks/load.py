"""Throughput under a bounded load: gunicorn (deploy/gunicorn.conf.py, 2 workers) on
loopback, and a few concurrent clients asking for one page for a fixed time.

The day view and a minimal signed-in view (benchmarks.bench_urls) are measured in the
same run, same server, same session cookie; their ratio is what the issue targets.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time as clock
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CONF = BASE_DIR / "deploy" / "gunicorn.conf.py"


@dataclass
class Throughput:
    path: str
    seconds: float
    ok: int
    errors: int

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with the production settings file, on 127.0.0.1 and a free port."""

    def __init__(
        self, *, workers: int = 2, settings: str = "benchmarks.bench_settings"
    ):
        self.port = free_port()
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = settings
        env["GUNICORN_BIND"] = f"127.0.0.1:{self.port}"
        env["GUNICORN_WORKERS"] = str(workers)
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(CONF),
                "massageclinic.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,  # the access log: one line a request
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def __enter__(self) -> Gunicorn:
        deadline = clock.monotonic() + 60
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    "gunicorn exited at start:\n" + self.process.stderr.read().decode()  # type: ignore[union-attr]
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                clock.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 60 seconds.")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def hammer(
    port: int, path: str, cookie: str, *, clients: int = 4, seconds: float = 10.0
) -> Throughput:
    """`clients` threads, each asking for `path` one request after another (keeping
    the connection when the server does) until `seconds` have passed."""
    counts = [[0, 0] for _ in range(clients)]
    stop = clock.monotonic() + seconds
    headers = {"Cookie": cookie, "Host": "127.0.0.1", "Connection": "keep-alive"}

    def worker(slot: list[int]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while clock.monotonic() < stop:
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                slot[0 if response.status == 200 else 1] += 1
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                slot[1] += 1
                connection.close()
        connection.close()

    started = clock.monotonic()
    threads = [threading.Thread(target=worker, args=(c,)) for c in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = clock.monotonic() - started
    return Throughput(
        path, elapsed, sum(c[0] for c in counts), sum(c[1] for c in counts)
    )


def check(port: int, path: str, cookie: str) -> None:
    """One request first: a redirect to the login page would measure nothing."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"gunicorn answered {response.status} for {path}")
