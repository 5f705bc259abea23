"""Blueprints: prefixes, nesting, names, defaults, records, app-wide hooks and static files."""

from __future__ import annotations

import os
import typing as t

import pytest

from tumbler import Blueprint
from tumbler import Response
from tumbler import Tumbler
from tumbler import g
from tumbler import request
from tumbler import url_for
from tumbler.blueprints import BlueprintSetupState

HERE = os.path.dirname(__file__)


def test_blueprint_routes_get_prefix_and_dotted_endpoint(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    @bp.route("/users")
    def users() -> str:
        return request.endpoint or ""

    app.register_blueprint(bp)
    assert client.get("/admin/users").data == b"admin.users"


def test_register_options_override_blueprint_prefix(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/a")
    bp.add_url_rule("/x", "x", lambda: "x")
    app.register_blueprint(bp, url_prefix="/b")
    assert client.get("/b/x").status_code == 200
    assert client.get("/a/x").status_code == 404


def test_empty_rule_uses_prefix_itself(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/only")
    bp.add_url_rule("", "root", lambda: "root")
    app.register_blueprint(bp)
    assert client.get("/only").data == b"root"


def test_nested_blueprints_combine_prefixes_and_names(app: Tumbler, client: t.Any) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__, url_prefix="/gc")

    @grandchild.route("/")
    def index() -> str:
        return request.endpoint or ""

    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/parent/child/gc/").data == b"parent.child.grandchild.index"


def test_same_blueprint_twice_needs_a_name(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_url_rule("/", "index", lambda: request.blueprint or "")
    app.register_blueprint(bp, url_prefix="/one")
    with pytest.raises(ValueError, match="already registered"):
        app.register_blueprint(bp, url_prefix="/two")
    app.register_blueprint(bp, url_prefix="/two", name="bp2")
    assert client.get("/one/").data == b"bp"
    assert client.get("/two/").data == b"bp2"


def test_different_blueprint_with_taken_name_is_refused(app: Tumbler) -> None:
    app.register_blueprint(Blueprint("same", __name__))
    with pytest.raises(ValueError, match="a different blueprint"):
        app.register_blueprint(Blueprint("same", __name__))


def test_blueprint_name_rules() -> None:
    with pytest.raises(ValueError, match="may not be empty"):
        Blueprint("", __name__)
    with pytest.raises(ValueError, match="may not contain a dot"):
        Blueprint("a.b", __name__)


def test_dotted_endpoint_or_view_name_is_refused() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", "a.b", lambda: "")

    def view() -> str:
        return ""

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="'view_func' name may not contain a dot"):
        bp.add_url_rule("/", view_func=view)


def test_blueprint_cannot_register_on_itself() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="on itself"):
        bp.register_blueprint(bp)


def test_setup_after_registration_is_refused(app: Tumbler) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.add_url_rule("/late", "late", lambda: "")


def test_url_defaults_are_passed_to_views(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_defaults={"page": "home"})

    @bp.route("/page")
    def page(page: str) -> str:
        return page

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="bp2", url_prefix="/other", url_defaults={"page": "other"})
    assert client.get("/page").data == b"home"
    assert client.get("/other/page").data == b"other"


def test_subdomain_blueprint_matches_only_its_subdomain(app: Tumbler, protocol: str) -> None:
    app.config["SERVER_NAME"] = "example.test"
    app.subdomain_matching = True
    bp = Blueprint("api", __name__, subdomain="api")
    bp.add_url_rule("/", "index", lambda: "api")
    app.add_url_rule("/", "index", lambda: "main")
    app.register_blueprint(bp)
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/", base_url="http://api.example.test").data == b"api"
    assert client.get("/", base_url="http://example.test").data == b"main"


def test_nested_subdomains_combine(app: Tumbler) -> None:
    parent = Blueprint("parent", __name__, subdomain="parent")
    child = Blueprint("child", __name__, subdomain="child")
    child.add_url_rule("/", "index", lambda: "")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "parent.child.index")
    assert rule.subdomain == "child.parent"


def test_record_runs_on_every_registration_and_record_once_once(app: Tumbler) -> None:
    bp = Blueprint("bp", __name__)
    every: list[str] = []
    once: list[str] = []

    @bp.record
    def rec(state: BlueprintSetupState) -> None:
        every.append(state.name)

    @bp.record_once
    def rec_once(state: BlueprintSetupState) -> None:
        once.append(state.name)

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again")
    assert every == ["bp", "again"]
    assert once == ["bp"]


def test_setup_state_exposes_options(app: Tumbler) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/p")
    states: list[BlueprintSetupState] = []
    bp.record(states.append)
    app.register_blueprint(bp, subdomain="s", url_defaults={"a": 1})
    state = states[0]
    assert state.app is app
    assert state.blueprint is bp
    assert state.url_prefix == "/p"
    assert state.subdomain == "s"
    assert state.url_defaults == {"a": 1}
    assert state.first_registration


