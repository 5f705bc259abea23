"""What views may return, and how make_response turns it into a response (over WSGI and ASGI)."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler
from tumbler import make_response
from tumbler import stream_with_context
from tumbler.datastructures import Headers
from tumbler.exceptions import NotFound


def test_str_return_is_html_body(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "index", lambda: "Hello")
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.data == b"Hello"
    assert rv.mimetype == "text/html"


def test_bytes_and_bytearray_returns_are_bodies(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/b", "b", lambda: b"raw")
    app.add_url_rule("/ba", "ba", lambda: bytearray(b"arr"))
    assert client.get("/b").data == b"raw"
    assert client.get("/ba").data == b"arr"


def test_dict_and_list_returns_are_json(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/d", "d", lambda: {"a": 1})
    app.add_url_rule("/l", "l", lambda: [1, 2])
    rv = client.get("/d")
    assert rv.mimetype == "application/json"
    assert rv.json == {"a": 1}
    assert client.get("/l").json == [1, 2]


def test_generator_return_is_streamed(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        def gen() -> t.Iterator[str]:
            yield "a"
            yield "b"

        return gen()

    assert client.get("/").data == b"ab"


def test_async_generator_return_is_streamed(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    async def index() -> t.Any:
        async def gen() -> t.AsyncIterator[bytes]:
            yield b"x"
            await asyncio.sleep(0)
            yield b"y"

        return gen()

    assert client.get("/").data == b"xy"


def test_tuple_with_status(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: ("Created", 201))
    rv = client.get("/")
    assert rv.status_code == 201
    assert rv.data == b"Created"


def test_tuple_with_string_status(app: Tumbler, client: t.Any) -> None:
    # ASGI carries only the code, so the reason phrase is checked over WSGI alone.
    app.add_url_rule("/", "i", lambda: ("x", "299 CUSTOM"))
    rv = client.get("/")
    assert rv.status_code == 299
    if not client.asgi:
        assert rv.status == "299 CUSTOM"


def test_tuple_with_headers_dict_or_list(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/d", "d", lambda: ("x", {"X-A": "1"}))
    app.add_url_rule("/l", "l", lambda: ("x", [("X-B", "2")]))
    app.add_url_rule("/h", "h", lambda: ("x", Headers({"X-C": "3"})))
    assert client.get("/d").headers["X-A"] == "1"
    assert client.get("/l").headers["X-B"] == "2"
    assert client.get("/h").headers["X-C"] == "3"


def test_three_tuple_sets_status_and_headers(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: ({"ok": True}, 202, {"X-Z": "z"}))
    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.headers["X-Z"] == "z"
    assert rv.json == {"ok": True}


def test_response_object_is_used_as_is(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: Response("r", status=203, mimetype="text/plain"))
    rv = client.get("/")
    assert rv.status_code == 203
    assert rv.mimetype == "text/plain"


def test_response_with_status_override_in_tuple(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: (Response("r"), 404))
    assert client.get("/").status_code == 404


def test_http_exception_return_becomes_its_response(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: NotFound())
    assert client.get("/").status_code == 404


def test_none_return_raises_clear_type_error(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> None:
        pass

    with pytest.raises(TypeError, match="did not return a valid response"):
        client.get("/")


def test_unsupported_return_type_raises_type_error(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: 42)
    with pytest.raises(TypeError, match="it was a int"):
        client.get("/")


def test_bad_tuple_length_raises_type_error(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: ("a", 200, {}, "extra"))
    with pytest.raises(TypeError, match="valid response tuple"):
        client.get("/")


def test_make_response_helper_builds_response_from_args(app: Tumbler) -> None:
    with app.test_request_context():
        rv = make_response("x", 404, {"X-Q": "q"})
        assert rv.status_code == 404
        assert rv.headers["X-Q"] == "q"
        assert make_response().status_code == 200
        assert make_response({"a": 1}).json == {"a": 1}


def test_head_request_runs_get_view_without_body(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "body here")
    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""


def test_automatic_options_lists_allowed_methods(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "x", methods=["GET", "POST"])
    rv = client.options("/")
    assert rv.status_code == 200
    assert sorted(m.strip() for m in rv.headers["Allow"].split(",")) == [
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    ]


def test_method_not_allowed_is_405_with_allow(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "x", methods=["POST"])
    rv = client.get("/")
    assert rv.status_code == 405
    assert "POST" in rv.headers["Allow"]


def test_unknown_url_is_404(app: Tumbler, client: t.Any) -> None:
    assert client.get("/missing").status_code == 404


def test_strict_slash_redirects_with_308_and_relative_location(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/folder/", "f", lambda: "x")
    rv = client.get("/folder")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/folder/")


def test_stream_with_context_keeps_request_available(app: Tumbler, client: t.Any) -> None:
    from tumbler import request

    @app.route("/")
    def index() -> t.Any:
        @stream_with_context
        def gen() -> t.Iterator[str]:
            yield "hello "
            yield request.args["name"]

        return gen()

    assert client.get("/?name=world").data == b"hello world"


def test_stream_with_context_defers_teardown_until_stream_ends(app: Tumbler, client: t.Any) -> None:
    from tumbler import request

    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/")
    def index() -> t.Any:
        def gen() -> t.Iterator[str]:
            events.append("gen " + request.path)
            yield "x"

        return stream_with_context(gen())

    assert client.get("/").data == b"x"
    assert events == ["gen /", "teardown"]


def test_stream_with_context_works_with_async_generators(app: Tumbler, client: t.Any) -> None:
    from tumbler import request

    @app.route("/")
    async def index() -> t.Any:
        async def gen() -> t.AsyncIterator[str]:
            await asyncio.sleep(0)
            yield request.args["q"]

        return stream_with_context(gen())

    assert client.get("/?q=async").data == b"async"


def test_call_on_close_runs_after_response_is_sent(app: Tumbler, client: t.Any) -> None:
    closed: list[bool] = []

    @app.route("/")
    def index() -> Response:
        rv = Response("x")
        rv.call_on_close(lambda: closed.append(True))
        return rv

    rv = client.get("/")
    assert rv.data == b"x"
    rv.close()
    assert closed == [True]
