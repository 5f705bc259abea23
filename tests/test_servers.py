"""The same app module served by real WSGI and ASGI servers, each in its own process.

Every server imports ``tests/servers_app.py`` and listens on a free 127.0.0.1 port; the tests talk
to it over real sockets (``http.client``, raw sockets for malformed requests, the ``websockets``
client for websockets). A server whose package is not installed is skipped with the package to
install. Each server is stopped (SIGTERM, then SIGKILL to its process group) whatever happens.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import hashlib
import http.client
import http.cookies
import importlib.util
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

from servers_app import MAX_CONTENT_LENGTH
from servers_app import STREAM_CHUNKS
from servers_app import STREAM_PAUSE

pytestmark = pytest.mark.server

TESTS_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
#: Seconds a server may take to start answering.
START_TIMEOUT = 20.0
#: Seconds any one socket operation may take.
IO_TIMEOUT = 5.0
#: Seconds a server gets to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 6.0


@dataclasses.dataclass(frozen=True)
class ServerSpec:
    """How to run one server: its package, protocol and command line."""

    name: str
    package: str
    protocol: t.Literal["wsgi", "asgi"]
    argv: t.Callable[[int], list[str]]
    #: The server replaces invalid UTF-8 in the path with U+FFFD and passes the app nothing
    #: raw to tell, so the app sees a valid (unknown) path.
    lossy_path: bool = False
    #: The server stops iterating a streamed body when its client goes away.
    ends_abandoned_streams: bool = True
    #: The server accepts HTTP/2 with prior knowledge on a cleartext connection (h2c).
    h2c: bool = False

    @property
    def is_asgi(self) -> bool:
        """Whether the server drives the app through ASGI."""
        return self.protocol == "asgi"


def _python_m(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


SERVERS = [
    ServerSpec(
        "gunicorn",
        "gunicorn",
        "wsgi",
        lambda port: _python_m(
            "gunicorn",
            "--workers=1",
            "--worker-class=sync",
            f"--bind={HOST}:{port}",
            "--graceful-timeout=2",
            "--timeout=30",
            "--log-level=warning",
            "servers_app:app",
        ),
    ),
    ServerSpec(
        "uvicorn",
        "uvicorn",
        "asgi",
        lambda port: _python_m(
            "uvicorn",
            f"--host={HOST}",
            f"--port={port}",
            "--lifespan=on",
            "--timeout-graceful-shutdown=2",
            "--log-level=warning",
            "servers_app:app",
        ),
    ),
    ServerSpec(
        "hypercorn",
        "hypercorn",
        "asgi",
        lambda port: _python_m(
            "hypercorn",
            f"--bind={HOST}:{port}",
            "--graceful-timeout=2",
            "--log-level=warning",
            # No "asgi:" prefix: hypercorn must detect the ASGI interface by itself.
            "servers_app:app",
        ),
        h2c=True,
    ),
    ServerSpec(
        "hypercorn-wsgi",
        "hypercorn",
        "wsgi",
        lambda port: _python_m(
            "hypercorn",
            f"--bind={HOST}:{port}",
            "--graceful-timeout=2",
            "--log-level=warning",
            "wsgi:servers_app:app",
        ),
        lossy_path=True,
        # Its WSGI wrapper keeps iterating the body after the connection closed.
        ends_abandoned_streams=False,
        h2c=True,
    ),
    ServerSpec(
        "granian-asgi",
        "granian",
        "asgi",
        lambda port: _python_m(
            "granian",
            "--interface=asgi",
            f"--host={HOST}",
            f"--port={port}",
            "--workers=1",
            "--workers-kill-timeout=2",
            "--log-level=warning",
            "servers_app:app",
        ),
        h2c=True,
    ),
    ServerSpec(
        "granian-wsgi",
        "granian",
        "wsgi",
        lambda port: _python_m(
            "granian",
            "--interface=wsgi",
            f"--host={HOST}",
            f"--port={port}",
            "--workers=1",
            "--blocking-threads=2",
            "--workers-kill-timeout=2",
            "--log-level=warning",
            "servers_app:app",
        ),
        h2c=True,
    ),
]
SPECS = {spec.name: spec for spec in SERVERS}
ASGI_SERVERS = [spec.name for spec in SERVERS if spec.is_asgi]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_for(
    condition: t.Callable[[], bool], timeout: float, what: str | t.Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            text = what if isinstance(what, str) else what()
            raise AssertionError(f"Timed out after {timeout}s waiting for {text}.")
        time.sleep(0.02)


class RunningServer:
    """One server process serving ``servers_app``; use as a context manager (always stops it).

    :param spec: the server to run.
    :param marker: the file the app appends its ``startup``/``shutdown`` lines to.
    :param probe_http: wait for ``GET /`` to answer 200 (else only for the port to accept, so no
        request triggers the app's lazy startup).
    :param target: the app to serve, ``module:attribute``.
    """

    def __init__(
        self,
        spec: ServerSpec,
        marker: Path,
        probe_http: bool = True,
        target: str = "servers_app:app",
    ) -> None:
        if importlib.util.find_spec(spec.package) is None:
            pytest.skip(f"{spec.package} is not installed (pip install 'tumbler[{spec.package}]')")
        self.spec = spec
        self.target = target
        self.marker = marker
        self.probe_http = probe_http
        self.port = _free_port()
        self.log_path = marker.with_suffix(".log")
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RunningServer:
        for attempt in range(2):
            self._spawn()
            try:
                _wait_for(
                    self._ready,
                    START_TIMEOUT,
                    lambda: f"{self.spec.name} to answer; its log:\n{self.log()}",
                )
                return self
            except BaseException:
                log = self.log()
                self.stop()
                if attempt == 0 and "in use" in log.lower():
                    # Another process took the free port between probing and binding it.
                    self.port = _free_port()
                    continue
                raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        env = dict(os.environ)
        env["TUMBLER_SERVER_MARKER"] = str(self.marker)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
        env.pop("TUMBLER_DEBUG", None)
        with open(self.log_path, "wb") as log:
            argv = [
                arg.replace("servers_app:app", self.target) for arg in self.spec.argv(self.port)
            ]
            self.proc = subprocess.Popen(
                argv,
                cwd=TESTS_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(
                f"{self.spec.name} exited with {self.proc.returncode}:\n{self.log()}"
            )
        try:
            if not self.probe_http:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return True
            return http_request(self.port, "GET", "/", timeout=1.0).status == 200
        except OSError:
            return False

    def log(self, since: int = 0) -> str:
        """What the server printed (from offset ``since``; the last 4000 characters)."""
        try:
            return self.log_path.read_text(errors="replace")[since:][-4000:]
        except OSError:
            return ""

    def log_size(self) -> int:
        """The length of the log so far, for :meth:`log` ``since``."""
        try:
            return len(self.log_path.read_text(errors="replace"))
        except OSError:
            return 0

    def stop(self) -> int | None:
        """Stop the server gracefully (SIGTERM), killing its whole process group after
        ``STOP_TIMEOUT``; return the exit code, ``None`` when it had to be killed."""
        proc = self.proc
        if proc is None:
            return None
        code: int | None = None
        try:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            code = proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            # Workers (spawned or forked) share the session and process group of the main process.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        return code

    def marker_lines(self) -> list[str]:
        """The ``startup``/``shutdown`` events the app recorded, in order."""
        try:
            text = self.marker.read_text()
        except FileNotFoundError:
            return []
        return [line.split()[0] for line in text.splitlines() if line]


# -- clients -------------------------------------------------------------------------------


@dataclasses.dataclass
class Reply:
    """A response as the client saw it."""

    status: int
    headers: http.client.HTTPMessage | dict[str, str]
    body: bytes

    def json(self) -> t.Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = IO_TIMEOUT,
) -> Reply:
    """Send one request on a new connection with ``http.client`` and read the whole response."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def raw_request(
    port: int, head: bytes, body: cabc.Iterable[bytes] = (), timeout: float = IO_TIMEOUT
) -> Reply:
    """Send ``head`` (request line and headers) and then ``body`` pieces over a raw socket.

    Sending stops as soon as the server answers (as a browser does), so a server that refuses a
    body early is not fed the rest; a reset while sending is tolerated. The response is read to
    the end of its ``Content-Length`` or until the server closes.
    """
    sock = socket.create_connection((HOST, port), timeout=timeout)
    data = bytearray()
    try:
        sock.sendall(head)
        try:
            for piece in body:
                readable, _, _ = select.select([sock], [], [], 0.005)
                if readable:
                    break
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if _complete(data):
                break
    finally:
        sock.close()
    return _parse_raw(bytes(data))


