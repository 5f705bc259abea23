"""The short roads answer exactly as the full pipeline does.

An app with nothing registered around its views (no hooks, no signal receivers, no overridden
pipeline step) is served on a short road: WSGI runs a sync view without a coroutine, and neither
protocol enters an application context or binds a URL adapter unless the view needs one. Each
test here serves the same requests twice, from a plain app and from the same app with a no-op
``before_request`` hook (which sends every request down the full pipeline), and compares the
answers, over WSGI and ASGI.
"""

from __future__ import annotations

import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler
from tumbler import abort
from tumbler import after_this_request
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
]


def answer(app: Tumbler, asgi: bool, method: str, path: str, kwargs: dict[str, t.Any]) -> t.Any:
    client = app.test_client(asgi=asgi)
    rv = client.open(path, method=method, **kwargs)
    headers = sorted((k, v) for k, v in rv.headers.items() if k != "Date")
    return rv.status, headers, rv.get_data()


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
    short = answer(plain, asgi, method, path, kwargs)
    assert CALLS == []
    full = answer(build(True), asgi, method, path, kwargs)
    assert short == full


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
