"""Attacks against a default Tumbler app, each failing, next to the legitimate use working.

These tests use apps in production mode (no TESTING, no DEBUG) unless a test says otherwise, so
they exercise the defaults a deployed app runs with.
"""

from __future__ import annotations

import json
import re
import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler
from tumbler import redirect
from tumbler import render_template_string
from tumbler import request
from tumbler import session
from tumbler import url_for
from tumbler.protections import DEFAULT_SECURITY_HEADERS

XSS = '<script>alert("x")</script>'
SECRET = "a-production-secret-key-of-enough-length"


@pytest.fixture
def asgi(protocol: str) -> bool:
    """Whether the test client drives the app over ASGI (conftest's ``protocol``)."""
    return protocol == "asgi"


def make_app(**config: t.Any) -> Tumbler:
    app = Tumbler(__name__)
    app.config.update({"SECRET_KEY": SECRET, **config})
    return app


# -- cross-site scripting -------------------------------------------------------------------


def test_xss_payload_in_a_template_variable_is_escaped(asgi: bool) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return render_template_string("<p>Hello {{ name }}</p>", name=request.args["name"])

    rv = app.test_client(asgi=asgi).get("/", query_string={"name": XSS})
    assert "<script>" not in rv.text
    assert "&lt;script&gt;" in rv.text


def test_xss_payload_in_an_attribute_cannot_close_the_quote(asgi: bool) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return render_template_string('<a title="{{ t }}">x</a>', t=request.args["t"])

    rv = app.test_client(asgi=asgi).get("/", query_string={"t": '" onmouseover="alert(1)'})
    assert 'onmouseover="alert' not in rv.text
    assert "&#34; onmouseover=&#34;alert(1)" in rv.text


def test_xss_payload_in_tojson_cannot_end_the_script_block(asgi: bool) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "<script>const data = {{ data|tojson }};</script>", data={"v": request.args["v"]}
        )

    payload = "</script><script>alert(1)</script>"
    rv = app.test_client(asgi=asgi).get("/", query_string={"v": payload})
    assert rv.text.count("</script>") == 1
    embedded = rv.text.removeprefix("<script>const data = ").removesuffix(";</script>")
    assert json.loads(embedded) == {"v": payload}


def test_safe_filter_is_the_explicit_opt_out(asgi: bool) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ html|safe }}", html="<b>trusted</b>")

    assert app.test_client(asgi=asgi).get("/").text == "<b>trusted</b>"


# -- sessions -------------------------------------------------------------------------------


def _session_app(**config: t.Any) -> Tumbler:
    app = make_app(**config)

    @app.route("/login")
    def login() -> str:
        session["user"] = "alice"
        return "ok"

    @app.route("/whoami")
    def whoami() -> str:
        return str(session.get("user"))

    return app


def test_forged_session_cookie_gives_an_empty_session(asgi: bool) -> None:
    client = _session_app().test_client(asgi=asgi)
    client.set_cookie("session", '{"user": "admin"}')
    assert client.get("/whoami").text == "None"


def test_tampered_session_cookie_gives_an_empty_session(asgi: bool) -> None:
    app = _session_app()
    client = app.test_client(asgi=asgi)
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload, _, signature = cookie.value.partition(".")
    forged_payload = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    client.set_cookie("session", f"{forged_payload}.{signature}")
    assert client.get("/whoami").text == "None"


def test_session_signed_with_another_key_gives_an_empty_session(asgi: bool) -> None:
    attacker = _session_app(SECRET_KEY="the-attackers-own-secret-key-value!")
    forged = attacker.test_client(asgi=asgi)
    forged.get("/login")
    cookie = forged.get_cookie("session")
    assert cookie is not None
    victim = _session_app().test_client(asgi=asgi)
    victim.set_cookie("session", cookie.value)
    assert victim.get("/whoami").text == "None"


def test_rotated_keys_still_read_old_sessions(asgi: bool) -> None:
    old = _session_app().test_client(asgi=asgi)
    old.get("/login")
    cookie = old.get_cookie("session")
    assert cookie is not None
    rotated = _session_app(
        SECRET_KEY="the-new-secret-key-after-rotation!!", SECRET_KEY_FALLBACKS=[SECRET]
    )
    client = rotated.test_client(asgi=asgi)
    client.set_cookie("session", cookie.value)
    assert client.get("/whoami").text == "alice"


def test_session_cookie_is_httponly_and_samesite_lax(asgi: bool) -> None:
    rv = _session_app().test_client(asgi=asgi).get("/login")
    set_cookie = rv.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie


# -- cross-site request forgery -------------------------------------------------------------


