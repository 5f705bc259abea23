"""The app that tests/test_servers.py serves under real WSGI and ASGI servers.

Every server imports this same module (``servers_app:app``). It runs in production mode (no
debug, no testing) so the default protections apply as they would in a deployment. The
``TUMBLER_SERVER_MARKER`` environment variable names a file that the serving hooks append
``startup`` and ``shutdown`` lines to, so the test can see the lifespan from outside.

``/debug/live`` reports the app's own bookkeeping: application contexts pushed and not yet
popped, requests whose teardown has not run, async views still running, and how many were
cancelled. A client that disconnects must leave all of these back at zero.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
import typing as t

from tumbler import Response
from tumbler import Tumbler
from tumbler import appcontext_popped
from tumbler import appcontext_pushed
from tumbler import g
from tumbler import jsonify
from tumbler import request
from tumbler import session
from tumbler import stream_with_context
from tumbler import websocket

#: The body limit the server tests exceed to get a 413.
MAX_CONTENT_LENGTH = 64 * 1024
#: The endpoint that reports the counters; its own request is not counted.
DEBUG_ENDPOINT = "debug_live"

app = Tumbler(__name__)
app.config.update(
    SECRET_KEY="server tests only",
    MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
    TESTING=False,
    DEBUG=False,
)

_lock = threading.Lock()
_counters = {
    "app_contexts": 0,
    "requests": 0,
    "views_running": 0,
    "views_cancelled": 0,
    "streams_running": 0,
}


def _bump(name: str, delta: int) -> None:
    # Sync views run in server or pool threads, so the counters are shared across threads.
    with _lock:
        _counters[name] += delta


def _write_marker(event: str) -> None:
    path = os.environ.get("TUMBLER_SERVER_MARKER")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{event} {os.getpid()}\n")


@app.before_serving
def _startup() -> None:
    _write_marker("startup")


@app.after_serving
def _shutdown() -> None:
    _write_marker("shutdown")


def _on_app_context_pushed(sender: t.Any, **extra: t.Any) -> None:
    _bump("app_contexts", 1)


def _on_app_context_popped(sender: t.Any, **extra: t.Any) -> None:
    _bump("app_contexts", -1)


appcontext_pushed.connect(_on_app_context_pushed, app)
appcontext_popped.connect(_on_app_context_popped, app)


@app.before_request
def _count_request() -> None:
    if request.endpoint != DEBUG_ENDPOINT:
        _bump("requests", 1)
        g.counted = True


@app.teardown_request
def _uncount_request(exc: BaseException | None) -> None:
    # Teardown also runs for requests refused before the before_request hooks (413, 404...).
    if g.pop("counted", False):
        _bump("requests", -1)


@app.get("/")
def hello() -> str:
    return "Hello, servers!"


@app.get("/users/<int:user_id>")
def user(user_id: int) -> Response:
    return jsonify(
        user_id=user_id, tags=request.args.getlist("tag"), page=request.args.get("page", type=int)
    )


@app.post("/echo-json")
def echo_json() -> Response:
    return jsonify(received=request.get_json())


@app.post("/async-echo")
async def async_echo() -> Response:
    return jsonify(size=len(request.get_data()))


@app.post("/form")
def form() -> Response:
    return jsonify(request.form.to_dict(flat=False))


@app.post("/upload")
def upload() -> Response:
    storage = request.files["file"]
    data = storage.read()
    return jsonify(
        filename=storage.filename,
        content_type=storage.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        note=request.form.get("note"),
    )


@app.get("/async")
async def async_view() -> Response:
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    # Counting on the loop object itself shows whether one loop serves many requests (a new
    # loop per request would always report 1).
    hits = getattr(loop, "_tumbler_server_test_hits", 0) + 1
    loop._tumbler_server_test_hits = hits  # type: ignore[attr-defined]
    return jsonify(thread=threading.get_ident(), loop_hits=hits)


@app.get("/sync")
def sync_view() -> Response:
    running = asyncio._get_running_loop() is not None
    return jsonify(thread=threading.get_ident(), loop_running=running)


@app.get("/slow")
async def slow() -> str:
    _bump("views_running", 1)
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        _bump("views_cancelled", 1)
        raise
    finally:
        _bump("views_running", -1)
    return "finished"


#: Seconds between the chunks of the streamed responses.
STREAM_PAUSE = 0.15
#: How many chunks the streamed responses send.
STREAM_CHUNKS = 3


@app.get("/stream")
def stream() -> Response:
    def generate() -> t.Iterator[str]:
        for i in range(STREAM_CHUNKS):
            if i:
                time.sleep(STREAM_PAUSE)
            yield f"chunk {i}\n"

    return Response(generate(), mimetype="text/plain")


@app.get("/astream")
async def astream() -> Response:
    async def generate() -> t.AsyncIterator[str]:
        for i in range(STREAM_CHUNKS):
            if i:
                await asyncio.sleep(STREAM_PAUSE)
            yield f"chunk {i}\n"

    return Response(generate(), mimetype="text/plain")


@app.get("/endless")
def endless() -> Response:
    # Streams until the client goes away; the request context stays pushed while it runs.
    @stream_with_context
    def generate() -> t.Iterator[str]:
        _bump("streams_running", 1)
        try:
            while True:
                yield f"{request.path}\n"
                time.sleep(0.02)
        finally:
            _bump("streams_running", -1)

    return Response(generate(), mimetype="text/plain")


@app.get("/aendless")
async def aendless() -> Response:
    async def generate() -> t.AsyncIterator[str]:
        _bump("streams_running", 1)
        try:
            while True:
                yield "tick\n"
                await asyncio.sleep(0.02)
        finally:
            _bump("streams_running", -1)

    return Response(generate(), mimetype="text/plain")


@app.get("/session/set/<value>")
def session_set(value: str) -> str:
    session["value"] = value
    return "stored"


@app.get("/session/get")
def session_get() -> Response:
    return jsonify(value=session.get("value"))


@app.get("/debug/live", endpoint=DEBUG_ENDPOINT)
def debug_live() -> Response:
    with _lock:
        counters = dict(_counters)
    # This request's own application context is live while it answers.
    counters["app_contexts"] -= 1
    return jsonify(counters)


@app.websocket("/ws")
async def echo_socket() -> None:
    await websocket.accept()
    while True:
        message = await websocket.receive()
        await websocket.send(message)


# -- a plain app: nothing registered around its views ---------------------------------------
#
# Served as ``servers_app:plain_app``: with no hooks and no signal receivers, its GET and HEAD
# requests take the front ends' shortest roads (no request or response object unless needed).
# ``/road`` and ``/aroad`` name the kind of request context their view runs in.

plain_app = Tumbler("servers_plain")
plain_app.config.update(SECRET_KEY="server tests only", TESTING=False, DEBUG=False)
_plain_counters = {"running": 0, "cancelled": 0}


def _plain_bump(name: str, delta: int) -> None:
    with _lock:
        _plain_counters[name] += delta


@plain_app.get("/")
def plain_hello() -> str:
    return "Hello, plain!"


@plain_app.get("/async")
async def plain_async() -> str:
    await asyncio.sleep(0)
    return "Hello, async plain!"


@plain_app.get("/args")
def plain_args() -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))


@plain_app.get("/road")
def plain_road() -> str:
    from tumbler.globals import _cv_context

    return type(_cv_context.get()).__name__


@plain_app.get("/aroad")
async def plain_aroad() -> str:
    from tumbler.globals import _cv_context

    return type(_cv_context.get()).__name__


@plain_app.get("/count")
def plain_count() -> str:
    session["n"] = session.get("n", 0) + 1
    return str(session["n"])


@plain_app.get("/slow")
async def plain_slow() -> str:
    if "warm" in request.args:
        return "warm"
    _plain_bump("running", 1)
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        _plain_bump("cancelled", 1)
        raise
    finally:
        _plain_bump("running", -1)
    return "never"


@plain_app.get("/live")
def plain_live() -> Response:
    with _lock:
        return jsonify(_plain_counters)
