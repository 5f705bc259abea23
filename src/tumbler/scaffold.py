"""What :class:`~tumbler.Tumbler` and :class:`~tumbler.Blueprint` share.

Route decorators, request hooks, error handlers, URL value functions, template context processors,
and the static and template folders. Every registration method is a *setup method*: it refuses to
run once the application has handled a request (or the blueprint has been registered), because the
change would not be applied consistently.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import typing as t
from collections import defaultdict
from datetime import timedelta
from functools import update_wrapper

from .helpers import get_root_path

if t.TYPE_CHECKING:
    import click
    from jinja2 import BaseLoader

    from .wrappers import Response

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
T_route = t.TypeVar("T_route", bound=t.Callable[..., t.Any])
T_before_request = t.TypeVar("T_before_request", bound=t.Callable[[], t.Any])
T_after_request = t.TypeVar("T_after_request", bound=t.Callable[[t.Any], t.Any])
T_teardown = t.TypeVar("T_teardown", bound=t.Callable[[t.Any], t.Any])
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=t.Callable[[], t.Any]
)
T_url_defaults = t.TypeVar("T_url_defaults", bound=t.Callable[[str, dict[str, t.Any]], t.Any])
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=t.Callable[[str | None, dict[str, t.Any] | None], t.Any]
)
T_error_handler = t.TypeVar("T_error_handler", bound=t.Callable[[t.Any], t.Any])

_sentinel: t.Any = object()


def setupmethod(f: F) -> F:
    """Mark ``f`` as a setup method: it calls ``self._check_setup_finished`` before running."""
    f_name = f.__name__

    def wrapper_func(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(f_name)
        return f(self, *args, **kwargs)

    return update_wrapper(wrapper_func, f)  # type: ignore[return-value]


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    if view_func is None:
        raise AssertionError("expected view func if endpoint is not provided.")
    return view_func.__name__


def _make_click_group(name: str | None) -> click.Group:
    # cli.py (written separately) provides AppGroup with app-context-aware commands; until it
    # exists a plain click group collects commands the same way.
    try:
        from .cli import AppGroup
    except ImportError:
        import click

        return click.Group(name)
    return AppGroup(name)


class Scaffold:
    """Common base of :class:`~tumbler.Tumbler` and :class:`~tumbler.Blueprint`.

    :param import_name: the module or package name, used to find ``root_path``.
    :param static_folder: folder of static files, relative to ``root_path`` (or absolute).
    :param static_url_path: URL prefix for static files; defaults to ``/`` + the folder name.
    :param template_folder: folder of templates, relative to ``root_path``.
    :param root_path: the folder that relative paths are resolved against.
    """

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.cli: click.Group = _make_click_group(None)
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        self.error_handler_spec: dict[
            str | None, dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]]
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(
            list
        )
        self.after_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(list)
        self.teardown_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(
            list
        )
        self.template_context_processors: dict[str | None, list[t.Callable[[], t.Any]]] = (
            defaultdict(list)
        )
        self.url_value_preprocessors: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(
            list
        )
        self.url_default_functions: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(
            list
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- static and template folders -------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is configured."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix the static route is registered at."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @property
    def jinja_loader(self) -> BaseLoader | None:
        """A Jinja ``FileSystemLoader`` for ``template_folder``, or ``None`` without one."""
        cached = self.__dict__.get("_jinja_loader", _sentinel)
        if cached is _sentinel:
            if self.template_folder is not None:
                from jinja2 import FileSystemLoader

                cached = FileSystemLoader(os.path.join(self.root_path, self.template_folder))
            else:
                cached = None
            self.__dict__["_jinja_loader"] = cached
        return cached

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Return the ``max_age`` for files sent by :meth:`send_static_file`.

        Uses ``SEND_FILE_MAX_AGE_DEFAULT`` from the current app's config (``None`` lets the browser
        revalidate with conditional requests). Override to vary by filename.
        """
        from .globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value

    def send_static_file(self, filename: str) -> Response:
        """The view that serves files from :attr:`static_folder` (the ``static`` endpoint).

        :raises RuntimeError: when no static folder is set.
        :raises NotFound: when the file does not exist or escapes the folder.
        """
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .helpers import send_from_directory

        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(t.cast(str, self.static_folder), filename, max_age=max_age)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open ``resource`` (relative to :attr:`root_path`) for reading.

        :param mode: ``"rb"`` (default), ``"r"`` or ``"rt"``.
        :param encoding: text encoding, for text modes.
        :raises ValueError: for a writing mode.
        """
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- routes ----------------------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Shortcut for :meth:`route` with ``methods=["GET"]``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Shortcut for :meth:`route` with ``methods=["POST"]``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Shortcut for :meth:`route` with ``methods=["PUT"]``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Shortcut for :meth:`route` with ``methods=["DELETE"]``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Shortcut for :meth:`route` with ``methods=["PATCH"]``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Decorate a view function to register it for the URL ``rule``.

        ``endpoint`` defaults to the function name; the remaining options (``methods``,
        ``defaults``, ``subdomain``, ``host``, ``strict_slashes``, ``redirect_to``, ...) go to the
        :class:`~tumbler.routing.Rule`. See :meth:`add_url_rule`.
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def websocket(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Decorate a function to handle websocket connections at ``rule`` (ASGI only).

        Inside it, the :data:`~tumbler.websocket` proxy offers ``accept``, ``receive``, ``send``
        and ``close``. Reached over plain HTTP (or WSGI), the route answers 400 Bad Request.

        :raises TypeError: when the decorated function is not ``async def``.
        """

        def decorator(f: T_route) -> T_route:
            import inspect

            if not inspect.iscoroutinefunction(f):
                raise TypeError(
                    f"The websocket handler {f.__name__!r} must be an 'async def' function: the"
                    " websocket methods (accept, receive, send, close) are awaited."
                )
            endpoint = options.pop("endpoint", None)
            options.setdefault("methods", ["GET"])
            options.setdefault("provide_automatic_options", False)
            self.add_url_rule(rule, endpoint, f, websocket=True, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule; see :meth:`tumbler.Tumbler.add_url_rule`."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Decorate a view function to serve an endpoint that already has a URL rule."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks -----------------------------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Register ``f()`` to run before each request; a non-``None`` return value ends the
        request with that value as the response (later hooks and the view are skipped)."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Register ``f(response)`` to run after each request; it must return a response."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Register ``f(exc)`` to run when the request context is popped, even after errors.

        ``exc`` is the unhandled exception or ``None``. Return values are ignored.
        """
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def context_processor(self, f: T_template_context_processor) -> T_template_context_processor:
        """Register ``f()`` returning a dict of values added to every template context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: T_url_value_preprocessor) -> T_url_value_preprocessor:
        """Register ``f(endpoint, view_args)`` to run before ``before_request`` functions.

        It may modify ``view_args`` in place, for example to pop a value into ``g``.
        """
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Register ``f(endpoint, values)`` to fill in URL values when building with url_for."""
        self.url_default_functions[None].append(f)
        return f

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Decorate a function to handle an HTTP status code or an exception class.

        The handler receives the exception and returns a response value. See
        :meth:`register_error_handler`.
        """

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: t.Callable[..., t.Any]
    ) -> None:
        """Register ``f(error)`` for an HTTP status code or an exception class.

        :raises ValueError: for an exception *instance*, a non-exception class, or a status code
            that has no HTTP exception class (such as 200 or 299).
        """
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        from .exceptions import default_exceptions

        exc_class: type[Exception]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass of"
                    " HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be registered for"
                " Exception classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception. Handlers can only be"
                " registered for Exception classes or HTTP error codes."
            )
        from .exceptions import HTTPException

        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _find_package_path(import_name: str) -> str:
    root_mod_name, _, _ = import_name.partition(".")
    try:
        root_spec = importlib.util.find_spec(root_mod_name)
        if root_spec is None:
            raise ValueError("not found")
    except (ImportError, ValueError):
        return os.getcwd()
    if root_spec.submodule_search_locations:
        if root_spec.origin is None or root_spec.origin == "namespace":
            package_spec = importlib.util.find_spec(import_name)
            if package_spec is not None and package_spec.submodule_search_locations:
                package_path = pathlib.Path(
                    os.path.commonpath(package_spec.submodule_search_locations)
                )
                search_location = next(
                    location
                    for location in root_spec.submodule_search_locations
                    if package_path.is_relative_to(location)
                )
            else:
                search_location = root_spec.submodule_search_locations[0]
            return os.path.dirname(search_location)
        return os.path.dirname(os.path.dirname(root_spec.origin))
    return os.path.dirname(root_spec.origin or os.getcwd())


def find_package(import_name: str) -> tuple[str | None, str]:
    """Find the installation prefix and the folder containing the package ``import_name``.

    The prefix is ``None`` when the package is not installed in ``sys.prefix`` (a development
    checkout); used to pick the default instance folder.
    """
    package_path = _find_package_path(import_name)
    py_prefix = os.path.abspath(sys.prefix)
    if pathlib.PurePath(package_path).is_relative_to(py_prefix):
        return py_prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":
            return parent, package_path
        if os.path.basename(parent).lower() == "lib":
            return os.path.dirname(parent), package_path
        return site_parent, package_path
    return None, package_path
