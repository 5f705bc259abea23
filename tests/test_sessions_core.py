from __future__ import annotations

import base64
import pickle
import typing as t
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from types import SimpleNamespace

import itsdangerous
import pytest

from tumbler.datastructures import CallbackDict
from tumbler.datastructures import Headers
from tumbler.sessions import NullSession
from tumbler.sessions import SecureCookieSession
from tumbler.sessions import SecureCookieSessionInterface
from tumbler.sessions import SessionInterface
from tumbler.wrappers import Request
from tumbler.wrappers import Response

SECRET = "s3cr3t-key-for-tests"


def make_app(secret_key: str | None = SECRET, **config: t.Any) -> SimpleNamespace:
    lifetime = config.pop("PERMANENT_SESSION_LIFETIME", timedelta(days=31))
    base: dict[str, t.Any] = {
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": lifetime,
        "APPLICATION_ROOT": "/",
    }
    base.update(config)
    return SimpleNamespace(secret_key=secret_key, config=base, permanent_session_lifetime=lifetime)


def make_request(cookie: str | None = None, scheme: str = "http") -> Request:
    headers = Headers([("Cookie", f"session={cookie}")] if cookie is not None else [])
    return Request("GET", scheme, ("localhost", 80), "", "/", b"", headers, "127.0.0.1")


def set_cookies(response: Response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def cookie_value(response: Response) -> str:
    (header,) = set_cookies(response)
    return header.split(";", 1)[0].split("=", 1)[1]


def save(interface: SessionInterface, app: SimpleNamespace, session: t.Any) -> Response:
    response = Response()
    interface.save_session(app, session, response)
    return response


@pytest.fixture
def interface() -> SecureCookieSessionInterface:
    return SecureCookieSessionInterface()


def round_trip(
    interface: SecureCookieSessionInterface, app: SimpleNamespace, data: dict[str, t.Any]
) -> str:
    session = interface.open_session(app, make_request())
    assert session is not None
    session.update(data)
    return cookie_value(save(interface, app, session))


# --- SessionMixin / SecureCookieSession -------------------------------------------------------


def test_new_session_is_neither_modified_nor_accessed() -> None:
    session = SecureCookieSession({"a": 1})
    assert not session.modified
    assert not session.accessed


def test_session_is_a_callback_dict() -> None:
    assert isinstance(SecureCookieSession(), CallbackDict)


def test_setting_a_key_marks_modified_and_accessed() -> None:
    session = SecureCookieSession()
    session["a"] = 1
    assert session.modified
    assert session.accessed


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.__delitem__("a"),
        lambda s: s.pop("a"),
        lambda s: s.popitem(),
        lambda s: s.clear(),
        lambda s: s.update(b=2),
        lambda s: s.setdefault("b", 2),
    ],
)
def test_every_change_marks_modified(change: t.Callable[[SecureCookieSession], t.Any]) -> None:
    session = SecureCookieSession({"a": 1})
    change(session)
    assert session.modified


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s["a"],
        lambda s: s.get("a"),
        lambda s: "a" in s,
        lambda s: list(s),
        lambda s: len(s),
        lambda s: s.keys(),
        lambda s: s.values(),
        lambda s: s.items(),
        lambda s: s.setdefault("a", 5),
    ],
)
def test_every_read_marks_accessed_but_not_modified(
    read: t.Callable[[SecureCookieSession], t.Any],
) -> None:
    session = SecureCookieSession({"a": 1})
    read(session)
    assert session.accessed
    assert not session.modified


def test_permanent_is_stored_under_permanent_key() -> None:
    session = SecureCookieSession()
    assert session.permanent is False
    session.permanent = True
    assert session["_permanent"] is True
    assert session.permanent is True
    assert session.modified


def test_has_mutable_values_does_not_mark_accessed() -> None:
    session = SecureCookieSession({"a": [1]})
    assert session.has_mutable_values()
    assert not session.accessed
    assert not SecureCookieSession({"a": 1, "b": (1,)}).has_mutable_values()


# --- NullSession ------------------------------------------------------------------------------


