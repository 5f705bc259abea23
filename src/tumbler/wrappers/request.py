"""The sans-io :class:`Request`: one HTTP request, parsed lazily.

A front end (WSGI or ASGI) builds a :class:`Request` from the protocol's raw pieces:
method, scheme, server address, decoded paths, raw query bytes, headers, client
address and a binary body stream. Everything else (query arguments, form data,
files, cookies, JSON, typed header values) is parsed on first access and cached on
the object, so a view pays only for what it reads.

Bad client input never escapes as an unexpected exception: invalid percent-encoding
or UTF-8 is replaced, unparsable headers read as ``None`` or empty values, and body
problems raise a precise :class:`~tumbler.exceptions.HTTPException` (400, 413, 415).
"""

from __future__ import annotations

import io
import re
import string
import sys
from collections.abc import Callable
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import IO
from typing import TYPE_CHECKING
from typing import Any
from typing import Generic
from typing import Literal
from typing import Protocol
from typing import TypeVar
from typing import cast
from typing import overload
from urllib.parse import unquote_to_bytes

from tumbler.datastructures import Accept
from tumbler.datastructures import Authorization
from tumbler.datastructures import CharsetAccept
from tumbler.datastructures import CombinedMultiDict
from tumbler.datastructures import ETags
from tumbler.datastructures import FileStorage
from tumbler.datastructures import Headers
from tumbler.datastructures import HeaderSet
from tumbler.datastructures import IfRange
from tumbler.datastructures import ImmutableList
from tumbler.datastructures import ImmutableMultiDict
from tumbler.datastructures import LanguageAccept
from tumbler.datastructures import MIMEAccept
from tumbler.datastructures import MultiDict
from tumbler.datastructures import Range
from tumbler.datastructures import RequestCacheControl
from tumbler.exceptions import BadRequest
from tumbler.exceptions import ClientDisconnected
from tumbler.exceptions import RequestEntityTooLarge
from tumbler.exceptions import SecurityError
from tumbler.exceptions import UnsupportedMediaType
from tumbler.formparser import READ_CHUNK_SIZE
from tumbler.formparser import FormDataParser
from tumbler.formparser import _decode_urlencoded
from tumbler.formparser import _urlencoded_limit
from tumbler.http import _content_length
from tumbler.http import parse_accept_header
from tumbler.http import parse_cache_control_header
from tumbler.http import parse_cookie
from tumbler.http import parse_date
from tumbler.http import parse_etags
from tumbler.http import parse_form_pairs
from tumbler.http import parse_if_range_header
from tumbler.http import parse_list_header
from tumbler.http import parse_options_header
from tumbler.http import parse_range_header
from tumbler.http import parse_set_header

if TYPE_CHECKING:
    from tumbler.routing import Rule

__all__ = ["Request", "UserAgent"]

_T = TypeVar("_T")
_R = TypeVar("_R", bound="Request")


class SupportsRead(Protocol):
    """A binary stream the request body is read from."""

    def read(self, size: int = -1, /) -> bytes: ...


class UserAgent:
    """The ``User-Agent`` header, unparsed.

    Browser detection from this header is unreliable, so nothing is guessed: the
    ``platform``, ``browser``, ``version`` and ``language`` attributes are ``None``, as in
    Werkzeug's base class. Subclass it and set ``Request.user_agent_class`` to add parsing.

    :param string: the header value, ``""`` when absent.
    """

    __slots__ = ("string",)

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """Return the header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.string)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UserAgent):
            return self.string == other.string
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.string)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.string!r}>"


class _cached(Generic[_T]):
    """An attribute computed on first access and kept in the instance ``__dict__``, where later
    reads find it without calling this descriptor again."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _cached[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _cached[_T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


