"""Tests for tumbler.serving: server choice, sockets, TLS, the WSGI server, banner, reloader."""

from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from processes import OutputProcess
from tumbler import Tumbler
from tumbler import serving
from tumbler.serving import AddressInUseError
from tumbler.serving import ServerError
from tumbler.serving import format_banner
from tumbler.serving import is_asgi_app
from tumbler.serving import load_ssl_context
from tumbler.serving import make_wsgi_server
from tumbler.serving import prepare_socket
from tumbler.serving import resolve_ssl_context
from tumbler.serving import select_server


def plain_wsgi_app(
    environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"plain"]


def make_app() -> Tumbler:
    app = Tumbler(__name__)

    @app.route("/")
    def index() -> str:
        return "hello"

    return app


# -- choosing a server ------------------------------------------------------------------------


def test_auto_picks_uvicorn_for_a_tumbler_app() -> None:
    assert select_server(make_app()) == "uvicorn"
    assert select_server(make_app(), "auto") == "uvicorn"


def test_auto_picks_wsgi_for_a_wsgi_only_app() -> None:
    assert select_server(plain_wsgi_app) == "wsgi"


def test_auto_falls_back_to_wsgi_without_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert select_server(make_app()) == "wsgi"


def test_wsgi_can_be_forced_for_an_asgi_app() -> None:
    assert select_server(make_app(), "WSGI") == "wsgi"


def test_uvicorn_for_wsgi_only_app_is_refused() -> None:
    with pytest.raises(ServerError, match="needs an ASGI application"):
        select_server(plain_wsgi_app, "uvicorn")


def test_uvicorn_requested_but_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ServerError, match="pip install uvicorn"):
        select_server(make_app(), "uvicorn")


def test_unknown_server_name_is_refused() -> None:
    with pytest.raises(ServerError, match="Unknown server 'gunicorn'"):
        select_server(make_app(), "gunicorn")


