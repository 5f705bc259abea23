"""Server-side sessions: the cookie holds only a signed random id, the data lives in a store.

Use them instead of the default signed-cookie sessions when the session must stay private
(the client never sees its contents), grow beyond a cookie's 4 KB, or be revocable (logging out
deletes the data, so a copied cookie stops working)::

    from tumbler.server_sessions import RedisSessionStore, ServerSideSessionInterface

    app.session_interface = ServerSideSessionInterface(RedisSessionStore("redis://localhost"))

Two stores ship with Tumbler, both shared safely by several worker processes:
:class:`RedisSessionStore` (needs the ``tumbler[redis]`` extra) and :class:`SQLiteSessionStore`
(standard library only, for a single machine). Any object with the :class:`SessionStore`
methods works.

Protections, beyond those of the cookie session (``HttpOnly``, ``SameSite=Lax``, ``Secure``
on HTTPS, ``Vary: Cookie``, tagged JSON and never pickle):

* **Forged or guessed ids**: ids are 32 random bytes, and the cookie carries them signed with
  ``SECRET_KEY`` (``SECRET_KEY_FALLBACKS`` still accepted), so a forged id is rejected without
  touching the store.
* **Stale sessions**: every entry expires after ``PERMANENT_SESSION_LIFETIME``, permanent or
  not; with ``SESSION_REFRESH_EACH_REQUEST`` (default on) each request extends it.
* **Session fixation**: call :func:`regenerate_session` when a user logs in. The data moves to
  a new id and the old entry is deleted, so an id an attacker planted or captured before login
  is worthless afterwards. A client-supplied id that is not in the store is never adopted.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import sqlite3
import threading
import time
import typing as t

from itsdangerous import BadData
from itsdangerous import Signer

from .globals import current_app
from .globals import session as _session_proxy
from .sessions import SecureCookieSession
from .sessions import SecureCookieSessionInterface
from .sessions import SessionInterface
from .sessions import SessionMixin
from .sessions import _permanent_lifetime
from .sessions import session_json_serializer

if t.TYPE_CHECKING:
    from .wrappers import Request
    from .wrappers import Response

__all__ = [
    "RedisSessionStore",
    "SQLiteSessionStore",
    "ServerSideSession",
    "ServerSideSessionInterface",
    "SessionStore",
    "regenerate_session",
]

_NO_SECRET_KEY = (
    "The session is unavailable because no secret key was set. Set the secret_key on the"
    " application to something unique and secret."
)


@t.runtime_checkable
class SessionStore(t.Protocol):
    """What :class:`ServerSideSessionInterface` needs from a store.

    Keys are str, values opaque bytes. A store may also offer ``touch(key, ttl_seconds)``,
    which extends an existing entry's lifetime without rewriting it; with it, requests that only
    read the session keep it alive (``SESSION_REFRESH_EACH_REQUEST``) without the risk of
    overwriting a concurrent request's changes with stale data.
    """

    def get(self, key: str) -> bytes | None:
        """Return the value stored under ``key``, or ``None`` if missing or expired."""
        ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store ``value`` under ``key``, replacing any value, expiring in ``ttl_seconds``."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...


class ServerSideSession(SecureCookieSession):
    """The session dict of :class:`ServerSideSessionInterface`.

    Tracks reads and changes like :class:`~tumbler.sessions.SecureCookieSession` (including
    in-place changes to nested values, detected when saving).

    :param initial: the loaded session data.
    :param sid: the session id, the store key without its prefix. Treat it as a secret: it is
        what the cookie proves possession of.
    """

    __slots__ = ("_discard_cookie", "_in_store", "_loaded_data", "_resign_cookie", "sid")

    def __init__(self, initial: t.Mapping[str, t.Any] | None = None, *, sid: str) -> None:
        super().__init__(initial)
        self.sid = sid
        # The serialized data as loaded, to spot in-place changes to nested values.
        self._loaded_data: bytes | None = None
        # Whether the store holds an entry under ``sid`` that saving must update or delete.
        self._in_store = False
        # The request sent a cookie that gave no session (forged, expired, unknown id): delete
        # it if the session stays empty, so the browser stops sending it.
        self._discard_cookie = False
        # The cookie verified with a fallback key: send it again signed with the current key.
        self._resign_cookie = False


class ServerSideSessionInterface(SessionInterface):
    """Keep session data in ``store``; the cookie holds only a signed, random session id.

    :param store: where the data lives (:class:`RedisSessionStore`,
        :class:`SQLiteSessionStore` or any :class:`SessionStore`).
    :param key_prefix: prepended to the id to form the store key; give apps that share a store
        different prefixes.
    :param sid_length: bytes of randomness in a new id (:func:`secrets.token_urlsafe`).
    :param salt: mixed into the signing key, so other values the app signs with its secret key
        cannot be replayed as a session cookie.

    The app's secret key is required, as for cookie sessions: without it the session is the
    read-only null session and writing to it raises :class:`RuntimeError`.
    """

    #: The session class to create.
    session_class: type[ServerSideSession] = ServerSideSession
    #: Serializer of the stored data: tagged JSON, never pickle.
    serializer: t.Any = session_json_serializer
    #: Hash for the cookie's HMAC signature.
    digest_method = staticmethod(hashlib.sha256)

    def __init__(
        self,
        store: SessionStore,
        *,
        key_prefix: str = "session:",
        sid_length: int = 32,
        salt: str = "tumbler.server-session",
    ) -> None:
        if sid_length < 16:
            raise ValueError("sid_length must be at least 16 bytes to keep ids unguessable.")
        self.store = store
        self.key_prefix = key_prefix
        self.sid_length = sid_length
        self.salt = salt
        self._touch: t.Callable[[str, int], None] | None = getattr(store, "touch", None)
        self._signer_cache: tuple[tuple[t.Any, ...], Signer, Signer | None] | None = None

    # -- ids and signing ------------------------------------------------------------------------

    def generate_sid(self) -> str:
        """Return a new random session id."""
        return secrets.token_urlsafe(self.sid_length)

    def get_signers(self, app: t.Any) -> tuple[Signer, Signer | None] | None:
        """Return the signer for the current key and one that also accepts the fallback keys.

        :return: ``(current, with_fallbacks)``, the second ``None`` when no
            ``SECRET_KEY_FALLBACKS`` are set; ``None`` when the app has no secret key.
        """
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = tuple(app.config.get("SECRET_KEY_FALLBACKS") or ())
        cache_key = (secret_key, fallbacks, self.salt)
        cached = self._signer_cache
        if cached is not None and cached[0] == cache_key:
            return cached[1], cached[2]
        current = Signer(
            secret_key, salt=self.salt, key_derivation="hmac", digest_method=self.digest_method
        )
        # itsdangerous verifies with every key in the list and signs with the last one.
        with_fallbacks = (
            Signer(
                [*fallbacks, secret_key],
                salt=self.salt,
                key_derivation="hmac",
                digest_method=self.digest_method,
            )
            if fallbacks
            else None
        )
        self._signer_cache = (cache_key, current, with_fallbacks)
        return current, with_fallbacks

    def _unsign(self, signers: tuple[Signer, Signer | None], value: str) -> tuple[str, bool]:
        # Returns (sid, signed_with_fallback); raises BadData for anything not signed by us.
        current, with_fallbacks = signers
        try:
            return current.unsign(value).decode("ascii"), False
        except BadData:
            if with_fallbacks is None:
                raise
        return with_fallbacks.unsign(value).decode("ascii"), True

    def _ttl_seconds(self, app: t.Any) -> int:
        return max(1, math.ceil(_permanent_lifetime(app).total_seconds()))

    # -- the SessionInterface protocol ----------------------------------------------------------

    def open_session(self, app: t.Any, request: Request) -> ServerSideSession | None:
        """Load the session whose signed id the request's cookie carries.

        :return: the stored session; a new empty session with a fresh id when the cookie is
            missing, forged, signed with an unknown key, or names an id the store does not hold
            (expired, logged out, rotated); ``None`` if the app has no secret key.
        """
        signers = self.get_signers(app)
        if signers is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        session: ServerSideSession | None = None
        if cookie:
            session = self._load(signers, cookie)
        if session is None:
            session = self.session_class(sid=self.generate_sid())
            session.new = True
            session._discard_cookie = bool(cookie)
        if request.is_secure:
            session._opened_over_https = True
        return session

    def _load(self, signers: tuple[Signer, Signer | None], cookie: str) -> ServerSideSession | None:
        try:
            sid, signed_with_fallback = self._unsign(signers, cookie)
        except (BadData, UnicodeError):
            return None
        raw = self.store.get(self.key_prefix + sid)
        if raw is None:
            return None
        try:
            data = self.serializer.loads(raw)
        except (ValueError, TypeError):
            return None
        if not isinstance(data, dict):
            return None
        session = self.session_class(data, sid=sid)
        session._loaded_data = raw
        session._in_store = True
        session._resign_cookie = signed_with_fallback
        return session

    def _nested_values_changed(self, session: ServerSideSession) -> bool:
        loaded = session._loaded_data
        if loaded is None or not session.has_mutable_values():
            return False
        try:
            original = self.serializer.loads(loaded)
        except (ValueError, TypeError):
            return True
        return bool(original != dict.copy(session))

    def save_session(self, app: t.Any, session: SessionMixin, response: Response) -> None:
        """Write the session to the store and set, refresh or delete the cookie.

        A modified session is written with a lifetime of ``PERMANENT_SESSION_LIFETIME``; an
        unmodified one only has its lifetime extended, if ``SESSION_REFRESH_EACH_REQUEST`` is on
        and the store has ``touch``. An emptied session's entry and cookie are deleted. Adds
        ``Vary: Cookie`` whenever the session was accessed.

        :raises TypeError: if ``session`` was not opened by a server-side interface.
        """
        if not isinstance(session, ServerSideSession):
            raise TypeError(
                f"{type(self).__name__} can only save a ServerSideSession, not"
                f" {type(session).__name__}."
            )
        name = self.get_cookie_name(app)
        attributes = self._cookie_attributes(app, session)

        if session.accessed:
            response.vary.add("Cookie")
            if not session.modified and self._nested_values_changed(session):
                session.modified = True

        key = self.key_prefix + session.sid
        data = dict.copy(session)
        if not data:
            if session._in_store:
                self.store.delete(key)
                session._in_store = False
            if session.modified or session._discard_cookie:
                response.delete_cookie(name, **attributes)
                response.vary.add("Cookie")
            return

        ttl = self._ttl_seconds(app)
        refresh = bool(app.config.get("SESSION_REFRESH_EACH_REQUEST", True))
        created = not session._in_store
        if session.modified or created:
            raw = self.serializer.dumps(data).encode("utf-8")
            self.store.set(key, raw, ttl)
            session._loaded_data = raw
            session._in_store = True
        elif refresh and self._touch is not None:
            self._touch(key, ttl)

        if not (created or session._resign_cookie or self.should_set_cookie(app, session)):
            return
        signers = self.get_signers(app)
        if signers is None:
            raise RuntimeError(_NO_SECRET_KEY)
        response.set_cookie(
            name,
            signers[0].sign(session.sid).decode("ascii"),
            expires=self.get_expiration_time(app, session),
            **attributes,
        )
        response.vary.add("Cookie")

    def regenerate(self, app: t.Any, session: SessionMixin, *, clear: bool = False) -> None:
        """Give ``session`` a new id now, deleting the entry stored under the old one.

        The data (unless ``clear``) is saved under the new id when the response is sent, and the
        client gets a cookie with the new id. Called by :func:`regenerate_session`.

        :param clear: also drop the session's data.
        :raises TypeError: if ``session`` was not opened by a server-side interface.
        """
        if not isinstance(session, ServerSideSession):
            raise TypeError(
                f"{type(self).__name__} can only regenerate a ServerSideSession, not"
                f" {type(session).__name__}."
            )
        # Delete first: even if this request later fails, the old id no longer works.
        self.store.delete(self.key_prefix + session.sid)
        session.sid = self.generate_sid()
        session._in_store = False
        session._loaded_data = None
        session._resign_cookie = False
        # A client that still sends the old cookie must not keep it if the session ends empty.
        session._discard_cookie = True
        if clear:
            session.clear()
        session.modified = True
        session.accessed = True


def regenerate_session(*, clear: bool | None = None) -> None:
    """Rotate the current session's id; call it when a user logs in (or changes privilege).

    It defeats session fixation: an attacker who planted or captured the victim's session
    cookie before login must not share the session the login creates.

    * Server-side sessions (:class:`ServerSideSessionInterface`): the data moves to a new
      random id and the entry under the old id is deleted at once, so the old cookie gives an
      empty session from then on.
    * Signed-cookie sessions (the default): there is no id to revoke; the session is marked
      modified so a fresh cookie is issued, and anything the login stores exists only in that
      new cookie. The old cookie remains a valid *pre-login* session until it expires, never a
      logged-in one.
    * Other interfaces: their ``regenerate(app, session, clear=...)`` method is called.

    Call it before storing the user's identity::

        regenerate_session()
        session["user_id"] = user.id

    :param clear: also drop the data collected before login. ``None`` (the default) reads the
        ``SESSION_CLEAR_ON_REGENERATE`` config key (default ``False``). Clearing also discards
        anything an attacker may have put into a fixed session.
    :raises RuntimeError: outside a request context, or when the app has no secret key.
    :raises TypeError: when the app's session interface cannot rotate ids.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session: SessionMixin = _session_proxy._get_current_object()  # type: ignore[attr-defined]
    interface = app.session_interface
    if interface.is_null_session(session):
        raise RuntimeError(_NO_SECRET_KEY)
    if clear is None:
        clear = bool(app.config.get("SESSION_CLEAR_ON_REGENERATE", False))
    regenerate = getattr(interface, "regenerate", None)
    if regenerate is not None:
        regenerate(app, session, clear=clear)
        return
    if isinstance(interface, SecureCookieSessionInterface):
        if clear:
            session.clear()
        session.modified = True
        session.accessed = True
        return
    raise TypeError(
        f"{type(interface).__name__} does not support regenerate_session(): give it a"
        " regenerate(app, session, *, clear) method that moves the session to a new id."
    )


