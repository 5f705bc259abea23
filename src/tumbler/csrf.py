"""Cross-site request forgery (CSRF) protection, on by default.

A page on another site can make a visitor's browser submit a form to this app, with the
visitor's cookies attached. Unsafe requests (every method except GET, HEAD, OPTIONS and TRACE)
are therefore checked the way modern browsers allow:

1. An ``Origin`` listed in ``TRUSTED_ORIGINS`` passes.
2. ``Sec-Fetch-Site: cross-site`` is refused; ``same-origin``, ``same-site`` and ``none`` (typed
   in the address bar, a bookmark) pass.
3. Without ``Sec-Fetch-Site``, an ``Origin`` that differs from the request's own scheme and host
   is refused, and so is ``Origin: null``.
4. A request with neither header is not from a browser that could be tricked (API clients,
   ``curl``, the test client) and passes.

Token mode adds a secret per session for browsers that send neither header:
:func:`generate_csrf` (``csrf_token()`` in templates) returns a token signed with the secret
key, bound to the session and valid for ``CSRF_TIME_LIMIT`` seconds. A submitted token (form
field ``CSRF_FIELD_NAME`` or header ``CSRF_HEADER_NAME``) is always verified, and
``CSRF_TOKEN_REQUIRED = True`` requires one on every unsafe request.

A refusal is a :class:`CSRFError` (403) whose message says what to add. Views and blueprints
that must accept cross-site posts (webhooks, payment callbacks) opt out with :func:`csrf_exempt`.
"""

from __future__ import annotations

import hmac
import secrets
import typing as t

from itsdangerous import BadData
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

from .exceptions import Forbidden
from .globals import _cv_context
from .proxy_fix import split_host

if t.TYPE_CHECKING:
    from .app import Tumbler
    from .ctx import RequestContext
    from .wrappers import Request

__all__ = [
    "SAFE_METHODS",
    "CSRFError",
    "CSRFProtection",
    "csrf_exempt",
    "generate_csrf",
    "validate_csrf",
]