def test_null_session_reads_as_empty() -> None:
    session = NullSession()
    assert session.get("user") is None
    assert "user" not in session
    assert len(session) == 0


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.__setitem__("a", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.clear(),
        lambda s: s.pop("a", None),
        lambda s: s.popitem(),
        lambda s: s.update(a=1),
        lambda s: s.setdefault("a", 1),
        lambda s: s.__ior__({"a": 1}),
    ],
)
def test_null_session_write_raises_with_secret_key_hint(
    write: t.Callable[[NullSession], t.Any],
) -> None:
    with pytest.raises(RuntimeError) as info:
        write(NullSession())
    assert str(info.value) == (
        "The session is unavailable because no secret key was set. Set the secret_key on the"
        " application to something unique and secret."
    )


def test_null_session_permanent_assignment_raises() -> None:
    with pytest.raises(RuntimeError, match="no secret key"):
        NullSession().permanent = True


# --- SessionInterface -------------------------------------------------------------------------


def test_base_interface_open_and_save_are_abstract() -> None:
    base = SessionInterface()
    with pytest.raises(NotImplementedError):
        base.open_session(make_app(), make_request())
    with pytest.raises(NotImplementedError):
        base.save_session(make_app(), SecureCookieSession(), Response())


def test_interface_makes_and_recognises_null_sessions() -> None:
    base = SessionInterface()
    null = base.make_null_session(make_app())
    assert isinstance(null, NullSession)
    assert base.is_null_session(null)
    assert not base.is_null_session(SecureCookieSession())
    assert base.pickle_based is False


