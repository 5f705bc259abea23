"""The ``tumbler`` command line: app discovery, ``run``, ``shell``, ``routes`` and ``check``.

It behaves like ``flask``'s, with Tumbler names: ``--app``/``TUMBLER_APP`` names the app
(``module``, ``module:name``, ``module:create_app('dev')`` or a file path; without it ``wsgi.py``
or ``app.py`` in the current folder), ``--debug``/``TUMBLER_DEBUG`` sets debug mode,
``.env`` and ``.tumblerenv`` are loaded when python-dotenv is installed, commands added to
``app.cli`` or a blueprint's ``cli`` appear next to the built-in ones, and installed packages
add commands through the ``tumbler.commands`` entry point group.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import inspect
import os
import platform
import re
import ssl
import sys
import traceback
import typing as t
from functools import update_wrapper
from operator import itemgetter
from types import ModuleType
from types import TracebackType

import click
from click.core import ParameterSource

from .globals import current_app
from .helpers import get_debug_flag
from .helpers import get_load_dotenv

if t.TYPE_CHECKING:
    from .app import Tumbler

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """The application could not be found or loaded; the message says why and what to try."""


# -- discovery --------------------------------------------------------------------------------


def _app_object() -> Tumbler:
    # The proxied app itself, for identity checks and for passing it on.
    return t.cast(t.Any, current_app)._get_current_object()


def _tumbler_class() -> type[Tumbler]:
    from .app import Tumbler

    return Tumbler


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    """Return whether the ``TypeError`` being handled came from calling ``f`` itself.

    If the traceback never entered ``f``'s code, the arguments did not fit its signature; if it
    did, the error was raised inside the factory and must be shown as it is.
    """
    tb: TracebackType | None = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(f, "__code__", None):
                return False
            tb = tb.tb_next
        return True
    finally:
        # The traceback holds frames with references; drop it to avoid a cycle.
        del tb


def find_best_app(module: ModuleType) -> Tumbler:
    """Return the app in ``module``.

    Tries, in order: an attribute ``app`` or ``application`` holding a Tumbler app; the only
    Tumbler app among the module's attributes; a factory ``create_app`` or ``make_app`` called
    without arguments.

    :raises NoAppException: when nothing matches, several apps match, or the factory needs
        arguments or returns something else.
    """
    tumbler_class = _tumbler_class()
    for attr_name in ("app", "application"):
        app = getattr(module, attr_name, None)
        if isinstance(app, tumbler_class):
            return app

    matches = [v for v in module.__dict__.values() if isinstance(v, tumbler_class)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NoAppException(
            f"Detected multiple Tumbler applications in module '{module.__name__}'."
            f" Use '{module.__name__}:name' to specify the correct one."
        )

    for attr_name in ("create_app", "make_app"):
        app_factory = getattr(module, attr_name, None)
        if inspect.isfunction(app_factory):
            try:
                app = app_factory()
            except TypeError as e:
                if not _called_with_wrong_args(app_factory):
                    raise
                raise NoAppException(
                    f"Detected factory '{attr_name}' in module '{module.__name__}', but could"
                    " not call it without arguments. Use"
                    f" '{module.__name__}:{attr_name}(args)' to specify arguments."
                ) from e
            if isinstance(app, tumbler_class):
                return app
            raise NoAppException(
                f"The factory '{attr_name}' in module '{module.__name__}' returned"
                f" {type(app).__name__!r}, not a Tumbler application."
            )

    raise NoAppException(
        f"Failed to find Tumbler application or factory in module '{module.__name__}'."
        f" Use '{module.__name__}:name' to specify one."
    )


def _parse_app_expression(app_name: str) -> tuple[str, list[t.Any], dict[str, t.Any]]:
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
            " Use 'name' or 'factory(literal, key=literal)'."
        ) from None

    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if isinstance(expr, ast.Call):
        if not isinstance(expr.func, ast.Name):
            raise NoAppException(f"Function reference must be a simple name: {app_name!r}.")
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None
            }
        except ValueError:
            # Only literals are accepted: the string comes from the command line or the
            # environment and must never run code.
            raise NoAppException(
                f"Failed to parse arguments as literal values: {app_name!r}."
            ) from None
        if len(kwargs) != len(expr.keywords):
            raise NoAppException(f"'**' arguments are not supported: {app_name!r}.")
        return expr.func.id, args, kwargs
    raise NoAppException(
        f"Failed to parse {app_name!r} as an attribute name or function call."
        " Use 'name' or 'factory(literal, key=literal)'."
    )


def find_app_by_string(module: ModuleType, app_name: str) -> Tumbler:
    """Return the app named by ``app_name`` in ``module``.

    :param app_name: an attribute name (``app``) or a factory call with literal arguments
        (``create_app('dev', debug=True)``).
    :raises NoAppException: for bad syntax, a missing attribute, a factory that cannot be
        called with the given arguments, or a result that is not a Tumbler app.
    """
    name, args, kwargs = _parse_app_expression(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError as e:
        raise NoAppException(f"Failed to find attribute {name!r} in {module.__name__!r}.") from e

    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as e:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} could not be called"
                " with the specified arguments."
            ) from e
    else:
        app = attr

    if isinstance(app, _tumbler_class()):
        return app
    raise NoAppException(
        f"A valid Tumbler application was not obtained from '{module.__name__}:{app_name}'."
    )


def prepare_import(path: str) -> str:
    """Return the module name for ``path`` and put its import root first on ``sys.path``.

    ``path`` may be a module name or a file path (``src/hello.py``, ``pkg/__init__.py``,
    ``pkg``); for a file inside packages, the dotted name includes every enclosing package.
    """
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)

    module_name = []
    # Walk up while the folder is a package, so the import root is the first non-package.
    while True:
        path, name = os.path.split(path)
        module_name.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(module_name))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Tumbler: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[False] = ...
) -> Tumbler | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Tumbler | None:
    """Import ``module_name`` and return the app in it.

    :param app_name: the attribute or factory call after ``:``; ``None`` uses
        :func:`find_best_app`.
    :param raise_if_not_found: when the module itself does not exist, return ``None`` instead
        of raising.
    :raises NoAppException: when the module does not exist, raises ``ImportError`` while being
        imported (the message includes that traceback), or holds no usable app. Other errors
        raised while importing the module propagate unchanged.
    """
    try:
        __import__(module_name)
    except ImportError:
        # An ImportError with a deeper traceback was raised inside the module: show it.
        if sys.exc_info()[2].tb_next:  # type: ignore[union-attr]
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:\n\n"
                f"{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(
                f"Could not import {module_name!r}. Check the '--app' value (or TUMBLER_APP)"
                " and the current folder."
            ) from None
        return None

    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """``--version`` callback: print the Tumbler and Python versions and exit."""
    if not value or ctx.resilient_parsing:
        return
    from . import __version__

    click.echo(
        f"Python {platform.python_version()}\nTumbler {__version__}",
        color=ctx.color,
    )
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the Tumbler version.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


class ScriptInfo:
    """Finds and loads the app for the CLI; commands reach it through ``click``'s ``obj``.

    :param app_import_path: what ``--app`` gave: ``module``, ``module:name``,
        ``module:factory(args)`` or a file path. ``None`` falls back to ``wsgi.py``/``app.py``.
    :param create_app: a function returning the app; used instead of importing when given.
    :param set_debug_flag: set ``app.debug`` from ``TUMBLER_DEBUG`` after loading.
    :param load_dotenv_defaults: load ``.env`` and ``.tumblerenv`` (unless
        ``TUMBLER_SKIP_DOTENV`` is set).
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Tumbler] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        #: Arbitrary data commands may share.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Tumbler | None = None

    def load_app(self) -> Tumbler:
        """Load the app once and return it (later calls return the same app).

        :raises NoAppException: when no app can be found or loaded.
        """
        if self._loaded_app is not None:
            return self._loaded_app
        app: Tumbler | None = None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            # Split on the last ':' that is not part of a Windows drive ("C:\app.py").
            path, name = [*re.split(r":(?![\\/])", self.app_import_path, maxsplit=1), None][:2]
            import_name = prepare_import(t.cast(str, path))
            app = locate_app(import_name, name)
        else:
            for path in ("wsgi.py", "app.py"):
                import_name = prepare_import(path)
                app = locate_app(import_name, None, raise_if_not_found=False)
                if app is not None:
                    break
        if app is None:
            raise NoAppException(
                "Could not locate a Tumbler application. Use the 'tumbler --app' option, the"
                " 'TUMBLER_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the"
                " current directory."
            )
        if self.set_debug_flag:
            # Set the debug flag here so a factory sees TUMBLER_DEBUG through its config.
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run the decorated command inside the app's application context.

    The app is loaded from the :class:`ScriptInfo` unless an app context is already active
    (for example in tests invoking the command with ``app.test_cli_runner()``). Commands made
    with :meth:`AppGroup.command` get this automatically.
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run inside the app context by default.

    Pass ``with_appcontext=False`` to :meth:`command` to opt out. Subgroups made with
    :meth:`group` are ``AppGroup`` too.
    """

    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]:
        """Like :meth:`click.Group.command`, wrapping the callback in :func:`with_appcontext`
        unless ``with_appcontext=False`` is passed."""
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return super(AppGroup, self).command(*args, **kwargs)(f)

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group]:
        """Like :meth:`click.Group.group`, defaulting ``cls`` to :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)


