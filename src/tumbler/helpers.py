"""Helpers used inside views: URLs, redirects, aborting, flashing, files and streaming.

These functions read the active application and request from the context, so they work inside
views, hooks and error handlers (and under :meth:`Tumbler.test_request_context`).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from functools import update_wrapper

from .globals import _cv_context
from .templating import get_template_attribute as get_template_attribute

if t.TYPE_CHECKING:
    from .wrappers import Response

_sentinel: t.Any = object()


def get_debug_flag() -> bool:
    """Return whether debug mode is requested by the ``TUMBLER_DEBUG`` environment variable."""
    val = os.environ.get("TUMBLER_DEBUG")
    return bool(val and val.lower() not in {"0", "false", "no"})


def get_load_dotenv(default: bool = True) -> bool:
    """Return whether ``.env`` files should be loaded (``TUMBLER_SKIP_DOTENV`` turns it off).

    :param default: the answer when the variable is not set.
    """
    val = os.environ.get("TUMBLER_SKIP_DOTENV")
    if not val:
        return default
    return val.lower() in ("0", "false", "no")


def get_root_path(import_name: str) -> str:
    """Return the folder of the module or package ``import_name`` (the cwd when unknown).

    :raises RuntimeError: for a namespace package, whose root cannot be determined.
    """
    mod = sys.modules.get(import_name)
    if mod is not None and hasattr(mod, "__file__") and mod.__file__ is not None:
        return os.path.dirname(os.path.abspath(mod.__file__))
    try:
        spec = importlib.util.find_spec(import_name)
        if spec is None:
            raise ValueError
    except (ImportError, ValueError):
        loader = None
    else:
        loader = spec.loader
    if loader is None:
        return os.getcwd()
    if hasattr(loader, "get_filename"):
        filepath = loader.get_filename(import_name)
    else:
        __import__(import_name)
        mod = sys.modules[import_name]
        filepath = getattr(mod, "__file__", None)
        if filepath is None:
            raise RuntimeError(
                "No root path can be found for the provided module"
                f" {import_name!r}. This can happen because the module"
                " came from an import hook that does not provide file"
                " name information or because it's a namespace package."
                " In this case the root path needs to be explicitly"
                " provided."
            )
    return os.path.dirname(os.path.abspath(filepath))


def _app() -> t.Any:
    from .globals import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined]


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build the URL of ``endpoint`` with ``values`` for its variables.

    Inside a request the URL is relative (``/path``) unless ``_external`` is true; outside a
    request it is absolute and needs ``SERVER_NAME``. A leading ``.`` means the current
    blueprint. Unknown values become query arguments.

    :param _anchor: a ``#fragment`` to append.
    :param _method: the method the rule must allow.
    :param _scheme: the URL scheme; requires ``_external=True`` (implied inside a request).
    :param _external: build an absolute URL.
    :raises BuildError: when no rule matches the endpoint and values.
    :raises RuntimeError: outside an application context.
    """
    return _app().url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """Return a response redirecting to ``location`` with status ``code``.

    Uses the current app's :meth:`~tumbler.Tumbler.redirect` (and response class) when an app
    context is active.
    """
    ctx = _cv_context.get(None)
    if ctx is not None:
        return ctx.app.redirect(location, code=code)
    from .utils import redirect as _redirect

    return _redirect(location, code=code, Response=Response)


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the :class:`~tumbler.exceptions.HTTPException` for ``code`` (or wrap a response).

    Uses the current app's ``aborter`` when an app context is active.
    """
    ctx = _cv_context.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    from .exceptions import abort as _abort

    _abort(code, *args, **kwargs)


def make_response(*args: t.Any) -> Response:
    """Turn a view's return value into a response object, to add headers before returning it.

    With no arguments, an empty response; with one, that value; with several, they are taken as a
    ``(body, status, headers)`` tuple. See :meth:`Tumbler.make_response`.
    """
    app = _app()
    if not args:
        return app.response_class()
    if len(args) == 1:
        args = args[0]
    return app.make_response(args)


def flash(message: str, category: str = "message") -> None:
    """Store ``message`` in the session to show on the next request.

    :param category: a free-form label, such as ``"error"`` or ``"info"``.
    :raises RuntimeError: outside a request, or when the session cannot be written (no secret key).
    """
    from .globals import session
    from .signals import message_flashed

    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = _app()
    if message_flashed.receivers:
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Return and clear the flashed messages; repeated calls in one request return the same list.

    :param with_categories: return ``(category, message)`` pairs instead of messages.
    :param category_filter: only return messages in these categories.
    """
    from .globals import request_ctx
    from .globals import session

    ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]
    flashes = ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return flashes


