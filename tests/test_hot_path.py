"""The per-request fast paths keep every behaviour of the general paths they shortcut.

Each shortcut (a precomputed header, a skipped coroutine, a cache) has a condition under which it
applies; these tests cover the cases just outside those conditions, where the general path must
still run.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import typing as t

import pytest

from tumbler import Blueprint
from tumbler import Response
from tumbler import Tumbler
from tumbler import abort
from tumbler.datastructures import EnvironHeaders
from tumbler.datastructures import Headers
from tumbler.exceptions import HTTPException
from tumbler.exceptions import NotFound
from tumbler.routing import Map
from tumbler.routing import Rule
from tumbler.signals import appcontext_popped
from tumbler.wrappers import Request

# -- responses ---------------------------------------------------------------------------------


def test_plain_response_has_the_same_headers_as_one_built_with_explicit_arguments() -> None:
    fast = Response("héllo")
    general = Response("héllo", headers={}, mimetype="text/html")
    assert fast.headers.to_wsgi_list() == general.headers.to_wsgi_list()
    assert fast.headers["content-length"] == str(len("héllo".encode()))
    assert fast.get_data() == "héllo".encode()


def test_response_subclass_overriding_set_data_still_receives_the_body() -> None:
    seen: list[str | bytes | bytearray] = []

    class Recording(Response):
        def set_data(self, value: str | bytes | bytearray) -> None:
            seen.append(value)
            super().set_data(value)

    response = Recording("body")
    assert seen == ["body"]
    assert response.get_data() == b"body"


def test_response_subclass_default_mimetype_sets_the_content_type() -> None:
    class JSONish(Response):
        default_mimetype = "application/json"

    assert JSONish("{}").headers["Content-Type"] == "application/json"


def test_default_mimetype_with_a_newline_is_refused() -> None:
    class Broken(Response):
        default_mimetype = "text/plain\r\nX-Injected: 1"

    with pytest.raises(ValueError):
        Broken("x")


def _plain_fields(response: Response) -> t.Any:
    return (
        type(response),
        response.status,
        response.status_code,
        response.headers.to_wsgi_list(),
        response.get_data(),
        response.direct_passthrough,
    )


def test_text_response_is_what_the_constructor_makes() -> None:
    from tumbler.wrappers.response import text_response

    class Plain(Response):
        pass

    for cls in (Response, Plain):
        fast = text_response(cls, "h\u00e9llo")
        assert _plain_fields(fast) == _plain_fields(cls("h\u00e9llo"))
        fast.call_on_close(lambda: None)  # the lazily made callback list works
        fast.headers["X-After"] = "1"
        assert fast.headers["x-after"] == "1"


class _OwnInit(Response):
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers["X-Own-Init"] = "1"


class _Created(Response):
    default_status = 201


class _NoLength(Response):
    automatically_set_content_length = False


class _OwnMimetype(Response):
    default_mimetype = "text/plain"


@pytest.mark.parametrize("cls", [_OwnInit, _Created, _NoLength, _OwnMimetype])
def test_text_response_defers_to_a_class_that_makes_text_its_own_way(
    cls: type[Response],
) -> None:
    from tumbler.wrappers.response import text_response

    assert _plain_fields(text_response(cls, "body")) == _plain_fields(cls("body"))


def test_make_response_uses_the_response_class_for_text(app: Tumbler, client: t.Any) -> None:
    app.response_class = _OwnInit

    @app.route("/")
    def index() -> str:
        return "text"

    rv = client.get("/")
    assert rv.headers["X-Own-Init"] == "1"
    assert rv.get_data() == b"text"


def test_view_returning_a_str_subclass_keeps_its_text(app: Tumbler, client: t.Any) -> None:
    class Text(str):
        pass

    @app.route("/")
    def index() -> str:
        return Text("subclassed")

    assert client.get("/").data == b"subclassed"


def test_view_returning_a_named_tuple_is_a_response_tuple(app: Tumbler, client: t.Any) -> None:
    class Reply(t.NamedTuple):
        body: str
        status: int

    @app.route("/")
    def index() -> t.Any:
        return Reply("made", 201)

    response = client.get("/")
    assert (response.status_code, response.data) == (201, b"made")


# -- error pages -------------------------------------------------------------------------------


def test_error_pages_show_each_description(app: Tumbler, client: t.Any) -> None:
    @app.route("/<name>")
    def index(name: str) -> str:
        abort(404, f"No {name} here.")

    assert b"No apples here." in client.get("/apples").data
    assert b"No pears here." in client.get("/pears").data


def test_error_page_of_a_subclass_with_its_own_description_uses_it() -> None:
    class Gone(NotFound):
        def get_description(self, environ: t.Any = None, scope: t.Any = None) -> str:
            return "<p>custom</p>"

    NotFound().get_response()  # fill the page cache for the stock 404 first
    assert b"<p>custom</p>" in Gone().get_response().get_data()


def test_error_page_of_a_subclass_with_its_own_headers_sends_them() -> None:
    class Tagged(NotFound):
        def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
            return [("Content-Type", "text/plain"), ("X-Tag", "1")]

    response = Tagged().get_response()
    assert response.headers["X-Tag"] == "1"
    assert response.headers["Content-Type"] == "text/plain"


def test_stock_error_page_is_html_with_its_status(app: Tumbler, client: t.Any) -> None:
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>404 Not Found</title>" in response.data


def test_error_handler_added_to_a_blueprint_is_found_for_its_routes(
    app: Tumbler, client: t.Any
) -> None:
    bp = Blueprint("shop", __name__)

    @bp.route("/item")
    def item() -> str:
        abort(404)

    @bp.errorhandler(404)
    def missing(e: HTTPException) -> tuple[str, int]:
        return "no such item", 404

    app.register_blueprint(bp)
    assert client.get("/item").data == b"no such item"
    assert b"Not Found" in client.get("/elsewhere").data


def test_routing_not_found_carries_no_internal_exception_context() -> None:
    adapter = Map([Rule("/a", endpoint="a")]).bind("localhost")
    with pytest.raises(NotFound) as info:
        adapter.match("/b")
    assert info.value.__context__ is None


# -- hooks and contexts ------------------------------------------------------------------------


def test_hooks_follow_a_request_class_that_computes_blueprints_itself(
    app: Tumbler, client: t.Any
) -> None:
    class Always(Request):
        @property
        def blueprints(self) -> list[str]:
            return ["admin"]

    app.request_class = Always
    calls: list[str] = []
    app.before_request_funcs.setdefault("admin", []).append(lambda: calls.append("admin"))

    @app.route("/")
    def index() -> str:
        return "ok"

    client.get("/")
    assert calls == ["admin"]


def test_before_request_added_to_the_dict_after_the_first_request_runs(
    app: Tumbler, client: t.Any
) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    client.get("/")
    calls: list[str] = []
    app.before_request_funcs.setdefault(None, []).append(lambda: calls.append("late"))
    client.get("/")
    assert calls == ["late"]


def test_appcontext_popped_is_sent_without_teardown_functions(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    popped: list[object] = []

    def receiver(sender: object, **kwargs: t.Any) -> None:
        popped.append(sender)

    with appcontext_popped.connected_to(receiver, app):
        client.get("/")
    assert popped == [app]


def test_app_context_builds_its_url_adapter_on_first_use(app: Tumbler) -> None:
    app.config["SERVER_NAME"] = "example.com"
    ctx = app.app_context()
    adapter = ctx.url_adapter
    assert adapter is not None and adapter.server_name == "example.com"
    assert ctx.url_adapter is adapter
    ctx.url_adapter = None
    assert ctx.url_adapter is None


def test_app_context_is_its_own_app_ctx(app: Tumbler) -> None:
    ctx = app.app_context()
    assert ctx.app_ctx is ctx


# -- headers -----------------------------------------------------------------------------------


def test_environ_headers_answer_unhashable_and_non_str_keys_as_missing() -> None:
    headers = EnvironHeaders({"HTTP_HOST": "example.com", "CONTENT_TYPE": "text/plain"})
    assert [] not in headers
    assert 1 not in headers
    assert headers.get("content-type") == "text/plain"
    assert headers.get("Host") == "example.com"


def test_headers_from_raw_accept_bytearray_names() -> None:
    raw: list[tuple[t.Any, bytes]] = [(bytearray(b"X-Thing"), b"1"), (b"Host", b"h")]
    headers = Headers.from_raw(raw)
    assert headers["x-thing"] == "1"
    assert list(headers) == [("X-Thing", "1"), ("Host", "h")]


# -- ASGI ----------------------------------------------------------------------------------------


def test_async_view_that_never_waits_does_not_listen_for_a_disconnect(
    app: Tumbler, run: t.Any, asgi: t.Any
) -> None:
    @app.route("/")
    async def index() -> str:
        return "quick"

    receives = 0

    async def main() -> list[dict[str, t.Any]]:
        nonlocal receives
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            nonlocal receives
            receives += 1
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app(asgi.http_scope(), receive, send)
        return sent

    sent = run(main())
    assert sent[-1]["body"] == b"quick"
    assert receives == 0


def test_asgi_request_environ_is_built_when_read(app: Tumbler, run: t.Any, asgi: t.Any) -> None:
    from tumbler import request

    @app.route("/env")
    async def env() -> dict[str, t.Any]:
        environ = request.environ
        return {
            "same": request.environ is environ,
            "path": environ["PATH_INFO"],
            "method": environ["REQUEST_METHOD"],
            "scope_type": environ["asgi.scope"]["type"],
        }

    result = run(asgi.request(app, asgi.http_scope("/env")))
    assert result.status == 200
    assert json.loads(result.body) == {
        "same": True,
        "path": "/env",
        "method": "GET",
        "scope_type": "http",
    }


def test_import_tumbler_does_not_load_asyncio() -> None:
    code = "import sys, tumbler; print('asyncio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_text_response_follows_class_attributes_changed_later() -> None:
    from tumbler.wrappers.response import text_response

    class Changing(Response):
        pass

    assert text_response(Changing, "x").mimetype == "text/html"
    Changing.default_mimetype = "text/plain"
    Changing.default_status = 202
    rv = text_response(Changing, "x")
    assert (rv.mimetype, rv.status_code) == ("text/plain", 202)
    Changing.default_status = 200
    Changing.automatically_set_content_length = False
    assert "Content-Length" not in text_response(Changing, "x").headers
