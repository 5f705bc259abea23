"""Forwarding headers: trusted only from the configured number of proxies."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from tumbler import Tumbler
from tumbler import request
from tumbler import url_for
from tumbler.proxy_fix import ForwardedHops
from tumbler.proxy_fix import ProxyFix
from tumbler.proxy_fix import parse_forwarded
from tumbler.proxy_fix import resolve_forwarded
from tumbler.proxy_fix import split_host


@pytest.fixture
def asgi(protocol: str) -> bool:
    """Whether the test client drives the app over ASGI (conftest's ``protocol``)."""
    return protocol == "asgi"


def _headers(**values: str) -> t.Callable[[str], str | None]:
    table = {k.replace("_", "-").lower(): v for k, v in values.items()}
    return lambda name: table.get(name.lower())


# -- split_host ---------------------------------------------------------------------------


def test_split_host_lowercases_and_reads_port() -> None:
    assert split_host("Example.COM:8080") == ("example.com", 8080)


def test_split_host_keeps_ipv6_brackets() -> None:
    assert split_host("[::1]:5000") == ("[::1]", 5000)
    assert split_host("[2001:db8::1]") == ("[2001:db8::1]", None)


def test_split_host_converts_international_names_to_punycode() -> None:
    assert split_host("bücher.example:80") == ("xn--bcher-kva.example", 80)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "evil.com/path",
        "user@evil.com",
        "a b",
        "host:99999",
        "host:port",
        "-x.com",
        '"x"',
        "x\r\n",
        "localhost:\u0661",
        "localhost:\u00b9",
    ],
)
def test_split_host_refuses_malformed_values(value: str) -> None:
    assert split_host(value) is None


# -- parse_forwarded ----------------------------------------------------------------------


def test_parse_forwarded_splits_elements_and_pairs() -> None:
    value = 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:4711";host=a.example'
    assert parse_forwarded(value) == [
        {"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"},
        {"for": "[2001:db8::1]:4711", "host": "a.example"},
    ]


def test_parse_forwarded_keeps_separators_inside_quotes() -> None:
    assert parse_forwarded('for="a,b;c";proto=https') == [{"for": "a,b;c", "proto": "https"}]


def test_parse_forwarded_skips_pairs_without_equals_sign() -> None:
    assert parse_forwarded("garbage;for=1.2.3.4") == [{"for": "1.2.3.4"}]


# -- ForwardedHops -------------------------------------------------------------------------


def test_hops_from_config_none_trusts_nothing() -> None:
    assert ForwardedHops.from_config(None) is None
    assert ForwardedHops.from_config({"x_for": 0}) is None


def test_hops_from_config_missing_keys_mean_zero() -> None:
    assert ForwardedHops.from_config({"x_for": 2}) == ForwardedHops(x_for=2)


def test_hops_from_config_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        ForwardedHops.from_config({"x_forwarded_for": 1})


@pytest.mark.parametrize("value", [-1, "1", 1.5, True])
def test_hops_refuse_non_int_or_negative_counts(value: t.Any) -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        ForwardedHops(x_for=value)


# -- resolve_forwarded ---------------------------------------------------------------------


def test_resolve_takes_the_value_of_the_outermost_trusted_proxy() -> None:
    found = resolve_forwarded(
        ForwardedHops(x_for=2), _headers(x_forwarded_for="6.6.6.6, 1.2.3.4, 10.0.0.1")
    )
    assert found.remote_addr == "1.2.3.4"


def test_resolve_ignores_header_with_fewer_values_than_trusted_proxies() -> None:
    found = resolve_forwarded(ForwardedHops(x_for=2), _headers(x_forwarded_for="1.2.3.4"))
    assert found.remote_addr is None


def test_resolve_ignores_headers_that_are_not_trusted() -> None:
    found = resolve_forwarded(
        ForwardedHops(x_for=1),
        _headers(x_forwarded_for="1.2.3.4", x_forwarded_proto="https", x_forwarded_host="a.b"),
    )
    assert (found.remote_addr, found.scheme, found.host) == ("1.2.3.4", None, None)


