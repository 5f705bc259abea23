"""Application and request contexts, ``g``, and the helpers that work with them.

Both kinds of context live in the single :data:`tumbler.globals._cv_context` variable. A
:class:`RequestContext` carries the :class:`AppContext` it belongs to, so ``current_app`` and ``g``
resolve through it as well. Pushing a context is one ``ContextVar.set``; popping is one ``reset``.

A context's teardown runs when its last holder releases it: normally that is the ``pop`` matching
the first ``push``; :func:`~tumbler.helpers.stream_with_context` holds the request context open
until the streamed generator finishes.
"""

from __future__ import annotations

import sys
import typing as t
from functools import update_wrapper

from .datastructures import EnvironHeaders
from .datastructures.headers import RawHeaders
from .exceptions import HTTPException
from .globals import _cv_context
from .signals import appcontext_popped
from .signals import appcontext_pushed
from .signals import appcontext_tearing_down
from .signals import request_tearing_down
from .wrappers.request import Request as _Request
from .wsgi import request_from_environ

if t.TYPE_CHECKING:
    from .app import Tumbler
    from .routing import MapAdapter
    from .routing import Rule
    from .sessions import SessionMixin
    from .wrappers import Request
    from .wrappers import Response

_sentinel: t.Any = object()
_request_close = _Request.close

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object for storing data during an application context.

    Besides attribute access it offers :meth:`get`, :meth:`pop`, :meth:`setdefault`, ``in`` and
    iteration over attribute names.
    """

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: t.Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """Return attribute ``name``, or ``default`` when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove and return attribute ``name``.

        :raises KeyError: when it is not set and no ``default`` is given.
        """
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """Return attribute ``name``, setting it to ``default`` first when it is missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_context.get(None)
        if ctx is not None:
            return f"<tumbler.g of {ctx.app.name!r}>"
        return object.__repr__(self)


def _observes_app_teardown(app: Tumbler) -> bool:
    # Whether ending an application context runs or notifies anything.
    return bool(
        app.teardown_appcontext_funcs
        or appcontext_tearing_down.receivers
        or appcontext_popped.receivers
    )


