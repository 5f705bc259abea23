"""Requests per second through real servers: gunicorn (sync worker) and uvicorn, one worker each.

Each app (Tumbler, the bare floor, Flask, plus Falcon and Starlette for reference) is served on
127.0.0.1 on a free port and loaded with ``wrk`` (Debian package ``wrk``) for a bounded time, on
the hello and JSON routes of ``bench/apps``. Every server this script starts, it stops, also when
a run fails or is interrupted. Answers are checked before loading.

Usage: ``python bench/server.py [--quick] [--duration 5] [--connections 16]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from apps import common
from tables import rate
from tables import ratio
from tables import table

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Target:
    """One app on one server."""

    server: str
    name: str
    app: str
    #: The name of the Tumbler target this one is compared with.
    baseline: str
    extra: tuple[str, ...] = ()

    def command(self, port: int) -> list[str]:
        """The command line that serves this app on ``port``."""
        if self.server == "gunicorn":
            return [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--bind",
                f"{HOST}:{port}",
                "--log-level",
                "warning",
                *self.extra,
                self.app,
            ]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
            *self.extra,
            self.app,
        ]


# The ASGI interface is named explicitly: auto-detection once took Tumbler's dual
# WSGI/ASGI ``__call__`` for ASGI 2 (see bench/RESULTS.md).
_UVICORN = ("--http", "httptools", "--loop", "uvloop")
TARGETS: list[Target] = [
    Target("gunicorn", "bare-wsgi", "apps.bare:wsgi_app", "tumbler"),
    Target("gunicorn", "tumbler", "apps.tumbler_app:app", "tumbler"),
    Target("gunicorn", "flask", "apps.flask_app:app", "tumbler"),
    Target("gunicorn", "falcon", "apps.falcon_app:app", "tumbler"),
    Target(
        "uvicorn", "bare-asgi", "apps.bare:asgi_app", "tumbler", (*_UVICORN, "--interface", "asgi3")
    ),
    Target(
        "uvicorn",
        "tumbler",
        "apps.tumbler_app:asgi_app",
        "tumbler",
        (*_UVICORN, "--interface", "asgi3"),
    ),
    Target(
        "uvicorn",
        "tumbler-sync",
        "apps.tumbler_app:app",
        "tumbler",
        (*_UVICORN, "--interface", "asgi3"),
    ),
    Target("uvicorn", "flask", "apps.flask_app:app", "tumbler", (*_UVICORN, "--interface", "wsgi")),
    Target(
        "uvicorn",
        "falcon-asgi",
        "apps.falcon_app:asgi_app",
        "tumbler",
        (*_UVICORN, "--interface", "asgi3"),
    ),
    Target(
        "uvicorn",
        "starlette",
        "apps.starlette_app:app",
        "tumbler",
        (*_UVICORN, "--interface", "asgi3"),
    ),
]
ROUTES = {"hello": "/hello", "json": "/json"}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process in its own process group; a context manager that always stops it."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            self.target.command(self.port),
            cwd=BENCH_DIR,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"{self.target.server} {self.target.name} exited:\n{err}")
            try:
                with urllib.request.urlopen(self.base + "/hello", timeout=1):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.target.server} {self.target.name} did not start in {timeout} s")

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after 10 s."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        finally:
            if proc.stderr is not None:
                proc.stderr.close()

    def check(self) -> None:
        """Fail loudly unless hello and JSON answer right through this server."""
        with urllib.request.urlopen(self.base + ROUTES["hello"], timeout=5) as resp:
            body = resp.read()
            if resp.status != 200 or body != common.HELLO.encode():
                raise RuntimeError(f"{self.target.name}: wrong hello answer {body[:200]!r}")
        with urllib.request.urlopen(self.base + ROUTES["json"], timeout=5) as resp:
            if json.loads(resp.read()) != common.JSON_PAYLOAD:
                raise RuntimeError(f"{self.target.name}: wrong JSON answer")


@dataclass
class Load:
    """What wrk measured."""

    requests_per_second: float
    latency_ms: float
    errors: str


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, duration: float, connections: int) -> Load:
    """Load ``url`` with wrk (one thread) for ``duration`` seconds and parse its summary."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s", url],
        capture_output=True,
        text=True,
        timeout=duration + 30,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out)
    if rps is None or latency is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    errors = []
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors.append(f"{match.group(1)} non-2xx")
    if match := re.search(r"Socket errors: (.*)", out):
        errors.append(match.group(1).strip())
    return Load(
        float(rps.group(1)), float(latency.group(1)) * _UNITS[latency.group(2)], "; ".join(errors)
    )


def run(
    targets: list[Target], duration: float, connections: int
) -> dict[tuple[str, str, str], Load]:
    """Serve each target and load each route; return loads by (server, name, route)."""
    results: dict[tuple[str, str, str], Load] = {}
    for target in targets:
        with Server(target) as server:
            server.check()
            for route, path in ROUTES.items():
                run_wrk(server.base + path, min(1.0, duration), connections)  # warm-up
                results[(target.server, target.name, route)] = run_wrk(
                    server.base + path, duration, connections
                )
        print(f"{target.server} {target.name} done", file=sys.stderr)
    return results


def report(results: dict[tuple[str, str, str], Load], targets: list[Target]) -> str:
    """Return one table per server: requests per second, latency, and Tumbler's ratio."""
    parts = [
        "Requests per second through a server (wrk, one thread, on 127.0.0.1; higher is"
        " better). `tumbler/x` is Tumbler's rate over this app's on the same server and route."
    ]
    for server in dict.fromkeys(t.server for t in targets):
        rows = []
        for target in (t for t in targets if t.server == server):
            for route in ROUTES:
                load = results.get((server, target.name, route))
                if load is None:
                    continue
                base = results.get((server, target.baseline, route))
                rows.append(
                    [
                        target.name,
                        route,
                        rate(load.requests_per_second),
                        f"{load.latency_ms:.2f}",
                        ratio(
                            base.requests_per_second / load.requests_per_second if base else None
                        ),
                        load.errors or "-",
                    ]
                )
        parts.append(f"### {server} (1 worker)")
        parts.append(
            table(["app", "route", "req/s", "latency ms", "tumbler/x", "errors"], rows, "ll")
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Parse options, serve and load every target, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s per load")
    parser.add_argument("--duration", type=float, help="seconds per load (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--server", choices=["gunicorn", "uvicorn"], help="only this server")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): server benchmarks skipped")
        return
    duration = args.duration or (2.0 if args.quick else 5.0)
    targets = [t for t in TARGETS if args.server in (None, t.server)]
    # SIGTERM (e.g. from a timeout) unwinds through the Server context managers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(report(run(targets, duration, args.connections), targets))


if __name__ == "__main__":
    main()