def _complete(data: bytearray) -> bool:
    head, sep, rest = bytes(data).partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(rest) >= int(value.strip())
    return False


def _parse_raw(data: bytes) -> Reply:
    if not data:
        raise AssertionError("The server closed the connection without a response.")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status, headers, rest)


def _head(port: int, method: str, target: str, *extra: str, host: str | None = None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host or f'{HOST}:{port}'}", *extra]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1")


def _chunked(pieces: cabc.Iterable[bytes]) -> t.Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def h2_request(
    port: int, method: str, path: str, body: bytes = b"", headers: t.Sequence[tuple[str, str]] = ()
) -> Reply:
    """Send one request over cleartext HTTP/2 with prior knowledge (``h2`` library).

    The body goes in DATA frames with no ``Content-Length`` header unless ``headers`` has one.
    """
    h2_config = pytest.importorskip("h2.config", reason="the h2 package is not installed")
    from h2.connection import H2Connection
    from h2.events import DataReceived
    from h2.events import ResponseReceived
    from h2.events import StreamEnded
    from h2.events import StreamReset

    conn = H2Connection(h2_config.H2Configuration(client_side=True, header_encoding="latin-1"))
    conn.initiate_connection()
    sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    status, received_headers, data = 0, {}, bytearray()
    try:
        sock.sendall(conn.data_to_send())
        request_headers = [
            (":method", method),
            (":path", path),
            (":scheme", "http"),
            (":authority", f"{HOST}:{port}"),
            *headers,
        ]
        conn.send_headers(1, request_headers, end_stream=not body)
        if body:
            conn.send_data(1, body, end_stream=True)
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended:
            chunk = sock.recv(65536)
            if not chunk:
                break
            for event in conn.receive_data(chunk):
                if isinstance(event, ResponseReceived):
                    received_headers = dict(t.cast(list[tuple[str, str]], event.headers))
                    status = int(received_headers[":status"])
                elif isinstance(event, DataReceived):
                    data += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, StreamEnded | StreamReset):
                    ended = True
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()
    return Reply(status, received_headers, bytes(data))


