"""The short roads answer exactly as the full pipeline does.

An app with nothing registered around its views (no hooks, no signal receivers, no overridden
pipeline step) is served on a short road: WSGI runs a sync view without a coroutine, and neither
protocol enters an application context or binds a URL adapter unless the view needs one. Under
WSGI a GET or HEAD to a sync view seen before goes shorter still (``_respond_environ``): no
request object unless the view reads it, and no response object for a text answer. Each test
here serves the same requests from a plain app and from the same app with a no-op
``before_request`` hook (which sends every request down the full pipeline), and compares the
answers, over WSGI and ASGI.
"""

from __future__ import annotations

import asyncio
import re
import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler
from tumbler import abort
from tumbler import after_this_request
from tumbler import copy_current_request_context
from tumbler import g
from tumbler import jsonify
from tumbler import redirect
from tumbler import request
from tumbler import session
from tumbler import stream_with_context
from tumbler import url_for
from tumbler.ctx import RequestContext
from tumbler.globals import _cv_context

CALLS: list[str] = []


def build(full_road: bool) -> Tumbler:
    app = Tumbler("roads")
    app.config.update(SECRET_KEY="roads", TRUSTED_HOSTS=["localhost"])

    @app.route("/text")
    def text() -> str:
        return "plain text"

    @app.route("/bytes")
    def as_bytes() -> bytes:
        return b"\x00bytes"

    @app.route("/tuple")
    def as_tuple() -> t.Any:
        return "made", 201, {"X-Extra": "1"}

    @app.route("/dict")
    def as_dict() -> dict[str, t.Any]:
        return {"a": [1, 2], "b": None}

    @app.route("/json")
    def as_json() -> Response:
        return jsonify(ok=True)

    @app.route("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return f"item {item_id} {url_for('item', item_id=item_id + 1)}"

    @app.route("/async")
    async def async_view() -> str:
        return "async"

    @app.route("/async/<int:n>")
    async def async_sleeps(n: int) -> str:
        for _ in range(n):
            await asyncio.sleep(0)  # suspends: the disconnect watcher starts
        return f"slept {n} {request.args.get('q', '-')}"

    @app.route("/async/session")
    async def async_session() -> str:
        session["seen"] = session.get("seen", 0) + 1
        return f"seen {session['seen']}"

    @app.route("/async/after")
    async def async_after() -> str:
        @after_this_request
        def add_header(response: Response) -> Response:
            response.headers["X-After"] = "async"
            return response

        return "after"

    @app.route("/async/crash")
    async def async_crash() -> str:
        raise LookupError("async")

    @app.route("/async/dict")
    async def async_dict() -> dict[str, int]:
        return {"n": 1}

    @app.route("/async/stream")
    async def async_stream() -> Response:
        async def generate() -> t.AsyncIterator[str]:
            yield "x"
            await asyncio.sleep(0)
            yield "y"

        return Response(generate())

    @app.route("/async/g")
    async def async_g() -> str:
        g.n = 2
        return f"g {g.n} {url_for('async_g')}"

    @app.route("/args")
    def args() -> str:
        return repr(sorted(request.args.items(multi=True)))

    @app.route("/form", methods=["POST"])
    def form() -> str:
        return repr(sorted(request.form.items(multi=True)))

    @app.route("/g")
    def uses_g() -> str:
        g.value = "set"
        return f"{g.value} {g.get('missing', 'default')}"

    @app.route("/session/set")
    def session_set() -> str:
        session["who"] = request.args.get("who", "nobody")
        return "stored"

    @app.route("/session/get")
    def session_get() -> str:
        return session.get("who", "none")

    @app.route("/after")
    def after() -> str:
        @after_this_request
        def add_header(response: Response) -> Response:
            response.headers["X-After"] = "yes"
            return response

        return "after"

    @app.route("/abort")
    def aborts() -> str:
        abort(418)

    @app.route("/crash")
    def crash() -> str:
        raise KeyError("boom")

    @app.route("/handled")
    def handled() -> str:
        raise LookupError("handled")

    @app.errorhandler(LookupError)
    def on_lookup(e: LookupError) -> tuple[str, int]:
        if isinstance(e, KeyError):
            raise e
        return f"handled: {e}", 409

    @app.route("/none")
    def returns_none() -> None:
        return None

    @app.route("/redirect")
    def goes() -> Response:
        return redirect(url_for("text"))

    @app.route("/slash/")
    def slash() -> str:
        return "slash"

    @app.route("/stream")
    def stream() -> Response:
        def generate() -> t.Iterator[str]:
            yield "a"
            yield request.path

        return Response(stream_with_context(generate()))

    @app.route("/copy")
    def copies() -> str:
        @copy_current_request_context
        def later() -> str:
            return f"{request.path} {session.get('who', 'none')}"

        return later()

    @app.route("/teardown-free")
    def context_state() -> str:
        ctx = _cv_context.get()
        assert isinstance(ctx, RequestContext)
        return f"{ctx.request.endpoint} {ctx.app_ctx.app is app}"

    if full_road:

        @app.before_request
        def noop() -> None:
            CALLS.append(request.path)

    return app


REQUESTS: list[tuple[str, str, dict[str, t.Any]]] = [
    ("GET", "/text", {}),
    ("HEAD", "/text", {}),
    ("GET", "/bytes", {}),
    ("GET", "/tuple", {}),
    ("GET", "/dict", {}),
    ("GET", "/json", {}),
    ("GET", "/items/41", {}),
    ("GET", "/items/x", {}),
    ("GET", "/async", {}),
    ("GET", "/args", {"query_string": "b=2&a=1&a=+3%21"}),
    ("POST", "/form", {"data": {"x": "1", "y": "two words"}}),
    ("POST", "/form", {"data": {"x": "1"}, "headers": {"Sec-Fetch-Site": "cross-site"}}),
    ("POST", "/text", {}),
    ("OPTIONS", "/text", {}),
    ("GET", "/g", {}),
    ("GET", "/after", {}),
    ("GET", "/abort", {}),
    ("GET", "/handled", {}),
    ("GET", "/crash", {}),
    ("GET", "/none", {}),
    ("GET", "/redirect", {}),
    ("GET", "/slash", {}),
    ("GET", "/missing", {}),
    ("GET", "/stream", {}),
    ("GET", "/teardown-free", {}),
    ("GET", "/text", {"headers": {"Host": "evil.example"}}),
    ("GET", "/text", {"headers": {"Cookie": "other=1"}}),
    ("GET", "/text", {"environ_overrides": {"CONTENT_LENGTH": "abc"}}),
    ("GET", "/text", {"query_string": "q=%C3%A9"}),
    ("GET", "/text", {"base_url": "https://localhost"}),
    ("GET", "/session/get", {}),
    ("GET", "/session/set", {"query_string": "who=ada"}),
    ("GET", "/copy", {}),
    ("HEAD", "/items/7", {}),
    ("GET", "/form", {}),
    ("GET", "/async/0", {}),
    ("GET", "/async/3", {"query_string": "q=x"}),
    ("HEAD", "/async/3", {}),
    ("GET", "/async/session", {}),
    ("GET", "/async/after", {}),
    ("GET", "/async/crash", {}),
    ("GET", "/async/dict", {}),
    ("GET", "/async/stream", {}),
    ("GET", "/async/g", {}),
    ("GET", "/async", {"headers": {"Cookie": "a=b"}}),
    ("GET", "/async", {"base_url": "https://localhost"}),
    ("POST", "/async", {}),
]

#: The requests a warmed-up plain app serves under ASGI before a request object exists.
SCOPE_ROAD = {
    ("GET", "/async"),
    ("GET", "/async/0"),
    ("GET", "/async/3"),
    ("HEAD", "/async/3"),
    ("GET", "/async/session"),
    ("GET", "/async/after"),
    ("GET", "/async/crash"),
    ("GET", "/async/dict"),
    ("GET", "/async/stream"),
    ("GET", "/async/g"),
}

#: The requests a warmed-up plain app serves under WSGI before a request object exists.
ENVIRON_ROAD = {
    ("GET", "/text"),
    ("HEAD", "/text"),
    ("GET", "/bytes"),
    ("GET", "/tuple"),
    ("GET", "/dict"),
    ("GET", "/json"),
    ("GET", "/items/41"),
    ("GET", "/args"),
    ("GET", "/g"),
    ("GET", "/after"),
    ("GET", "/abort"),
    ("GET", "/handled"),
    ("GET", "/crash"),
    ("GET", "/none"),
    ("GET", "/redirect"),
    ("GET", "/stream"),
    ("GET", "/teardown-free"),
    ("GET", "/session/get"),
    ("GET", "/session/set"),
    ("GET", "/copy"),
    ("HEAD", "/items/7"),
}


_NONCE = re.compile(r"nonce-[A-Za-z0-9_-]+")


def answer(app: Tumbler, asgi: bool, method: str, path: str, kwargs: dict[str, t.Any]) -> t.Any:
    """The answer to the request, asked twice (the second time the app knows the view)."""
    answers = []
    for _ in range(2):
        client = app.test_client(asgi=asgi)
        rv = client.open(path, method=method, **kwargs)
        headers = sorted((k, _stable(app, v)) for k, v in rv.headers.items() if k != "Date")
        answers.append((rv.status, headers, rv.get_data()))
    assert answers[0] == answers[1]
    return answers[1]


def _stable(app: Tumbler, value: str) -> str:
    # What varies between two identical requests: CSP nonces, and the signing time inside a
    # session cookie (compared by the data it holds instead).
    value = _NONCE.sub("nonce-*", value)
    name, _, rest = value.partition("=")
    if name == app.config["SESSION_COOKIE_NAME"]:
        signed, _, attributes = rest.partition(";")
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        return f"{name}={serializer.loads(signed)!r};{attributes}"
    return value


def took_lazy_road(app: Tumbler) -> list[bool]:
    """Record, per view run for ``app``, whether it ran before a request object existed."""
    from tumbler.ctx import _EnvironRequestContext
    from tumbler.ctx import _LazyRequestContext

    taken: list[bool] = []
    serve = app._serve_view

    def spy(ctx: RequestContext, *args: t.Any) -> t.Any:
        taken.append(isinstance(ctx, _EnvironRequestContext))
        return serve(ctx, *args)

    app._serve_view = spy  # type: ignore[method-assign]

    serve_async = app._serve_view_async

    async def spy_async(ctx: RequestContext, *args: t.Any) -> t.Any:
        taken.append(isinstance(ctx, _LazyRequestContext))
        return await serve_async(ctx, *args)

    app._serve_view_async = spy_async  # type: ignore[method-assign]
    return taken


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_short_road_answers_as_the_full_pipeline(
    asgi: bool, method: str, path: str, kwargs: dict[str, t.Any]
) -> None:
    CALLS.clear()
    plain = build(False)

    def refuse_full_road(*args: t.Any) -> t.NoReturn:
        raise AssertionError("a plain app took the full pipeline")

    plain._handle_full = refuse_full_road  # type: ignore[method-assign]
    taken = took_lazy_road(plain)
    short = answer(plain, asgi, method, path, kwargs)
    assert CALLS == []
    # A foreign host or a bad Content-Length is refused before any road runs a view.
    refused = "Host" in kwargs.get("headers", {}) or "CONTENT_LENGTH" in kwargs.get(
        "environ_overrides", {}
    )
    expected = (method, path) in (SCOPE_ROAD if asgi else ENVIRON_ROAD) and not refused
    assert (taken[-1:] == [True]) is expected
    full = answer(build(True), asgi, method, path, kwargs)
    assert short == full


@pytest.mark.parametrize(
    "config",
    [
        {"HSTS_SECONDS": 3600, "HSTS_INCLUDE_SUBDOMAINS": True},
        {"CONTENT_SECURITY_POLICY": {"default-src": "'self'"}},
        {"CONTENT_SECURITY_POLICY": {"script-src": "'nonce'"}},
        {"SECURITY_HEADERS": {"X-Frame-Options": None, "X-Extra": "1"}},
        {"SECURITY_HEADERS": {"Content-Type": "text/plain"}},
        {"TRUSTED_HOSTS": ["localhost"], "MAX_HEADER_COUNT": 3},
        {"MAX_HEADER_BYTES": 40},
    ],
)
@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
def test_environ_road_answers_as_the_full_pipeline_under_any_config(
    config: dict[str, t.Any], base_url: str
) -> None:
    answers = []
    for full_road in (False, True):
        app = build(full_road)
        app.config.update(config)
        answers.append(answer(app, False, "GET", "/text", {"base_url": base_url}))
    assert answers[0] == answers[1]


def test_environ_road_follows_the_response_class() -> None:
    answers = []
    for full_road in (False, True):
        app = build(full_road)

        class TextResponse(Response):
            default_mimetype = "text/plain"

        app.response_class = TextResponse
        answers.append(answer(app, False, "GET", "/text", {}))
        TextResponse.default_status = 203
        answers.append(answer(app, False, "GET", "/text", {}))
    assert answers[0] == answers[2]
    assert answers[1] == answers[3]
    assert answers[0][0] == "200 OK"
    assert answers[1][0].startswith("203 ")
    assert ("Content-Type", "text/plain; charset=utf-8") in answers[0][1]


def test_environ_road_builds_the_request_only_when_read() -> None:
    from tumbler.ctx import _EnvironRequestContext

    app = build(False)
    seen: list[bool] = []

    @app.route("/peek")
    def peek() -> str:
        ctx = _cv_context.get()
        assert isinstance(ctx, _EnvironRequestContext)
        seen.append(ctx._source is None)
        path = request.path
        seen.append(ctx._source is None)
        return path

    client = app.test_client()
    client.get("/peek")  # the first request to a view takes the usual road
    seen.clear()
    assert client.get("/peek").get_data() == b"/peek"
    assert seen == [False, True]


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_session_round_trip_on_both_roads(asgi: bool) -> None:
    for full_road in (False, True):
        client = build(full_road).test_client(asgi=asgi)
        assert client.get("/session/get").get_data() == b"none"
        client.get("/session/set?who=ada")
        assert client.get("/session/get").get_data() == b"ada"


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_unhandled_error_propagates_in_testing_on_both_roads(asgi: bool) -> None:
    for full_road in (False, True):
        app = build(full_road)
        app.config["TESTING"] = True
        with pytest.raises(KeyError):
            app.test_client(asgi=asgi).get("/crash")


def test_the_short_road_leaves_no_context_behind() -> None:
    app = build(False)
    client = app.test_client()
    for path in ("/text", "/crash", "/g", "/missing", "/stream"):
        client.get(path)
        assert _cv_context.get(None) is None


def test_a_hook_added_later_is_run() -> None:
    app = build(False)
    client = app.test_client()
    assert client.get("/text").status_code == 200
    seen: list[str] = []
    # Setup methods are closed after the first request; the hook dicts are still read per
    # request, so a hook added to them directly moves the app to the full pipeline.
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append(request.path))
    client.get("/text")
    assert seen == ["/text"]


