"""The WSGI front end: environ to :class:`~tumbler.wrappers.Request`, response to WSGI.

It holds no policy: it translates, runs the app's async pipeline with :func:`run_sync`, and hands
the response body to the server. :func:`run_sync` steps the pipeline coroutine once without an
event loop (it finishes in that one step unless an async callable really awaits); only then does
a long-lived event loop, one per thread and reused, take over.
"""

from __future__ import annotations

import contextvars
import io
import sys
import threading
import typing as t

from .datastructures import EnvironHeaders
from .exceptions import BadRequest
from .exceptions import HTTPException
from .http import _INVALID_CONTENT_LENGTH
from .http import _content_length

if t.TYPE_CHECKING:
    import asyncio

    from .app import Tumbler
    from .wrappers import Request
    from .wrappers import Response

T = t.TypeVar("T")

_thread_state = threading.local()


class _NeedLoop:
    """Awaited by the pipeline before an async callable runs while no event loop is running.

    :func:`run_sync` sees this object yielded and resumes the coroutine inside its per-thread
    event loop, so the callable can use asyncio (``get_running_loop``, tasks, timeouts) normally.
    """

    __slots__ = ()

    def __await__(self) -> t.Generator[t.Any, None, None]:
        yield self


NEED_LOOP = _NeedLoop()


class _Continue:
    """Awaitable that continues an already-started coroutine inside a task."""

    __slots__ = ("_coro",)

    def __init__(self, coro: t.Coroutine[t.Any, t.Any, t.Any]) -> None:
        self._coro = coro

    def __await__(self) -> t.Generator[t.Any, None, t.Any]:
        return self._coro.__await__()


