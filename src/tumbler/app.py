"""The application object, :class:`Tumbler`, and its one request pipeline.

The pipeline (:meth:`Tumbler.handle_request`) is written once, as ``async`` code that calls sync
callables directly and awaits async ones. The WSGI front end drives it without an event loop
unless an async callable really suspends (then a long-lived per-thread loop takes over); the ASGI
front end runs it on the server's loop, sending sync views to a thread pool.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
import threading
import types
import typing as t
import weakref
from datetime import timedelta
from functools import cached_property
from types import TracebackType
from urllib.parse import quote as _url_quote

from . import wsgi as _wsgi
from .config import Config
from .ctx import AppContext
from .ctx import RequestContext
from .ctx import _AppCtxGlobals
from .ctx import _EnvironRequestContext
from .datastructures import Headers
from .datastructures import ImmutableDict
from .exceptions import Aborter
from .exceptions import BadRequest
from .exceptions import BadRequestKeyError
from .exceptions import HTTPException
from .exceptions import InternalServerError
from .globals import _cv_context
from .globals import _cv_get
from .globals import g
from .helpers import _split_blueprint_path
from .helpers import get_debug_flag
from .helpers import get_flashed_messages
from .http import _content_length
from .json.provider import DefaultJSONProvider
from .json.provider import JSONProvider
from .routing import BuildError
from .routing import Map
from .routing import MapAdapter
from .routing import RequestRedirect
from .routing import RoutingException
from .routing import Rule
from .scaffold import F
from .scaffold import Scaffold
from .scaffold import _endpoint_from_view_func
from .scaffold import find_package
from .scaffold import setupmethod
from .sessions import SecureCookieSessionInterface
from .sessions import SessionInterface
from .signals import appcontext_popped
from .signals import appcontext_pushed
from .signals import appcontext_tearing_down
from .signals import got_request_exception
from .signals import request_finished
from .signals import request_started
from .signals import request_tearing_down
from .templating import DispatchingJinjaLoader
from .templating import Environment
from .templating import _default_template_ctx_processor
from .templating import select_jinja_autoescape
from .wrappers import Request
from .wrappers import Response
from .wrappers.response import text_content_type
from .wrappers.response import text_response
from .wsgi import NEED_LOOP
from .wsgi import run_sync

if t.TYPE_CHECKING:
    import asyncio

    from jinja2 import BaseLoader

    from .blueprints import Blueprint
    from .csrf import CSRFProtection
    from .protections import SecurityPolicy
    from .testing import TumblerClient
    from .testing import TumblerCliRunner

_sentinel: t.Any = object()


def _get_running_loop() -> t.Any:
    # asyncio is imported only once something needs it (it is a fifth of ``import tumbler``);
    # until it is, no event loop can be running.
    aio = sys.modules.get("asyncio")
    return None if aio is None else aio._get_running_loop()


async def _asgi3_signature(a: t.Any, b: t.Any = None, c: t.Any = None) -> None:
    """Only its code object is used: the flags of a coroutine function with __call__'s shape."""


class _CoroutineMarkedCall:
    """``app.__call__`` as seen by ASGI servers on Python 3.11.

    uvicorn and hypercorn serve an app as ASGI 3 only when ``app.__call__`` is a coroutine
    function (``asyncio``/``inspect.iscoroutinefunction``). Python 3.12 can mark a function so
    (``inspect.markcoroutinefunction``); on 3.11 ``inspect`` only trusts a function-like object
    whose code has the coroutine flag, which this is. Calling it calls the app: WSGI calls
    through ``app.__call__`` keep working.
    """

    __slots__ = ("_app",)
    __name__ = "__call__"
    __code__ = _asgi3_signature.__code__
    __defaults__ = None
    __kwdefaults__ = None
    __annotations__: dict[str, t.Any] = {}

    def __init__(self, app: Tumbler) -> None:
        self._app = app

    def __call__(self, a: t.Any, b: t.Any = None, c: t.Any = None) -> t.Any:
        return type(self._app).__call__(self._app, a, b, c)


_MARK_CALL_PER_APP = not hasattr(inspect, "markcoroutinefunction")
_asgi_serve: t.Any = None
_asgi_http: t.Any = None
_iscoroutinefunction = inspect.iscoroutinefunction
_isawaitable = inspect.isawaitable
_CoroutineType = types.CoroutineType
# View return types that are never awaitable: checked by identity before ``isawaitable``.
_PLAIN_RETURN_TYPES = frozenset({str, bytes, dict, list, tuple, Response})

# Pipeline methods a subclass may override with Flask's sync signatures; when it does, the
# pipeline calls the override instead of its internal async implementation.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The signals sent while serving a request: an app with receivers for them takes the full road.
_PIPELINE_SIGNALS = (
    request_started,
    request_finished,
    request_tearing_down,
    appcontext_pushed,
    appcontext_popped,
    appcontext_tearing_down,
)
# Their receiver dicts (blinker fills and empties each one in place), tested in one C loop.
_PIPELINE_RECEIVERS = tuple(signal.receivers for signal in _PIPELINE_SIGNALS)

# Hook lookup order: (app, then blueprints outer to inner), (blueprints inner to outer, then app).
_HookNames = tuple[tuple[str | None, ...], tuple[str | None, ...]]
_APP_HOOK_NAMES: _HookNames = ((None,), (None,))
_REQUEST_BLUEPRINTS = Request.blueprints
# Exception class -> (class, HTTP code) as _get_exc_class_and_code finds them, for raised errors.
_EXC_CLASS_AND_CODE: dict[type[Exception], tuple[type[Exception], int | None]] = {}

_OVERRIDABLE = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "process_response",
    "handle_exception",
    "handle_user_exception",
    "handle_http_exception",
)


async def _await(aw: t.Awaitable[t.Any]) -> t.Any:
    if _get_running_loop() is None:
        await NEED_LOOP
    return await aw


