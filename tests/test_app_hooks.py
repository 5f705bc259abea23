"""Request hooks: order across the app and nested blueprints, short-circuits, sync and async."""

from __future__ import annotations

import asyncio
import typing as t

from tumbler import Blueprint
from tumbler import Response
from tumbler import Tumbler
from tumbler import after_this_request
from tumbler import g
from tumbler import request


def _nested_app(app: Tumbler, events: list[str]) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    def hooks(target: t.Any, name: str) -> None:
        @target.url_value_preprocessor
        def uvp(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
            events.append(f"uvp {name}")

        @target.before_request
        def before() -> None:
            events.append(f"before {name}")

        @target.after_request
        def after1(resp: Response) -> Response:
            events.append(f"after1 {name}")
            return resp

        @target.after_request
        def after2(resp: Response) -> Response:
            events.append(f"after2 {name}")
            return resp

        @target.teardown_request
        def teardown(exc: BaseException | None) -> None:
            events.append(f"teardown {name}")

    hooks(app, "app")
    hooks(parent, "parent")
    hooks(child, "child")

    @child.route("/")
    def view() -> str:
        events.append("view")
        return "ok"

    parent.register_blueprint(child)
    app.register_blueprint(parent)


def test_hooks_run_in_flask_order_across_nested_blueprints(app: Tumbler, client: t.Any) -> None:
    events: list[str] = []
    _nested_app(app, events)
    rv = client.get("/p/c/")
    assert rv.data == b"ok"
    assert events == [
        "uvp app",
        "uvp parent",
        "uvp child",
        "before app",
        "before parent",
        "before child",
        "view",
        "after2 child",
        "after1 child",
        "after2 parent",
        "after1 parent",
        "after2 app",
        "after1 app",
        "teardown child",
        "teardown parent",
        "teardown app",
    ]


def test_app_hooks_run_for_blueprint_less_routes_only_once(app: Tumbler, client: t.Any) -> None:
    events: list[str] = []
    _nested_app(app, events)

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    client.get("/plain")
    assert events == ["uvp app", "before app", "after2 app", "after1 app", "teardown app"]


def test_before_request_return_value_short_circuits(app: Tumbler, client: t.Any) -> None:
    called: list[str] = []

    @app.before_request
    def first() -> str:
        return "stopped"

    @app.before_request
    def second() -> None:
        called.append("second")

    @app.route("/")
    def index() -> str:
        called.append("view")
        return "view"

    @app.after_request
    def after(resp: Response) -> Response:
        resp.headers["X-After"] = "yes"
        return resp

    rv = client.get("/")
    assert rv.data == b"stopped"
    assert rv.headers["X-After"] == "yes"
    assert called == []


def test_after_this_request_runs_before_after_request(app: Tumbler, client: t.Any) -> None:
    order: list[str] = []

    @app.after_request
    def after(resp: Response) -> Response:
        order.append("after_request")
        return resp

    @app.route("/")
    def index() -> str:
        @after_this_request
        def add_header(resp: Response) -> Response:
            order.append("after_this_request")
            resp.headers["X-Foo"] = "a"
            return resp

        return "x"

    rv = client.get("/")
    assert rv.headers["X-Foo"] == "a"
    assert order == ["after_this_request", "after_request"]


def test_after_request_can_replace_response(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "original")

    @app.after_request
    def replace(resp: Response) -> Response:
        return Response("replaced")

    assert client.get("/").data == b"replaced"


def test_teardown_receives_unhandled_exception(app: Tumbler, client: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[t.Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError()

    assert client.get("/").status_code == 500
    assert len(seen) == 1
    assert isinstance(seen[0], ZeroDivisionError)


def test_teardown_gets_none_on_success_and_handled_errors(app: Tumbler, client: t.Any) -> None:
    seen: list[t.Any] = []
    app.teardown_request(lambda exc: seen.append(exc))
    app.add_url_rule("/", "i", lambda: "x")
    client.get("/")
    client.get("/404")
    assert seen == [None, None]


def test_teardown_appcontext_runs_after_teardown_request(app: Tumbler, client: t.Any) -> None:
    order: list[str] = []
    app.teardown_request(lambda exc: order.append("request"))
    app.teardown_appcontext(lambda exc: order.append("appcontext"))
    app.add_url_rule("/", "i", lambda: "x")
    client.get("/")
    assert order == ["request", "appcontext"]


def test_async_hooks_and_views_run_on_both_protocols(app: Tumbler, client: t.Any) -> None:
    events: list[str] = []

    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.value = "from-before"

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0.001)
        return g.value  # type: ignore[no-any-return]

    @app.after_request
    async def after(resp: Response) -> Response:
        await asyncio.sleep(0)
        resp.headers["X-Async"] = "1"
        return resp

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        events.append("teardown")

    rv = client.get("/")
    assert rv.data == b"from-before"
    assert rv.headers["X-Async"] == "1"
    assert events == ["teardown"]


def test_url_value_preprocessor_can_pop_values_into_g(app: Tumbler, client: t.Any) -> None:
    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        g.lang = values.pop("lang")

    @app.route("/<lang>/page")
    def page() -> str:
        return f"lang={g.lang}"

    assert client.get("/de/page").data == b"lang=de"


def test_g_is_fresh_for_every_request(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        before = "seen" in g
        g.seen = True
        return str(before)

    assert client.get("/").data == b"False"
    assert client.get("/").data == b"False"


def test_request_blueprint_attributes_in_hooks(app: Tumbler, client: t.Any) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @child.route("/x")
    def view() -> dict[str, t.Any]:
        return {
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
            "endpoint": request.endpoint,
        }

    parent.register_blueprint(child, url_prefix="/c")
    app.register_blueprint(parent, url_prefix="/p")
    assert client.get("/p/c/x").json == {
        "blueprint": "parent.child",
        "blueprints": ["parent.child", "parent"],
        "endpoint": "parent.child.view",
    }
