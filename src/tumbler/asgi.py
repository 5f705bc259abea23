"""The ASGI front end: ``http``, ``websocket`` and ``lifespan`` scopes.

It translates a scope into a :class:`~tumbler.wrappers.Request`, runs the app's pipeline on the
server's event loop, and sends the response back. The request body is read lazily: a sync view
running in the thread pool reads it through a bridge to the loop, and it is buffered (bounded by
``max_content_length``, 413 beyond) before any code that runs on the loop could read it. When the
client disconnects, the pipeline is cancelled and its contexts are popped.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import typing as t
from urllib.parse import unquote_to_bytes

from .ctx import RequestContext
from .ctx import _LazyRequestContext
from .datastructures import Headers
from .datastructures.headers import RawHeaders
from .exceptions import BadRequest
from .exceptions import ClientDisconnected
from .exceptions import HTTPException
from .exceptions import RequestEntityTooLarge
from .globals import _cv_get
from .http import _INVALID_CONTENT_LENGTH
from .http import _content_length
from .wrappers import Request as _BaseRequest
from .wrappers import Response as _BaseResponse

if t.TYPE_CHECKING:
    from .app import Tumbler
    from .routing import Rule
    from .wrappers import Request
    from .wrappers import Response

Scope = dict[str, t.Any]
Message = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]
T = t.TypeVar("T")

_base_close = _BaseResponse.close
_base_aclose = _BaseResponse.aclose
_base_request_init = _BaseRequest.__init__


class RequestBody:
    """The body stream of an ASGI request, readable from the loop (once buffered) or a thread.

    ``read(size)`` follows the file protocol and returns ``b""`` at the end. Called from a worker
    thread it receives more data from the event loop as needed; on the loop it serves what
    :meth:`buffer` has read (the pipeline buffers before running code on the loop).
    """

    __slots__ = (
        "_buf",
        "_loop",
        "_pos",
        "_receive",
        "_received",
        "_task",
        "_watcher",
        "complete",
        "disconnected",
        "request",
    )

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop, complete: bool) -> None:
        self._receive = receive
        self._loop = loop
        self._buf = bytearray()
        self._pos = 0
        self._received = 0
        self._task: asyncio.Task[t.Any] | None = None
        self._watcher: asyncio.Task[None] | None = None
        #: Whether the whole body has been received.
        self.complete = complete
        #: Whether the client disconnected.
        self.disconnected = False
        #: The request this body belongs to (its ``max_content_length`` bounds the body).
        self.request: Request | None = None

    def _limit(self) -> int | None:
        req = self.request
        return None if req is None else req.max_content_length

    async def _receive_chunk(self) -> bytes:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self.complete = True
            self.disconnected = True
            raise ClientDisconnected("The client disconnected while sending the request body.")
        chunk: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            self.complete = True
        self._received += len(chunk)
        limit = self._limit()
        if limit is not None and self._received > limit:
            self.complete = True
            raise RequestEntityTooLarge()
        return chunk

    async def buffer(self, quiet: bool = False) -> None:
        """Receive the rest of the body into memory.

        :param quiet: swallow errors (used after the view ran, when nothing can be reported).
        :raises RequestEntityTooLarge: when the body exceeds ``max_content_length``.
        :raises ClientDisconnected: when the client goes away first.
        """
        if self.complete:
            return
        try:
            req = self.request
            limit = self._limit()
            if limit is not None and req is not None:
                declared = req.content_length
                if declared is not None and declared > limit:
                    self.complete = True
                    raise RequestEntityTooLarge()
            while not self.complete:
                self._buf += await self._receive_chunk()
        except HTTPException:
            if not quiet:
                raise

    def readable(self) -> bool:
        """Always true."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining when negative); ``b""`` at the end.

        :raises RequestEntityTooLarge: when the body exceeds ``max_content_length``.
        :raises ClientDisconnected: when the client disconnects mid-body.
        """
        if size is None:
            size = -1
        while not self.complete and (size < 0 or len(self._buf) - self._pos < size):
            if asyncio._get_running_loop() is self._loop:
                # Code on the loop can only see what was buffered; the pipeline buffers before
                # such code runs, so this means a read after a quiet failure: end of data.
                break
            chunk = asyncio.run_coroutine_threadsafe(self._receive_chunk(), self._loop).result()
            self._buf += chunk
        buf = self._buf
        pos = self._pos
        end = len(buf) if size < 0 else min(len(buf), pos + size)
        data = bytes(buf[pos:end])
        if end >= len(buf):
            buf.clear()
            self._pos = 0
        else:
            self._pos = end
        return data

    def readinto(self, b: bytearray | memoryview) -> int:
        """Read into ``b``; return the number of bytes read."""
        data = self.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (up to ``size`` bytes)."""
        out = bytearray()
        while size is None or size < 0 or len(out) < size:
            ch = self.read(1)
            if not ch:
                break
            out += ch
            if ch == b"\n":
                break
        return bytes(out)

    def watch(self) -> None:
        """Start cancelling the current task when the client disconnects (body must be read)."""
        if self._watcher is not None or not self.complete or self.disconnected:
            return
        self._task = asyncio.current_task()
        self._watcher = self._loop.create_task(self._watch())

    async def _watch(self) -> None:
        # After the body, a compliant server's receive() blocks until http.disconnect; any
        # other message means it does not follow that rule, so stop watching.
        message = await self._receive()
        if message["type"] == "http.request" and self._received == 0:
            # A request without a body still gets its one (empty) http.request message,
            # which nothing read because the headers said there was no body.
            message = await self._receive()
        if message["type"] == "http.disconnect":
            self.disconnected = True
            if self._task is not None:
                self._task.cancel()

    def watched(self, coro: t.Coroutine[t.Any, t.Any, T], pending: t.Any) -> t.Awaitable[T]:
        """Start :meth:`watch` and return an awaitable that finishes the suspended ``coro``.

        The caller ran ``coro``'s first step itself (``pending = coro.send(None)``): a
        coroutine that finishes without waiting on anything cannot be cancelled anyway, so it
        costs no watcher task.

        :param pending: what that first step yielded (the future it waits on).
        """
        self.watch()
        return _Suspended(coro, pending)

    def stop_watching(self) -> None:
        """Stop the disconnect watcher and drop the references to it and to the request task."""
        watcher = self._watcher
        if watcher is not None:
            self._watcher = None
            self._task = None
            if not watcher.done():
                watcher.cancel()


