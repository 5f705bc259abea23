"""The WSGI front end: translation, the coroutine driver and its per-thread loop."""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import threading
import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler
from tumbler import request
from tumbler.wsgi import run_sync
from tumbler.wsgi import thread_event_loop


def make_environ(path: str = "/", method: str = "GET", **extra: t.Any) -> dict[str, t.Any]:
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "10.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    environ.update(extra)
    return environ


def call(app: t.Any, environ: dict[str, t.Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, t.Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], body


def test_app_is_a_wsgi_callable(app: Tumbler) -> None:
    app.add_url_rule("/", "i", lambda: f"{request.remote_addr} {request.host}")
    status, headers, body = call(app, make_environ())
    assert status == "200 OK"
    assert ("Content-Type", "text/html; charset=utf-8") in headers
    assert body == b"10.0.0.1 localhost"


def test_utf8_path_is_decoded_from_latin1_environ(app: Tumbler) -> None:
    app.add_url_rule("/<name>", "i", lambda name: name)
    raw = "/caf\u00e9".encode().decode("latin-1")
    status, _, body = call(app, make_environ(raw))
    assert status == "200 OK"
    assert body.decode() == "caf\u00e9"


def test_invalid_utf8_path_is_400(app: Tumbler) -> None:
    status, _, _ = call(app, make_environ("/\xff\xfe"))
    assert status.startswith("400")


def test_script_name_becomes_root_path(app: Tumbler) -> None:
    app.add_url_rule("/x", "x", lambda: request.root_path + "|" + request.path)
    _, _, body = call(app, make_environ("/x", SCRIPT_NAME="/mount"))
    assert body == b"/mount|/x"


def test_body_is_bounded_by_content_length(app: Tumbler) -> None:
    app.add_url_rule("/", "i", lambda: request.get_data(), methods=["POST"])
    environ = make_environ(
        "/", "POST", CONTENT_LENGTH="5", **{"wsgi.input": io.BytesIO(b"helloEXTRA")}
    )
    _, _, body = call(app, environ)
    assert body == b"hello"


def test_head_has_no_body(app: Tumbler) -> None:
    app.add_url_rule("/", "i", lambda: "content")
    status, _, body = call(app, make_environ(method="HEAD"))
    assert status == "200 OK"
    assert body == b""


def test_204_has_no_body(app: Tumbler) -> None:
    app.add_url_rule("/", "i", lambda: ("ignored", 204))
    _, _, body = call(app, make_environ())
    assert body == b""


def test_close_runs_call_on_close(app: Tumbler) -> None:
    closed: list[bool] = []

    @app.route("/")
    def index() -> Response:
        rv = Response("x")
        rv.call_on_close(lambda: closed.append(True))
        return rv

    call(app, make_environ())
    assert closed == [True]


def test_wsgi_middleware_wraps_wsgi_app(app: Tumbler) -> None:
    app.add_url_rule("/", "i", lambda: request.environ.get("X_MIDDLEWARE", "none"))
    inner = app.wsgi_app

    def middleware(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        environ["X_MIDDLEWARE"] = "yes"
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    _, _, body = call(app, make_environ())
    assert body == b"yes"


def test_sync_pipeline_runs_without_an_event_loop(app: Tumbler) -> None:
    seen: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        seen.append(asyncio._get_running_loop())
        return "x"

    call(app, make_environ())
    assert seen == [None]


def test_async_view_reuses_one_loop_per_thread(app: Tumbler) -> None:
    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return str(id(asyncio.get_running_loop()))

    loops = {call(app, make_environ())[2] for _ in range(5)}
    assert len(loops) == 1
    assert loops == {str(id(thread_event_loop())).encode()}


def test_async_view_can_use_tasks_and_timeouts(app: Tumbler) -> None:
    @app.route("/")
    async def index() -> str:
        async with asyncio.timeout(1):
            task = asyncio.create_task(asyncio.sleep(0.001, result="done"))
            return await task

    assert call(app, make_environ())[2] == b"done"


def test_async_view_that_never_suspends_needs_no_loop(app: Tumbler) -> None:
    @app.route("/")
    async def index() -> str:
        return "quick"

    assert call(app, make_environ())[2] == b"quick"


def test_each_thread_gets_its_own_reused_loop() -> None:
    async def loop_id() -> int:
        await asyncio.sleep(0)
        return id(asyncio.get_running_loop())

    results: dict[int, set[int]] = {}
    # Keep every thread (and so its loop) alive until all have run, so ids cannot be reused.
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        results[n] = {run_sync(loop_id()) for _ in range(3)}
        barrier.wait()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(len(ids) == 1 for ids in results.values())
    assert len(set.union(*results.values())) == 4


def test_run_sync_returns_value_and_raises_errors() -> None:
    async def ok() -> int:
        return 1

    async def bad() -> None:
        await asyncio.sleep(0)
        raise ValueError("bad")

    assert run_sync(ok()) == 1
    with pytest.raises(ValueError, match="bad"):
        run_sync(bad())


def test_run_sync_inside_running_loop_refuses_to_block() -> None:
    async def suspends() -> None:
        await asyncio.sleep(0.001)

    async def main() -> None:
        run_sync(suspends())

    with pytest.raises(RuntimeError, match="Await it instead"):
        asyncio.run(main())


def test_async_generator_body_under_wsgi(app: Tumbler) -> None:
    @app.route("/")
    def index() -> t.Any:
        async def gen() -> t.AsyncIterator[bytes]:
            for part in (b"a", b"b"):
                await asyncio.sleep(0)
                yield part

        return gen()

    assert call(app, make_environ())[2] == b"ab"


def test_many_threads_each_get_their_own_request(app: Tumbler) -> None:
    @app.route("/")
    async def index() -> str:
        value = request.args["v"]
        await asyncio.sleep(0.001)
        return value + ":" + request.args["v"]

    errors: list[str] = []

    def worker(n: int) -> None:
        for i in range(3):
            v = f"{n}-{i}"
            body = call(app, make_environ(QUERY_STRING=f"v={v}"))[2].decode()
            if body != f"{v}:{v}":
                errors.append(body)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_before_serving_runs_before_first_wsgi_request(app: Tumbler) -> None:
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        events.append("start")

    @app.after_serving
    def stop() -> None:
        events.append("stop")

    app.add_url_rule("/", "i", lambda: "x")
    call(app, make_environ())
    call(app, make_environ())
    assert events == ["start"]
    app.shutdown()
    assert events == ["start", "stop"]


def test_websocket_route_over_wsgi_is_400(app: Tumbler) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        pass

    status, _, _ = call(app, make_environ("/ws"))
    assert status.startswith("400")


def test_preserve_context_hook_receives_contexts(app: Tumbler) -> None:
    kept: list[t.Any] = []
    app.add_url_rule("/", "i", lambda: "x")
    hook: dict[str, t.Any] = {"tumbler.preserve_context": kept.append}
    call(app, make_environ(**hook))
    assert [type(c).__name__ for c in kept] == ["AppContext", "RequestContext"]


class _ResetInput(io.RawIOBase):
    """A ``wsgi.input`` whose client resets the connection after ``good`` bytes."""

    def __init__(self, good: bytes) -> None:
        self._good = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._good:
            data, self._good = self._good[: max(size, 0) or None], b""
            return data
        raise ConnectionResetError(104, "Connection reset by peer")


def test_client_reset_while_reading_the_body_is_400(app: Tumbler) -> None:
    @app.post("/")
    def index() -> str:
        return str(len(request.get_data()))

    environ = make_environ(
        "/",
        "POST",
        CONTENT_LENGTH="100",
        CONTENT_TYPE="application/octet-stream",
        **{"wsgi.input": _ResetInput(b"x" * 10)},
    )
    status, _, _ = call(app, environ)
    assert status.startswith("400")


def test_after_serving_runs_when_a_forked_worker_process_ends(
    app: Tumbler, tmp_path: t.Any
) -> None:
    marker = tmp_path / "marker"

    @app.after_serving
    def done() -> None:
        marker.write_text("shutdown")

    app.add_url_rule("/", "i", lambda: "x")

    def worker() -> None:
        call(app, make_environ("/"))

    process = multiprocessing.get_context("fork").Process(target=worker)
    process.start()
    process.join(10)
    assert process.exitcode == 0
    assert marker.exists()