def test_coroutine_functions_and_async_callables_are_asgi() -> None:
    async def asgi(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        return None

    class AsgiClass:
        async def __call__(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
            return None

    assert is_asgi_app(asgi)
    assert is_asgi_app(AsgiClass())
    assert is_asgi_app(make_app())
    assert not is_asgi_app(plain_wsgi_app)


# -- sockets ----------------------------------------------------------------------------------


def test_port_zero_binds_a_free_port() -> None:
    sock = prepare_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_port_in_use_raises_a_clear_error() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        with pytest.raises(AddressInUseError, match=f"127.0.0.1:{port} is already in use"):
            prepare_socket("127.0.0.1", port)
    finally:
        taken.close()


def test_unknown_host_raises_server_error() -> None:
    with pytest.raises(ServerError, match="Cannot listen on"):
        prepare_socket("no-such-host.invalid", 0)


# -- TLS --------------------------------------------------------------------------------------


def test_adhoc_certificate_without_cryptography_explains_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.x509", None)
    with pytest.raises(ServerError, match="requires the cryptography library"):
        resolve_ssl_context("adhoc")


def test_unreadable_certificate_raises_server_error(tmp_path: Path) -> None:
    bad = tmp_path / "cert.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ServerError, match="Could not load the TLS certificate"):
        load_ssl_context(str(bad))


def test_existing_ssl_context_is_used_as_is() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    assert resolve_ssl_context(context) is context
    assert resolve_ssl_context(None) is None


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


# -- the WSGI server --------------------------------------------------------------------------


class RunningServer:
    def __init__(self, app: t.Any, ssl_context: ssl.SSLContext | None = None) -> None:
        self.sock = prepare_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.httpd = make_wsgi_server(self.sock, app, ssl_context=ssl_context)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def fetch(url: str, timeout: float = 5, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_wsgi_server_serves_a_tumbler_app() -> None:
    server = RunningServer(make_app())
    try:
        assert fetch(f"http://127.0.0.1:{server.port}/") == (200, "hello")
        assert fetch(f"http://127.0.0.1:{server.port}/missing")[0] == 404
    finally:
        server.stop()


def test_threaded_wsgi_server_answers_while_another_request_waits() -> None:
    app = make_app()
    release = threading.Event()

    @app.route("/slow")
    def slow() -> str:
        release.wait(5)
        return "slow"

    server = RunningServer(app)
    results: list[tuple[int, str]] = []
    slow_request = threading.Thread(
        target=lambda: results.append(fetch(f"http://127.0.0.1:{server.port}/slow"))
    )
    try:
        slow_request.start()
        time.sleep(0.1)
        assert fetch(f"http://127.0.0.1:{server.port}/", timeout=2) == (200, "hello")
        release.set()
        slow_request.join(5)
        assert results == [(200, "slow")]
    finally:
        release.set()
        server.stop()


def test_wsgi_server_serves_https(certificate: tuple[str, str]) -> None:
    server = RunningServer(make_app(), ssl_context=load_ssl_context(*certificate))
    client_context = ssl.create_default_context(cafile=certificate[0])
    client_context.check_hostname = False
    try:
        url = f"https://127.0.0.1:{server.port}/"
        assert fetch(url, context=client_context) == (200, "hello")
    finally:
        server.stop()


def test_wsgi_server_survives_a_client_that_sends_garbage() -> None:
    server = RunningServer(make_app())
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            conn.sendall(b"GET / HTTP/1.1 with junk\r\n\r\n")
            reply = conn.recv(1024)
        assert b"400" in reply
        assert fetch(f"http://127.0.0.1:{server.port}/") == (200, "hello")
    finally:
        server.stop()


# -- banner -----------------------------------------------------------------------------------


def test_banner_states_url_server_debug_and_reload() -> None:
    sock = prepare_socket("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        banner = format_banner(make_app(), sock, "wsgi", True, "polling", False)
    finally:
        sock.close()
    assert f"Running on http://127.0.0.1:{port}/" in banner
    assert "Server: threaded WSGI server" in banner
    assert "Debug mode: on" in banner
    assert "Reload: on (polling)" in banner


def test_banner_for_uvicorn_https_without_reload() -> None:
    sock = prepare_socket("127.0.0.1", 0)
    try:
        banner = format_banner(make_app(), sock, "uvicorn", False, None, True)
    finally:
        sock.close()
    assert "https://127.0.0.1:" in banner
    assert "Server: uvicorn" in banner
    assert "Debug mode: off" in banner
    assert "Reload: off" in banner


# -- reloader pieces --------------------------------------------------------------------------


def test_watched_files_include_loaded_modules_and_extra_files(tmp_path: Path) -> None:
    extra = tmp_path / "settings.toml"
    extra.write_text("")
    files = serving._watched_files([str(extra)], [])
    assert str(extra) in files
    assert os.path.abspath(__file__) in files
    assert not any(f == ssl.__file__ for f in files)


def test_watched_files_honour_exclude_patterns(tmp_path: Path) -> None:
    extra = tmp_path / "data.log"
    extra.write_text("")
    assert str(extra) not in serving._watched_files([str(extra)], ["*.log"])


def test_polling_detects_a_modified_file(tmp_path: Path) -> None:
    watched = tmp_path / "config.txt"
    watched.write_text("one")
    found: queue.Queue[str] = queue.Queue()
    thread = threading.Thread(
        target=lambda: found.put(serving._watch_polling([str(watched)], [], 0.05)), daemon=True
    )
    thread.start()
    time.sleep(0.2)
    stat = watched.stat()
    os.utime(watched, (stat.st_atime, stat.st_mtime + 5))
    assert found.get(timeout=5) == str(watched)


# -- real servers in a subprocess -------------------------------------------------------------

SERVER_SCRIPT = """
import sys
from tumbler import Tumbler
from tumbler.serving import run_simple

app = Tumbler(__name__)

@app.route("/")
def index():
    return MESSAGE

if __name__ == "__main__":
    tls = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
    run_simple("127.0.0.1", 0, app, server=sys.argv[1], use_reloader=sys.argv[2] == "reload",
               reloader_interval=0.1, ssl_context=tls)
"""


class ServerProcess(OutputProcess):
    """A server started as a subprocess; its port is read from the banner."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(args, cwd, {**os.environ, **(env or {})})

    def wait_for(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        return super().wait_for(pattern, timeout)

    def port(self) -> int:
        return int(self.wait_for(r"Running on https?://127\.0\.0\.1:(\d+)/").group(1))


def write_server_script(tmp_path: Path, message: str) -> Path:
    script = tmp_path / "serve_app.py"
    script.write_text(f"MESSAGE = {message!r}\n" + textwrap.dedent(SERVER_SCRIPT))
    return script


def wait_for_body(url: str, expected: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        try:
            body = fetch(url, timeout=2)[1]
        except OSError:
            body = ""
        if body == expected:
            return body
        time.sleep(0.1)
    return body


@pytest.mark.server
@pytest.mark.parametrize(("server", "banner"), [("wsgi", "threaded WSGI"), ("uvicorn", "uvicorn")])
def test_run_simple_serves_over_the_chosen_server(tmp_path: Path, server: str, banner: str) -> None:
    script = write_server_script(tmp_path, "served")
    process = ServerProcess([sys.executable, str(script), server, "no-reload"], tmp_path)
    try:
        port = process.port()
        process.wait_for(f"Server: {banner}")
        assert wait_for_body(f"http://127.0.0.1:{port}/", "served") == "served"
    finally:
        process.stop()


@pytest.mark.server
@pytest.mark.parametrize("server", ["wsgi", "uvicorn"])
def test_run_simple_serves_https_with_certificate_files(
    tmp_path: Path, certificate: tuple[str, str], server: str
) -> None:
    script = write_server_script(tmp_path, "secure")
    process = ServerProcess([sys.executable, str(script), server, "no", *certificate], tmp_path)
    client_context = ssl.create_default_context(cafile=certificate[0])
    client_context.check_hostname = False
    try:
        port = int(process.wait_for(r"Running on https://127\.0\.0\.1:(\d+)/").group(1))
        deadline = time.monotonic() + 15
        while True:
            try:
                result = fetch(f"https://127.0.0.1:{port}/", context=client_context)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert result == (200, "secure")
    finally:
        process.stop()


@pytest.mark.server
def test_reloader_restarts_the_server_when_a_module_changes(tmp_path: Path) -> None:
    script = write_server_script(tmp_path, "before")
    process = ServerProcess([sys.executable, str(script), "wsgi", "reload"], tmp_path)
    try:
        port = process.port()
        process.wait_for(r"Reload: on \(")
        url = f"http://127.0.0.1:{port}/"
        assert wait_for_body(url, "before") == "before"
        time.sleep(0.3)
        script.write_text(script.read_text().replace("'before'", "'after'"))
        process.wait_for("Detected change in")
        assert wait_for_body(url, "after") == "after"
    finally:
        process.stop()
    # The supervisor took its child down with it: the port is free again.
    prepare_socket("127.0.0.1", port).close()