@pytest.mark.parametrize(
    ("name", "value", "attr"),
    [
        ("x_forwarded_for", "not-an-ip", "remote_addr"),
        ("x_forwarded_proto", "javascript", "scheme"),
        ("x_forwarded_host", "evil.com/path", "host"),
        ("x_forwarded_port", "99999", "port"),
        ("x_forwarded_port", "\u00b9", "port"),
        ("x_forwarded_port", "\u0661", "port"),
        ("x_forwarded_prefix", "//evil.example", "prefix"),
        ("x_forwarded_prefix", "relative", "prefix"),
    ],
)
def test_resolve_ignores_invalid_values(name: str, value: str, attr: str) -> None:
    hops = ForwardedHops(1, 1, 1, 1, 1)
    assert getattr(resolve_forwarded(hops, _headers(**{name: value})), attr) is None


def test_resolve_drops_port_from_forwarded_address() -> None:
    found = resolve_forwarded(ForwardedHops(x_for=1), _headers(x_forwarded_for="1.2.3.4:5678"))
    assert found.remote_addr == "1.2.3.4"


def test_resolve_reads_rfc7239_forwarded_header() -> None:
    found = resolve_forwarded(
        ForwardedHops(forwarded=1),
        _headers(forwarded='for="[2001:db8::1]:4711";proto=https;host=shop.example'),
    )
    assert (found.remote_addr, found.scheme, found.host) == (
        "2001:db8::1",
        "https",
        "shop.example",
    )


def test_resolve_forwarded_header_wins_over_x_forwarded() -> None:
    found = resolve_forwarded(
        ForwardedHops(x_for=1, forwarded=1),
        _headers(x_forwarded_for="1.1.1.1", forwarded="for=2.2.2.2"),
    )
    assert found.remote_addr == "2.2.2.2"


def test_resolve_forwarded_unknown_client_keeps_address() -> None:
    found = resolve_forwarded(ForwardedHops(forwarded=1), _headers(forwarded="for=unknown"))
    assert found.remote_addr is None


# -- ProxyFix middleware -------------------------------------------------------------------


def _wsgi_through(fix: ProxyFix, environ: dict[str, t.Any]) -> dict[str, t.Any]:
    seen: dict[str, t.Any] = {}

    def inner(env: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.update(env)
        return []

    fix.app = inner
    fix(environ, lambda *a: None)
    return seen


def test_proxy_fix_wsgi_rewrites_environ_and_keeps_originals() -> None:
    environ = {
        "REMOTE_ADDR": "10.0.0.1",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "internal:8000",
        "SCRIPT_NAME": "",
        "HTTP_X_FORWARDED_FOR": "1.2.3.4",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "example.com",
        "HTTP_X_FORWARDED_PORT": "8443",
        "HTTP_X_FORWARDED_PREFIX": "/app/",
    }
    seen = _wsgi_through(ProxyFix(None, 1, 1, 1, 1, 1), environ)
    assert seen["REMOTE_ADDR"] == "1.2.3.4"
    assert seen["wsgi.url_scheme"] == "https"
    assert seen["HTTP_HOST"] == "example.com:8443"
    assert seen["SCRIPT_NAME"] == "/app"
    assert seen["tumbler.proxy_fix.orig"]["REMOTE_ADDR"] == "10.0.0.1"
    assert seen["tumbler.proxy_fix.orig"]["HTTP_HOST"] == "internal:8000"


def test_proxy_fix_wsgi_defaults_trust_only_for_and_proto() -> None:
    environ = {"REMOTE_ADDR": "10.0.0.1", "HTTP_HOST": "internal", "HTTP_X_FORWARDED_HOST": "evil"}
    seen = _wsgi_through(ProxyFix(None), environ)
    assert seen["HTTP_HOST"] == "internal"


def test_proxy_fix_asgi_rewrites_a_copy_of_the_scope() -> None:
    seen: dict[str, t.Any] = {}

    async def inner(scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
        seen.update(scope)

    scope = {
        "type": "http",
        "scheme": "http",
        "client": ("10.0.0.1", 5555),
        "root_path": "",
        "headers": [
            (b"host", b"internal"),
            (b"x-forwarded-for", b"1.2.3.4"),
            (b"x-forwarded-proto", b"https"),
            (b"x-forwarded-host", b"example.com"),
        ],
    }

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, t.Any]) -> None:
        pass

    asyncio.run(ProxyFix(inner, x_for=1, x_proto=1, x_host=1)(scope, receive, send))
    assert seen["client"] == ("1.2.3.4", 5555)
    assert seen["scheme"] == "https"
    assert (b"host", b"example.com") in seen["headers"]
    assert (b"host", b"internal") not in seen["headers"]
    assert scope["client"] == ("10.0.0.1", 5555)  # the server's scope is not modified


