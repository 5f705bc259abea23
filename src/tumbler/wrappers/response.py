"""The sans-io :class:`Response`: status, headers and a body iterable.

The body is either buffered (a list of bytes or str, as :meth:`Response.set_data`
makes), a sync iterator (a generator that streams), or an async iterator (an async
generator under ASGI). The front ends send it with :meth:`Response.iter_encoded` or
:meth:`Response.aiter_encoded`; they, not the response, drop the body of HEAD
requests.

Typed header accessors (``mimetype``, ``cache_control``, ``vary``, ``expires`` ...)
read and write :attr:`Response.headers`, which stays the single source of truth.
:meth:`Response.make_conditional` answers conditional and range requests: 304, 412,
206 (single range, or several as ``multipart/byteranges``) and 416.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator
from collections.abc import AsyncIterable
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from http import HTTPStatus
from typing import IO
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal
from typing import TypeVar
from typing import cast
from typing import overload

from tumbler.datastructures import CallbackDict
from tumbler.datastructures import ContentRange
from tumbler.datastructures import ContentSecurityPolicy
from tumbler.datastructures import Headers
from tumbler.datastructures import HeaderSet
from tumbler.datastructures import ResponseCacheControl
from tumbler.datastructures import WWWAuthenticate
from tumbler.exceptions import RequestedRangeNotSatisfiable
from tumbler.http import COEP
from tumbler.http import COOP
from tumbler.http import HTTP_STATUS_CODES
from tumbler.http import dump_age
from tumbler.http import dump_cookie
from tumbler.http import dump_header
from tumbler.http import dump_options_header
from tumbler.http import generate_etag
from tumbler.http import http_date
from tumbler.http import parse_age
from tumbler.http import parse_cache_control_header
from tumbler.http import parse_content_range_header
from tumbler.http import parse_csp_header
from tumbler.http import parse_date
from tumbler.http import parse_etags
from tumbler.http import parse_if_range_header
from tumbler.http import parse_options_header
from tumbler.http import parse_range_header
from tumbler.http import parse_set_header
from tumbler.http import quote_etag
from tumbler.http import remove_entity_headers
from tumbler.http import unquote_etag

if TYPE_CHECKING:
    from tumbler.wrappers.request import Request

__all__ = ["Response", "get_content_type"]

_T = TypeVar("_T")
_R = TypeVar("_R", bound="Response")

BodyIterable = Iterable[bytes | str] | AsyncIterable[bytes | str]

# Media types outside text/* that are text and get a charset parameter.
_CHARSET_MIMETYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)

#: More ranges than this in one request are ignored and the full body is sent: many
#: small or overlapping ranges cost the server far more than the client (CVE-2011-3192).
MAX_RANGES = 16

_FILE_CHUNK_SIZE = 64 * 1024

# The environ keys PEP 3333 requires; a WSGI app run by Response.from_app may rely on them.
_WSGI_REQUIRED = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "wsgi.version",
    "wsgi.url_scheme",
    "wsgi.input",
    "wsgi.errors",
    "wsgi.multithread",
    "wsgi.multiprocess",
    "wsgi.run_once",
)


def _wsgi_defaults() -> dict[str, Any]:
    import sys
    from io import BytesIO

    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


@lru_cache(maxsize=128)
def get_content_type(mimetype: str, charset: str = "utf-8") -> str:
    """Return a Content-Type for ``mimetype``, adding ``charset`` to text types.

    ``text/*``, ``*+xml`` and a few ``application/`` text types get
    ``; charset=<charset>`` unless a charset is already given.
    """
    if (
        mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES or mimetype.endswith("+xml")
    ) and "charset" not in mimetype:
        mimetype += f"; charset={charset}"
    return mimetype


# Status lines of the known codes, built once: setting a status is on every response's path.
_STATUS_LINES = {code: f"{code} {reason.upper()}" for code, reason in HTTP_STATUS_CODES.items()}


_headers_new = Headers.__new__


def _new_headers() -> Headers:
    # An empty Headers without the call through __init__ (which checks for defaults).
    hdrs = _headers_new(Headers)
    hdrs._list = []
    hdrs._lower = []
    return hdrs


@lru_cache(maxsize=64)
def _content_type_header(mimetype: str) -> tuple[str, str]:
    # The Content-Type pair for a mimetype, checked as any header value is.
    headers = Headers()
    headers["Content-Type"] = get_content_type(mimetype)
    return headers._list[0]


def _clean_status(value: str | int | HTTPStatus) -> tuple[str, int]:
    if type(value) is int and value in _STATUS_LINES:
        return _STATUS_LINES[value], value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"Invalid status type {type(value).__name__!r}; use int or str.")
    if isinstance(value, int):
        code = int(value)
        reason: str | None = None
    else:
        text = value.strip()
        code_text, _, reason_text = text.partition(" ")
        if not code_text.isdigit() or len(code_text) != 3:
            raise ValueError(f"Invalid status {value!r}: it must start with a 3-digit code.")
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
            raise ValueError(f"Invalid status {value!r}: control characters are not allowed.")
        code = int(code_text)
        reason = reason_text.strip() or None
    if not 100 <= code <= 999:
        raise ValueError(f"Invalid status code {code}: it must be between 100 and 999.")
    if reason is None:
        reason = HTTP_STATUS_CODES.get(code, "unknown").upper()
    return f"{code} {reason}", code


def _to_bytes(item: bytes | str | bytearray | memoryview) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, bytearray | memoryview):
        return bytes(item)
    raise TypeError(f"A response body must yield bytes or str, not {type(item).__name__!r}.")


def _default_json_module() -> Any:
    # Imported on use: tumbler.json builds responses, so it imports this module.
    from tumbler import json

    return json


class _HeaderProperty:
    """An attribute stored in one response header, converted on read and write.

    Reading a missing or unparsable header gives ``None``; assigning ``None`` deletes it.
    """

    def __init__(
        self,
        name: str,
        doc: str,
        load: Callable[[str], Any] | None = None,
        dump: Callable[[Any], str] | None = None,
    ) -> None:
        self.name = name
        self.load = load
        self.dump = dump
        self.__doc__ = doc

    def __get__(self, obj: Response | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.headers.get(self.name)
        if value is None or self.load is None:
            return value
        try:
            return self.load(value)
        except (ValueError, TypeError):
            return None

    def __set__(self, obj: Response, value: Any) -> None:
        if value is None:
            obj.headers.pop(self.name, None)
        else:
            obj.headers[self.name] = value if self.dump is None else self.dump(value)

    def __delete__(self, obj: Response) -> None:
        obj.headers.pop(self.name, None)


class _SetHeaderProperty:
    """A comma-separated header exposed as a live :class:`HeaderSet`."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    def __get__(self, obj: Response | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        name = self.name
        headers = obj.headers

        def on_update(header_set: HeaderSet) -> None:
            if not header_set:
                headers.pop(name, None)
            else:
                headers[name] = header_set.to_header()

        return parse_set_header(headers.get(name), on_update)

    def __set__(self, obj: Response, value: str | Iterable[str] | None) -> None:
        if not value:
            obj.headers.pop(self.name, None)
        elif isinstance(value, str):
            obj.headers[self.name] = value
        else:
            obj.headers[self.name] = dump_header(value)

    def __delete__(self, obj: Response) -> None:
        obj.headers.pop(self.name, None)


def _load_retry_after(value: str) -> datetime | None:
    value = value.strip()
    if value.isascii() and value.isdigit():
        return datetime.now(UTC) + timedelta(seconds=int(value))
    return parse_date(value)


def _dump_retry_after(value: datetime | int | timedelta) -> str:
    if isinstance(value, datetime):
        return http_date(value)
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    return str(int(value))


def _dump_date(value: datetime | float | str) -> str:
    return value if isinstance(value, str) else http_date(value)


class _MaxCookieSize:
    """``Response.max_cookie_size``: the app's ``MAX_COOKIE_SIZE`` when an app is active."""

    default = 4093

    def __get__(self, obj: object | None, owner: type | None = None) -> int:
        if obj is None:
            return self.default
        from ..globals import _cv_context  # the wrappers stay importable without the app layer

        ctx = _cv_context.get(None)
        if ctx is None:
            return self.default
        return int(ctx.app.config["MAX_COOKIE_SIZE"])


class ResponseStream:
    """The file-like :attr:`Response.stream`: writing appends to the (buffered) body.

    :param response: the response written to.
    """

    mode = "wb+"
    encoding = "utf-8"

    def __init__(self, response: Response) -> None:
        self.response = response
        self.closed = False

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def write(self, value: bytes | str) -> int:
        """Append ``value`` (str is UTF-8 encoded) to the body; return its length in bytes.

        :raise ValueError: the stream was closed.
        """
        self._check_open()
        data = _to_bytes(value)
        response = self.response
        response._ensure_sequence()
        body = response.response
        if not isinstance(body, list):
            # A tuple body (the only other sequence) becomes a list that can grow.
            body = response.response = list(cast(tuple[bytes | str, ...], body))
        body.append(data)
        response.headers.pop("Content-Length", None)
        return len(data)

    def writelines(self, lines: Iterable[bytes | str]) -> None:
        """Write each item of ``lines``."""
        for line in lines:
            self.write(line)

    def close(self) -> None:
        """Refuse further writes."""
        self.closed = True

    def flush(self) -> None:
        """Nothing to flush; the body is in memory.

        :raise ValueError: the stream was closed.
        """
        self._check_open()

    def isatty(self) -> bool:
        """Always False.

        :raise ValueError: the stream was closed.
        """
        self._check_open()
        return False

    def tell(self) -> int:
        """The body length so far, in bytes."""
        self.response._ensure_sequence()
        body = cast(list[bytes | str], self.response.response)
        return sum(len(_to_bytes(chunk)) for chunk in body)


class Response:
    """An HTTP response: status, headers and body.

    :param response: the body: ``str`` or ``bytes``, an iterable of them (a list is
        buffered, a generator streams), or an async iterable of them.
    :param status: ``200``, ``"404"`` or ``"404 NOT FOUND"``; :attr:`default_status` if
        ``None``.
    :param headers: a :class:`Headers`, a dict or a list of ``(name, value)`` pairs.
    :param mimetype: the media type; text types get ``; charset=utf-8``. Defaults to
        :attr:`default_mimetype` when neither this nor ``content_type`` is given.
    :param content_type: the full Content-Type header value, used as given.
    :param direct_passthrough: the body is sent as-is and never buffered by
        :meth:`get_data` (used for file bodies).
    :raise ValueError: the status is not a valid status code.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_status",
        "_status_code",
        "headers",
        "response",
    )

    default_status = 200
    default_mimetype: str | None = "text/html"
    #: The largest ``Set-Cookie`` header :meth:`set_cookie` makes without a warning: the app's
    #: ``MAX_COOKIE_SIZE`` inside an app context, else 4093 (assign an int on a subclass to fix it).
    max_cookie_size: int = _MaxCookieSize()  # type: ignore[assignment]
    #: Werkzeug used to make relative ``Location`` headers absolute; modern clients
    #: resolve them, so this stays off (as in Flask).
    autocorrect_location_header = False
    #: :meth:`set_data` and :meth:`make_conditional` set ``Content-Length``.
    automatically_set_content_length = True
    #: :meth:`get_data` may buffer a streamed body; if false it raises instead.
    implicit_sequence_conversion = True
    #: The JSON module :meth:`get_json` uses; ``None`` means :mod:`tumbler.json`.
    json_module: Any = None

    def __init__(
        self,
        response: str | bytes | bytearray | BodyIterable | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        self.response: BodyIterable
        if headers is None and content_type is None:
            # The common case, a view returning a body: the only headers are the framework's
            # own, validated once per mimetype, so they go straight into the pair lists.
            self.headers = hdrs = _new_headers()
            if mimetype is None:
                mimetype = self.default_mimetype
            if mimetype is not None:
                hdrs._list.append(_content_type_header(mimetype))
                hdrs._lower.append("content-type")
            if type(response) is str and type(self).set_data is _base_set_data:
                # set_data without the validating header path: no Content-Length exists yet.
                data = response.encode()
                self.response = [data]
                if self.automatically_set_content_length:
                    hdrs._list.append(("Content-Length", str(len(data))))
                    hdrs._lower.append("content-length")
                response = None
            elif response is None:
                self.response = []
        else:
            if isinstance(headers, Headers):
                self.headers = headers
            elif not headers:
                self.headers = Headers()
            else:
                self.headers = Headers(headers)
            if content_type is None:
                if mimetype is None and "Content-Type" not in self.headers:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    content_type = get_content_type(mimetype)
            if content_type is not None:
                self.headers["Content-Type"] = content_type
            if response is None:
                self.response = []
        if status is None:
            status = self.default_status
        if type(status) is int and status in _STATUS_LINES:
            self._status = _STATUS_LINES[status]
            self._status_code = status
        else:
            self._status, self._status_code = _clean_status(status)
        if direct_passthrough:
            self.direct_passthrough = True
        if response is not None:
            if isinstance(response, str | bytes | bytearray):
                self.set_data(response)
            else:
                self.response = response

    # Most responses never set these: class defaults until the first assignment.
    #: The body is sent as-is and never buffered by ``get_data`` (see the parameter).
    direct_passthrough: bool = False
    #: Callbacks :meth:`close` runs (:meth:`call_on_close` starts the list).
    _on_close: list[Callable[[], Any]] | tuple[()] = ()
    #: A seekable binary file holding the whole body, set by ``send_file``; when set,
    #: :meth:`make_conditional` serves ranges by seeking in it.
    _file: IO[bytes] | None = None

    def __repr__(self) -> str:
        if self.is_sequence:
            body_info = f"{sum(map(len, self.iter_encoded()))} bytes"
        else:
            body_info = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {body_info} [{self.status}]>"

    # --- Conversion ------------------------------------------------------------------

    @classmethod
    def force_type(
        cls: type[_R], response: Response | Any, environ: Mapping[str, Any] | None = None
    ) -> _R:
        """Make ``response`` an instance of this class.

        A :class:`Response` of another class is converted in place when possible (its class
        is swapped, so its status, headers, body and close callbacks are kept); when the two
        classes' slot layouts differ, a new instance sharing the same state is returned. Any
        other object is treated as a WSGI application and run with ``environ`` (see
        :meth:`from_app`); this is how a view may return a WSGI app, or a response object of
        another framework, which is a WSGI app.

        :param response: the response to convert, or a WSGI callable.
        :param environ: the WSGI environ to run a WSGI callable with.
        :return: ``response`` itself (converted) or a new instance of this class.
        :raise TypeError: ``response`` is not a Response, and it is not callable or no
            ``environ`` was given.
        """
        if isinstance(response, Response):
            if isinstance(response, cls):
                return response
            try:
                response.__class__ = cls
            except TypeError:
                # The slot layouts differ: share the state with a fresh instance instead.
                new = object.__new__(cls)
                for name in Response.__slots__:
                    if name not in {"__dict__", "__weakref__"}:
                        object.__setattr__(new, name, getattr(response, name))
                new.__dict__.update(response.__dict__)
                return new
            return response  # type: ignore[return-value]
        if not callable(response):
            raise TypeError(
                f"Cannot convert {type(response).__name__!r} into a response: it is neither a"
                " Response nor a WSGI application."
            )
        if environ is None:
            raise TypeError(
                "Cannot convert a WSGI application into a response without a WSGI environ;"
                " pass 'environ'."
            )
        return cls.from_app(response, environ)

    @classmethod
    def from_app(
        cls: type[_R],
        app: Callable[..., Iterable[bytes]],
        environ: Mapping[str, Any],
        buffered: bool = False,
    ) -> _R:
        """Run a WSGI application and return what it answered as an instance of this class.

        The keys PEP 3333 requires and ``environ`` lacks (``wsgi.input``, ``wsgi.errors``, ...,
        as in the small environ the ASGI front end provides) are filled in on a copy.

        :param app: the WSGI application.
        :param environ: the WSGI environ to call it with.
        :param buffered: read the whole body and close the app's iterable now; otherwise the
            body is pulled as the response is sent, and :meth:`close` closes the iterable.
        :return: a response with the app's status, headers and body.
        :raise RuntimeError: the app returned without calling ``start_response``.
        """
        from tumbler.testing import run_wsgi_app

        if any(key not in environ for key in _WSGI_REQUIRED):
            environ = {**_wsgi_defaults(), **environ}
        body, status, headers = run_wsgi_app(app, dict(environ), buffered=buffered)
        typed = "Content-Type" in headers
        rv = cls(body, status, headers)
        if not typed:
            # The app sent no Content-Type; the default mimetype must not invent one.
            rv.headers.pop("Content-Type", None)
        return rv

    # --- Status ----------------------------------------------------------------------

    @property
    def status(self) -> str:
        """The status line text: ``"404 NOT FOUND"``.

        Accepts an int, ``"404"`` or ``"404 Custom Reason"``; an unknown code gets the
        reason ``UNKNOWN``.

        :raise ValueError: not a 3-digit code between 100 and 999.
        """
        return self._status

    @status.setter
    def status(self, value: str | int | HTTPStatus) -> None:
        self._status, self._status_code = _clean_status(value)

    @property
    def status_code(self) -> int:
        """The status as an int: ``404``."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self.status = code

    # --- Body ------------------------------------------------------------------------

    @property
    def is_sequence(self) -> bool:
        """Whether the body is a buffered list or tuple."""
        return isinstance(self.response, list | tuple)

    @property
    def is_streamed(self) -> bool:
        """Whether the body has no known length (a generator or other iterator)."""
        try:
            len(self.response)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return True
        return False

    @property
    def is_async(self) -> bool:
        """Whether the body is an async iterable (only an ASGI front end can send it)."""
        return not isinstance(self.response, list | tuple) and hasattr(self.response, "__aiter__")

    def iter_encoded(self) -> Iterator[bytes]:
        """Yield the body as bytes, encoding ``str`` items as UTF-8.

        :raise TypeError: the body is async; use :meth:`aiter_encoded`.
        """
        body = self.response
        if not isinstance(body, Iterable):
            raise TypeError(
                "The response body is an async iterable; use 'aiter_encoded()' under ASGI."
            )
        for item in body:
            yield _to_bytes(item)

    async def aiter_encoded(self) -> AsyncGenerator[bytes, None]:
        """Yield the body as bytes from a sync or async body."""
        body = self.response
        if isinstance(body, AsyncIterable):
            async for item in body:
                yield _to_bytes(item)
        else:
            for chunk in self.iter_encoded():
                yield chunk

    def _ensure_sequence(self) -> None:
        if self.is_sequence:
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the response object is in"
                " direct passthrough mode."
            )
        if not self.implicit_sequence_conversion:
            raise RuntimeError(
                "The response object required the iterable to be a sequence, but the"
                " implicit conversion was disabled. Call make_sequence() yourself."
            )
        self.make_sequence()

    def make_sequence(self) -> None:
        """Buffer a streamed (sync) body into a list, keeping its ``close`` for later.

        :raise TypeError: the body is async; use ``await`` :meth:`aget_data` first.
        """
        if self.is_sequence:
            return
        close = getattr(self.response, "close", None)
        self.response = list(self.iter_encoded())
        if close is not None:
            self.call_on_close(close)

    async def amake_sequence(self) -> None:
        """Buffer a sync or async body into a list."""
        if self.is_sequence:
            return
        body = self.response
        self.response = [chunk async for chunk in self.aiter_encoded()]
        aclose = getattr(body, "aclose", None)
        close = getattr(body, "close", None)
        if aclose is not None:
            await aclose()
        elif close is not None:
            self.call_on_close(close)

    @overload
    def get_data(self, as_text: Literal[False] = False) -> bytes: ...

    @overload
    def get_data(self, as_text: Literal[True]) -> str: ...

    @overload
    def get_data(self, as_text: bool = False) -> bytes | str: ...

    def get_data(self, as_text: bool = False) -> bytes | str:
        """Return the whole body, buffering a streamed body first.

        :param as_text: decode as UTF-8 (invalid bytes replaced).
        :raise RuntimeError: the body may not be buffered (``direct_passthrough``).
        :raise TypeError: the body is async; use ``await`` :meth:`aget_data`.
        """
        self._ensure_sequence()
        rv = b"".join(self.iter_encoded())
        return rv.decode("utf-8", "replace") if as_text else rv

    async def aget_data(self, as_text: bool = False) -> bytes | str:
        """Like :meth:`get_data`, also for async bodies."""
        await self.amake_sequence()
        return self.get_data(as_text)

    def set_data(self, value: str | bytes | bytearray) -> None:
        """Replace the body with ``value`` (str is UTF-8 encoded) and set Content-Length."""
        data = value.encode() if isinstance(value, str) else bytes(value)
        self.response = [data]
        if self.automatically_set_content_length:
            self.headers["Content-Length"] = str(len(data))

    @property
    def data(self) -> bytes:
        """The body as bytes; assigning calls :meth:`set_data`."""
        return self.get_data()

    @data.setter
    def data(self, value: str | bytes) -> None:
        self.set_data(value)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.get_data(as_text=True)

    def calculate_content_length(self) -> int | None:
        """The body length, or ``None`` if the body cannot be buffered."""
        try:
            self._ensure_sequence()
        except (RuntimeError, TypeError):
            return None
        return sum(len(chunk) for chunk in self.iter_encoded())

    def finalize_headers(self) -> None:
        """Fix the framing headers just before the response is sent (front ends call this).

        A buffered body (list or tuple) without ``Content-Length`` gets one, so an empty
        body, like the automatic OPTIONS answer, says ``Content-Length: 0`` and is not sent
        chunked. Per RFC 9110 8.6, a 1xx or 204 response loses any ``Content-Length`` and a
        304 never gets one added. Streamed bodies are left alone. Changes the headers in
        place and is idempotent.
        """
        code = self._status_code
        headers = self.headers
        if type(headers) is Headers and "content-length" in headers._lower and 200 <= code != 204:
            return  # the common case: the body's length is known, and allowed
        if code < 200 or code == 204:
            if "Content-Length" in headers:
                del headers["Content-Length"]
            return
        if (
            code != 304
            and self.automatically_set_content_length
            and isinstance(self.response, list | tuple)
            and "Content-Length" not in headers
        ):
            headers["Content-Length"] = str(sum(len(_to_bytes(chunk)) for chunk in self.response))

    def freeze(self) -> None:
        """Buffer the body and set Content-Length, so the response can be reused."""
        self.make_sequence()
        self.response = list(self.iter_encoded())
        self.headers["Content-Length"] = str(sum(map(len, self.response)))

    def call_on_close(self, func: Callable[[], _T]) -> Callable[[], _T]:
        """Register ``func`` to run when :meth:`close` is called; usable as a decorator."""
        callbacks = self._on_close
        if type(callbacks) is tuple:
            callbacks = self._on_close = []
        callbacks.append(func)  # type: ignore[union-attr]
        return func

    def close(self) -> None:
        """Close the body iterable (if it has ``close``) and run the close callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        callbacks = self._on_close
        if not callbacks:
            return
        self._on_close = ()
        for func in callbacks:
            func()

    async def aclose(self) -> None:
        """Like :meth:`close`, awaiting ``aclose()`` of an async body."""
        aclose = getattr(self.response, "aclose", None)
        if aclose is not None:
            await aclose()
            self.response = []
        self.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def stream(self) -> ResponseStream:
        """A write-only file object appending to the body: ``response.stream.write(b"...")``."""
        rv: ResponseStream | None = self.__dict__.get("_response_stream")
        if rv is None:
            rv = self.__dict__["_response_stream"] = ResponseStream(self)
        return rv

    # --- WSGI ------------------------------------------------------------------------

    def get_wsgi_headers(self, environ: Mapping[str, Any]) -> Headers:
        """Return a copy of the headers as they are sent: the framing headers fixed for the
        status (no ``Content-Length`` on 1xx and 204, one added to a buffered body).

        :param environ: the WSGI environ of the request being answered.
        """
        headers = self.headers
        self.headers = headers.copy()
        try:
            self.finalize_headers()
            return self.headers
        finally:
            self.headers = headers

    def get_app_iter(self, environ: Mapping[str, Any]) -> Iterable[bytes]:
        """Return the WSGI body iterable for ``environ``'s request: empty for ``HEAD`` and for
        1xx, 204 and 304 answers; closing it closes this response.

        :param environ: the WSGI environ of the request being answered.
        """
        from tumbler.wsgi import wsgi_body

        return wsgi_body(self, environ.get("REQUEST_METHOD") or "GET")

    def get_wsgi_response(
        self, environ: Mapping[str, Any]
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """Return ``(app_iter, status, headers)`` to answer ``environ``'s request over WSGI.

        :param environ: the WSGI environ of the request being answered.
        """
        headers = self.get_wsgi_headers(environ)
        return self.get_app_iter(environ), self.status, headers.to_wsgi_list()

    def __call__(
        self, environ: Mapping[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Answer a WSGI request with this response: a response is a WSGI application.

        :param environ: the WSGI environ.
        :param start_response: the WSGI ``start_response`` callable.
        :return: the body iterable.
        """
        app_iter, status, headers = self.get_wsgi_response(environ)
        start_response(status, headers)
        return app_iter

    # --- JSON ------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is ``application/json`` or ``application/*+json``."""
        mimetype = self.mimetype or ""
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` if the mimetype is not JSON."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON.

        :param force: parse even if the mimetype is not JSON.
        :param silent: return ``None`` instead of raising on invalid JSON.
        :return: the data, or ``None`` if the mimetype is not JSON and not ``force``.
        :raise ValueError: the body is not valid JSON and not ``silent``.
        """
        if not (force or self.is_json):
            return None
        module = self.json_module if self.json_module is not None else _default_json_module()
        try:
            return module.loads(self.get_data())
        except ValueError:
            if not silent:
                raise
            return None

    # --- Content headers -------------------------------------------------------------

    @property
    def mimetype(self) -> str | None:
        """The media type without parameters; setting a text type adds a UTF-8 charset."""
        value = self.headers.get("Content-Type")
        if value is None:
            return None
        return value.split(";")[0].strip()

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["Content-Type"] = get_content_type(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters as a dict; changing it rewrites the header."""

        def on_update(params: dict[str, str]) -> None:
            self.headers["Content-Type"] = dump_options_header(self.mimetype, params)

        params = parse_options_header(self.headers.get("Content-Type", ""))[1]
        return CallbackDict(params, on_update)

    content_type = _HeaderProperty("Content-Type", "The ``Content-Type`` header.")
    content_length = _HeaderProperty(
        "Content-Length",
        "The ``Content-Length`` header as an int.",
        load=int,
        dump=str,
    )
    content_encoding = _HeaderProperty(
        "Content-Encoding", "The ``Content-Encoding`` header (``gzip``, ``br`` ...)."
    )
    content_language = _SetHeaderProperty(
        "Content-Language", "The ``Content-Language`` header as a set."
    )
    content_location = _HeaderProperty("Content-Location", "The ``Content-Location`` header.")
    content_md5 = _HeaderProperty("Content-MD5", "The ``Content-MD5`` header.")
    location = _HeaderProperty("Location", "The ``Location`` header of a redirect.")
    accept_ranges = _HeaderProperty(
        "Accept-Ranges", "The ``Accept-Ranges`` header: ``bytes`` or ``none``."
    )
    age = _HeaderProperty(
        "Age",
        "The ``Age`` header as a :class:`~datetime.timedelta`.",
        load=parse_age,
        dump=lambda value: dump_age(value) or "0",
    )
    date = _HeaderProperty(
        "Date",
        "The ``Date`` header as a datetime; assign a datetime or a timestamp.",
        load=parse_date,
        dump=_dump_date,
    )
    expires = _HeaderProperty(
        "Expires",
        "The ``Expires`` header as a datetime; assign a datetime or a timestamp.",
        load=parse_date,
        dump=_dump_date,
    )
    last_modified = _HeaderProperty(
        "Last-Modified",
        "The ``Last-Modified`` header as a datetime; assign a datetime or a timestamp.",
        load=parse_date,
        dump=_dump_date,
    )
    retry_after = _HeaderProperty(
        "Retry-After",
        "The ``Retry-After`` header as a datetime; assign a datetime or seconds.",
        load=_load_retry_after,
        dump=_dump_retry_after,
    )
    vary = _SetHeaderProperty("Vary", "The ``Vary`` header as a set of header names.")
    allow = _SetHeaderProperty("Allow", "The ``Allow`` header as a set of methods.")
    access_control_allow_origin = _HeaderProperty(
        "Access-Control-Allow-Origin", "The origin allowed to read the response, or ``*``."
    )
    access_control_allow_headers = _SetHeaderProperty(
        "Access-Control-Allow-Headers", "The headers a cross-origin request may send."
    )
    access_control_allow_methods = _SetHeaderProperty(
        "Access-Control-Allow-Methods", "The methods a cross-origin request may use."
    )
    access_control_expose_headers = _SetHeaderProperty(
        "Access-Control-Expose-Headers", "The headers cross-origin JavaScript may read."
    )
    access_control_max_age = _HeaderProperty(
        "Access-Control-Max-Age",
        "How long, in seconds, a preflight answer may be cached.",
        load=int,
        dump=str,
    )

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether cross-origin requests may include credentials."""
        return "Access-Control-Allow-Credentials" in self.headers

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value is True:
            self.headers["Access-Control-Allow-Credentials"] = "true"
        else:
            self.headers.pop("Access-Control-Allow-Credentials", None)

    @property
    def cross_origin_opener_policy(self) -> COOP:
        """The ``Cross-Origin-Opener-Policy`` header as a :class:`COOP` member."""
        try:
            return COOP(self.headers.get("Cross-Origin-Opener-Policy", "unsafe-none"))
        except ValueError:
            return COOP.UNSAFE_NONE

    @cross_origin_opener_policy.setter
    def cross_origin_opener_policy(self, value: COOP | None) -> None:
        if value is None:
            self.headers.pop("Cross-Origin-Opener-Policy", None)
        else:
            self.headers["Cross-Origin-Opener-Policy"] = COOP(value).value

    @property
    def cross_origin_embedder_policy(self) -> COEP:
        """The ``Cross-Origin-Embedder-Policy`` header as a :class:`COEP` member."""
        try:
            return COEP(self.headers.get("Cross-Origin-Embedder-Policy", "unsafe-none"))
        except ValueError:
            return COEP.UNSAFE_NONE

    @cross_origin_embedder_policy.setter
    def cross_origin_embedder_policy(self, value: COEP | None) -> None:
        if value is None:
            self.headers.pop("Cross-Origin-Embedder-Policy", None)
        else:
            self.headers["Cross-Origin-Embedder-Policy"] = COEP(value).value

    # --- Structured headers ----------------------------------------------------------

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header; changing an attribute rewrites the header.

        ``response.cache_control.max_age = 60`` sends ``Cache-Control: max-age=60``.
        """

        def on_update(cache_control: ResponseCacheControl) -> None:
            if not cache_control:
                self.headers.pop("Cache-Control", None)
            else:
                self.headers["Cache-Control"] = cache_control.to_header()

        return parse_cache_control_header(
            self.headers.get("Cache-Control"), on_update, ResponseCacheControl
        )

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header; changing it rewrites the header."""

        def on_update(rng: ContentRange) -> None:
            if not rng:
                self.headers.pop("Content-Range", None)
            else:
                self.headers["Content-Range"] = rng.to_header()

        rv = parse_content_range_header(self.headers.get("Content-Range"), on_update)
        if rv is None:
            rv = ContentRange(None, None, None, on_update=on_update)
        return rv

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if not value:
            self.headers.pop("Content-Range", None)
        elif isinstance(value, str):
            self.headers["Content-Range"] = value
        else:
            self.headers["Content-Range"] = value.to_header()

    @property
    def content_security_policy(self) -> ContentSecurityPolicy:
        """The ``Content-Security-Policy`` header; changing it rewrites the header."""
        return self._csp("Content-Security-Policy")

    @content_security_policy.setter
    def content_security_policy(self, value: ContentSecurityPolicy | str | None) -> None:
        self._set_csp("Content-Security-Policy", value)

    @property
    def content_security_policy_report_only(self) -> ContentSecurityPolicy:
        """The ``Content-Security-Policy-Report-Only`` header."""
        return self._csp("Content-Security-Policy-Report-Only")

    @content_security_policy_report_only.setter
    def content_security_policy_report_only(
        self, value: ContentSecurityPolicy | str | None
    ) -> None:
        self._set_csp("Content-Security-Policy-Report-Only", value)

    def _csp(self, name: str) -> ContentSecurityPolicy:
        def on_update(csp: ContentSecurityPolicy) -> None:
            if not csp:
                self.headers.pop(name, None)
            else:
                self.headers[name] = csp.to_header()

        rv = parse_csp_header(self.headers.get(name), on_update)
        if rv is None:
            rv = ContentSecurityPolicy(None, on_update=on_update)
        return rv

    def _set_csp(self, name: str, value: ContentSecurityPolicy | str | None) -> None:
        if not value:
            self.headers.pop(name, None)
        elif isinstance(value, str):
            self.headers[name] = value
        else:
            self.headers[name] = value.to_header()

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The ``WWW-Authenticate`` header; a ``basic`` challenge if absent.

        Changing the returned object rewrites the header; assign a list for several
        challenges.
        """
        value = WWWAuthenticate.from_header(self.headers.get("WWW-Authenticate"))
        if value is None:
            value = WWWAuthenticate("basic")

        def on_update(challenge: WWWAuthenticate) -> None:
            self.www_authenticate = challenge

        value._on_update = on_update
        return value

    @www_authenticate.setter
    def www_authenticate(self, value: WWWAuthenticate | list[WWWAuthenticate] | None) -> None:
        if not value:
            self.headers.pop("WWW-Authenticate", None)
        elif isinstance(value, list):
            self.headers["WWW-Authenticate"] = value[0].to_header()
            for item in value[1:]:
                self.headers.add("WWW-Authenticate", item.to_header())
        else:
            self.headers["WWW-Authenticate"] = value.to_header()

    @www_authenticate.deleter
    def www_authenticate(self) -> None:
        self.headers.pop("WWW-Authenticate", None)

    # --- Cookies ---------------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header.

        The defaults follow the session cookie's policy: hidden from JavaScript, not sent on
        cross-site subrequests, and Secure when the current request came over HTTPS (or the app
        sets ``SESSION_COOKIE_SECURE``). Pass ``httponly=False``, ``samesite=None`` or
        ``secure=False`` to relax one explicitly.

        :param key: the cookie name.
        :param value: the cookie value.
        :param max_age: lifetime in seconds or as a timedelta; ``None`` lasts the browser
            session.
        :param expires: expiry as a datetime or timestamp; derived from ``max_age`` if
            not given.
        :param path: the path the cookie is sent for; ``None`` omits it.
        :param domain: the domain to share the cookie with; ``None`` limits it to this host.
        :param secure: only send over HTTPS; ``None`` decides from the current request.
        :param httponly: hide from JavaScript.
        :param samesite: ``"Strict"``, ``"Lax"`` or ``"None"``; ``None`` omits the attribute.
        :param partitioned: partitioned storage (CHIPS); implies ``secure``.
        :raise ValueError: the name or an attribute is invalid.
        """
        if secure is None:
            secure = _secure_by_context()
        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> None:
        """Tell the browser to delete a cookie: an empty value that expired at the epoch.

        ``path`` and ``domain`` must match those the cookie was set with.
        """
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # --- ETags and conditional requests ----------------------------------------------

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header, quoting ``etag``."""
        self.headers["ETag"] = quote_etag(etag, weak)

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """Return ``(etag, is_weak)``, or ``(None, None)`` without an ETag."""
        return unquote_etag(self.headers.get("ETag"))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ETag computed from the body (SHA-1), unless one is set and not ``overwrite``."""
        if overwrite or "ETag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: Request | Mapping[str, Any],
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer a conditional or range GET/HEAD request, changing this response in place.

        In RFC 9110 order: a failed ``If-Match`` or ``If-Unmodified-Since`` gives 412; a
        matching ``If-None-Match``, or an ``If-Modified-Since`` not older than
        ``Last-Modified``, gives 304 (the body is dropped). Otherwise, with
        ``accept_ranges``, a ``Range`` header (honouring ``If-Range``) gives 206 with the
        selected bytes, a ``multipart/byteranges`` body for several ranges, or raises 416.
        Other methods and non-2xx responses are left untouched.

        :param request_or_environ: the :class:`Request` or a WSGI environ.
        :param accept_ranges: ``True`` or ``"bytes"`` to serve ranges and send
            ``Accept-Ranges``; a string is sent as the header value.
        :param complete_length: the full body length; computed from a buffered body or
            from ``_file`` (see below) when not given.
        :return: this response.
        :raise RequestedRangeNotSatisfiable: no requested range overlaps the body (416,
            with ``Content-Range: bytes */<length>``).

        A body served from a file (``send_file``) sets ``response._file`` to the seekable
        binary file holding the whole body; ranges then seek and read only what is sent.
        """
        conditions = _Conditions(request_or_environ)
        # Preconditions apply to the representation a successful GET would send.
        if conditions.method not in {"GET", "HEAD"} or not 200 <= self.status_code < 300:
            return self
        if "Date" not in self.headers:
            self.headers["Date"] = http_date()
        status = self._evaluate_preconditions(conditions)
        if status is not None:
            self._become_empty(status)
            return self
        ranges_value = "bytes" if accept_ranges is True else accept_ranges or None
        partial = False
        if ranges_value is not None:
            self.headers["Accept-Ranges"] = ranges_value
            partial = self._process_range(conditions, complete_length)
        if (
            not partial
            and self.automatically_set_content_length
            and "Content-Length" not in self.headers
        ):
            length = self._body_length()
            if length is not None:
                self.headers["Content-Length"] = str(length)
        return self

    def _evaluate_preconditions(self, conditions: _Conditions) -> int | None:
        """The 304/412 status the request's preconditions call for, or ``None``."""
        etag, weak = self.get_etag()
        last_modified = self.last_modified
        if last_modified is not None:
            last_modified = last_modified.replace(microsecond=0)
        if_match = conditions.get("If-Match")
        if if_match is not None:
            tags = parse_etags(if_match)
            # Strong comparison: a weak validator never satisfies If-Match.
            if not tags.star_tag and (etag is None or weak or not tags.is_strong(etag)):
                return 412
        else:
            since = parse_date(conditions.get("If-Unmodified-Since"))
            if since is not None and last_modified is not None and last_modified > since:
                return 412
        if_none_match = conditions.get("If-None-Match")
        if if_none_match is not None:
            tags = parse_etags(if_none_match)
            if tags.star_tag or (etag is not None and tags.contains_weak(etag)):
                return 304
        else:
            since = parse_date(conditions.get("If-Modified-Since"))
            if since is not None and last_modified is not None and last_modified <= since:
                return 304
        return None

    def _become_empty(self, status: int) -> None:
        self.status_code = status
        self._replace_body([])
        # A 304 describes the representation the client has; entity headers other
        # than these would describe the (absent) body.
        remove_entity_headers(self.headers)
        if status != 304:
            self.headers["Content-Length"] = "0"

    def _replace_body(self, body: Iterable[bytes]) -> None:
        old_close = getattr(self.response, "close", None)
        if old_close is not None:
            self.call_on_close(old_close)
        self.response = body

    def _body_length(self) -> int | None:
        file = self._file
        if file is not None:
            try:
                position = file.tell()
                size = file.seek(0, 2)
                file.seek(position)
                return size
            except (OSError, ValueError):
                return None
        return self.calculate_content_length()

    def _process_range(self, conditions: _Conditions, complete_length: int | None) -> bool:
        range_header = conditions.get("Range")
        if range_header is None:
            return False
        if_range = conditions.get("If-Range")
        if if_range is not None and not self._if_range_matches(if_range):
            return False
        parsed = parse_range_header(range_header)
        if parsed is None or parsed.units != "bytes":
            # RFC 9110 14.2: an unparsable Range or unknown unit is ignored.
            return False
        if len(parsed.ranges) > MAX_RANGES:
            return False
        if self._file is None and not self.is_sequence:
            try:
                self._ensure_sequence()
            except (RuntimeError, TypeError):
                return False
        length = complete_length if complete_length is not None else self._body_length()
        if length is None:
            return False
        spans = _resolve_ranges(parsed.ranges, length)
        if not spans:
            raise RequestedRangeNotSatisfiable(length=length)
        if sum(stop - start for start, stop in spans) > length:
            # Overlapping ranges would send more than the whole body.
            return False
        self.status_code = 206
        if len(spans) == 1:
            start, stop = spans[0]
            self.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{length}"
            self.headers["Content-Length"] = str(stop - start)
            self._replace_body(self._read_spans(spans, None, length))
        else:
            boundary = secrets.token_hex(16)
            part_type = self.headers.get("Content-Type")
            body = self._read_spans(spans, (boundary, part_type), length)
            self.headers["Content-Length"] = str(
                _multipart_length(spans, boundary, part_type, length)
            )
            self.headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
            self.headers.pop("Content-Range", None)
            self._replace_body(body)
        return True

    def _if_range_matches(self, value: str) -> bool:
        if value.lstrip()[:2] in ("W/", "w/"):
            # RFC 9110 13.1.5: If-Range compares entity tags strongly, so a weak tag never
            # matches and the whole representation is sent.
            return False
        if_range = parse_if_range_header(value)
        if if_range.etag is not None:
            etag, weak = self.get_etag()
            return etag is not None and not weak and if_range.etag == etag
        if if_range.date is not None:
            last_modified = self.last_modified
            return last_modified is not None and (
                last_modified.replace(microsecond=0) == if_range.date
            )
        return False

    def _read_spans(
        self,
        spans: list[tuple[int, int]],
        multipart: tuple[str, str | None] | None,
        length: int,
    ) -> Iterator[bytes]:
        """Return an iterator over the selected bytes, framed as multipart if requested."""
        file = self._file
        data = None if file is not None else self.get_data()

        def read(start: int, stop: int) -> Iterator[bytes]:
            if data is not None:
                yield data[start:stop]
                return
            assert file is not None
            file.seek(start)
            remaining = stop - start
            while remaining > 0:
                chunk = file.read(min(_FILE_CHUNK_SIZE, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk

        def generate() -> Iterator[bytes]:
            if multipart is None:
                yield from read(*spans[0])
                return
            boundary, part_type = multipart
            for start, stop in spans:
                yield _part_head(boundary, part_type, start, stop, length)
                yield from read(start, stop)
                yield b"\r\n"
            yield f"--{boundary}--\r\n".encode("ascii")

        return generate()


# __init__ inlines set_data for a str body unless a subclass overrides set_data.
_base_set_data = Response.set_data
_base_init = Response.__init__
_response_new = Response.__new__

# Per response class: the Content-Type pair of a plain text answer and the mimetype it was
# made for, or None when the class changes how one is made (its own __init__ or set_data).
_TEXT_TEMPLATES: dict[type[Response], tuple[tuple[str, str], str] | None] = {}


def _text_template(cls: type[Response]) -> tuple[tuple[str, str], str] | None:
    template = None
    mimetype = cls.default_mimetype
    if cls.__init__ is _base_init and cls.set_data is _base_set_data and mimetype is not None:
        template = (_content_type_header(mimetype), mimetype)
    if len(_TEXT_TEMPLATES) < 64:
        _TEXT_TEMPLATES[cls] = template
    return template


def text_content_type(cls: type[Response]) -> tuple[str, str] | None:
    """The ``Content-Type`` header of ``cls(text)`` when ``cls`` makes text responses as
    :class:`Response` does (status 200, that header and ``Content-Length``, nothing else);
    ``None`` when it may do otherwise."""
    try:
        template = _TEXT_TEMPLATES[cls]
    except KeyError:
        template = _text_template(cls)
    # The class attributes are read each time: they may be changed after the first response.
    if (
        template is None
        or cls.default_mimetype != template[1]
        or cls.default_status != 200
        or not cls.automatically_set_content_length
    ):
        return None
    return template[0]


def text_response(cls: type[Response], body: str) -> Response:
    """``cls(body)`` for a ``str`` body: what a view returning text becomes.

    Builds the response without the argument handling of ``__init__`` when ``cls`` makes
    text responses as :class:`Response` does; otherwise calls ``cls(body)``.
    """
    content_type = text_content_type(cls)
    if content_type is None:
        return cls(body)
    data = body.encode()
    response = _response_new(cls)
    headers = _headers_new(Headers)
    headers._list = [content_type, ("Content-Length", str(len(data)))]
    headers._lower = ["content-type", "content-length"]
    response.headers = headers
    response.response = [data]
    response._status = "200 OK"
    response._status_code = 200
    return response


def _resolve_ranges(ranges: list[tuple[int, int | None]], length: int) -> list[tuple[int, int]]:
    """Turn parsed ``(start, stop)`` ranges into satisfiable spans within ``length``."""
    spans: list[tuple[int, int]] = []
    for start, stop in ranges:
        if start < 0:
            # A suffix range: the last -start bytes.
            start = max(0, length + start)
            stop = length
        else:
            if start >= length:
                continue
            stop = length if stop is None else min(stop, length)
        if start < stop:
            spans.append((start, stop))
    return spans


def _part_head(boundary: str, part_type: str | None, start: int, stop: int, length: int) -> bytes:
    lines = [f"--{boundary}"]
    if part_type:
        lines.append(f"Content-Type: {part_type}")
    lines.append(f"Content-Range: bytes {start}-{stop - 1}/{length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _multipart_length(
    spans: list[tuple[int, int]], boundary: str, part_type: str | None, length: int
) -> int:
    total = len(f"--{boundary}--\r\n")
    for start, stop in spans:
        total += len(_part_head(boundary, part_type, start, stop, length))
        total += stop - start + 2
    return total


class _Conditions:
    """Reads the request method and headers from a Request or a WSGI environ."""

    __slots__ = ("_get", "method")

    def __init__(self, source: Request | Mapping[str, Any]) -> None:
        if isinstance(source, Mapping):
            environ = source
            self.method = str(environ.get("REQUEST_METHOD", "GET")).upper()

            def get(name: str) -> str | None:
                value = environ.get("HTTP_" + name.upper().replace("-", "_"))
                return value if isinstance(value, str) else None

            self._get = get
        else:
            self.method = source.method
            headers = source.headers

            def get_header(name: str) -> str | None:
                value: str | None = headers.get(name)
                return value

            self._get = get_header

    def get(self, name: str) -> str | None:
        return self._get(name)


def _secure_by_context() -> bool:
    """``Secure`` for a cookie set while handling a request: on HTTPS, or when the app asks."""
    from ..globals import _cv_context  # the wrappers stay importable without the app layer

    ctx = _cv_context.get(None)
    if ctx is None:
        return False
    if ctx.app.config.get("SESSION_COOKIE_SECURE"):
        return True
    request = ctx.request
    return request is not None and bool(request.is_secure)
