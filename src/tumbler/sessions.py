"""Sessions: per-client data kept between requests, by default in a signed cookie.

The default :class:`SecureCookieSessionInterface` stores the session dict in a cookie signed
with the app's ``SECRET_KEY`` (HMAC-SHA1 through itsdangerous, as Flask does). The client can
read the contents but not change them: a tampered or expired cookie is ignored and the request
gets a new, empty session. Do not put secrets in the session.

Protections and how to relax them (all in the app config):

* **Tampering / forgery**: every cookie is signed; ``SECRET_KEY_FALLBACKS`` lists old keys that
  are still accepted for reading, so keys can be rotated without logging everyone out.
* **Replay of old cookies**: cookies older than ``PERMANENT_SESSION_LIFETIME`` are rejected,
  whatever the cookie's own expiry says.
* **Theft by script (XSS)**: ``HttpOnly`` (``SESSION_COOKIE_HTTPONLY``, default on).
* **Cross-site request forgery**: ``SameSite=Lax`` (``SESSION_COOKIE_SAMESITE``; set ``None``
  only if another site must send requests with the session).
* **Theft on the wire**: ``Secure`` when ``SESSION_COOKIE_SECURE`` is set or the request came
  over HTTPS.
* **Code execution from cookie data**: the format is tagged JSON (:mod:`tumbler.json.tag`),
  never pickle.

Unlike Flask, changes made *inside* a mutable value (``session["cart"].append(item)``) are
detected and saved; setting ``session.modified = True`` by hand still works.
"""

from __future__ import annotations

import hashlib
import typing as t
from collections.abc import MutableMapping
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer

from tumbler.datastructures import CallbackDict
from tumbler.json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    from tumbler.wrappers import Request
    from tumbler.wrappers import Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
]

_NO_SECRET_KEY = (
    "The session is unavailable because no secret key was set. Set the secret_key on the"
    " application to something unique and secret."
)

# Values that can change in place without the session noticing a __setitem__.
_MUTABLE_TYPES = (dict, list, set, bytearray)


class SessionMixin(MutableMapping[str, t.Any]):
    """The session attributes beyond the dict interface."""

    __slots__ = ()

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (stored under ``"_permanent"``).

        A permanent session's cookie expires after ``PERMANENT_SESSION_LIFETIME``; otherwise
        the browser drops it when it closes.
        """
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Whether the session was just created rather than loaded. Backends may not know;
    #: the default cookie session sets it when no valid cookie came with the request.
    new = False

    #: Whether the session was changed and must be saved. Set it to ``True`` yourself to
    #: force a save.
    modified = True

    #: Whether the session was read or written; if so the response gets ``Vary: Cookie``
    #: so caches keep one copy per session.
    accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The session dict of :class:`SecureCookieSessionInterface`.

    Sets :attr:`modified` (and :attr:`accessed`) on every change, and :attr:`accessed` on
    every read, including ``in``, iteration and ``len``.

    :param initial: the loaded session data.
    """

    #: Set on every change.
    modified = False

    #: Set on every read or change.
    accessed = False

    def __init__(self, initial: t.Mapping[str, t.Any] | None = None) -> None:
        def on_update(self: SecureCookieSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)
        # The signed cookie this session was loaded from; save_session re-reads it to spot
        # in-place changes to nested values.
        self._loaded_cookie: str | None = None
        # Whether the request that opened the session came over HTTPS, so the cookie is
        # marked Secure even when SESSION_COOKIE_SECURE is off.
        self._opened_over_https = False

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        """Return the value for ``key``, or ``default``; marks the session accessed."""
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        """Return ``self[key]``, setting it to ``default`` first if missing."""
        self.accessed = True
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def keys(self) -> t.KeysView[str]:  # type: ignore[override]
        """The keys; marks the session accessed."""
        self.accessed = True
        return super().keys()

    def values(self) -> t.ValuesView[t.Any]:  # type: ignore[override]
        """The values; marks the session accessed."""
        self.accessed = True
        return super().values()

    def items(self) -> t.ItemsView[str, t.Any]:  # type: ignore[override]
        """The items; marks the session accessed."""
        self.accessed = True
        return super().items()

    def has_mutable_values(self) -> bool:
        """Whether any value could be changed in place (a dict, list, set or bytearray)."""
        return any(isinstance(v, _MUTABLE_TYPES) for v in dict.values(self))


