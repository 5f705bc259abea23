"""Cross-site request forgery protection: origin checks, tokens and exemptions."""

from __future__ import annotations

import re
import time
import typing as t

import pytest
from itsdangerous import TimestampSigner

from tumbler import Blueprint
from tumbler import Tumbler
from tumbler import csrf_exempt
from tumbler import render_template_string
from tumbler import request
from tumbler import session
from tumbler.csrf import CSRFError
from tumbler.csrf import _normalize_origin
from tumbler.csrf import generate_csrf
from tumbler.csrf import validate_csrf
from tumbler.views import MethodView

FORM = '<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'


@pytest.fixture
def asgi(protocol: str) -> bool:
    """Whether the test client drives the app over ASGI (conftest's ``protocol``)."""
    return protocol == "asgi"


def make_app(**config: t.Any) -> Tumbler:
    app = Tumbler(__name__)
    app.secret_key = "a-test-secret-key-that-is-long-enough"
    app.config.update(config)

    @app.route("/", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def index() -> str:
        return "done"

    @app.route("/form")
    def form() -> str:
        return render_template_string(FORM)

    return app


def token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html
    return match[1]


# -- origin normalization -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://Example.com", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:8080", "http://example.com:8080"),
        ("https://example.com/", "https://example.com"),
        ("null", None),
        ("ftp://example.com", None),
        ("https://exa mple.com", None),
        ("example.com", None),
    ],
)
def test_normalize_origin(value: str, expected: str | None) -> None:
    assert _normalize_origin(value) == expected


# -- the origin / Sec-Fetch-Site check ------------------------------------------------------


def test_post_without_browser_headers_passes(asgi: bool) -> None:
    assert make_app().test_client(asgi=asgi).post("/").text == "done"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_cross_site_unsafe_request_is_refused_with_403(asgi: bool, method: str) -> None:
    rv = (
        make_app()
        .test_client(asgi=asgi)
        .open("/", method=method, headers={"Sec-Fetch-Site": "cross-site"})
    )
    assert rv.status_code == 403
    assert "TRUSTED_ORIGINS" in rv.text
    assert "csrf_exempt" in rv.text


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none"])
def test_same_site_fetch_metadata_passes(asgi: bool, site: str) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", headers={"Sec-Fetch-Site": site})
    assert rv.text == "done"