# -- group options ----------------------------------------------------------------------------


def _set_app(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    if value is None:
        return None
    info = ctx.ensure_object(ScriptInfo)
    info.app_import_path = value
    return value


# Eager, so the app path is known before subcommand names (which may come from the app) are
# resolved.
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The Tumbler application or factory function to load, in the form 'module:name'."
        " Module can be a dotted import or file path. Name is not required if it is 'app',"
        " 'application', 'create_app', or 'make_app', and can be 'name(args)' to pass"
        " arguments."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)


def _set_debug(ctx: click.Context, param: click.Option, value: bool) -> bool | None:
    # A default must not override TUMBLER_DEBUG from the environment or a .env file.
    source = ctx.get_parameter_source(param.name) if param.name else None
    if source is not None and source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    # The app is loaded later, possibly in a reloader child; the environment reaches both.
    os.environ["TUMBLER_DEBUG"] = "1" if value else "0"
    return value


_debug_option = click.Option(
    ["--debug/--no-debug"],
    help="Set debug mode.",
    expose_value=False,
    callback=_set_debug,
)


def _env_file_callback(
    ctx: click.Context, param: click.Option | None, value: str | None
) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file. Install it with"
                " 'pip install python-dotenv'.",
                ctx=ctx,
                param=param,
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    return value