class _LimitedStream(io.RawIOBase):
    """Reads at most ``limit`` bytes from ``raw``.

    With ``is_max`` false the limit is the declared Content-Length: the body ending
    early means the client went away (:class:`ClientDisconnected`, a 400). With
    ``is_max`` true the limit is the configured maximum for a body of unknown length:
    more data than that is a 413. ``limit=None`` reads until the raw stream ends.
    """

    def __init__(self, raw: SupportsRead, limit: int | None, is_max: bool) -> None:
        super().__init__()
        self._raw = raw
        self._remaining = limit
        self._is_max = is_max

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        remaining = self._remaining
        if remaining is None:
            return self._read_raw(size)
        if remaining == 0 or size == 0:
            if remaining == 0 and size != 0:
                self._check_overflow()
            return b""
        data = self._read_raw(min(size, remaining))
        if not data:
            self._on_early_end()
            return b""
        self._remaining = remaining - len(data)
        return data

    def readall(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            chunk = self.read(64 * 1024)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def _read_raw(self, size: int) -> bytes:
        # A server's input raises OSError (connection reset) or ValueError (closed) when the
        # client goes away mid-body: that is the client's doing, a 400, not a 500.
        try:
            return self._raw.read(size)
        except (OSError, ValueError) as e:
            self._remaining = 0
            raise ClientDisconnected(
                "The client disconnected while sending the request body."
            ) from e

    def _check_overflow(self) -> None:
        if self._is_max and self._read_raw(1):
            raise RequestEntityTooLarge()

    def _on_early_end(self) -> None:
        if self._is_max:
            self._remaining = 0
            return
        self._remaining = 0
        raise ClientDisconnected(
            "The request body ended before the length given in its Content-Length header."
        )


def _read_declared(raw: SupportsRead, length: int) -> bytes:
    """Read a body of declared ``length`` from ``raw``, as a :class:`_LimitedStream` would."""
    chunks: list[bytes] = []
    got = 0
    try:
        while got < length:
            chunk = raw.read(min(READ_CHUNK_SIZE, length - got))
            if not chunk:
                raise ClientDisconnected(
                    "The request body ended before the length given in its Content-Length header."
                )
            chunks.append(chunk)
            got += len(chunk)
    except (OSError, ValueError) as e:
        raise ClientDisconnected("The client disconnected while sending the request body.") from e
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


# Characters kept as-is when rebuilding a URL: RFC 3986 unreserved plus the
# sub-delimiters that are legal in a path; "%" stays so existing escapes survive.
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,/:;=@%")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
# Escapes that would change a query's meaning if decoded, so they stay encoded.
_QUERY_KEEP_ENCODED = frozenset("%;/?:@&=+,$#")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _percent_encode(char: str) -> str:
    try:
        data = char.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = char.encode("utf-8", "surrogatepass")
    return "".join(f"%{byte:02X}" for byte in data)


def _is_iri_char(char: str) -> bool:
    code = ord(char)
    return 0x20 < code < 0x7F or (code >= 0xA0 and not 0xD800 <= code <= 0xDFFF)


def _iri_quote(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what may not appear in an IRI; keep readable Unicode as-is."""
    return "".join(
        char
        if char in safe or (ord(char) >= 0xA0 and _is_iri_char(char))
        else _percent_encode(char)
        for char in text
    )


def _iri_query(query_string: bytes) -> str:
    """The query as an IRI component: escapes of readable text decoded, others kept."""
    text = _iri_quote(query_string.decode("utf-8", "surrogateescape"), _QUERY_SAFE)

    def decode_run(match: re.Match[str]) -> str:
        decoded = unquote_to_bytes(match.group()).decode("utf-8", "surrogateescape")
        return "".join(
            char
            if char not in _QUERY_KEEP_ENCODED and _is_iri_char(char)
            else _percent_encode(char)
            for char in decoded
        )

    return _PERCENT_RUN.sub(decode_run, text)


_CONTENT_LENGTH_RE = re.compile(r"^[0-9]{1,19}$")


def _host_is_trusted(host: str, trusted: Iterable[str]) -> bool:
    """Whether ``host`` (port ignored) is in ``trusted``; ``.example.com`` matches subdomains."""
    if isinstance(trusted, str):
        trusted = [trusted]

    def normalize(name: str) -> str | None:
        if name.startswith("["):
            name = name.partition("]")[0] + "]"
        elif ":" in name:
            name = name.rsplit(":", 1)[0]
        try:
            return name.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None

    wanted = normalize(host)
    if not wanted:
        return False
    for ref in trusted:
        suffix = ref.startswith(".")
        ref_name = normalize(ref[1:] if suffix else ref)
        if ref_name is None:
            continue
        if wanted == ref_name or (suffix and wanted.endswith("." + ref_name)):
            return True
    return False


def _default_json_module() -> Any:
    # Imported on use: tumbler.json reaches the app, which imports this module.
    from tumbler import json

    return json


def _explain_missing_files_in_debug(request: Request) -> None:
    # Flask's debug aid: in debug mode, reading a file from a form sent without
    # enctype="multipart/form-data" explains the mistake instead of answering 400.
    # tumbler.globals is looked up, not imported here: this runs for every form, and the
    # wrappers stay importable without the app (no context can be active before it loads).
    globals_module = sys.modules.get("tumbler.globals")
    if globals_module is None:
        return
    ctx = globals_module._cv_context.get(None)
    if ctx is not None and ctx.app.debug:
        from tumbler.debughelpers import attach_enctype_error_multidict

        attach_enctype_error_multidict(request)


class Request:
    """One HTTP request, independent of WSGI and ASGI.

    :param method: the HTTP method; stored upper case.
    :param scheme: ``"http"``, ``"https"``, ``"ws"`` or ``"wss"``.
    :param server: the address the request arrived on: ``(host, port)``, or
        ``(socket path, None)`` for a Unix socket, or ``None`` if unknown.
    :param root_path: the decoded prefix the app is mounted under (WSGI ``SCRIPT_NAME``);
        a trailing slash is removed.
    :param path: the decoded path after ``root_path``; always stored with one leading slash.
    :param query_string: the raw bytes after ``?``.
    :param headers: the request headers.
    :param remote_addr: the client address, if known.
    :param stream: the body; must end (``read`` returns ``b""``) once the body is complete.
        ``None`` means no body.
    :param environ: the WSGI environ, or the equivalent dict an ASGI front end builds.

    Settable per request (the app sets them from its config): ``max_content_length``,
    ``max_form_memory_size``, ``max_form_parts`` (``None`` is unlimited),
    ``trusted_hosts``, ``url_rule``, ``view_args``, ``routing_exception`` and
    ``json_module``.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_environ",
        "_environ_factory",
        "_input_stream",
        "headers",
        "json_module",
        "max_content_length",
        "max_form_memory_size",
        "max_form_parts",
        "method",
        "path",
        "query_string",
        "remote_addr",
        "root_path",
        "routing_exception",
        "scheme",
        "server",
        "url_rule",
        "view_args",
    )

    #: The class of ``args``, ``form`` and ``files``.
    parameter_storage_class: type[MultiDict[Any, Any]] = ImmutableMultiDict
    #: The class of ``cookies``.
    dict_storage_class: type[MultiDict[Any, Any]] = ImmutableMultiDict
    #: The class of ``access_route``.
    list_storage_class: type[list[Any]] = ImmutableList
    #: The parser ``form`` and ``files`` are built with, see :meth:`make_form_data_parser`.
    form_data_parser_class: type[FormDataParser] = FormDataParser
    #: The class of ``user_agent``.
    user_agent_class: type[UserAgent] = UserAgent
    #: Host names the ``Host`` header must match (``.example.com`` matches subdomains);
    #: ``None`` accepts any. Set on a subclass or per request; a mismatch is a 400.
    trusted_hosts: list[str] | None = None
    #: When true, reading the body (``stream``, ``data``, ``form``, ``json``...) raises
    #: ``RuntimeError``: for middleware that inspects a request it must not consume.
    shallow: bool = False

    def __init__(
        self,
        method: str,
        scheme: str,
        server: tuple[str, int | None] | None,
        root_path: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        remote_addr: str | None,
        stream: SupportsRead | None = None,
        environ: dict[str, Any] | None = None,
    ) -> None:
        self.method = method.upper()
        self.scheme = scheme
        self.server = server
        self.root_path = root_path.rstrip("/") if root_path else ""
        self.path = path if path[:1] == "/" and path[1:2] != "/" else "/" + path.lstrip("/")
        self.query_string = query_string
        self.headers = headers
        self.remote_addr = remote_addr
        self._environ = environ
        #: Builds :attr:`environ` on first use when no environ was given (the ASGI front end
        #: sets it: most requests never read their environ).
        self._environ_factory: Callable[[], dict[str, Any]] | None = None
        self.max_content_length: int | None = None
        self.max_form_memory_size: int | None = None
        self.max_form_parts: int | None = None
        self.url_rule: Rule | None = None
        self.view_args: dict[str, Any] | None = None
        self.routing_exception: Exception | None = None
        self.json_module: Any = None
        self._input_stream = stream

    # What most requests never read starts as these class defaults; the first assignment puts
    # the request's own value in its __dict__.
    _stream: IO[bytes] | None = None
    _cached_data: bytes | None = None
    _args: MultiDict[str, str] | None = None
    _form: MultiDict[str, str] | None = None
    _files: MultiDict[str, FileStorage] | None = None
    _cookies: MultiDict[str, str] | None = None
    #: (result of a strict get_json, result of a silent one); Ellipsis = not loaded.
    _cached_json: tuple[Any, Any] = (Ellipsis, Ellipsis)

    @property
    def environ(self) -> dict[str, Any]:
        """The WSGI environ, or under ASGI an equivalent dict (with ``asgi.scope``) made on
        first use; an empty dict for a request built without either."""
        environ = self._environ
        if environ is None:
            factory = self._environ_factory
            environ = self._environ = {} if factory is None else factory()
        return environ

    @environ.setter
    def environ(self, value: dict[str, Any]) -> None:
        self._environ = value

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception:
            url = "(invalid URL)"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    def __enter__(self) -> Request:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the uploaded files' streams. Safe to call more than once."""
        files = self._files
        if files is not None:
            for _key, value in files.items(multi=True):
                value.close()

    @classmethod
    def from_values(cls: type[_R], *args: Any, **kwargs: Any) -> _R:
        """Build a request from the arguments of :class:`tumbler.test.EnvironBuilder`
        (``path``, ``base_url``, ``query_string``, ``method``, ``headers``, ``data``, ``json``...),
        for tests and scripts: ``Request.from_values("/search", query_string={"q": "x"})``.
        """
        from tumbler.test import EnvironBuilder

        builder = EnvironBuilder(*args, **kwargs)
        try:
            return builder.get_request(cls)
        finally:
            builder.close()

    @classmethod
    def application(cls, f: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate ``f(request)`` returning a response into a WSGI application.

        ``f`` may also be a method: ``f(self, request)``. An :class:`HTTPException` it raises
        becomes its error response; the request is closed when the response is returned.
        """
        from functools import update_wrapper

        from tumbler.exceptions import HTTPException
        from tumbler.wsgi import request_from_environ

        def application(*args: Any) -> Any:
            environ, start_response = args[-2], args[-1]
            try:
                request = request_from_environ(environ, cls)
            except HTTPException as e:
                return e.get_response(environ)(environ, start_response)
            with request:
                try:
                    response = f(*args[:-2], request)
                except HTTPException as e:
                    response = e.get_response(environ)
                return response(environ, start_response)

        return update_wrapper(application, f)

    # --- URL -------------------------------------------------------------------------

    @property
    def script_root(self) -> str:
        """Alias of :attr:`root_path`."""
        return self.root_path

    @property
    def full_path(self) -> str:
        """The path and the query: ``"/page?x=1"``; ``"/page?"`` when there is no query."""
        return f"{self.path}?{self.query_string.decode('utf-8', 'replace')}"

    @property
    def is_secure(self) -> bool:
        """Whether the request came over HTTPS or WSS."""
        return self.scheme in {"https", "wss"}

    @property
    def host(self) -> str:
        """The host the request was sent to, with the port unless it is the scheme's default.

        Taken from the ``Host`` header, else from :attr:`server`.

        :raise SecurityError: (400) :attr:`trusted_hosts` is set and the host is not in it.
        """
        host = self.headers.get("Host")
        if host is None:
            host = ""
            if self.server is not None:
                host = self.server[0]
                if ":" in host and not host.startswith("["):
                    host = f"[{host}]"
                if self.server[1] is not None:
                    host = f"{host}:{self.server[1]}"
        if self.scheme in {"http", "ws"} and host.endswith(":80"):
            host = host[:-3]
        elif self.scheme in {"https", "wss"} and host.endswith(":443"):
            host = host[:-4]
        trusted = self.trusted_hosts
        if trusted is not None and not _host_is_trusted(host, trusted):
            raise SecurityError(f"Host {host!r} is not trusted.")
        return host

    @property
    def host_url(self) -> str:
        """The scheme and host: ``"http://example.com/"``."""
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self) -> str:
        """The scheme, host and root path: ``"http://example.com/app/"``."""
        return f"{self.scheme}://{self.host}{_iri_quote(self.root_path, _PATH_SAFE)}/"

    root_url = url_root

    @property
    def base_url(self) -> str:
        """Like :attr:`url`, without the query string."""
        return self.url_root + _iri_quote(self.path.lstrip("/"), _PATH_SAFE)

    @property
    def url(self) -> str:
        """The full request URL as an IRI: readable Unicode kept, unsafe characters escaped."""
        url = self.base_url
        if self.query_string:
            url = f"{url}?{_iri_query(self.query_string)}"
        return url

    # --- Client ----------------------------------------------------------------------

    @_cached
    def access_route(self) -> list[str]:
        """The ``X-Forwarded-For`` addresses, client first, else ``[remote_addr]``.

        The header is client-controlled: trust it only behind a proxy you run, through
        ``ProxyFix``.
        """
        forwarded = self.headers.getlist("X-Forwarded-For")
        if forwarded:
            return self.list_storage_class(parse_list_header(",".join(forwarded)))
        if self.remote_addr is not None:
            return self.list_storage_class([self.remote_addr])
        return self.list_storage_class()

    @property
    def remote_user(self) -> str | None:
        """The user the server authenticated (WSGI ``REMOTE_USER``), if any."""
        value = self.environ.get("REMOTE_USER")
        return value if isinstance(value, str) else None

    @property
    def is_multithread(self) -> bool:
        """Whether the server may run other requests in other threads at the same time."""
        return bool(self.environ.get("wsgi.multithread", False))

    @property
    def is_multiprocess(self) -> bool:
        """Whether the server may run the app in several processes."""
        return bool(self.environ.get("wsgi.multiprocess", False))

    @property
    def is_run_once(self) -> bool:
        """Whether the process handles only this request (CGI)."""
        return bool(self.environ.get("wsgi.run_once", False))

    @_cached
    def user_agent(self) -> UserAgent:
        """The ``User-Agent`` header as a :attr:`user_agent_class` object."""
        return self.user_agent_class(self.headers.get("User-Agent", ""))

    @_cached
    def authorization(self) -> Authorization | None:
        """The parsed ``Authorization`` header, or ``None`` if absent or unparsable."""
        return Authorization.from_header(self.headers.get("Authorization"))

    # --- Query string and cookies ----------------------------------------------------

    @property
    def args(self) -> MultiDict[str, str]:
        """The query arguments; invalid percent-encoding or UTF-8 is replaced, not rejected."""
        rv = self._args
        if rv is None:
            rv = self._args = self.parameter_storage_class(
                parse_form_pairs(self.query_string.decode("utf-8", "replace"))
            )
        return rv

    @property
    def cookies(self) -> MultiDict[str, str]:
        """The cookies sent with the request; every ``Cookie`` header line is read."""
        rv = self._cookies
        if rv is None:
            rv = self._cookies = parse_cookie(
                "; ".join(self.headers.getlist("Cookie")), cls=self.dict_storage_class
            )
        return rv

    # --- Content headers -------------------------------------------------------------

    @_cached
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.headers.get("Content-Type", ""))

    @property
    def content_type(self) -> str | None:
        """The raw ``Content-Type`` header."""
        return self.headers.get("Content-Type")

    @property
    def mimetype(self) -> str:
        """The media type without parameters, lower case: ``"application/json"``."""
        return self._parsed_content_type[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The ``Content-Type`` parameters: ``{"charset": "utf-8"}``."""
        return self._parsed_content_type[1]

    @_cached
    def content_length(self) -> int | None:
        """The ``Content-Length`` as an int; ``None`` if absent, invalid or chunked."""
        headers = self.headers
        value = headers.get("Content-Length")
        if value is None:
            return None
        encoding = headers.get("Transfer-Encoding")
        if encoding is not None and "chunked" in encoding.lower():
            return None
        return _content_length(value)

    @property
    def content_encoding(self) -> str | None:
        """The ``Content-Encoding`` header."""
        return self.headers.get("Content-Encoding")

    @property
    def content_md5(self) -> str | None:
        """The ``Content-MD5`` header."""
        return self.headers.get("Content-MD5")

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header."""
        return self.headers.get("Referer")

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header."""
        return self.headers.get("Origin")

    @_cached
    def date(self) -> datetime | None:
        """The ``Date`` header as a timezone-aware datetime, or ``None``."""
        return parse_date(self.headers.get("Date"))

    @_cached
    def max_forwards(self) -> int | None:
        """The ``Max-Forwards`` header as an int, or ``None`` if absent or invalid."""
        value = self.headers.get("Max-Forwards", "").strip()
        return int(value) if _CONTENT_LENGTH_RE.match(value) else None

    @_cached
    def pragma(self) -> HeaderSet:
        """The ``Pragma`` header as a set of directives."""
        return parse_set_header(self.headers.get("Pragma", ""))

    @_cached
    def access_control_request_headers(self) -> HeaderSet | None:
        """The ``Access-Control-Request-Headers`` of a CORS preflight."""
        value = self.headers.get("Access-Control-Request-Headers")
        return None if value is None else parse_set_header(value)

    @property
    def access_control_request_method(self) -> str | None:
        """The ``Access-Control-Request-Method`` of a CORS preflight."""
        return self.headers.get("Access-Control-Request-Method")

    # --- Content negotiation and conditional headers ---------------------------------

    @_cached
    def accept_mimetypes(self) -> MIMEAccept:
        """The ``Accept`` header."""
        return parse_accept_header(self.headers.get("Accept"), MIMEAccept)

    @_cached
    def accept_charsets(self) -> CharsetAccept:
        """The ``Accept-Charset`` header."""
        return parse_accept_header(self.headers.get("Accept-Charset"), CharsetAccept)

    @_cached
    def accept_encodings(self) -> Accept:
        """The ``Accept-Encoding`` header."""
        return parse_accept_header(self.headers.get("Accept-Encoding"))

    @_cached
    def accept_languages(self) -> LanguageAccept:
        """The ``Accept-Language`` header."""
        return parse_accept_header(self.headers.get("Accept-Language"), LanguageAccept)

    @_cached
    def cache_control(self) -> RequestCacheControl:
        """The ``Cache-Control`` header (read-only)."""
        return parse_cache_control_header(
            self.headers.get("Cache-Control"), None, RequestCacheControl
        )

    @_cached
    def if_match(self) -> ETags:
        """The ``If-Match`` entity tags."""
        return parse_etags(self.headers.get("If-Match"))

    @_cached
    def if_none_match(self) -> ETags:
        """The ``If-None-Match`` entity tags."""
        return parse_etags(self.headers.get("If-None-Match"))

    @_cached
    def if_modified_since(self) -> datetime | None:
        """The ``If-Modified-Since`` header as a datetime, or ``None``."""
        return parse_date(self.headers.get("If-Modified-Since"))

    @_cached
    def if_unmodified_since(self) -> datetime | None:
        """The ``If-Unmodified-Since`` header as a datetime, or ``None``."""
        return parse_date(self.headers.get("If-Unmodified-Since"))

    @_cached
    def if_range(self) -> IfRange:
        """The ``If-Range`` header (an etag or a date)."""
        return parse_if_range_header(self.headers.get("If-Range"))

    @_cached
    def range(self) -> Range | None:
        """The ``Range`` header, or ``None`` if absent or unparsable."""
        return parse_range_header(self.headers.get("Range"))

    # --- Body ------------------------------------------------------------------------

    @property
    def input_stream(self) -> SupportsRead:
        """The raw body stream, not limited by Content-Length. Prefer :attr:`stream`."""
        raw = self._input_stream
        return io.BytesIO() if raw is None else raw

    @property
    def stream(self) -> IO[bytes]:
        """The body, never read past ``Content-Length`` nor past :attr:`max_content_length`.

        :raise RequestEntityTooLarge: (413) the declared or actual size is over the limit.
        :raise ClientDisconnected: (400, on read) the body ends before its Content-Length.
        """
        rv: IO[bytes] | None = self._stream
        if rv is None:
            if self.shallow:
                raise RuntimeError(
                    "This request is shallow ('shallow=True'): reading its body is disabled."
                )
            raw = self._input_stream
            length = self.content_length
            limit = self.max_content_length
            if raw is None:
                rv = io.BytesIO()
            elif length is not None:
                if limit is not None and length > limit:
                    raise RequestEntityTooLarge()
                rv = cast(IO[bytes], _LimitedStream(raw, length, is_max=False))
            else:
                rv = cast(IO[bytes], _LimitedStream(raw, limit, is_max=True))
            self._stream = rv
        return rv

    @property
    def want_form_data_parsed(self) -> bool:
        """Whether the body may be form data: a ``Content-Type`` header is present."""
        return "Content-Type" in self.headers

    def make_form_data_parser(self) -> FormDataParser:
        """Return the :class:`FormDataParser` for this request, with its limits.

        Malformed form bodies raise 400 rather than reading as an empty form.
        """
        return self.form_data_parser_class(
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length,
            cls=self.parameter_storage_class,
            silent=False,
            max_form_parts=self.max_form_parts,
        )

    def _load_form_data(self) -> None:
        if self._form is not None:
            return
        if self.want_form_data_parsed:
            form = self._declared_urlencoded_form()
            if form is not None:
                self._files = self.parameter_storage_class()
                self._form = form
                _explain_missing_files_in_debug(self)
                return
            if self._cached_data is not None:
                body: SupportsRead = io.BytesIO(self._cached_data)
            else:
                body = self.stream
            _, form, files = self.make_form_data_parser().parse(
                body, self.mimetype, self.content_length, self.mimetype_params
            )
        else:
            form = self.parameter_storage_class()
            files = self.parameter_storage_class()
        self._files = files
        self._form = form
        if not files and self.mimetype != "multipart/form-data":
            _explain_missing_files_in_debug(self)

    def _declared_urlencoded_form(self) -> MultiDict[str, str] | None:
        # The common form, an urlencoded body of declared length not read yet, without a
        # parser object or a limited stream: what FormDataParser gives, with the same limits.
        # None when the parser must run (another body type, a custom parser, a body already
        # read or cached, a shallow request).
        raw = self._input_stream
        if (
            raw is None
            or self._stream is not None
            or self._cached_data is not None
            or self.shallow
            or self.form_data_parser_class is not FormDataParser
            or type(self).make_form_data_parser is not Request.make_form_data_parser
            or self.mimetype != "application/x-www-form-urlencoded"
        ):
            return None
        length = self.content_length
        if length is None:
            return None
        limit = _urlencoded_limit(self.max_form_memory_size, self.max_content_length)
        if limit is not None and length > limit:
            raise RequestEntityTooLarge()
        # Read through, as the parser leaves the stream: reading it again gives b"".
        self._stream = io.BytesIO()
        body = _read_declared(raw, length)
        return _decode_urlencoded(body, self.max_form_parts, self.parameter_storage_class)

    @property
    def form(self) -> MultiDict[str, str]:
        """The form fields of a urlencoded or multipart body; empty for other bodies.

        :raise BadRequest: (400) the multipart body is malformed or truncated.
        :raise RequestEntityTooLarge: (413) a size or part limit is exceeded.
        """
        self._load_form_data()
        assert self._form is not None
        return self._form

    @property
    def files(self) -> MultiDict[str, FileStorage]:
        """The uploaded files of a multipart body, as :class:`FileStorage` objects.

        Only filled when the form was sent with ``enctype="multipart/form-data"``.
        """
        self._load_form_data()
        assert self._files is not None
        return self._files

    @property
    def values(self) -> CombinedMultiDict[str, str]:
        """:attr:`args` and :attr:`form` combined; for GET requests only :attr:`args`."""
        sources: list[MultiDict[str, str]] = [self.args]
        if self.method != "GET":
            # A GET body is ignored: caches may not key on it, so it must not take over.
            sources.append(self.form)
        return CombinedMultiDict(sources)

    @overload
    def get_data(
        self,
        cache: bool = True,
        as_text: Literal[False] = False,
        parse_form_data: bool = False,
    ) -> bytes: ...

    @overload
    def get_data(
        self, cache: bool = True, *, as_text: Literal[True], parse_form_data: bool = False
    ) -> str: ...

    @overload
    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str: ...

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """Read the whole body.

        :param cache: keep the bytes so later calls (and :attr:`form`) see them again.
        :param as_text: decode as UTF-8, replacing invalid bytes.
        :param parse_form_data: parse the form first; a form body is then consumed and
            this returns what remained (``b""``).
        :raise RequestEntityTooLarge: (413) the body is over :attr:`max_content_length`.
        :raise ClientDisconnected: (400) the body is shorter than its Content-Length.
        """
        if parse_form_data:
            self._load_form_data()
        rv = self._cached_data
        if rv is None:
            rv = self.stream.read()
            if cache:
                self._cached_data = rv
        if as_text:
            return rv.decode("utf-8", "replace")
        return rv

    @property
    def data(self) -> bytes:
        """The whole body as bytes (cached); see :meth:`get_data`."""
        return self.get_data(parse_form_data=True)

    # --- JSON ------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is ``application/json`` or ``application/*+json``."""
        mimetype = self.mimetype
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    @property
    def json(self) -> Any:
        """The parsed JSON body; see :meth:`get_json` (415 if not JSON, 400 if invalid)."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON.

        :param force: parse even if the Content-Type is not JSON.
        :param silent: return ``None`` instead of raising on a wrong type or bad JSON.
        :param cache: remember the result for later calls.
        :raise UnsupportedMediaType: (415) the Content-Type is not JSON and not ``force``.
        :raise BadRequest: (400) the body is not valid JSON, see
            :meth:`on_json_loading_failed`.
        """
        if cache:
            cached = self._cached_json[silent]
            if cached is not Ellipsis:
                return cached
        if not (force or self.is_json):
            if not silent:
                return self.on_json_loading_failed(None)
            return None
        data = self.get_data(cache=cache)
        module = self.json_module if self.json_module is not None else _default_json_module()
        try:
            rv = module.loads(data)
        except ValueError as e:
            if silent:
                rv = None
                if cache:
                    self._cached_json = (self._cached_json[0], rv)
            else:
                rv = self.on_json_loading_failed(e)
                if cache:
                    self._cached_json = (rv, self._cached_json[1])
        else:
            if cache:
                self._cached_json = (rv, rv)
        return rv

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Called when :meth:`get_json` cannot load the body; raises by default.

        :param e: the decode error, or ``None`` when the Content-Type was not JSON.
        :raise UnsupportedMediaType: when ``e`` is ``None``.
        :raise BadRequest: otherwise; the decode error is shown only in debug mode.

        Override it to return a value instead; that value becomes the JSON result.
        """
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request"
                " Content-Type was not 'application/json'."
            )
        if _app_is_debug():
            raise BadRequest(f"Failed to decode JSON object: {e}") from e
        raise BadRequest() from e

    # --- Routing (set by the app) ----------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None`` before or without a match."""
        if self.url_rule is not None:
            return self.url_rule.endpoint
        return None

    @property
    def blueprint(self) -> str | None:
        """The dotted name of the blueprint owning the matched endpoint, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The blueprint and its parents, innermost first: ``["a.b", "a"]``."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _app_is_debug() -> bool:
    """Whether an app context is active and the app is in debug mode."""
    # Imported on use: tumbler.globals reaches the app, which imports this module.
    from tumbler.globals import current_app

    return bool(current_app) and bool(current_app.debug)
