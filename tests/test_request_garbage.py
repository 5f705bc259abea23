"""A request must leave no cyclic garbage: everything it allocates is freed by reference counting.

Cycles would only be reclaimed by the cyclic collector, whose full collections cost more the more
requests are in flight. Each test serves a batch of requests with the collector disabled and then
checks that ``gc.collect()`` finds (next to) nothing.
"""

from __future__ import annotations

import asyncio
import gc
import io
import typing as t

import pytest

from tumbler import Tumbler

REQUESTS = 200
# A few objects may come from one-time work (a lazily built cache); a cycle per request
# would show up as at least REQUESTS objects.
ALLOWED = REQUESTS // 10


def _make_app() -> Tumbler:
    app = Tumbler("garbage_test")
    app.config["SECRET_KEY"] = "garbage test"

    @app.route("/hello")
    def hello() -> str:
        return "hello"

    @app.route("/async")
    async def async_hello() -> str:
        return "hello"

    @app.route("/async-sleep")
    async def async_sleep() -> str:
        await asyncio.sleep(0)
        return "hello"

    @app.route("/form", methods=["POST"])
    def form() -> str:
        from tumbler import request

        return request.form["name"]

    return app


def _wsgi_call(app: Tumbler, method: str, path: str, body: bytes) -> str:
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(body))
    statuses: list[str] = []
    iterable = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(iterable)
    close = getattr(iterable, "close", None)
    if close is not None:
        close()
    return statuses[0]


async def _asgi_call(app: Tumbler, method: str, path: str, body: bytes) -> int:
    # A server-like channel: the body first, then receive() waits for the response to end.
    finished = asyncio.get_running_loop().create_future()
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, t.Any]:
        if pending:
            return pending.pop()
        await finished
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif not message.get("more_body", False) and not finished.done():
            finished.set_result(None)

    headers = [(b"host", b"localhost")]
    if body:
        headers.append((b"content-type", b"application/x-www-form-urlencoded"))
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    await app(scope, receive, send)
    if not finished.done():
        finished.set_result(None)
    return statuses[0]


def _garbage_after(serve: t.Callable[[], object]) -> int:
    for _ in range(5):
        serve()  # warm up lazily built caches
    gc.collect()
    gc.disable()
    try:
        for _ in range(REQUESTS):
            serve()
        return gc.collect()
    finally:
        gc.enable()


CASES = [
    ("GET", "/hello", b"", 200),
    ("GET", "/missing", b"", 404),
    ("POST", "/hello", b"", 405),
    ("POST", "/form", b"name=x", 200),
    ("GET", "/async", b"", 200),
    ("GET", "/async-sleep", b"", 200),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), CASES)
def test_wsgi_request_leaves_no_cyclic_garbage(
    method: str, path: str, body: bytes, status: int
) -> None:
    app = _make_app()
    assert _wsgi_call(app, method, path, body).startswith(str(status))
    assert _garbage_after(lambda: _wsgi_call(app, method, path, body)) <= ALLOWED


@pytest.mark.parametrize("sync_views_in_threads", [False, True])
@pytest.mark.parametrize(("method", "path", "body", "status"), CASES)
def test_asgi_request_leaves_no_cyclic_garbage(
    method: str, path: str, body: bytes, status: int, sync_views_in_threads: bool
) -> None:
    app = _make_app()
    app.config["ASGI_SYNC_THREADPOOL"] = sync_views_in_threads
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(_asgi_call(app, method, path, body)) == status
        garbage = _garbage_after(
            lambda: loop.run_until_complete(_asgi_call(app, method, path, body))
        )
    finally:
        loop.close()
    assert garbage <= ALLOWED