# Eager, so variables like TUMBLER_APP in the file apply before --app is read.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, taking precedence over those set by"
        " '.env' and '.tumblerenv'. Variables already set in the environment win."
        " python-dotenv must be installed."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load environment variables from ``.tumblerenv``, ``.env`` and ``path``, in that order of
    increasing precedence; variables already in the environment are never overwritten.

    The default files are searched from the current folder upwards. Nothing happens without
    python-dotenv (a hint is printed when files are present).

    :param path: one more file to load, overriding the defaults' values.
    :param load_defaults: also load ``.tumblerenv`` and ``.env``.
    :return: whether any variable was read from a file.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".tumblerenv"):
            click.secho(
                " * Tip: There are .env files present. Install python-dotenv to use them.",
                fg="yellow",
                err=True,
            )
        return False

    data: dict[str, str | None] = {}
    if load_defaults:
        for default_name in (".tumblerenv", ".env"):
            default_path = dotenv.find_dotenv(default_name, usecwd=True)
            if default_path:
                data |= dotenv.dotenv_values(default_path, encoding="utf-8")
    if path is not None and os.path.isfile(path):
        data |= dotenv.dotenv_values(path, encoding="utf-8")

    for key, value in data.items():
        if key in os.environ or value is None:
            continue
        os.environ[key] = value
    return bool(data)


# -- the main group ---------------------------------------------------------------------------