class _LoopHolder:
    """Owns a thread's event loop and closes it when the thread ends (and drops its locals)."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        loop = self.loop
        if not loop.is_closed() and not loop.is_running():
            loop.close()


def thread_event_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's long-lived event loop, creating it on first use.

    The same loop object is reused for every request handled on the thread; it is closed when
    the thread ends.
    """
    holder: _LoopHolder | None = getattr(_thread_state, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _LoopHolder()
        _thread_state.holder = holder
    return holder.loop


async def _resume(coro: t.Coroutine[t.Any, t.Any, T], yielded: t.Any) -> T:
    import asyncio

    if isinstance(yielded, asyncio.Future):
        # The coroutine awaited a future before a loop ran; wait for it, then let the coroutine
        # read its result.
        await asyncio.wait((yielded,))
    return await _Continue(coro)


def run_sync(coro: t.Coroutine[t.Any, t.Any, T]) -> T:
    """Run ``coro`` to completion from sync code and return its result.

    The first step runs directly (no event loop); most pipelines finish there. If the coroutine
    suspends, the rest runs on :func:`thread_event_loop`. Context variables set inside are local
    to this call.

    :raises RuntimeError: when the coroutine suspends while an event loop is already running on
        this thread (sync code called from async code cannot block the loop; ``await`` instead).
    """
    ctx = contextvars.copy_context()
    try:
        yielded = ctx.run(coro.send, None)
    except StopIteration as stop:
        return stop.value
    # asyncio is imported only when a coroutine really waits (WSGI apps rarely do); if it
    # was not imported yet, no loop can be running on this thread.
    aio = sys.modules.get("asyncio")
    if aio is not None and aio._get_running_loop() is not None:
        coro.close()
        raise RuntimeError(
            "An async function awaited while being run synchronously on a thread whose event"
            " loop is running. Await it instead of calling the sync API from async code."
        )
    loop = thread_event_loop()
    task = loop.create_task(_resume(coro, yielded), context=ctx)
    return loop.run_until_complete(task)


def _body_input(environ: dict[str, t.Any]) -> t.Any:
    # Without Content-Length the body's end is known only when the server says the input is
    # terminated (chunked bodies under gunicorn and granian) or has buffered it (hypercorn);
    # otherwise reading would wait on the socket until the client gives up, so the body reads
    # as empty, as under ASGI.
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH")
    if length:
        if _content_length(length) is None:
            # RFC 9112 6.3: the body's framing is unknown, so the request cannot be read.
            raise BadRequest(_INVALID_CONTENT_LENGTH)
        return stream
    if environ.get("wsgi.input_terminated") or isinstance(stream, io.BytesIO):
        return stream
    return None


def request_from_environ(environ: dict[str, t.Any], request_class: type[Request]) -> Request:
    """Build a request from a WSGI environ.

    ``PATH_INFO`` and ``SCRIPT_NAME`` (latin-1 per PEP 3333) are re-decoded as UTF-8; headers
    are a lazy view over the environ; the body stream is ``wsgi.input`` (bounded by the request
    class by ``Content-Length`` and ``max_content_length``).

    :raises BadRequest: when the path is not valid UTF-8.
    """
    get = environ.get
    path = get("PATH_INFO") or ""
    script = get("SCRIPT_NAME") or ""
    query = get("QUERY_STRING") or ""
    try:
        if not path.isascii():
            path = path.encode("latin-1").decode("utf-8")
        if script and not script.isascii():
            script = script.encode("latin-1").decode("utf-8")
        query_bytes = query.encode("latin-1") if query else b""
    except UnicodeError:
        raise BadRequest("The request URL is not valid UTF-8.") from None
    server_name = get("SERVER_NAME")
    server: tuple[str, int | None] | None = None
    if server_name:
        port = get("SERVER_PORT")
        try:
            server = (server_name, int(port) if port else None)
        except ValueError:
            server = (server_name, None)
    return request_class(
        get("REQUEST_METHOD") or "GET",
        get("wsgi.url_scheme") or "http",
        server,
        script,
        path,
        query_bytes,
        EnvironHeaders(environ),
        get("REMOTE_ADDR"),
        _body_input(environ),
        environ,
    )


class ClosingBody:
    """The WSGI body iterable: iterates the response and calls ``response.close()`` when the
    server closes it (which runs ``call_on_close`` callbacks and ends streamed contexts)."""

    __slots__ = ("_iterable", "_response")

    def __init__(self, iterable: t.Iterable[bytes], response: Response) -> None:
        self._iterable = iterable
        self._response = response

    def __iter__(self) -> t.Iterator[bytes]:
        return iter(self._iterable)

    def close(self) -> None:
        """Close the response."""
        self._response.close()


def _iter_async_body(response: Response) -> t.Iterator[bytes]:
    # An async body under WSGI: step it on this thread's long-lived loop.
    loop = thread_event_loop()
    agen = response.aiter_encoded()
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(agen.aclose())
        loop.run_until_complete(response.aclose())


# A response without a body still yields one empty chunk: PEP 3333 has the server send the
# headers once the iterable ends, but some (hypercorn's WSGI wrapper) only send them with the
# first chunk, and answer an empty iterable with a 500.
_NO_BODY = (b"",)


def wsgi_body(response: Response, method: str) -> t.Iterable[bytes]:
    """Return the WSGI iterable for ``response`` (empty for HEAD, 1xx, 204 and 304)."""
    code = response.status_code
    if method == "HEAD" or code < 200 or code == 204 or code == 304:
        return ClosingBody(_NO_BODY, response)
    body = response.response
    if type(body) is list and not getattr(response, "_on_close", True):
        # The common buffered case: a list of bytes with nothing to run on close.
        for chunk in body:
            if type(chunk) is not bytes:
                break
        else:
            return body
    if getattr(response, "is_async", False):
        return ClosingBody(_iter_async_body(response), response)
    return ClosingBody(response.iter_encoded(), response)


def wsgi_app(
    app: Tumbler, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
) -> t.Iterable[bytes]:
    """Serve one WSGI request with ``app``'s pipeline."""
    if app._serving_state != 2 and (app.before_serving_funcs or app.after_serving_funcs):
        app._startup_sync()
    answer = app._respond_environ(environ)
    if answer is not None:
        if isinstance(answer, tuple):
            data, headers = answer
            start_response("200 OK", headers)
            return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [data]
        response = answer
        response.finalize_headers()
        start_response(response.status, response.headers.to_wsgi_list())
        return wsgi_body(response, environ["REQUEST_METHOD"])
    try:
        request = request_from_environ(environ, app.request_class)
    except HTTPException as e:
        response = e.get_response()
        response.finalize_headers()
        start_response(response.status, response.headers.to_wsgi_list())
        return wsgi_body(response, environ.get("REQUEST_METHOD", "GET"))
    preserve = environ.get("tumbler.preserve_context")
    response = app._handle_sync(request, preserve)
    response.finalize_headers()
    start_response(response.status, response.headers.to_wsgi_list())
    return wsgi_body(response, request.method)


__all__ = [
    "ClosingBody",
    "NEED_LOOP",
    "request_from_environ",
    "run_sync",
    "thread_event_loop",
    "wsgi_app",
    "wsgi_body",
]
