"""Shared fixtures: an app, a test client parametrized over WSGI and ASGI, and raw ASGI drivers."""

from __future__ import annotations

import asyncio
import os
import typing as t

import pytest

from tumbler import Tumbler

Message = dict[str, t.Any]


@pytest.fixture
def app() -> Tumbler:
    """A fresh app in testing mode with a secret key, rooted at the tests folder."""
    app = Tumbler("tumbler_test", root_path=os.path.dirname(__file__))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture(params=["wsgi", "asgi"])
def protocol(request: pytest.FixtureRequest) -> str:
    """The protocol a test runs over."""
    return t.cast(str, request.param)


@pytest.fixture
def client_for(protocol: str) -> t.Callable[[Tumbler], t.Any]:
    """Make a test client for any app over the parametrized protocol."""
    return lambda app: app.test_client(asgi=protocol == "asgi")


@pytest.fixture
def client(app: Tumbler, protocol: str) -> t.Any:
    """A test client driving ``app`` over the parametrized protocol."""
    return app.test_client(asgi=protocol == "asgi")


def http_scope(
    path: str = "/",
    method: str = "GET",
    query_string: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    root_path: str = "",
) -> dict[str, t.Any]:
    """Build a minimal ASGI http scope."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": query_string,
        "headers": headers if headers is not None else [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


class ASGIResult:
    """What an app sent for one http request: status, headers, body and the raw messages."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        start = next(m for m in messages if m["type"] == "http.response.start")
        self.status: int = start["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        self.body = b"".join(
            m.get("body", b"") for m in messages if m["type"] == "http.response.body"
        )


async def asgi_request(
    app: t.Any,
    scope: dict[str, t.Any],
    body_chunks: t.Sequence[bytes] = (),
    disconnect_after_body: bool = False,
) -> ASGIResult:
    """Send one http request to an ASGI app and collect what it sends back.

    After the body, ``receive`` blocks until the response is complete (as servers do), or
    reports ``http.disconnect`` at once when ``disconnect_after_body`` is true.
    """
    incoming: asyncio.Queue[Message] = asyncio.Queue()
    chunks = list(body_chunks) or [b""]
    for i, chunk in enumerate(chunks):
        incoming.put_nowait(
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        )
    if disconnect_after_body:
        incoming.put_nowait({"type": "http.disconnect"})
    sent: list[Message] = []
    finished = asyncio.Event()

    async def receive() -> Message:
        if incoming.empty():
            await finished.wait()
            return {"type": "http.disconnect"}
        return await incoming.get()

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    await app(scope, receive, send)
    finished.set()
    if not sent:
        return ASGIResult([{"type": "http.response.start", "status": 0, "headers": []}])
    return ASGIResult(sent)


class WebSocketSession:
    """Drive one ASGI websocket connection from a test: send/receive frames, see the close."""

    def __init__(self, app: t.Any, path: str, subprotocols: list[str] | None = None) -> None:
        self.app = app
        self.scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000),
            "server": ("localhost", 80),
            "subprotocols": subprotocols or [],
        }
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> WebSocketSession:
        self.to_app.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.get_running_loop().create_task(
            self.app(self.scope, self.to_app.get, self.from_app.put)
        )
        return self

    async def __aexit__(self, *exc: t.Any) -> None:
        assert self.task is not None
        if not self.task.done():
            self.to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)

    async def next_message(self) -> Message:
        """The next message the app sent."""
        return await asyncio.wait_for(self.from_app.get(), 5)

    async def send_text(self, text: str) -> None:
        """Send a text frame to the app."""
        await self.to_app.put({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary frame to the app."""
        await self.to_app.put({"type": "websocket.receive", "bytes": data})


@pytest.fixture
def run() -> t.Callable[[t.Awaitable[t.Any]], t.Any]:
    """Run a coroutine to completion on a fresh event loop."""

    def runner(aw: t.Awaitable[t.Any]) -> t.Any:
        async def main() -> t.Any:
            return await aw

        return asyncio.run(main())

    return runner


class ASGITools:
    """The raw ASGI drivers above, handed to tests through the ``asgi`` fixture."""

    http_scope = staticmethod(http_scope)
    request = staticmethod(asgi_request)
    WebSocketSession = WebSocketSession


@pytest.fixture
def asgi() -> ASGITools:
    """Raw ASGI drivers: ``asgi.http_scope``, ``asgi.request`` and ``asgi.WebSocketSession``."""
    return ASGITools()