async def _call(func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    rv = func(*args)
    if _isawaitable(rv):
        if _get_running_loop() is None:
            await NEED_LOOP
        rv = await rv
    return rv


class Tumbler(Scaffold):
    """The application: a WSGI callable and an ASGI app in one object, with Flask's API.

    Create it in your main module or package with ``app = Tumbler(__name__)``. Run it with any WSGI
    server (``gunicorn module:app``) or any ASGI server (``uvicorn module:app``).

    :param import_name: the application's module or package name, usually ``__name__``; locates
        ``root_path``, templates and static files.
    :param static_url_path: URL prefix of the static route; defaults to ``/`` + the folder name.
    :param static_folder: folder of static files relative to ``root_path``; ``None`` disables the
        static route.
    :param static_host: host of the static route; required with ``host_matching``.
    :param host_matching: match rules by their ``host`` instead of by subdomain.
    :param subdomain_matching: match the ``subdomain`` of rules against ``SERVER_NAME``.
    :param template_folder: template folder relative to ``root_path``.
    :param instance_path: absolute path of the instance folder; found automatically when omitted.
    :param instance_relative_config: load relative config files from the instance folder.
    :param root_path: override the detected root path.
    """

    #: The request class used for incoming requests.
    request_class: type[Request] = Request
    #: The response class :meth:`make_response` creates.
    response_class: type[Response] = Response
    #: The Jinja environment class.
    jinja_environment: type[Environment] = Environment
    #: The class of ``g``.
    app_ctx_globals_class = _AppCtxGlobals
    #: The class of :attr:`config`.
    config_class = Config
    #: The class that creates :attr:`aborter`.
    aborter_class = Aborter
    #: The class of :attr:`json`.
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    #: The rule class :meth:`add_url_rule` creates.
    url_rule_class = Rule
    #: The map class holding the URL rules.
    url_map_class = Map
    #: The test client class; ``None`` means :class:`tumbler.testing.TumblerClient`.
    test_client_class: type[TumblerClient] | None = None
    #: The CLI runner class; ``None`` means :class:`tumbler.testing.TumblerCliRunner`.
    test_cli_runner_class: type[TumblerCliRunner] | None = None
    #: The session interface; signed cookies by default.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    #: Options for the Jinja environment; change them before ``jinja_env`` is first used.
    jinja_options: dict[str, t.Any] = {}

    #: Default configuration (Flask's keys plus Tumbler's limits and ASGI options).
    default_config = ImmutableDict(
        {
            "DEBUG": None,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": None,
            "SECRET_KEY": None,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "USE_X_SENDFILE": False,
            "TRUSTED_HOSTS": None,
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            # Flask's default is None; Lax keeps browsers from sending the session cookie with
            # cross-site form posts (CSRF). Set None to turn it off.
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_REFRESH_EACH_REQUEST": True,
            # Flask has no limit; an unbounded body is a denial-of-service risk, so Tumbler
            # refuses bodies over 16 MiB with 413 unless this is raised (or set to None).
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 1_000,
            "SEND_FILE_MAX_AGE_DEFAULT": None,
            "TRAP_BAD_REQUEST_ERRORS": None,
            "TRAP_HTTP_EXCEPTIONS": False,
            "EXPLAIN_TEMPLATE_LOADING": False,
            "PREFERRED_URL_SCHEME": "http",
            "TEMPLATES_AUTO_RELOAD": None,
            "MAX_COOKIE_SIZE": 4093,
            "PROVIDE_AUTOMATIC_OPTIONS": True,
            # Protections (see tumbler.protections, tumbler.csrf and docs/security.md); each
            # names the attack it stops and how to turn it off.
            "MAX_HEADER_COUNT": 100,
            "MAX_HEADER_BYTES": 16_384,
            "MAX_JSON_DEPTH": 64,
            "CSRF_ENABLED": True,
            "CSRF_TOKEN_REQUIRED": False,
            "CSRF_FIELD_NAME": "csrf_token",
            "CSRF_HEADER_NAME": "X-CSRF-Token",
            "CSRF_TIME_LIMIT": 3600,
            "TRUSTED_ORIGINS": None,
            "SECURITY_HEADERS": None,
            "CONTENT_SECURITY_POLICY": None,
            "HSTS_SECONDS": 0,
            "HSTS_INCLUDE_SUBDOMAINS": False,
            "HSTS_PRELOAD": False,
            "PROXY_FIX": None,
            # Under ASGI, handle requests for sync views in a thread pool (the whole pipeline,
            # in one worker thread, as under WSGI) so they do not block the event loop. Set
            # False to run everything on the loop.
            "ASGI_SYNC_THREADPOOL": True,
        }
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if _MARK_CALL_PER_APP:
            self.__call__ = _CoroutineMarkedCall(self)  # type: ignore[method-assign]
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute. A relative path was given"
                " instead."
            )
        #: The instance folder: for files not under version control (config, databases).
        self.instance_path = instance_path
        #: The configuration dict.
        self.config = self.make_config(instance_relative_config)
        #: Raises HTTP exceptions for :func:`~tumbler.abort`.
        self.aborter = self.make_aborter()
        #: The JSON provider (``app.json.dumps``, ``app.json.response``, ...).
        self.json: JSONProvider = self.json_provider_class(self)
        #: Functions called when ``url_for`` raises BuildError: ``f(error, endpoint, values)``.
        self.url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ] = []
        #: Functions called when the application context is torn down: ``f(exc)``.
        self.teardown_appcontext_funcs: list[t.Callable[[BaseException | None], t.Any]] = []
        #: Functions adding names to ``tumbler shell``.
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        #: Functions run once before serving (ASGI lifespan startup, or the first WSGI request).
        self.before_serving_funcs: list[t.Callable[[], t.Any]] = []
        #: Functions run once after serving (ASGI lifespan shutdown, or :meth:`shutdown`).
        self.after_serving_funcs: list[t.Callable[[], t.Any]] = []
        #: Registered blueprints by (dotted) name.
        self.blueprints: dict[str, Blueprint] = {}
        #: A place for extensions to store their state, keyed by extension name.
        self.extensions: dict[str, t.Any] = {}
        #: The URL map; its ``converters`` dict accepts custom converters.
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self._overrides: frozenset[str] = frozenset()
        self._own_make_response = False
        self._security: SecurityPolicy = None  # type: ignore[assignment]
        #: The subdomain requests are matched in when the URL map can match a path without an
        #: adapter bound to the request (no host or subdomain matching); else ``None``.
        self._quick_match_domain: str | None = None
        #: Per endpoint: whether its view is a coroutine function (decides where ASGI runs it).
        self._view_is_async: dict[str, bool] = {}
        #: Per endpoint: the blueprint names whose hooks apply, in both run orders.
        self._hook_names_cache: dict[str, _HookNames] = {}
        self._serving_state = 0  # 0 = not started, 1 = starting, 2 = started
        self._serving_lock = threading.Lock()
        self._serving_event: asyncio.Event | None = None
        self.template_context_processors[None] = [_default_template_ctx_processor]

        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # -- protocol entry points -------------------------------------------------------------

    def __call__(self, a: t.Any, b: t.Any = None, c: t.Any = None) -> t.Any:
        """WSGI ``app(environ, start_response)`` or ASGI ``await app(scope, receive, send)``.

        A one-argument call is ASGI 2 (``app(scope)`` returning ``instance(receive, send)``),
        which servers fall back to when they cannot tell the interface.
        """
        if c is None:
            if b is None:
                return functools.partial(self.asgi_app, a)
            return self.wsgi_app(a, b)
        return self.asgi_app(a, b, c)

    # ASGI servers (uvicorn, hypercorn) pick ASGI 3 only for a coroutine function; a plain
    # method that returns a coroutine when called with three arguments is that in effect.
    if hasattr(inspect, "markcoroutinefunction"):  # Python 3.12+
        inspect.markcoroutinefunction(__call__)

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        """The WSGI application. Wrap it to add WSGI middleware:
        ``app.wsgi_app = Middleware(app.wsgi_app)``."""
        return _wsgi.wsgi_app(self, environ, start_response)

    async def asgi_app(
        self,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        """The ASGI application (http, websocket and lifespan scopes). Wrap it to add ASGI
        middleware: ``app.asgi_app = Middleware(app.asgi_app)``."""
        global _asgi_http, _asgi_serve
        if _asgi_serve is None:
            # Imported on first use: WSGI deployments never load asyncio.
            from .asgi import _http
            from .asgi import asgi_app

            _asgi_http, _asgi_serve = _http, asgi_app
        if scope["type"] == "http":
            # The front end's http handler directly: one coroutine less per request.
            await _asgi_http(self, scope, receive, send)
        else:
            await _asgi_serve(self, scope, receive, send)

    # -- properties ------------------------------------------------------------------------

    @cached_property
    def name(self) -> str:  # type: ignore[override]
        """The application's name: the import name, or the script's name for ``__main__``."""
        if self.import_name == "__main__":
            fn = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @cached_property
    def logger(self) -> logging.Logger:
        """The ``logging.Logger`` named after the app, with a default handler if none is set."""
        from .logging import create_logger

        return create_logger(self)

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment used to load templates (created on first use)."""
        return self.create_jinja_environment()

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG`` config key): exceptions propagate and templates auto-reload."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and "jinja_env" in self.__dict__:
            self.jinja_env.auto_reload = value

    @property
    def testing(self) -> bool:
        """Testing mode (``TESTING`` config key): exceptions propagate to the test client."""
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> str | bytes | None:
        """The ``SECRET_KEY`` used to sign sessions and other data."""
        return self.config["SECRET_KEY"]

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def permanent_session_lifetime(self) -> timedelta:
        """``PERMANENT_SESSION_LIFETIME`` as a timedelta (an int is taken as seconds)."""
        value = self.config["PERMANENT_SESSION_LIFETIME"]
        if isinstance(value, timedelta):
            return value
        return timedelta(seconds=value)

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta | int) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

    # -- setup helpers ---------------------------------------------------------------------

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application. It has"
                " already handled its first request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up the"
                " application are done before running it."
            )

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create :attr:`config` from :attr:`default_config` (``DEBUG`` from ``TUMBLER_DEBUG``)."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        """Create :attr:`aborter` from :attr:`aborter_class`."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """Return ``<package>/instance``, or ``<prefix>/var/<name>-instance`` when installed."""
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open ``resource`` relative to :attr:`instance_path` (writing is allowed).

        :param encoding: text encoding, for text modes.
        """
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """Return the registered blueprints in registration order."""
        return self.blueprints.values()

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register ``blueprint`` on the app.

        :param options: ``url_prefix``, ``subdomain``, ``url_defaults``, ``name`` (to register a
            blueprint twice) and ``cli_group``, overriding the blueprint's own values.
        :raises ValueError: when the name is already taken.
        """
        blueprint.register(self, options)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to an endpoint (and a view function for it).

        :param rule: the URL rule string, such as ``"/user/<int:id>"``.
        :param endpoint: the endpoint name; defaults to ``view_func.__name__``.
        :param view_func: the function called for matching requests.
        :param provide_automatic_options: answer OPTIONS automatically (default: the
            ``PROVIDE_AUTOMATIC_OPTIONS`` config, unless OPTIONS is listed in ``methods``).
        :param options: passed to :attr:`url_rule_class`: ``methods`` (a list, not a string;
            defaults to ``view_func.methods`` or ``["GET"]``), ``defaults``, ``subdomain``,
            ``host``, ``strict_slashes``, ``redirect_to``, ``merge_slashes``, ``websocket``...
        :raises TypeError: when ``methods`` is a string.
        :raises AssertionError: when the endpoint already maps to a different function.
        """
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods: set[str] = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        elif provide_automatic_options:
            required_methods.add("OPTIONS")
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function:"
                    f" {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def teardown_appcontext(self, f: F) -> F:
        """Register ``f(exc)`` to run when the application context is popped."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        """Register ``f()`` returning a dict of names for ``tumbler shell``."""
        self.shell_context_processors.append(f)
        return f

    @setupmethod
    def before_serving(self, f: F) -> F:
        """Register ``f()`` (sync or async) to run once before the app serves requests.

        Under ASGI it runs at lifespan startup (a failure reports ``lifespan.startup.failed``);
        under WSGI before the first request. It runs inside an application context.
        """
        self.before_serving_funcs.append(f)
        return f

    @setupmethod
    def after_serving(self, f: F) -> F:
        """Register ``f()`` (sync or async) to run once when the app stops serving.

        Under ASGI it runs at lifespan shutdown; under WSGI at interpreter exit or when
        :meth:`shutdown` is called. It runs inside an application context.
        """
        self.after_serving_funcs.append(f)
        return f

    def _template_decorator(
        self, kind: str, name: t.Any
    ) -> t.Callable[[F], F] | t.Callable[..., t.Any]:
        add = getattr(self, f"add_template_{kind}")
        if callable(name):
            add(name)
            return name

        def decorator(f: F) -> F:
            add(f, name=name)
            return f

        return decorator

    @setupmethod
    def template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a Jinja filter (``@app.template_filter()`` or ``@app.template_filter``)."""
        return self._template_decorator("filter", name)

    @setupmethod
    def add_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register a Jinja filter, named ``name`` or after the function."""
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a Jinja test (``@app.template_test()`` or ``@app.template_test``)."""
        return self._template_decorator("test", name)

    @setupmethod
    def add_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Register a Jinja test, named ``name`` or after the function."""
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a Jinja global (``@app.template_global()`` or ``@app.template_global``)."""
        return self._template_decorator("global", name)

    @setupmethod
    def add_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register a Jinja global, named ``name`` or after the function."""
        self.jinja_env.globals[name or f.__name__] = f

    # -- templates -------------------------------------------------------------------------

    def create_jinja_environment(self) -> Environment:
        """Create the Jinja environment from :attr:`jinja_options` with Tumbler's globals."""
        from .globals import request
        from .globals import session

        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            if auto_reload is None:
                auto_reload = self.debug
            options["auto_reload"] = auto_reload
        rv = self.jinja_environment(self, **options)
        from .csrf import generate_csrf
        from .protections import csp_nonce

        rv.globals.update(
            csrf_token=generate_csrf,
            csp_nonce=csp_nonce,
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        rv.policies["json.dumps_function"] = self.json.dumps
        return rv

    def create_global_jinja_loader(self) -> BaseLoader:
        """Return the loader searching the app's and the blueprints' template folders."""
        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape templates from strings and ``.html .htm .xml .xhtml .svg`` files."""
        return select_jinja_autoescape(filename)

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add context-processor values (app-wide, then the request's blueprints) to ``context``.

        Values already in ``context`` (passed to ``render_template``) win.
        """
        ctx = _cv_context.get(None)
        names: tuple[str | None, ...] = (None,)
        if ctx is not None and ctx.request is not None:
            names = self._hook_names(ctx.request)[0]
        orig_ctx = context.copy()
        for name in names:
            funcs = self.template_context_processors.get(name)
            if funcs:
                for func in funcs:
                    context.update(self.ensure_sync(func)())
        context.update(orig_ctx)

    def make_shell_context(self) -> dict[str, t.Any]:
        """Return the namespace for ``tumbler shell``: ``app``, ``g`` and processor values."""
        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # -- contexts --------------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """Return an application context; use as ``with app.app_context(): ...``."""
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any] | Request) -> RequestContext:
        """Return a request context for a WSGI environ or a :class:`Request` object."""
        if isinstance(environ, Request):
            return RequestContext(self, request=environ)
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """Return a request context for a request built from the arguments.

        Takes the arguments of :class:`tumbler.testing.EnvironBuilder`: ``path``, ``base_url``,
        ``method``, ``query_string``, ``headers``, ``data``, ``json``, ``subdomain``,
        ``url_scheme``, ``environ_base``... Use as ``with app.test_request_context("/"): ...``.
        """
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def _configure_request(self, request: Request) -> None:
        config = self.config
        request.max_content_length = config["MAX_CONTENT_LENGTH"]
        request.max_form_memory_size = config["MAX_FORM_MEMORY_SIZE"]
        request.max_form_parts = config["MAX_FORM_PARTS"]
        request.json_module = self.json

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """Create the URL adapter for ``request``, or for building URLs outside a request.

        Outside a request it needs ``SERVER_NAME`` (with ``APPLICATION_ROOT`` and
        ``PREFERRED_URL_SCHEME``) and returns ``None`` without it.

        """
        if request is not None:
            # The Host header was already validated (TRUSTED_HOSTS and the defaults) by the
            # security policy before the request reached the app; see tumbler.protections.
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            if self.url_map.host_matching:
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            return self.url_map.bind_to_request(
                request, server_name=server_name, subdomain=subdomain
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    # -- URLs ------------------------------------------------------------------------------

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build a URL for ``endpoint``; see :func:`tumbler.url_for`."""
        ctx = _cv_context.get(None)
        if ctx is not None and ctx.request is not None:
            url_adapter = ctx.url_adapter
            blueprint_name = ctx.request.blueprint
            if endpoint[:1] == ".":
                if blueprint_name is not None:
                    endpoint = f"{blueprint_name}{endpoint}"
                else:
                    endpoint = endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            url_adapter = ctx.url_adapter if ctx is not None else self.create_url_adapter(None)
            if _external is None:
                _external = True
        if url_adapter is None:
            if ctx is not None and ctx.request is not None:
                error = ctx.request.routing_exception
                if isinstance(error, HTTPException):
                    raise error  # the request's host could not be bound: a 4xx, not a 500
            raise RuntimeError(
                "Unable to build URLs outside an active request without 'SERVER_NAME'"
                " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
                " needed."
            )
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            rv = url_adapter.build(
                endpoint,
                values,
                method=_method,
                url_scheme=_scheme,
                force_external=_external,
            )
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            _anchor = _url_quote(_anchor, safe="%!#$&'()*+,/:;=?@")
            rv = f"{rv}#{_anchor}"
        return rv

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Call the ``url_defaults`` functions (app, then the endpoint's blueprints) on ``values``."""
        funcs = self.url_default_functions
        fl = funcs.get(None)
        if fl:
            for func in fl:
                func(endpoint, values)
        if "." in endpoint:
            for name in reversed(_split_blueprint_path(endpoint.rpartition(".")[0])):
                fl = funcs.get(name)
                if fl:
                    for func in fl:
                        func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Try :attr:`url_build_error_handlers`; re-raise ``error`` if none returns a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        raise error

    def redirect(self, location: str, code: int = 302) -> Response:
        """Return a redirect response using :attr:`response_class`."""
        from .utils import redirect as _redirect

        return _redirect(location, code=code, Response=self.response_class)

    # -- responses -------------------------------------------------------------------------

    def make_response(self, rv: t.Any) -> Response:
        """Turn a view's return value into a :attr:`response_class` instance.

        Accepted: a response object; ``str``/``bytes``/``bytearray`` (the body); ``dict`` or
        ``list`` (JSON); a sync or async iterator/generator (streamed); an HTTPException; and the
        tuples ``(body, status, headers)``, ``(body, status)`` and ``(body, headers)``, where
        status is an int or a string and headers a dict, list of pairs or Headers.

        :raises TypeError: for ``None`` (the view forgot to return) or an unsupported type.
        """
        response_class = self.response_class
        rv_type = type(rv)
        if rv_type is str:
            return text_response(response_class, rv)
        if rv_type is response_class:
            return rv
        status = headers = None
        if isinstance(rv, tuple):
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv
            elif len_rv == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple must"
                    " have the form (body, status, headers), (body, status), or (body,"
                    " headers)."
                )
        if rv is None:
            ctx = _cv_context.get(None)
            endpoint = ctx.request.endpoint if ctx is not None and ctx.request else None
            raise TypeError(
                f"The view function for {endpoint!r} did not return a valid response. The"
                " function either returned None or ended without a return statement."
            )
        if not isinstance(rv, response_class):
            if isinstance(rv, (str, bytes, bytearray)) or _is_iterator(rv):
                rv = response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException):
                rv = response_class.force_type(rv.get_response())
            elif isinstance(rv, Response) or callable(rv):
                # A response of another class is converted; any other callable is run as a
                # WSGI application (flask semantics).
                ctx = _cv_context.get(None)
                environ = ctx.request.environ if ctx is not None and ctx.request else None
                try:
                    rv = response_class.force_type(rv, environ)
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid response. The return"
                        " type must be a string, dict, list, tuple with headers or status,"
                        " Response instance, iterator, or WSGI callable, but it was a"
                        f" {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type must be"
                    " a string, dict, list, tuple with headers or status, Response instance,"
                    f" iterator, or WSGI callable, but it was a {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status if isinstance(status, str) else bytes(status).decode("latin-1")
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv

    def _force_type(self, rv: Response) -> Response:
        return self.response_class.force_type(rv)

    def make_default_options_response(self) -> Response:
        """Return the automatic OPTIONS response with the ``Allow`` header for the URL."""
        ctx = _cv_context.get()
        adapter = ctx.url_adapter
        methods = adapter.allowed_methods() if adapter is not None else []
        rv = self.response_class()
        rv.headers["Allow"] = ", ".join(sorted(methods))
        return rv

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """See :meth:`Scaffold.get_send_file_max_age`."""
        return super().get_send_file_max_age(filename)

    # -- sync/async bridging ---------------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Return a sync callable for ``func``: itself, or :meth:`async_to_sync` of a coroutine
        function."""
        if _iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Wrap a coroutine function so calling it runs it to completion and returns its result.

        Runs without an event loop when the coroutine never suspends, else on the calling
        thread's long-lived event loop.

        :raises RuntimeError: when called on a thread whose event loop is running (inside
            async code, ``await`` the function instead).
        """

        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return run_sync(func(*args, **kwargs))

        return wrapper

    # -- the pipeline ----------------------------------------------------------------------

    def _first_request(self) -> None:
        from .protections import SecurityPolicy

        cls = type(self)
        self._overrides = frozenset(
            name for name in _OVERRIDABLE if getattr(cls, name) is not getattr(Tumbler, name)
        )
        # make_response is not a pipeline step (overriding it keeps the short roads), but an
        # override must see every value, text included (see _text_answer).
        self._own_make_response = cls.make_response is not Tumbler.make_response
        # Built once from the config (see tumbler.protections): host and header checks on the
        # way in, CSRF checks before the hooks, security headers on the way out.
        self._security = SecurityPolicy(self)
        url_map = self.url_map
        if not url_map.host_matching and not self.subdomain_matching:
            self._quick_match_domain = url_map.default_subdomain or ""
        self._got_first_request = True

    def _refuse(self, request: Request) -> Response | None:
        # The request checks that run before any app code: a refusal skips hooks and handlers.
        policy = self._security
        error = policy.check_request(request)
        if error is None:
            return None
        return policy.reject(self, request, error)

    async def handle_request(self, request: Request) -> Response:
        """Run the whole pipeline for ``request`` and return the response.

        Pushes a request context, matches the URL, runs the hooks and the view, turns errors into
        responses through the error handlers, and pops the context (running teardown functions).
        Exceptions propagate only when ``PROPAGATE_EXCEPTIONS`` (or testing/debug) is on.
        """
        return await self._handle(request, False, None)

    def _handle(
        self,
        request: Request,
        asgi: bool,
        preserve: t.Callable[[t.Any], t.Any] | None,
        body: t.Any = None,
        ctx: RequestContext | None = None,
    ) -> t.Coroutine[t.Any, t.Any, Response]:
        # A plain function returning the coroutine that serves the request, so the front end
        # awaits the chosen road directly: one coroutine less per request.
        if not self._got_first_request:
            self._first_request()
        if ctx is None:
            refused = self._refuse(request)
            if refused is not None:
                return _ready(refused)
            ctx = RequestContext(self, request=request)
        if asgi:
            ctx._body = body
        if preserve is None and _cv_get(None) is None and self._plain():
            return self._handle_plain(ctx)
        return self._handle_full(ctx, preserve)

    async def _handle_full(
        self, ctx: RequestContext, preserve: t.Callable[[t.Any], t.Any] | None
    ) -> Response:
        request = ctx.request
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                if "full_dispatch_request" in self._overrides:
                    response = await _maybe_await(self.full_dispatch_request())
                else:
                    response = await self._full_dispatch(ctx)
            except Exception as e:
                error = e
                if "handle_exception" in self._overrides:
                    response = await _maybe_await(self.handle_exception(e))
                else:
                    response = await self._handle_exception(ctx, e)
            except BaseException as e:
                error = e
                raise
            self._security.apply_response_headers(request, response)
            return response
        finally:
            if error is not None and self.should_ignore_error(error):
                error = None
            if ctx._tokens:
                if preserve is not None:
                    implicit = ctx._implicit_app_ctxs[-1]
                    if implicit is not None:
                        preserve(implicit)
                    preserve(ctx)
                await ctx._apop(error)
            # The exception's traceback holds this frame: break the cycle once it is reported.
            error = None

    def _plain(self) -> bool:
        # Whether nothing is registered around the views: no hook, no signal receiver, no
        # overridden pipeline step. Read per request, as the hook dicts may change at any time.
        if (
            self._overrides
            or self.before_request_funcs
            or self.url_value_preprocessors
            or self.after_request_funcs
            or self.teardown_request_funcs
            or self.teardown_appcontext_funcs
        ):
            return False
        if any(_PIPELINE_RECEIVERS):
            # Receivers connected for another app do not make this one observed.
            return not any(signal.has_receivers_for(self) for signal in _PIPELINE_SIGNALS)
        return True

    async def _handle_plain(self, ctx: RequestContext) -> Response:
        # The pipeline of _handle and _full_dispatch for a plain app (see _plain), with the
        # steps that would find nothing to run left out: no application context is entered
        # (ctx.app_ctx makes one if g is used) and popping is closing the request. Errors take
        # the same handlers as on the full road.
        request = ctx.request
        token = ctx._enter_plain()
        try:
            try:
                try:
                    if request.url_rule is None and request.routing_exception is None:
                        ctx.match_request()
                    if request.method not in _SAFE_METHODS:
                        await self._protect(ctx)
                    rv = await self._dispatch(ctx)
                except Exception as e:
                    rv = await self._handle_user_exception(ctx, e)
                    if rv is e:
                        e.__traceback__ = None
                response = self.make_response(rv)
                body = ctx._body
                if ctx._after_request_functions or (body is not None and not body.complete):
                    response = await self._process_response(ctx, response)
                else:
                    self._save_session(ctx, response)
            except Exception as e:
                response = await self._handle_exception(ctx, e)
            self._security.apply_response_headers(request, response)
            return response
        finally:
            ctx._leave_plain(token)

    def _handle_sync(
        self,
        request: Request,
        preserve: t.Callable[[t.Any], t.Any] | None,
        ctx: RequestContext | None = None,
    ) -> Response:
        # _handle for callers without an event loop (the WSGI front end, ASGI's worker
        # threads): a sync view of a plain app is served without driving a coroutine at all.
        if self._got_first_request and preserve is None and _cv_get(None) is None and self._plain():
            if ctx is None:
                refused = self._refuse(request)
                if refused is not None:
                    return refused
                ctx = RequestContext(self, request=request)
            response = self._respond_plain(ctx)
            if response is not None:
                return response
            return run_sync(self._handle_plain(ctx))
        return run_sync(self._handle(request, False, preserve, None, ctx))

    def _respond_plain(self, ctx: RequestContext) -> Response | None:
        # _handle_plain without a coroutine, for a request served from a thread (WSGI, ASGI's
        # worker threads) whose view is sync or that matched no view: the common cases, worth
        # the few lines they repeat. Returns None before any app code has run when the request
        # needs the coroutine road (an automatic OPTIONS answer, an async view).
        request = ctx.request
        if request.url_rule is None and request.routing_exception is None:
            ctx.match_request()
        rule = request.url_rule
        view: t.Callable[..., t.Any] | None = None
        csrf = None
        if rule is None:
            if request.routing_exception is None:
                return None
        else:
            method = request.method
            if method == "OPTIONS" and rule.provide_automatic_options:
                return None
            if method not in _SAFE_METHODS:
                csrf = self._security.csrf
            endpoint = rule.endpoint
            is_async = self._view_is_async.get(endpoint)
            view = self.view_functions[endpoint]
            if is_async is None:
                is_async = self._view_is_async[endpoint] = _iscoroutinefunction(view)
            if is_async:
                return None
        return t.cast(Response, self._serve_view(ctx, view, request.view_args, csrf, None))

    def _respond_environ(
        self, environ: dict[str, t.Any]
    ) -> Response | tuple[bytes, list[tuple[str, str]]] | None:
        # The WSGI front end's road for a plain app's GET and HEAD requests to a sync view
        # (the common case, and one that needs no CSRF check), served before any Request
        # object exists: the context builds one if the view reads it. A text answer with no
        # session or after_this_request to honour comes back as (body, headers), without a
        # Response object. Returns None before any app code has run when the request takes
        # the usual road (any other request, or one that road would refuse).
        get = environ.get
        method = get("REQUEST_METHOD")
        if (method != "GET" and method != "HEAD") or not self._got_first_request:
            return None
        path = get("PATH_INFO")
        # What request_from_environ would refuse or change (non-ASCII or doubled slashes,
        # bad lengths) is left to it.
        if not path or path[0] != "/" or path[1:2] == "/" or not path.isascii():
            return None
        script = get("SCRIPT_NAME")
        query = get("QUERY_STRING")
        length = get("CONTENT_LENGTH")
        if (
            (script and not script.isascii())
            or (query and not query.isascii())
            or (length and _content_length(length) is None)
            or get("tumbler.preserve_context") is not None
            or _cv_get(None) is not None
            or not self._plain()
        ):
            return None
        domain = self._quick_match_domain
        if (
            domain is None
            # A request class with its own __init__ may refuse requests as they come in: it
            # must see each one, so the request cannot wait until the view reads it.
            or self.request_class.__init__ is not _request_init
            or not self._security.admits_environ(environ)
        ):
            return None
        found = self.url_map._quick_match(domain, path, method)
        if isinstance(found, tuple):
            rule, view_args = found
            endpoint = rule.endpoint
            if self._view_is_async.get(endpoint) is False:
                lazy = _EnvironRequestContext(self, environ, rule, view_args)
                scheme = environ.get("wsgi.url_scheme") or "http"
                return self._serve_view(
                    lazy, self.view_functions[endpoint], view_args, None, scheme
                )
        # The checks have passed: the short road, with the request built now (an async view
        # or one not seen yet, a 404 or 405, or a redirect the URL adapter finds).
        request = _wsgi.request_from_environ(environ, self.request_class)
        if isinstance(found, tuple):
            request.url_rule, request.view_args = found
        elif found is not None:
            request.routing_exception = found
        ctx = RequestContext(self, request=request)
        response = self._respond_plain(ctx)
        if response is None:
            response = run_sync(self._handle_plain(ctx))
        return response

    def _serve_view(
        self,
        ctx: RequestContext,
        view: t.Callable[..., t.Any] | None,
        view_args: dict[str, t.Any] | None,
        csrf: CSRFProtection | None,
        scheme: str | None,
    ) -> Response | tuple[bytes, list[tuple[str, str]]]:
        # The part of _respond_plain and _respond_environ that runs app code: the view (or
        # the routing error when view is None) and everything after it, in the context. Given
        # the URL scheme, a text answer that needs nothing more comes back as (body, headers).
        token = ctx._enter_plain()
        try:
            try:
                try:
                    if view is None:
                        self.raise_routing_exception(ctx.request)
                    if csrf is not None:
                        csrf.protect(ctx)
                    rv = view(**view_args)  # type: ignore[arg-type]
                    if type(rv) not in _PLAIN_RETURN_TYPES and _isawaitable(rv):
                        rv = run_sync(_await(rv))
                except Exception as e:
                    rv = run_sync(self._handle_user_exception(ctx, e))
                    if rv is e:
                        e.__traceback__ = None
                if scheme is not None and type(rv) is str:
                    answer = self._text_answer(ctx, rv, scheme)
                    if answer is not None:
                        return answer
                response = self.make_response(rv)
                if ctx._after_request_functions:
                    response = run_sync(self._process_response(ctx, response))
                else:
                    self._save_session(ctx, response)
            except Exception as e:
                response = run_sync(self._handle_exception(ctx, e))
            policy = self._security
            policy.apply_response_headers(ctx.request if policy.reads_request else None, response)
            return response
        finally:
            ctx._leave_plain(token)

    async def _serve_view_async(
        self,
        ctx: RequestContext,
        view: t.Callable[..., t.Any],
        view_args: dict[str, t.Any],
        scheme: str,
        watch: t.Callable[[t.Coroutine[t.Any, t.Any, t.Any], t.Any], t.Awaitable[t.Any]],
    ) -> Response | tuple[bytes, list[tuple[str, str]]]:
        # _serve_view for an async view on the event loop (the ASGI front end's road). A view
        # that suspends is finished through ``watch`` (which cancels it if the client goes
        # away), as _dispatch does.
        token = ctx._enter_plain()
        try:
            try:
                try:
                    rv = view(**view_args)
                    if type(rv) is _CoroutineType:
                        try:
                            pending = rv.send(None)
                        except StopIteration as stop:
                            rv = stop.value
                        else:
                            rv = await watch(rv, pending)
                    elif _isawaitable(rv):
                        rv = await _await(rv)
                except Exception as e:
                    rv = await self._handle_user_exception(ctx, e)
                    if rv is e:
                        e.__traceback__ = None
                if type(rv) is str:
                    answer = self._text_answer(ctx, rv, scheme)
                    if answer is not None:
                        return answer
                response = self.make_response(rv)
                if ctx._after_request_functions:
                    response = await self._process_response(ctx, response)
                else:
                    self._save_session(ctx, response)
            except Exception as e:
                response = await self._handle_exception(ctx, e)
            policy = self._security
            policy.apply_response_headers(ctx.request if policy.reads_request else None, response)
            return response
        finally:
            ctx._leave_plain(token)

    def _text_answer(
        self, ctx: RequestContext, rv: str, scheme: str
    ) -> tuple[bytes, list[tuple[str, str]]] | None:
        # The body and headers make_response and the security headers would give a view's
        # text, when nothing else is to be done for the answer (no session to save, no cookie
        # that may hold one, no after_this_request, no make_response of a subclass), so that
        # no Response object need be made. None otherwise.
        if (
            self._own_make_response
            or ctx._session is not None
            or ctx._after_request_functions
            or ctx._cookie_sent()
        ):
            return None
        content_type = text_content_type(self.response_class)
        if content_type is None:
            return None
        data = rv.encode()
        headers = self._security.text_headers(content_type, len(data), scheme)
        return None if headers is None else (data, headers)

    async def _protect(self, ctx: RequestContext) -> None:
        # The CSRF check of an unsafe request that matched a view, before any hook runs.
        csrf = self._security.csrf
        request = ctx.request
        if csrf is None or request.routing_exception is not None:
            return
        if ctx._body is not None and csrf.reads_form(request):
            # The token may be in the form; read it before code on the loop parses it.
            await ctx._body.buffer()
        csrf.protect(ctx)

    async def _full_dispatch(self, ctx: RequestContext) -> Response:
        ov = self._overrides
        try:
            if request_started.receivers:
                request_started.send(self, _async_wrapper=self.ensure_sync)
            if ctx.request.method not in _SAFE_METHODS:
                await self._protect(ctx)
            if "preprocess_request" in ov:
                rv = await _maybe_await(self.preprocess_request())
            elif self.before_request_funcs or self.url_value_preprocessors:
                rv = await self._preprocess(ctx)
            else:
                rv = None
            if rv is None:
                if "dispatch_request" in ov:
                    rv = await _maybe_await(self.dispatch_request())
                else:
                    rv = await self._dispatch(ctx)
        except Exception as e:
            if "handle_user_exception" in ov:
                rv = await _maybe_await(self.handle_user_exception(e))
            else:
                rv = await self._handle_user_exception(ctx, e)
            if rv is e:
                # The exception is now the response value; its traceback holds this frame,
                # whose ``rv`` holds it: drop the traceback so the request leaves no cycle.
                e.__traceback__ = None
        if "finalize_request" in ov:
            return await _maybe_await(self.finalize_request(rv))
        return await self._finalize(ctx, rv)

    def _hook_names(self, req: Request) -> _HookNames:
        # Blueprint names follow from the endpoint alone, so they are worked out once per
        # endpoint; the hook dicts themselves are still read per request, as in Flask.
        rule = req.url_rule
        plain = type(req).blueprints is _REQUEST_BLUEPRINTS
        if rule is None and plain:
            return _APP_HOOK_NAMES
        if plain:
            names = self._hook_names_cache.get(rule.endpoint)  # type: ignore[union-attr]
            if names is not None:
                return names
        bps = req.blueprints
        names = ((None, *reversed(bps)), (*bps, None)) if bps else _APP_HOOK_NAMES
        if plain:
            self._hook_names_cache[rule.endpoint] = names  # type: ignore[union-attr]
        return names

    async def _preprocess(self, ctx: RequestContext) -> t.Any:
        req = ctx.request
        names = self._hook_names(req)[0]
        preprocessors = self.url_value_preprocessors
        before = self.before_request_funcs
        body = ctx._body
        if (
            body is not None
            and not body.complete
            and any(before.get(n) or preprocessors.get(n) for n in names)
        ):
            await body.buffer()
        for name in names:
            funcs = preprocessors.get(name)
            if funcs:
                for url_func in funcs:
                    await _call(url_func, req.endpoint, req.view_args)
        for name in names:
            funcs = before.get(name)
            if funcs:
                for before_func in funcs:
                    rv = before_func()
                    if rv is not None and _isawaitable(rv):
                        rv = await _await(rv)
                    if rv is not None:
                        return rv
        return None

    async def _dispatch(self, ctx: RequestContext) -> t.Any:
        req = ctx.request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = t.cast(Rule, req.url_rule)
        if req.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            return self.make_default_options_response()
        endpoint = rule.endpoint
        view = self.view_functions[endpoint]
        kwargs = req.view_args or {}
        body = ctx._body
        if body is not None and not body.complete:
            # On the event loop (ASGI): the body must be in memory before code reads it there.
            await body.buffer()
        is_async = self._view_is_async.get(endpoint)
        if is_async is None:
            is_async = self._view_is_async[endpoint] = _iscoroutinefunction(view)
        rv = view(**kwargs)
        if is_async:
            if body is not None and type(rv) is _CoroutineType:
                # Only an awaiting view can be stopped when the client goes away, so the
                # disconnect watcher starts when the view first suspends, not per request.
                try:
                    pending = rv.send(None)
                except StopIteration as stop:
                    return stop.value
                return await body.watched(rv, pending)
            return await _await(rv)
        if type(rv) in _PLAIN_RETURN_TYPES or not _isawaitable(rv):
            return rv
        return await _await(rv)

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing exception recorded for ``request`` (404, 405, 308 redirect...).

        In debug mode, a redirect with a code other than 307/308 of a request that may carry a
        body raises :class:`~tumbler.debughelpers.FormDataRoutingRedirect` instead, because
        browsers would repeat it as a GET and drop the form data.
        """
        exc = request.routing_exception
        if (
            not self.debug
            or not isinstance(exc, RequestRedirect)
            or exc.code in (307, 308)
            or request.method in ("GET", "HEAD", "OPTIONS")
        ):
            raise exc  # type: ignore[misc]
        from .debughelpers import FormDataRoutingRedirect

        raise FormDataRoutingRedirect(request)

    async def _handle_user_exception(self, ctx: RequestContext, e: Exception) -> t.Any:
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            if "handle_http_exception" in self._overrides:
                return await _maybe_await(self.handle_http_exception(e))
            return await self._handle_http_exception(ctx, e)
        handler = self._find_error_handler(e, ctx.request.blueprints)
        if handler is None:
            raise e
        if ctx._body is not None:
            # The answer is an error already: a body that fails to arrive must not replace it.
            await ctx._body.buffer(quiet=True)
        return await _call(handler, e)

    async def _handle_http_exception(self, ctx: RequestContext, e: HTTPException) -> t.Any:
        if e.code is None:
            return e
        if isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, ctx.request.blueprints)
        if handler is None:
            return e
        if ctx._body is not None:
            await ctx._body.buffer(quiet=True)
        return await _call(handler, e)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Return whether ``error`` is hidden from the teardown functions (they get ``None``).

        Called only when a request ended with an exception. Returns False; override it to keep
        expected errors out of teardown.
        """
        return False

    def trap_http_exception(self, e: Exception) -> bool:
        """Return whether the HTTP exception ``e`` should propagate like any other exception.

        True with ``TRAP_HTTP_EXCEPTIONS``; for bad requests with ``TRAP_BAD_REQUEST_ERRORS``
        (or, when that is unset, for missing form keys in debug mode).
        """
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> t.Callable[[Exception], t.Any] | None:
        names = (*blueprints, None)
        spec = self.error_handler_spec
        if not any(map(spec.get, names)):
            return None  # no handler registered where this request could find one
        found = _EXC_CLASS_AND_CODE.get(type(e))
        if found is None:
            found = self._get_exc_class_and_code(type(e))
            if len(_EXC_CLASS_AND_CODE) < 1024:
                _EXC_CLASS_AND_CODE[type(e)] = found
        exc_class, code = found
        for c in (code, None) if code is not None else (None,):
            for name in names:
                by_name = spec.get(name)
                if not by_name:
                    continue
                handler_map = by_name.get(c)
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    async def _handle_exception(self, ctx: RequestContext, e: Exception) -> Response:
        if got_request_exception.receivers:
            got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None and self.debug and not self.testing:
            # Flask re-raises to Werkzeug's debugger; Tumbler answers with its own page, which
            # runs no code and is only shown to clients on this machine.
            from .debug import is_local_request
            from .debug import render_debug_page

            if is_local_request(ctx.request):
                self.log_exception((type(e), e, e.__traceback__))
                return render_debug_page(e, ctx.request)
            propagate = False
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            raise e
        self.log_exception((type(e), e, e.__traceback__))
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, ctx.request.blueprints)
        if handler is not None:
            if ctx._body is not None:
                await ctx._body.buffer(quiet=True)
            server_error = await _call(handler, server_error)
        return await self._finalize(ctx, server_error, from_error_handler=True)

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType | None] | tuple[None, None, None],
    ) -> None:
        """Log an unhandled exception at ERROR level on :attr:`logger`, with the request path."""
        ctx = _cv_context.get(None)
        if ctx is not None and ctx.request is not None:
            where = f" on {ctx.request.path} [{ctx.request.method}]"
        else:
            where = ""
        self.logger.error(f"Exception{where}", exc_info=exc_info)

    async def _finalize(
        self, ctx: RequestContext, rv: t.Any, from_error_handler: bool = False
    ) -> Response:
        response = self.make_response(rv)
        try:
            body = ctx._body
            if "process_response" in self._overrides:
                response = await _maybe_await(self.process_response(response))
            elif (
                ctx._after_request_functions
                or self.after_request_funcs
                or (body is not None and not body.complete)
            ):
                response = await self._process_response(ctx, response)
            else:
                # No hook to await: only the session is left, which is sync.
                self._save_session(ctx, response)
            if request_finished.receivers:
                request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    async def _process_response(self, ctx: RequestContext, response: Response) -> Response:
        if ctx._body is not None:
            # The response is decided: a body that is too large or cut short now cannot
            # change it (the view, had it read the body, would have seen the error).
            await ctx._body.buffer(quiet=True)
        for func in ctx._after_request_functions:
            response = await _call(func, response)
        after = self.after_request_funcs
        for name in self._hook_names(ctx.request)[1]:
            funcs = after.get(name)
            if funcs:
                for func in reversed(funcs):
                    response = await _call(func, response)
        self._save_session(ctx, response)
        return response

    def _save_session(self, ctx: RequestContext, response: Response) -> None:
        session = ctx._session
        if session is None and ctx._cookie_sent():
            # The session is opened lazily; a client that sent cookies may hold one that
            # still needs refreshing (permanent sessions), so open it now.
            session = ctx.session
        if session is not None:
            si = self.session_interface
            if not si.is_null_session(session):
                si.save_session(self, session, response)

    async def _teardown_request(self, exc: BaseException | None) -> None:
        ctx = _cv_context.get()
        funcs_by_name = self.teardown_request_funcs
        for name in self._hook_names(ctx.request)[1]:
            funcs = funcs_by_name.get(name)
            if funcs:
                for func in reversed(funcs):
                    await _call(func, exc)
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    async def _teardown_appcontext(self, exc: BaseException | None) -> None:
        for func in reversed(self.teardown_appcontext_funcs):
            await _call(func, exc)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # -- Flask's sync pipeline API (each runs the async implementation to completion) ------

    def full_dispatch_request(self) -> Response:
        """Run preprocessing, the view, error handling and response processing for the active
        request context; return the response."""
        return run_sync(self._full_dispatch(_active_request_ctx()))

    def preprocess_request(self) -> t.Any:
        """Run URL value preprocessors and ``before_request`` functions (app first, then the
        blueprints from outer to inner); return the first non-``None`` value, else ``None``."""
        return run_sync(self._preprocess(_active_request_ctx()))

    def dispatch_request(self) -> t.Any:
        """Call the view matched for the active request and return its value.

        :raises HTTPException: the routing exception (404, 405, redirect) when matching failed.
        """
        return run_sync(self._dispatch(_active_request_ctx()))

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Turn ``rv`` into a response and run :meth:`process_response` on it."""
        return run_sync(self._finalize(_active_request_ctx(), rv, from_error_handler))

    def process_response(self, response: Response) -> Response:
        """Run ``after_this_request`` and ``after_request`` functions, then save the session."""
        return run_sync(self._process_response(_active_request_ctx(), response))

    def handle_exception(self, e: Exception) -> Response:
        """Handle an exception no error handler caught: propagate it when configured, else log
        it and answer 500 (through a registered 500 handler if any)."""
        return run_sync(self._handle_exception(_active_request_ctx(), e))

    def handle_user_exception(self, e: Exception) -> t.Any:
        """Find and call the error handler for ``e``; re-raise it when there is none."""
        return run_sync(self._handle_user_exception(_active_request_ctx(), e))

    def handle_http_exception(self, e: HTTPException) -> t.Any:
        """Call the error handler for the HTTP exception ``e``, or return ``e`` itself."""
        return run_sync(self._handle_http_exception(_active_request_ctx(), e))

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:
        """Run the ``teardown_request`` functions (blueprints inner to outer, then the app, each
        in reverse registration order) and send ``request_tearing_down``."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        run_sync(self._teardown_request(exc))

    def do_teardown_appcontext(self, exc: BaseException | None = _sentinel) -> None:
        """Run the ``teardown_appcontext`` functions in reverse and send
        ``appcontext_tearing_down``."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        run_sync(self._teardown_appcontext(exc))

    # -- serving lifecycle -----------------------------------------------------------------

    async def startup(self) -> None:
        """Run the :meth:`before_serving` functions once, inside an application context."""
        if self._serving_state == 2:
            return
        if self._serving_state == 1:
            if self._serving_event is not None:
                await self._serving_event.wait()
            return
        self._serving_state = 1
        import asyncio

        self._serving_event = asyncio.Event()
        try:
            with self.app_context():
                for func in self.before_serving_funcs:
                    await _call(func)
        except BaseException:
            self._serving_state = 0
            raise
        else:
            self._serving_state = 2
        finally:
            self._serving_event.set()

    async def _shutdown(self) -> None:
        if self._serving_state != 2:
            return
        self._serving_state = 0
        with self.app_context():
            for func in self.after_serving_funcs:
                await _call(func)

    def _startup_sync(self) -> None:
        with self._serving_lock:
            if self._serving_state != 0:
                return
            run_sync(self.startup())
            if self.after_serving_funcs:
                import atexit
                import multiprocessing.util

                atexit.register(self.shutdown)
                # Workers forked by some servers (granian) end with os._exit, skipping atexit;
                # multiprocessing's finalizers still run. shutdown() runs its hooks once.
                multiprocessing.util.Finalize(self, self.shutdown, exitpriority=0)

    def shutdown(self) -> None:
        """Run the :meth:`after_serving` functions (once, if serving started); for WSGI servers."""
        run_sync(self._shutdown())

    # -- testing and running ---------------------------------------------------------------

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> TumblerClient:
        """Return a test client; ``asgi=True`` drives the app through ASGI instead of WSGI.

        Set ``app.testing = True`` so exceptions propagate to the test. Extra keyword arguments go
        to :attr:`test_client_class`.
        """
        from .testing import TumblerClient

        cls = self.test_client_class or TumblerClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> TumblerCliRunner:
        """Return a CLI runner for testing the app's commands."""
        from .testing import TumblerCliRunner

        cls = self.test_cli_runner_class or TumblerCliRunner
        return cls(self, **kwargs)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app on the development server (uvicorn when installed, else threaded WSGI).

        Not for production: use gunicorn, uvicorn, granian or hypercorn there.

        :param host: interface to listen on; defaults to ``127.0.0.1`` or ``SERVER_NAME``'s host.
        :param port: port; defaults to 5000 or ``SERVER_NAME``'s port.
        :param debug: set :attr:`debug` first.
        :param load_dotenv: load ``.env``/``.tumblerenv`` files when python-dotenv is installed.
        """
        if os.environ.get("TUMBLER_RUN_FROM_CLI") == "true":
            return
        if load_dotenv:
            from .helpers import get_load_dotenv

            if get_load_dotenv():
                try:
                    import dotenv
                except ImportError:
                    pass
                else:
                    for name in (".env", ".tumblerenv"):
                        path = dotenv.find_dotenv(name, usecwd=True)
                        if path:
                            dotenv.load_dotenv(path, encoding="utf-8")
                    if "TUMBLER_DEBUG" in os.environ:
                        self.debug = get_debug_flag()
        if debug is not None:
            self.debug = bool(debug)
        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        if not host:
            host = sn_host or "127.0.0.1"
        if port or port == 0:
            port = int(port)
        elif sn_port:
            port = int(sn_port)
        else:
            port = 5000
        from .serving import run_simple

        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("debug", self.debug)
        try:
            run_simple(host, port, self, **options)
        finally:
            self._got_first_request = False


_request_init = Request.__init__


def _is_iterator(rv: t.Any) -> bool:
    return hasattr(rv, "__next__") or hasattr(rv, "__anext__")


async def _ready(response: Response) -> Response:
    return response


async def _maybe_await(rv: t.Any) -> t.Any:
    if _isawaitable(rv):
        return await _await(rv)
    return rv


def _active_request_ctx() -> RequestContext:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        from .globals import _no_req_msg

        raise RuntimeError(_no_req_msg)
    return ctx


__all__ = ["Tumbler"]
