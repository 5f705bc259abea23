from __future__ import annotations

import json
import logging
import os
import typing as t
from pathlib import Path

import pytest
from jinja2 import DictLoader
from jinja2 import TemplateNotFound
from markupsafe import Markup

from tumbler.app import Tumbler
from tumbler.blueprints import Blueprint
from tumbler.globals import g
from tumbler.globals import request
from tumbler.json.provider import DefaultJSONProvider
from tumbler.signals import before_render_template
from tumbler.signals import template_rendered
from tumbler.templating import DispatchingJinjaLoader
from tumbler.templating import Environment
from tumbler.templating import get_template_attribute
from tumbler.templating import render_template
from tumbler.templating import render_template_async
from tumbler.templating import render_template_string
from tumbler.templating import render_template_string_async
from tumbler.templating import select_jinja_autoescape
from tumbler.templating import stream_template
from tumbler.templating import stream_template_string

XSS = "</script><script>alert(1)</script>"


class FakeBlueprint:
    def __init__(self, name: str, templates: dict[str, str] | None) -> None:
        self.name = name
        self.import_name = f"bp_{name}"
        self.jinja_loader = DictLoader(templates) if templates is not None else None


class FakeApp:
    """The few attributes the environment and loader read from the application."""

    import_name = "fake_app"

    def __init__(
        self,
        templates: dict[str, str] | None = None,
        blueprints: list[FakeBlueprint] | None = None,
        config: dict[str, t.Any] | None = None,
        debug: bool = False,
    ) -> None:
        self.jinja_loader = DictLoader(templates) if templates is not None else None
        self._blueprints = blueprints or []
        self.config = {"TEMPLATES_AUTO_RELOAD": None, "EXPLAIN_TEMPLATE_LOADING": False}
        self.config.update(config or {})
        self.debug = debug
        self.json = DefaultJSONProvider(self)
        self.logger = logging.getLogger("tumbler.test_templating")

    def iter_blueprints(self) -> list[FakeBlueprint]:
        return self._blueprints


def make_env(**kwargs: t.Any) -> Environment:
    return Environment(FakeApp(**kwargs))


# --- autoescape ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.html", "a.htm", "a.xml", "a.xhtml", "a.svg", None])
def test_select_jinja_autoescape_is_on_for_markup_files_and_strings(name: str | None) -> None:
    assert select_jinja_autoescape(name) is True


@pytest.mark.parametrize("name", ["a.txt", "a.js", "email.jinja", "html"])
def test_select_jinja_autoescape_is_off_for_other_files(name: str) -> None:
    assert select_jinja_autoescape(name) is False


def test_string_template_escapes_script_in_variables() -> None:
    rv = make_env().from_string("<p>{{ x }}</p>").render(x=XSS)
    assert "<script>" not in rv
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in rv


def test_html_template_escapes_quotes_in_attributes() -> None:
    env = make_env(templates={"page.html": "<a title=\"{{ x }}\" href='{{ x }}'>"})
    rv = env.get_template("page.html").render(x="\" onmouseover='alert(1)")
    assert (
        rv == "<a title=\"&#34; onmouseover=&#39;alert(1)\" href='&#34; onmouseover=&#39;alert(1)'>"
    )


def test_txt_template_is_not_escaped() -> None:
    env = make_env(templates={"mail.txt": "{{ x }}"})
    assert env.get_template("mail.txt").render(x="<b>") == "<b>"


def test_markup_and_safe_filter_opt_out_of_escaping() -> None:
    env = make_env()
    assert env.from_string("{{ x }}").render(x=Markup("<b>ok</b>")) == "<b>ok</b>"
    assert env.from_string("{{ x|safe }}").render(x="<b>ok</b>") == "<b>ok</b>"


def test_environment_uses_app_select_jinja_autoescape_when_defined() -> None:
    app = FakeApp(templates={"a.txt": "{{ x }}"})
    app.select_jinja_autoescape = lambda filename: True  # type: ignore[attr-defined]
    assert Environment(app).get_template("a.txt").render(x="<b>") == "&lt;b&gt;"


def test_explicit_autoescape_option_wins() -> None:
    env = Environment(FakeApp(), autoescape=False)
    assert env.from_string("{{ x }}").render(x="<b>") == "<b>"


# --- tojson ----------------------------------------------------------------------------------


def test_tojson_is_inert_inside_script_element() -> None:
    rv = make_env().from_string("<script>var x = {{ x|tojson }};</script>").render(x=XSS)
    assert rv.count("</script>") == 1
    assert rv.count("<script>") == 1
    inner = rv[len("<script>var x = ") : -len(";</script>")]
    assert json.loads(inner) == XSS


