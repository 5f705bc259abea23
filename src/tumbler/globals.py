"""The context-local proxies: ``current_app``, ``g``, ``request``, ``session`` and ``websocket``.

One :class:`~contextvars.ContextVar` holds the active context: an
:class:`~tumbler.ctx.AppContext` or a :class:`~tumbler.ctx.RequestContext` (which carries its
application context). Pushing a context is one ``set()``, popping it one ``reset()``. The proxies
below resolve through that variable on every use, so they are safe across threads and asyncio tasks.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

if t.TYPE_CHECKING:
    from .app import Tumbler
    from .ctx import AppContext
    from .ctx import RequestContext
    from .ctx import _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

_cv_context: ContextVar[t.Any] = ContextVar("tumbler.context")
_cv_get = _cv_context.get

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application (current_app, g, url_for, ...). To solve this, set up
an application context, for example:

    with app.app_context():
        ...

See the documentation on the application context for more information."""

_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request (request, session, flash, ...). When testing, set up
a request context:

    with app.test_request_context():
        ...

To use the request in a background thread or a generator that outlives the
view, wrap the function with 'copy_current_request_context' or the generator
with 'stream_with_context'."""

_no_ws_msg = """\
Working outside of websocket context.

The 'websocket' proxy is only available inside a function registered with
'@app.websocket(rule)' while it handles a websocket connection (under an
ASGI server)."""


def _find_ctx() -> t.Any:
    ctx = _cv_get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx


def _find_app() -> Tumbler:
    ctx = _cv_get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def _find_g() -> _AppCtxGlobals:
    ctx = _cv_get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.g


def _find_app_ctx() -> AppContext:
    ctx = _cv_get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app_ctx


def _find_req_ctx() -> RequestContext:
    ctx = _cv_get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_no_req_msg)
    return ctx


def _find_request() -> Request:
    ctx = _cv_get(None)
    if ctx is not None:
        req = ctx.request
        if req is not None:
            return req
    raise RuntimeError(_no_req_msg)


def _find_session() -> SessionMixin:
    ctx = _cv_get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_no_req_msg)
    return ctx.session


def _find_websocket() -> t.Any:
    ctx = _cv_get(None)
    ws = None if ctx is None else ctx.websocket
    if ws is None:
        raise RuntimeError(_no_ws_msg)
    return ws


class ContextProxy:
    """A thin stand-in that forwards every operation to the object a lookup function returns.

    Works like werkzeug's ``LocalProxy``: attribute get/set/delete, item access, iteration,
    ``len``, ``bool``, ``in``, ``==``, calling and ``repr`` are forwarded to the current object.
    Use :meth:`_get_current_object` to obtain the real object, for example to send it to another
    thread or to use it as a signal sender.

    :param lookup: zero-argument callable returning the current object; it raises
        :class:`RuntimeError` when no suitable context is active.
    :param name: the name shown in ``repr`` when unbound.
    """

    __slots__ = ("_tumbler_lookup", "_tumbler_name")

    _tumbler_lookup: t.Callable[[], t.Any]
    _tumbler_name: str

    def __init__(self, lookup: t.Callable[[], t.Any], name: str) -> None:
        object.__setattr__(self, "_tumbler_lookup", lookup)
        object.__setattr__(self, "_tumbler_name", name)

    def _get_current_object(self) -> t.Any:
        """Return the object this proxy currently points at.

        :raises RuntimeError: when the needed context is not active.
        """
        return self._tumbler_lookup()

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._tumbler_lookup(), name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._tumbler_lookup(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._tumbler_lookup(), name)

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._tumbler_lookup()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._tumbler_lookup()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._tumbler_lookup()[key]

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self._tumbler_lookup())

    def __len__(self) -> int:
        return len(self._tumbler_lookup())

    def __contains__(self, item: t.Any) -> bool:
        return item in self._tumbler_lookup()

    def __bool__(self) -> bool:
        # Like werkzeug: an unbound proxy is falsy instead of raising, so `if request:` works.
        try:
            obj = self._tumbler_lookup()
        except RuntimeError:
            return False
        return bool(obj)

    def __eq__(self, other: object) -> bool:
        return self._tumbler_lookup() == other

    def __ne__(self, other: object) -> bool:
        return self._tumbler_lookup() != other

    def __hash__(self) -> int:
        return hash(self._tumbler_lookup())

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._tumbler_lookup()(*args, **kwargs)

    def __repr__(self) -> str:
        try:
            obj = self._tumbler_lookup()
        except RuntimeError:
            return f"<{type(self).__name__} {self._tumbler_name} (unbound)>"
        return repr(obj)

    def __str__(self) -> str:
        return str(self._tumbler_lookup())

    def __dir__(self) -> list[str]:
        try:
            return dir(self._tumbler_lookup())
        except RuntimeError:
            return []

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        try:
            return type(self._tumbler_lookup())
        except RuntimeError:
            return ContextProxy


class _ContextVarView:
    """A read-only stand-in for Flask's private ``_cv_app`` / ``_cv_request`` ContextVars.

    Tumbler keeps one ContextVar for both contexts (see :data:`_cv_context`); code written for
    Flask that reads ``_cv_app.get(None)`` or ``_cv_request.get()`` gets the active application
    or request context. Push contexts with ``with app.app_context():`` rather than ``set``.
    """

    __slots__ = ("_resolve", "name")

    def __init__(self, name: str, resolve: t.Callable[[t.Any], t.Any]) -> None:
        self.name = name
        self._resolve = resolve

    def get(self, *default: t.Any) -> t.Any:
        """Return the active context, else ``default`` if given.

        :raises LookupError: no such context is active and no default was given.
        """
        ctx = _cv_get(None)
        value = None if ctx is None else self._resolve(ctx)
        if value is None:
            if default:
                return default[0]
            raise LookupError(self)
        return value

    def __repr__(self) -> str:
        return f"<ContextVar view {self.name!r}>"


#: The active :class:`~tumbler.ctx.AppContext` (Flask's ``_cv_app``), read-only.
_cv_app = _ContextVarView("tumbler.app_ctx", lambda ctx: ctx.app_ctx)
#: The active :class:`~tumbler.ctx.RequestContext` (Flask's ``_cv_request``), read-only.
_cv_request = _ContextVarView(
    "tumbler.request_ctx", lambda ctx: ctx if ctx.request is not None else None
)

current_app: Tumbler = t.cast("Tumbler", ContextProxy(_find_app, "current_app"))
g: _AppCtxGlobals = t.cast("_AppCtxGlobals", ContextProxy(_find_g, "g"))
request: Request = t.cast("Request", ContextProxy(_find_request, "request"))
session: SessionMixin = t.cast("SessionMixin", ContextProxy(_find_session, "session"))
websocket: t.Any = ContextProxy(_find_websocket, "websocket")
app_ctx: AppContext = t.cast("AppContext", ContextProxy(_find_app_ctx, "app_ctx"))
request_ctx: RequestContext = t.cast("RequestContext", ContextProxy(_find_req_ctx, "request_ctx"))

__all__ = [
    "ContextProxy",
    "app_ctx",
    "current_app",
    "g",
    "request",
    "request_ctx",
    "session",
    "websocket",
]
