"""Protections every request and response gets unless the app relaxes them.

On the way in (before routing), :meth:`SecurityPolicy.check_request`:

- refuses requests with too many or too large headers (431, ``MAX_HEADER_COUNT`` and
  ``MAX_HEADER_BYTES``);
- applies the ``PROXY_FIX`` setting, so forwarding headers are believed only from trusted
  proxies (and ignored otherwise);
- validates the ``Host`` header (400): against ``TRUSTED_HOSTS`` when set; otherwise debug and
  testing accept any well-formed host, and production accepts only localhost names and the host
  of ``SERVER_NAME``, so a forged ``Host`` cannot poison external URLs or redirects.

On the way out, :meth:`SecurityPolicy.apply_response_headers` adds the default security headers
(``SECURITY_HEADERS``), HSTS on HTTPS (``HSTS_SECONDS``) and the Content-Security-Policy
(``CONTENT_SECURITY_POLICY``, with a per-request nonce from :func:`csp_nonce`), each only when
the response does not already carry it.

The policy is built once per app from its config, when the app handles its first request;
change these settings before that.
"""

from __future__ import annotations

import secrets
import sys
import typing as t
from itertools import chain

from .datastructures import EnvironHeaders
from .datastructures import Headers
from .datastructures import ImmutableDict
from .datastructures.headers import RawHeaders
from .exceptions import BadHost
from .exceptions import HTTPException
from .exceptions import RequestHeaderFieldsTooLarge
from .globals import _cv_context
from .proxy_fix import ForwardedHops
from .proxy_fix import apply_to_request
from .proxy_fix import split_host

if t.TYPE_CHECKING:
    from .app import Tumbler
    from .csrf import CSRFProtection
    from .wrappers import Request
    from .wrappers import Response

__all__ = [
    "DEFAULT_SECURITY_HEADERS",
    "LOCAL_HOSTS",
    "HostPolicy",
    "SecurityPolicy",
    "build_csp",
    "csp_nonce",
]

#: Headers added to every response that does not set them itself. ``SECURITY_HEADERS`` entries
#: replace these; an entry set to ``None`` removes one.
DEFAULT_SECURITY_HEADERS: ImmutableDict[str, str] = ImmutableDict(
    {
        # Browsers must not guess a script or stylesheet out of an upload or a JSON body.
        "X-Content-Type-Options": "nosniff",
        # No other site may frame the pages (clickjacking).
        "X-Frame-Options": "DENY",
        # Full URLs (with their query strings) stay on this site; other sites see the origin.
        "Referrer-Policy": "strict-origin-when-cross-origin",
        # Windows this site opens, or that open it, get no handle on each other.
        "Cross-Origin-Opener-Policy": "same-origin",
    }
)

#: Host patterns accepted when ``TRUSTED_HOSTS`` is unset outside debug and testing.
LOCAL_HOSTS = ("localhost", ".localhost", "127.0.0.1", "[::1]")

# How many distinct Host values a policy remembers; beyond that each is checked afresh, so a
# client sending random hosts costs a little time but no memory.
_HOST_CACHE_SIZE = 512

_UNLIMITED = sys.maxsize


class HostPolicy:
    """Decides which ``Host`` values an app answers.

    A pattern is a name (``"example.com"``, any port), a name with a port
    (``"example.com:8443"``, only that port), a suffix (``".example.com"``: the name and every
    subdomain), an IP literal (``"127.0.0.1"``, ``"[::1]"``), or ``"*"`` (any well-formed host).
    Matching ignores case and accepts international names in their punycode form. A malformed
    ``Host`` (spaces, ``/``, ``@``, a bad port...) is refused whatever the patterns.

    :param patterns: the accepted patterns.
    :param hint: extra text for the 400 page, telling the operator what to configure.
    :raises ValueError: for a pattern that is not a valid host.
    """

    __slots__ = ("_any", "_cache", "_exact", "_hint", "_suffixes")

    def __init__(self, patterns: t.Iterable[str], hint: str = "") -> None:
        if isinstance(patterns, str):
            raise TypeError("TRUSTED_HOSTS must be a list of host names, not a string.")
        self._any = False
        self._exact: set[tuple[str, int | None]] = set()
        suffixes: list[str] = []
        for pattern in patterns:
            if pattern == "*":
                self._any = True
                continue
            suffix = pattern.startswith(".")
            text = pattern[1:] if suffix else pattern
            if ":" in text and not text.startswith("[") and text.count(":") > 1:
                text = f"[{text}]"  # a bare IPv6 address such as "::1"
            parsed = split_host(text)
            if parsed is None:
                raise ValueError(f"Invalid host pattern {pattern!r} in TRUSTED_HOSTS.")
            if suffix:
                suffixes.append("." + parsed[0])
            self._exact.add(parsed)
        self._suffixes = tuple(suffixes)
        self._hint = hint
        self._cache: dict[str, bool] = {}

    def allows(self, host: str) -> bool:
        """Return whether ``host`` (a ``Host`` header value, port optional) is accepted."""
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        result = self._match(host)
        if len(self._cache) < _HOST_CACHE_SIZE:
            self._cache[host] = result
        return result

    def _match(self, host: str) -> bool:
        parsed = split_host(host)
        if parsed is None:
            return False
        if self._any:
            return True
        name, port = parsed
        exact = self._exact
        if (name, None) in exact or (port is not None and parsed in exact):
            return True
        if name.endswith(".") and (name[:-1], None) in exact:
            return True  # "example.com." is the fully qualified "example.com"
        for suffix in self._suffixes:
            if name.endswith(suffix) or name.endswith(suffix + "."):
                return True
        return False

    def error(self, host: str) -> BadHost:
        """Return the 400 error for a refused ``host``, with the configuration hint."""
        shown = host if len(host) <= 100 else host[:100] + "..."
        if split_host(host) is None:
            return BadHost(f"The Host header {shown!r} is not a valid host name.")
        return BadHost(f"The host {shown!r} is not allowed.{self._hint}")


