"""The ASGI front end: concurrency, thread pool, bodies, disconnects, lifespan and websockets."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
import typing as t

import pytest

from tumbler import Tumbler
from tumbler import g
from tumbler import request
from tumbler import websocket
from tumbler.asgi import WebSocketDisconnect

Run = t.Callable[[t.Awaitable[t.Any]], t.Any]


def test_app_is_an_asgi_callable(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: f"{request.method} {request.args['q']}")
    result = run(asgi.request(app, asgi.http_scope(query_string=b"q=1")))
    assert result.status == 200
    assert result.body == b"GET 1"
    assert result.headers["content-type"] == "text/html; charset=utf-8"


def test_root_path_is_stripped_from_path(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.add_url_rule("/x", "x", lambda: f"{request.root_path}|{request.path}")
    result = run(asgi.request(app, asgi.http_scope("/x", root_path="/mount")))
    assert result.body == b"/mount|/x"


def test_three_hundred_concurrent_requests_keep_their_own_context(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    @app.route("/")
    async def index() -> str:
        value = request.args["n"]
        g.n = value
        await asyncio.sleep(0.01)
        return f"{value}:{request.args['n']}:{g.n}"

    async def main() -> list[t.Any]:
        return await asyncio.gather(
            *(
                asgi.request(app, asgi.http_scope(query_string=f"n={i}".encode()))
                for i in range(300)
            )
        )

    results = run(main())
    assert [r.body.decode() for r in results] == [f"{i}:{i}:{i}" for i in range(300)]


def test_sync_views_run_in_thread_pool_with_context(app: Tumbler, run: Run, asgi: t.Any) -> None:
    loop_thread: list[int] = []

    @app.route("/")
    def index() -> str:
        return f"{threading.get_ident()}|{request.args['v']}"

    async def main() -> t.Any:
        loop_thread.append(threading.get_ident())
        return await asgi.request(app, asgi.http_scope(query_string=b"v=ctx"))

    result = run(main())
    ident, value = result.body.decode().split("|")
    assert value == "ctx"
    assert int(ident) != loop_thread[0]


def test_thread_pool_can_be_disabled(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.config["ASGI_SYNC_THREADPOOL"] = False
    loop_thread: list[int] = []
    app.add_url_rule("/", "i", lambda: str(threading.get_ident()))

    async def main() -> t.Any:
        loop_thread.append(threading.get_ident())
        return await asgi.request(app, asgi.http_scope())

    assert run(main()).body.decode() == str(loop_thread[0])


def test_async_views_run_on_the_server_loop(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.route("/")
    async def index() -> str:
        return str(id(asyncio.get_running_loop()))

    async def main() -> tuple[t.Any, int]:
        return await asgi.request(app, asgi.http_scope()), id(asyncio.get_running_loop())

    result, loop_id = run(main())
    assert result.body.decode() == str(loop_id)


def test_sync_view_reads_body_lazily_from_worker_thread(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    app.add_url_rule("/", "i", lambda: request.get_data(), methods=["POST"])
    scope = asgi.http_scope(method="POST", headers=[(b"content-length", b"6")])
    result = run(asgi.request(app, scope, [b"abc", b"def"]))
    assert result.body == b"abcdef"


def test_async_view_gets_prebuffered_body(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.route("/", methods=["POST"])
    async def index() -> t.Any:
        return request.get_json()

    scope = asgi.http_scope(
        method="POST",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"8")],
    )
    result = run(asgi.request(app, scope, [b'{"a":', b"1}  "]))
    assert result.body.strip() == b'{"a":1}'


def test_before_request_on_loop_sees_buffered_form(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.before_request
    def check() -> None:
        g.name = request.form["name"]

    app.add_url_rule("/", "i", lambda: g.name, methods=["POST"])
    scope = asgi.http_scope(
        method="POST",
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"8"),
        ],
    )
    assert run(asgi.request(app, scope, [b"name=", b"bob"])).body == b"bob"


def test_declared_body_over_limit_is_413_before_the_view(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    called: list[bool] = []

    @app.route("/", methods=["POST"])
    async def index() -> str:
        called.append(True)
        return "x"

    scope = asgi.http_scope(method="POST", headers=[(b"content-length", b"100")])
    assert run(asgi.request(app, scope, [b"x" * 100])).status == 413
    assert called == []


def test_streamed_body_over_limit_is_413(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    async def index() -> str:
        return "x"

    scope = asgi.http_scope(method="POST", headers=[(b"transfer-encoding", b"chunked")])
    assert run(asgi.request(app, scope, [b"x" * 6, b"x" * 6])).status == 413


def test_disconnect_cancels_view_and_pops_context(app: Tumbler, run: Run, asgi: t.Any) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {type(exc).__name__}")

    @app.route("/")
    async def index() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return "never"

    async def main() -> t.Any:
        return await asyncio.wait_for(
            asgi.request(app, asgi.http_scope(), disconnect_after_body=True), 5
        )

    result = run(main())
    assert result.status == 0
    assert events == ["cancelled", "teardown CancelledError"]


def test_disconnect_cancels_a_view_served_before_its_request_exists(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    # A plain app's GET to an async view it has seen is served on the scope road (no hooks,
    # no request object): a disconnect must cancel the view there too, and leave no context.
    from tumbler.globals import _cv_context

    events: list[str] = []
    roads: list[str] = []
    serve = app._serve_view_async

    async def spy(ctx: t.Any, *args: t.Any) -> t.Any:
        roads.append(type(ctx).__name__)
        return await serve(ctx, *args)

    app._serve_view_async = spy  # type: ignore[method-assign]

    @app.route("/")
    async def index() -> str:
        if "wait" not in request.args:
            return "warm"
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return "never"

    async def main() -> t.Any:
        assert (await asgi.request(app, asgi.http_scope())).body == b"warm"
        scope = asgi.http_scope(query_string=b"wait=1")
        rv = await asyncio.wait_for(asgi.request(app, scope, disconnect_after_body=True), 5)
        return rv, _cv_context.get(None)

    result, active = run(main())
    assert roads == ["_ScopeRequestContext"]
    assert result.status == 0
    assert events == ["cancelled"]
    assert active is None


def test_disconnect_while_sending_body_is_client_error(app: Tumbler, run: Run, asgi: t.Any) -> None:
    seen: list[int] = []

    @app.errorhandler(400)
    def bad(e: Exception) -> tuple[str, int]:
        seen.append(400)
        return "gone", 400

    @app.route("/", methods=["POST"])
    async def index() -> str:
        return "x"

    async def main() -> t.Any:
        scope = asgi.http_scope(method="POST", headers=[(b"transfer-encoding", b"chunked")])

        async def receive() -> dict[str, t.Any]:
            return {"type": "http.disconnect"}

        sent: list[dict[str, t.Any]] = []

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent

    sent = run(main())
    assert seen == [400]
    assert sent[0]["status"] == 400


def test_streaming_sync_generator_chunks(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        def gen() -> t.Iterator[str]:
            yield "a"
            yield "b"

        return gen()

    result = run(asgi.request(app, asgi.http_scope()))
    bodies = [m for m in result.messages if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"a", b"b", b""]
    assert [m.get("more_body", False) for m in bodies] == [True, True, False]


def test_streaming_async_generator(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.route("/")
    async def index() -> t.Any:
        async def gen() -> t.AsyncIterator[bytes]:
            yield b"1"
            await asyncio.sleep(0)
            yield b"2"

        return gen()

    assert run(asgi.request(app, asgi.http_scope())).body == b"12"


def test_head_sends_no_body(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "content")
    result = run(asgi.request(app, asgi.http_scope(method="HEAD")))
    assert result.status == 200
    assert result.body == b""


def test_asgi_middleware_wraps_asgi_app(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: request.headers.get("X-Added", "no"))
    inner = app.asgi_app

    async def middleware(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        scope = dict(scope, headers=[*scope["headers"], (b"x-added", b"yes")])
        await inner(scope, receive, send)

    app.asgi_app = middleware  # type: ignore[method-assign]
    assert run(asgi.request(app, asgi.http_scope())).body == b"yes"


def test_lifespan_runs_startup_and_shutdown_hooks(app: Tumbler, run: Run) -> None:
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        g.marker = "in app context"
        events.append("startup")

    @app.after_serving
    def stop() -> None:
        events.append("shutdown")

    async def main() -> list[dict[str, t.Any]]:
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            return incoming.pop(0)

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        return sent

    sent = run(main())
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["startup", "shutdown"]


def test_lifespan_startup_failure_is_reported(app: Tumbler, run: Run) -> None:
    @app.before_serving
    def start() -> None:
        raise RuntimeError("db down")

    async def main() -> list[dict[str, t.Any]]:
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            return {"type": "lifespan.startup"}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)
        return sent

    sent = run(main())
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "db down" in sent[0]["message"]


def test_startup_runs_lazily_without_lifespan(app: Tumbler, run: Run, asgi: t.Any) -> None:
    events: list[str] = []
    app.before_serving(lambda: events.append("start"))
    app.add_url_rule("/", "i", lambda: "x")
    run(asgi.request(app, asgi.http_scope()))
    run(asgi.request(app, asgi.http_scope()))
    assert events == ["start"]


def test_websocket_echo(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.websocket("/ws/<name>")
    async def echo(name: str) -> None:
        await websocket.accept()
        while True:
            try:
                message = await websocket.receive()
            except WebSocketDisconnect:
                return
            await websocket.send(f"{name}:{message}" if isinstance(message, str) else message)

    async def main() -> list[t.Any]:
        out: list[t.Any] = []
        async with asgi.WebSocketSession(app, "/ws/bob") as ws:
            out.append((await ws.next_message())["type"])
            await ws.send_text("hi")
            out.append((await ws.next_message())["text"])
            await ws.send_bytes(b"\x00\x01")
            out.append((await ws.next_message())["bytes"])
        return out

    assert run(main()) == ["websocket.accept", "bob:hi", b"\x00\x01"]


def test_websocket_json_and_close(app: Tumbler, run: Run, asgi: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept(subprotocol="chat")
        data = await websocket.receive_json()
        await websocket.send_json({"got": data, "path": request.path})
        await websocket.close(4000, "done")

    async def main() -> list[dict[str, t.Any]]:
        async with asgi.WebSocketSession(app, "/ws", subprotocols=["chat"]) as ws:
            accept = await ws.next_message()
            await ws.send_text('{"x": 1}')
            reply = await ws.next_message()
            close = await ws.next_message()
        return [accept, reply, close]

    accept, reply, close = run(main())
    assert accept["subprotocol"] == "chat"
    assert json.loads(reply["text"]) == {"got": {"x": 1}, "path": "/ws"}
    assert close == {"type": "websocket.close", "code": 4000, "reason": "done"}


def test_websocket_to_http_route_is_closed_with_1008(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "http only")

    async def main() -> dict[str, t.Any]:
        async with asgi.WebSocketSession(app, "/") as ws:
            return await ws.next_message()

    message = run(main())
    assert message["type"] == "websocket.close"
    assert message["code"] == 1008


def test_websocket_unknown_path_is_closed_with_1008(app: Tumbler, run: Run, asgi: t.Any) -> None:
    async def main() -> dict[str, t.Any]:
        async with asgi.WebSocketSession(app, "/nowhere") as ws:
            return await ws.next_message()

    assert run(main())["code"] == 1008


def test_websocket_handler_error_closes_with_1011(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        raise RuntimeError("boom")

    async def main() -> list[dict[str, t.Any]]:
        async with asgi.WebSocketSession(app, "/ws") as ws:
            return [await ws.next_message(), await ws.next_message()]

    accept, close = run(main())
    assert accept["type"] == "websocket.accept"
    assert close["code"] == 1011


def test_websocket_teardown_runs(app: Tumbler, run: Run, asgi: t.Any) -> None:
    events: list[str] = []
    app.teardown_request(lambda exc: events.append("teardown"))

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()

    async def main() -> None:
        async with asgi.WebSocketSession(app, "/ws") as ws:
            await ws.next_message()
            await ws.next_message()

    run(main())
    assert events == ["teardown"]


def test_websocket_handler_must_be_async(app: Tumbler) -> None:
    with pytest.raises(TypeError, match="async def"):

        @app.websocket("/ws")
        def handler() -> None:
            pass


def test_unknown_scope_type_is_refused(app: Tumbler, run: Run) -> None:
    async def receive() -> dict[str, t.Any]:
        return {}

    async def send(message: dict[str, t.Any]) -> None:
        pass

    with pytest.raises(ValueError, match="Unsupported ASGI scope"):
        run(app({"type": "weird"}, receive, send))


def test_servers_detect_the_asgi3_interface() -> None:
    # uvicorn and hypercorn choose ASGI 3 only for a coroutine function; the app's __call__
    # must look like one although it also serves WSGI.
    assert asyncio.iscoroutinefunction(Tumbler(__name__).__call__)


def test_asgi2_single_argument_call_serves_the_request(app: Tumbler) -> None:
    @app.route("/")
    def index() -> str:
        return "two"

    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "2.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }
    instance = app(scope)
    asyncio.run(instance(receive, send))
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"two"


def test_invalid_utf8_in_raw_path_is_400(app: Tumbler, run: Run, asgi: t.Any) -> None:
    # Servers decode %FF as U+FFFD in "path"; only "raw_path" shows the byte was invalid.
    app.add_url_rule("/<name>", "name", lambda name: name)
    scope = asgi.http_scope("/\ufffd")
    scope["raw_path"] = b"/%FF"
    result = run(asgi.request(app, scope))
    assert result.status == 400
    assert b"not valid UTF-8" in result.body


def test_encoded_replacement_character_in_path_is_valid(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    app.add_url_rule("/<name>", "name", lambda name: name)
    scope = asgi.http_scope("/\ufffd")
    scope["raw_path"] = b"/%EF%BF%BD"
    result = run(asgi.request(app, scope))
    assert result.status == 200
    assert result.body == "\ufffd".encode()


def test_websocket_with_invalid_utf8_in_raw_path_is_closed(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    @app.websocket("/<name>")
    async def ws(name: str) -> None:
        await websocket.accept()

    async def main() -> dict[str, t.Any]:
        session = asgi.WebSocketSession(app, "/\ufffd")
        session.scope["raw_path"] = b"/%FF"
        async with session:
            return t.cast(dict[str, t.Any], await session.next_message())

    message = run(main())
    assert message["type"] == "websocket.close"
    assert message["code"] == 1008


@pytest.mark.parametrize("http_version", ["2", "3"])
def test_http2_body_without_content_length_is_read(
    app: Tumbler, run: Run, asgi: t.Any, http_version: str
) -> None:
    # HTTP/2 and HTTP/3 frame the body themselves; Content-Length is optional there.
    @app.post("/sync")
    def sync_view() -> str:
        return request.get_data(as_text=True)

    @app.post("/async")
    async def async_view() -> str:
        return request.get_data(as_text=True)

    for path in ("/sync", "/async"):
        scope = asgi.http_scope(path, method="POST")
        scope["http_version"] = http_version
        result = run(asgi.request(app, scope, [b"hello ", b"there"]))
        assert result.status == 200
        assert result.body == b"hello there"


def test_http2_body_without_content_length_is_bounded(app: Tumbler, run: Run, asgi: t.Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    async def index() -> str:
        return request.get_data(as_text=True)

    scope = asgi.http_scope(method="POST")
    scope["http_version"] = "2"
    assert run(asgi.request(app, scope, [b"x" * 6, b"x" * 6])).status == 413


def test_disconnect_during_sync_stream_step_closes_the_generator(
    app: Tumbler, run: Run, asgi: t.Any
) -> None:
    # The client leaves while a generator step runs in the thread pool: the response is
    # closed once the step returns (closing an executing generator would fail).
    events: list[str] = []
    started = threading.Event()

    @app.route("/")
    def index() -> t.Any:
        def gen() -> t.Iterator[str]:
            try:
                started.set()
                time.sleep(0.2)
                yield "a"
                time.sleep(0.2)
                yield "b"
            finally:
                events.append("closed")

        return gen()

    async def main() -> t.Any:
        return await asyncio.wait_for(
            asgi.request(app, asgi.http_scope(), disconnect_after_body=True), 5
        )

    result = run(main())
    assert started.is_set()
    assert result.status == 200
    assert events == ["closed"]


def test_inspect_sees_the_call_as_a_coroutine_function() -> None:
    # hypercorn decides between ASGI and WSGI with inspect.iscoroutinefunction(app.__call__).
    app = Tumbler(__name__)
    assert inspect.iscoroutinefunction(app.__call__)
    assert asyncio.iscoroutinefunction(app.__call__)


# -- raw request headers: read in any case, never decoded when the checks need no more ------


@pytest.mark.parametrize("name", [b"host", b"Host", b"HOST"])
def test_host_check_reads_raw_names_in_any_case(name: bytes, run: Run, asgi: t.Any) -> None:
    app = Tumbler(__name__)
    app.config["TRUSTED_HOSTS"] = ["good.example"]
    app.add_url_rule("/", "i", lambda: "ok")

    bad = run(asgi.request(app, asgi.http_scope(headers=[(name, b"evil.example")])))
    good = run(asgi.request(app, asgi.http_scope(headers=[(name, b"good.example")])))
    assert (bad.status, good.status) == (400, 200)


def test_header_limits_count_raw_bytes(run: Run, asgi: t.Any) -> None:
    app = Tumbler(__name__)
    app.config.update(MAX_HEADER_BYTES=100, MAX_HEADER_COUNT=5)
    app.add_url_rule("/", "i", lambda: "ok")
    host = [(b"host", b"localhost")]

    def status(headers: list[tuple[bytes, bytes]]) -> int:
        return t.cast(int, run(asgi.request(app, asgi.http_scope(headers=headers))).status)

    assert status([*host, (b"x-big", b"a" * 100)]) == 431
    assert status(host + [(b"x-n", b"1")] * 5) == 431
    assert status([*host, (b"x-n", b"1")]) == 200


def test_capitalised_content_length_announces_a_body(run: Run, asgi: t.Any) -> None:
    app = Tumbler(__name__)

    @app.route("/", methods=["POST"])
    async def echo() -> bytes:
        # On the loop the body is read only if the front end saw the capitalised header.
        return request.get_data()

    scope = asgi.http_scope(
        method="POST", headers=[(b"Host", b"localhost"), (b"Content-Length", b"5")]
    )
    result = run(asgi.request(app, scope, [b"hello"]))
    assert (result.status, result.body) == (200, b"hello")


def test_bytearray_header_names_are_read_like_bytes(run: Run, asgi: t.Any) -> None:
    # Servers send bytes; a bytearray (unhashable) must still be checked, not crash the app.
    app = Tumbler(__name__)
    app.config["TRUSTED_HOSTS"] = ["good.example"]

    @app.route("/", methods=["POST"])
    async def echo() -> bytes:
        return request.get_data()

    def scope(host: bytes) -> dict[str, t.Any]:
        headers = [(bytearray(b"host"), host), (bytearray(b"content-length"), b"2")]
        return t.cast(dict[str, t.Any], asgi.http_scope(method="POST", headers=headers))

    good = run(asgi.request(app, scope(b"good.example"), [b"hi"]))
    bad = run(asgi.request(app, scope(b"evil.example"), [b"hi"]))
    assert (good.status, good.body) == (200, b"hi")
    assert bad.status == 400
