"""Security headers, CSP nonces, host validation and header limits."""

from __future__ import annotations

import re
import typing as t

import pytest

from tumbler import Response
from tumbler import Tumbler
from tumbler import abort
from tumbler import csp_nonce
from tumbler import redirect
from tumbler import render_template_string
from tumbler import url_for
from tumbler.protections import DEFAULT_SECURITY_HEADERS
from tumbler.protections import LOCAL_HOSTS
from tumbler.protections import HostPolicy
from tumbler.protections import build_csp


@pytest.fixture
def asgi(protocol: str) -> bool:
    """Whether the test client drives the app over ASGI (conftest's ``protocol``)."""
    return protocol == "asgi"


def make_app(**config: t.Any) -> Tumbler:
    app = Tumbler(__name__)
    app.config.update(config)

    @app.route("/")
    def index() -> str:
        return "hello"

    return app


# -- HostPolicy ---------------------------------------------------------------------------


def test_host_policy_matches_exact_names_in_any_case_and_port() -> None:
    policy = HostPolicy(["example.com"])
    assert policy.allows("example.com")
    assert policy.allows("EXAMPLE.com:8080")
    assert not policy.allows("www.example.com")
    assert not policy.allows("example.com.evil.net")


def test_host_policy_dot_prefix_matches_name_and_subdomains() -> None:
    policy = HostPolicy([".example.com"])
    assert policy.allows("example.com")
    assert policy.allows("a.b.example.com:443")
    assert not policy.allows("badexample.com")


def test_host_policy_pattern_with_port_matches_only_that_port() -> None:
    policy = HostPolicy(["example.com:8443"])
    assert policy.allows("example.com:8443")
    assert not policy.allows("example.com:8080")
    assert not policy.allows("example.com")


def test_host_policy_matches_ip_literals() -> None:
    policy = HostPolicy(["127.0.0.1", "::1"])
    assert policy.allows("127.0.0.1:5000")
    assert policy.allows("[::1]:5000")
    assert not policy.allows("127.0.0.2")


def test_host_policy_accepts_fully_qualified_trailing_dot() -> None:
    assert HostPolicy(["example.com"]).allows("example.com.")


def test_host_policy_matches_international_names_by_punycode() -> None:
    assert HostPolicy(["bücher.example"]).allows("xn--bcher-kva.example")


def test_host_policy_star_accepts_any_well_formed_host_only() -> None:
    policy = HostPolicy(["*"])
    assert policy.allows("anything.example:81")
    assert not policy.allows("evil.com/path")
    assert not policy.allows("a b")


@pytest.mark.parametrize("host", ["a..localhost", ".localhost", "localhost..", "a..b.localhost:80"])
def test_host_policy_refuses_names_with_empty_labels(host: str) -> None:
    # "a..localhost" is no host name; it must not pass for a subdomain of localhost.
    assert not HostPolicy(list(LOCAL_HOSTS)).allows(host)
    assert not HostPolicy(["*"]).allows(host)


def test_host_policy_refuses_invalid_pattern() -> None:
    with pytest.raises(ValueError, match="Invalid host pattern"):
        HostPolicy(["exa mple.com"])


def test_host_policy_refuses_a_string_instead_of_a_list() -> None:
    with pytest.raises(TypeError, match="list"):
        HostPolicy("example.com")


# -- build_csp ------------------------------------------------------------------------------


def test_build_csp_from_string_without_nonce_is_one_piece() -> None:
    assert build_csp("default-src 'self'") == ("default-src 'self'",)


def test_build_csp_from_dict_joins_directives_and_marks_nonce() -> None:
    parts = build_csp(
        {
            "default-src": "'self'",
            "script-src": ["'self'", "'nonce'"],
            "upgrade-insecure-requests": True,
            "report-uri": None,
        }
    )
    assert parts is not None
    assert "N".join(parts) == (
        "default-src 'self'; script-src 'self' 'nonce-N'; upgrade-insecure-requests"
    )


def test_build_csp_replaces_nonce_placeholder() -> None:
    parts = build_csp("script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'")
    assert parts is not None
    assert "abc".join(parts) == "script-src 'nonce-abc'; style-src 'nonce-abc'"


def test_build_csp_refuses_line_breaks_and_other_types() -> None:
    with pytest.raises(ValueError):
        build_csp("default-src 'self'\r\nSet-Cookie: x=1")
    with pytest.raises(TypeError):
        build_csp(42)  # type: ignore[arg-type]


# -- default headers ------------------------------------------------------------------------


def test_every_response_gets_the_default_security_headers(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).get("/")
    for name, value in DEFAULT_SECURITY_HEADERS.items():
        assert rv.headers[name] == value


def test_error_responses_get_the_default_security_headers(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).get("/missing")
    assert rv.status_code == 404
    assert rv.headers["X-Frame-Options"] == "DENY"


def test_server_error_response_gets_the_security_headers(asgi: bool) -> None:
    app = make_app()

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    rv = app.test_client(asgi=asgi).get("/boom")
    assert rv.status_code == 500
    assert rv.headers["X-Content-Type-Options"] == "nosniff"