#: Methods that must not change state, so they are never checked.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_SESSION_KEY = "_csrf_token"
_SALT = "tumbler.csrf-token"
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_ALLOWED_SITES = frozenset({"same-origin", "same-site", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PAGE_SCHEMES = {"ws": "http", "wss": "https"}

T = t.TypeVar("T")


class CSRFError(Forbidden):
    """403: the request looks like a cross-site request forgery.

    :param description: what was wrong and what to add to make the request pass.
    :param reason: a short machine-readable cause: ``"cross-site"``, ``"origin-mismatch"``,
        ``"null-origin"``, ``"token-missing"``, ``"token-invalid"``, ``"token-expired"`` or
        ``"token-session"``.
    """

    description = "The request was refused as a possible cross-site request forgery."

    def __init__(self, description: str | None = None, reason: str = "") -> None:
        super().__init__(description)
        self.reason = reason


def csrf_exempt(obj: T) -> T:
    """Exempt a view function, a class-based view or a blueprint from CSRF checks.

    Use it for endpoints that other sites must be able to post to (webhooks, payment
    callbacks) and that authenticate requests another way (a signature, an API key), never for
    endpoints that act on a logged-in user's cookies.

    :param obj: a view function (decorate it: ``@csrf_exempt``), a :class:`~tumbler.views.View`
        subclass, or a :class:`~tumbler.Blueprint` (``csrf_exempt(bp)``); a blueprint's
        exemption covers its nested blueprints.
    :return: ``obj`` itself, marked with ``csrf_exempt = True``.
    """
    obj.csrf_exempt = True  # type: ignore[attr-defined]
    return obj


def _normalize_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or ``None`` if invalid."""
    scheme, sep, rest = value.strip().lower().partition("://")
    if not sep or scheme not in _DEFAULT_PORTS:
        return None
    parsed = split_host(rest.rstrip("/"))
    if parsed is None:
        return None
    name, port = parsed
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{name}"
    return f"{scheme}://{name}:{port}"


def _serializer(app: Tumbler) -> URLSafeTimedSerializer | None:
    key = app.secret_key
    if not key:
        return None
    keys: list[t.Any] = list(app.config.get("SECRET_KEY_FALLBACKS") or ())
    keys.append(key)
    cache_key = tuple(keys)
    cached = app.extensions.get("tumbler.csrf")
    if cached is not None and cached[0] == cache_key:
        return cached[1]
    # Fallback keys are listed first: itsdangerous signs with the last key and verifies with
    # any, so tokens issued before a key rotation stay valid until they expire.
    serializer = URLSafeTimedSerializer(keys, salt=_SALT)
    app.extensions["tumbler.csrf"] = (cache_key, serializer)
    return serializer


def _request_ctx() -> RequestContext:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        from .globals import _no_req_msg

        raise RuntimeError(_no_req_msg)
    return ctx


def generate_csrf() -> str:
    """Return the CSRF token for the current session (``csrf_token()`` in templates).

    The first call in a session stores a random secret in the session; the token is that
    secret signed with ``SECRET_KEY`` and a timestamp. Calls during one request return the same
    token. Put it in forms as
    ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`` or send it in the
    ``X-CSRF-Token`` header (the names follow ``CSRF_FIELD_NAME`` and ``CSRF_HEADER_NAME``).

    :raises RuntimeError: outside a request, or when ``SECRET_KEY`` is not set.
    """
    ctx = _request_ctx()
    request = ctx.request
    token: str | None = request.__dict__.get("_csrf_token")
    if token is not None:
        return token
    serializer = _serializer(ctx.app)
    if serializer is None:
        raise RuntimeError(
            "CSRF tokens are signed with the secret key, but SECRET_KEY is not set. Set"
            " app.secret_key (or SECRET_KEY in the config) to a long random value."
        )
    session = ctx.session
    raw = session.get(_SESSION_KEY)
    if not isinstance(raw, str) or not raw:
        raw = secrets.token_hex(20)
        session[_SESSION_KEY] = raw
    token = serializer.dumps(raw)
    request.__dict__["_csrf_token"] = token
    return token


def _check_token(ctx: RequestContext, token: str, max_age: int | None) -> None:
    serializer = _serializer(ctx.app)
    if serializer is None:
        raise CSRFError(
            "The CSRF token cannot be verified because the application has no SECRET_KEY.",
            "token-invalid",
        )
    try:
        raw = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise CSRFError(
            "The CSRF token has expired. Reload the page and submit the form again.",
            "token-expired",
        ) from None
    except BadData:
        raise CSRFError(
            "The CSRF token is invalid. Reload the page and submit the form again; do not copy"
            " tokens between sites or sessions.",
            "token-invalid",
        ) from None
    expected = ctx.session.get(_SESSION_KEY)
    if (
        not isinstance(raw, str)
        or not isinstance(expected, str)
        or not hmac.compare_digest(raw.encode(), expected.encode())
    ):
        raise CSRFError(
            "The CSRF token does not belong to this session (the session expired or changed"
            " since the page was loaded). Reload the page and submit the form again.",
            "token-session",
        )


def validate_csrf(token: str | None, max_age: int | None = None) -> None:
    """Verify a CSRF token against the current session.

    :param token: the submitted token.
    :param max_age: seconds a token stays valid; defaults to ``CSRF_TIME_LIMIT`` (``None``:
        no limit).
    :raises CSRFError: when the token is missing, malformed, tampered with, expired, or was
        issued for another session.
    :raises RuntimeError: outside a request.
    """
    ctx = _request_ctx()
    if max_age is None:
        max_age = ctx.app.config.get("CSRF_TIME_LIMIT")
    if not token:
        raise CSRFError("The CSRF token is missing.", "token-missing")
    _check_token(ctx, token, max_age)


class CSRFProtection:
    """The app's CSRF check, configured once from its config (see the module docs).

    :param app: the application; reads ``TRUSTED_ORIGINS``, ``CSRF_TOKEN_REQUIRED``,
        ``CSRF_FIELD_NAME``, ``CSRF_HEADER_NAME`` and ``CSRF_TIME_LIMIT``.
    :raises ValueError: for a ``TRUSTED_ORIGINS`` entry that is not ``scheme://host[:port]``
        (``https://*.example.com`` trusts every subdomain).
    """

    __slots__ = ("_exempt", "_origins", "_wildcards", "field", "header", "max_age", "required")

    def __init__(self, app: Tumbler) -> None:
        config = app.config
        self.required: bool = bool(config.get("CSRF_TOKEN_REQUIRED", False))
        self.field: str = config.get("CSRF_FIELD_NAME") or "csrf_token"
        self.header: str = config.get("CSRF_HEADER_NAME") or "X-CSRF-Token"
        self.max_age: int | None = config.get("CSRF_TIME_LIMIT")
        origins: set[str] = set()
        wildcards: list[tuple[str, str]] = []
        trusted = config.get("TRUSTED_ORIGINS") or ()
        if isinstance(trusted, str):
            raise TypeError("TRUSTED_ORIGINS must be a list of origins, not a string.")
        for entry in trusted:
            scheme, sep, rest = entry.partition("://")
            wildcard = rest.startswith("*.")
            normalized = _normalize_origin(f"{scheme}://{rest[2:]}" if wildcard else entry)
            if not sep or normalized is None:
                raise ValueError(
                    f"Invalid TRUSTED_ORIGINS entry {entry!r}: expected an origin such as"
                    " 'https://example.com', 'https://example.com:8443' or"
                    " 'https://*.example.com'."
                )
            if wildcard:
                scheme_part, _, host_part = normalized.partition("://")
                wildcards.append((scheme_part + "://", "." + host_part))
            else:
                origins.add(normalized)
        self._origins = frozenset(origins)
        self._wildcards = tuple(wildcards)
        self._exempt: dict[str, bool] = {}

    def _trusted(self, origin: str) -> bool:
        if origin in self._origins:
            return True
        for scheme, suffix in self._wildcards:
            if origin.startswith(scheme) and origin[len(scheme) :].endswith(suffix):
                return True
        return False

    def is_exempt(self, app: Tumbler, request: Request) -> bool:
        """Whether the matched view, its class or one of its blueprints is exempt."""
        rule = request.url_rule
        if rule is None:
            return True  # nothing matched: the 404/405 answer changes nothing
        endpoint = rule.endpoint
        cached = self._exempt.get(endpoint)
        if cached is not None:
            return cached
        view = app.view_functions.get(endpoint)
        exempt = bool(
            getattr(view, "csrf_exempt", False)
            or getattr(getattr(view, "view_class", None), "csrf_exempt", False)
        )
        if not exempt:
            for name in request.blueprints:
                blueprint = app.blueprints.get(name)
                if blueprint is not None and getattr(blueprint, "csrf_exempt", False):
                    exempt = True
                    break
        self._exempt[endpoint] = exempt
        return exempt

    def origin_error(self, request: Request) -> CSRFError | None:
        """Return the refusal for a cross-site unsafe request, or ``None`` when it may pass."""
        headers = request.headers
        origin_header = headers.get("Origin")
        origin = None
        if origin_header is not None:
            origin = _normalize_origin(origin_header)
            if origin is not None and self._trusted(origin):
                return None
        site = headers.get("Sec-Fetch-Site")
        method = request.method
        if site is not None:
            site = site.strip().lower()
            if site in _ALLOWED_SITES:
                return None
            if site == "cross-site":
                came_from = f" (Origin {origin_header!r})" if origin_header else ""
                return CSRFError(
                    f"Cross-site {method} request refused: the browser reports that it comes"
                    f" from another site{came_from}. If that site is yours, add its origin to"
                    " TRUSTED_ORIGINS, e.g. ['https://app.example.com']; if this view must"
                    " accept requests from any site, exempt it with @csrf_exempt.",
                    "cross-site",
                )
            # An unknown value (a future browser's): decide on Origin below.
        if origin_header is None:
            return None
        if origin_header.strip().lower() == "null":
            return CSRFError(
                f"{method} request refused: its Origin is 'null' (a sandboxed frame, a local"
                " file or a privacy-preserving redirect), so its site cannot be verified."
                " Submit the form from a page served by this site.",
                "null-origin",
            )
        # A websocket handshake (ws/wss) comes from a page of the http/https origin.
        scheme = _PAGE_SCHEMES.get(request.scheme, request.scheme)
        try:
            own = _normalize_origin(f"{scheme}://{request.host}")
        except Exception:
            own = None
        if origin is not None and origin == own:
            return None
        return CSRFError(
            f"Cross-origin {method} request refused: Origin {origin_header!r} does not match"
            f" this site ({own or 'unknown'}). If that origin is trusted, add it to"
            " TRUSTED_ORIGINS. Behind a proxy that terminates HTTPS or rewrites the host,"
            " configure PROXY_FIX so the app sees the public scheme and host.",
            "origin-mismatch",
        )

    def reads_form(self, request: Request) -> bool:
        """Whether :meth:`protect` will read the form body (the caller buffers it first)."""
        return request.mimetype in _FORM_TYPES and self.header not in request.headers

    def protect(self, ctx: RequestContext) -> None:
        """Check the unsafe request of ``ctx``; call it after routing, before the hooks.

        :raises CSRFError: when the request is refused.
        :raises HTTPException: when reading the form fails (413 for oversize bodies...).
        """
        request = ctx.request
        if self.is_exempt(ctx.app, request):
            return
        error = self.origin_error(request)
        if error is not None:
            raise error
        token = request.headers.get(self.header)
        if token is None and request.mimetype in _FORM_TYPES:
            token = request.form.get(self.field)
        if not token:
            if self.required:
                raise CSRFError(
                    "The CSRF token is missing. Add"
                    f' <input type="hidden" name="{self.field}" value="{{{{ csrf_token() }}}}">'
                    f" to the form, or send the token in the {self.header} header.",
                    "token-missing",
                )
            return
        _check_token(ctx, token, self.max_age)