def _send_file_kwargs(kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
    from .globals import request

    app = _app()
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = app.get_send_file_max_age
    kwargs.update(
        request=request._get_current_object(),  # type: ignore[attr-defined]
        use_x_sendfile=app.config["USE_X_SENDFILE"],
        response_class=app.response_class,
        _root_path=app.root_path,
    )
    return kwargs


def send_file(
    path_or_file: os.PathLike[str] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: t.Any = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
) -> Response:
    """Send a file's contents to the client (Flask's ``send_file``).

    Relative paths are relative to the app's root path. Never pass a path from the client; use
    :func:`send_from_directory` for that. Honors ``USE_X_SENDFILE`` and
    :meth:`~tumbler.Tumbler.get_send_file_max_age`; conditional and Range requests are answered.

    :param mimetype: the type; guessed from the name when not given.
    :param as_attachment: ask the browser to download rather than display it.
    :param download_name: the file name the browser should use.
    :param conditional: answer conditional and Range requests (304/206/416).
    :param etag: compute an ETag, use this string, or send none (``False``).
    :param last_modified: the modification time to send.
    :param max_age: seconds clients may cache the file (or a callable computing it).
    """
    from .utils import send_file as _send_file

    return _send_file(
        path_or_file,
        **_send_file_kwargs(
            {
                "mimetype": mimetype,
                "as_attachment": as_attachment,
                "download_name": download_name,
                "conditional": conditional,
                "etag": etag,
                "last_modified": last_modified,
                "max_age": max_age,
            }
        ),
    )


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: t.Any
) -> Response:
    """Send the file ``path`` (which may come from the client) from inside ``directory``.

    ``directory`` is relative to the app's root path when not absolute. Traversal out of it is
    refused with 404.

    :param kwargs: passed to :func:`send_file`.
    :raises NotFound: when the path escapes ``directory`` or is not a file.
    """
    from .utils import send_from_directory as _send_from_directory

    return _send_from_directory(directory, path, **_send_file_kwargs(kwargs))


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context active while a streamed response body is generated.

    Wrap a generator (or decorate a generator function) returned from a view; inside it,
    ``request``, ``session`` and ``g`` keep working after the view returned, and teardown
    functions run only when the stream ends. Sync and async generators are supported.

    :raises RuntimeError: when no request context is active.
    """
    if callable(generator_or_function) and not hasattr(generator_or_function, "__next__"):
        func = generator_or_function

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(func(*args, **kwargs))

        return update_wrapper(decorator, func)

    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active, such as in"
            " a view function."
        )
    if hasattr(generator_or_function, "__anext__"):
        return _AsyncContextStream(ctx, generator_or_function)
    return _ContextStream(ctx, iter(generator_or_function))


class _ContextStream:
    """A sync iterator that activates a request context around each step of ``gen``."""

    __slots__ = ("_ctx", "_done", "_gen", "_implicit")

    def __init__(self, ctx: t.Any, gen: t.Iterator[t.Any]) -> None:
        self._ctx = ctx
        self._gen = gen
        self._implicit = ctx._retain()
        self._done = False

    def __iter__(self) -> _ContextStream:
        return self

    def __next__(self) -> t.Any:
        if self._done:
            raise StopIteration
        token = _cv_context.set(self._ctx)
        try:
            item = next(self._gen)
        except BaseException as e:
            _cv_context.reset(token)
            self._finish(None if isinstance(e, StopIteration) else e)
            raise
        _cv_context.reset(token)
        return item

    def close(self) -> None:
        """Close the wrapped generator and release the request context."""
        if self._done:
            return
        token = _cv_context.set(self._ctx)
        try:
            close = getattr(self._gen, "close", None)
            if close is not None:
                close()
        finally:
            _cv_context.reset(token)
            self._finish(None)

    def _finish(self, exc: BaseException | None) -> None:
        if not self._done:
            self._done = True
            self._ctx._release(exc, self._implicit)


class _AsyncContextStream:
    """An async iterator that activates a request context around each step of ``agen``."""

    __slots__ = ("_ctx", "_done", "_gen", "_implicit")

    def __init__(self, ctx: t.Any, agen: t.AsyncIterator[t.Any]) -> None:
        self._ctx = ctx
        self._gen = agen
        self._implicit = ctx._retain()
        self._done = False

    def __aiter__(self) -> _AsyncContextStream:
        return self

    async def __anext__(self) -> t.Any:
        if self._done:
            raise StopAsyncIteration
        token = _cv_context.set(self._ctx)
        try:
            item = await self._gen.__anext__()
        except BaseException as e:
            _cv_context.reset(token)
            self._finish(None if isinstance(e, StopAsyncIteration) else e)
            raise
        _cv_context.reset(token)
        return item

    async def aclose(self) -> None:
        """Close the wrapped async generator and release the request context."""
        if self._done:
            return
        token = _cv_context.set(self._ctx)
        try:
            aclose = getattr(self._gen, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            _cv_context.reset(token)
            self._finish(None)

    def _finish(self, exc: BaseException | None) -> None:
        if not self._done:
            self._done = True
            self._ctx._release(exc, self._implicit)


def _split_blueprint_path(name: str) -> list[str]:
    out: list[str] = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        out.append(name)
    return out


__all__ = [
    "abort",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "get_root_path",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]
