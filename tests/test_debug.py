"""Tests for tumbler.debug: the debug error page and the middleware that serves it."""

from __future__ import annotations

import asyncio
import io
import re
import typing as t
from wsgiref.util import setup_testing_defaults

import pytest

from tumbler import Tumbler
from tumbler.datastructures import Headers
from tumbler.debug import DebugPageMiddleware
from tumbler.debug import debug_page_html
from tumbler.debug import is_local_request
from tumbler.debug import is_loopback_address
from tumbler.debug import render_debug_page
from tumbler.wrappers import Request

XSS = "<script>alert(1)</script>"


def make_request(
    remote_addr: str | None = "127.0.0.1",
    headers: dict[str, str] | None = None,
    path: str = "/page",
    query: bytes = b"",
) -> Request:
    header_list = Headers({"Host": "localhost:5000", **(headers or {})})
    return Request("GET", "http", ("127.0.0.1", 5000), "", path, query, header_list, remote_addr)


def raise_and_catch(message: str = "boom") -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as e:
        return e


# -- who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_are_recognised(address: str) -> None:
    assert is_loopback_address(address)


@pytest.mark.parametrize(
    "address", ["10.0.0.1", "192.168.1.5", "8.8.8.8", "::2", "localhost", "", None, "127.0.0.x"]
)
def test_non_loopback_or_invalid_addresses_are_rejected(address: str | None) -> None:
    assert not is_loopback_address(address)


def test_request_from_loopback_with_local_host_is_local() -> None:
    assert is_local_request(make_request())


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "[::1]:5000", "app.localhost"])
def test_loopback_host_names_are_local(host: str) -> None:
    assert is_local_request(make_request(headers={"Host": host}))


def test_request_from_remote_address_is_not_local() -> None:
    assert not is_local_request(make_request(remote_addr="203.0.113.9"))


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_request_forwarded_by_local_proxy_is_not_local(header: str) -> None:
    assert not is_local_request(make_request(headers={header: "203.0.113.9"}))


def test_foreign_host_header_is_not_local_to_stop_dns_rebinding() -> None:
    assert not is_local_request(make_request(headers={"Host": "evil.example"}))


def test_trusted_host_counts_as_local() -> None:
    request = make_request(headers={"Host": "myapp.test:5000"})
    request.trusted_hosts = ["myapp.test"]
    assert is_local_request(request)


# -- what it shows ----------------------------------------------------------------------------


def test_debug_page_shows_exception_and_traceback_source() -> None:
    response = render_debug_page(raise_and_catch("it broke"), make_request())
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "ValueError" in body
    assert "it broke" in body
    assert "raise_and_catch" in body
    assert "raise ValueError(message)" in body
    assert __file__ in body


def test_debug_page_shows_request_details() -> None:
    request = make_request(path="/orders/7", query=b"page=2", headers={"X-Trace": "abc123"})
    body = render_debug_page(raise_and_catch(), request).get_data(as_text=True)
    assert "/orders/7" in body
    assert "page" in body and "2" in body
    assert "X-Trace" in body and "abc123" in body


def test_exception_message_is_escaped() -> None:
    body = render_debug_page(raise_and_catch(XSS), make_request()).get_data(as_text=True)
    assert XSS not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_request_values_are_escaped() -> None:
    request = make_request(
        path=f"/{XSS}", query=b"q=%3Cscript%3Ealert(1)%3C/script%3E", headers={"X-Evil": XSS}
    )
    request.headers.add("Cookie", f"name={XSS}")
    body = render_debug_page(raise_and_catch(), request).get_data(as_text=True)
    assert "<script" not in body


def test_debug_page_forbids_scripts_with_content_security_policy() -> None:
    response = render_debug_page(raise_and_catch(), make_request())
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.get_data(as_text=True)


def test_debug_page_offers_no_console_or_form() -> None:
    body = render_debug_page(raise_and_catch(), make_request()).get_data(as_text=True)
    assert "<form" not in body
    assert "<input" not in body