def test_relative_endpoint_in_url_for_uses_current_blueprint(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.route("/a")
    def a() -> str:
        return url_for(".b")

    @bp.route("/b")
    def b() -> str:
        return ""

    @app.route("/top")
    def top() -> str:
        return url_for(".top")

    app.register_blueprint(bp)
    assert client.get("/bp/a").data == b"/bp/b"
    assert client.get("/top").data == b"/top"


def test_app_wide_hooks_from_blueprint_run_for_all_requests(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)
    events: list[str] = []

    @bp.before_app_request
    def before() -> None:
        events.append("before")

    @bp.after_app_request
    def after(resp: Response) -> Response:
        events.append("after")
        return resp

    @bp.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    app.add_url_rule("/", "i", lambda: "x")
    app.register_blueprint(bp)
    client.get("/")
    assert events == ["before", "after", "teardown"]


def test_blueprint_hooks_only_run_for_its_routes(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)
    events: list[str] = []
    bp.before_request(lambda: events.append("bp before"))  # type: ignore[arg-type,func-returns-value]
    bp.add_url_rule("/bp", "v", lambda: "bp")
    app.add_url_rule("/app", "v", lambda: "app")
    app.register_blueprint(bp)
    client.get("/app")
    assert events == []
    client.get("/bp")
    assert events == ["bp before"]


def test_blueprint_url_value_preprocessor_and_defaults(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("lang", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("lang_code", g.lang_code)

    @bp.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        g.lang_code = values.pop("lang_code")

    @bp.route("/")
    def index() -> str:
        return url_for(".about")

    @bp.route("/about")
    def about() -> str:
        return g.lang_code  # type: ignore[no-any-return]

    app.register_blueprint(bp)
    assert client.get("/fr/").data == b"/fr/about"
    assert client.get("/fr/about").data == b"fr"


def test_app_url_defaults_and_preprocessor_from_blueprint(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_url_value_preprocessor
    def pre(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.pre = endpoint

    @bp.app_url_defaults
    def defaults(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("x", "dflt")

    @app.route("/<x>")
    def show(x: str) -> str:
        return f"{g.pre} {url_for('show')}"

    app.register_blueprint(bp)
    assert client.get("/val").data == b"show /dflt"


def test_blueprint_template_filter_is_app_wide(app: Tumbler) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter("shout")
    def shout(s: str) -> str:
        return s.upper()

    @bp.app_template_global()
    def answer() -> int:
        return 42

    @bp.app_template_test("even")
    def even(n: int) -> bool:
        return n % 2 == 0

    app.register_blueprint(bp)
    assert app.jinja_env.filters["shout"] is shout
    assert app.jinja_env.globals["answer"] is answer
    assert app.jinja_env.tests["even"] is even


def test_app_context_processor_from_blueprint(app: Tumbler) -> None:
    bp = Blueprint("bp", __name__)
    bp.app_context_processor(lambda: {"injected": "yes"})
    app.register_blueprint(bp)
    with app.test_request_context():
        context: dict[str, t.Any] = {}
        app.update_template_context(context)
        assert context["injected"] == "yes"


def test_blueprint_static_folder_is_served(app: Tumbler, client: t.Any, tmp_path: t.Any) -> None:
    static = tmp_path / "bpstatic"
    static.mkdir()
    (static / "hello.txt").write_text("from blueprint")
    bp = Blueprint("bp", __name__, static_folder=str(static), url_prefix="/bp")
    app.register_blueprint(bp)
    rv = client.get("/bp/bpstatic/hello.txt")
    assert rv.status_code == 200
    assert rv.data == b"from blueprint"
    rv.close()
    with app.test_request_context():
        assert url_for("bp.static", filename="hello.txt") == "/bp/bpstatic/hello.txt"


def test_blueprint_error_handler_for_nested_child_falls_back_to_parent(
    app: Tumbler, client: t.Any
) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    parent.register_error_handler(ZeroDivisionError, lambda e: "parent handled")

    @child.route("/")
    def index() -> str:
        raise ZeroDivisionError()

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/").data == b"parent handled"


def test_blueprint_cli_commands_join_app_group(app: Tumbler) -> None:
    bp = Blueprint("tools", __name__)

    @bp.cli.command("hello")
    def hello() -> None:
        pass

    app.register_blueprint(bp)
    assert "tools" in app.cli.commands  # type: ignore[attr-defined]


def test_blueprint_cli_group_none_merges_commands(app: Tumbler) -> None:
    bp = Blueprint("tools", __name__, cli_group=None)

    @bp.cli.command("hello")
    def hello() -> None:
        pass

    app.register_blueprint(bp)
    assert "hello" in app.cli.commands  # type: ignore[attr-defined]
