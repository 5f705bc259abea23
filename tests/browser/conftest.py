"""Fixtures for the browser tests: headless Debian Chromium through Playwright, and the example
blog served by a real WSGI server (gunicorn) and a real ASGI server (uvicorn) on 127.0.0.1.

Playwright is only the driver here: it launches the system ``chromium`` (installed by
``scripts/install-browser.sh``) and never downloads a browser of its own.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

if t.TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "blog"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def _server_command(server: str, port: int) -> list[str]:
    """The command line that serves ``blog:create_app()`` on ``127.0.0.1:port``."""
    if server == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(EXAMPLE_DIR),
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "blog:create_app()",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(EXAMPLE_DIR),
        "--factory",
        "blog:create_app",
        # The app object is both a WSGI and an ASGI callable, so uvicorn cannot guess.
        "--interface",
        "asgi3",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer {url} within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(params=["gunicorn", "uvicorn"])
def blog_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Serve the blog with a fresh database under gunicorn (WSGI) or uvicorn (ASGI).

    Yields the base URL (``http://127.0.0.1:PORT``); the server is always stopped afterwards.
    """
    server: str = request.param
    if importlib.util.find_spec(server) is None:
        pytest.skip(f"{server} is not installed (it is in the project's test extra)")
    port = _free_port()
    env = dict(os.environ)
    env["BLOG_DATABASE"] = str(tmp_path / "blog.sqlite")
    env["BLOG_SECRET_KEY"] = secrets.token_hex(32)
    log = tmp_path / f"{server}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _server_command(server, port),
            cwd=EXAMPLE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(proc, base_url + "/", log)
        yield base_url
    finally:
        _stop(proc)


# Module scope, not session: while Playwright's sync API is active, its event loop is the
# thread's running loop, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    """A headless system Chromium, shared by one test module's browser tests."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed (pip install -e '.[test]' installs it)",
    )
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (scripts/install-browser.sh installs it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies shared between tests)."""
    context = chromium_browser.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