def test_safe_methods_are_never_checked(asgi: bool) -> None:
    rv = (
        make_app()
        .test_client(asgi=asgi)
        .get("/", headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    )
    assert rv.status_code == 200


def test_origin_of_another_site_is_refused(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", headers={"Origin": "https://evil.example"})
    assert rv.status_code == 403
    assert "does not match" in rv.text
    assert "TRUSTED_ORIGINS" in rv.text


def test_origin_matching_the_request_passes(asgi: bool) -> None:
    client = make_app().test_client(asgi=asgi)
    assert client.post("/", headers={"Origin": "http://localhost"}).text == "done"
    assert client.post("/", headers={"Origin": "http://LOCALHOST:80"}).text == "done"


def test_origin_with_another_scheme_is_refused(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", headers={"Origin": "https://localhost"})
    assert rv.status_code == 403
    assert "PROXY_FIX" in rv.text


def test_origin_with_another_port_is_refused(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", headers={"Origin": "http://localhost:8080"})
    assert rv.status_code == 403


def test_null_origin_is_refused(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", headers={"Origin": "null"})
    assert rv.status_code == 403
    assert "null" in rv.text


def test_malformed_origin_is_refused_not_an_error(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", headers={"Origin": "https://a b/<x>"})
    assert rv.status_code == 403
    assert "<x>" not in rv.text


def test_unknown_fetch_site_value_falls_back_to_origin(asgi: bool) -> None:
    client = make_app().test_client(asgi=asgi)
    rv = client.post("/", headers={"Sec-Fetch-Site": "future", "Origin": "https://evil.example"})
    assert rv.status_code == 403
    assert client.post("/", headers={"Sec-Fetch-Site": "future"}).status_code == 200


def test_trusted_origin_passes_even_when_cross_site(asgi: bool) -> None:
    app = make_app(TRUSTED_ORIGINS=["https://app.example.com"])
    rv = app.test_client(asgi=asgi).post(
        "/", headers={"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}
    )
    assert rv.text == "done"


def test_wildcard_trusted_origin_covers_subdomains_only_on_its_scheme(asgi: bool) -> None:
    client = make_app(TRUSTED_ORIGINS=["https://*.example.com"]).test_client(asgi=asgi)
    assert client.post("/", headers={"Origin": "https://a.example.com"}).status_code == 200
    assert client.post("/", headers={"Origin": "http://a.example.com"}).status_code == 403
    assert client.post("/", headers={"Origin": "https://example.com.evil"}).status_code == 403


def test_invalid_trusted_origin_fails_loudly() -> None:
    app = make_app(TRUSTED_ORIGINS=["example.com"], TESTING=True)
    with pytest.raises(ValueError, match="TRUSTED_ORIGINS"):
        app.test_client().post("/")


def test_unknown_url_is_404_not_403(asgi: bool) -> None:
    rv = (
        make_app().test_client(asgi=asgi).post("/missing", headers={"Sec-Fetch-Site": "cross-site"})
    )
    assert rv.status_code == 404


def test_refused_request_runs_no_before_request_hook(asgi: bool) -> None:
    app = make_app()
    calls: list[str] = []
    app.before_request(lambda: calls.append("before"))
    rv = app.test_client(asgi=asgi).post("/", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.status_code == 403
    assert calls == []


def test_csrf_error_can_be_handled_by_an_error_handler(asgi: bool) -> None:
    app = make_app()

    @app.errorhandler(CSRFError)
    def refused(e: CSRFError) -> tuple[str, int]:
        return f"refused: {e.reason}", 403

    rv = app.test_client(asgi=asgi).post("/", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.text == "refused: cross-site"


def test_csrf_can_be_disabled(asgi: bool) -> None:
    app = make_app(CSRF_ENABLED=False)
    rv = app.test_client(asgi=asgi).post("/", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.text == "done"


# -- exemptions -----------------------------------------------------------------------------


def test_exempt_view_accepts_cross_site_posts(asgi: bool) -> None:
    app = make_app()

    @app.post("/hook")
    @csrf_exempt
    def hook() -> str:
        return "hooked"

    rv = app.test_client(asgi=asgi).post("/hook", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.text == "hooked"


def test_exempt_decorator_works_above_the_route_decorator(asgi: bool) -> None:
    app = make_app()

    @csrf_exempt
    @app.post("/hook")
    def hook() -> str:
        return "hooked"

    rv = app.test_client(asgi=asgi).post("/hook", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.text == "hooked"


def test_exempt_blueprint_covers_its_views_and_nested_blueprints(asgi: bool) -> None:
    app = make_app()
    outer = Blueprint("outer", __name__, url_prefix="/outer")
    inner = Blueprint("inner", __name__, url_prefix="/inner")
    other = Blueprint("other", __name__, url_prefix="/other")

    @outer.post("/")
    def outer_view() -> str:
        return "outer"

    @inner.post("/")
    def inner_view() -> str:
        return "inner"

    @other.post("/")
    def other_view() -> str:
        return "other"

    outer.register_blueprint(inner)
    csrf_exempt(outer)
    app.register_blueprint(outer)
    app.register_blueprint(other)
    client = app.test_client(asgi=asgi)
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/outer/", headers=cross).text == "outer"
    assert client.post("/outer/inner/", headers=cross).text == "inner"
    assert client.post("/other/", headers=cross).status_code == 403


def test_exempt_class_based_view(asgi: bool) -> None:
    app = make_app()

    @csrf_exempt
    class Hook(MethodView):
        def post(self) -> str:
            return "class"

    app.add_url_rule("/cls", view_func=Hook.as_view("cls"))
    rv = app.test_client(asgi=asgi).post("/cls", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.text == "class"


# -- tokens ---------------------------------------------------------------------------------


def test_csrf_token_is_rendered_into_forms(asgi: bool) -> None:
    html = make_app().test_client(asgi=asgi).get("/form").text
    assert len(token_from(html)) > 40


def test_required_token_accepts_form_field_from_the_same_session(asgi: bool) -> None:
    client = make_app(CSRF_TOKEN_REQUIRED=True).test_client(asgi=asgi)
    token = token_from(client.get("/form").text)
    rv = client.post("/", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "same-origin"})
    assert rv.text == "done"


def test_required_token_accepts_header(asgi: bool) -> None:
    client = make_app(CSRF_TOKEN_REQUIRED=True).test_client(asgi=asgi)
    token = token_from(client.get("/form").text)
    rv = client.post("/", json={"a": 1}, headers={"X-CSRF-Token": token})
    assert rv.text == "done"


def test_required_token_accepts_multipart_field(asgi: bool) -> None:
    client = make_app(CSRF_TOKEN_REQUIRED=True).test_client(asgi=asgi)
    token = token_from(client.get("/form").text)
    rv = client.post("/", data={"csrf_token": token, "x": "1"}, content_type="multipart/form-data")
    assert rv.text == "done"


def test_custom_field_and_header_names(asgi: bool) -> None:
    app = make_app(CSRF_TOKEN_REQUIRED=True, CSRF_FIELD_NAME="_xsrf", CSRF_HEADER_NAME="X-XSRF")
    client = app.test_client(asgi=asgi)
    token = token_from(client.get("/form").text)
    assert client.post("/", data={"_xsrf": token}).text == "done"
    assert client.post("/", headers={"X-XSRF": token}).text == "done"
    assert client.post("/", data={"csrf_token": token}).status_code == 403


def test_required_token_missing_says_what_to_add(asgi: bool) -> None:
    rv = make_app(CSRF_TOKEN_REQUIRED=True).test_client(asgi=asgi).post("/", data={"a": "1"})
    assert rv.status_code == 403
    assert "name=&#34;csrf_token&#34;" in rv.text
    assert "csrf_token()" in rv.text
    assert "X-CSRF-Token" in rv.text


def test_submitted_token_is_verified_even_when_not_required(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).post("/", data={"csrf_token": "forged"})
    assert rv.status_code == 403
    assert "invalid" in rv.text


def test_token_from_another_session_is_refused(asgi: bool) -> None:
    app = make_app(CSRF_TOKEN_REQUIRED=True)
    victim = app.test_client(asgi=asgi)
    attacker = app.test_client(asgi=asgi)
    attacker_token = token_from(attacker.get("/form").text)
    victim.get("/form")
    rv = victim.post("/", data={"csrf_token": attacker_token})
    assert rv.status_code == 403
    assert "session" in rv.text


def test_token_without_session_is_refused(asgi: bool) -> None:
    app = make_app(CSRF_TOKEN_REQUIRED=True)
    token = token_from(app.test_client(asgi=asgi).get("/form").text)
    rv = app.test_client(asgi=asgi).post("/", data={"csrf_token": token})
    assert rv.status_code == 403


def test_tampered_token_is_refused(asgi: bool) -> None:
    client = make_app(CSRF_TOKEN_REQUIRED=True).test_client(asgi=asgi)
    token = token_from(client.get("/form").text)
    # Change the signature's first character: the last ones may carry only base64 padding bits.
    payload, _, signature = token.rpartition(".")
    tampered = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert client.post("/", data={"csrf_token": tampered}).status_code == 403


def test_expired_token_is_refused(asgi: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_app(CSRF_TOKEN_REQUIRED=True, CSRF_TIME_LIMIT=60).test_client(asgi=asgi)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3600)
    token = token_from(client.get("/form").text)
    monkeypatch.undo()
    rv = client.post("/", data={"csrf_token": token})
    assert rv.status_code == 403
    assert "expired" in rv.text


def test_token_signed_before_key_rotation_stays_valid(asgi: bool) -> None:
    app = make_app(CSRF_TOKEN_REQUIRED=True)
    client = app.test_client(asgi=asgi)
    token = token_from(client.get("/form").text)
    old_key = app.secret_key
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    app.secret_key = "a-brand-new-secret-key-after-rotation"
    assert client.post("/", data={"csrf_token": token}).text == "done"


def test_token_is_stable_within_a_request_and_stored_in_the_session() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert generate_csrf() == generate_csrf()
        assert "_csrf_token" in session


def test_generate_csrf_without_secret_key_raises() -> None:
    app = make_app()
    app.secret_key = None
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="SECRET_KEY"):
        generate_csrf()


def test_validate_csrf_reports_missing_token() -> None:
    app = make_app()
    with app.test_request_context("/"), pytest.raises(CSRFError) as info:
        validate_csrf(None)
    assert info.value.reason == "token-missing"
    assert info.value.code == 403


def test_token_in_non_form_body_is_not_read(asgi: bool) -> None:
    app = make_app(CSRF_TOKEN_REQUIRED=True)

    @app.post("/raw")
    def raw() -> str:
        return request.get_data(as_text=True)

    rv = app.test_client(asgi=asgi).post("/raw", data=b"csrf_token=x", content_type="text/plain")
    assert rv.status_code == 403
    assert rv.headers["Content-Type"].startswith("text/html")


def test_blueprint_constructor_flag_exempts_its_views(asgi: bool) -> None:
    app = make_app()
    hooks = Blueprint("hooks", __name__, url_prefix="/hooks", csrf_exempt=True)

    @hooks.post("/")
    def hook() -> str:
        return "hooked"

    app.register_blueprint(hooks)
    rv = app.test_client(asgi=asgi).post("/hooks/", headers={"Sec-Fetch-Site": "cross-site"})
    assert rv.text == "hooked"
