"""The debug error page: a traceback and the request, for the developer's own browser only.

When an unhandled exception reaches a Tumbler app in debug mode, the app answers with
:func:`render_debug_page` instead of a bare 500. The page shows every frame of the traceback with a
few lines of source around it, the exception chain, and the request's method, URL, query
arguments, headers and cookies.

Why it is safe to leave on by accident (and why you still should not):

- It is served only to local clients (:func:`is_local_request`): the peer address must be
  loopback, the request must not have been forwarded by a proxy (``Forwarded``,
  ``X-Forwarded-For``, ``X-Real-IP``), and the ``Host`` header must name the loopback interface
  or one of the app's ``TRUSTED_HOSTS``; the last rule stops DNS-rebinding pages from reading it.
  Everyone else gets the generic 500 page.
- Every value on the page is HTML-escaped; the page carries no script and a Content-Security-Policy
  that forbids any, so an exception message or header containing ``<script>`` is inert text.
- There is no console and no code execution of any kind (unlike Werkzeug's debugger), so no PIN
  is needed and nothing on the page can run code on the server.

Tracebacks still reveal source code and paths, which is why the page needs debug mode on.
"""

from __future__ import annotations

import ipaddress
import linecache
import sys
import sysconfig
import traceback
import typing as t
from html import escape

from .exceptions import InternalServerError
from .wrappers import Request
from .wrappers import Response

#: Lines of source shown before and after the line of each frame.
CONTEXT_LINES = 3

#: Headers that mean the request came through a proxy on this machine, so the real client may
#: be anywhere; such requests never get the debug page.
_FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host")

_LIBRARY_PREFIXES = tuple(
    {p for p in (sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("purelib")) if p}
)