def test_tojson_is_inert_inside_single_quoted_attribute() -> None:
    value = "' onclick='alert(1)' data-x='&amp;"
    rv = make_env().from_string("<div data-x='{{ x|tojson }}'></div>").render(x=value)
    attr = rv[len("<div data-x='") : -len("'></div>")]
    assert "'" not in attr and "&" not in attr and "<" not in attr
    assert json.loads(attr) == value


def test_tojson_uses_the_app_json_provider() -> None:
    rv = make_env().from_string("{{ x|tojson }}").render(x={"b": 1, "a": [1, 2]})
    assert rv == '{"a": [1, 2], "b": 1}'


def test_tojson_follows_a_replaced_provider() -> None:
    app = FakeApp()
    env = Environment(app)

    class Shouting(DefaultJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    app.json = Shouting(app)
    assert env.from_string("{{ x|tojson }}").render(x="a") == '"A"'


def test_tojson_supports_indent() -> None:
    assert make_env().from_string("{{ x|tojson(2) }}").render(x=[1]) == "[\n  1\n]"


# --- auto reload -----------------------------------------------------------------------------


def test_auto_reload_follows_debug_when_config_is_none() -> None:
    assert make_env(debug=True).auto_reload is True
    assert make_env(debug=False).auto_reload is False


def test_auto_reload_config_overrides_debug() -> None:
    assert make_env(debug=True, config={"TEMPLATES_AUTO_RELOAD": False}).auto_reload is False
    assert make_env(debug=False, config={"TEMPLATES_AUTO_RELOAD": True}).auto_reload is True


# --- dispatching loader ----------------------------------------------------------------------


def test_loader_prefers_app_templates_over_blueprints() -> None:
    bp = FakeBlueprint("admin", {"index.html": "blueprint", "only_bp.html": "bp only"})
    env = make_env(templates={"index.html": "app"}, blueprints=[bp])
    assert env.get_template("index.html").render() == "app"
    assert env.get_template("only_bp.html").render() == "bp only"


def test_loader_searches_blueprints_in_registration_order() -> None:
    first = FakeBlueprint("first", {"x.html": "first"})
    second = FakeBlueprint("second", {"x.html": "second"})
    env = make_env(blueprints=[first, second])
    assert env.get_template("x.html").render() == "first"


def test_loader_skips_app_and_blueprints_without_template_folder() -> None:
    env = make_env(blueprints=[FakeBlueprint("none", None), FakeBlueprint("b", {"y.html": "y"})])
    assert env.get_template("y.html").render() == "y"


def test_loader_missing_template_raises_template_not_found() -> None:
    with pytest.raises(TemplateNotFound, match=r"missing\.html"):
        make_env(templates={}).get_template("missing.html")


def test_loader_lists_templates_from_all_sources() -> None:
    app = FakeApp(templates={"a.html": ""}, blueprints=[FakeBlueprint("b", {"b.html": ""})])
    assert DispatchingJinjaLoader(app).list_templates() == ["a.html", "b.html"]


def test_explain_template_loading_logs_each_attempt(caplog: pytest.LogCaptureFixture) -> None:
    bp = FakeBlueprint("admin", {"x.html": "bp"})
    env = make_env(
        templates={"y.html": ""}, blueprints=[bp], config={"EXPLAIN_TEMPLATE_LOADING": True}
    )
    with caplog.at_level(logging.INFO, logger="tumbler.test_templating"):
        assert env.get_template("x.html").render() == "bp"
    text = caplog.text
    assert "Locating template 'x.html'" in text
    assert "application 'fake_app'" in text and "-> no match" in text
    assert "blueprint 'admin'" in text and "-> found" in text


def test_explain_template_loading_reports_not_found(caplog: pytest.LogCaptureFixture) -> None:
    env = make_env(templates={}, config={"EXPLAIN_TEMPLATE_LOADING": True})
    with (
        caplog.at_level(logging.INFO, logger="tumbler.test_templating"),
        pytest.raises(TemplateNotFound),
    ):
        env.get_template("nope.html")
    assert "Error: the template could not be found." in caplog.text


def test_explain_template_loading_warns_about_multiple_matches(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = make_env(
        templates={"x.html": "app"},
        blueprints=[FakeBlueprint("b", {"x.html": "bp"})],
        config={"EXPLAIN_TEMPLATE_LOADING": True},
    )
    with caplog.at_level(logging.INFO, logger="tumbler.test_templating"):
        assert env.get_template("x.html").render() == "app"
    assert "multiple loaders returned a match" in caplog.text


def test_file_system_templates_reload_when_changed(tmp_path: Path) -> None:
    from jinja2 import FileSystemLoader

    app = FakeApp(config={"TEMPLATES_AUTO_RELOAD": True})
    app.jinja_loader = FileSystemLoader(str(tmp_path))  # type: ignore[assignment]
    env = Environment(app)
    page = tmp_path / "p.html"
    page.write_text("one", encoding="utf-8")
    assert env.get_template("p.html").render() == "one"
    page.write_text("two!", encoding="utf-8")

    stat = page.stat()
    os.utime(page, (stat.st_atime, stat.st_mtime + 5))
    assert env.get_template("p.html").render() == "two!"


# --- async overlay ---------------------------------------------------------------------------


def test_async_environment_is_cached_and_shares_filters() -> None:
    env = make_env()
    overlay = env.async_environment()
    assert overlay is env.async_environment()
    assert overlay.is_async and not env.is_async
    env.filters["shout"] = str.upper
    assert overlay.filters["shout"] is str.upper


# --- with a real application -----------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Tumbler:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "hello.html").write_text("<p>Hello {{ name }}</p>", encoding="utf-8")
    (templates / "plain.txt").write_text("Hello {{ name }}", encoding="utf-8")
    (templates / "macros.html").write_text(
        "{% macro shout(x) %}{{ x|upper }}!{% endmacro %}{% set answer = 42 %}",
        encoding="utf-8",
    )
    application = Tumbler("templating_app", root_path=str(tmp_path))
    application.config["SECRET_KEY"] = "test"
    return application


def run(coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
    import asyncio

    return asyncio.run(coro)


def test_app_jinja_env_is_a_tumbler_environment(app: Tumbler) -> None:
    assert isinstance(app.jinja_env, Environment)
    assert app.jinja_env.app is app


def test_render_template_escapes_html_files(app: Tumbler) -> None:
    with app.app_context():
        assert render_template("hello.html", name=XSS) == (
            "<p>Hello &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>"
        )


def test_render_template_leaves_txt_files_unescaped(app: Tumbler) -> None:
    with app.app_context():
        assert render_template("plain.txt", name="<b>") == "Hello <b>"


def test_render_template_picks_first_existing_from_a_list(app: Tumbler) -> None:
    with app.app_context():
        assert render_template(["missing.html", "plain.txt"], name="x") == "Hello x"


def test_render_template_outside_app_context_raises_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template("hello.html")


def test_render_template_string_escapes_and_markup_opts_out(app: Tumbler) -> None:
    with app.app_context():
        assert (
            render_template_string("{{ a }}|{{ b }}", a="<i>", b=Markup("<i>")) == "&lt;i&gt;|<i>"
        )


def test_template_context_has_request_session_g_config_and_url_for(app: Tumbler) -> None:
    @app.route("/page/<int:n>")
    def page(n: int) -> str:
        return ""

    source = (
        "{{ request.path }}|{{ session.get('k') }}|{{ g.user }}|{{ config.SECRET_KEY }}"
        "|{{ url_for('page', n=3) }}|{{ get_flashed_messages() }}"
    )
    with app.test_request_context("/here"):
        from tumbler.globals import session

        session["k"] = "v"
        g.user = "ann"
        assert render_template_string(source) == "/here|v|ann|test|/page/3|[]"


def test_template_context_with_only_app_context_has_g_but_no_request(app: Tumbler) -> None:
    with app.app_context():
        g.x = 1
        assert render_template_string("{{ g.x }}|{{ 'bound' if request else 'unbound' }}") == (
            "1|unbound"
        )


def test_context_processors_inject_values_but_explicit_context_wins(app: Tumbler) -> None:
    @app.context_processor
    def inject() -> dict[str, str]:
        return {"site": "Tumbler", "name": "processor"}

    with app.app_context():
        assert render_template_string("{{ site }}/{{ name }}", name="explicit") == (
            "Tumbler/explicit"
        )


def test_rendering_sends_before_and_after_signals(app: Tumbler) -> None:
    events: list[tuple[str, str | None, dict[str, t.Any]]] = []

    def before(sender: Tumbler, template: t.Any, context: dict[str, t.Any]) -> None:
        assert sender is app
        events.append(("before", template.name, dict(context)))

    def after(sender: Tumbler, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("after", template.name, dict(context)))

    with (
        before_render_template.connected_to(before, sender=app),
        template_rendered.connected_to(after, sender=app),
        app.app_context(),
    ):
        render_template("hello.html", name="x")
    assert [(kind, name) for kind, name, _ in events] == [
        ("before", "hello.html"),
        ("after", "hello.html"),
    ]
    assert events[0][2]["name"] == "x"


def test_before_render_template_receiver_can_change_the_context(app: Tumbler) -> None:
    def before(sender: Tumbler, template: t.Any, context: dict[str, t.Any]) -> None:
        context["name"] = "changed"

    with before_render_template.connected_to(before, sender=app), app.app_context():
        assert render_template("hello.html", name="x") == "<p>Hello changed</p>"


def test_stream_template_yields_pieces_and_signals_after_exhaustion(app: Tumbler) -> None:
    rendered: list[str] = []

    def after(sender: Tumbler, template: t.Any, context: dict[str, t.Any]) -> None:
        rendered.append(template.name)

    with template_rendered.connected_to(after, sender=app), app.app_context():
        stream = stream_template("hello.html", name="<x>")
        assert rendered == []
        assert "".join(stream) == "<p>Hello &lt;x&gt;</p>"
    assert rendered == ["hello.html"]


def test_stream_template_string_keeps_request_usable_after_the_view_returns(
    app: Tumbler,
) -> None:
    @app.route("/stream")
    def streamed() -> t.Any:
        return stream_template_string("{% for i in range(3) %}{{ request.args.q }}{% endfor %}")

    response = app.test_client().get("/stream?q=ab")
    assert response.data == b"ababab"


def test_get_template_attribute_returns_macros_and_variables(app: Tumbler) -> None:
    with app.app_context():
        assert get_template_attribute("macros.html", "shout")("hi") == "HI!"
        assert get_template_attribute("macros.html", "answer") == 42


def test_blueprint_template_folder_is_searched_after_the_app(app: Tumbler, tmp_path: Path) -> None:
    bp_templates = tmp_path / "bp_templates"
    bp_templates.mkdir()
    (bp_templates / "hello.html").write_text("blueprint version", encoding="utf-8")
    (bp_templates / "bp_only.html").write_text("from blueprint", encoding="utf-8")
    bp = Blueprint("admin", __name__, template_folder=str(bp_templates))
    app.register_blueprint(bp)
    with app.app_context():
        assert render_template("hello.html", name="a") == "<p>Hello a</p>"
        assert render_template("bp_only.html") == "from blueprint"


def test_tojson_filter_in_app_template_is_script_safe(app: Tumbler) -> None:
    with app.app_context():
        rv = render_template_string("<script>var d = {{ d|tojson }};</script>", d={"x": XSS})
    assert rv.count("</script>") == 1
    assert json.loads(rv[len("<script>var d = ") : -len(";</script>")]) == {"x": XSS}


def test_template_filter_registered_on_app_is_usable(app: Tumbler) -> None:
    @app.template_filter("reverse")
    def reverse(s: str) -> str:
        return s[::-1]

    with app.app_context():
        assert render_template_string("{{ 'abc'|reverse }}") == "cba"


def test_templates_auto_reload_in_debug_mode(tmp_path: Path) -> None:
    application = Tumbler("reload_app", root_path=str(tmp_path))
    application.debug = True
    assert application.jinja_env.auto_reload is True


def test_render_template_async_awaits_async_values(app: Tumbler) -> None:
    async def fetch_name() -> str:
        return "<async>"

    async def go() -> str:
        with app.app_context():
            return await render_template_string_async("{{ fetch() }}", fetch=fetch_name)

    assert run(go()) == "&lt;async&gt;"


def test_render_template_async_renders_files_and_sends_signals_to_async_receivers(
    app: Tumbler,
) -> None:
    seen: list[str] = []

    async def after(sender: Tumbler, template: t.Any, context: dict[str, t.Any]) -> None:
        seen.append(template.name)

    async def go() -> str:
        with template_rendered.connected_to(after, sender=app), app.app_context():
            return await render_template_async("hello.html", name="<b>")

    assert run(go()) == "<p>Hello &lt;b&gt;</p>"
    assert seen == ["hello.html"]


def test_render_template_in_async_view_over_the_test_client(app: Tumbler) -> None:
    @app.route("/async")
    async def view() -> str:
        return await render_template_async("hello.html", name=request.args["n"])

    assert app.test_client().get("/async?n=<i>").data == b"<p>Hello &lt;i&gt;</p>"
