"""Drive an application in-process, without a server, over WSGI or ASGI.

:class:`TumblerClient` sends requests to any WSGI callable (``app(environ, start_response)``) or,
with ``asgi=True``, to any ASGI callable (``await app(scope, receive, send)``), keeps cookies
between requests like a browser, follows redirects and returns :class:`TestResponse` objects.
:class:`EnvironBuilder` turns keyword arguments (``data=``, ``json=``, ``query_string=``, ...) into
a WSGI environ or an ASGI scope. :meth:`TumblerClient.websocket` opens a
:class:`WebSocketSession` to an app's websocket routes (always over ASGI).
:class:`TumblerCliRunner` invokes an app's click commands.

The same test can run over both protocols by parametrizing ``app.test_client(asgi=...)``.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import inspect
import json as _stdlib_json
import mimetypes
import os
import secrets
import sys
import threading
import time
import typing as t
import weakref
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextlib import ExitStack
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from types import TracebackType
from urllib.parse import quote
from urllib.parse import unquote_to_bytes
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

from click.testing import CliRunner
from click.testing import Result

from tumbler.asgi import WebSocketDisconnect
from tumbler.datastructures import FileStorage
from tumbler.datastructures import Headers
from tumbler.datastructures import MultiDict
from tumbler.http import _content_length
from tumbler.http import dump_cookie
from tumbler.http import parse_cookie
from tumbler.wrappers import Request
from tumbler.wrappers import Response

__all__ = [
    "PRESERVE_CONTEXT_KEY",
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "TestResponse",
    "TumblerCliRunner",
    "TumblerClient",
    "WebSocketClosed",
    "WebSocketDenied",
    "WebSocketSession",
    "encode_multipart",
    "run_wsgi_app",
]

WSGIEnviron = dict[str, t.Any]
StartResponse = Callable[..., Callable[[bytes], object]]
Scope = dict[str, t.Any]
Message = dict[str, t.Any]

#: Environ (and ASGI scope) key the client sets inside ``with client:``. Its value is a callable
#: the application calls with each context to keep alive (outermost first: the app context, then
#: the request context) before it pops them; every context must be a context manager whose
#: ``__enter__`` pushes it again and whose ``__exit__`` pops it. The client re-enters them after
#: the response is complete and exits them when the ``with`` block ends or the next request starts.
PRESERVE_CONTEXT_KEY = "tumbler.preserve_context"

# Characters left alone when a path or query given as text is turned into a URI: everything
# RFC 3986 allows, plus "%" so already-encoded input is not encoded twice.
_PATH_SAFE = "/:@!$&'()*+,;=%~-._"
_QUERY_SAFE = _PATH_SAFE + "?"
_DEFAULT_CLIENT_PORT = 49152
_T = t.TypeVar("_T")
_Req = t.TypeVar("_Req", bound=Request)


class ClientRedirectError(Exception):
    """Raised when following redirects loops back to a location already visited."""


# --------------------------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------------------------


def _iter_data(data: Mapping[str, t.Any]) -> Iterator[tuple[str, t.Any]]:
    """Yield (key, value) pairs from a dict or MultiDict; a list value gives one pair per item.

    Tuples are not expanded because a tuple describes one file.
    """
    if isinstance(data, MultiDict):
        yield from data.items(multi=True)
        return
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                yield key, item
        else:
            yield key, value


def _field_value(value: t.Any, charset: str) -> str:
    if isinstance(value, bytes):
        return value.decode(charset)
    return value if isinstance(value, str) else str(value)


def _is_file_value(value: t.Any) -> bool:
    return isinstance(value, (tuple, FileStorage)) or hasattr(value, "read")


def _file_storage_from_value(name: str, value: t.Any) -> FileStorage:
    """Turn a ``data=`` file value into a :class:`FileStorage`.

    Accepted forms: a FileStorage, a binary file object, or a tuple
    ``(file_object_or_bytes_or_path, filename[, content_type])``.
    """
    if isinstance(value, FileStorage):
        return value
    content_type: str | None = None
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError(
                f"File tuple for {name!r} must be (file, filename[, content_type]),"
                f" got {len(value)} items."
            )
        source, filename, content_type = (*value, None, None)[:3]
        if isinstance(source, (bytes, bytearray)):
            stream: t.Any = BytesIO(bytes(source))
        elif isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as fh:
                stream = BytesIO(fh.read())
            if filename is None:
                filename = os.path.basename(os.fspath(source))
        else:
            stream = source
    else:
        stream = value
        raw_name = getattr(value, "filename", None) or getattr(value, "name", None)
        filename = os.path.basename(raw_name) if isinstance(raw_name, str) else None
    if content_type is None:
        guessed = mimetypes.guess_type(filename)[0] if filename else None
        content_type = guessed or "application/octet-stream"
    return FileStorage(stream=stream, filename=filename, name=name, content_type=content_type)


def _quote_disposition_param(value: str) -> str:
    # The HTML form-data encoding rule: percent-escape the three characters that would end or
    # break the quoted-string; everything else, including non-ASCII, is sent as UTF-8.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _read_file_bytes(storage: FileStorage) -> bytes:
    stream = storage.stream
    data = stream.read()
    if isinstance(data, str):
        data = data.encode()
    return bytes(data)


def encode_multipart(
    fields: Iterable[tuple[str, str]],
    files: Iterable[tuple[str, FileStorage]] = (),
    boundary: str | None = None,
    charset: str = "utf-8",
) -> tuple[str, bytes]:
    """Encode form fields and files as a ``multipart/form-data`` body.

    :param fields: (name, text value) pairs.
    :param files: (name, FileStorage) pairs; each file part carries its filename and Content-Type.
        The file streams are read to the end.
    :param boundary: the boundary to use; a random one is chosen when omitted (and chosen again
        in the unlikely case it occurs in the content).
    :param charset: encoding for text values and header parameters.
    :return: ``(boundary, body)``.
    """
    parts: list[tuple[bytes, bytes]] = []
    for name, value in fields:
        header = f'Content-Disposition: form-data; name="{_quote_disposition_param(name)}"\r\n'
        parts.append((header.encode(charset), value.encode(charset)))
    for name, storage in files:
        disposition = f'form-data; name="{_quote_disposition_param(name)}"'
        if storage.filename is not None:
            disposition += f'; filename="{_quote_disposition_param(storage.filename)}"'
        content_type = storage.content_type or "application/octet-stream"
        header = f"Content-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n"
        parts.append((header.encode(charset), _read_file_bytes(storage)))

    fixed = boundary is not None
    while True:
        chosen = boundary if boundary is not None else f"TumblerFormBoundary{secrets.token_hex(16)}"
        delimiter = b"--" + chosen.encode("ascii")
        if fixed or not any(delimiter in head or delimiter in body for head, body in parts):
            break
        boundary = None
    out = bytearray()
    for head, body in parts:
        out += delimiter + b"\r\n" + head + b"\r\n" + body + b"\r\n"
    out += delimiter + b"--\r\n"
    return chosen, bytes(out)


# --------------------------------------------------------------------------------------------
# EnvironBuilder
# --------------------------------------------------------------------------------------------


def _split_host(host: str, scheme: str) -> tuple[str, int]:
    """Split ``host[:port]`` (IPv6 in brackets) into name and port, defaulting by scheme."""
    default = 443 if scheme in ("https", "wss") else 80
    if host.startswith("["):
        end = host.find("]")
        name, rest = host[: end + 1], host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    return name, int(port) if port.isdigit() else default


def _uri_path(path: str) -> str:
    """Percent-encode what a URI path may not contain (non-ASCII, spaces), keep existing escapes."""
    return quote(path, safe=_PATH_SAFE)


def _wsgi_str(uri_part: str) -> str:
    """Decode %-escapes to bytes and carry them as a latin-1 str, as PEP 3333 requires."""
    return unquote_to_bytes(uri_part).decode("latin-1")


class EnvironBuilder:
    """Build a WSGI environ or an ASGI scope from high-level request arguments.

    Positional parameters after ``url_scheme`` follow werkzeug's order, so ported calls work.

    :param app: the application; when it has a ``config`` its ``SERVER_NAME``,
        ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME`` give the defaults for the URL, and its
        ``json.dumps`` serializes ``json=``. Any other callable (or ``None``) means
        ``http://localhost/``.
    :param path: the request path, optionally with a query string, or a full URL whose scheme
        and host are used.
    :param base_url: ``scheme://host/script_root`` to use instead of the app-derived default;
        cannot be combined with ``subdomain`` or ``url_scheme``.
    :param subdomain: prefixed to the default host.
    :param url_scheme: scheme to use instead of the default.
    :param query_string: a str, bytes (already encoded), dict or MultiDict; cannot be combined
        with a ``?`` in ``path``.
    :param method: the HTTP method.
    :param headers: a Headers object, dict or list of pairs.
    :param content_type: the Content-Type; set automatically for form, multipart and JSON bodies.
    :param data: a dict or MultiDict of form fields and files (files make the body
        ``multipart/form-data``; a file is a binary file object, a FileStorage or a tuple
        ``(file_or_bytes_or_path, filename[, content_type])``), or str/bytes/a file object used
        as the raw body.
    :param json: an object serialized as the body, with ``application/json`` as default type.
    :param environ_base: environ entries applied first (the client's defaults go here).
    :param environ_overrides: environ entries applied last, overriding everything.
    :param errors_stream: ``wsgi.errors``; defaults to ``sys.stderr``.
    :param multithread: ``wsgi.multithread`` (and ``multiprocess``, ``run_once`` likewise).
    :param charset: encoding for str bodies, form values and query values.
    :param mimetype: sets the Content-Type (a ``charset`` parameter is added for ``text/*``).
    :param auth: a ``(username, password)`` tuple for Basic auth, an object with
        ``to_header()``, or a ready Authorization header value.
    :param input_stream: a binary stream used as the body without reading it up front.
    :param content_length: the Content-Length to send with ``input_stream``.
    :raises ValueError: for conflicting URL arguments.
    :raises TypeError: for conflicting body arguments (``data`` with ``json`` or
        ``input_stream``) or malformed file tuples.
    """

    server_protocol = "HTTP/1.1"
    wsgi_version = (1, 0)

    def __init__(
        self,
        app: t.Any = None,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        query_string: str | bytes | Mapping[str, t.Any] | None = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        data: Mapping[str, t.Any] | str | bytes | t.IO[bytes] | None = None,
        environ_base: Mapping[str, t.Any] | None = None,
        environ_overrides: Mapping[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: tuple[str, str] | str | t.Any | None = None,
        charset: str = "utf-8",
    ) -> None:
        self.app = app
        self.charset = charset
        config = getattr(app, "config", None)
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError("Cannot pass 'subdomain' or 'url_scheme' with 'base_url'.")
        url = urlsplit(path)
        if url.query and query_string is not None:
            raise ValueError("Query string is defined in the path and as an argument")
        if base_url is None:
            if isinstance(config, Mapping):
                host = config.get("SERVER_NAME") or "localhost"
                app_root = config.get("APPLICATION_ROOT") or "/"
                default_scheme = config.get("PREFERRED_URL_SCHEME") or "http"
            else:
                host, app_root, default_scheme = "localhost", "/", "http"
            if subdomain:
                host = f"{subdomain}.{host}"
            scheme = url_scheme or default_scheme
            base_url = f"{url.scheme or scheme}://{url.netloc or host}/{app_root.lstrip('/')}"
        self.base_url = base_url
        request_path = url.path if url.path.startswith("/") else "/" + url.path
        self.path = _uri_path(request_path)
        if query_string is None:
            query_string = url.query
        self.query_string = self._encode_query(query_string)
        self.method = method.upper()
        self.headers = headers.copy() if isinstance(headers, Headers) else Headers(headers)
        if content_type is None:
            content_type = self.headers.get("Content-Type")
        if mimetype is not None:
            content_type = mimetype
            if mimetype.startswith("text/"):
                content_type += f"; charset={charset}"
        self.content_type: str | None = content_type
        if content_length is None:
            header_length = self.headers.get("Content-Length")
            content_length = int(header_length) if header_length else None
        self.content_length: int | None = content_length
        self.environ_base: dict[str, t.Any] = dict(environ_base or {})
        self.environ_overrides: dict[str, t.Any] = dict(environ_overrides or {})
        self.errors_stream = errors_stream if errors_stream is not None else sys.stderr
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.input_stream = input_stream
        self.form: MultiDict = MultiDict()
        self.files: MultiDict = MultiDict()
        self._body: bytes | None = None

        if auth is not None:
            self.headers.set("Authorization", self._auth_header(auth))
        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            dumps = getattr(getattr(app, "json", None), "dumps", None) or _stdlib_json.dumps
            data = dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"
        if data:
            if input_stream is not None:
                raise TypeError("can't provide input stream and data")
            self._set_data(data)

    @staticmethod
    def _auth_header(auth: t.Any) -> str:
        if isinstance(auth, tuple):
            username, password = auth
            token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            return f"Basic {token}"
        if isinstance(auth, str):
            return auth
        return str(auth.to_header())

    def _encode_query(self, query: str | bytes | Mapping[str, t.Any]) -> str:
        if isinstance(query, bytes):
            return query.decode("latin-1")
        if isinstance(query, str):
            return quote(query, safe=_QUERY_SAFE)
        pairs = [(key, _field_value(value, self.charset)) for key, value in _iter_data(query)]
        return urlencode(pairs, encoding=self.charset)

    def _set_data(self, data: t.Any) -> None:
        if hasattr(data, "read"):
            data = data.read()
        if isinstance(data, str):
            data = data.encode(self.charset)
        if isinstance(data, (bytes, bytearray)):
            self._body = bytes(data)
            return
        for key, value in _iter_data(data):
            if _is_file_value(value):
                self.files.add(key, _file_storage_from_value(key, value))
            else:
                self.form.add(key, _field_value(value, self.charset))

    # -- URL parts ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``scheme://host`` plus the script root, ending in ``/``."""
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @base_url.setter
    def base_url(self, value: str) -> None:
        url = urlsplit(value)
        self.url_scheme = url.scheme or "http"
        self.host = url.netloc or "localhost"
        self.script_root = _uri_path(url.path.rstrip("/"))

    @property
    def server_name(self) -> str:
        """The host name without the port."""
        return _split_host(self.host, self.url_scheme)[0]

    @property
    def server_port(self) -> int:
        """The port from the host, or the scheme's default port."""
        return _split_host(self.host, self.url_scheme)[1]

    @property
    def url(self) -> str:
        """The full request URL (percent-encoded)."""
        query = f"?{self.query_string}" if self.query_string else ""
        return f"{self.url_scheme}://{self.host}{self.script_root}{self.path}{query}"

    # -- body ---------------------------------------------------------------------------------

    def _body_and_type(self) -> tuple[t.IO[bytes], int | None, str | None]:
        """Return the body stream, its length and its Content-Type, encoding forms once."""
        content_type = self.content_type
        if self.input_stream is not None:
            return self.input_stream, self.content_length, content_type
        if self._body is None:
            multipart = content_type is not None and content_type.lower().startswith(
                "multipart/form-data"
            )
            if self.files or (self.form and multipart):
                boundary, self._body = encode_multipart(
                    self.form.items(multi=True), self.files.items(multi=True), charset=self.charset
                )
                self.content_type = f'multipart/form-data; boundary="{boundary}"'
            elif self.form:
                encoded = urlencode(list(self.form.items(multi=True)), encoding=self.charset)
                self._body = encoded.encode("ascii")
                if content_type is None:
                    self.content_type = "application/x-www-form-urlencoded"
            content_type = self.content_type
        length: int | None = self.content_length
        if length is None and self._body is not None:
            length = len(self._body)
        return BytesIO(self._body or b""), length, content_type

    def body_bytes(self) -> bytes | None:
        """Return the encoded body, or None when it comes from a caller's ``input_stream``."""
        if self.input_stream is not None:
            return None
        self._body_and_type()
        return self._body if self._body is not None else b""

    # -- outputs ------------------------------------------------------------------------------

    def get_environ(self) -> WSGIEnviron:
        """Return a new WSGI environ for this request (PEP 3333 string rules).

        Each call gets a fresh ``wsgi.input`` positioned at the start of the body.
        """
        stream, length, content_type = self._body_and_type()
        query = self.query_string
        raw_uri = self.script_root + self.path + (f"?{query}" if query else "")
        environ: WSGIEnviron = dict(self.environ_base)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": _wsgi_str(self.script_root),
                "PATH_INFO": _wsgi_str(self.path),
                "QUERY_STRING": query,
                "REQUEST_URI": raw_uri,
                "RAW_URI": raw_uri,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": self.server_protocol,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": stream,
                "wsgi.errors": self.errors_stream,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if length is not None:
            environ["CONTENT_LENGTH"] = str(length)
        combined: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            lowered = key.lower()
            if lowered in ("content-type", "content-length"):
                continue
            combined.setdefault(f"HTTP_{key.upper().replace('-', '_')}", []).append(value)
        for key, values in combined.items():
            environ[key] = ("; " if key == "HTTP_COOKIE" else ", ").join(values)
        environ.update(self.environ_overrides)
        return environ

    def get_scope(self) -> tuple[Scope, bytes]:
        """Return an ASGI ``http`` scope for this request and the whole request body."""
        environ = self.get_environ()
        scope = environ_to_scope(environ)
        return scope, _read_body(environ)

    @t.overload
    def get_request(self) -> Request: ...

    @t.overload
    def get_request(self, cls: type[_Req]) -> _Req: ...

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """Return a request for this environ.

        :param cls: the request class; defaults to the app's ``request_class`` when it has one,
            else :class:`~tumbler.wrappers.Request`.
        """
        from tumbler.wsgi import request_from_environ

        request_class = cls if cls is not None else getattr(self.app, "request_class", Request)
        return request_from_environ(self.get_environ(), request_class)

    def close(self) -> None:
        """Close the file streams of uploaded files (not a caller's ``input_stream``)."""
        for _, storage in self.files.items(multi=True):
            storage.close()

    def copy(self) -> EnvironBuilder:
        """Return an independent copy (headers, form and environ dicts are copied)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.headers = self.headers.copy()
        new.form = self.form.copy()
        new.files = self.files.copy()
        new.environ_base = dict(self.environ_base)
        new.environ_overrides = dict(self.environ_overrides)
        return new

    @classmethod
    def from_environ(cls, environ: Mapping[str, t.Any], **kwargs: t.Any) -> EnvironBuilder:
        """Rebuild a builder from a WSGI environ; keyword arguments override what it contains.

        Non-CGI keys (anything but the request line, headers and ``wsgi.*`` keys) are carried
        over through ``environ_base``.
        """
        headers = Headers(
            [
                (key[5:].replace("_", "-").title(), value)
                for key, value in environ.items()
                if key.startswith("HTTP_") and key not in ("HTTP_HOST",)
            ]
        )
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        script = quote(environ.get("SCRIPT_NAME", "").encode("latin-1"), safe=_PATH_SAFE)
        consumed = {
            "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI",
            "RAW_URI", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "CONTENT_TYPE",
            "CONTENT_LENGTH",
        }  # fmt: skip
        base = {
            key: value
            for key, value in environ.items()
            if key not in consumed and not key.startswith(("HTTP_", "wsgi."))
        }
        length = environ.get("CONTENT_LENGTH")
        out: dict[str, t.Any] = {
            "path": quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe=_PATH_SAFE),
            "base_url": f"{scheme}://{host}{script}",
            "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": environ.get("CONTENT_TYPE") or None,
            "content_length": _content_length(length) if length else None,
            "headers": headers,
            "environ_base": base,
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
        }
        out.update(kwargs)
        return cls(**out)


def _read_body(environ: Mapping[str, t.Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    data = stream.read(int(length)) if length else stream.read()
    return bytes(data)


def environ_to_scope(environ: Mapping[str, t.Any]) -> Scope:
    """Translate a WSGI environ into the equivalent ASGI ``http`` connection scope.

    ``path`` includes ``root_path`` (as the ASGI spec and current servers have it) and is
    decoded as UTF-8 with replacement characters; ``raw_path`` keeps the exact bytes, so a front
    end can reject invalid UTF-8. Headers become lowercase latin-1 byte pairs with ``host`` first.
    The :data:`PRESERVE_CONTEXT_KEY` entry, when present, is copied into the scope.
    """
    script = environ.get("SCRIPT_NAME", "").encode("latin-1")
    path_info = environ.get("PATH_INFO", "").encode("latin-1")
    raw_uri = environ.get("REQUEST_URI")
    raw_path = (
        raw_uri.partition("?")[0].encode("latin-1")
        if isinstance(raw_uri, str)
        else quote(script + path_info, safe=_PATH_SAFE).encode("ascii")
    )
    headers: list[tuple[bytes, bytes]] = []
    host = environ.get("HTTP_HOST")
    if host:
        headers.append((b"host", host.encode("latin-1")))
    for key, value in environ.items():
        if key.startswith("HTTP_") and key != "HTTP_HOST":
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").lower()
        else:
            continue
        if value != "":
            headers.append((name.encode("latin-1"), str(value).encode("latin-1")))
    remote = environ.get("REMOTE_ADDR")
    protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": protocol.partition("/")[2] or "1.1",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": (script + path_info).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "root_path": script.decode("utf-8", "replace"),
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "client": (
            (remote, int(environ.get("REMOTE_PORT") or _DEFAULT_CLIENT_PORT)) if remote else None
        ),
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT", 80))),
        "extensions": {},
    }
    if PRESERVE_CONTEXT_KEY in environ:
        scope[PRESERVE_CONTEXT_KEY] = environ[PRESERVE_CONTEXT_KEY]
    return scope


# --------------------------------------------------------------------------------------------
# Cookies
# --------------------------------------------------------------------------------------------


def _is_secure_context(scheme: str, server_name: str) -> bool:
    # Browsers treat localhost as a secure context, so Secure cookies work in tests on
    # http://localhost exactly as they do in a developer's browser.
    name = server_name.lower()
    return (
        scheme in ("https", "wss")
        or name in ("localhost", "127.0.0.1", "[::1]")
        or name.endswith(".localhost")
    )


def _default_cookie_path(request_path: str) -> str:
    # RFC 6265 section 5.1.4: the directory of the request path.
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path.rsplit("/", 1)[0]


class Cookie:
    """A cookie held by :class:`TumblerClient`'s cookie jar.

    ``value`` is the raw value as sent on the wire; ``decoded_value`` undoes cookie quoting.
    ``expires`` is when the cookie expires (an aware UTC datetime computed from Max-Age, which
    wins, or from Expires) or None for a session cookie; ``max_age`` is the Max-Age attribute as
    received. ``origin_only`` is True when no Domain attribute was given, so the cookie goes only
    to exactly ``domain``.
    """

    __slots__ = (
        "domain",
        "expires",
        "http_only",
        "key",
        "max_age",
        "origin_only",
        "path",
        "same_site",
        "secure",
        "value",
    )

    def __init__(
        self,
        key: str,
        value: str,
        domain: str,
        path: str = "/",
        *,
        expires: datetime | None = None,
        max_age: int | None = None,
        origin_only: bool = True,
        secure: bool = False,
        http_only: bool = False,
        same_site: str | None = None,
    ) -> None:
        self.key = key
        self.value = value
        self.domain = domain
        self.path = path
        self.expires = expires
        self.max_age = max_age
        self.origin_only = origin_only
        self.secure = secure
        self.http_only = http_only
        self.same_site = same_site

    def __repr__(self) -> str:
        return f"<Cookie {self.key}={self.value!r} domain={self.domain!r} path={self.path!r}>"

    @property
    def decoded_key(self) -> str:
        """The cookie name with cookie quoting undone."""
        return self._decoded()[0]

    @property
    def decoded_value(self) -> str:
        """The cookie value with cookie quoting undone (as the app's request.cookies sees it)."""
        return self._decoded()[1]

    def _decoded(self) -> tuple[str, str]:
        parsed = parse_cookie(f"{self.key}={self.value}")
        for key, value in parsed.items():
            return key, value
        return self.key, self.value

    def is_expired(self) -> bool:
        """Return True when the cookie's expiry time has passed."""
        return self.expires is not None and self.expires.timestamp() <= time.time()

    def matches(self, server_name: str, path: str, secure: bool) -> bool:
        """Return True when the cookie must be sent with a request to this host and path."""
        host = server_name.lower()
        if host != self.domain and (self.origin_only or not host.endswith("." + self.domain)):
            return False
        if self.secure and not secure:
            return False
        if path != self.path and not (
            path.startswith(self.path) and (self.path.endswith("/") or path[len(self.path)] == "/")
        ):
            return False
        return not self.is_expired()

    @classmethod
    def from_set_cookie(cls, header: str, server_name: str, request_path: str) -> Cookie | None:
        """Parse a Set-Cookie value received from ``server_name`` for ``request_path``.

        :return: the cookie, or None when the header must be ignored (no ``=``, empty name, or a
            Domain attribute that does not cover ``server_name``). An expired cookie is returned
            with an ``expires`` in the past so the jar deletes its stored copy.
        """
        pair, _, attributes = header.partition(";")
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            return None
        host = server_name.lower()
        params: dict[str, str | None] = {}
        for item in attributes.split(";"):
            name, has_value, attr_value = item.partition("=")
            name = name.strip().lower()
            if name:
                params[name] = attr_value.strip() if has_value else None
        expires: datetime | None = None
        raw_max_age = params.get("max-age") or ""
        max_age = int(raw_max_age) if raw_max_age.lstrip("-").isdigit() else None
        raw_expires = params.get("expires")
        if max_age is not None:
            # RFC 6265 5.2.2: zero or negative means "expire now".
            seconds = time.time() + max_age if max_age > 0 else 0.0
            expires = datetime.fromtimestamp(seconds, UTC)
        elif raw_expires:
            try:
                expires = parsedate_to_datetime(raw_expires)
            except (TypeError, ValueError, IndexError, OverflowError):
                expires = None
            if expires is not None and expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
        domain_attr = (params.get("domain") or "").lstrip(".").lower()
        if domain_attr and host != domain_attr and not host.endswith("." + domain_attr):
            return None
        path = params.get("path") or ""
        if not path.startswith("/"):
            path = _default_cookie_path(request_path)
        return cls(
            key,
            value,
            domain_attr or host,
            path,
            expires=expires,
            max_age=max_age,
            origin_only=not domain_attr,
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
        )


class _CookieJar:
    """Cookies keyed by (domain, path, name), with browser-like matching and expiry."""

    __slots__ = ("_cookies", "_lock")

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[Cookie]:
        with self._lock:
            return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        return len(self._cookies)

    def get(self, key: str, domain: str, path: str) -> Cookie | None:
        with self._lock:
            cookie = self._cookies.get((domain, path, key))
            if cookie is not None and cookie.is_expired():
                del self._cookies[(domain, path, key)]
                return None
            return cookie

    def store(self, cookie: Cookie) -> None:
        storage_key = (cookie.domain, cookie.path, cookie.key)
        with self._lock:
            if cookie.is_expired():
                self._cookies.pop(storage_key, None)
            else:
                self._cookies[storage_key] = cookie

    def remove(self, key: str, domain: str, path: str) -> None:
        with self._lock:
            self._cookies.pop((domain, path, key), None)

    def header_for(self, server_name: str, path: str, secure: bool) -> str:
        """Return the Cookie header value for a request, longest paths first (RFC 6265)."""
        with self._lock:
            for storage_key in [k for k, c in self._cookies.items() if c.is_expired()]:
                del self._cookies[storage_key]
            matching = [c for c in self._cookies.values() if c.matches(server_name, path, secure)]
        matching.sort(key=lambda c: len(c.path), reverse=True)
        return "; ".join(f"{c.key}={c.value}" for c in matching)

    def update_from_headers(
        self, set_cookie_values: Iterable[str], server_name: str, path: str, secure: bool
    ) -> None:
        for header in set_cookie_values:
            cookie = Cookie.from_set_cookie(header, server_name, path)
            # A Secure cookie from an insecure origin is ignored (RFC 6265bis 5.4).
            if cookie is not None and not (cookie.secure and not secure):
                self.store(cookie)


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------


class TestResponse(Response):
    """A response returned by :class:`TumblerClient`.

    Besides everything a Response has (``data``, ``status``, ``status_code``, ``headers``,
    ``mimetype``, ``location``, ``get_json``, ...) it knows the ``request`` that produced it and
    the ``history`` of redirect responses that led to it (oldest first). With ``buffered=False``
    a streamed body stays lazy: iterate the response or read ``data`` to pull it, and call
    :meth:`close` when done early.
    """

    __test__ = False  # not a pytest test class despite the name
    default_mimetype = None

    def __init__(
        self,
        response: t.Any,
        status: int | str,
        headers: Headers | Iterable[tuple[str, str]],
        request: Request | None = None,
        history: tuple[TestResponse, ...] = (),
        *,
        request_factory: Callable[[], Request] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(response, status, headers, **kwargs)
        self._test_request = request
        self._request_factory = request_factory
        self.history = history

    @property
    def request(self) -> Request:
        """The request that produced this response (built on first access)."""
        if self._test_request is None:
            if self._request_factory is None:
                raise RuntimeError("This response was not produced by a test client request.")
            self._test_request = self._request_factory()
        return self._test_request

    @request.setter
    def request(self, value: Request) -> None:
        self._test_request = value


def _response_wrapper_for(wrapper: type[Response] | None) -> type[TestResponse]:
    """Mix TestResponse into an app's response class so its own methods stay available."""
    if wrapper is None or wrapper is Response or wrapper is TestResponse:
        return TestResponse
    if not (isinstance(wrapper, type) and issubclass(wrapper, Response)):
        raise TypeError(f"response_wrapper must be a Response subclass, got {wrapper!r}.")
    if issubclass(wrapper, TestResponse):
        return wrapper
    return type(f"Test{wrapper.__name__}", (TestResponse, wrapper), {})


class _ClosingIterator:
    """Iterate a WSGI body and call the app iterable's ``close`` exactly once."""

    __slots__ = ("_close", "_closed", "_iterator")

    def __init__(self, iterator: Iterator[bytes], close: Callable[[], object] | None) -> None:
        self._iterator = iterator
        self._close = close
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._iterator)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._close is not None:
                self._close()


def _chain(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def run_wsgi_app(
    app: Callable[..., Iterable[bytes]], environ: WSGIEnviron, buffered: bool = False
) -> tuple[Iterable[bytes], str, Headers]:
    """Call a WSGI application and return ``(body, status, headers)``.

    Bytes the app passes to the legacy ``write()`` callable are put in the body where they were
    written. ``start_response`` may be called as late as the first body item (the body is
    pulled until it is), and again with ``exc_info`` before output started.

    :param app: the WSGI application.
    :param environ: the environ to call it with.
    :param buffered: read the whole body into a list and close the app's iterable now;
        otherwise the body is a lazy iterator whose ``close()`` closes the app's iterable.
    :return: the body, the status line (``"200 OK"``) and the headers.
    :raises RuntimeError: the app returned without calling ``start_response``, or called it
        twice without ``exc_info``.
    """
    state: list[t.Any] = []
    written: list[bytes] = []
    output_started = False

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None:
            try:
                if output_started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif state:
            raise RuntimeError("start_response was called twice without exc_info.")
        state[:] = [status, headers]
        return written.append

    app_rv = app(environ, start_response)
    close = getattr(app_rv, "close", None)

    def ordered() -> Iterator[bytes]:
        # Bytes passed to the legacy write() callable come before the item being produced.
        nonlocal output_started
        for item in app_rv:
            if written:
                yield from written
                written.clear()
            output_started = output_started or bool(item)
            yield item
        if written:
            yield from written
            written.clear()

    chunks = ordered()
    try:
        prefetched: list[bytes] = []
        if buffered:
            prefetched = list(chunks)
        elif not state:
            # start_response may be deferred until the first body item is produced.
            for item in chunks:
                prefetched.append(item)
                if state:
                    break
        if not state:
            raise RuntimeError("The WSGI application did not call start_response.")
    except BaseException:
        if close is not None:
            close()
        raise
    body: Iterable[bytes]
    if buffered:
        body = prefetched
        if close is not None:
            close()
    else:
        body = _ClosingIterator(_chain(prefetched, chunks), close)
    status, header_list = state
    return body, status, Headers(header_list)


# --------------------------------------------------------------------------------------------
# ASGI exchange
# --------------------------------------------------------------------------------------------


def _shutdown_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel a loop's leftover tasks, shut down its async generators and close it."""
    if loop.is_closed():
        return
    # Finishing tasks needs this loop to run, which is impossible while another loop runs in
    # this thread (a client garbage-collected inside an async test); then it is just closed.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


class _EventLoop:
    """A long-lived event loop run from synchronous code, one step at a time.

    The loop is closed by :meth:`close` or when the last holder (the client, or a streamed
    response still being read) lets go of this object.
    """

    __slots__ = ("__weakref__", "_finalizer", "loop")

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._finalizer = weakref.finalize(self, _shutdown_loop, self.loop)

    def run(self, awaitable: Awaitable[_T]) -> _T:
        """Run the loop until ``awaitable`` completes; tasks created in it inherit a copy of
        the caller's context variables."""
        return self.loop.run_until_complete(awaitable)

    def close(self) -> None:
        """Close the loop now (idempotent)."""
        self._finalizer()


class _ASGIExchange:
    """One request/response cycle with an ASGI app, driven step by step from sync code.

    The app runs as a task on the client's loop. ``receive`` feeds the body in chunks and then
    blocks until the response is complete before reporting ``http.disconnect``. ``send`` hands
    each response message over through a one-slot queue, so a streaming app runs at most one
    message ahead of the reader, as flow control would hold it on a real connection.
    """

    def __init__(
        self, app: t.Any, scope: Scope, body: t.IO[bytes], length: int | None, chunk_size: int
    ) -> None:
        self.app = app
        self.scope = scope
        self._body = body
        self._remaining = length
        self._chunk_size = chunk_size
        self._body_sent = False
        self._started = False
        self._complete = False
        self._finished = False
        self._messages: asyncio.Queue[Message] | None = None
        self._response_done: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        if not self._body_sent:
            size = self._chunk_size
            if self._remaining is not None:
                size = min(size, self._remaining)
            chunk = bytes(self._body.read(size)) if size else b""
            if self._remaining is not None:
                self._remaining -= len(chunk)
            more = len(chunk) == size and size > 0 and self._remaining != 0
            self._body_sent = not more
            return {"type": "http.request", "body": chunk, "more_body": more}
        assert self._response_done is not None
        await self._response_done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        assert self._messages is not None and self._response_done is not None
        kind = message.get("type")
        if kind == "http.response.start":
            if self._started:
                raise RuntimeError("The ASGI app sent 'http.response.start' twice.")
            self._started = True
        elif kind == "http.response.body":
            if not self._started:
                raise RuntimeError("The ASGI app sent a body before 'http.response.start'.")
            if self._complete:
                raise RuntimeError("The ASGI app sent a body after the response was complete.")
            self._complete = not message.get("more_body", False)
        else:
            raise RuntimeError(f"The ASGI test client does not support {kind!r} messages.")
        await self._messages.put(message)
        if self._complete:
            # Like a server, report the disconnect only once the last message is handed over.
            self._response_done.set()

    async def _run_app(self) -> None:
        assert self._response_done is not None
        try:
            await self.app(self.scope, self.receive, self.send)
        finally:
            self._response_done.set()

    async def _next_message(self) -> Message | None:
        """Return the next message the app sent, or None once the app has returned."""
        assert self._messages is not None and self._task is not None
        if self._messages.empty() and not self._task.done():
            getter = asyncio.ensure_future(self._messages.get())
            await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                return getter.result()
            getter.cancel()
        if not self._messages.empty():
            return self._messages.get_nowait()
        self._raise_app_error()
        return None

    def _raise_app_error(self) -> None:
        assert self._task is not None
        if self._task.done() and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                raise error

    async def start(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Start the app and wait for ``http.response.start``; return status and raw headers."""
        self._messages = asyncio.Queue(maxsize=1)
        self._response_done = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run_app())
        message = await self._next_message()
        if message is None:
            raise RuntimeError("The ASGI app returned without sending a response.")
        headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", ())]
        return int(message["status"]), headers

    async def next_chunk(self) -> bytes | None:
        """Return the next non-empty body chunk, or None at the end of the body.

        At the end of the body it waits for the app to return, re-raising what it raised.
        """
        while not self._finished:
            message = await self._next_message()
            if message is None or not message.get("more_body", False):
                await self.finish()
            body = bytes(message.get("body", b"")) if message is not None else b""
            if body:
                return body
        return None

    async def finish(self) -> None:
        """Wait for the app to return after the response, re-raising what it raised."""
        assert self._task is not None
        self._finished = True
        await asyncio.wait([self._task])
        self._raise_app_error()

    async def abort(self) -> None:
        """Stop an app whose response is abandoned unread, as if the client went away."""
        assert self._task is not None and self._response_done is not None
        self._finished = True
        self._response_done.set()
        if not self._task.done():
            self._task.cancel()
            await asyncio.wait([self._task])

    @property
    def finished(self) -> bool:
        return self._finished


class _ASGIBody:
    """A lazy response body pulling chunks from an ASGI exchange on the client's loop."""

    __slots__ = ("_exchange", "_loop", "_pending")

    def __init__(self, event_loop: _EventLoop, exchange: _ASGIExchange, first: bytes) -> None:
        self._loop = event_loop
        self._exchange = exchange
        self._pending: bytes | None = first or None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._pending is not None:
            chunk, self._pending = self._pending, None
            return chunk
        pulled = self._loop.run(self._exchange.next_chunk())
        if pulled is None:
            raise StopIteration
        return pulled

    def close(self) -> None:
        if not self._exchange.finished:
            self._loop.run(self._exchange.abort())


# --------------------------------------------------------------------------------------------
# Websockets
# --------------------------------------------------------------------------------------------


class WebSocketClosed(WebSocketDisconnect):
    """Raised by :class:`WebSocketSession` when the connection is closed.

    A subclass of :class:`tumbler.asgi.WebSocketDisconnect`, so tests can catch either.

    :param code: the close code (``1000`` normal, ``1008`` policy violation, ``1011`` server
        error, ``1006`` when the app ended without a close message).
    :param reason: the close reason the app gave (may be empty).
    """

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code)
        self.reason = reason
        self.args = (code, reason)

    def __str__(self) -> str:
        text = f"The websocket was closed with code {self.code}"
        return f"{text}: {self.reason}" if self.reason else f"{text}."


class WebSocketDenied(WebSocketClosed):
    """Raised when the app refuses the websocket handshake (closes before accepting it).

    :param code: the close code the app refused with (``1006`` when it answered with an HTTP
        denial response instead of a close message).
    :param reason: the close reason the app gave.
    :param response: what a real client would see: a ``403`` with an empty body when the app
        closed before accepting (as ASGI servers answer), or the app's own HTTP denial response
        (the ``websocket.http.response`` extension).
    """

    def __init__(self, code: int, reason: str, response: TestResponse) -> None:
        super().__init__(code, reason)
        self.response = response

    def __str__(self) -> str:
        text = f"The app refused the websocket handshake ({self.response.status}, code {self.code})"
        return f"{text}: {self.reason}" if self.reason else f"{text}."


_WS_SCHEMES = {"http": "ws", "https": "wss"}
_WS_NOT_BODY_ARGS = ("data", "json", "input_stream", "method", "content_type", "mimetype")


class WebSocketSession:
    """A websocket connection to an ASGI application, driven from synchronous test code.

    Made by :meth:`TumblerClient.websocket`; use it as a context manager::

        with client.websocket("/chat", subprotocols=["v1"]) as ws:
            assert ws.accepted_subprotocol == "v1"
            ws.send("hi")
            assert ws.receive() == "hi"

    The app runs as a task on the client's event loop, which runs while the session waits: in
    :meth:`connect`, the ``receive*`` methods and :meth:`close`. ``send*`` only queues the
    message. Every wait is bounded by :attr:`timeout`, so a stuck app fails the test instead of
    hanging it. An exception that escapes the app (``PROPAGATE_EXCEPTIONS``, on in testing) is
    attached as ``__cause__`` of the :class:`WebSocketClosed` that reports the close, or, if the
    test never saw the close, raised by :meth:`close` (and so on leaving the ``with`` block).

    A session belongs to the thread that created it.
    """

    def __init__(
        self,
        client: TumblerClient,
        scope: Scope,
        cookie_target: tuple[str, str, bool],
        timeout: float,
    ) -> None:
        self.client = client
        #: The ASGI ``websocket`` scope sent to the app.
        self.scope = scope
        #: Seconds any single wait for the app may take before :class:`TimeoutError`.
        self.timeout = timeout
        #: The subprotocol the app chose when accepting, or None.
        self.accepted_subprotocol: str | None = None
        #: The extra headers the app sent with ``websocket.accept``.
        self.accept_headers = Headers()
        #: The close code, once the app or the test closed the connection.
        self.close_code: int | None = None
        #: The close reason, once the app or the test closed the connection.
        self.close_reason = ""
        self._cookie_target = cookie_target
        self._event_loop = client._event_loop()
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        # The app's view of the handshake: "connecting", "accepted", "closed", "denying".
        self._app_state = "connecting"
        self._client_closed = False
        self._error_reported = False
        self._app_close: tuple[int, str] | None = None
        self._app_disconnected = False

    def __repr__(self) -> str:
        if self._task is None:
            state = "not connected"
        elif self.close_code is not None:
            state = f"closed {self.close_code}"
        else:
            state = "open"
        return f"<{type(self).__name__} {self.scope['path']!r} {state}>"

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by the app or the test)."""
        return self.close_code is not None

    # -- the application's side ---------------------------------------------------------------

    async def _app_receive(self) -> Message:
        message = await self._to_app.get()
        if message["type"] == "websocket.disconnect":
            self._app_disconnected = True
        return message

    async def _app_send(self, message: Message) -> None:
        kind = message.get("type")
        state = self._app_state
        if self._app_disconnected and kind in ("websocket.send", "websocket.accept"):
            # Once the app has seen the disconnect, the ASGI spec asks servers to raise an
            # OSError subclass; before that, what it sends is simply never read.
            raise ConnectionResetError("The websocket client closed the connection.")
        if state == "connecting" and kind == "websocket.accept":
            self._app_state = "accepted"
        elif state == "connecting" and kind == "websocket.http.response.start":
            self._app_state = "denying"
        elif state == "denying" and kind == "websocket.http.response.body":
            if not message.get("more_body", False):
                self._app_state = "closed"
        elif state in ("connecting", "accepted") and kind == "websocket.close":
            self._app_state = "closed"
            self._app_close = (int(message.get("code", 1000)), message.get("reason") or "")
            # The client answers a close with its own, which the app sees as a disconnect.
            self._to_app.put_nowait(
                {"type": "websocket.disconnect", "code": message.get("code", 1000)}
            )
        elif not (state == "accepted" and kind == "websocket.send"):
            raise RuntimeError(
                f"The ASGI app sent {kind!r}, which is not allowed when the websocket is {state}."
            )
        self._from_app.put_nowait(message)

    async def _run_app(self) -> None:
        rv = self.client.application(self.scope, self._app_receive, self._app_send)
        if not inspect.isawaitable(rv):
            raise TypeError(
                "Websockets need an ASGI application (app(scope, receive, send) returning an"
                f" awaitable); {self.client.application!r} returned {type(rv).__name__!r}."
            )
        await rv

    # -- waiting on the loop ------------------------------------------------------------------

    async def _next_message(self, timeout: float) -> Message | None:
        """The next message from the app, or None once the app has returned without more."""
        assert self._task is not None
        queue = self._from_app
        if queue.empty() and not self._task.done():
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, self._task}, timeout=timeout, return_when="FIRST_COMPLETED")
            if getter.done():
                return getter.result()
            getter.cancel()
            await asyncio.wait({getter})
            if not self._task.done():
                raise TimeoutError(
                    f"The websocket app sent nothing within {timeout} seconds"
                    f" (WebSocketSession.timeout)."
                )
        if not queue.empty():
            return queue.get_nowait()
        return None

    async def _wait_for_app(self, timeout: float, cancel: bool) -> bool:
        """Wait for the app to return; cancel it after ``timeout`` if asked. Return whether it
        returned by itself."""
        assert self._task is not None
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if done or not cancel:
            return bool(done)
        self._task.cancel()
        await asyncio.wait({self._task})
        return False

    def _app_error(self) -> BaseException | None:
        task = self._task
        if task is None or not task.done() or task.cancelled():
            return None
        return task.exception()

    def _closed_error(self, error: WebSocketClosed) -> WebSocketClosed:
        """Attach the app's escaped exception (if any) to ``error`` as its cause."""
        cause = self._app_error()
        if cause is not None:
            self._error_reported = True
            error.__cause__ = cause
        return error

    def _store_cookies(self, headers: Headers) -> None:
        jar = self.client._cookies
        if jar is not None:
            jar.update_from_headers(headers.getlist("Set-Cookie"), *self._cookie_target)

    def _make_response(self, body: list[bytes], status: int, headers: Headers) -> TestResponse:
        response = self.client.response_wrapper(body, status, headers)
        json_provider = getattr(self.client.application, "json", None)
        if json_provider is not None and hasattr(json_provider, "loads"):
            response.json_module = json_provider
        return response

    # -- the test's side ----------------------------------------------------------------------

    def connect(self) -> WebSocketSession:
        """Start the app and wait for it to accept the connection.

        :return: this session.
        :raises WebSocketDenied: the app closed the connection, or answered with an HTTP
            response, instead of accepting.
        :raises TimeoutError: the app neither accepted nor refused within :attr:`timeout`.
        :raises RuntimeError: the session was already connected, or the app returned without
            accepting or refusing (an exception the app raised is raised instead).
        """
        if self._task is not None:
            raise RuntimeError("This websocket session is already connected.")
        run = self._event_loop.run
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._task = self._event_loop.loop.create_task(self._run_app())
        try:
            message = run(self._next_message(self.timeout))
        except TimeoutError:
            # No session is handed out, so nothing else would ever stop the app.
            self._client_closed = True
            run(self._wait_for_app(0, cancel=True))
            raise
        if message is not None and message["type"] == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            raw = message.get("headers") or ()
            self.accept_headers = Headers.from_raw([(bytes(k), bytes(v)) for k, v in raw])
            self._store_cookies(self.accept_headers)
            return self
        self._client_closed = True
        if message is None:
            self.close_code = 1006
            error = self._app_error()
            if error is not None:
                self._error_reported = True
                raise error
            raise RuntimeError(
                "The ASGI app returned without accepting or refusing the websocket connection."
            )
        if message["type"] == "websocket.close":
            self.close_code = int(message.get("code", 1000))
            self.close_reason = message.get("reason") or ""
            response = self._make_response([], 403, Headers())
        else:
            response = run(self._read_denial(message))
            self._store_cookies(response.headers)
            self.close_code = 1006
        run(self._wait_for_app(self.timeout, cancel=False))
        raise self._closed_error(WebSocketDenied(self.close_code, self.close_reason, response))

    async def _read_denial(self, start: Message) -> TestResponse:
        headers = Headers.from_raw([(bytes(k), bytes(v)) for k, v in start.get("headers") or ()])
        chunks: list[bytes] = []
        while True:
            message = await self._next_message(self.timeout)
            if message is None:
                break
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                break
        return self._make_response(chunks, int(start["status"]), headers)

    def _check_open(self) -> None:
        if self._task is None:
            raise RuntimeError(
                "The websocket is not connected: use 'with client.websocket(...) as ws:' or call"
                " 'connect()' first."
            )
        if self.close_code is not None:
            raise WebSocketClosed(self.close_code, self.close_reason)

    def send(self, data: str | bytes) -> None:
        """Queue a message for the app: ``str`` as a text frame, ``bytes`` as a binary frame.

        :raises WebSocketClosed: the test closed the connection or already received the app's
            close.
        :raises RuntimeError: the session is not connected.
        """
        self._check_open()
        if isinstance(data, str):
            message: Message = {"type": "websocket.receive", "text": data}
        elif isinstance(data, bytes | bytearray | memoryview):
            message = {"type": "websocket.receive", "bytes": bytes(data)}
        else:
            raise TypeError(f"Can only send str or bytes, not {type(data).__name__!r}.")
        # The loop is not running between calls, so this thread may use the queue directly.
        self._to_app.put_nowait(message)

    def send_text(self, data: str) -> None:
        """Send a text frame."""
        self.send(str(data))

    def send_bytes(self, data: bytes) -> None:
        """Send a binary frame."""
        self.send(bytes(data))

    def send_json(self, data: t.Any, mode: t.Literal["text", "binary"] = "text") -> None:
        """Serialize ``data`` with the app's JSON provider (or :mod:`json`) and send it.

        :param mode: ``"text"`` for a text frame, ``"binary"`` for UTF-8 bytes.
        """
        text = self._json().dumps(data)
        self.send(text if mode == "text" else text.encode())

    def receive(self, timeout: float | None = None) -> str | bytes:
        """Wait for the app's next message: ``str`` for a text frame, ``bytes`` for binary.

        :param timeout: seconds to wait; :attr:`timeout` when None.
        :raises WebSocketClosed: the app closed the connection (``code`` and ``reason`` tell
            how); ``__cause__`` is the exception that escaped the app, if one did. Raised
            again on every later call.
        :raises TimeoutError: nothing arrived in time.
        :raises RuntimeError: the session is not connected.
        """
        self._check_open()
        message = self._event_loop.run(
            self._next_message(self.timeout if timeout is None else timeout)
        )
        if message is None:
            self.close_code = 1006
            self.close_reason = "The application returned without closing the connection."
            raise self._closed_error(WebSocketClosed(self.close_code, self.close_reason))
        if message["type"] == "websocket.close":
            self.close_code = int(message.get("code", 1000))
            self.close_reason = message.get("reason") or ""
            # Give the app the moment it needs to return, so an escaped error is reported.
            self._event_loop.run(self._wait_for_app(self.timeout, cancel=False))
            raise self._closed_error(WebSocketClosed(self.close_code, self.close_reason))
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    def receive_text(self, timeout: float | None = None) -> str:
        """Receive a message that must be a text frame.

        :raises TypeError: the app sent a binary frame.
        """
        data = self.receive(timeout)
        if not isinstance(data, str):
            raise TypeError(f"Expected a text frame, the app sent bytes: {data[:60]!r}.")
        return data

    def receive_bytes(self, timeout: float | None = None) -> bytes:
        """Receive a message that must be a binary frame.

        :raises TypeError: the app sent a text frame.
        """
        data = self.receive(timeout)
        if not isinstance(data, bytes):
            raise TypeError(f"Expected a binary frame, the app sent text: {data[:60]!r}.")
        return data

    def receive_json(self, timeout: float | None = None) -> t.Any:
        """Receive a text or binary frame and parse it as JSON.

        :raises ValueError: the message is not valid JSON.
        """
        return self._json().loads(self.receive(timeout))

    def _json(self) -> t.Any:
        provider = getattr(self.client.application, "json", None)
        if provider is not None and hasattr(provider, "dumps") and hasattr(provider, "loads"):
            return provider
        return _stdlib_json

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection and wait for the app to return.

        Does nothing more than wait if the app already closed. The app sees a
        ``websocket.disconnect`` with ``code`` (``WebSocketDisconnect`` in a Tumbler handler).

        :raises TimeoutError: the app did not return within :attr:`timeout` (it is cancelled).
        :raises Exception: the exception that escaped the app, unless a
            :class:`WebSocketClosed` already reported it.
        """
        if self._task is None:
            self._client_closed = True
            return
        if not self._client_closed:
            self._client_closed = True
            if self._app_close is not None:
                # The app closed first (its close may still be unread): it has its disconnect.
                if self.close_code is None:
                    self.close_code, self.close_reason = self._app_close
            else:
                self.close_code = code
                self.close_reason = reason
                self._to_app.put_nowait(
                    {"type": "websocket.disconnect", "code": code, "reason": reason}
                )
        if not self._event_loop.run(self._wait_for_app(self.timeout, cancel=True)):
            raise TimeoutError(
                f"The websocket app did not return within {self.timeout} seconds after the"
                " connection was closed; it was cancelled."
            )
        error = self._app_error()
        if error is not None and not self._error_reported:
            self._error_reported = True
            raise error

    def __enter__(self) -> WebSocketSession:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------

_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})


class TumblerClient:
    """Send requests to an application in-process and read its responses.

    :param application: any WSGI callable (``app(environ, start_response)``), or with
        ``asgi=True`` any ASGI callable (``await app(scope, receive, send)``). A Tumbler app is
        both; when it has ``config``/``json``/``session_interface`` the client uses them.
    :param response_wrapper: the Response class to mix :class:`TestResponse` into (the app's
        ``response_class`` when created by ``app.test_client()``).
    :param use_cookies: keep cookies set by responses and send them back, like a browser.
    :param allow_subdomain_redirects: let ``follow_redirects`` go to subdomains of the host.
    :param asgi: drive the app through the ASGI protocol on an event loop the client owns (one
        per client and thread, reused for every request) instead of through WSGI.

    Inside ``with client:`` the contexts of the last request stay pushed until the block ends,
    so ``request``, ``session`` and ``g`` can be inspected after the response (see
    :data:`PRESERVE_CONTEXT_KEY` for the contract with the application).
    """

    #: Size of the ``http.request`` body chunks fed to an ASGI app.
    asgi_chunk_size = 65536

    def __init__(
        self,
        application: t.Any,
        response_wrapper: type[Response] | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        *,
        asgi: bool = False,
    ) -> None:
        from tumbler import __version__

        self.application = application
        self.response_wrapper = _response_wrapper_for(response_wrapper)
        self._cookies: _CookieJar | None = _CookieJar() if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects
        self.asgi = asgi
        #: Environ defaults for every request; per-request ``environ_base`` entries win.
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Tumbler/{__version__}",
        }
        self.preserve_context = False
        self._new_contexts: list[AbstractContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self._thread_state = threading.local()
        self._loops: list[_EventLoop] = []
        self._loops_lock = threading.Lock()

    def __repr__(self) -> str:
        protocol = "ASGI" if self.asgi else "WSGI"
        return f"<{type(self).__name__} {self.application!r} over {protocol}>"

    # -- cookies ------------------------------------------------------------------------------

    def _jar(self) -> _CookieJar:
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """Return the stored cookie with exactly this name, domain and path, or None.

        :raises TypeError: if the client was created with ``use_cookies=False``.
        """
        return self._jar().get(key, domain.lower(), path)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie as if a response had set it.

        :param origin_only: send it only to exactly ``domain``; False also sends it to
            subdomains.
        :param kwargs: other cookie attributes accepted by :func:`tumbler.http.dump_cookie`
            (``max_age``, ``expires``, ``secure``, ``httponly``, ``samesite``). A cookie that is
            already expired removes the stored one.
        :raises TypeError: if the client was created with ``use_cookies=False``.
        """
        jar = self._jar()
        cookie = Cookie.from_set_cookie(dump_cookie(key, value, **kwargs), domain, path)
        if cookie is None:
            raise ValueError(f"Cannot store a cookie named {key!r}.")
        cookie.domain = domain.lower()
        cookie.path = path
        cookie.origin_only = origin_only
        jar.store(cookie)

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Remove a stored cookie; nothing happens if there is none.

        :raises TypeError: if the client was created with ``use_cookies=False``.
        """
        self._jar().remove(key, domain.lower(), path)

    # -- request construction -----------------------------------------------------------------

    def _builder_from_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> EnvironBuilder:
        first = args[0] if args else None
        if isinstance(first, (EnvironBuilder, dict, Request)):
            if isinstance(first, EnvironBuilder):
                builder = first.copy()
            else:
                environ = first.environ if isinstance(first, Request) else first
                if environ is None:
                    raise TypeError("This Request has no WSGI environ to send again.")
                builder = EnvironBuilder.from_environ(environ, app=self.application)
            builder.environ_base = {**self.environ_base, **builder.environ_base}
            return builder
        kwargs["environ_base"] = {**self.environ_base, **(kwargs.get("environ_base") or {})}
        return EnvironBuilder(self.application, *args, **kwargs)

    def _cookie_target(self, builder: EnvironBuilder) -> tuple[str, str, bool]:
        server_name = builder.server_name
        secure = _is_secure_context(builder.url_scheme, server_name)
        return server_name, builder.script_root + builder.path, secure

    def _add_cookies(self, environ: WSGIEnviron, builder: EnvironBuilder) -> None:
        if self._cookies is None:
            return
        value = self._cookies.header_for(*self._cookie_target(builder))
        if value:
            existing = environ.get("HTTP_COOKIE")
            environ["HTTP_COOKIE"] = f"{existing}; {value}" if existing else value

    # -- running the app ----------------------------------------------------------------------

    def _event_loop(self) -> _EventLoop:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "TumblerClient(asgi=True) drives the app on its own event loop and cannot be"
                " called from inside a running event loop. Call it from a sync test, or from a"
                " worker thread with 'await asyncio.to_thread(client.get, ...)'."
            )
        event_loop: _EventLoop | None = getattr(self._thread_state, "event_loop", None)
        if event_loop is None:
            event_loop = _EventLoop()
            self._thread_state.event_loop = event_loop
            with self._loops_lock:
                self._loops.append(event_loop)
        return event_loop

    def _run_wsgi(self, environ: WSGIEnviron, buffered: bool) -> tuple[t.Any, str, Headers]:
        return run_wsgi_app(self.application, environ, buffered)

    def _run_asgi(self, environ: WSGIEnviron, buffered: bool) -> tuple[t.Any, int, Headers]:
        event_loop = self._event_loop()
        length = environ.get("CONTENT_LENGTH")
        exchange = _ASGIExchange(
            self.application,
            environ_to_scope(environ),
            environ["wsgi.input"],
            # An invalid length is sent on for the app to refuse; the body is sent whole.
            _content_length(length) if length else None,
            self.asgi_chunk_size,
        )
        # The app task inherits a copy of the caller's context, as a WSGI call in this thread
        # would see it.
        status, raw_headers = event_loop.run(exchange.start())
        headers = Headers.from_raw(raw_headers)
        if buffered:
            chunks: list[bytes] = []
            while (chunk := event_loop.run(exchange.next_chunk())) is not None:
                chunks.append(chunk)
            return chunks, status, headers
        first = event_loop.run(exchange.next_chunk())
        if exchange.finished:
            return ([first] if first is not None else []), status, headers
        return _ASGIBody(event_loop, exchange, first or b""), status, headers

    def _run(self, builder: EnvironBuilder, buffered: bool) -> TestResponse:
        environ = builder.get_environ()
        self._new_contexts.clear()
        if self.preserve_context:
            environ[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        self._add_cookies(environ, builder)
        body = builder.body_bytes()
        # The body is encoded by now; uploaded file streams are closed as werkzeug does.
        builder.close()
        request_environ = dict(environ)
        if body is not None:
            request_environ["wsgi.input"] = BytesIO(body)
        request_class = getattr(self.application, "request_class", Request)

        def make_request() -> Request:
            from tumbler.wsgi import request_from_environ

            return request_from_environ(request_environ, request_class)

        status: int | str
        if self.asgi:
            app_body, status, headers = self._run_asgi(environ, buffered)
        else:
            app_body, status, headers = self._run_wsgi(environ, buffered)
        response = self.response_wrapper(app_body, status, headers, request_factory=make_request)
        json_provider = getattr(self.application, "json", None)
        if json_provider is not None and hasattr(json_provider, "loads"):
            response.json_module = json_provider
        if self._cookies is not None:
            self._cookies.update_from_headers(
                response.headers.getlist("Set-Cookie"), *self._cookie_target(builder)
            )
        return response

    def _redirect_builder(
        self, builder: EnvironBuilder, location: str, status_code: int
    ) -> EnvironBuilder:
        target = urlsplit(urljoin(builder.url, location))
        new = builder.copy()
        if target.netloc:
            scheme = target.scheme or builder.url_scheme
            to_name = _split_host(target.netloc, scheme)[0].lower()
            from_name = builder.server_name.lower()
            if to_name != from_name:
                if not to_name.endswith("." + from_name):
                    raise RuntimeError(
                        f"Following external redirects is not supported: {location!r} leaves"
                        f" {from_name!r}."
                    )
                if not self.allow_subdomain_redirects:
                    raise RuntimeError(
                        "Following subdomain redirects is not enabled; create the client with"
                        " allow_subdomain_redirects=True."
                    )
            new.url_scheme = scheme
            new.host = target.netloc
        path = target.path or "/"
        root = builder.script_root
        if root and (path == root or path.startswith(root + "/")):
            new.path = path[len(root) :] or "/"
        else:
            new.path = path
            new.script_root = ""
        new.query_string = target.query
        if status_code in (307, 308):
            stream = builder.input_stream
            if stream is not None and stream.seekable():
                stream.seek(0)
        else:
            new.method = "HEAD" if builder.method == "HEAD" else "GET"
            new.input_stream = None
            new.content_type = None
            new.content_length = None
            new._body = None
            new.form = MultiDict()
            new.files = MultiDict()
            for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
                new.headers.remove(name)
        return new

    # -- public request API -------------------------------------------------------------------

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response.

        :param args: an :class:`EnvironBuilder`, a WSGI environ dict or a Request to send
            again; otherwise positional arguments of :class:`EnvironBuilder` after ``app``
            (usually just the path).
        :param buffered: read the whole body and close the app's iterable before returning;
            otherwise a streamed body is pulled as the response is read.
        :param follow_redirects: follow 301/302/303/305/307/308 responses; 307 and 308 keep the
            method and body, the others become GET (HEAD stays HEAD) without a body. Earlier
            responses are in ``response.history``.
        :param kwargs: keyword arguments of :class:`EnvironBuilder`.
        :raises RuntimeError: when a redirect leaves the host (or goes to a subdomain without
            ``allow_subdomain_redirects``).
        :raises ClientRedirectError: when redirects loop.
        """
        builder = self._builder_from_args(args, kwargs)
        # Contexts kept from the previous request in a ``with client:`` block end here, so
        # they never leak into this request.
        self._context_stack.close()
        response = self._run(builder, buffered)
        if follow_redirects:
            history: list[TestResponse] = []
            seen: set[tuple[str, int]] = set()
            while response.status_code in _REDIRECT_CODES:
                location = response.headers.get("Location")
                if location is None:
                    break
                response.get_data()
                response.close()
                entry = (location, response.status_code)
                if entry in seen:
                    raise ClientRedirectError(
                        f"Loop detected: a {response.status_code} redirect to {location} was"
                        " already made."
                    )
                seen.add(entry)
                response.history = tuple(history)
                history.append(response)
                builder = self._redirect_builder(builder, location, response.status_code)
                response = self._run(builder, buffered)
            response.history = tuple(history)
        for context in self._new_contexts:
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def get(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a GET request; see :meth:`open`."""
        kw["method"] = "GET"
        return self.open(*args, **kw)

    def post(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a POST request; see :meth:`open`."""
        kw["method"] = "POST"
        return self.open(*args, **kw)

    def put(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a PUT request; see :meth:`open`."""
        kw["method"] = "PUT"
        return self.open(*args, **kw)

    def delete(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a DELETE request; see :meth:`open`."""
        kw["method"] = "DELETE"
        return self.open(*args, **kw)

    def patch(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a PATCH request; see :meth:`open`."""
        kw["method"] = "PATCH"
        return self.open(*args, **kw)

    def head(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a HEAD request; see :meth:`open`."""
        kw["method"] = "HEAD"
        return self.open(*args, **kw)

    def options(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send an OPTIONS request; see :meth:`open`."""
        kw["method"] = "OPTIONS"
        return self.open(*args, **kw)

    def trace(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """Send a TRACE request; see :meth:`open`."""
        kw["method"] = "TRACE"
        return self.open(*args, **kw)

    def websocket(
        self,
        path: str = "/",
        subprotocols: Iterable[str] | None = None,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        query_string: str | bytes | Mapping[str, t.Any] | None = None,
        *,
        timeout: float = 5.0,
        **kwargs: t.Any,
    ) -> WebSocketSession:
        """Open a websocket connection to the application; use the result in a ``with`` block.

        Websockets exist only in ASGI, so the app is always driven through its ASGI interface
        (``app(scope, receive, send)``), even by a client created with ``asgi=False``; the
        connection runs on this client's event loop for the current thread. The scope carries
        the client's cookies and default environ entries (user agent, remote address), and the
        handshake headers a browser sends (``Upgrade``, ``Sec-WebSocket-Key``, ...).

        :param path: the request path (may include a query string), or a ``ws://``/``wss://``
            (or ``http``/``https``) URL.
        :param subprotocols: the subprotocols to offer, in order of preference.
        :param headers: extra request headers for the handshake.
        :param query_string: a str, bytes or dict; not together with ``?`` in ``path``.
        :param timeout: seconds any single wait for the app may take.
        :param kwargs: other :class:`EnvironBuilder` arguments describing the URL or headers
            (``base_url``, ``subdomain``, ``auth``, ``environ_base``, ...); body arguments are
            not allowed.
        :return: a :class:`WebSocketSession`, connected on entering the ``with`` block (or by
            :meth:`WebSocketSession.connect`).
        :raises TypeError: a request body argument (``data``, ``json``, ...) was given.
        :raises RuntimeError: called from inside a running event loop.
        """
        for name in _WS_NOT_BODY_ARGS:
            if name in kwargs:
                raise TypeError(f"A websocket handshake has no {name!r}; send messages instead.")
        offered = list(subprotocols or ())
        builder = self._builder_from_args(
            (path,), {"headers": headers, "query_string": query_string, **kwargs}
        )
        environ = builder.get_environ()
        self._add_cookies(environ, builder)
        scope = environ_to_scope(environ)
        scope["type"] = "websocket"
        del scope["method"]
        scope["scheme"] = _WS_SCHEMES.get(scope["scheme"], scope["scheme"])
        scope["subprotocols"] = offered
        scope["extensions"] = {"websocket.http.response": {}}
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        present = {name for name, _ in raw_headers}
        handshake = [
            (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"),
            (b"sec-websocket-version", b"13"),
            (b"sec-websocket-key", base64.b64encode(secrets.token_bytes(16))),
        ]
        if offered:
            handshake.append((b"sec-websocket-protocol", ", ".join(offered).encode("latin-1")))
        raw_headers.extend(item for item in handshake if item[0] not in present)
        return WebSocketSession(self, scope, self._cookie_target(builder), timeout)

    # -- sessions and contexts ----------------------------------------------------------------

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> Iterator[t.Any]:
        """Open the app's session as a request would see it, yield it, and save it on exit.

        Changes made inside the block are stored in the client's cookies, so the next request
        sees them. Arguments are those of :class:`EnvironBuilder` and describe the request the
        session is opened for (path, headers, ...). Needs a Tumbler app (``session_interface``,
        ``request_context``, ``response_class``).

        :raises TypeError: if the client was created with ``use_cookies=False``.
        :raises RuntimeError: if the session interface could not open a session (for example
            no secret key).
        """
        jar = self._jar()
        app = self.application
        builder = self._builder_from_args(args, kwargs)
        environ = builder.get_environ()
        self._add_cookies(environ, builder)
        ctx = app.request_context(environ)
        session_interface = app.session_interface
        with ctx:
            session = session_interface.open_session(app, ctx.request)
        if session is None:
            raise RuntimeError("Session backend did not open a session.")
        yield session
        if session_interface.is_null_session(session):
            return
        response = app.response_class()
        with ctx:
            session_interface.save_session(app, session, response)
        jar.update_from_headers(
            response.headers.getlist("Set-Cookie"), *self._cookie_target(builder)
        )

    def __enter__(self) -> TumblerClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()

    def close(self) -> None:
        """Pop preserved contexts and close the client's event loops (ASGI mode)."""
        self._context_stack.close()
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for event_loop in loops:
            event_loop.close()
        self._thread_state = threading.local()


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


class TumblerCliRunner(CliRunner):
    """A click ``CliRunner`` that invokes an app's commands in isolation.

    :param app: the application whose ``cli`` group is invoked by default.
    :param kwargs: passed to :class:`click.testing.CliRunner`.
    """

    def __init__(self, app: t.Any, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Invoke a command and return click's :class:`~click.testing.Result`.

        :param cli: the command to run; defaults to ``app.cli``.
        :param args: the command-line arguments (a list or a string).
        :param kwargs: passed to :meth:`click.testing.CliRunner.invoke`. ``obj`` defaults to a
            ``tumbler.cli.ScriptInfo`` that loads this app.
        """
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = _script_info_for(self.app)
        return super().invoke(cli, args, **kwargs)


def _script_info_for(app: t.Any) -> t.Any:
    # Imported by name at call time: the CLI module is optional for the test client, and
    # without it (no ScriptInfo) commands run with obj=None.
    try:
        script_info_class = importlib.import_module("tumbler.cli").ScriptInfo
    except (ImportError, AttributeError):
        return None
    return script_info_class(create_app=lambda: app)