class _Suspended(t.Generic[T]):
    """Awaitable finishing a coroutine whose first step already ran and yielded ``pending``."""

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: t.Coroutine[t.Any, t.Any, T], pending: t.Any) -> None:
        self._coro = coro
        self._pending = pending

    def __await__(self) -> t.Generator[t.Any, t.Any, T]:
        coro = self._coro
        pending = self._pending
        self._pending = None
        # What ``yield from`` does, written out because the first step is done.
        while True:
            try:
                value = yield pending
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    pending = coro.throw(exc)
                except StopIteration as stop:
                    return t.cast(T, stop.value)
            else:
                try:
                    pending = coro.send(value)
                except StopIteration as stop:
                    return t.cast(T, stop.value)


def _environ_for(scope: Scope, root_path: str, path: str) -> dict[str, t.Any]:
    # A small WSGI-like view for code that reads request.environ (extensions, logging).
    server = scope.get("server") or (None, None)
    client = scope.get("client") or (None, None)
    return {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": root_path,
        "PATH_INFO": path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]) if server[1] is not None else "",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0],
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "asgi.scope": scope,
    }


def _check_raw_path(scope: Scope) -> None:
    # Servers (uvicorn, hypercorn, granian) decode the path with errors="replace", so %FF
    # arrives as U+FFFD and would reach routing as a valid path. Only ``raw_path`` tells an
    # invalid byte from a real, percent-encoded U+FFFD.
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):
        return
    try:
        unquote_to_bytes(raw.partition(b"?")[0]).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request URL is not valid UTF-8.") from None