def build_csp(value: str | t.Mapping[str, t.Any] | None) -> tuple[str, ...] | None:
    """Compile ``CONTENT_SECURITY_POLICY`` into the parts around the nonce.

    :param value: a header string, or a mapping of directive to source(s) (a string or a list
        of strings; ``True`` or ``""`` for a directive without sources such as
        ``upgrade-insecure-requests``), or ``None`` for no policy. ``{nonce}`` in a source is
        replaced by the request's nonce, and the bare source ``'nonce'`` becomes
        ``'nonce-<value>'``.
    :return: ``None`` for no policy; a 1-tuple for a policy without a nonce; otherwise the text
        pieces to join with the nonce between them.
    :raises TypeError: for a value of another type.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, t.Mapping):
        directives = []
        for name, sources in value.items():
            if sources is None or sources is False:
                continue
            if sources is True or sources == "":
                directives.append(str(name))
                continue
            if isinstance(sources, str):
                sources = [sources]
            directives.append(" ".join([str(name), *map(str, sources)]))
        text = "; ".join(directives)
    else:
        raise TypeError("CONTENT_SECURITY_POLICY must be a string, a dict or None.")
    text = text.replace("'nonce'", "'nonce-{nonce}'")
    if "\n" in text or "\r" in text:
        raise ValueError("CONTENT_SECURITY_POLICY must not contain line breaks.")
    return tuple(text.split("{nonce}"))


def _has_frame_ancestors(csp: tuple[str, ...] | None) -> bool:
    return csp is not None and "frame-ancestors" in "".join(csp).lower()


def csp_nonce() -> str:
    """Return the Content-Security-Policy nonce of the current request.

    The same value is returned for every call during one request and is put in the
    ``Content-Security-Policy`` header wherever the configured policy says ``{nonce}`` or
    ``'nonce'``. Use it on inline scripts and styles the page trusts:
    ``<script nonce="{{ csp_nonce() }}">``.

    :raises RuntimeError: outside a request context.
    """
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        from .globals import _no_req_msg

        raise RuntimeError(_no_req_msg)
    return _request_nonce(ctx.request)


def _request_nonce(request: Request) -> str:
    nonce: str | None = request.__dict__.get("_csp_nonce")
    if nonce is None:
        nonce = request.__dict__["_csp_nonce"] = secrets.token_urlsafe(18)
    return nonce


_is_str = str.__instancecheck__


def _header_totals(headers: Headers) -> tuple[int, int]:
    """Count the request's header fields and their total size (names plus values)."""
    count = size = 0
    if isinstance(headers, EnvironHeaders):
        for key, value in headers.environ.items():
            if type(value) is not str:
                continue
            if key[:5] == "HTTP_":
                count += 1
                size += len(key) - 5 + len(value)
            elif (key == "CONTENT_TYPE" or key == "CONTENT_LENGTH") and value:
                count += 1
                size += len(key) + len(value)
        return count, size
    for key, value in headers:
        count += 1
        size += len(key) + len(value)
    return count, size


def _within_header_limits(headers: Headers, max_count: int, max_bytes: int) -> bool:
    """A quick test that can only err towards "maybe not": ``True`` means the headers are
    certainly within both limits; ``False`` means :func:`_header_totals` must decide."""
    # Every loop below runs in C; counting exactly in Python would cost more than the rest of
    # the request checks together.
    if type(headers) is EnvironHeaders:
        environ = headers.environ
        # The environ holds every header plus a few CGI variables, so its sizes bound theirs.
        return (
            len(environ) <= max_count
            and len("".join(environ)) + len("".join(filter(_is_str, environ.values()))) <= max_bytes
        )
    if type(headers) is Headers:
        pairs = headers._list
        return len(pairs) <= max_count and sum(map(len, chain.from_iterable(pairs))) <= max_bytes
    return False


