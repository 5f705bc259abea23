"""Secure defaults and development conveniences that the app wires together."""

from __future__ import annotations

import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler


def make_app(**config: t.Any) -> Tumbler:
    app = Tumbler(__name__)
    app.config.update(SECRET_KEY="test", **config)

    @app.route("/cookie")
    def cookie() -> Response:
        response = Response("set")
        response.set_cookie("pref", "dark")
        return response

    @app.route("/relaxed")
    def relaxed() -> Response:
        response = Response("set")
        response.set_cookie("js", "1", httponly=False, samesite=None, secure=False)
        return response

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("<script>alert(1)</script>")

    return app


def test_set_cookie_defaults_to_httponly_and_samesite_lax(client_for: t.Any) -> None:
    rv = client_for(make_app(TESTING=True)).get("/cookie")
    header = rv.headers["Set-Cookie"]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


def test_set_cookie_is_secure_on_https_requests(client_for: t.Any) -> None:
    rv = client_for(make_app(TESTING=True)).get("/cookie", base_url="https://localhost")
    assert "Secure" in rv.headers["Set-Cookie"]


def test_set_cookie_is_secure_when_the_app_requires_it(client_for: t.Any) -> None:
    rv = client_for(make_app(TESTING=True, SESSION_COOKIE_SECURE=True)).get("/cookie")
    assert "Secure" in rv.headers["Set-Cookie"]


def test_set_cookie_can_be_relaxed_explicitly(client_for: t.Any) -> None:
    rv = client_for(make_app(TESTING=True)).get("/relaxed", base_url="https://localhost")
    header = rv.headers["Set-Cookie"]
    assert "HttpOnly" not in header
    assert "SameSite" not in header
    assert "Secure" not in header


def test_set_cookie_outside_a_request_is_not_secure_by_default() -> None:
    response = Response()
    response.set_cookie("a", "b")
    assert response.headers["Set-Cookie"] == "a=b; HttpOnly; Path=/; SameSite=Lax"


def test_debug_mode_shows_the_escaped_debug_page_to_local_clients(client_for: t.Any) -> None:
    app = make_app(DEBUG=True)
    rv = client_for(app).get("/boom")
    assert rv.status_code == 500
    assert "Traceback" in rv.text or "traceback" in rv.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rv.text
    assert "<script>alert(1)" not in rv.text


def test_debug_page_is_not_shown_to_remote_clients(client_for: t.Any) -> None:
    app = make_app(DEBUG=True)
    rv = client_for(app).get("/boom", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert rv.status_code == 500
    assert "Traceback" not in rv.text and "traceback" not in rv.text
    assert "alert" not in rv.text


def test_no_debug_page_without_debug(client_for: t.Any) -> None:
    rv = client_for(make_app()).get("/boom")
    assert rv.status_code == 500
    assert "alert" not in rv.text


def test_run_serves_through_the_development_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[t.Any, ...]] = []

    def fake_run_simple(host: str, port: int, app: t.Any, **options: t.Any) -> None:
        calls.append((host, port, app, options))

    monkeypatch.setattr("tumbler.serving.run_simple", fake_run_simple)
    monkeypatch.delenv("TUMBLER_RUN_FROM_CLI", raising=False)
    app = make_app()
    app.run(port=8123, debug=True, load_dotenv=False)
    host, port, served, options = calls[0]
    assert (host, port, served) == ("127.0.0.1", 8123, app)
    assert options["use_reloader"] is True and options["use_debugger"] is True