def request_from_scope(
    scope: Scope,
    request_class: type[Request],
    body: RequestBody | None,
    headers: RawHeaders | None = None,
) -> Request:
    """Build a request from an ASGI ``http`` or ``websocket`` scope.

    ``path`` has ``root_path`` removed when it starts with it. Headers come from the raw byte
    pairs (decoded as latin-1), or are ``headers`` when given (made from the same scope).

    :raises BadRequest: when the path (``raw_path``, as the client sent it) is not valid UTF-8.
    """
    root_path: str = scope.get("root_path", "") or ""
    path: str = scope["path"]
    if "\ufffd" in path:
        _check_raw_path(scope)
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    server = scope.get("server")
    client = scope.get("client")
    scheme = scope.get("scheme") or ("ws" if scope["type"] == "websocket" else "http")
    request = request_class(
        scope.get("method", "GET"),
        scheme,
        (server[0], server[1]) if server else None,
        root_path,
        path,
        scope.get("query_string", b""),
        RawHeaders(scope["headers"]) if headers is None else headers,
        client[0] if client else None,
        body,
    )
    # Built only if something reads request.environ: most requests never do.
    request._environ_factory = functools.partial(_environ_for, scope, root_path, path)
    return request


# Encoded response header pairs: most of every response's headers are the same pairs (the
# security headers, Content-Type), so each is lower-cased and encoded once. Bounded, as values
# vary; cookies are never kept.
_ENCODED_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_ENCODED_PAIRS_MAX = 1024


def _encode_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    key, value = pair
    encoded = (key.lower().encode("latin-1"), value.encode("latin-1"))
    if len(_ENCODED_PAIRS) < _ENCODED_PAIRS_MAX and encoded[0] != b"set-cookie":
        _ENCODED_PAIRS[pair] = encoded
    return encoded