def test_headers_set_by_the_view_are_kept(asgi: bool) -> None:
    app = make_app()

    @app.route("/framed")
    def framed() -> tuple[str, dict[str, str]]:
        return "ok", {"X-Frame-Options": "SAMEORIGIN"}

    rv = app.test_client(asgi=asgi).get("/framed")
    assert rv.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]


def test_headers_set_by_after_request_are_kept(asgi: bool) -> None:
    app = make_app()

    @app.after_request
    def referrer(response: Response) -> Response:
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    rv = app.test_client(asgi=asgi).get("/")
    assert rv.headers.getlist("Referrer-Policy") == ["no-referrer"]


def test_security_headers_config_overrides_and_removes(asgi: bool) -> None:
    app = make_app(
        SECURITY_HEADERS={
            "X-Frame-Options": "SAMEORIGIN",
            "Cross-Origin-Opener-Policy": None,
            "Permissions-Policy": "camera=()",
        }
    )
    rv = app.test_client(asgi=asgi).get("/")
    assert rv.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Cross-Origin-Opener-Policy" not in rv.headers
    assert rv.headers["Permissions-Policy"] == "camera=()"
    assert rv.headers["X-Content-Type-Options"] == "nosniff"


def test_security_headers_config_refuses_header_injection() -> None:
    app = make_app(SECURITY_HEADERS={"X-Test": "a\r\nSet-Cookie: x=1"})
    app.testing = True
    with pytest.raises(ValueError, match="line breaks"):
        app.test_client().get("/")


# -- HSTS -----------------------------------------------------------------------------------


def test_hsts_is_off_by_default(asgi: bool) -> None:
    rv = make_app().test_client(asgi=asgi).get("/", base_url="https://localhost")
    assert "Strict-Transport-Security" not in rv.headers


def test_hsts_is_sent_on_https_requests(asgi: bool) -> None:
    app = make_app(HSTS_SECONDS=31536000, HSTS_INCLUDE_SUBDOMAINS=True, HSTS_PRELOAD=True)
    rv = app.test_client(asgi=asgi).get("/", base_url="https://localhost")
    assert rv.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_hsts_is_not_sent_on_plain_http(asgi: bool) -> None:
    rv = make_app(HSTS_SECONDS=3600).test_client(asgi=asgi).get("/")
    assert "Strict-Transport-Security" not in rv.headers


# -- CSP ------------------------------------------------------------------------------------


def test_static_csp_is_added(asgi: bool) -> None:
    rv = make_app(CONTENT_SECURITY_POLICY="default-src 'self'").test_client(asgi=asgi).get("/")
    assert rv.headers["Content-Security-Policy"] == "default-src 'self'"


def test_csp_nonce_in_template_matches_header(asgi: bool) -> None:
    app = make_app(CONTENT_SECURITY_POLICY={"script-src": ["'self'", "'nonce'"]})

    @app.route("/page")
    def page() -> str:
        return render_template_string('<script nonce="{{ csp_nonce() }}">go()</script>')

    rv = app.test_client(asgi=asgi).get("/page")
    match = re.search(r'nonce="([^"]+)"', rv.text)
    assert match is not None
    assert rv.headers["Content-Security-Policy"] == f"script-src 'self' 'nonce-{match[1]}'"


def test_csp_nonce_changes_between_requests(asgi: bool) -> None:
    app = make_app(CONTENT_SECURITY_POLICY="script-src 'nonce-{nonce}'")
    client = app.test_client(asgi=asgi)
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    assert first != second
    assert "{nonce}" not in first


def test_csp_nonce_is_stable_within_a_request(asgi: bool) -> None:
    app = make_app()

    @app.route("/twice")
    def twice() -> str:
        return f"{csp_nonce()} {csp_nonce()}"

    first, second = app.test_client(asgi=asgi).get("/twice").text.split()
    assert first == second
    assert len(first) >= 22


def test_csp_frame_ancestors_replaces_x_frame_options(asgi: bool) -> None:
    app = make_app(CONTENT_SECURITY_POLICY="frame-ancestors 'self'")
    rv = app.test_client(asgi=asgi).get("/")
    assert "X-Frame-Options" not in rv.headers


def test_csp_set_by_the_view_is_kept(asgi: bool) -> None:
    app = make_app(CONTENT_SECURITY_POLICY="default-src 'self'")

    @app.route("/own")
    def own() -> tuple[str, dict[str, str]]:
        return "ok", {"Content-Security-Policy": "default-src 'none'"}

    rv = app.test_client(asgi=asgi).get("/own")
    assert rv.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]


def test_csp_nonce_outside_a_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        csp_nonce()


# -- host validation ------------------------------------------------------------------------


def test_trusted_hosts_accepts_listed_host(asgi: bool) -> None:
    app = make_app(TRUSTED_HOSTS=["example.com"])
    rv = app.test_client(asgi=asgi).get("/", base_url="http://example.com")
    assert rv.status_code == 200