def test_signal_receivers_move_the_app_to_the_full_pipeline() -> None:
    from tumbler.signals import request_started

    app = build(False)
    seen: list[str] = []

    def receiver(sender: Tumbler, **extra: t.Any) -> None:
        seen.append(request.path)

    with request_started.connected_to(receiver, app):
        app.test_client().get("/text")
    assert seen == ["/text"]


def test_receivers_for_another_app_leave_this_one_plain() -> None:
    from tumbler.signals import request_started

    app = build(False)
    other = build(False)
    seen: list[str] = []

    def receiver(sender: Tumbler, **extra: t.Any) -> None:
        seen.append(request.path)

    def refuse_full_road(*args: t.Any) -> t.NoReturn:
        raise AssertionError("a plain app took the full pipeline")

    app._handle_full = refuse_full_road  # type: ignore[method-assign]
    with request_started.connected_to(receiver, other):
        assert app.test_client().get("/text").status_code == 200
        assert other.test_client().get("/text").status_code == 200
    assert seen == ["/text"]


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_url_for_with_an_unbindable_host_is_a_4xx(asgi: bool) -> None:
    from tumbler.exceptions import BadHost

    class Picky(Tumbler):
        def create_url_adapter(self, request: t.Any) -> t.Any:
            if request is not None:
                raise BadHost("This host cannot be bound.")
            return super().create_url_adapter(request)

    app = Picky("picky")

    @app.route("/")
    def index() -> str:
        return url_for("index")

    rv = app.test_client(asgi=asgi).get("/")
    assert rv.status_code == 400


def test_environ_road_honours_an_overridden_make_response() -> None:
    class ShoutingApp(Tumbler):
        def make_response(self, rv: t.Any) -> Response:
            if isinstance(rv, str):
                rv = rv.upper()
            return super().make_response(rv)

    app = ShoutingApp("roads")

    @app.route("/")
    def index() -> str:
        return "quiet"

    client = app.test_client()
    assert [client.get("/").get_data() for _ in range(2)] == [b"QUIET", b"QUIET"]


def test_environ_road_builds_every_request_of_a_request_class_with_its_own_init() -> None:
    from tumbler.wrappers import Request

    built: list[str] = []

    class CountingRequest(Request):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self.path)

    app = Tumbler("roads")
    app.request_class = CountingRequest

    @app.route("/")
    def index() -> str:
        return "never reads the request"

    client = app.test_client()
    client.get("/")
    client.get("/")
    assert built == ["/", "/"]