def test_cookie_settings_read_config() -> None:
    app = make_app(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    base = SessionInterface()
    assert base.get_cookie_name(app) == "sid"
    assert base.get_cookie_domain(app) == "example.com"
    assert base.get_cookie_path(app) == "/app"
    assert base.get_cookie_httponly(app) is False
    assert base.get_cookie_secure(app) is True
    assert base.get_cookie_samesite(app) == "Strict"
    assert base.get_cookie_partitioned(app) is True


def test_cookie_path_falls_back_to_application_root() -> None:
    assert SessionInterface().get_cookie_path(make_app(APPLICATION_ROOT="/sub")) == "/sub"


def test_cookie_defaults_are_httponly_lax_when_config_keys_absent() -> None:
    app = SimpleNamespace(secret_key=SECRET, config={})
    base = SessionInterface()
    assert base.get_cookie_name(app) == "session"
    assert base.get_cookie_httponly(app) is True
    assert base.get_cookie_samesite(app) == "Lax"
    assert base.get_cookie_secure(app) is False
    assert base.get_cookie_path(app) == "/"
    assert base.get_cookie_domain(app) is None


def test_expiration_time_only_for_permanent_sessions() -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    session = SecureCookieSession()
    assert SessionInterface().get_expiration_time(app, session) is None
    session.permanent = True
    expires = SessionInterface().get_expiration_time(app, session)
    assert expires is not None
    assert abs((expires - datetime.now(UTC)) - timedelta(hours=1)) < timedelta(seconds=5)


def test_should_set_cookie_when_modified_or_permanent_with_refresh() -> None:
    base = SessionInterface()
    session = SecureCookieSession({"_permanent": True})
    assert base.should_set_cookie(make_app(), session)
    assert not base.should_set_cookie(make_app(SESSION_REFRESH_EACH_REQUEST=False), session)
    assert not base.should_set_cookie(make_app(), SecureCookieSession({"a": 1}))


# --- SecureCookieSessionInterface: opening ----------------------------------------------------


def test_open_without_secret_key_returns_none(interface: SecureCookieSessionInterface) -> None:
    assert interface.open_session(make_app(secret_key=None), make_request()) is None


def test_open_without_cookie_gives_new_empty_session(
    interface: SecureCookieSessionInterface,
) -> None:
    session = interface.open_session(make_app(), make_request())
    assert isinstance(session, SecureCookieSession)
    assert dict(session) == {}
    assert session.new


def test_saved_session_round_trips_with_tagged_types(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    data = {"user": 42, "pair": (1, 2), "blob": b"\x00\x01"}
    value = round_trip(interface, app, data)
    session = interface.open_session(app, make_request(value))
    assert session is not None
    assert dict(session) == data
    assert not session.new
    assert not session.modified


def test_tampered_cookie_gives_empty_session(interface: SecureCookieSessionInterface) -> None:
    app = make_app()
    value = round_trip(interface, app, {"user": 1, "admin": False})
    rest = value.split(".", 1)[1]
    forged = base64.urlsafe_b64encode(b'{"user":1,"admin":true}').decode().rstrip("=")
    session = interface.open_session(app, make_request(f"{forged}.{rest}"))
    assert session is not None
    assert dict(session) == {}
    assert session.new


def test_cookie_with_flipped_signature_character_is_rejected(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"user": 1})
    # Flip the signature's first character: the last one may carry only padding bits, which
    # base64 decoding ignores, so changing it would not always change the signature.
    payload, _, signature = value.rpartition(".")
    flipped = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    session = interface.open_session(app, make_request(flipped))
    assert session is not None
    assert dict(session) == {}


def test_cookie_signed_with_unknown_key_is_rejected(
    interface: SecureCookieSessionInterface,
) -> None:
    value = round_trip(interface, make_app(secret_key="other-key"), {"user": 1})
    session = interface.open_session(make_app(), make_request(value))
    assert session is not None
    assert dict(session) == {}


@pytest.mark.parametrize("garbage", ["", "x", "...", "a.b.c", "%%%", "\u00e9t\u00e9"])
def test_garbage_cookie_gives_empty_session(
    interface: SecureCookieSessionInterface, garbage: str
) -> None:
    session = interface.open_session(make_app(), make_request(garbage))
    assert session is not None
    assert dict(session) == {}


def test_unsigned_pickle_cookie_is_never_unpickled(
    interface: SecureCookieSessionInterface, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise AssertionError("pickle must never be used")

    monkeypatch.setattr(pickle, "loads", refuse)
    evil = base64.urlsafe_b64encode(pickle.dumps({"admin": True})).decode()
    session = interface.open_session(make_app(), make_request(evil))
    assert session is not None
    assert dict(session) == {}


def test_cookie_signed_with_fallback_key_is_still_read(
    interface: SecureCookieSessionInterface,
) -> None:
    old_value = round_trip(interface, make_app(secret_key="old-key"), {"user": 7})
    app = make_app(secret_key="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    session = interface.open_session(app, make_request(old_value))
    assert session is not None
    assert dict(session) == {"user": 7}


def test_rotated_session_is_resigned_with_current_key(
    interface: SecureCookieSessionInterface,
) -> None:
    old_value = round_trip(interface, make_app(secret_key="old-key"), {"user": 7})
    app = make_app(secret_key="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    session = interface.open_session(app, make_request(old_value))
    assert session is not None
    session["seen"] = True
    new_value = cookie_value(save(interface, app, session))
    without_fallback = make_app(secret_key="new-key")
    reopened = interface.open_session(without_fallback, make_request(new_value))
    assert reopened is not None
    assert dict(reopened) == {"user": 7, "seen": True}


def test_expired_cookie_gives_empty_session(
    interface: SecureCookieSessionInterface, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_000_000_000)
        value = round_trip(interface, app, {"user": 1})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    assert dict(session) == {}


def test_cookie_within_lifetime_is_read(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    value = round_trip(interface, app, {"user": 1})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    assert dict(session) == {"user": 1}


def test_signed_non_dict_payload_gives_empty_session(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    session = interface.open_session(app, make_request(serializer.dumps([1, 2, 3])))
    assert session is not None
    assert dict(session) == {}


def test_signing_serializer_is_reused_while_keys_are_unchanged(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.secret_key = "changed"
    assert interface.get_signing_serializer(app) is not first


# --- SecureCookieSessionInterface: saving -----------------------------------------------------


def test_untouched_session_sets_no_cookie_and_no_vary(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"user": 1})
    session = interface.open_session(app, make_request(value))
    response = save(interface, app, session)
    assert set_cookies(response) == []
    assert "Cookie" not in response.vary


def test_read_session_adds_vary_cookie_without_setting_cookie(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"user": 1})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    assert session["user"] == 1
    response = save(interface, app, session)
    assert "Cookie" in response.vary
    assert set_cookies(response) == []


def test_modified_session_sets_cookie_with_secure_defaults(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    session = interface.open_session(app, make_request())
    assert session is not None
    session["user"] = 1
    response = save(interface, app, session)
    (header,) = set_cookies(response)
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes
    assert not any(a.startswith(("expires", "max-age", "domain")) for a in attributes)
    assert "Cookie" in response.vary


def test_secure_flag_from_config(interface: SecureCookieSessionInterface) -> None:
    app = make_app(SESSION_COOKIE_SECURE=True)
    session = interface.open_session(app, make_request())
    assert session is not None
    session["a"] = 1
    assert "; Secure" in set_cookies(save(interface, app, session))[0]


def test_secure_flag_for_https_requests(interface: SecureCookieSessionInterface) -> None:
    app = make_app()
    session = interface.open_session(app, make_request(scheme="https"))
    assert session is not None
    session["a"] = 1
    assert "; Secure" in set_cookies(save(interface, app, session))[0]


def test_samesite_none_in_config_omits_attribute(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app(SESSION_COOKIE_SAMESITE=None)
    session = interface.open_session(app, make_request())
    assert session is not None
    session["a"] = 1
    assert "samesite" not in set_cookies(save(interface, app, session))[0].lower()


def test_cookie_domain_path_and_name_from_config(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app(
        SESSION_COOKIE_NAME="sid", SESSION_COOKIE_DOMAIN="example.com", APPLICATION_ROOT="/app"
    )
    session = interface.open_session(app, make_request())
    assert session is not None
    session["a"] = 1
    header = set_cookies(save(interface, app, session))[0]
    assert header.startswith("sid=")
    assert "Domain=example.com" in header
    assert "Path=/app" in header


def test_permanent_session_cookie_has_expiry(interface: SecureCookieSessionInterface) -> None:
    app = make_app()
    session = interface.open_session(app, make_request())
    assert session is not None
    session.permanent = True
    header = set_cookies(save(interface, app, session))[0]
    assert "Expires=" in header


def test_permanent_session_is_refreshed_each_request(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"_permanent": True, "user": 1})
    session = interface.open_session(app, make_request(value))
    assert len(set_cookies(save(interface, app, session))) == 1


def test_permanent_session_not_refreshed_when_disabled(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app(SESSION_REFRESH_EACH_REQUEST=False)
    value = round_trip(interface, app, {"_permanent": True, "user": 1})
    session = interface.open_session(app, make_request(value))
    assert set_cookies(save(interface, app, session)) == []


def test_emptied_session_deletes_cookie(interface: SecureCookieSessionInterface) -> None:
    app = make_app()
    value = round_trip(interface, app, {"user": 1})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    session.clear()
    response = save(interface, app, session)
    (header,) = set_cookies(response)
    assert header.startswith("session=;")
    assert "Max-Age=0" in header
    assert "Cookie" in response.vary


def test_empty_unmodified_session_sets_nothing(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    session = interface.open_session(app, make_request())
    response = save(interface, app, session)
    assert set_cookies(response) == []


def test_in_place_change_to_nested_list_is_saved(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"cart": [1]})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    session["cart"].append(2)
    assert not session.modified
    new_value = cookie_value(save(interface, app, session))
    reopened = interface.open_session(app, make_request(new_value))
    assert reopened is not None
    assert reopened["cart"] == [1, 2]


def test_in_place_change_to_nested_dict_is_saved(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"prefs": {"theme": "dark"}})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    session.get("prefs")["theme"] = "light"
    new_value = cookie_value(save(interface, app, session))
    reopened = interface.open_session(app, make_request(new_value))
    assert reopened is not None
    assert reopened["prefs"] == {"theme": "light"}


def test_reading_nested_value_without_change_sets_no_cookie(
    interface: SecureCookieSessionInterface,
) -> None:
    app = make_app()
    value = round_trip(interface, app, {"cart": [1, 2], "prefs": {"a": (1,)}})
    session = interface.open_session(app, make_request(value))
    assert session is not None
    assert session["cart"] == [1, 2]
    assert session["prefs"] == {"a": (1,)}
    assert set_cookies(save(interface, app, session)) == []


def test_saving_without_secret_key_raises(interface: SecureCookieSessionInterface) -> None:
    session = SecureCookieSession()
    session["a"] = 1
    with pytest.raises(RuntimeError, match="no secret key"):
        save(interface, make_app(secret_key=None), session)
