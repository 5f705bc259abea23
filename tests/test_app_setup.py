"""Application setup: constructor, config defaults, rule registration and setup-method guards."""

from __future__ import annotations

import os
import typing as t
from datetime import timedelta

import pytest

from tumbler import Tumbler
from tumbler import g
from tumbler import request
from tumbler.views import MethodView


def test_default_config_has_flask_keys_and_tumbler_limits(app: Tumbler) -> None:
    assert len(Tumbler.default_config) == 45
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert app.config["MAX_FORM_PARTS"] == 1000
    assert app.config["PROVIDE_AUTOMATIC_OPTIONS"] is True
    assert app.config["ASGI_SYNC_THREADPOOL"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["CSRF_ENABLED"] is True
    assert app.config["APPLICATION_ROOT"] == "/"
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)


def test_debug_flag_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUMBLER_DEBUG", "1")
    assert Tumbler("x").debug is True
    monkeypatch.setenv("TUMBLER_DEBUG", "0")
    assert Tumbler("x").debug is False


def test_config_backed_properties(app: Tumbler) -> None:
    app.testing = False
    assert app.config["TESTING"] is False
    app.secret_key = "k"
    assert app.config["SECRET_KEY"] == "k"
    app.permanent_session_lifetime = 60  # type: ignore[assignment]
    assert app.permanent_session_lifetime == timedelta(seconds=60)
    app.debug = True
    assert app.config["DEBUG"] is True


def test_name_is_import_name(app: Tumbler) -> None:
    assert app.name == "tumbler_test"
    assert app.logger.name == "tumbler_test"


def test_relative_instance_path_is_refused() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Tumbler("x", instance_path="relative")


def test_instance_path_defaults_next_to_package(app: Tumbler) -> None:
    assert os.path.basename(app.instance_path) in {"instance", "tumbler_test-instance"}


def test_open_resource_reads_relative_to_root(app: Tumbler) -> None:
    with app.open_resource("conftest.py") as f:
        assert b"fixtures" in f.read()
    with app.open_resource("conftest.py", "r", encoding="utf-8") as f:
        assert "fixtures" in f.read()
    with pytest.raises(ValueError, match="only be opened for reading"):
        app.open_resource("conftest.py", "w")


def test_open_instance_resource_can_write(tmp_path: t.Any) -> None:
    app = Tumbler("x", instance_path=str(tmp_path))
    with app.open_instance_resource("out.txt", "w") as f:
        f.write("data")
    assert (tmp_path / "out.txt").read_text() == "data"


def test_method_shortcuts_register_single_method(app: Tumbler, client: t.Any) -> None:
    def make(name: str) -> t.Callable[[], str]:
        def view() -> str:
            return name

        view.__name__ = name
        return view

    app.get("/r")(make("get"))
    app.post("/r")(make("post"))
    app.put("/p")(make("put"))
    app.delete("/d")(make("delete"))
    app.patch("/pa")(make("patch"))
    assert client.get("/r").data == b"get"
    assert client.post("/r").data == b"post"
    assert client.put("/p").data == b"put"
    assert client.delete("/d").data == b"delete"
    assert client.patch("/pa").data == b"patch"


def test_method_shortcut_with_methods_argument_is_refused(app: Tumbler) -> None:
    with pytest.raises(TypeError, match="Use the 'route' decorator"):
        app.get("/", methods=["POST"])


def test_methods_as_string_is_refused(app: Tumbler) -> None:
    with pytest.raises(TypeError, match="list of strings"):
        app.add_url_rule("/", "i", lambda: "", methods="POST")


def test_methods_are_uppercased(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: request.method, methods=["post"])
    assert client.post("/").data == b"POST"


def test_overwriting_endpoint_with_other_function_is_refused(app: Tumbler) -> None:
    app.add_url_rule("/a", "same", lambda: "")
    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "same", lambda: "")


def test_same_function_on_two_rules_is_allowed(app: Tumbler, client: t.Any) -> None:
    def view() -> str:
        return request.path

    app.add_url_rule("/a", "v", view)
    app.add_url_rule("/b", "v", view)
    assert client.get("/b").data == b"/b"


def test_view_func_methods_attributes_are_honored(app: Tumbler, client: t.Any) -> None:
    def view() -> str:
        return request.method

    view.methods = ["PUT"]  # type: ignore[attr-defined]
    view.provide_automatic_options = False  # type: ignore[attr-defined]
    app.add_url_rule("/", "v", view)
    assert client.put("/").data == b"PUT"
    assert client.options("/").status_code == 405