class TumblerGroup(AppGroup):
    """The ``tumbler`` command group: loads the app and offers its commands.

    :param add_default_commands: add ``run``, ``shell``, ``routes`` and ``check``.
    :param create_app: a function returning the app, instead of discovering it.
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.env`` and ``.tumblerenv`` when python-dotenv is installed.
    :param set_debug_flag: set ``app.debug`` from ``TUMBLER_DEBUG``.
    :param extra: passed to :class:`click.Group`; ``TUMBLER_`` is the prefix of environment
        variables for options (``TUMBLER_RUN_PORT``) unless ``context_settings`` says otherwise.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Tumbler] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # The env file is processed first (eager, declared first) so it can set TUMBLER_APP.
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        if "context_settings" not in extra:
            extra["context_settings"] = {}
        extra["context_settings"].setdefault("auto_envvar_prefix", "TUMBLER")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
            self.add_command(check_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for ep in importlib.metadata.entry_points(group="tumbler.commands"):
            self.add_command(ep.load(), ep.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Return a built-in or plugin command, else one from the app's ``cli``."""
        self._load_plugin_commands()
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        # Push the app context so the command (and its parameter callbacks) can use it.
        if not current_app or _app_object() is not app:
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the names of the built-in, plugin and app commands, sorted."""
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        # Help must still work when the app cannot be loaded; say why its commands are missing.
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Create the context with a :class:`ScriptInfo` as ``obj`` (unless one is given)."""
        # app.run() returns immediately when set, so an app module that calls it at import
        # time does not start a second server under 'tumbler run'.
        os.environ["TUMBLER_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the arguments, processing ``--env-file`` and ``--app`` from the environment
        early when only help is requested, so the help lists the app's commands."""
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


# -- run --------------------------------------------------------------------------------------


class CertParamType(click.ParamType):
    """``--cert``: a certificate file, ``adhoc``, or the import path of an ``SSLContext``."""

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Return a resolved file path, ``"adhoc"`` or an :class:`ssl.SSLContext`."""
        if isinstance(value, ssl.SSLContext):
            return value
        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            text = click.STRING(value, param, ctx).lower()
            if text == "adhoc":
                if importlib.util.find_spec("cryptography") is None:
                    raise click.BadParameter(
                        "Using ad-hoc certificates requires the cryptography library."
                        " Install it with 'pip install cryptography', or pass '--cert' and"
                        " '--key' files.",
                        ctx,
                        param,
                    ) from None
                return text
            obj = _import_object(str(value))
            if isinstance(obj, ssl.SSLContext):
                return obj
            raise


def _import_object(name: str) -> t.Any:
    module_name, _, attr = name.replace(":", ".").rpartition(".")
    if not module_name:
        return None
    try:
        module = __import__(module_name, fromlist=[attr])
    except ImportError:
        return None
    return getattr(module, attr, None)


def _validate_key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # --cert is eager, so its value is already in ctx.params.
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    is_context = isinstance(cert, ssl.SSLContext)
    if value is not None:
        if is_adhoc:
            raise click.BadParameter('When "--cert" is "adhoc", "--key" is not used.', ctx, param)
        if is_context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.', ctx, param
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths separated by :data:`os.pathsep` (``:`` on POSIX, ``;`` on Windows)."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Return the list of checked paths."""
        items = self.split_envvar_value(value)
        return [super(SeparatedPathType, self).convert(item, param, ctx) for item in items]


class _LoadErrorApp:
    """Stands in for an app that failed to load in a reloader child: every request re-raises
    the load error (so the debug page shows it) until a fixed file triggers a reload."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.debug = get_debug_flag()
        self.name = "(failed to load)"

    def __call__(self, a: t.Any, b: t.Any, c: t.Any = None) -> t.Any:
        if c is None:
            raise self.error
        return self.asgi_app(a, b, c)

    async def asgi_app(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        if scope.get("type") == "lifespan":
            # Let the server start; the error is shown per request.
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        raise self.error


def _error_files(error: BaseException) -> list[str]:
    # The failed module left sys.modules, so the reloader would not watch it; watch the files
    # in the traceback (and a SyntaxError's file, which is not in it) so fixing them reloads.
    files = [frame.filename for frame in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        files.append(error.filename)
    return files


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option(
    "--port", "-p", default=5000, type=click.IntRange(0, 65535), help="The port to bind to."
)
@click.option(
    "--cert",
    type=CertParamType(),
    is_eager=True,
    help="A certificate file for HTTPS ('adhoc' for a throwaway self-signed one).",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file to use when specifying a certificate.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart the server when code changes. On by default in debug mode.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help=(
        "Show the debug page for exceptions escaping the app (local clients only). On by"
        " default in debug mode."
    ),
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Handle WSGI requests in threads.",
)
@click.option(
    "--server",
    type=click.Choice(["auto", "uvicorn", "wsgi"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="uvicorn (ASGI) when installed, or the threaded WSGI server.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=f"Extra files that trigger a reload on change. Separate them with '{os.pathsep}'.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help=(
        "Files matching these fnmatch patterns do not trigger a reload. Separate them with"
        f" '{os.pathsep}'."
    ),
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: t.Any,
    server: str,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server.

    This server is for development only. Do not use it in production. Reload and the debug
    page follow '--debug' unless '--reload'/'--debugger' say otherwise.
    """
    from .serving import ServerError
    from .serving import is_running_from_reloader
    from .serving import run_simple

    extra = list(extra_files or ())
    app: t.Any
    try:
        app = info.load_app()
    except Exception as e:
        if not is_running_from_reloader():
            raise
        # Keep the server up so fixing the file reloads it, and show the error meanwhile.
        traceback.print_exc()
        app = _LoadErrorApp(e)
        extra.extend(_error_files(e))

    debug = get_debug_flag()
    if reload is None:
        reload = debug
    if debugger is None:
        debugger = debug
    try:
        run_simple(
            host,
            port,
            app,
            use_reloader=reload,
            use_debugger=debugger,
            threaded=with_threads,
            ssl_context=cert,
            extra_files=extra,
            server=server,
            exclude_patterns=exclude_patterns,
            debug=debug,
        )
    except ServerError as e:
        raise click.ClickException(str(e)) from None


# -- shell ------------------------------------------------------------------------------------


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the context of the app.

    The namespace holds 'app', 'g' and what the app's shell context processors return.
    The file named by PYTHONSTARTUP runs first.
    """
    import code

    app = _app_object()
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\n"
        f"Instance: {app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), namespace)
    namespace.update(app.make_shell_context())

    # Tab completion and history only make sense in a real terminal.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None and sys.stdin.isatty():
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        interactive_hook()

    code.interact(banner=banner, local=namespace)


# -- routes -----------------------------------------------------------------------------------


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help=(
        "Method to sort routes by. 'match' is the order that Tumbler will match routes"
        " when dispatching a request."
    ),
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with endpoints and methods."""
    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return

    ignored_methods = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching
    has_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)
    rows = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted((rule.methods or set()) - ignored_methods))]
        if has_domain:
            row.append((rule.host if host_matching else rule.subdomain) or "")
        row.append(rule.rule)
        rows.append(row)

    headers = ["Endpoint", "Methods"]
    sorts = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sorts.append("domain")
    headers.append("Rule")
    sorts.append("rule")
    if sort in sorts:
        rows.sort(key=itemgetter(sorts.index(sort)))

    rows.insert(0, headers)
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    rows.insert(1, ["-" * w for w in widths])
    template = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    for row in rows:
        click.echo(template.format(*row).rstrip())


