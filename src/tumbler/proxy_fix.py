"""Trusting ``X-Forwarded-*`` and ``Forwarded`` headers from the proxies you run, and no one else.

Behind a reverse proxy the socket peer is the proxy, the scheme may be ``http`` although the
browser used ``https``, and the ``Host`` the app sees may be an internal name. Proxies report the
original values in ``X-Forwarded-For/-Proto/-Host/-Port/-Prefix`` or in the standard ``Forwarded``
header (RFC 7239). Any client can send those headers too, so a value is only believed when it was
added by one of the proxies you trust: each proxy appends to the list, so with ``n`` trusted
proxies the ``n``-th value from the right is the one the outermost trusted proxy wrote.

Two ways to use it:

- the ``PROXY_FIX`` config key, e.g. ``{"x_for": 1, "x_proto": 1, "x_host": 1}``; the app applies
  it to each :class:`~tumbler.wrappers.Request` before routing (see :func:`apply_to_request`);
- the :class:`ProxyFix` middleware, which wraps any WSGI or ASGI application, as
  ``werkzeug.middleware.proxy_fix.ProxyFix`` does for WSGI.

Values with invalid syntax are ignored, as if the header were absent: the request keeps what the
closest proxy told it.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
from dataclasses import dataclass

from .datastructures import EnvironHeaders

if t.TYPE_CHECKING:
    from .wrappers import Request

__all__ = [
    "ForwardedHops",
    "ForwardedValues",
    "ProxyFix",
    "apply_to_request",
    "parse_forwarded",
    "resolve_forwarded",
    "split_host",
]

#: A host name (letters, digits, ``-``, ``_``, ``.``) or a bracketed IPv6 literal, with an
#: optional port. Anything else (spaces, ``/``, ``@``, quotes...) is not a host.
# A name is dot-separated labels, none empty ("a..b" is no host name), with an optional final
# dot (the fully qualified form); or a bracketed IPv6 literal. Then an optional port.
_HOST_RE = re.compile(
    r"^(?:([a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.?)|(\[[0-9a-f:.]+(?:%[0-9a-z_.~-]+)?\]))"
    r"(?::([0-9]{1,5}))?$"
)
_PREFIX_BAD = re.compile(r"[\x00-\x20\x7f\\]")
_HOP_KEYS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix", "forwarded")
_PROTOS = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


def split_host(value: str) -> tuple[str, int | None] | None:
    """Split a ``Host``-style value into a lower-case name and a port.

    International names are converted to their ASCII (punycode) form; a trailing dot is
    kept. IPv6 literals keep their brackets: ``"[::1]:8000"`` gives ``("[::1]", 8000)``.

    :param value: the header value.
    :return: ``(name, port)``, with ``port`` ``None`` when absent, or ``None`` when the value is
        not a syntactically valid host (empty, spaces, ``/``, ``@``, a port over 65535...).
    """
    if not value or len(value) > 300:
        return None
    value = value.lower()
    if not value.isascii():
        name, sep, port_text = value.rpartition(":")
        if not sep:
            name = value
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        value = f"{name}:{port_text}" if sep else name
    match = _HOST_RE.match(value)
    if match is None:
        return None
    name = match.group(1) or match.group(2)
    port_text = match.group(3)
    if port_text is None:
        return name, None
    port = int(port_text)
    if port > 65535:
        return None
    return name, port


@dataclass(frozen=True, slots=True)
class ForwardedHops:
    """How many proxies to trust for each forwarding header (0 = ignore the header).

    :param x_for: ``X-Forwarded-For`` values to trust; sets the client address.
    :param x_proto: ``X-Forwarded-Proto`` values to trust; sets the scheme.
    :param x_host: ``X-Forwarded-Host`` values to trust; sets the host.
    :param x_port: ``X-Forwarded-Port`` values to trust; sets the port of the host.
    :param x_prefix: ``X-Forwarded-Prefix`` values to trust; sets the root path.
    :param forwarded: ``Forwarded`` (RFC 7239) elements to trust; its ``for``, ``proto`` and
        ``host`` parameters win over the ``X-Forwarded-*`` values.
    """

    x_for: int = 0
    x_proto: int = 0
    x_host: int = 0
    x_port: int = 0
    x_prefix: int = 0
    forwarded: int = 0

    def __post_init__(self) -> None:
        for key in _HOP_KEYS:
            value = getattr(self, key)
            if type(value) is not int or value < 0:
                raise ValueError(
                    f"ProxyFix: {key} must be a non-negative int (the number of trusted"
                    f" proxies), got {value!r}."
                )

    @classmethod
    def from_config(cls, value: t.Mapping[str, int] | None) -> ForwardedHops | None:
        """Build the hops from the ``PROXY_FIX`` config value.

        :param value: ``None`` (trust no forwarding header) or a mapping with any of the keys
            ``x_for``, ``x_proto``, ``x_host``, ``x_port``, ``x_prefix``, ``forwarded``; missing
            keys mean 0.
        :return: the hops, or ``None`` when nothing is trusted.
        :raises ValueError: for an unknown key or a negative or non-int count.
        """
        if value is None:
            return None
        unknown = set(value) - set(_HOP_KEYS)
        if unknown:
            raise ValueError(
                f"PROXY_FIX has unknown keys {sorted(unknown)}; the keys are {list(_HOP_KEYS)}."
            )
        hops = cls(**value)
        if not any(getattr(hops, key) for key in _HOP_KEYS):
            return None
        return hops


@dataclass(slots=True)
class ForwardedValues:
    """The trusted values found in the forwarding headers; ``None`` means "keep the original".

    :param remote_addr: the client address.
    :param scheme: ``"http"`` or ``"https"``.
    :param host: the host, possibly with a port.
    :param port: the port to put on the host.
    :param prefix: the path prefix the proxy removed (the new root path).
    """

    remote_addr: str | None = None
    scheme: str | None = None
    host: str | None = None
    port: str | None = None
    prefix: str | None = None


def _nth_from_right(trusted: int, value: str | None) -> str | None:
    if not trusted or not value:
        return None
    values = value.split(",")
    if len(values) < trusted:
        # Fewer values than trusted proxies: the request did not come through all of them.
        return None
    return values[-trusted].strip() or None


def _client_address(value: str | None) -> str | None:
    """An IP address from an ``X-Forwarded-For`` or ``Forwarded: for=`` value, port dropped."""
    if not value:
        return None
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value.partition("%")[0]))
    except ValueError:
        # "unknown", obfuscated identifiers ("_hidden") and garbage are not addresses.
        return None


def _scheme(value: str | None) -> str | None:
    if value is None:
        return None
    return _PROTOS.get(value.lower())


def _host(value: str | None) -> str | None:
    if value is None or split_host(value) is None:
        return None
    return value


def _port(value: str | None) -> str | None:
    # isdigit() alone admits "¹" and other digits int() refuses.
    if (
        value is None
        or not (value.isascii() and value.isdigit())
        or len(value) > 5
        or not 0 < int(value) < 65536
    ):
        return None
    return str(int(value))


def _prefix(value: str | None) -> str | None:
    # "//evil.example" would turn every generated URL into a scheme-relative link elsewhere.
    if value is None or not value.startswith("/") or value.startswith("//"):
        return None
    if _PREFIX_BAD.search(value):
        return None
    return value.rstrip("/")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """Parse an RFC 7239 ``Forwarded`` header into one dict per element (per proxy hop).

    Parameter names are lower-cased; quoted values are unquoted. Commas and semicolons inside
    quoted strings do not split. Malformed pairs (no ``=``) are skipped.

    :param value: the header value (several header lines joined with ``,``).
    :return: the elements, client side first.
    """
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    token: list[str] = []
    in_quotes = escaped = False

    def end_pair() -> None:
        pair = "".join(token)
        token.clear()
        name, sep, raw = pair.partition("=")
        name = name.strip().lower()
        if sep and name and name not in current:
            current[name] = _unquote(raw)

    for char in value:
        if in_quotes:
            token.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
            token.append(char)
        elif char == ";":
            end_pair()
        elif char == ",":
            end_pair()
            elements.append(current)
            current = {}
        else:
            token.append(char)
    end_pair()
    elements.append(current)
    return elements


def resolve_forwarded(
    hops: ForwardedHops, get_header: t.Callable[[str], str | None]
) -> ForwardedValues:
    """Find the trusted forwarded values for one request.

    :param hops: how many proxies to trust per header.
    :param get_header: returns a request header's value (repeated headers joined with ``,``),
        or ``None`` when it is absent.
    :return: the values to apply; invalid or untrusted values are ``None``.
    """
    rv = ForwardedValues(
        remote_addr=_client_address(_nth_from_right(hops.x_for, get_header("X-Forwarded-For"))),
        scheme=_scheme(_nth_from_right(hops.x_proto, get_header("X-Forwarded-Proto"))),
        host=_host(_nth_from_right(hops.x_host, get_header("X-Forwarded-Host"))),
        port=_port(_nth_from_right(hops.x_port, get_header("X-Forwarded-Port"))),
        prefix=_prefix(_nth_from_right(hops.x_prefix, get_header("X-Forwarded-Prefix"))),
    )
    if hops.forwarded:
        header = get_header("Forwarded")
        if header:
            elements = parse_forwarded(header)
            if len(elements) >= hops.forwarded:
                element = elements[-hops.forwarded]
                rv.remote_addr = _client_address(element.get("for")) or rv.remote_addr
                rv.scheme = _scheme(element.get("proto")) or rv.scheme
                rv.host = _host(element.get("host")) or rv.host
    return rv


def _with_port(host: str, port: str) -> str:
    # "]" marks an IPv6 literal without a port; its colons are not a port separator.
    if ":" in host and not host.endswith("]"):
        host = host.rpartition(":")[0]
    return f"{host}:{port}"


def apply_to_request(request: Request, hops: ForwardedHops) -> None:
    """Rewrite ``request`` with the trusted forwarded values, before it is routed.

    Sets :attr:`~tumbler.wrappers.Request.remote_addr`, :attr:`~tumbler.wrappers.Request.scheme`,
    the ``Host`` header and :attr:`~tumbler.wrappers.Request.root_path`, and mirrors them into
    ``request.environ``. The original values are kept in
    ``request.environ["tumbler.proxy_fix.orig"]``.

    :param request: the incoming request.
    :param hops: how many proxies to trust per header.
    """
    headers = request.headers

    def get_header(name: str) -> str | None:
        values = headers.getlist(name)
        return ",".join(values) if values else None

    found = resolve_forwarded(hops, get_header)
    environ = request.environ
    environ["tumbler.proxy_fix.orig"] = {
        "REMOTE_ADDR": request.remote_addr,
        "wsgi.url_scheme": request.scheme,
        "HTTP_HOST": headers.get("Host"),
        "SCRIPT_NAME": request.root_path,
    }
    if found.remote_addr is not None:
        request.remote_addr = environ["REMOTE_ADDR"] = found.remote_addr
    if found.scheme is not None:
        scheme = found.scheme
        if request.scheme in {"ws", "wss"}:
            scheme = "wss" if scheme == "https" else "ws"
        request.scheme = environ["wsgi.url_scheme"] = scheme
    host = found.host
    if found.port is not None:
        current = host or headers.get("Host")
        if current:
            host = _with_port(current, found.port)
    if host is not None:
        if isinstance(headers, EnvironHeaders):
            # The header view reads this environ, so the new Host shows through it.
            t.cast("dict[str, t.Any]", headers.environ)["HTTP_HOST"] = host
        else:
            try:
                headers["Host"] = host
            except TypeError:
                from .datastructures import Headers

                request.headers = headers = Headers(headers)
                headers["Host"] = host
        environ["HTTP_HOST"] = host
    if found.prefix is not None:
        request.root_path = environ["SCRIPT_NAME"] = found.prefix


class ProxyFix:
    """Middleware that trusts forwarding headers from a known number of proxies.

    Wraps a WSGI application (``app(environ, start_response)``) or an ASGI application
    (``await app(scope, receive, send)``); a Tumbler app is both, so ``ProxyFix(app)`` serves
    either protocol, while ``app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)`` ports Werkzeug code
    as it is. The app's ``PROXY_FIX`` config key does the same without any wrapping.

    - ``X-Forwarded-For`` sets the client address (``REMOTE_ADDR`` / ``scope["client"]``).
    - ``X-Forwarded-Proto`` sets the scheme (``wsgi.url_scheme`` / ``scope["scheme"]``).
    - ``X-Forwarded-Host`` and ``X-Forwarded-Port`` set the ``Host`` header.
    - ``X-Forwarded-Prefix`` sets the root path (``SCRIPT_NAME`` / ``scope["root_path"]``).
    - ``Forwarded`` (RFC 7239) sets the client address, scheme and host, and wins over the above.

    Trust only as many values as there are proxies you run in front of the app: a client can
    send any of these headers itself, and a trusted count that is too high lets it choose its
    own address, scheme and host. The originals are kept under ``tumbler.proxy_fix.orig`` in
    the environ or scope.

    :param app: the WSGI or ASGI application to wrap.
    :param x_for: ``X-Forwarded-For`` values to trust.
    :param x_proto: ``X-Forwarded-Proto`` values to trust.
    :param x_host: ``X-Forwarded-Host`` values to trust.
    :param x_port: ``X-Forwarded-Port`` values to trust.
    :param x_prefix: ``X-Forwarded-Prefix`` values to trust.
    :param forwarded: ``Forwarded`` elements to trust.
    :raises ValueError: when a count is negative or not an int.
    """

    def __init__(
        self,
        app: t.Any,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
        forwarded: int = 0,
    ) -> None:
        self.app = app
        self.hops = ForwardedHops(x_for, x_proto, x_host, x_port, x_prefix, forwarded)

    def __call__(self, a: t.Any, b: t.Any, c: t.Any = None) -> t.Any:
        """WSGI ``(environ, start_response)`` or ASGI ``(scope, receive, send)``."""
        if c is None:
            return self.app(self.fix_environ(a), b)
        return self.app(self.fix_scope(a), b, c)

    def fix_environ(self, environ: dict[str, t.Any]) -> dict[str, t.Any]:
        """Apply the trusted values to a WSGI environ, in place, and return it."""

        def get_header(name: str) -> str | None:
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
            return value if isinstance(value, str) else None

        found = resolve_forwarded(self.hops, get_header)
        environ["tumbler.proxy_fix.orig"] = {
            key: environ.get(key)
            for key in ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SCRIPT_NAME")
        }
        if found.remote_addr is not None:
            environ["REMOTE_ADDR"] = found.remote_addr
        if found.scheme is not None:
            environ["wsgi.url_scheme"] = found.scheme
        host = found.host
        if found.port is not None:
            current = host or environ.get("HTTP_HOST")
            if current:
                host = _with_port(current, found.port)
        if host is not None:
            environ["HTTP_HOST"] = host
        if found.prefix is not None:
            environ["SCRIPT_NAME"] = found.prefix
        return environ

    def fix_scope(self, scope: dict[str, t.Any]) -> dict[str, t.Any]:
        """Return a copy of an ASGI ``http`` or ``websocket`` scope with the trusted values
        applied; other scope types (``lifespan``) are returned unchanged."""
        if scope.get("type") not in {"http", "websocket"}:
            return scope
        raw: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        joined: dict[str, list[str]] = {}
        for key, value in raw:
            joined.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))

        def get_header(name: str) -> str | None:
            values = joined.get(name.lower())
            return ",".join(values) if values else None

        found = resolve_forwarded(self.hops, get_header)
        scope = dict(scope)
        client = scope.get("client")
        scope["tumbler.proxy_fix.orig"] = {
            "client": client,
            "scheme": scope.get("scheme"),
            "host": get_header("host"),
            "root_path": scope.get("root_path", ""),
        }
        if found.remote_addr is not None:
            scope["client"] = (found.remote_addr, client[1] if client else 0)
        if found.scheme is not None:
            scheme = found.scheme
            if scope["type"] == "websocket":
                scheme = "wss" if scheme == "https" else "ws"
            scope["scheme"] = scheme
        host = found.host
        if found.port is not None:
            current = host or get_header("host")
            if current:
                host = _with_port(current, found.port)
        if host is not None:
            encoded = host.encode("latin-1")
            raw = [(k, v) for k, v in raw if k.lower() != b"host"]
            raw.append((b"host", encoded))
            scope["headers"] = raw
        if found.prefix is not None:
            scope["root_path"] = found.prefix
        return scope