_SECURITY_HEADERS = {
    # No script may run on the page, and only its own inline styles apply.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def is_loopback_address(address: str | None) -> bool:
    """Return whether ``address`` is a loopback IP address (``127.0.0.0/8`` or ``::1``).

    IPv4-mapped IPv6 addresses (``::ffff:127.0.0.1``) count as their IPv4 address. Host names,
    empty values and anything unparsable are not loopback.
    """
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _host_name(host_header: str) -> str:
    host_header = host_header.strip().lower()
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    if host_header.count(":") == 1:
        return host_header.partition(":")[0]
    return host_header


def _host_is_local(request: Request) -> bool:
    host = request.headers.get("Host")
    if host is None:
        # HTTP/1.0 clients may omit Host; nothing cross-origin can be going on then.
        return True
    name = _host_name(host)
    if name == "localhost" or name.endswith(".localhost") or is_loopback_address(name):
        return True
    for trusted in request.trusted_hosts or ():
        trusted = trusted.lower()
        if name == trusted.lstrip(".") or (trusted.startswith(".") and name.endswith(trusted)):
            return True
    return False


def is_local_request(request: Request) -> bool:
    """Return whether ``request`` may be shown the debug page.

    True only when the peer address is loopback, no proxy forwarding header is present, and
    the ``Host`` header is ``localhost``, a loopback address, or in ``request.trusted_hosts``.
    """
    if not is_loopback_address(request.remote_addr):
        return False
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    return _host_is_local(request)


def render_debug_page(exc: BaseException, request: Request | None) -> Response:
    """Return the 500 response for an unhandled ``exc`` raised while handling ``request``.

    The caller decides that debug mode is on; this function still checks the client: a request
    that is not local (see :func:`is_local_request`), or no request at all, gets the generic
    500 page without any detail.

    :param exc: the unhandled exception; its ``__cause__``/``__context__`` chain is shown too.
    :param request: the request being handled, or ``None`` when it could not be built.
    :return: a ``500`` HTML response with a strict Content-Security-Policy.
    """
    if request is None or not is_local_request(request):
        return InternalServerError(original_exception=exc).get_response()
    response = Response(debug_page_html(exc, request), status=500, mimetype="text/html")
    for name, value in _SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


# -- rendering --------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#8b1a1a;color:#fff;padding:1em 1.5em}
header h1{margin:0;font-size:1.4em;word-break:break-word}
header p{margin:.4em 0 0;white-space:pre-wrap;word-break:break-word}
main{padding:1em 1.5em}
h2{font-size:1.1em;margin:1.5em 0 .5em}
.frame{border:1px solid #ddd;background:#fff;margin:.5em 0;border-radius:4px}
.frame.lib{opacity:.65}
.where{padding:.4em .6em;background:#f0f0f0;font-family:ui-monospace,monospace;font-size:13px}
pre{margin:0;padding:.4em .6em;font:13px/1.35 ui-monospace,monospace;overflow-x:auto}
.line{display:block}
.line.current{background:#fde2e2}
.chain{margin:1.5em 0 .5em;font-style:italic}
table{border-collapse:collapse;margin:.3em 0;width:100%;background:#fff}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top;
font:13px ui-monospace,monospace;word-break:break-all}
th{width:20%;background:#f0f0f0}
textarea{width:100%;height:16em;font:12px ui-monospace,monospace}
""".strip()


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _is_library_file(filename: str) -> bool:
    return filename.startswith(_LIBRARY_PREFIXES) or filename.startswith("<frozen ")


def _render_frame(frame: traceback.FrameSummary) -> str:
    filename = frame.filename
    lineno = frame.lineno or 0
    css = "frame lib" if _is_library_file(filename) else "frame"
    parts = [
        f'<div class="{css}"><div class="where">File <b>{_e(filename)}</b>, '
        f"line {lineno}, in <b>{_e(frame.name)}</b></div>"
    ]
    lines = linecache.getlines(filename) if lineno else []
    if lines:
        first = max(lineno - CONTEXT_LINES, 1)
        last = min(lineno + CONTEXT_LINES, len(lines))
        rows = []
        for number in range(first, last + 1):
            text = lines[number - 1].rstrip("\r\n")
            current = " current" if number == lineno else ""
            rows.append(f'<span class="line{current}">{number:>5}  {_e(text)}</span>')
        parts.append("<pre>" + "".join(rows) + "</pre>")
    elif frame.line:
        parts.append(f"<pre>{_e(frame.line)}</pre>")
    parts.append("</div>")
    return "".join(parts)


def _exception_chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """Return ``(exception, note)`` pairs oldest first, like Python's traceback output.

    ``note`` explains how the next (newer) exception relates to this one; the last is empty.
    """
    newest_first: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        link = ""
        older: BaseException | None = None
        if current.__cause__ is not None:
            link = "The above exception was the direct cause of the following exception:"
            older = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link = "During handling of the above exception, another exception occurred:"
            older = current.__context__
        newest_first.append((current, link))
        current = older
    chain = newest_first[::-1]
    return [
        (item, chain[i + 1][1] if i + 1 < len(chain) else "") for i, (item, _) in enumerate(chain)
    ]


def _exception_title(exc: BaseException) -> str:
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    return name


def _render_traceback(exc: BaseException) -> str:
    parts = []
    for item, note in _exception_chain(exc):
        parts.append(f"<h2>{_e(_exception_title(item))}: {_e(_safe_str(item))}</h2>")
        for frame in traceback.extract_tb(item.__traceback__):
            parts.append(_render_frame(frame))
        if note:
            parts.append(f'<p class="chain">{_e(note)}</p>')
    return "".join(parts)


def _safe_str(value: object) -> str:
    # A broken __str__ on a user exception must not break the page that reports it.
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__} object>"


def _table(title: str, rows: t.Iterable[tuple[object, object]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    if not body:
        body = "<tr><td><i>(none)</i></td></tr>"
    return f"<h2>{_e(title)}</h2><table>{body}</table>"


def _safely(func: t.Callable[[], t.Any], default: t.Any) -> t.Any:
    # Request details come from client input; a malformed header must not hide the traceback.
    try:
        return func()
    except Exception:
        return default


def _render_request(request: Request) -> str:
    url = _safely(lambda: request.url, request.path)
    general = [
        ("Method", request.method),
        ("URL", url),
        ("Path", request.path),
        ("Root path", request.root_path or "/"),
        ("Remote address", request.remote_addr or "(unknown)"),
        ("Endpoint", _safely(lambda: request.endpoint, None) or "(none)"),
    ]
    args = _safely(lambda: list(request.args.items(multi=True)), [])
    cookies = _safely(lambda: list(request.cookies.items(multi=True)), [])
    headers = _safely(lambda: list(request.headers.items()), [])
    return (
        _table("Request", general)
        + _table("Query arguments", args)
        + _table("Headers", headers)
        + _table("Cookies", cookies)
    )


def debug_page_html(exc: BaseException, request: Request) -> str:
    """Return the debug page's HTML for ``exc`` and ``request``, with every value escaped.

    This does not check who is asking; use :func:`render_debug_page` to answer a request.
    """
    title = f"{_exception_title(exc)}: {_safe_str(exc)}"
    plain = "".join(traceback.format_exception(exc))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)} // Tumbler debug</title>"
        '<meta name="robots" content="noindex,nofollow">'
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(_exception_title(exc))}</h1><p>{_e(_safe_str(exc))}</p></header>"
        "<main>"
        f"{_render_traceback(exc)}"
        f"{_render_request(request)}"
        "<h2>Plain traceback</h2>"
        f'<textarea readonly aria-label="Plain traceback">{_e(plain)}</textarea>'
        "<p>This page is shown because debug mode is on and the request came from this machine."
        " Never enable debug mode in production.</p>"
        "</main></body></html>"
    )


# -- middleware -------------------------------------------------------------------------------


class DebugPageMiddleware:
    """Wrap a WSGI/ASGI application so exceptions that escape it get the debug page.

    The development server installs it (``run_simple(use_debugger=True)``) to catch what the app
    itself cannot: errors raised by middleware around the app, and errors propagated in debug
    mode. It answers non-local clients with the generic 500 page and logs the traceback to the
    server's error stream. If the response had already started, the exception is re-raised so
    the server closes the connection.

    :param app: the application, called as ``app(environ, start_response)`` for WSGI or
        ``await app(scope, receive, send)`` for ASGI (Tumbler apps accept both).
    """

    def __init__(self, app: t.Any) -> None:
        self.app = app
        #: Kept so the server can still tell that the wrapped app speaks ASGI.
        self.asgi_app = getattr(app, "asgi_app", None)

    def __call__(self, a: t.Any, b: t.Any, c: t.Any = None) -> t.Any:
        """WSGI ``(environ, start_response)`` or ASGI ``(scope, receive, send)``."""
        if c is None:
            return self._wsgi(a, b)
        return self._asgi(a, b, c)

    def _wsgi(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterator[bytes]:
        started = False

        def tracking_start_response(*args: t.Any) -> t.Any:
            nonlocal started
            started = True
            return start_response(*args)

        app_iter: t.Any = None
        try:
            app_iter = self.app(environ, tracking_start_response)
            yield from app_iter
        except Exception as exc:
            errors = environ.get("wsgi.errors", sys.stderr)
            traceback.print_exception(exc, file=errors)
            if started:
                raise
            response = render_debug_page(exc, _request_from_environ(environ))
            start_response(response.status, list(response.headers.items()), sys.exc_info())
            yield b"".join(response.iter_encoded())
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()

    async def _asgi(
        self,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: dict[str, t.Any]) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            traceback.print_exception(exc, file=sys.stderr)
            if started:
                raise
            response = render_debug_page(exc, _request_from_scope(scope))
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in response.headers.items()
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b"".join(response.iter_encoded())})


def _request_from_environ(environ: dict[str, t.Any]) -> Request | None:
    from .wsgi import request_from_environ

    return _safely(lambda: request_from_environ(environ, Request), None)


def _request_from_scope(scope: dict[str, t.Any]) -> Request | None:
    from .asgi import request_from_scope

    return _safely(lambda: request_from_scope(scope, Request, None), None)


__all__ = [
    "DebugPageMiddleware",
    "debug_page_html",
    "is_local_request",
    "is_loopback_address",
    "render_debug_page",
]