def live_counters(port: int) -> dict[str, int]:
    """The app's counters of live contexts, requests and running views."""
    return t.cast(dict[str, int], http_request(port, "GET", "/debug/live").json())


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[spec.name for spec in SERVERS])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[RunningServer]:
    """Each server in turn, started once for all the tests that use it."""
    spec = SPECS[request.param]
    with RunningServer(spec, tmp_path_factory.mktemp(spec.name) / "marker.txt") as running:
        yield running


@pytest.fixture
def asgi_server(server: RunningServer) -> RunningServer:
    """The running server, skipping WSGI servers."""
    if not server.spec.is_asgi:
        pytest.skip(f"{server.spec.name} serves WSGI")
    return server


# -- every server ----------------------------------------------------------------------------


def test_hello_world_is_served_with_security_headers(server: RunningServer) -> None:
    reply = http_request(server.port, "GET", "/")
    assert reply.status == 200
    assert reply.body == b"Hello, servers!"
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_head_gets_the_headers_without_the_body(server: RunningServer) -> None:
    # A server that sends the headers only with the first body chunk (hypercorn's WSGI
    # wrapper) must still get them for an answer that has no body.
    get = http_request(server.port, "GET", "/")
    head = http_request(server.port, "HEAD", "/")
    assert (head.status, head.body) == (200, b"")
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert http_request(server.port, "HEAD", "/missing").status == 404