def _encode_headers(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    get = _ENCODED_PAIRS.get
    return [get(pair) or _encode_pair(pair) for pair in pairs]


def _raw_headers(response: Response) -> list[tuple[bytes, bytes]]:
    return _encode_headers(response.headers.to_wsgi_list())


async def _send_response(
    app: Tumbler, response: Response, method: str, send: Send, body: RequestBody | None
) -> None:
    code = response.status_code
    response.finalize_headers()
    await send({"type": "http.response.start", "status": code, "headers": _raw_headers(response)})
    content = response.response
    try:
        if method == "HEAD" or code < 200 or code == 204 or code == 304:
            await send({"type": "http.response.body", "body": b""})
        elif type(content) is list or isinstance(content, list | tuple):
            if len(content) == 1 and type(content[0]) is bytes:
                data = content[0]  # the common case: Response(str or bytes) made one chunk
            else:
                data = b"".join(
                    chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in content
                )
            await send({"type": "http.response.body", "body": data})
        else:
            if body is not None:
                body.watch()
            if getattr(response, "is_async", False):
                async for chunk in response.aiter_encoded():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            else:
                await _send_sync_stream(app, response, send)
            await send({"type": "http.response.body", "body": b""})
    finally:
        if type(response.response) is list and type(response).aclose is _base_aclose:
            # What aclose() does for a body without aclose(), sans coroutine; and nothing at
            # all when no close callback was registered.
            if response._on_close or type(response).close is not _base_close:
                response.close()
        else:
            await response.aclose()


async def _send_sync_stream(app: Tumbler, response: Response, send: Send) -> None:
    chunks = response.iter_encoded()
    if not app.config["ASGI_SYNC_THREADPOOL"]:
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        return
    loop = asyncio.get_running_loop()

    def step() -> t.Any:
        return next(chunks, None)

    while True:
        # Each step may block (a generator doing I/O), so it runs in the thread pool.
        pending = loop.run_in_executor(None, step)
        try:
            # Shielded: cancelling the task must not mark the step done while it still runs.
            chunk = await asyncio.shield(pending)
        except asyncio.CancelledError:
            # The client went away mid-step. The step goes on in its thread, and a generator
            # that is executing cannot be closed: let it reach its next yield first, so that
            # closing the response runs the generator's cleanup instead of failing.
            await asyncio.wait((pending,))
            raise
        if chunk is None:
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


def _has_body(scope: Scope, headers: RawHeaders) -> bool:
    _size, _host, _cookie, length, chunked = headers.summary()
    if length is not None:
        declared = _content_length(length)
        if declared is None:
            # RFC 9112 6.3: the body's framing is unknown, so the request cannot be read.
            raise BadRequest(_INVALID_CONTENT_LENGTH)
        return declared > 0
    if chunked:
        return True
    # HTTP/1 announces every body with one of those headers; HTTP/2 and HTTP/3 frame bodies
    # themselves and may send one without Content-Length, so only receiving tells.
    return scope.get("http_version", "1.1") not in ("1.1", "1.0")


def _view_is_async(app: Tumbler, request: Request) -> bool:
    rule = request.url_rule
    if rule is None or request.routing_exception is not None:
        # Errors are answered on the loop; handlers for them are usually cheap.
        return True
    endpoint = rule.endpoint
    cache = app._view_is_async
    is_async = cache.get(endpoint)
    if is_async is None:
        view = app.view_functions.get(endpoint)
        is_async = cache[endpoint] = view is None or inspect.iscoroutinefunction(view)
    return is_async


def _handle_in_thread(
    app: Tumbler, ctx: RequestContext, preserve: t.Callable[[t.Any], t.Any] | None
) -> Response:
    return app._handle_sync(ctx.request, preserve, ctx)


class _ScopeRequestContext(_LazyRequestContext):
    """A lazy request context (see :class:`~tumbler.ctx._LazyRequestContext`) for a scope."""

    __slots__ = ("_headers", "_receive")

    def __init__(
        self,
        app: Tumbler,
        scope: Scope,
        rule: Rule,
        view_args: dict[str, t.Any],
        headers: RawHeaders,
        receive: Receive,
    ) -> None:
        super().__init__(app, scope, rule, view_args)
        self._headers = headers
        self._receive = receive

    def _build(self, source: dict[str, t.Any]) -> Request:
        return request_from_scope(source, self.app.request_class, None, self._headers)

    def _cookie_sent(self) -> bool:
        headers = self._headers
        if type(headers) is RawHeaders and self._source is not None:
            return headers.summary()[2]  # the request, not built yet, would read these
        return super()._cookie_sent()

    def _watch(self, coro: t.Coroutine[t.Any, t.Any, T], pending: t.Any) -> t.Awaitable[T]:
        # The view suspended: from now on a disconnect cancels it (see RequestBody.watched).
        body = self._body = RequestBody(self._receive, asyncio.get_running_loop(), complete=True)
        return body.watched(coro, pending)


def _scope_road(
    app: Tumbler, scope: Scope
) -> tuple[RawHeaders, tuple[Rule, dict[str, t.Any]] | HTTPException | None] | None:
    # The checks for a plain app's GET or HEAD without a body, whose request passes the
    # security checks as it is. When they pass, returns the headers (summarized) and the URL
    # map's answer: a match for an async view seen before is served before any Request object
    # exists (_serve_on_scope_road); anything else goes on without checking again. None: the
    # usual road, from the start.
    method = scope.get("method")
    if (method != "GET" and method != "HEAD") or not app._got_first_request:
        return None
    path = scope["path"]
    # What request_from_scope would refuse or change is left to it.
    if (
        not path
        or path[0] != "/"
        or path[1:2] == "/"
        or not path.isascii()
        or scope.get("root_path")
        or scope.get("tumbler.preserve_context") is not None
        or _cv_get(None) is not None
        or not app._plain()
    ):
        return None
    domain = app._quick_match_domain
    if domain is None or app.request_class.__init__ is not _base_request_init:
        return None
    headers = RawHeaders(scope["headers"])
    try:
        if _has_body(scope, headers):
            return None
    except BadRequest:
        return None
    if not app._security.admits_raw(headers):
        return None
    return headers, app.url_map._quick_match(domain, path, method)


async def _serve_on_scope_road(
    app: Tumbler,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: RawHeaders,
    rule: Rule,
    view_args: dict[str, t.Any],
) -> None:
    ctx = _ScopeRequestContext(app, scope, rule, view_args, headers, receive)
    method = scope["method"]
    try:
        answer = await app._serve_view_async(
            ctx,
            app.view_functions[rule.endpoint],
            view_args,
            scope.get("scheme") or "http",
            ctx._watch,
        )
        if isinstance(answer, tuple):
            data, pairs = answer
            await send(
                {"type": "http.response.start", "status": 200, "headers": _encode_headers(pairs)}
            )
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else data})
            return
        body = ctx._body
        if body is None and not isinstance(answer.response, list | tuple):
            # A streamed body: watched for a disconnect while it is sent.
            body = ctx._body = RequestBody(receive, asyncio.get_running_loop(), complete=True)
        await _send_response(app, answer, method, send, body)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if ctx._body is not None and ctx._body.disconnected and task is not None:
            # The client went away: the view was cancelled and the context left.
            task.uncancel()
            return
        raise
    finally:
        if ctx._body is not None:
            ctx._body.stop_watching()