def test_trusted_hosts_refuses_other_hosts_with_400(asgi: bool) -> None:
    app = make_app(TRUSTED_HOSTS=["example.com"])
    rv = app.test_client(asgi=asgi).get("/", headers={"Host": "evil.example"})
    assert rv.status_code == 400
    assert "not allowed" in rv.text


def test_trusted_hosts_is_enforced_in_testing_mode_too(asgi: bool) -> None:
    app = make_app(TRUSTED_HOSTS=["example.com"], TESTING=True)
    assert app.test_client(asgi=asgi).get("/").status_code == 400


def test_trusted_hosts_suffix_accepts_subdomains(asgi: bool) -> None:
    app = make_app(TRUSTED_HOSTS=[".example.com"])
    rv = app.test_client(asgi=asgi).get("/", base_url="http://api.example.com:8080")
    assert rv.status_code == 200


def test_trusted_hosts_star_accepts_any_host(asgi: bool) -> None:
    app = make_app(TRUSTED_HOSTS=["*"])
    rv = app.test_client(asgi=asgi).get("/", base_url="http://whatever.example")
    assert rv.status_code == 200


def test_without_trusted_hosts_production_accepts_localhost_names(asgi: bool) -> None:
    client = make_app().test_client(asgi=asgi)
    for host in ("localhost", "127.0.0.1:5000", "[::1]:8000", "app.localhost"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_without_trusted_hosts_production_refuses_other_hosts_and_says_what_to_set(
    asgi: bool,
) -> None:
    rv = make_app().test_client(asgi=asgi).get("/", headers={"Host": "example.com"})
    assert rv.status_code == 400
    assert "TRUSTED_HOSTS" in rv.text


def test_without_trusted_hosts_the_server_name_host_is_accepted(asgi: bool) -> None:
    app = make_app(SERVER_NAME="example.com:8000")
    assert app.test_client(asgi=asgi).get("/").status_code == 200


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_without_trusted_hosts_debug_and_testing_accept_any_host(asgi: bool, mode: str) -> None:
    app = make_app(**{mode: True})
    rv = app.test_client(asgi=asgi).get("/", headers={"Host": "anything.example"})
    assert rv.status_code == 200


def test_malformed_host_is_refused_even_in_testing(asgi: bool) -> None:
    app = make_app(TESTING=True)
    rv = app.test_client(asgi=asgi).get("/", headers={"Host": "evil.com/path"})
    assert rv.status_code == 400
    assert "not a valid host" in rv.text


def test_refused_host_runs_no_app_code(asgi: bool) -> None:
    app = make_app()
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append("before")

    @app.errorhandler(400)
    def bad_request(e: Exception) -> str:
        calls.append("handler")
        return url_for("index", _external=True)

    rv = app.test_client(asgi=asgi).get("/", headers={"Host": "evil.example"})
    assert rv.status_code == 400
    assert calls == []
    assert rv.headers["X-Content-Type-Options"] == "nosniff"


def test_accepted_host_is_used_for_external_urls_and_redirects(asgi: bool) -> None:
    app = make_app(TRUSTED_HOSTS=["example.com"])

    @app.route("/go")
    def go() -> Response:
        return redirect(url_for("index", _external=True))

    rv = app.test_client(asgi=asgi).get("/go", base_url="http://example.com")
    assert rv.headers["Location"] == "http://example.com/"


# -- header limits --------------------------------------------------------------------------


def test_too_many_headers_get_431(asgi: bool) -> None:
    app = make_app(MAX_HEADER_COUNT=10)
    headers = {f"X-H{i}": "v" for i in range(20)}
    rv = app.test_client(asgi=asgi).get("/", headers=headers)
    assert rv.status_code == 431
    assert "at most 10" in rv.text


def test_oversized_headers_get_431(asgi: bool) -> None:
    app = make_app(MAX_HEADER_BYTES=1000)
    rv = app.test_client(asgi=asgi).get("/", headers={"X-Big": "a" * 2000})
    assert rv.status_code == 431


def test_default_header_limits_accept_ordinary_requests(asgi: bool) -> None:
    headers = {f"X-H{i}": "v" * 50 for i in range(40)}
    assert make_app().test_client(asgi=asgi).get("/", headers=headers).status_code == 200


def test_header_limits_can_be_disabled(asgi: bool) -> None:
    app = make_app(MAX_HEADER_COUNT=None, MAX_HEADER_BYTES=None)
    headers = {f"X-H{i}": "v" * 200 for i in range(150)}
    assert app.test_client(asgi=asgi).get("/", headers=headers).status_code == 200


def test_abort_with_user_input_is_escaped(asgi: bool) -> None:
    app = make_app()

    @app.route("/echo/<path:text>")
    def echo(text: str) -> str:
        abort(400, description=text)

    rv = app.test_client(asgi=asgi).get("/echo/<script>alert(1)</script>")
    assert rv.status_code == 400
    assert "<script>" not in rv.text
    assert "&lt;script&gt;" in rv.text