# -- stores ---------------------------------------------------------------------------------------


class RedisSessionStore:
    """Keep sessions in Redis, with Redis's own expiry. Safe for many worker processes.

    :param client_or_url: a ``redis.Redis`` client (or anything with its ``get``, ``set``,
        ``expire`` and ``delete``), or a URL such as ``"redis://localhost:6379/0"``.
    :param options: with a URL, passed to ``redis.Redis.from_url``; connect and socket timeouts
        default to 5 seconds so an unreachable server fails the request instead of hanging it.
    :raises RuntimeError: given a URL when the ``redis`` package is not installed (install the
        ``tumbler[redis]`` extra).
    """

    __slots__ = ("client",)

    def __init__(self, client_or_url: t.Any, **options: t.Any) -> None:
        if isinstance(client_or_url, str):
            try:
                import redis
            except ImportError as e:
                raise RuntimeError(
                    "RedisSessionStore needs the 'redis' package; install it with"
                    " \"pip install 'tumbler[redis]'\"."
                ) from e
            options.setdefault("socket_timeout", 5.0)
            options.setdefault("socket_connect_timeout", 5.0)
            client_or_url = redis.Redis.from_url(client_or_url, **options)
        elif options:
            raise TypeError("Options can only be given together with a URL, not a client.")
        self.client = client_or_url

    def get(self, key: str) -> bytes | None:
        """Return the value under ``key``, or ``None`` if it is missing or expired."""
        value = self.client.get(key)
        if isinstance(value, str):  # a client created with decode_responses=True
            return value.encode("utf-8")
        return t.cast("bytes | None", value)

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds`` (at least one second)."""
        self.client.set(key, value, ex=max(1, int(ttl_seconds)))

    def touch(self, key: str, ttl_seconds: int) -> None:
        """Make an existing ``key`` expire ``ttl_seconds`` from now; a missing key stays so."""
        self.client.expire(key, max(1, int(ttl_seconds)))

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        self.client.delete(key)


_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SQLiteSessionStore:
    """Keep sessions in one SQLite table, for apps on a single machine without Redis.

    Each thread of each process uses its own connection (SQLite connections must not cross
    threads or a fork), the database runs in WAL mode so readers do not block the writer, and
    expired rows are ignored on read and purged lazily, at most every ``purge_interval``
    seconds, during writes. Keep the file on a local disk: SQLite's locking is unreliable on
    network filesystems.

    :param path: the database file; created with the table if missing.
    :param table: the table's name (letters, digits and underscores).
    :param timeout: seconds to wait for another process's write lock before raising
        :class:`sqlite3.OperationalError`.
    :param purge_interval: minimum seconds between two purges of expired rows.
    :raises ValueError: for an in-memory database (each connection would see a different one)
        or an invalid table name.
    """

    __slots__ = ("_local", "_next_purge", "path", "purge_interval", "table", "timeout")

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        table: str = "tumbler_sessions",
        timeout: float = 5.0,
        purge_interval: float = 60.0,
    ) -> None:
        path = os.fspath(path)
        if path in ("", ":memory:") or path.startswith("file::memory:"):
            raise ValueError(
                "SQLiteSessionStore needs a database file: an in-memory database is private to"
                " one connection, and the store uses one connection per thread and process."
            )
        if not _TABLE_NAME.match(table):
            raise ValueError(f"Invalid table name {table!r}: use letters, digits and '_'.")
        self.path = path
        self.table = table
        self.timeout = timeout
        self.purge_interval = purge_interval
        self._local = threading.local()
        self._next_purge = 0.0

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == pid:
            return conn
        # A connection inherited through fork() belongs to the parent; never reuse it.
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} "
            "(key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL)"
        )
        conn.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_expires ON {self.table} (expires)")
        local.conn = conn
        local.pid = pid
        return conn

    def get(self, key: str) -> bytes | None:
        """Return the value under ``key``, or ``None`` if it is missing or expired."""
        row = (
            self._connection()
            .execute(
                f"SELECT value FROM {self.table} WHERE key = ? AND expires > ?",
                (key, time.time()),
            )
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds``; may purge expired rows first."""
        conn = self._connection()
        now = time.time()
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + self.purge_interval
            conn.execute(f"DELETE FROM {self.table} WHERE expires <= ?", (now,))
        conn.execute(
            f"INSERT OR REPLACE INTO {self.table} (key, value, expires) VALUES (?, ?, ?)",
            (key, value, now + ttl_seconds),
        )

    def touch(self, key: str, ttl_seconds: int) -> None:
        """Make an existing, unexpired ``key`` expire ``ttl_seconds`` from now."""
        now = time.time()
        self._connection().execute(
            f"UPDATE {self.table} SET expires = ? WHERE key = ? AND expires > ?",
            (now + ttl_seconds, key, now),
        )

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        self._connection().execute(f"DELETE FROM {self.table} WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the calling thread's connection (a later call opens a new one)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None