def test_provide_automatic_options_config_off(app: Tumbler, client: t.Any) -> None:
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.add_url_rule("/", "v", lambda: "x")
    assert client.options("/").status_code == 405


def test_endpoint_decorator_binds_existing_rule(app: Tumbler, client: t.Any) -> None:
    app.url_map.add(app.url_rule_class("/e", endpoint="e"))

    @app.endpoint("e")
    def e() -> str:
        return "bound"

    assert client.get("/e").data == b"bound"


def test_setup_method_after_first_request_is_refused(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: "x")
    client.get("/")
    with pytest.raises(AssertionError) as info:
        app.add_url_rule("/late", "late", lambda: "")
    message = str(info.value)
    assert "'add_url_rule' can no longer be called" in message
    assert "already handled its first request" in message
    with pytest.raises(AssertionError, match="before_request"):
        app.before_request(lambda: None)


def test_method_view_registration(app: Tumbler, client: t.Any) -> None:
    class Counter(MethodView):
        def get(self) -> str:
            return "get"

        async def post(self) -> str:
            return "post"

    app.add_url_rule("/c", view_func=Counter.as_view("counter"))
    assert client.get("/c").data == b"get"
    assert client.post("/c").data == b"post"
    assert client.delete("/c").status_code == 405


def test_template_filter_test_and_global_decorators(app: Tumbler) -> None:
    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter
    def upper(s: str) -> str:
        return s.upper()

    @app.template_test("odd")
    def is_odd(n: int) -> bool:
        return n % 2 == 1

    @app.template_global()
    def answer() -> int:
        return 42

    assert app.jinja_env.filters["reverse"] is reverse
    assert app.jinja_env.filters["upper"] is upper
    assert app.jinja_env.tests["odd"] is is_odd
    assert app.jinja_env.globals["answer"] is answer


def test_jinja_env_has_tumbler_globals(app: Tumbler) -> None:
    env = app.jinja_env
    for name in ("url_for", "get_flashed_messages", "config", "request", "session", "g"):
        assert name in env.globals
    assert app.select_jinja_autoescape("page.html")
    assert not app.select_jinja_autoescape("page.txt")


def test_context_processor_values_do_not_override_passed_values(app: Tumbler) -> None:
    app.context_processor(lambda: {"a": "processor", "b": "processor"})
    with app.test_request_context():
        context: dict[str, t.Any] = {"a": "passed"}
        app.update_template_context(context)
        assert context["a"] == "passed"
        assert context["b"] == "processor"
        assert context["g"] is g._get_current_object()  # type: ignore[attr-defined]


def test_shell_context_contains_app_g_and_processor_values(app: Tumbler) -> None:
    app.shell_context_processor(lambda: {"db": "database"})
    shell = app.make_shell_context()
    assert shell["app"] is app
    assert shell["db"] == "database"
    assert "g" in shell


def test_extensions_and_iter_blueprints(app: Tumbler) -> None:
    from tumbler import Blueprint

    app.extensions["thing"] = object()
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    assert list(app.iter_blueprints()) == [bp]


def test_ensure_sync_wraps_coroutine_functions(app: Tumbler) -> None:
    async def coro(x: int) -> int:
        return x + 1

    def plain(x: int) -> int:
        return x

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(coro)(1) == 2


def test_subclass_overriding_pipeline_method_is_used(protocol: str) -> None:
    class Custom(Tumbler):
        def process_response(self, response: t.Any) -> t.Any:
            response = super().process_response(response)
            response.headers["X-Custom"] = "yes"
            return response

    app = Custom("custom")
    app.add_url_rule("/", "i", lambda: "x")
    rv = app.test_client(asgi=protocol == "asgi").get("/")
    assert rv.headers["X-Custom"] == "yes"


def test_preprocess_request_can_be_called_in_test_request_context(app: Tumbler) -> None:
    app.before_request(lambda: "early")  # type: ignore[arg-type,return-value]
    with app.test_request_context():
        assert app.preprocess_request() == "early"


def test_trusted_hosts_rejects_other_hosts(app: Tumbler, client: t.Any) -> None:
    app.config["TRUSTED_HOSTS"] = ["good.test"]
    app.add_url_rule("/", "i", lambda: "x")
    assert client.get("/", base_url="http://good.test").status_code == 200
    assert client.get("/", base_url="http://evil.test").status_code == 400


def test_test_cli_runner_invokes_app_commands(app: Tumbler) -> None:
    @app.cli.command("hello")
    def hello() -> None:
        import click

        click.echo("hi there")

    result = app.test_cli_runner().invoke(args=["hello"])
    assert "hi there" in result.output