class SecurityPolicy:
    """One app's request checks and response headers, computed once from its config.

    :param app: the application; its config is read now.
    :raises ValueError: for an invalid ``TRUSTED_HOSTS`` pattern or ``PROXY_FIX`` value.
    """

    __slots__ = (
        "_bytes_limit",
        "_count_limit",
        "_csp",
        "_header_lowers",
        "_header_names",
        "_header_pairs",
        "_headers",
        "_hosts",
        "_hsts",
        "_max_bytes",
        "_max_count",
        "_names_content_headers",
        "_proxy",
        "csrf",
        "reads_request",
    )

    def __init__(self, app: Tumbler) -> None:
        config = app.config
        self._max_count: int | None = config.get("MAX_HEADER_COUNT")
        self._max_bytes: int | None = config.get("MAX_HEADER_BYTES")
        self._count_limit = self._max_count or _UNLIMITED
        self._bytes_limit = self._max_bytes or _UNLIMITED
        self._proxy = ForwardedHops.from_config(config.get("PROXY_FIX"))
        self._hosts = self._host_policy(app)
        self._csp = build_csp(config.get("CONTENT_SECURITY_POLICY"))
        headers = dict(DEFAULT_SECURITY_HEADERS)
        headers.update(config.get("SECURITY_HEADERS") or {})
        if _has_frame_ancestors(self._csp) and headers.get("X-Frame-Options") == "DENY":
            # CSP frame-ancestors supersedes X-Frame-Options; the default DENY would also block
            # the framing the policy allows.
            del headers["X-Frame-Options"]
        for name, value in headers.items():
            if value is not None and ("\n" in str(value) or "\r" in str(value)):
                raise ValueError(f"SECURITY_HEADERS[{name!r}] must not contain line breaks.")
        self._headers = tuple(
            (name, str(value), name.lower()) for name, value in headers.items() if value is not None
        )
        self._header_pairs = tuple((name, value) for name, value, _lower in self._headers)
        self._header_lowers = tuple(lower for _name, _value, lower in self._headers)
        self._header_names = frozenset(self._header_lowers)
        self._names_content_headers = not self._header_names.isdisjoint(
            {"content-type", "content-length"}
        )
        seconds = config.get("HSTS_SECONDS") or 0
        hsts: str | None = None
        if seconds:
            hsts = f"max-age={int(seconds)}"
            if config.get("HSTS_INCLUDE_SUBDOMAINS"):
                hsts += "; includeSubDomains"
            if config.get("HSTS_PRELOAD"):
                hsts += "; preload"
        self._hsts = hsts
        #: Whether :meth:`apply_response_headers` reads the request (HSTS or CSP is on).
        self.reads_request = hsts is not None or self._csp is not None
        self.csrf: CSRFProtection | None = None
        if config.get("CSRF_ENABLED", True):
            from .csrf import CSRFProtection

            self.csrf = CSRFProtection(app)

    @staticmethod
    def _host_policy(app: Tumbler) -> HostPolicy | None:
        config = app.config
        trusted = config.get("TRUSTED_HOSTS")
        if trusted is not None:
            return HostPolicy(trusted)
        if app.debug or app.testing:
            return HostPolicy(["*"])
        patterns = list(LOCAL_HOSTS)
        server_name = config.get("SERVER_NAME")
        if server_name:
            patterns.append(server_name)
        hint = (
            " Set TRUSTED_HOSTS to the host names this app is served under, for example"
            " app.config['TRUSTED_HOSTS'] = ['example.com', '.example.com']. Without it only"
            " localhost names and the host in SERVER_NAME are accepted outside debug mode."
        )
        return HostPolicy(patterns, hint)

    def check_request(self, request: Request) -> HTTPException | None:
        """Check and adjust ``request`` as it enters the app, before routing.

        Applies the header limits, then ``PROXY_FIX``, then host validation.

        :return: the error to answer with (431 or 400), or ``None`` to go on.
        """
        headers = request.headers
        max_count = self._max_count
        max_bytes = self._max_bytes
        if type(headers) is EnvironHeaders and self._proxy is None:
            environ = headers.environ
            if self._environ_within_limits(environ):
                return self._host_error(environ.get("HTTP_HOST"))
        elif (
            type(headers) is RawHeaders and self._proxy is None and self._raw_within_limits(headers)
        ):
            return self._host_error(headers.summary()[1])
        if (max_count is not None or max_bytes is not None) and not _within_header_limits(
            headers, max_count or _UNLIMITED, max_bytes or _UNLIMITED
        ):
            count, size = _header_totals(headers)
            if max_count is not None and count > max_count:
                return RequestHeaderFieldsTooLarge(
                    f"The request has {count} header fields; at most {max_count} are accepted."
                )
            if max_bytes is not None and size > max_bytes:
                return RequestHeaderFieldsTooLarge(
                    f"The request headers total {size} bytes; at most {max_bytes} are accepted."
                )
        if self._proxy is not None:
            apply_to_request(request, self._proxy)
            headers = request.headers
        if type(headers) is EnvironHeaders:
            return self._host_error(headers.environ.get("HTTP_HOST"))
        return self._host_error(headers.get("Host"))

    def _environ_within_limits(self, environ: t.Mapping[str, t.Any]) -> bool:
        # The common WSGI case: the environ holds every header plus a few CGI variables, so
        # its sizes bound theirs (see _within_header_limits).
        return len(environ) <= self._count_limit and (
            self._bytes_limit is _UNLIMITED
            or len("".join(environ)) + len("".join(filter(_is_str, environ.values())))
            <= self._bytes_limit
        )

    def admits_environ(self, environ: dict[str, t.Any]) -> bool:
        """Whether a WSGI request passes :meth:`check_request` as it is: within the header
        limits, with an allowed host, and no ``PROXY_FIX`` to apply first."""
        return (
            self._proxy is None
            and self._environ_within_limits(environ)
            and self._host_error(environ.get("HTTP_HOST")) is None
        )

    def _raw_within_limits(self, headers: RawHeaders) -> bool:
        # The common ASGI case, on the undecoded pairs (latin-1: one byte per character).
        return len(headers.raw) <= self._count_limit and headers.summary()[0] <= self._bytes_limit

    def admits_raw(self, headers: RawHeaders) -> bool:
        """Whether an ASGI request with these headers passes :meth:`check_request` as it is."""
        return (
            self._proxy is None
            and self._raw_within_limits(headers)
            and self._host_error(headers.summary()[1]) is None
        )

    def text_headers(
        self, content_type: tuple[str, str], length: int, scheme: str
    ) -> list[tuple[str, str]] | None:
        """The headers :meth:`apply_response_headers` gives a fresh text response, or ``None``
        when that needs the response object (a CSP with its per-request nonce, or security
        headers that name the content headers)."""
        if self._csp is not None or self._names_content_headers:
            return None
        headers = [content_type, ("Content-Length", str(length)), *self._header_pairs]
        if self._hsts is not None and scheme in {"https", "wss"}:
            headers.append(("Strict-Transport-Security", self._hsts))
        return headers

    def _host_error(self, host: str | None) -> HTTPException | None:
        # Without a Host header (HTTP/1.0) the host is the address the server was reached on,
        # which the client does not control.
        hosts = self._hosts
        if hosts is None or host is None or hosts.allows(host):
            return None
        return hosts.error(host)

    def apply_response_headers(self, request: Request | None, response: Response) -> None:
        """Add the security headers ``response`` lacks (default headers, HSTS on HTTPS, CSP).

        :param request: the request answered; may be ``None`` when :attr:`reads_request` is
            false (no HSTS nor CSP to add).
        """
        headers = response.headers
        if type(headers) is Headers:
            # The common case, at C speed: Headers keeps lower-cased names index-aligned.
            present = headers._lower
            if self._header_names.isdisjoint(present):
                headers._list.extend(self._header_pairs)
                present.extend(self._header_lowers)
            else:
                for name, value, lower in self._headers:
                    if lower not in present:
                        headers._list.append((name, value))
                        present.append(lower)
        else:
            for name, value, _lower in self._headers:
                if name not in headers:
                    headers[name] = value
        hsts = self._hsts
        if (
            hsts is not None
            and request is not None
            and request.scheme in {"https", "wss"}
            and "Strict-Transport-Security" not in headers
        ):
            headers["Strict-Transport-Security"] = hsts
        csp = self._csp
        if csp is not None and "Content-Security-Policy" not in headers:
            if len(csp) == 1:
                headers["Content-Security-Policy"] = csp[0]
            else:
                assert request is not None, "a nonce is made per request"
                headers["Content-Security-Policy"] = _request_nonce(request).join(csp)

    def reject(self, app: Tumbler, request: Request, error: HTTPException) -> Response:
        """Build the response for a request refused by :meth:`check_request`.

        No app code runs for it (no hooks, no error handlers): the request is refused before it
        reaches the app, so a forged host never reaches ``url_for`` or a redirect.
        """
        response = error.get_response()
        if not isinstance(response, app.response_class):
            response = app._force_type(response)
        self.apply_response_headers(request, response)
        return response