def test_proxy_fix_asgi_websocket_scheme_becomes_wss() -> None:
    scope = {"type": "websocket", "scheme": "ws", "headers": [(b"x-forwarded-proto", b"https")]}
    assert ProxyFix(None).fix_scope(scope)["scheme"] == "wss"


def test_proxy_fix_asgi_leaves_lifespan_scope_alone() -> None:
    scope = {"type": "lifespan"}
    assert ProxyFix(None).fix_scope(scope) is scope


def test_proxy_fix_wraps_a_tumbler_app_for_both_protocols(asgi: bool) -> None:
    app = Tumbler(__name__)
    app.testing = True

    @app.route("/")
    def index() -> str:
        return f"{request.remote_addr} {request.scheme}"

    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign, assignment]
    app.asgi_app = ProxyFix(app.asgi_app)  # type: ignore[method-assign, assignment]
    client = app.test_client(asgi=asgi)
    rv = client.get("/", headers={"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"})
    assert rv.text == "1.2.3.4 https"


# -- PROXY_FIX config -----------------------------------------------------------------------


def _proxy_app(proxy_fix: dict[str, int] | None) -> Tumbler:
    app = Tumbler(__name__)
    app.config.update(PROXY_FIX=proxy_fix, TRUSTED_HOSTS=["example.com", "localhost"])

    @app.route("/")
    def index() -> dict[str, t.Any]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "root": request.root_path,
            "url": url_for("index", _external=True),
        }

    return app


def test_config_proxy_fix_applies_trusted_values_before_routing(asgi: bool) -> None:
    app = _proxy_app({"x_for": 1, "x_proto": 1, "x_host": 1, "x_prefix": 1})
    rv = app.test_client(asgi=asgi).get(
        "/",
        headers={
            "X-Forwarded-For": "1.2.3.4",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.com",
            "X-Forwarded-Prefix": "/shop",
        },
    )
    assert rv.json == {
        "remote_addr": "1.2.3.4",
        "scheme": "https",
        "host": "example.com",
        "root": "/shop",
        "url": "https://example.com/shop/",
    }


def test_forwarding_headers_are_ignored_without_proxy_fix(asgi: bool) -> None:
    app = _proxy_app(None)
    rv = app.test_client(asgi=asgi).get(
        "/",
        headers={
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.com",
            "Forwarded": "for=6.6.6.6;proto=https;host=example.com",
        },
    )
    assert rv.json["remote_addr"] == "127.0.0.1"
    assert rv.json["scheme"] == "http"
    assert rv.json["host"] == "localhost"


def test_forwarded_host_is_still_validated_against_trusted_hosts(asgi: bool) -> None:
    app = _proxy_app({"x_host": 1})
    rv = app.test_client(asgi=asgi).get("/", headers={"X-Forwarded-Host": "evil.example"})
    assert rv.status_code == 400


def test_config_proxy_fix_with_rfc7239_forwarded(asgi: bool) -> None:
    app = _proxy_app({"forwarded": 1})
    rv = app.test_client(asgi=asgi).get(
        "/", headers={"Forwarded": "for=1.2.3.4;proto=https;host=example.com"}
    )
    assert rv.json["remote_addr"] == "1.2.3.4"
    assert rv.json["url"] == "https://example.com/"


def test_invalid_proxy_fix_config_fails_loudly(asgi: bool) -> None:
    app = _proxy_app({"x_forwarded_for": 1})
    app.testing = True
    with pytest.raises(ValueError, match="PROXY_FIX"):
        app.test_client(asgi=asgi).get("/")