# -- check ------------------------------------------------------------------------------------


@click.command("check", short_help="Audit the app's settings for production.")
@with_appcontext
def check_command() -> None:
    """Report insecure settings (secret key, debug mode, trusted hosts, cookie and HSTS
    flags). Exits with status 1 when anything is found."""
    from .check import check_app

    findings = check_app(_app_object())
    if not findings:
        click.secho("No insecure settings found.", fg="green")
        return
    for finding in findings:
        click.secho(f"[{finding.code}] ", fg="red", bold=True, nl=False)
        click.echo(finding.message)
        click.echo(f"    Fix: {finding.fix}")
    click.secho(f"\n{len(findings)} issue(s) found.", fg="red")
    raise click.exceptions.Exit(1)


cli = TumblerGroup(
    name="tumbler",
    help=(
        "A general utility script for Tumbler applications.\n\n"
        "An application to load must be given with the '--app' option, the 'TUMBLER_APP'"
        " environment variable, or with a 'wsgi.py' or 'app.py' file in the current directory."
    ),
)


def main() -> None:
    """The ``tumbler`` console script."""
    cli.main()


__all__ = [
    "AppGroup",
    "CertParamType",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "TumblerGroup",
    "check_command",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "with_appcontext",
]

if __name__ == "__main__":
    main()