async def _http(app: Tumbler, scope: Scope, receive: Receive, send: Send) -> None:
    if app._serving_state != 2 and (app.before_serving_funcs or app.after_serving_funcs):
        await app.startup()
    road = _scope_road(app, scope)
    headers = found = None
    if road is not None:
        headers, found = road
        if isinstance(found, tuple) and app._view_is_async.get(found[0].endpoint) is True:
            await _serve_on_scope_road(app, scope, receive, send, headers, *found)
            return
    loop = asyncio.get_running_loop()
    body = RequestBody(receive, loop, complete=True)
    try:
        request = request_from_scope(scope, app.request_class, body, headers)
        body.complete = not _has_body(scope, t.cast(RawHeaders, request.headers))
    except HTTPException as e:
        await _send_response(app, e.get_response(), scope.get("method", "GET"), send, None)
        return
    body.request = request
    preserve = scope.get("tumbler.preserve_context")
    try:
        if not app._got_first_request:
            app._first_request()
        if road is None:
            refused = app._refuse(request)
            if refused is not None:
                await _send_response(app, refused, request.method, send, None)
                return
        ctx = RequestContext(app, request=request)
        if isinstance(found, tuple):
            request.url_rule, request.view_args = found
        elif found is not None:
            request.routing_exception = found
        else:
            ctx.match_request()
        if app.config["ASGI_SYNC_THREADPOOL"] and not _view_is_async(app, request):
            # A sync view: run the whole pipeline (hooks, view, teardown) in one worker thread,
            # as a WSGI server would, so thread-bound resources (database connections in g)
            # stay on one thread. The body is read lazily through the bridge to this loop.
            run = contextvars.copy_context().run
            response = await loop.run_in_executor(None, run, _handle_in_thread, app, ctx, preserve)
        else:
            response = await app._handle(request, True, preserve, body, ctx)
        await _send_response(app, response, request.method, send, body)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if body.disconnected and task is not None:
            # The client went away: the pipeline was cancelled and its contexts popped.
            task.uncancel()
            return
        raise
    finally:
        body.stop_watching()
        # The request holds the body as its stream: break the cycle now that both are done.
        body.request = None