class AppContext:
    """The application context: makes ``current_app`` and ``g`` available.

    Create it with :meth:`Tumbler.app_context` and use it as a context manager. Teardown functions
    (``teardown_appcontext``) run when the outermost push is popped.

    :param app: the application.
    """

    __slots__ = ("_holds", "_tokens", "_url_adapter", "app", "g")

    #: Application contexts carry no request; the proxies rely on this being ``None``.
    request: None = None
    websocket: None = None

    def __init__(self, app: Tumbler) -> None:
        self.app = app
        self._url_adapter: MapAdapter | None = _sentinel
        self.g = app.app_ctx_globals_class()
        self._tokens: list[t.Any] = []
        self._holds = 0

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The adapter for building URLs outside a request (needs ``SERVER_NAME``), else ``None``.

        Created on first use: the application context every request brings along rarely builds
        a URL itself (the request context's adapter does that during the request).
        """
        adapter = self._url_adapter
        if adapter is _sentinel:
            adapter = self._url_adapter = self.app.create_url_adapter(None)
        return adapter

    @url_adapter.setter
    def url_adapter(self, value: MapAdapter | None) -> None:
        self._url_adapter = value

    @property
    def app_ctx(self) -> AppContext:
        """This context itself (a request context's ``app_ctx`` is the one it belongs to)."""
        # A property rather than ``self.app_ctx = self``: that reference cycle would leave every
        # request's application context to the cyclic garbage collector.
        return self

    @property
    def has_request(self) -> bool:
        """Always false: an application context alone has no request."""
        return False

    def _enter(self) -> None:
        # Counted entry without touching the ContextVar: used by a RequestContext that brings its
        # own application context along, so a request push stays a single set().
        self._holds += 1
        if self._holds == 1 and appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def _leave_sync(self, exc: BaseException | None) -> None:
        self._holds -= 1
        if self._holds == 0:
            # The request context is already gone; make this context current while its
            # teardown functions run, as a pushed application context would be.
            token = _cv_context.set(self)
            try:
                self.app.do_teardown_appcontext(exc)
            finally:
                try:
                    self._send_popped()
                finally:
                    _cv_context.reset(token)

    async def _leave(self, exc: BaseException | None) -> None:
        self._holds -= 1
        if self._holds == 0:
            token = _cv_context.set(self)
            try:
                await self.app._teardown_appcontext(exc)
            finally:
                try:
                    self._send_popped()
                finally:
                    _cv_context.reset(token)

    def _send_popped(self) -> None:
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def push(self) -> None:
        """Make this the active context (binds ``current_app`` and ``g``)."""
        self._tokens.append(_cv_context.set(self))
        self._enter()

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Deactivate this context; runs teardown functions when it is the outermost push.

        :param exc: the exception that ended the context; defaults to the one being handled.
        :raises AssertionError: when this is not the active context.
        """
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        current = _cv_context.get(None)
        if current is not self:
            raise AssertionError(f"Popped wrong app context. ({current!r} instead of {self!r})")
        try:
            if self._holds == 1:
                self.app.do_teardown_appcontext(exc)
        finally:
            _cv_context.reset(self._tokens.pop())
            self._holds -= 1
            if self._holds == 0:
                self._send_popped()

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: t.Any, exc_value: BaseException | None, tb: t.Any) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext:
    """The request context: makes ``request`` and ``session`` (and ``current_app``, ``g``) available.

    The front ends create one per request; tests create one with
    :meth:`Tumbler.test_request_context`. Pushing it also enters an application context for the
    same app when none is active, opens the session on first use, and matches the URL.

    :param app: the application.
    :param environ: a WSGI environ to build the request from when ``request`` is not given.
    :param request: the request object.
    :param session: a session to use instead of opening one.
    """

    __slots__ = (
        "_after_request_functions",
        "_app_ctx",
        "_body",
        "_holds",
        "_implicit_app_ctxs",
        "_session",
        "_tokens",
        "_url_adapter",
        "app",
        "flashes",
        "request",
        "websocket",
    )

    def __init__(
        self,
        app: Tumbler,
        environ: dict[str, t.Any] | None = None,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        if request is None:
            if environ is None:
                raise TypeError("RequestContext needs an environ or a request.")
            request = request_from_environ(environ, app.request_class)
        self.request: Request = request
        app._configure_request(request)
        self._start(app, session)

    def _start(self, app: Tumbler, session: SessionMixin | None) -> None:
        self.app = app
        # Built on first use: requests whose URL the map matches directly never need one.
        self._url_adapter: MapAdapter | None = _sentinel
        self.flashes: list[tuple[str, str]] | None = None
        self._session = session
        self._after_request_functions: list[t.Callable[[Response], t.Any]] = []
        self._tokens: list[t.Any] = []
        self._implicit_app_ctxs: list[AppContext | None] = []
        self._holds = 0
        self._app_ctx: AppContext | None = None
        self.websocket: t.Any = None
        # Set by the ASGI front end: the body stream that must be buffered before code runs
        # on the event loop.
        self._body: t.Any = None

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The URL adapter bound to this request (matching and ``url_for``), made on first use.

        ``None`` when the request's host cannot be bound; the error is then the request's
        ``routing_exception``, answered as a 4xx at dispatch.
        """
        adapter = self._url_adapter
        if adapter is _sentinel:
            try:
                adapter = self.app.create_url_adapter(self.request)
            except Exception as e:
                # A bad Host (malformed, not matching SERVER_NAME's IDNA form) must become a
                # 4xx at dispatch, not a crash here. Without its traceback, whose frames would
                # hold this context in a cycle.
                adapter = None
                if self.request.routing_exception is None:
                    self.request.routing_exception = e.with_traceback(None)
            self._url_adapter = adapter
        return adapter

    @url_adapter.setter
    def url_adapter(self, value: MapAdapter | None) -> None:
        self._url_adapter = value

    @property
    def app_ctx(self) -> AppContext:
        """The application context this request runs in.

        Pushing the request enters one (or reuses the active one of the same app). A request
        the app serves on its short road (no hooks, no signals, see ``Tumbler._handle``) makes
        it on first use of ``g`` or ``app_ctx``: most requests never touch either.
        """
        app_ctx = self._app_ctx
        if app_ctx is None:
            app_ctx = self._app_ctx = self.app.app_context()
        return app_ctx

    @app_ctx.setter
    def app_ctx(self, value: AppContext) -> None:
        self._app_ctx = value

    @property
    def g(self) -> _AppCtxGlobals:
        """The ``g`` of this request's application context."""
        return self.app_ctx.g

    @property
    def has_request(self) -> bool:
        """Always true for a request context."""
        return True

    @property
    def session(self) -> SessionMixin:
        """The session, opened through ``app.session_interface`` the first time it is used."""
        s = self._session
        if s is None:
            si = self.app.session_interface
            s = si.open_session(self.app, self.request)
            if s is None:
                s = si.make_null_session(self.app)
            self._session = s
        return s

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    def copy(self) -> RequestContext:
        """Return a new context for the same request and session (for threads and greenlets)."""
        return type(self)(self.app, request=self.request, session=self._session)

    def match_request(self) -> None:
        """Match the URL against the app's rules, storing the result or the routing exception."""
        req = self.request
        if self._url_adapter is _sentinel and self.websocket is None:
            domain = self.app._quick_match_domain
            if domain is not None:
                found = self.app.url_map._quick_match(domain, req.path, req.method)
                if isinstance(found, tuple):
                    req.url_rule, req.view_args = found
                    return
                if found is not None:
                    req.routing_exception = found
                    return
        adapter = self.url_adapter
        if adapter is None:
            return
        try:
            rule, view_args = adapter.match(return_rule=True, websocket=self.websocket is not None)
        except HTTPException as e:
            # Stored without its traceback: the frames would reference the request (a cycle),
            # and the exception is raised again from _dispatch, which records a fresh one.
            req.routing_exception = e.with_traceback(None)
        else:
            req.url_rule = rule
            req.view_args = view_args

    def push(self) -> None:
        """Make this the active context, entering an application context when needed."""
        current = _cv_context.get(None)
        if current is not None and current.app is self.app:
            app_ctx = current.app_ctx
            self._implicit_app_ctxs.append(None)
        else:
            app_ctx = self.app.app_context()
            app_ctx._enter()
            self._implicit_app_ctxs.append(app_ctx)
        self._app_ctx = app_ctx
        self._tokens.append(_cv_context.set(self))
        self._holds += 1
        req = self.request
        if req.url_rule is None and req.routing_exception is None:
            self.match_request()

    def _enter_plain(self) -> t.Any:
        # push() for an app with nothing to run or notify around its views (Tumbler._plain):
        # one ContextVar.set, no application context (app_ctx makes one if it is used).
        self._holds = 1
        return _cv_context.set(self)

    def _leave_plain(self, token: t.Any) -> None:
        # pop() after _enter_plain: teardown is closing the request, unless something
        # (stream_with_context) still holds the context and will release it later.
        _cv_context.reset(token)
        self._holds -= 1
        if self._holds == 0:
            self._close_request()

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Deactivate this context; on the last release run teardown functions and close the request.

        :param exc: the exception that ended the request; defaults to the one being handled.
        :raises AssertionError: when this is not the active context.
        """
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        current = _cv_context.get(None)
        if current is not self:
            raise AssertionError(f"Popped wrong request context. ({current!r} instead of {self!r})")
        try:
            if self._holds == 1:
                try:
                    self.app.do_teardown_request(exc)
                finally:
                    self._close_request()
        finally:
            _cv_context.reset(self._tokens.pop())
            self._holds -= 1
            implicit = self._implicit_app_ctxs.pop()
            if implicit is not None:
                implicit._leave_sync(exc)

    async def _apop(self, exc: BaseException | None) -> None:
        # The pipeline's pop: same as pop() but awaits async teardown functions natively.
        try:
            if self._holds == 1:
                try:
                    app = self.app
                    if app.teardown_request_funcs or request_tearing_down.receivers:
                        await app._teardown_request(exc)
                finally:
                    self._close_request()
        finally:
            _cv_context.reset(self._tokens.pop())
            self._holds -= 1
            implicit = self._implicit_app_ctxs.pop()
            if implicit is not None:
                if implicit._holds == 1 and not _observes_app_teardown(implicit.app):
                    # Nothing runs or listens when this context ends: skip the coroutine.
                    implicit._holds = 0
                else:
                    await implicit._leave(exc)

    def _close_request(self) -> None:
        _close_request(self.request)

    def _cookie_sent(self) -> bool:
        return _cookie_sent(self.request)

    def _retain(self) -> AppContext | None:
        # Keep teardown from running until _release(); see stream_with_context. Returns the
        # application context this request brought along (if any) for _release to leave.
        self._holds += 1
        implicit = self._implicit_app_ctxs[-1] if self._implicit_app_ctxs else None
        if implicit is not None:
            implicit._holds += 1
        return implicit

    def _release(self, exc: BaseException | None, implicit: AppContext | None) -> None:
        # Runs with this context made active for the duration, in whatever context the caller
        # (a server thread iterating a streamed body) is in.
        token = _cv_context.set(self)
        try:
            self._holds -= 1
            if self._holds == 0:
                try:
                    self.app.do_teardown_request(exc)
                finally:
                    self._close_request()
            if implicit is not None:
                implicit._leave_sync(exc)
        finally:
            _cv_context.reset(token)

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(self, exc_type: t.Any, exc_value: BaseException | None, tb: t.Any) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        req = self.request
        return f"<{type(self).__name__} {req.path!r} [{req.method}] of {self.app.name}>"


_REQUEST_SLOT: t.Any = RequestContext.__dict__["request"]


def _close_request(request: Request) -> None:
    if type(request).close is _request_close and request._files is None:
        return  # nothing to close: no uploaded files were parsed
    close = getattr(request, "close", None)
    if close is not None:
        close()


def _cookie_sent(request: Request) -> bool:
    # Whether the request has a Cookie header, sooner for the front ends' header types.
    headers = request.headers
    if type(headers) is EnvironHeaders:
        return headers.environ.get("HTTP_COOKIE") is not None
    if type(headers) is RawHeaders:
        return headers.summary()[2]
    return "Cookie" in headers


class _LazyRequestContext(RequestContext):
    """A request context whose request is built on first use, its URL already matched.

    The front ends serve a plain app's ``GET`` and ``HEAD`` requests with one (see
    ``Tumbler._respond_environ`` and ``tumbler.asgi``): a view that reads neither ``request``
    nor what depends on it (``session``, ``url_for``...) costs no request object.
    """

    __slots__ = ("_rule", "_source", "_view_args")

    def __init__(
        self, app: Tumbler, source: dict[str, t.Any], rule: Rule, view_args: dict[str, t.Any]
    ) -> None:
        #: What the request is built from (a WSGI environ, an ASGI scope), None once built.
        self._source: dict[str, t.Any] | None = source
        self._rule = rule
        self._view_args = view_args
        self._start(app, None)

    def _build(self, source: dict[str, t.Any]) -> Request:
        raise NotImplementedError

    @property
    def request(self) -> Request:
        """The request, built (its URL already matched) the first time it is read."""
        source = self._source
        if source is None:
            return _REQUEST_SLOT.__get__(self)
        request = self._build(source)
        self.app._configure_request(request)
        request.url_rule = self._rule
        request.view_args = self._view_args
        _REQUEST_SLOT.__set__(self, request)
        self._source = None
        return request

    @request.setter
    def request(self, value: Request) -> None:
        _REQUEST_SLOT.__set__(self, value)
        self._source = None

    def copy(self) -> RequestContext:
        """Return a new context for the same request and session (for threads and greenlets)."""
        return RequestContext(self.app, request=self.request, session=self._session)

    def _close_request(self) -> None:
        if self._source is None:  # else no request was built, so it opened no uploaded file
            _close_request(_REQUEST_SLOT.__get__(self))


class _EnvironRequestContext(_LazyRequestContext):
    """A :class:`_LazyRequestContext` for a WSGI environ."""

    __slots__ = ()

    def _build(self, source: dict[str, t.Any]) -> Request:
        return request_from_environ(source, self.app.request_class)

    def _cookie_sent(self) -> bool:
        environ = self._source
        if environ is None:
            return _cookie_sent(_REQUEST_SLOT.__get__(self))
        return environ.get("HTTP_COOKIE") is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the ``after_request`` functions.

    ``f`` must return a response object (the same or a new one). Use it as a decorator inside a
    view or a ``before_request`` function.

    :raises RuntimeError: outside a request context.
    """
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active, such as in"
            " a view function."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Decorate ``f`` so it runs inside a copy of the current request context.

    Use it for work handed to a thread or greenlet that needs ``request``/``session``. The copy
    shares the request and session objects; the decorated function may be sync or async (an async
    one is run through ``app.ensure_sync``).

    :raises RuntimeError: when no request context is active at decoration time.
    """
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is active,"
            " such as in a view function."
        )
    copied = ctx.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with copied:
            return copied.app.ensure_sync(f)(*args, **kwargs)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]


def has_request_context() -> bool:
    """Return whether a request context is active (so ``request`` and ``session`` work)."""
    ctx = _cv_context.get(None)
    return ctx is not None and ctx.request is not None


def has_app_context() -> bool:
    """Return whether an application context is active (so ``current_app`` and ``g`` work)."""
    return _cv_context.get(None) is not None


__all__ = [
    "AppContext",
    "RequestContext",
    "_AppCtxGlobals",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
]