def test_path_parameter_and_query_args(server: RunningServer) -> None:
    reply = http_request(server.port, "GET", "/users/42?tag=a&tag=b%20c&page=3")
    assert reply.status == 200
    assert reply.json() == {"user_id": 42, "tags": ["a", "b c"], "page": 3}


def test_json_post_is_echoed(server: RunningServer) -> None:
    payload = {"name": "Zoë", "items": [1, 2, {"deep": None}]}
    reply = http_request(
        server.port,
        "POST",
        "/echo-json",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
    )
    assert reply.status == 200
    assert reply.json() == {"received": payload}


def test_urlencoded_form_post(server: RunningServer) -> None:
    reply = http_request(
        server.port,
        "POST",
        "/form",
        b"a=1&a=2&text=caf%C3%A9+au+lait",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 200
    assert reply.json() == {"a": ["1", "2"], "text": ["café au lait"]}


def test_multipart_upload(server: RunningServer) -> None:
    content = bytes(range(256)) * 80
    boundary = "tumbler-boundary-7d3f"
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="note"\r\n\r\n',
            b"hello\r\n",
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    reply = http_request(
        server.port,
        "POST",
        "/upload",
        body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert reply.status == 200
    assert reply.json() == {
        "filename": "data.bin",
        "content_type": "application/octet-stream",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "note": "hello",
    }


def test_async_view_reuses_one_event_loop(server: RunningServer) -> None:
    # Eight sequential requests on at most a handful of threads: a thread (or the ASGI loop)
    # serves several of them, and a reused loop counts them where a new loop per request
    # would report 1 every time.
    seen: dict[int, list[int]] = {}
    for _ in range(8):
        reply = http_request(server.port, "GET", "/async")
        assert reply.status == 200
        data = reply.json()
        seen.setdefault(data["thread"], []).append(data["loop_hits"])
    assert max(max(hits) for hits in seen.values()) >= 2
    for hits in seen.values():
        assert hits == sorted(hits)


def test_sync_view_runs_outside_any_event_loop(server: RunningServer) -> None:
    sync = http_request(server.port, "GET", "/sync").json()
    assert sync["loop_running"] is False
    if server.spec.is_asgi:
        # Under ASGI the sync view runs in the thread pool, not on the loop's thread.
        loop_thread = http_request(server.port, "GET", "/async").json()["thread"]
        assert sync["thread"] != loop_thread


@pytest.mark.parametrize("path", ["/stream", "/astream"])
def test_streamed_response_arrives_in_chunks(server: RunningServer, path: str) -> None:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=IO_TIMEOUT)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Content-Length") is None
        received = b""
        arrivals: dict[int, float] = {}
        while True:
            piece = resp.read1(65536)
            if not piece:
                break
            received += piece
            for i in range(STREAM_CHUNKS):
                if i not in arrivals and f"chunk {i}\n".encode() in received:
                    arrivals[i] = time.monotonic()
    finally:
        conn.close()
    assert received == b"".join(f"chunk {i}\n".encode() for i in range(STREAM_CHUNKS))
    # A buffered response would deliver every chunk at once, after the last pause.
    spread = arrivals[STREAM_CHUNKS - 1] - arrivals[0]
    assert spread >= STREAM_PAUSE * (STREAM_CHUNKS - 1) * 0.7


@pytest.mark.parametrize("path", ["/echo-json", "/async-echo"])
def test_declared_body_over_limit_is_413(server: RunningServer, path: str) -> None:
    size = MAX_CONTENT_LENGTH * 3
    head = _head(
        server.port, "POST", path, "Content-Type: application/json", f"Content-Length: {size}"
    )
    reply = raw_request(server.port, head, [b"x" * 16384] * (size // 16384))
    assert reply.status == 413


@pytest.mark.parametrize("path", ["/echo-json", "/async-echo"])
def test_chunked_body_over_limit_is_413(server: RunningServer, path: str) -> None:
    head = _head(
        server.port, "POST", path, "Content-Type: application/json", "Transfer-Encoding: chunked"
    )
    pieces = [b"x" * 16384] * (MAX_CONTENT_LENGTH * 3 // 16384)
    reply = raw_request(server.port, head, _chunked(pieces))
    assert reply.status == 413


def test_chunked_body_under_limit_is_read(server: RunningServer) -> None:
    head = _head(
        server.port,
        "POST",
        "/echo-json",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    reply = raw_request(server.port, head, _chunked([b'{"a": ', b"[1, 2]", b"}"]))
    assert reply.status == 200
    assert json.loads(reply.body) == {"received": {"a": [1, 2]}}


@pytest.mark.parametrize("path", ["/echo-json", "/async-echo"])
def test_http2_body_without_content_length_is_read(server: RunningServer, path: str) -> None:
    if not server.spec.h2c:
        pytest.skip(f"{server.spec.name} does not speak cleartext HTTP/2")
    payload = b'{"over": "h2"}'
    reply = h2_request(server.port, "POST", path, payload, [("content-type", "application/json")])
    assert reply.status == 200
    expected = {"received": {"over": "h2"}} if path == "/echo-json" else {"size": len(payload)}
    assert reply.json() == expected


def test_invalid_utf8_in_path_is_400(server: RunningServer) -> None:
    reply = raw_request(server.port, _head(server.port, "GET", "/users/%FF"))
    if server.spec.lossy_path:
        # hypercorn's WSGI environ holds only the replaced path (no RAW_URI): a plain 404.
        assert reply.status == 404
    else:
        assert reply.status == 400
        assert b"not valid UTF-8" in reply.body


def test_valid_utf8_in_path_is_decoded(server: RunningServer) -> None:
    reply = raw_request(server.port, _head(server.port, "GET", "/caf%C3%A9"))
    assert reply.status == 404
    reply = raw_request(server.port, _head(server.port, "GET", "/users/%EF%BC%91"))
    # A full-width digit is not an int: the converter refuses it, it is not a 400.
    assert reply.status == 404


def test_forged_host_is_400(server: RunningServer) -> None:
    reply = raw_request(server.port, _head(server.port, "GET", "/", host="evil.example"))
    assert reply.status == 400
    assert b"evil.example" in reply.body


def test_unknown_path_is_404_page(server: RunningServer) -> None:
    reply = http_request(server.port, "GET", "/no/such/page")
    assert reply.status == 404
    assert b"<title>404 Not Found</title>" in reply.body


def test_session_cookie_round_trip(server: RunningServer) -> None:
    stored = http_request(server.port, "GET", "/session/set/blue")
    assert stored.status == 200
    cookie = http.cookies.SimpleCookie(stored.headers["Set-Cookie"])
    morsel = cookie["session"]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    reply = http_request(
        server.port, "GET", "/session/get", headers={"Cookie": f"session={morsel.value}"}
    )
    assert reply.json() == {"value": "blue"}
    assert http_request(server.port, "GET", "/session/get").json() == {"value": None}


def test_serving_hooks_run_once_before_the_first_request(server: RunningServer) -> None:
    http_request(server.port, "GET", "/")
    assert server.marker_lines() == ["startup"]


# -- ASGI servers ------------------------------------------------------------------------------


def test_websocket_echo(asgi_server: RunningServer) -> None:
    if importlib.util.find_spec("websockets") is None:
        pytest.skip("the websockets client is not installed (pip install websockets)")
    from websockets.sync.client import connect

    url = f"ws://{HOST}:{asgi_server.port}/ws"
    with connect(url, open_timeout=IO_TIMEOUT, close_timeout=2) as ws:
        ws.send("hello")
        assert ws.recv(timeout=IO_TIMEOUT) == "hello"
        ws.send(b"\x00\xff binary")
        assert ws.recv(timeout=IO_TIMEOUT) == b"\x00\xff binary"
    _wait_for(
        lambda: live_counters(asgi_server.port)["app_contexts"] == 0,
        IO_TIMEOUT,
        "the websocket's context to be popped",
    )


@pytest.mark.parametrize("abort", ["reset", "close"])
def test_client_disconnect_cancels_the_view_and_pops_its_context(
    asgi_server: RunningServer, abort: str
) -> None:
    port = asgi_server.port
    before = live_counters(port)
    sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    try:
        sock.sendall(_head(port, "GET", "/slow"))
        _wait_for(
            lambda: live_counters(port)["views_running"] == 1, IO_TIMEOUT, "the view to start"
        )
        if abort == "reset":
            # Close with RST instead of FIN: the abrupt way a client goes away.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()

    last: dict[str, int] = {}

    def settled() -> bool:
        last.update(live_counters(port))
        return last["views_running"] == 0 and last["requests"] == 0 and last["app_contexts"] == 0

    _wait_for(settled, IO_TIMEOUT, lambda: f"the disconnected request to be cleaned up ({last})")
    assert live_counters(port)["views_cancelled"] == before["views_cancelled"] + 1
    assert http_request(port, "GET", "/").status == 200


@pytest.mark.parametrize("path", ["/endless", "/aendless"])
def test_client_leaving_a_stream_ends_it_and_its_context(server: RunningServer, path: str) -> None:
    if not server.spec.ends_abandoned_streams:
        pytest.skip(f"{server.spec.name} keeps iterating a body nobody reads")
    port = server.port
    log_start = server.log_size()
    sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    try:
        sock.sendall(_head(port, "GET", path))
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()
    last: dict[str, int] = {}

    def settled() -> bool:
        last.update(live_counters(port))
        return last["streams_running"] == 0 and last["app_contexts"] == 0

    _wait_for(settled, IO_TIMEOUT, lambda: f"the abandoned stream to end ({last})")
    assert "Traceback" not in server.log(log_start)


@pytest.mark.parametrize("path", ["/echo-json", "/async-echo", "/upload"])
def test_client_leaving_mid_body_leaves_nothing_behind(
    server: RunningServer, path: str, request: pytest.FixtureRequest
) -> None:
    port = server.port
    log_start = server.log_size()
    content_type = (
        "multipart/form-data; boundary=b0undary" if path == "/upload" else "application/json"
    )
    sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    try:
        head = _head(port, "POST", path, f"Content-Type: {content_type}", "Content-Length: 50000")
        sock.sendall(head + b"--b0undary\r\n" + b"x" * 20000)
        time.sleep(0.2)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()
    last: dict[str, int] = {}

    def settled() -> bool:
        last.update(live_counters(port))
        return last["requests"] == 0 and last["app_contexts"] == 0

    _wait_for(settled, IO_TIMEOUT, lambda: f"the abandoned request to end ({last})")
    time.sleep(0.1)
    assert "Traceback" not in server.log(log_start)
    assert http_request(port, "GET", "/").status == 200


@pytest.mark.parametrize("name", ASGI_SERVERS)
def test_lifespan_runs_startup_and_shutdown_hooks(name: str, tmp_path: Path) -> None:
    with RunningServer(SPECS[name], tmp_path / "marker.txt", probe_http=False) as running:
        # No request has been made: only the lifespan protocol can have run the startup hook.
        _wait_for(lambda: running.marker_lines() == ["startup"], IO_TIMEOUT, "startup")
        assert http_request(running.port, "GET", "/").status == 200
        # Some servers re-raise the SIGTERM they handled, so that exit status is fine too.
        assert running.stop() in (0, -signal.SIGTERM)
        assert running.marker_lines() == ["startup", "shutdown"], running.log()


@pytest.mark.parametrize(
    "name",
    [name for name in SPECS if not SPECS[name].is_asgi],
)
def test_wsgi_worker_runs_shutdown_hooks_when_stopped(name: str, tmp_path: Path) -> None:
    with RunningServer(SPECS[name], tmp_path / "marker.txt") as running:
        assert running.marker_lines() == ["startup"]
        # Some servers re-raise the SIGTERM they handled, so that exit status is fine too.
        assert running.stop() in (0, -signal.SIGTERM)
        assert running.marker_lines() == ["startup", "shutdown"], running.log()


# -- a plain app, on the front ends' short roads ---------------------------------------------


@pytest.fixture(scope="module", params=[spec.name for spec in SERVERS])
def plain_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[RunningServer]:
    """Each server in turn serving ``servers_app:plain_app`` (no hooks, no receivers)."""
    spec = SPECS[request.param]
    marker = tmp_path_factory.mktemp(f"plain-{spec.name}") / "marker.txt"
    with RunningServer(spec, marker, target="servers_app:plain_app") as running:
        yield running


def test_plain_app_is_served_on_the_short_roads(plain_server: RunningServer) -> None:
    port = plain_server.port
    lazy = "_ScopeRequestContext" if plain_server.spec.is_asgi else "_EnvironRequestContext"
    for _ in range(3):  # the first request to each view takes the usual road
        hello = http_request(port, "GET", "/")
        assert (hello.status, hello.body) == (200, b"Hello, plain!")
        assert hello.headers["Content-Length"] == str(len(b"Hello, plain!"))
        assert hello.headers["Content-Type"] == "text/html; charset=utf-8"
        assert hello.headers["X-Content-Type-Options"] == "nosniff"
        head = http_request(port, "HEAD", "/")
        assert (head.status, head.body) == (200, b"")
        assert head.headers["Content-Length"] == hello.headers["Content-Length"]
        assert http_request(port, "GET", "/async").body == b"Hello, async plain!"
        assert http_request(port, "GET", "/args?b=2&a=1&a=3").body == b"a=1,a=3,b=2"
        assert http_request(port, "GET", "/missing").status == 404
        cookie = http_request(port, "GET", "/", headers={"Cookie": "other=1"})
        assert cookie.body == b"Hello, plain!"
        road = http_request(port, "GET", "/aroad" if plain_server.spec.is_asgi else "/road")
    assert road.body.decode() == lazy
    first = http_request(port, "GET", "/count")
    assert first.body == b"1"
    session_cookie = first.headers["Set-Cookie"].split(";")[0]
    assert http_request(port, "GET", "/count", headers={"Cookie": session_cookie}).body == b"2"


def test_plain_app_client_disconnect_cancels_the_view(plain_server: RunningServer) -> None:
    if not plain_server.spec.is_asgi:
        pytest.skip(f"{plain_server.spec.name} serves WSGI")
    port = plain_server.port

    def counters() -> dict[str, int]:
        return t.cast(dict[str, int], http_request(port, "GET", "/live").json())

    assert http_request(port, "GET", "/slow?warm=1").body == b"warm"
    before = counters()
    sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    try:
        sock.sendall(_head(port, "GET", "/slow"))
        _wait_for(lambda: counters()["running"] == 1, IO_TIMEOUT, "the view to start")
    finally:
        sock.close()
    _wait_for(lambda: counters()["running"] == 0, IO_TIMEOUT, "the view to be cancelled")
    assert counters()["cancelled"] == before["cancelled"] + 1