async def _lifespan(app: Tumbler, scope: Scope, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "lifespan.startup":
            try:
                await app.startup()
            except Exception as e:
                app.logger.exception("Error during application startup")
                await send(
                    {"type": "lifespan.startup.failed", "message": f"{type(e).__name__}: {e}"}
                )
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                await app._shutdown()
            except Exception as e:
                app.logger.exception("Error during application shutdown")
                await send(
                    {"type": "lifespan.shutdown.failed", "message": f"{type(e).__name__}: {e}"}
                )
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


class WebSocketDisconnect(Exception):
    """Raised by :meth:`Websocket.receive` when the client closed the connection.

    :param code: the close code the client sent.
    """

    def __init__(self, code: int = 1000) -> None:
        super().__init__(code)
        self.code = code


class Websocket:
    """The server side of a websocket connection, available as the ``websocket`` proxy.

    Call :meth:`accept` first (``send``/``receive`` accept implicitly), then exchange messages
    with :meth:`receive` / :meth:`send` (text as ``str``, binary as ``bytes``) and end with
    :meth:`close`.
    """

    __slots__ = ("_receive", "_send", "accepted", "closed", "scope")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.accepted = False
        self.closed = False

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered."""
        return list(self.scope.get("subprotocols") or ())

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Headers | t.Mapping[str, str] | t.Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """Accept the connection.

        :param subprotocol: the chosen subprotocol (one the client offered).
        :param headers: extra response headers for the handshake.
        :raises RuntimeError: when already accepted or closed.
        """
        if self.accepted or self.closed:
            raise RuntimeError("The websocket was already accepted or closed.")
        message: Message = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            hdrs = headers if isinstance(headers, Headers) else Headers(headers)
            message["headers"] = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in hdrs.items()
            ]
        await self._send(message)
        self.accepted = True

    async def receive(self) -> str | bytes:
        """Wait for the next message: ``str`` for text frames, ``bytes`` for binary ones.

        :raises WebSocketDisconnect: when the client closed the connection.
        """
        if not self.accepted:
            await self.accept()
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.closed = True
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is not None:
            return text
        return message.get("bytes") or b""

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message.

        :raises RuntimeError: when the connection is closed.
        """
        if self.closed:
            raise RuntimeError("Cannot send on a closed websocket.")
        if not self.accepted:
            await self.accept()
        if isinstance(data, str):
            await self._send({"type": "websocket.send", "text": data})
        else:
            await self._send({"type": "websocket.send", "bytes": bytes(data)})

    async def receive_json(self) -> t.Any:
        """Receive a message and parse it as JSON with the app's JSON provider."""
        from .globals import current_app

        return current_app.json.loads(await self.receive())

    async def send_json(self, obj: t.Any) -> None:
        """Serialize ``obj`` with the app's JSON provider and send it as text."""
        from .globals import current_app

        await self.send(current_app.json.dumps(obj))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (or reject it, before :meth:`accept`) with ``code``."""
        if self.closed:
            return
        self.closed = True
        await self._send({"type": "websocket.close", "code": code, "reason": reason})


async def _websocket(app: Tumbler, scope: Scope, receive: Receive, send: Send) -> None:
    from .app import _call
    from .signals import got_request_exception

    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if app._serving_state != 2 and (app.before_serving_funcs or app.after_serving_funcs):
        await app.startup()
    ws = Websocket(scope, receive, send)
    try:
        request = request_from_scope(scope, app.request_class, None)
    except HTTPException as e:
        await ws.close(1008, e.name)
        return
    if not app._got_first_request:
        app._first_request()
    refused = app._refuse(request)
    if refused is not None:
        await ws.close(1008, refused.status[4:])
        return
    ctx = RequestContext(app, request=request)
    ctx.websocket = ws
    error: BaseException | None = None
    try:
        ctx.push()
        exc = request.routing_exception
        if exc is not None:
            reason = exc.description if isinstance(exc, HTTPException) else str(exc)
            await ws.close(1008, (reason or "")[:120])
            return
        csrf = app._security.csrf
        if csrf is not None and not csrf.is_exempt(app, request):
            # Browsers let any page open a websocket to any site, with the user's cookies:
            # refuse handshakes from other origins (cross-site websocket hijacking).
            refusal = csrf.origin_error(request)
            if refusal is not None:
                await ws.close(1008, "Cross-site websocket refused; see TRUSTED_ORIGINS.")
                return
        bps = request.blueprints
        names: tuple[str | None, ...] = (None, *reversed(bps)) if bps else (None,)
        for name in names:
            funcs = app.url_value_preprocessors.get(name)
            if funcs:
                for func in funcs:
                    await _call(func, request.endpoint, request.view_args)
        rule = request.url_rule
        assert rule is not None
        view = app.view_functions[rule.endpoint]
        rv = view(**(request.view_args or {}))
        if asyncio.iscoroutine(rv) or isinstance(rv, asyncio.Future):
            await rv
        if not ws.closed:
            await ws.close(1000 if ws.accepted else 1008)
    except WebSocketDisconnect:
        pass
    except HTTPException as e:
        if not ws.closed:
            await ws.close(1008, e.name)
    except Exception as e:
        error = e
        if got_request_exception.receivers:
            got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=e)
        if not ws.closed:
            await ws.close(1011)
        propagate = app.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = app.testing or app.debug
        if propagate:
            raise
        app.log_exception((type(e), e, e.__traceback__))
    finally:
        if ctx._tokens:
            await ctx._apop(error)


async def asgi_app(app: Tumbler, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI connection (``http``, ``websocket`` or ``lifespan`` scope) with ``app``.

    :raises ValueError: for an unknown scope type.
    """
    kind = scope["type"]
    if kind == "http":
        await _http(app, scope, receive, send)
    elif kind == "websocket":
        await _websocket(app, scope, receive, send)
    elif kind == "lifespan":
        await _lifespan(app, scope, receive, send)
    else:
        raise ValueError(f"Unsupported ASGI scope type {kind!r}.")


__all__ = [
    "RequestBody",
    "WebSocketDisconnect",
    "Websocket",
    "asgi_app",
    "request_from_scope",
]
