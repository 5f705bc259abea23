from __future__ import annotations

import multiprocessing
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import typing as t
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from tumbler import Tumbler
from tumbler import session
from tumbler.server_sessions import RedisSessionStore
from tumbler.server_sessions import ServerSideSession
from tumbler.server_sessions import ServerSideSessionInterface
from tumbler.server_sessions import SessionStore
from tumbler.server_sessions import SQLiteSessionStore
from tumbler.server_sessions import regenerate_session
from tumbler.sessions import SecureCookieSession
from tumbler.sessions import SecureCookieSessionInterface
from tumbler.sessions import SessionInterface
from tumbler.testing import TumblerClient

SECRET = "server-session-test-secret"
PREFIX = "session:"

# --- a real Redis server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start redis-server on a free local port for this module; always stop it afterwards."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(
            "redis-server is not on PATH: run scripts/install-test-deps.sh as root (Debian's"
            " redis-server package) to test the Redis session store against a real server."
        )
    redis = pytest.importorskip("redis", reason="the redis package (tumbler[redis]) is missing")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"redis-server exited with {proc.returncode}: {stderr}")
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not answer PING within 10 seconds")
            time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[t.Any]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


# --- stores, apps and clients -------------------------------------------------------------------


class CountingStore:
    """Wraps a store and records the calls made to it."""

    def __init__(self, inner: t.Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def get(self, key: str) -> bytes | None:
        self.calls.append(("get", key))
        return t.cast("bytes | None", self.inner.get(key))

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self.calls.append(("set", key))
        self.inner.set(key, value, ttl_seconds)

    def touch(self, key: str, ttl_seconds: int) -> None:
        self.calls.append(("touch", key))
        self.inner.touch(key, ttl_seconds)

    def delete(self, key: str) -> None:
        self.calls.append(("delete", key))
        self.inner.delete(key)


def _make_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> t.Any:
    if kind == "redis":
        return RedisSessionStore(request.getfixturevalue("redis_client"))
    return SQLiteSessionStore(tmp_path / "sessions.db")


@pytest.fixture(params=["redis", "sqlite"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return t.cast(str, request.param)


@pytest.fixture
def store(store_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> t.Any:
    return _make_store(store_kind, request, tmp_path)


def make_app(
    interface: SessionInterface | None = None,
    secret_key: str | None = SECRET,
    **config: t.Any,
) -> Tumbler:
    app = Tumbler(__name__)
    app.testing = True
    if secret_key is not None:
        app.secret_key = secret_key
    if interface is not None:
        app.session_interface = interface
    app.config.update(config)

    @app.route("/login/<name>")
    def login(name: str) -> str:
        regenerate_session()
        session["user"] = name
        return "logged in"

    @app.route("/login-without-rotation/<name>")
    def login_without_rotation(name: str) -> str:
        session["user"] = name
        return "logged in"

    @app.route("/whoami")
    def whoami() -> str:
        return str(session.get("user", "anonymous"))

    @app.route("/set/<key>/<value>")
    def set_value(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.route("/get/<key>")
    def get_value(key: str) -> str:
        return repr(session.get(key))

    @app.route("/cart/add/<item>")
    def cart_add(item: str) -> str:
        if "cart" not in session:
            session["cart"] = []
        session["cart"].append(item)
        return ",".join(session["cart"])

    @app.route("/permanent")
    def make_permanent() -> str:
        session.permanent = True
        session["user"] = "perm"
        return "permanent"

    @app.route("/logout")
    def logout() -> str:
        session.clear()
        return "logged out"

    @app.route("/untouched")
    def untouched() -> str:
        return "no session"

    return app


def server_app(store: t.Any, **config: t.Any) -> Tumbler:
    return make_app(ServerSideSessionInterface(store, key_prefix=PREFIX), **config)


def session_cookie(client: TumblerClient) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


def set_session_cookie(client: TumblerClient, value: str) -> None:
    client.set_cookie("session", value)


def sid_of(cookie: str) -> str:
    return cookie.rsplit(".", 1)[0]


def set_cookie_headers(response: t.Any) -> list[str]:
    return t.cast(list[str], response.headers.getlist("Set-Cookie"))


# --- persistence through a real app ------------------------------------------------------------


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_login_data_persists_across_requests(store: t.Any, asgi: bool) -> None:
    client = server_app(store).test_client(asgi=asgi)
    assert client.get("/login/alice").text == "logged in"
    assert client.get("/whoami").text == "alice"
    assert client.get("/whoami").text == "alice"


def test_cookie_carries_only_the_signed_id_and_the_store_holds_the_data(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/set/secret/top-secret-value")
    cookie = session_cookie(client)
    assert cookie is not None
    assert "top-secret" not in cookie
    stored = store.get(PREFIX + sid_of(cookie))
    assert stored is not None
    assert b"top-secret-value" in stored


def test_new_session_id_has_32_random_bytes(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/set/a/1")
    cookie = session_cookie(client)
    assert cookie is not None
    assert len(sid_of(cookie)) == 43  # token_urlsafe(32)


def test_tagged_values_round_trip_through_the_store(store: t.Any) -> None:
    app = server_app(store)
    value = {
        "tuple": (1, "a"),
        "bytes": b"\x00\xff",
        "uuid": uuid.UUID(int=7),
        "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }

    @app.route("/store-tagged")
    def store_tagged() -> str:
        session["value"] = value
        return "ok"

    @app.route("/check-tagged")
    def check_tagged() -> str:
        return str(session["value"] == value)

    client = app.test_client()
    client.get("/store-tagged")
    assert client.get("/check-tagged").text == "True"


def test_stored_data_is_tagged_json_not_pickle(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/set/a/1")
    cookie = session_cookie(client)
    assert cookie is not None
    assert store.get(PREFIX + sid_of(cookie)) == b'{"a":"1"}'


def test_nested_mutation_is_saved(store: t.Any) -> None:
    client = server_app(store).test_client()
    assert client.get("/cart/add/apple").text == "apple"
    assert client.get("/cart/add/pear").text == "apple,pear"
    assert client.get("/get/cart").text == "['apple', 'pear']"


def test_anonymous_request_writes_nothing_to_the_store_and_sets_no_cookie() -> None:
    store = CountingStore(_DictStore())
    client = server_app(store).test_client()
    response = client.get("/whoami")
    assert response.text == "anonymous"
    assert set_cookie_headers(response) == []
    assert store.calls == []


def test_read_only_request_does_not_rewrite_the_data() -> None:
    store = CountingStore(_DictStore())
    client = server_app(store).test_client()
    client.get("/set/a/1")
    store.calls.clear()
    client.get("/get/a")
    assert [name for name, _ in store.calls] == ["get", "touch"]


def test_read_only_request_never_overwrites_a_concurrent_write(store: t.Any) -> None:
    app = server_app(store)

    @app.route("/read-while-another-request-writes")
    def read_while_another_request_writes() -> str:
        value = session.get("a")
        # A concurrent request (another worker) saves new data for the same session meanwhile.
        si = t.cast(ServerSideSessionInterface, app.session_interface)
        sid = t.cast(ServerSideSession, session._get_current_object()).sid  # type: ignore[attr-defined]
        store.set(PREFIX + sid, si.serializer.dumps({"a": "2"}).encode(), 60)
        return repr(value)

    client = app.test_client()
    client.get("/set/a/1")
    assert client.get("/read-while-another-request-writes").text == "'1'"
    assert client.get("/get/a").text == "'2'"


# --- forged, tampered and unknown ids ----------------------------------------------------------


def test_tampered_id_is_rejected_without_a_store_lookup() -> None:
    inner = _DictStore()
    store = CountingStore(inner)
    client = server_app(store).test_client()
    client.get("/login/alice")
    cookie = session_cookie(client)
    assert cookie is not None
    sid, signature = cookie.rsplit(".", 1)
    tampered = ("B" if sid[0] != "B" else "C") + sid[1:] + "." + signature
    set_session_cookie(client, tampered)
    store.calls.clear()
    response = client.get("/whoami")
    assert response.text == "anonymous"
    assert [name for name, _ in store.calls if name == "get"] == []


def test_id_of_another_session_with_a_forged_signature_is_rejected(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/login/alice")
    cookie = session_cookie(client)
    assert cookie is not None
    set_session_cookie(client, sid_of(cookie) + ".forged-signature")
    assert client.get("/whoami").text == "anonymous"


def test_id_signed_with_another_secret_key_is_rejected(store: t.Any) -> None:
    other = make_app(ServerSideSessionInterface(store), secret_key="another-key").test_client()
    other.get("/login/mallory")
    cookie = session_cookie(other)
    assert cookie is not None
    client = server_app(store).test_client()
    set_session_cookie(client, cookie)
    assert client.get("/whoami").text == "anonymous"


def test_rejected_cookie_is_deleted_when_the_session_stays_empty(store: t.Any) -> None:
    client = server_app(store).test_client()
    set_session_cookie(client, "garbage.value")
    response = client.get("/whoami")
    (header,) = set_cookie_headers(response)
    assert header.startswith("session=;")
    assert session_cookie(client) is None


@pytest.mark.parametrize(
    "value",
    ["", ".", "no-signature", "x" * 3000, "é.é", "a.b.c", '"quoted"'],
    ids=["empty", "dot", "unsigned", "huge", "non-ascii", "extra-dots", "quoted"],
)
def test_malformed_cookie_gives_an_empty_session(store: t.Any, value: str) -> None:
    client = server_app(store).test_client()
    set_session_cookie(client, value)
    response = client.get("/whoami")
    assert response.status_code == 200
    assert response.text == "anonymous"


def test_validly_signed_but_unknown_id_is_not_adopted(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/login/alice")
    cookie = session_cookie(client)
    assert cookie is not None
    store.delete(PREFIX + sid_of(cookie))
    assert client.get("/set/a/1").status_code == 200
    new_cookie = session_cookie(client)
    assert new_cookie is not None
    assert sid_of(new_cookie) != sid_of(cookie)
    assert store.get(PREFIX + sid_of(cookie)) is None


def test_unreadable_stored_data_gives_an_empty_session(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/login/alice")
    cookie = session_cookie(client)
    assert cookie is not None
    store.set(PREFIX + sid_of(cookie), b"\x80not json", 60)
    assert client.get("/whoami").text == "anonymous"


def test_fallback_secret_key_still_reads_sessions_and_resigns_the_cookie(store: t.Any) -> None:
    old = server_app(store).test_client()
    old.get("/login/alice")
    old_cookie = session_cookie(old)
    assert old_cookie is not None
    rotated = make_app(
        ServerSideSessionInterface(store, key_prefix=PREFIX),
        secret_key="the-new-key",
        SECRET_KEY_FALLBACKS=[SECRET],
    ).test_client()
    set_session_cookie(rotated, old_cookie)
    assert rotated.get("/whoami").text == "alice"
    new_cookie = session_cookie(rotated)
    assert new_cookie is not None
    assert new_cookie != old_cookie
    assert sid_of(new_cookie) == sid_of(old_cookie)
    only_new_key = make_app(
        ServerSideSessionInterface(store, key_prefix=PREFIX), secret_key="the-new-key"
    ).test_client()
    set_session_cookie(only_new_key, new_cookie)
    assert only_new_key.get("/whoami").text == "alice"


def test_writing_a_session_without_a_secret_key_raises(store: t.Any) -> None:
    client = make_app(ServerSideSessionInterface(store), secret_key=None).test_client()
    with pytest.raises(RuntimeError, match="no secret key"):
        client.get("/set/a/1")


# --- expiry and refresh -------------------------------------------------------------------------


def test_session_expires_after_permanent_session_lifetime(store: t.Any) -> None:
    client = server_app(store, PERMANENT_SESSION_LIFETIME=timedelta(seconds=1)).test_client()
    client.get("/login/alice")
    assert client.get("/whoami").text == "alice"
    time.sleep(2.1)
    assert client.get("/whoami").text == "anonymous"


def _remaining_ttl(store_kind: str, store: t.Any, key: str) -> float:
    if store_kind == "redis":
        return float(store.client.ttl(key))
    conn = sqlite3.connect(store.path)
    try:
        (expires,) = conn.execute(
            "SELECT expires FROM tumbler_sessions WHERE key = ?", (key,)
        ).fetchone()
    finally:
        conn.close()
    return float(expires) - time.time()


def test_non_permanent_session_expires_server_side_but_cookie_lasts_the_browser_session(
    store_kind: str, store: t.Any
) -> None:
    client = server_app(store, PERMANENT_SESSION_LIFETIME=timedelta(hours=1)).test_client()
    response = client.get("/login/alice")
    (header,) = set_cookie_headers(response)
    assert "Expires" not in header
    cookie = session_cookie(client)
    assert cookie is not None
    assert 3500 < _remaining_ttl(store_kind, store, PREFIX + sid_of(cookie)) <= 3600


def test_permanent_session_cookie_expires_with_the_lifetime(store_kind: str, store: t.Any) -> None:
    client = server_app(store, PERMANENT_SESSION_LIFETIME=timedelta(hours=2)).test_client()
    response = client.get("/permanent")
    (header,) = set_cookie_headers(response)
    assert "Expires=" in header
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    remaining = (cookie.expires - datetime.now(UTC)).total_seconds()
    assert 7100 < remaining <= 7200
    assert 7100 < _remaining_ttl(store_kind, store, PREFIX + sid_of(cookie.value)) <= 7200


def _shorten(store_kind: str, store: t.Any, key: str) -> None:
    if store_kind == "redis":
        store.client.expire(key, 5)
    else:
        store.touch(key, 5)


def test_each_request_extends_the_stored_session_lifetime(store_kind: str, store: t.Any) -> None:
    client = server_app(store, PERMANENT_SESSION_LIFETIME=timedelta(hours=1)).test_client()
    client.get("/login/alice")
    cookie = session_cookie(client)
    assert cookie is not None
    key = PREFIX + sid_of(cookie)
    _shorten(store_kind, store, key)
    client.get("/whoami")
    assert _remaining_ttl(store_kind, store, key) > 3500


def test_refresh_each_request_off_leaves_the_lifetime_alone(store_kind: str, store: t.Any) -> None:
    client = server_app(
        store, PERMANENT_SESSION_LIFETIME=timedelta(hours=1), SESSION_REFRESH_EACH_REQUEST=False
    ).test_client()
    client.get("/permanent")
    cookie = session_cookie(client)
    assert cookie is not None
    key = PREFIX + sid_of(cookie)
    _shorten(store_kind, store, key)
    response = client.get("/whoami")
    assert response.text == "perm"
    assert set_cookie_headers(response) == []
    assert _remaining_ttl(store_kind, store, key) <= 5


def test_permanent_session_cookie_is_reissued_on_each_request(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/permanent")
    response = client.get("/whoami")
    (header,) = set_cookie_headers(response)
    assert header.startswith("session=")
    assert "Expires=" in header


# --- deletion -------------------------------------------------------------------------------------


def test_clearing_the_session_deletes_the_store_entry_and_the_cookie(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/login/alice")
    cookie = session_cookie(client)
    assert cookie is not None
    response = client.get("/logout")
    (header,) = set_cookie_headers(response)
    assert header.startswith("session=;")
    assert session_cookie(client) is None
    assert store.get(PREFIX + sid_of(cookie)) is None


def test_cookie_captured_before_logout_no_longer_works(store: t.Any) -> None:
    victim = server_app(store).test_client()
    victim.get("/login/alice")
    stolen = session_cookie(victim)
    assert stolen is not None
    victim.get("/logout")
    thief = server_app(store).test_client()
    set_session_cookie(thief, stolen)
    assert thief.get("/whoami").text == "anonymous"


# --- cookie policy and Vary ----------------------------------------------------------------------


def _cookie_attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0] for part in header.split(";")[1:]}


def test_session_cookie_has_the_same_flags_as_signed_cookie_sessions(store: t.Any) -> None:
    server_side = server_app(store).test_client().get("/login/alice")
    signed = make_app().test_client().get("/login/alice")
    (server_header,) = set_cookie_headers(server_side)
    (signed_header,) = set_cookie_headers(signed)
    assert "HttpOnly" in _cookie_attributes(server_header)
    assert "Secure" not in _cookie_attributes(server_header)
    assert _cookie_attributes(server_header) == _cookie_attributes(signed_header)


def test_session_cookie_samesite_follows_the_config(store: t.Any) -> None:
    for value in ("Lax", "Strict"):
        app = server_app(store, SESSION_COOKIE_SAMESITE=value)
        (header,) = set_cookie_headers(app.test_client().get("/login/alice"))
        assert f"SameSite={value}" in header


def test_session_cookie_is_secure_over_https(store: t.Any) -> None:
    client = server_app(store).test_client()
    response = client.get("/login/alice", base_url="https://localhost")
    (header,) = set_cookie_headers(response)
    assert "Secure" in header


def test_session_cookie_is_secure_when_configured(store: t.Any) -> None:
    response = server_app(store, SESSION_COOKIE_SECURE=True).test_client().get("/login/alice")
    (header,) = set_cookie_headers(response)
    assert "Secure" in header


def test_cookie_name_domain_and_path_follow_the_config(store: t.Any) -> None:
    app = server_app(
        store, SESSION_COOKIE_NAME="sid", SESSION_COOKIE_PATH="/app", SESSION_COOKIE_DOMAIN=None
    )
    response = app.test_client().get("/login/alice")
    (header,) = set_cookie_headers(response)
    assert header.startswith("sid=")
    assert "Path=/app" in header


def test_vary_cookie_is_added_when_the_session_is_accessed(store: t.Any) -> None:
    response = server_app(store).test_client().get("/whoami")
    assert "Cookie" in response.headers.get("Vary", "")


def test_vary_cookie_is_not_added_when_the_session_is_not_used(store: t.Any) -> None:
    response = server_app(store).test_client().get("/untouched")
    assert "Vary" not in response.headers


# --- several workers ------------------------------------------------------------------------------


def test_two_app_instances_sharing_redis_see_the_same_session(
    redis_url: str, redis_client: t.Any
) -> None:
    worker_a = server_app(RedisSessionStore(redis_url)).test_client()
    worker_b = server_app(RedisSessionStore(redis_url)).test_client()
    worker_a.get("/login/alice")
    cookie = session_cookie(worker_a)
    assert cookie is not None
    set_session_cookie(worker_b, cookie)
    assert worker_b.get("/whoami").text == "alice"
    worker_b.get("/logout")
    assert worker_a.get("/whoami").text == "anonymous"


def test_two_app_instances_sharing_sqlite_see_the_same_session(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    worker_a = server_app(SQLiteSessionStore(path)).test_client()
    worker_b = server_app(SQLiteSessionStore(path)).test_client()
    worker_a.get("/login/alice")
    cookie = session_cookie(worker_a)
    assert cookie is not None
    set_session_cookie(worker_b, cookie)
    assert worker_b.get("/whoami").text == "alice"
    worker_b.get("/logout")
    assert worker_a.get("/whoami").text == "anonymous"


def _child_writes(store: SQLiteSessionStore, key: str) -> None:
    store.set(key, b"from-child", 60)


@pytest.mark.skipif(sys.platform == "win32", reason="needs fork")
def test_sqlite_store_works_across_forked_worker_processes(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "forked.db")
    store.set("parent", b"from-parent", 60)  # the parent opens its connection before forking
    process = multiprocessing.get_context("fork").Process(
        target=_child_writes, args=(store, "child")
    )
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0
    assert store.get("child") == b"from-child"
    assert store.get("parent") == b"from-parent"


# --- regenerate_session: fixed-session attacks ---------------------------------------------------


def test_fixed_session_cookie_from_before_login_no_longer_works(store: t.Any) -> None:
    app = server_app(store)
    attacker = app.test_client()
    attacker.get("/set/planted/by-attacker")
    fixed = session_cookie(attacker)
    assert fixed is not None
    victim = app.test_client()
    set_session_cookie(victim, fixed)
    victim.get("/login/alice")
    after_login = session_cookie(victim)
    assert after_login is not None
    assert sid_of(after_login) != sid_of(fixed)
    assert store.get(PREFIX + sid_of(fixed)) is None
    assert attacker.get("/whoami").text == "anonymous"
    assert victim.get("/whoami").text == "alice"


def test_without_regeneration_the_fixed_session_is_shared(store: t.Any) -> None:
    # Shows the attack regenerate_session() stops: without it the attacker rides the login.
    app = server_app(store)
    attacker = app.test_client()
    attacker.get("/set/planted/by-attacker")
    fixed = session_cookie(attacker)
    assert fixed is not None
    victim = app.test_client()
    set_session_cookie(victim, fixed)
    victim.get("/login-without-rotation/alice")
    assert attacker.get("/whoami").text == "alice"


def test_regeneration_keeps_the_data_by_default(store: t.Any) -> None:
    client = server_app(store).test_client()
    client.get("/cart/add/apple")
    client.get("/login/alice")
    assert client.get("/get/cart").text == "['apple']"


def test_regeneration_clears_the_data_when_configured(store: t.Any) -> None:
    client = server_app(store, SESSION_CLEAR_ON_REGENERATE=True).test_client()
    client.get("/cart/add/apple")
    client.get("/login/alice")
    assert client.get("/get/cart").text == "None"
    assert client.get("/whoami").text == "alice"


def test_regeneration_with_clear_and_nothing_stored_deletes_the_cookie(store: t.Any) -> None:
    app = server_app(store)

    @app.route("/rotate-and-clear")
    def rotate_and_clear() -> str:
        regenerate_session(clear=True)
        return "ok"

    client = app.test_client()
    client.get("/set/a/1")
    old = session_cookie(client)
    assert old is not None
    client.get("/rotate-and-clear")
    assert session_cookie(client) is None
    assert store.get(PREFIX + sid_of(old)) is None


def test_old_cookie_fails_even_if_the_login_request_errors_after_regeneration(
    store: t.Any,
) -> None:
    app = server_app(store)
    app.testing = False

    @app.route("/login-then-crash")
    def login_then_crash() -> str:
        regenerate_session()
        raise ValueError("boom")

    client = app.test_client()
    client.get("/set/a/1")
    old = session_cookie(client)
    assert old is not None
    assert client.get("/login-then-crash").status_code == 500
    assert store.get(PREFIX + sid_of(old)) is None


def test_fixed_signed_cookie_from_before_login_gives_no_login() -> None:
    app = make_app()  # the default signed-cookie sessions
    attacker = app.test_client()
    attacker.get("/set/planted/by-attacker")
    fixed = session_cookie(attacker)
    assert fixed is not None
    victim = app.test_client()
    set_session_cookie(victim, fixed)
    victim.get("/login/alice")
    assert session_cookie(victim) != fixed
    assert victim.get("/whoami").text == "alice"
    assert attacker.get("/whoami").text == "anonymous"


def test_regeneration_with_signed_cookies_issues_a_fresh_cookie() -> None:
    app = make_app()

    @app.route("/rotate")
    def rotate() -> str:
        regenerate_session()
        return "ok"

    client = app.test_client()
    client.get("/set/a/1")
    response = client.get("/rotate")
    (header,) = set_cookie_headers(response)
    assert header.startswith("session=")
    assert client.get("/get/a").text == "'1'"


def test_regeneration_with_signed_cookies_clears_old_data_when_configured() -> None:
    client = make_app(SESSION_CLEAR_ON_REGENERATE=True).test_client()
    client.get("/set/planted/by-attacker")
    client.get("/login/alice")
    assert client.get("/get/planted").text == "None"
    assert client.get("/whoami").text == "alice"


def test_regeneration_outside_a_request_raises() -> None:
    with pytest.raises(RuntimeError):
        regenerate_session()


def test_regeneration_without_a_secret_key_raises(store: t.Any) -> None:
    client = make_app(ServerSideSessionInterface(store), secret_key=None).test_client()
    with pytest.raises(RuntimeError, match="no secret key"):
        client.get("/login/alice")


def test_regeneration_with_an_interface_that_cannot_rotate_raises() -> None:
    class PlainInterface(SessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> SecureCookieSession:
            return SecureCookieSession()

        def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
            pass

    client = make_app(PlainInterface()).test_client()
    with pytest.raises(TypeError, match="regenerate"):
        client.get("/login/alice")


def test_regeneration_calls_the_interface_hook() -> None:
    calls: list[bool] = []

    class RotatingInterface(SecureCookieSessionInterface):
        def regenerate(self, app: t.Any, session: t.Any, *, clear: bool) -> None:
            calls.append(clear)

    client = make_app(RotatingInterface(), SESSION_CLEAR_ON_REGENERATE=True).test_client()
    client.get("/login/alice")
    assert calls == [True]


# --- the interface directly -----------------------------------------------------------------------


class _DictStore:
    """An in-memory store for tests that count store calls; ignores expiry."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self.data[key] = value

    def touch(self, key: str, ttl_seconds: int) -> None:
        pass

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def test_stores_satisfy_the_store_protocol(tmp_path: Path) -> None:
    assert isinstance(SQLiteSessionStore(tmp_path / "p.db"), SessionStore)
    assert isinstance(RedisSessionStore(object()), SessionStore)
    assert isinstance(_DictStore(), SessionStore)


def test_short_session_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="sid_length"):
        ServerSideSessionInterface(_DictStore(), sid_length=8)


def test_saving_a_foreign_session_type_raises() -> None:
    interface = ServerSideSessionInterface(_DictStore())
    app = make_app(interface)
    with pytest.raises(TypeError, match="ServerSideSession"):
        interface.save_session(app, SecureCookieSession({"a": 1}), app.response_class())


def test_store_without_touch_is_not_rewritten_on_read() -> None:
    class NoTouchStore:
        def __init__(self) -> None:
            self.inner = _DictStore()
            self.sets = 0

        def get(self, key: str) -> bytes | None:
            return self.inner.get(key)

        def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
            self.sets += 1
            self.inner.set(key, value, ttl_seconds)

        def delete(self, key: str) -> None:
            self.inner.delete(key)

    store = NoTouchStore()
    client = server_app(store).test_client()
    client.get("/set/a/1")
    client.get("/get/a")
    assert store.sets == 1


def test_session_transaction_works_with_server_side_sessions(store: t.Any) -> None:
    client = server_app(store).test_client()
    with client.session_transaction() as sess:
        sess["user"] = "from-test"
    assert client.get("/whoami").text == "from-test"


# --- RedisSessionStore -----------------------------------------------------------------------------


def test_redis_store_from_url_sets_gets_and_deletes(redis_url: str, redis_client: t.Any) -> None:
    store = RedisSessionStore(redis_url)
    store.set("k", b"v", 60)
    assert store.get("k") == b"v"
    assert 0 < redis_client.ttl("k") <= 60
    store.delete("k")
    assert store.get("k") is None


def test_redis_store_touch_extends_only_existing_keys(redis_client: t.Any) -> None:
    store = RedisSessionStore(redis_client)
    store.set("k", b"v", 5)
    store.touch("k", 100)
    store.touch("missing", 100)
    assert redis_client.ttl("k") > 5
    assert redis_client.exists("missing") == 0


def test_redis_store_returns_bytes_from_a_decoding_client(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        store = RedisSessionStore(client)
        store.set("k", b'{"a":"\xc3\xa9"}', 60)
        assert store.get("k") == b'{"a":"\xc3\xa9"}'
    finally:
        client.close()


def test_redis_store_needs_the_redis_extra_for_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(RuntimeError, match=r"tumbler\[redis\]"):
        RedisSessionStore("redis://localhost")


def test_redis_store_accepts_a_client_without_the_redis_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    client = object()
    assert RedisSessionStore(client).client is client


def test_redis_store_refuses_options_with_a_client() -> None:
    with pytest.raises(TypeError, match="URL"):
        RedisSessionStore(object(), socket_timeout=1)


# --- SQLiteSessionStore ----------------------------------------------------------------------------


def test_sqlite_store_sets_gets_replaces_and_deletes(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "s.db")
    assert store.get("k") is None
    store.set("k", b"one", 60)
    store.set("k", b"two", 60)
    assert store.get("k") == b"two"
    store.delete("k")
    store.delete("k")
    assert store.get("k") is None


def test_sqlite_store_hides_expired_rows(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "s.db")
    store.set("k", b"v", 0)
    assert store.get("k") is None


def test_sqlite_store_touch_does_not_revive_expired_rows(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "s.db")
    store.set("k", b"v", 0)
    store.touch("k", 60)
    assert store.get("k") is None


def test_sqlite_store_purges_expired_rows_lazily(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SQLiteSessionStore(path, purge_interval=0)
    store.set("old", b"v", 0)
    store.set("new", b"v", 60)
    conn = sqlite3.connect(path)
    try:
        keys = [row[0] for row in conn.execute("SELECT key FROM tumbler_sessions")]
    finally:
        conn.close()
    assert keys == ["new"]


def test_sqlite_store_uses_one_connection_per_thread(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "s.db")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                store.set(f"{n}-{i}", str(i).encode(), 60)
                assert store.get(f"{n}-{i}") == str(i).encode()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get("7-19") == b"19"


def test_sqlite_store_uses_the_given_table(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SQLiteSessionStore(path, table="web_sessions").set("k", b"v", 60)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM web_sessions").fetchone() == (b"v",)
    finally:
        conn.close()


def test_sqlite_store_reopens_after_close(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "s.db")
    store.set("k", b"v", 60)
    store.close()
    assert store.get("k") == b"v"


@pytest.mark.parametrize("path", ["", ":memory:", "file::memory:?cache=shared"])
def test_sqlite_store_refuses_in_memory_databases(path: str) -> None:
    with pytest.raises(ValueError, match="database file"):
        SQLiteSessionStore(path)


@pytest.mark.parametrize("table", ["", "1abc", "drop table x", "a;b", "sessions-x"])
def test_sqlite_store_refuses_invalid_table_names(tmp_path: Path, table: str) -> None:
    with pytest.raises(ValueError, match="table name"):
        SQLiteSessionStore(tmp_path / "s.db", table=table)