def test_chained_exceptions_are_all_shown_oldest_first() -> None:
    try:
        try:
            raise KeyError("inner-cause")
        except KeyError as inner:
            raise RuntimeError("outer-effect") from inner
    except RuntimeError as e:
        exc = e
    body = debug_page_html(exc, make_request())
    headings = re.findall(r"<h2>(.*?)</h2>", body)
    assert headings[:2] == ["KeyError: &#x27;inner-cause&#x27;", "RuntimeError: outer-effect"]
    assert "The above exception was the direct cause of the following exception:" in body


def test_exception_with_broken_str_still_renders() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    body = debug_page_html(Unprintable(), make_request())
    assert "unprintable Unprintable object" in body


def test_remote_client_gets_generic_500_without_traceback() -> None:
    response = render_debug_page(raise_and_catch("secret detail"), make_request("198.51.100.4"))
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret detail" not in body
    assert "Traceback" not in body
    assert "Internal Server Error" in body


def test_missing_request_gets_generic_500() -> None:
    body = render_debug_page(raise_and_catch("secret"), None).get_data(as_text=True)
    assert "secret" not in body


# -- the middleware ---------------------------------------------------------------------------


def failing_app(debug: bool) -> Tumbler:
    app = Tumbler(__name__)
    app.debug = debug

    @app.route("/fail")
    def fail() -> str:
        raise ValueError(XSS)

    @app.route("/ok")
    def ok() -> str:
        return "fine"

    return app


def call_wsgi(app: t.Any, path: str, remote_addr: str = "127.0.0.1") -> tuple[str, str]:
    environ: dict[str, t.Any] = {
        "PATH_INFO": path,
        "REMOTE_ADDR": remote_addr,
        "HTTP_HOST": "localhost",
        "wsgi.errors": io.StringIO(),
    }
    setup_testing_defaults(environ)
    status: list[str] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
        status.append(s)

    body = b"".join(app(environ, start_response))
    return status[-1], body.decode()


def call_asgi(app: t.Any, path: str, client: str = "127.0.0.1") -> tuple[int, str]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": (client, 50000),
        "server": ("127.0.0.1", 5000),
    }
    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body.decode()


def test_middleware_shows_debug_page_for_wsgi_error_in_debug_mode() -> None:
    status, body = call_wsgi(DebugPageMiddleware(failing_app(debug=True)), "/fail")
    assert status.startswith("500")
    assert "ValueError" in body
    assert "&lt;script&gt;" in body
    assert XSS not in body


def test_middleware_shows_debug_page_for_asgi_error_in_debug_mode() -> None:
    status, body = call_asgi(DebugPageMiddleware(failing_app(debug=True)), "/fail")
    assert status == 500
    assert "ValueError" in body
    assert XSS not in body


def test_middleware_sends_generic_500_to_remote_wsgi_client() -> None:
    status, body = call_wsgi(DebugPageMiddleware(failing_app(debug=True)), "/fail", "192.0.2.8")
    assert status.startswith("500")
    assert "ValueError" not in body


def test_middleware_sends_generic_500_to_remote_asgi_client() -> None:
    status, body = call_asgi(DebugPageMiddleware(failing_app(debug=True)), "/fail", "192.0.2.8")
    assert status == 500
    assert "ValueError" not in body


def test_no_traceback_when_debug_is_off() -> None:
    app = DebugPageMiddleware(failing_app(debug=False))
    status, body = call_wsgi(app, "/fail")
    assert status.startswith("500")
    assert "Traceback" not in body
    assert "ValueError" not in body


def test_middleware_passes_successful_responses_through() -> None:
    middleware = DebugPageMiddleware(failing_app(debug=True))
    assert call_wsgi(middleware, "/ok") == ("200 OK", "fine")
    assert call_asgi(middleware, "/ok") == (200, "fine")


def test_middleware_keeps_asgi_capability_visible() -> None:
    assert DebugPageMiddleware(failing_app(debug=True)).asgi_app is not None
