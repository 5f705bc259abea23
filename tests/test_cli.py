"""Tests for tumbler.cli: app discovery, the tumbler group, and the run/shell/routes/check commands."""

from __future__ import annotations

import os
import re
import socket
import sys
import textwrap
import time
import types
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from click.testing import Result

from processes import OutputProcess
from tumbler import Blueprint
from tumbler import Tumbler
from tumbler import __version__
from tumbler import current_app
from tumbler.cli import AppGroup
from tumbler.cli import NoAppException
from tumbler.cli import ScriptInfo
from tumbler.cli import TumblerGroup
from tumbler.cli import find_app_by_string
from tumbler.cli import find_best_app
from tumbler.cli import load_dotenv
from tumbler.cli import locate_app
from tumbler.cli import prepare_import
from tumbler.cli import with_appcontext


@pytest.fixture(autouse=True)
def isolated_process_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[None]:
    """The CLI writes os.environ (debug flag, .env files) and imports the tests' app modules
    (often all named alike); undo both."""
    environ = dict(os.environ)
    path = list(sys.path)
    modules = set(sys.modules)
    for name in ("TUMBLER_APP", "TUMBLER_DEBUG", "TUMBLER_SKIP_DOTENV", "TUMBLER_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    temp_root = str(tmp_path_factory.getbasetemp())
    for name in set(sys.modules) - modules:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(temp_root):
            del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


HELLO_APP = """
from tumbler import Tumbler

app = Tumbler(__name__)

@app.route("/")
def index():
    return "hello from the cli"

@app.cli.command("greet")
def greet():
    print("greetings from", app.name)
"""


def invoke(args: list[str], **kwargs: t.Any) -> Result:
    return CliRunner().invoke(TumblerGroup(name="tumbler"), args, **kwargs)


def module(name: str = "mod", **attrs: t.Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    return mod


# -- find_best_app ----------------------------------------------------------------------------


def test_find_best_app_prefers_attribute_named_app() -> None:
    app = Tumbler("a")
    assert find_best_app(module(app=app, other=Tumbler("b"))) is app


def test_find_best_app_accepts_attribute_named_application() -> None:
    app = Tumbler("a")
    assert find_best_app(module(application=app)) is app


def test_find_best_app_finds_the_only_instance_under_any_name() -> None:
    app = Tumbler("a")
    assert find_best_app(module(my_site=app)) is app


def test_find_best_app_refuses_to_guess_between_several_apps() -> None:
    with pytest.raises(NoAppException, match="multiple Tumbler applications"):
        find_best_app(module(one=Tumbler("a"), two=Tumbler("b")))


@pytest.mark.parametrize("factory_name", ["create_app", "make_app"])
def test_find_best_app_calls_factory_without_arguments(factory_name: str) -> None:
    app = Tumbler("a")
    assert find_best_app(module("mod", **{factory_name: lambda: app})) is app


def test_find_best_app_reports_factory_that_needs_arguments() -> None:
    def create_app(config_name: str) -> Tumbler:
        return Tumbler(config_name)

    with pytest.raises(
        NoAppException, match=r"could not call it without arguments.*create_app\(args\)"
    ):
        find_best_app(module(create_app=create_app))


def test_find_best_app_lets_type_error_inside_factory_propagate() -> None:
    def create_app() -> Tumbler:
        raise TypeError("bug inside the factory")

    with pytest.raises(TypeError, match="bug inside the factory"):
        find_best_app(module(create_app=create_app))


def test_find_best_app_reports_factory_returning_something_else() -> None:
    with pytest.raises(NoAppException, match="returned 'str', not a Tumbler application"):
        find_best_app(module(create_app=lambda: "nope"))


def test_find_best_app_reports_module_without_app() -> None:
    with pytest.raises(NoAppException, match="Failed to find Tumbler application or factory"):
        find_best_app(module(value=1))


# -- find_app_by_string -----------------------------------------------------------------------


def test_find_app_by_string_returns_named_attribute() -> None:
    app = Tumbler("a")
    assert find_app_by_string(module(site=app), "site") is app


def test_find_app_by_string_calls_factory_with_literal_arguments() -> None:
    calls: list[tuple[t.Any, ...]] = []

    def create_app(name: str, *, debug: bool = False, ports: tuple[int, ...] = ()) -> Tumbler:
        calls.append((name, debug, ports))
        return Tumbler(name)

    app = find_app_by_string(
        module(create_app=create_app), "create_app('dev', debug=True, ports=(1, 2))"
    )
    assert app.import_name == "dev"
    assert calls == [("dev", True, (1, 2))]


@pytest.mark.parametrize("expression", ["create_app(", "a.b", "1 +", "app[0]"])
def test_find_app_by_string_reports_unparsable_expression(expression: str) -> None:
    with pytest.raises(NoAppException, match=r"Failed to parse|simple name"):
        find_app_by_string(module(app=Tumbler("a")), expression)


def test_find_app_by_string_refuses_non_literal_arguments() -> None:
    with pytest.raises(NoAppException, match="literal values"):
        find_app_by_string(
            module(create_app=lambda x: Tumbler("a")), "create_app(__import__('os'))"
        )


def test_find_app_by_string_reports_missing_attribute() -> None:
    with pytest.raises(NoAppException, match="Failed to find attribute 'missing' in 'mod'"):
        find_app_by_string(module(), "missing")


def test_find_app_by_string_reports_wrong_factory_arguments() -> None:
    def create_app() -> Tumbler:
        return Tumbler("a")

    with pytest.raises(NoAppException, match="could not be called with the specified arguments"):
        find_app_by_string(module(create_app=create_app), "create_app(1, 2)")


def test_find_app_by_string_reports_attribute_that_is_not_an_app() -> None:
    with pytest.raises(NoAppException, match="valid Tumbler application was not obtained"):
        find_app_by_string(module(app=42), "app")


# -- prepare_import and locate_app ------------------------------------------------------------


def test_prepare_import_turns_file_inside_packages_into_dotted_name(project: Path) -> None:
    write(project / "src" / "shop" / "__init__.py", "")
    write(project / "src" / "shop" / "web.py", "")
    assert prepare_import("src/shop/web.py") == "shop.web"
    assert sys.path[0] == str(project / "src")


def test_prepare_import_maps_package_init_to_the_package(project: Path) -> None:
    write(project / "shop" / "__init__.py", "")
    assert prepare_import("shop/__init__.py") == "shop"


def test_prepare_import_keeps_plain_module_name(project: Path) -> None:
    assert prepare_import("hello") == "hello"
    assert sys.path[0] == str(project)


def test_locate_app_reports_missing_module(project: Path) -> None:
    with pytest.raises(NoAppException, match="Could not import 'nowhere_to_be_found'"):
        locate_app("nowhere_to_be_found", None)


def test_locate_app_returns_none_for_missing_module_when_asked(project: Path) -> None:
    assert locate_app("nowhere_to_be_found", None, raise_if_not_found=False) is None


def test_locate_app_shows_import_error_raised_inside_the_module(project: Path) -> None:
    write(project / "broken_imports.py", "import a_dependency_that_is_missing\n")
    prepare_import("broken_imports.py")
    with pytest.raises(NoAppException) as info:
        locate_app("broken_imports", None)
    message = str(info.value)
    assert "While importing 'broken_imports', an ImportError was raised" in message
    assert "Traceback" in message
    assert "No module named 'a_dependency_that_is_missing'" in message


def test_locate_app_lets_other_errors_in_the_module_propagate(project: Path) -> None:
    write(project / "crashing.py", "raise RuntimeError('config file missing')\n")
    prepare_import("crashing.py")
    with pytest.raises(RuntimeError, match="config file missing"):
        locate_app("crashing", None)


# -- ScriptInfo -------------------------------------------------------------------------------


def test_script_info_uses_create_app_and_caches_the_app() -> None:
    created: list[Tumbler] = []

    def create() -> Tumbler:
        created.append(Tumbler("a"))
        return created[-1]

    info = ScriptInfo(create_app=create)
    assert info.load_app() is info.load_app()
    assert len(created) == 1


def test_script_info_loads_module_colon_name(project: Path) -> None:
    write(project / "site_one.py", "from tumbler import Tumbler\nsite = Tumbler('site_one')\n")
    assert ScriptInfo("site_one:site").load_app().import_name == "site_one"


def test_script_info_loads_from_file_path(project: Path) -> None:
    write(project / "web" / "main.py", "from tumbler import Tumbler\napp = Tumbler('from_file')\n")
    assert ScriptInfo("web/main.py").load_app().import_name == "from_file"


@pytest.mark.parametrize("filename", ["app.py", "wsgi.py"])
def test_script_info_falls_back_to_app_py_or_wsgi_py(project: Path, filename: str) -> None:
    write(project / filename, f"from tumbler import Tumbler\napp = Tumbler({filename!r})\n")
    assert ScriptInfo().load_app().import_name == filename


def test_script_info_without_any_app_explains_the_options(project: Path) -> None:
    with pytest.raises(NoAppException, match=r"--app.*TUMBLER_APP.*wsgi\.py.*app\.py"):
        ScriptInfo().load_app()


def test_script_info_sets_debug_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUMBLER_DEBUG", "1")
    assert ScriptInfo(create_app=lambda: Tumbler("a")).load_app().debug is True


def test_script_info_leaves_debug_alone_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def create_app() -> Tumbler:
        app = Tumbler("a")
        app.debug = False
        return app

    monkeypatch.setenv("TUMBLER_DEBUG", "1")
    assert ScriptInfo(create_app=create_app, set_debug_flag=False).load_app().debug is False
    assert ScriptInfo(create_app=create_app).load_app().debug is True


# -- with_appcontext and AppGroup -------------------------------------------------------------


def test_with_appcontext_pushes_the_loaded_app() -> None:
    app = Tumbler("ctx_app")

    @click.command()
    @with_appcontext
    def show() -> None:
        click.echo(current_app.name)

    result = CliRunner().invoke(show, obj=ScriptInfo(create_app=lambda: app))
    assert result.output == "ctx_app\n"


def test_app_group_commands_run_in_app_context_unless_disabled() -> None:
    app = Tumbler("group_app")
    group = AppGroup("tools")

    @group.command()
    def inside() -> None:
        click.echo(current_app.name)

    @group.command(with_appcontext=False)
    def outside() -> None:
        click.echo(bool(current_app))

    info = ScriptInfo(create_app=lambda: app)
    assert CliRunner().invoke(group, ["inside"], obj=info).output == "group_app\n"
    assert CliRunner().invoke(group, ["outside"], obj=info).output == "False\n"


def test_app_group_subgroups_are_app_groups() -> None:
    @AppGroup("outer").group()
    def inner() -> None:
        pass

    assert isinstance(inner, AppGroup)


def test_app_cli_is_an_app_group() -> None:
    assert isinstance(Tumbler("a").cli, AppGroup)


# -- the tumbler group ------------------------------------------------------------------------


def test_app_option_finds_module_and_runs_app_command(project: Path) -> None:
    write(project / "hello.py", HELLO_APP)
    result = invoke(["--app", "hello", "greet"])
    assert result.exit_code == 0, result.output
    assert result.output == "greetings from hello\n"


def test_tumbler_app_environment_variable_names_the_app(project: Path) -> None:
    write(project / "hello.py", HELLO_APP)
    result = invoke(["greet"], env={"TUMBLER_APP": "hello:app"})
    assert result.output == "greetings from hello\n"


def test_factory_with_arguments_from_the_command_line(project: Path) -> None:
    write(
        project / "factory_app.py",
        """
        from tumbler import Tumbler

        def create_app(name):
            app = Tumbler(name)

            @app.cli.command()
            def who():
                print(app.name)

            return app
        """,
    )
    result = invoke(["-A", "factory_app:create_app('configured')", "who"])
    assert result.output == "configured\n"


def test_unknown_app_path_fails_with_a_clear_message(project: Path) -> None:
    result = invoke(["--app", "does_not_exist", "routes"])
    assert result.exit_code != 0
    assert "Could not import 'does_not_exist'" in result.output


def test_import_error_inside_app_module_shows_the_real_traceback(project: Path) -> None:
    write(project / "needs_dep.py", "import not_installed_anywhere\n")
    result = invoke(["--app", "needs_dep", "routes"])
    assert result.exit_code != 0
    assert "While importing 'needs_dep'" in result.output
    assert "No module named 'not_installed_anywhere'" in result.output


def test_factory_raising_makes_the_command_fail(project: Path) -> None:
    write(
        project / "bad_factory.py",
        """
        def create_app():
            raise RuntimeError("database url missing")
        """,
    )
    result = invoke(["--app", "bad_factory", "routes"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert "database url missing" in str(result.exception)


def test_unknown_command_is_a_usage_error(project: Path) -> None:
    write(project / "hello.py", HELLO_APP)
    result = invoke(["--app", "hello", "frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def test_version_shows_tumbler_and_python_versions() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert f"Tumbler {__version__}" in result.output
    assert re.search(r"Python \d+\.\d+\.\d+", result.output)


def test_help_lists_builtin_and_app_commands(project: Path) -> None:
    write(project / "hello.py", HELLO_APP)
    result = invoke(["--app", "hello", "--help"])
    for name in ("run", "shell", "routes", "check", "greet"):
        assert re.search(rf"^\s+{name}\b", result.output, re.MULTILINE), name


def test_help_still_works_when_the_app_cannot_be_loaded(project: Path) -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "Could not locate a Tumbler application" in result.output
    assert "routes" in result.output


@pytest.mark.parametrize(("flag", "expected"), [("--debug", "True"), ("--no-debug", "False")])
def test_debug_option_sets_app_debug(project: Path, flag: str, expected: str) -> None:
    write(
        project / "dbg.py",
        """
        from tumbler import Tumbler
        app = Tumbler(__name__)

        @app.cli.command()
        def show():
            print(app.debug)
        """,
    )
    env = {"TUMBLER_DEBUG": "0" if flag == "--debug" else "1"}
    result = invoke(["--app", "dbg", flag, "show"], env=env)
    assert result.output == f"{expected}\n"


def test_blueprint_commands_form_a_group_named_after_the_blueprint() -> None:
    app = Tumbler("bp_app")
    bp = Blueprint("users", __name__)

    @bp.cli.command("create")
    def create_user() -> None:
        click.echo(f"created in {current_app.name}")

    app.register_blueprint(bp)
    group = TumblerGroup(create_app=lambda: app)
    assert CliRunner().invoke(group, ["users", "create"]).output == "created in bp_app\n"


def test_blueprint_commands_merge_into_top_level_without_cli_group() -> None:
    app = Tumbler("bp_app")
    bp = Blueprint("admin", __name__, cli_group=None)

    @bp.cli.command("cleanup")
    def cleanup() -> None:
        click.echo("cleaned")

    app.register_blueprint(bp)
    group = TumblerGroup(create_app=lambda: app)
    assert CliRunner().invoke(group, ["cleanup"]).output == "cleaned\n"


def test_plugin_commands_come_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def plugged() -> None:
        click.echo("plugin ran")

    class FakeEntryPoint:
        name = "plugged"

        def load(self) -> click.Command:
            return plugged

    groups: list[str] = []

    def entry_points(group: str) -> list[FakeEntryPoint]:
        groups.append(group)
        return [FakeEntryPoint()]

    monkeypatch.setattr("tumbler.cli.importlib.metadata.entry_points", entry_points)
    group = TumblerGroup(create_app=lambda: Tumbler("a"))
    assert CliRunner().invoke(group, ["plugged"]).output == "plugin ran\n"
    assert groups == ["tumbler.commands"]


# -- dotenv -----------------------------------------------------------------------------------


def test_dotenv_files_are_loaded_with_env_taking_precedence(project: Path) -> None:
    write(project / ".tumblerenv", "FROM_TUMBLERENV=1\nSHARED=tumblerenv\n")
    write(project / ".env", "FROM_DOTENV=1\nSHARED=dotenv\n")
    assert load_dotenv()
    assert os.environ["FROM_TUMBLERENV"] == "1"
    assert os.environ["FROM_DOTENV"] == "1"
    assert os.environ["SHARED"] == "dotenv"


def test_dotenv_never_overrides_existing_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALREADY_SET", "from-shell")
    write(project / ".env", "ALREADY_SET=from-file\n")
    load_dotenv()
    assert os.environ["ALREADY_SET"] == "from-shell"


def test_dotenv_reports_nothing_loaded_without_files(project: Path) -> None:
    assert load_dotenv() is False


def test_dotenv_can_name_the_app_for_the_cli(project: Path) -> None:
    write(project / "hello.py", HELLO_APP)
    write(project / ".tumblerenv", "TUMBLER_APP=hello\n")
    assert invoke(["greet"]).output == "greetings from hello\n"


def test_env_file_option_loads_the_given_file(project: Path) -> None:
    write(project / "hello.py", HELLO_APP)
    write(project / "custom.env", "TUMBLER_APP=hello\n")
    assert invoke(["-e", "custom.env", "greet"]).output == "greetings from hello\n"


def test_env_file_option_rejects_missing_file(project: Path) -> None:
    result = invoke(["--env-file", "nope.env", "routes"])
    assert result.exit_code == 2
    assert "nope.env" in result.output


def test_skip_dotenv_variable_disables_default_files(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUMBLER_SKIP_DOTENV", "1")
    write(project / ".env", "SHOULD_NOT_LOAD=1\n")
    invoke(["--help"])
    assert "SHOULD_NOT_LOAD" not in os.environ


# -- routes -----------------------------------------------------------------------------------


def routes_app() -> Tumbler:
    app = Tumbler("routes_app", static_folder=None)

    @app.route("/zeta")
    def a_first() -> str:
        return ""

    @app.route("/alpha", methods=["POST", "PUT"])
    def z_last() -> str:
        return ""

    return app


def run_routes(app: Tumbler, *args: str) -> list[str]:
    result = CliRunner().invoke(TumblerGroup(create_app=lambda: app), ["routes", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_routes_lists_endpoint_methods_and_rule_sorted_by_endpoint() -> None:
    lines = run_routes(routes_app())
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["a_first", "GET", "/zeta"]
    assert lines[3].split() == ["z_last", "POST,", "PUT", "/alpha"]


def test_routes_sorted_by_rule() -> None:
    lines = run_routes(routes_app(), "--sort", "rule")
    assert [line.split()[-1] for line in lines[2:]] == ["/alpha", "/zeta"]


def test_routes_sorted_by_methods() -> None:
    lines = run_routes(routes_app(), "-s", "methods")
    assert [line.split()[0] for line in lines[2:]] == ["a_first", "z_last"]


def test_routes_in_match_order_keeps_registration_order() -> None:
    app = routes_app()
    expected = [rule.endpoint for rule in app.url_map.iter_rules()]
    lines = run_routes(app, "--sort", "match")
    assert [line.split()[0] for line in lines[2:]] == expected


def test_routes_hide_head_and_options_unless_all_methods() -> None:
    assert "HEAD" not in "\n".join(run_routes(routes_app()))
    all_lines = "\n".join(run_routes(routes_app(), "--all-methods"))
    assert "GET, HEAD, OPTIONS" in all_lines


def test_routes_show_subdomain_column_when_used() -> None:
    app = Tumbler("sub_app", static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/", subdomain="api")
    def api_index() -> str:
        return ""

    lines = run_routes(app, "--sort", "domain")
    assert lines[0].split() == ["Endpoint", "Methods", "Subdomain", "Rule"]
    assert lines[2].split() == ["api_index", "GET", "api", "/"]


def test_routes_without_rules_says_so() -> None:
    assert run_routes(Tumbler("empty", static_folder=None)) == ["No routes were registered."]


def test_routes_rejects_unknown_sort() -> None:
    result = CliRunner().invoke(
        TumblerGroup(create_app=lambda: routes_app()), ["routes", "--sort", "size"]
    )
    assert result.exit_code == 2


# -- shell ------------------------------------------------------------------------------------


def test_shell_runs_code_with_app_and_shell_context(project: Path) -> None:
    app = Tumbler("shell_app")

    @app.shell_context_processor
    def extra() -> dict[str, t.Any]:
        return {"answer": 42}

    result = CliRunner().invoke(
        TumblerGroup(create_app=lambda: app),
        ["shell"],
        input="print(app.name, answer, current_app_name())\n",
        env={"PYTHONSTARTUP": None},
        catch_exceptions=False,
    )
    # current_app_name is undefined: the NameError shows the shell keeps going after errors.
    assert "NameError" in result.output
    result = CliRunner().invoke(
        TumblerGroup(create_app=lambda: app),
        ["shell"],
        input="from tumbler import current_app\nprint(app.name, answer, current_app.name)\n",
    )
    assert "shell_app 42 shell_app" in result.output
    assert "App: shell_app" in result.output


def test_shell_runs_pythonstartup_first(project: Path) -> None:
    write(project / "startup.py", "STARTUP_VALUE = 'from-startup'\n")
    result = CliRunner().invoke(
        TumblerGroup(create_app=lambda: Tumbler("a")),
        ["shell"],
        input="print(STARTUP_VALUE)\n",
        env={"PYTHONSTARTUP": str(project / "startup.py")},
    )
    assert "from-startup" in result.output


# -- check ------------------------------------------------------------------------------------


def test_check_prints_findings_and_exits_with_1() -> None:
    result = CliRunner().invoke(TumblerGroup(create_app=lambda: Tumbler("a")), ["check"])
    assert result.exit_code == 1
    assert "[secret-key-missing]" in result.output
    assert "Fix:" in result.output


def test_check_passes_for_a_secure_app() -> None:
    app = Tumbler("a")
    app.config.update(
        SECRET_KEY="s" * 64, TRUSTED_HOSTS=["example.com"], SESSION_COOKIE_SECURE=True
    )
    result = CliRunner().invoke(TumblerGroup(create_app=lambda: app), ["check"])
    assert result.exit_code == 0
    assert "No insecure settings found." in result.output


# -- run: option validation (in process) ------------------------------------------------------


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(TumblerGroup(create_app=lambda: Tumbler("a")), ["run", *args])


def test_run_key_without_cert_is_refused() -> None:
    result = run_cli("--key", __file__)
    assert result.exit_code == 2
    assert '"--cert" must also be specified' in result.output


def test_run_cert_without_key_is_refused() -> None:
    result = run_cli("--cert", __file__)
    assert result.exit_code == 2
    assert 'Required when using "--cert"' in result.output


def test_run_adhoc_cert_with_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tumbler.cli.importlib.util.find_spec", lambda name: object())
    result = run_cli("--cert", "adhoc", "--key", __file__)
    assert result.exit_code == 2
    assert '"--key" is not used' in result.output


def test_run_adhoc_cert_without_cryptography_explains_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tumbler.cli.importlib.util.find_spec", lambda name: None)
    result = run_cli("--cert", "adhoc")
    assert result.exit_code == 2
    assert "requires the cryptography library" in result.output


def test_run_rejects_unknown_server_choice() -> None:
    result = run_cli("--server", "tornado")
    assert result.exit_code == 2
    assert "tornado" in result.output


def test_run_rejects_out_of_range_port() -> None:
    assert run_cli("--port", "70000").exit_code == 2


def test_run_on_a_port_in_use_fails_with_a_clear_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("--port", str(port), "--no-reload")
    assert result.exit_code == 1
    assert f"127.0.0.1:{port} is already in use" in result.output
    assert "--port" in result.output


# -- run: real servers in a subprocess --------------------------------------------------------


class CliProcess(OutputProcess):
    """``tumbler ...`` started through ``main()`` in a subprocess, output collected."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUMBLER_")}
        super().__init__(
            [sys.executable, "-c", "from tumbler.cli import main; main()", *args], cwd, env
        )


def fetch(url: str) -> tuple[int, str]:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.server
@pytest.mark.parametrize(
    ("server", "description"), [("uvicorn", "uvicorn"), ("wsgi", "threaded WSGI")]
)
def test_run_serves_the_app_and_prints_the_banner(
    tmp_path: Path, server: str, description: str
) -> None:
    write(tmp_path / "hello.py", HELLO_APP)
    process = CliProcess(["--app", "hello", "run", "--port", "0", "--server", server], tmp_path)
    try:
        port = int(process.wait_for(r"Running on http://127\.0\.0\.1:(\d+)/").group(1))
        process.wait_for(f"Server: {description}")
        process.wait_for("Debug mode: off")
        process.wait_for("Reload: off")
        assert fetch(f"http://127.0.0.1:{port}/") == (200, "hello from the cli")
    finally:
        process.stop()


@pytest.mark.server
def test_run_in_debug_mode_serves_the_debug_page_locally(tmp_path: Path) -> None:
    write(
        tmp_path / "failing.py",
        """
        from tumbler import Tumbler
        app = Tumbler(__name__)

        @app.route("/fail")
        def fail():
            raise ValueError("<script>alert('x')</script>")
        """,
    )
    process = CliProcess(
        ["--app", "failing", "--debug", "run", "--port", "0", "--no-reload"], tmp_path
    )
    try:
        port = int(process.wait_for(r"Running on http://127\.0\.0\.1:(\d+)/").group(1))
        process.wait_for("Debug mode: on")
        status, body = fetch(f"http://127.0.0.1:{port}/fail")
        assert status == 500
        assert "ValueError" in body
        assert "&lt;script&gt;" in body
        assert "<script>" not in body
    finally:
        process.stop()


@pytest.mark.server
def test_run_on_a_port_in_use_exits_with_a_message(tmp_path: Path) -> None:
    write(tmp_path / "hello.py", HELLO_APP)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = CliProcess(["--app", "hello", "run", "--port", str(port)], tmp_path)
        try:
            code, output = process.finish()
        finally:
            process.stop()
    assert code != 0
    assert "already in use" in output


def test_main_shows_the_real_traceback_when_the_factory_raises(tmp_path: Path) -> None:
    write(
        tmp_path / "bad_factory.py",
        """
        def create_app():
            raise RuntimeError("database url missing")
        """,
    )
    process = CliProcess(["--app", "bad_factory", "routes"], tmp_path)
    try:
        code, output = process.finish()
    finally:
        process.stop()
    assert code != 0
    assert "Traceback" in output
    assert "RuntimeError: database url missing" in output


def test_main_reports_unknown_app_path(tmp_path: Path) -> None:
    process = CliProcess(["--app", "missing_module", "routes"], tmp_path)
    try:
        code, output = process.finish()
    finally:
        process.stop()
    assert code != 0
    assert "Could not import 'missing_module'" in output