class NullSession(SecureCookieSession):
    """The session used when no secret key is set: reads work (it is empty), writes raise.

    :raises RuntimeError: on any change, explaining that a secret key is needed.
    """

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(_NO_SECRET_KEY)

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    __ior__ = _fail


class SessionInterface:
    """The interface to implement to store sessions elsewhere (a database, Redis...).

    Set an instance as ``app.session_interface``. The app calls :meth:`open_session` at the
    start of each request and :meth:`save_session` before sending the response. The
    ``get_cookie_*`` methods read the ``SESSION_COOKIE_*`` config, so custom backends get the
    same cookie policy.
    """

    #: The class :meth:`make_null_session` returns.
    null_session_class: type[SessionMixin] = NullSession

    #: Whether this interface uses pickle. Kept for Flask compatibility; the built-in
    #: interface never does.
    pickle_based = False

    def make_null_session(self, app: t.Any) -> SessionMixin:
        """Return the stand-in session used when :meth:`open_session` returns ``None``.

        Reads see an empty session; writes raise with a message about the missing secret key.
        """
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session (so it need not be saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: t.Any) -> str:
        """The cookie name: ``SESSION_COOKIE_NAME`` (default ``"session"``)."""
        return str(app.config.get("SESSION_COOKIE_NAME") or "session")

    def get_cookie_domain(self, app: t.Any) -> str | None:
        """The cookie's ``Domain``: ``SESSION_COOKIE_DOMAIN``; ``None`` (the default) limits
        the cookie to the exact host that set it, which is the safest choice."""
        domain = app.config.get("SESSION_COOKIE_DOMAIN")
        return domain or None

    def get_cookie_path(self, app: t.Any) -> str:
        """The cookie's ``Path``: ``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``, else
        ``"/"``."""
        config = app.config
        return str(config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/")

    def get_cookie_httponly(self, app: t.Any) -> bool:
        """Whether to set ``HttpOnly``: ``SESSION_COOKIE_HTTPONLY``, default ``True``."""
        return bool(app.config.get("SESSION_COOKIE_HTTPONLY", True))

    def get_cookie_secure(self, app: t.Any) -> bool:
        """Whether ``SESSION_COOKIE_SECURE`` forces ``Secure`` (HTTPS requests always get it)."""
        return bool(app.config.get("SESSION_COOKIE_SECURE", False))

    def get_cookie_samesite(self, app: t.Any) -> str | None:
        """The ``SameSite`` value: ``SESSION_COOKIE_SAMESITE``, ``"Lax"`` when the key is
        absent. An explicit ``None`` sends no ``SameSite`` attribute."""
        return t.cast("str | None", app.config.get("SESSION_COOKIE_SAMESITE", "Lax"))

    def get_cookie_partitioned(self, app: t.Any) -> bool:
        """Whether to set ``Partitioned`` (CHIPS): ``SESSION_COOKIE_PARTITIONED``."""
        return bool(app.config.get("SESSION_COOKIE_PARTITIONED", False))

    def get_expiration_time(self, app: t.Any, session: SessionMixin) -> datetime | None:
        """When the cookie expires: now plus the permanent lifetime for a permanent session,
        ``None`` (end of browser session) otherwise."""
        if session.permanent:
            return datetime.now(UTC) + _permanent_lifetime(app)
        return None

    def should_set_cookie(self, app: t.Any, session: SessionMixin) -> bool:
        """Whether to send the cookie: if the session was modified, or if it is permanent
        and ``SESSION_REFRESH_EACH_REQUEST`` (default on) asks to renew its expiry."""
        return session.modified or (
            session.permanent and bool(app.config.get("SESSION_REFRESH_EACH_REQUEST", True))
        )

    def open_session(self, app: t.Any, request: Request) -> SessionMixin | None:
        """Load the session for ``request``.

        :return: the session, or ``None`` to use :meth:`make_null_session` (e.g. when no
            secret key is configured).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement open_session().")

    def _cookie_attributes(self, app: t.Any, session: SessionMixin) -> dict[str, t.Any]:
        # The attributes a session cookie is set and deleted with (a deletion must match them).
        return {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app)
            or bool(getattr(session, "_opened_over_https", False)),
            "partitioned": self.get_cookie_partitioned(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }

    def save_session(self, app: t.Any, session: SessionMixin, response: Response) -> None:
        """Persist ``session`` and set or delete the cookie on ``response``.

        Not called for a null session.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement save_session().")


def _permanent_lifetime(app: t.Any) -> timedelta:
    lifetime = getattr(app, "permanent_session_lifetime", None)
    if lifetime is None:
        lifetime = app.config.get("PERMANENT_SESSION_LIFETIME", timedelta(days=31))
    if isinstance(lifetime, int | float):
        lifetime = timedelta(seconds=lifetime)
    return t.cast(timedelta, lifetime)


#: The serializer the cookie session uses: tagged JSON, never pickle.
session_json_serializer = TaggedJSONSerializer()


class SecureCookieSessionInterface(SessionInterface):
    """Store the session in a cookie signed with the app's secret key (the default).

    Reading accepts cookies signed with ``SECRET_KEY`` or any of ``SECRET_KEY_FALLBACKS``;
    writing always signs with ``SECRET_KEY``. A cookie that is tampered with, signed with an
    unknown key, older than ``PERMANENT_SESSION_LIFETIME`` or otherwise unreadable gives a new
    empty session.
    """

    #: Salt mixed into the signing key, so other signed values of the app cannot be replayed
    #: as a session cookie.
    salt = "cookie-session"
    #: Hash for the HMAC signature (SHA-1, as Flask, so Flask cookies keep working).
    digest_method = staticmethod(hashlib.sha1)
    #: itsdangerous key derivation.
    key_derivation = "hmac"
    #: Serializer of the payload.
    serializer: t.Any = session_json_serializer
    #: The session class to create.
    session_class: type[SecureCookieSession] = SecureCookieSession

    def __init__(self) -> None:
        self._serializer_cache: tuple[tuple[t.Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: t.Any) -> URLSafeTimedSerializer | None:
        """Return the itsdangerous serializer for the app's keys, or ``None`` without a key.

        The fallback keys come first and the current key last, which is how itsdangerous
        tells it to verify with all of them and sign with the last.
        """
        secret_key = app.secret_key
        if not secret_key:
            return None
        keys: list[t.Any] = list(app.config.get("SECRET_KEY_FALLBACKS") or ())
        keys.append(secret_key)
        cache_key = (tuple(keys), self.salt, self.serializer, self.key_derivation)
        cached = self._serializer_cache
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        serializer = URLSafeTimedSerializer(
            keys,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        self._serializer_cache = (cache_key, serializer)
        return serializer

    def open_session(self, app: t.Any, request: Request) -> SecureCookieSession | None:
        """Load the session from the request's cookie.

        :return: the loaded session; a new empty one if the cookie is missing, tampered
            with, expired or unreadable; ``None`` if the app has no secret key.
        """
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        session: SecureCookieSession | None = None
        if value:
            max_age = int(_permanent_lifetime(app).total_seconds())
            try:
                data = serializer.loads(value, max_age=max_age)
            except BadData:
                data = None
            if isinstance(data, dict):
                session = self.session_class(data)
                session._loaded_cookie = value
        if session is None:
            session = self.session_class()
            session.new = True
        if request.is_secure:
            session._opened_over_https = True
        return session

    def _nested_values_changed(self, app: t.Any, session: SecureCookieSession) -> bool:
        # Only reachable when the session was read but not assigned to: compare the current
        # contents with the cookie they were loaded from. Mutable values are the only way the
        # contents can differ without __setitem__ having been called.
        loaded = getattr(session, "_loaded_cookie", None)
        if loaded is None or not session.has_mutable_values():
            return False
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return False
        try:
            original = serializer.loads(loaded)
        except BadData:
            return True
        return bool(original != dict.copy(session))

    def save_session(self, app: t.Any, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the session cookie on ``response``.

        Adds ``Vary: Cookie`` whenever the session was accessed; deletes the cookie when a
        modified session is empty; otherwise sets it when :meth:`should_set_cookie` says so.
        """
        name = self.get_cookie_name(app)
        attributes = self._cookie_attributes(app, session)

        if session.accessed:
            response.vary.add("Cookie")
            if (
                not session.modified
                and isinstance(session, SecureCookieSession)
                and self._nested_values_changed(app, session)
            ):
                session.modified = True

        data = dict.copy(session) if isinstance(session, dict) else dict(session)
        if not data:
            if session.modified:
                response.delete_cookie(name, **attributes)
                response.vary.add("Cookie")
            return

        if not self.should_set_cookie(app, session):
            return

        serializer = self.get_signing_serializer(app)
        if serializer is None:
            raise RuntimeError(_NO_SECRET_KEY)
        response.set_cookie(
            name,
            serializer.dumps(data),
            expires=self.get_expiration_time(app, session),
            **attributes,
        )
        response.vary.add("Cookie")