def _transfer_app() -> Tumbler:
    app = make_app(CSRF_TOKEN_REQUIRED=True)
    done: list[str] = []

    @app.route("/form")
    def form() -> str:
        return render_template_string(
            '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'
        )

    @app.post("/transfer")
    def transfer() -> str:
        done.append(request.form["to"])
        return "sent"

    app.extensions["done"] = done
    return app


def test_cross_site_post_without_token_is_refused(asgi: bool) -> None:
    app = _transfer_app()
    client = app.test_client(asgi=asgi)
    client.get("/form")
    rv = client.post(
        "/transfer",
        data={"to": "mallory"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert rv.status_code == 403
    assert app.extensions["done"] == []


def test_cross_origin_post_from_an_old_browser_is_refused(asgi: bool) -> None:
    app = _transfer_app()
    rv = app.test_client(asgi=asgi).post(
        "/transfer", data={"to": "mallory"}, headers={"Origin": "https://evil.example"}
    )
    assert rv.status_code == 403
    assert app.extensions["done"] == []


def test_same_site_post_with_token_is_accepted(asgi: bool) -> None:
    app = _transfer_app()
    client = app.test_client(asgi=asgi)
    html = client.get("/form").text
    token = re.search(r'value="([^"]+)"', html)
    assert token is not None
    rv = client.post(
        "/transfer",
        data={"to": "bob", "csrf_token": token[1]},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    )
    assert rv.text == "sent"
    assert app.extensions["done"] == ["bob"]


def test_post_without_token_is_refused_when_tokens_are_required(asgi: bool) -> None:
    app = _transfer_app()
    rv = app.test_client(asgi=asgi).post("/transfer", data={"to": "mallory"})
    assert rv.status_code == 403


# -- limits ---------------------------------------------------------------------------------


def _echo_app(**config: t.Any) -> Tumbler:
    app = make_app(**config)

    @app.post("/form")
    def form() -> str:
        return str(len(request.form))

    @app.post("/data")
    def data() -> str:
        return str(len(request.get_data()))

    @app.post("/json")
    def json_view() -> str:
        return str(type(request.get_json()).__name__)

    return app


def test_oversize_body_gets_413(asgi: bool) -> None:
    client = _echo_app(MAX_CONTENT_LENGTH=1000).test_client(asgi=asgi)
    assert client.post("/data", data=b"x" * 1000).text == "1000"
    assert client.post("/data", data=b"x" * 1001).status_code == 413


def test_default_body_limit_is_16_megabytes(asgi: bool) -> None:
    app = _echo_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    rv = app.test_client(asgi=asgi).post("/data", data=b"x" * (16 * 1024 * 1024 + 1))
    assert rv.status_code == 413


def test_too_many_form_parts_get_413(asgi: bool) -> None:
    client = _echo_app(MAX_FORM_PARTS=5).test_client(asgi=asgi)
    assert client.post("/form", data={f"f{i}": "v" for i in range(3)}).text == "3"
    fields = {f"f{i}": "v" for i in range(50)}
    assert client.post("/form", data=fields, content_type="multipart/form-data").status_code == 413


def test_deeply_nested_json_gets_400(asgi: bool) -> None:
    client = _echo_app().test_client(asgi=asgi)
    assert client.post("/json", json=[[[1]]]).text == "list"
    deep = "[" * 10_000 + "]" * 10_000
    rv = client.post("/json", data=deep, content_type="application/json")
    assert rv.status_code == 400


def test_too_many_headers_get_431(asgi: bool) -> None:
    client = _echo_app().test_client(asgi=asgi)
    rv = client.post("/data", headers={f"X-Flood-{i}": "1" for i in range(150)})
    assert rv.status_code == 431


@pytest.mark.parametrize("length", ["abc", "-1", "5, 5", "0x10", "1e3"])
def test_ambiguous_content_length_gets_400_before_any_view(asgi: bool, length: str) -> None:
    # A body whose length the server and the app could read differently is how requests are
    # smuggled: such a request is refused, never read with a guessed length.
    reached: list[str] = []
    app = _echo_app()

    @app.before_request
    def note() -> None:
        reached.append(request.path)

    client = app.test_client(asgi=asgi)
    assert client.post("/data", data=b"hello").text == "5"
    reached.clear()
    rv = client.post("/data", data=b"hello", environ_overrides={"CONTENT_LENGTH": length})
    assert rv.status_code == 400
    assert "Content-Length" in rv.text
    assert reached == []


# -- host header ----------------------------------------------------------------------------


def _host_app(**config: t.Any) -> Tumbler:
    app = make_app(**config)
    reached: list[str] = []

    @app.route("/reset")
    def reset() -> str:
        reached.append("view")
        return f"Reset your password at {url_for('reset', _external=True)}"

    @app.route("/go")
    def go() -> Response:
        reached.append("view")
        return redirect(url_for("reset", _external=True))

    app.extensions["reached"] = reached
    return app


def test_forged_host_gets_400_and_never_reaches_url_building(asgi: bool) -> None:
    app = _host_app()
    client = app.test_client(asgi=asgi)
    rv = client.get("/reset", headers={"Host": "evil.example"})
    assert rv.status_code == 400
    assert "http://evil.example" not in rv.text
    rv = client.get("/go", headers={"Host": "evil.example"})
    assert rv.status_code == 400
    assert "Location" not in rv.headers
    assert app.extensions["reached"] == []


def test_forged_host_is_refused_with_trusted_hosts_configured(asgi: bool) -> None:
    app = _host_app(TRUSTED_HOSTS=["shop.example"])
    client = app.test_client(asgi=asgi)
    assert client.get("/go", headers={"Host": "evil.example"}).status_code == 400
    rv = client.get("/go", base_url="https://shop.example")
    assert rv.headers["Location"] == "https://shop.example/reset"


def test_spoofed_x_forwarded_for_is_ignored(asgi: bool) -> None:
    app = make_app()

    @app.route("/ip")
    def ip() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    rv = app.test_client(asgi=asgi).get(
        "/ip",
        headers={
            "X-Forwarded-For": "10.9.8.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
        },
    )
    assert rv.text == "127.0.0.1 http localhost"


# -- headers and error pages ----------------------------------------------------------------


def test_every_default_security_header_is_present(asgi: bool) -> None:
    app = make_app()

    @app.route("/")
    def index() -> str:
        return "hi"

    rv = app.test_client(asgi=asgi).get("/")
    assert {name: rv.headers.get(name) for name in DEFAULT_SECURITY_HEADERS} == dict(
        DEFAULT_SECURITY_HEADERS
    )


def test_not_found_page_does_not_reflect_the_path_unescaped(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).get(f"/{XSS}")
    assert rv.status_code == 404
    assert "<script>" not in rv.text


def test_bad_host_page_escapes_the_host(asgi: bool) -> None:
    rv = make_app(TESTING=True).test_client(asgi=asgi).get("/", headers={"Host": "<b>x</b>"})
    assert rv.status_code == 400
    assert "<b>" not in rv.text
    assert "&lt;b&gt;" in rv.text


def test_server_error_shows_no_traceback_when_debug_is_off(asgi: bool) -> None:
    app = make_app()

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("database password is hunter2")

    rv = app.test_client(asgi=asgi).get("/boom")
    assert rv.status_code == 500
    assert "hunter2" not in rv.text
    assert "Traceback" not in rv.text
    assert "RuntimeError" not in rv.text


def test_server_error_shows_no_traceback_to_remote_clients_even_in_debug(asgi: bool) -> None:
    app = make_app(DEBUG=True, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("database password is hunter2")

    rv = app.test_client(asgi=asgi).get(
        "/boom", environ_base={"REMOTE_ADDR": "203.0.113.5"}, headers={"Host": "localhost"}
    )
    assert rv.status_code == 500
    assert "hunter2" not in rv.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "ü" * 80},
        {"Host": "[::1"},
        {"Host": "a..b"},
        {"Origin": "https://[zz]"},
        {"Origin": "https://é.example:99999"},
        {"Sec-Fetch-Site": "\xff"},
        {"X-Forwarded-For": ",,,", "X-Forwarded-Port": "-1"},
        {"X-Forwarded-Host": "[", "X-Forwarded-Prefix": "/\x7f"},
        {"Forwarded": 'for="\\";proto=;host=,;;,="'},
        {"X-CSRF-Token": "ü.ü.ü"},
    ],
)
def test_malformed_security_headers_get_a_4xx_or_pass_never_a_500(
    asgi: bool, headers: dict[str, str]
) -> None:
    app = make_app(
        PROXY_FIX={
            "x_for": 1,
            "x_proto": 1,
            "x_host": 1,
            "x_port": 1,
            "x_prefix": 1,
            "forwarded": 1,
        },
        CSRF_TOKEN_REQUIRED=True,
        TRUSTED_ORIGINS=["https://*.example.com"],
    )

    @app.post("/")
    def index() -> str:
        return f"{request.remote_addr} {request.url}"

    rv = app.test_client(asgi=asgi).post("/", headers=headers)
    assert 400 <= rv.status_code < 500
