"""Tests for tumbler.wrappers.Response: status, body, headers, cookies and conditional GETs."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest

from tumbler import Tumbler
from tumbler.datastructures import Headers
from tumbler.datastructures import WWWAuthenticate
from tumbler.exceptions import RequestedRangeNotSatisfiable
from tumbler.http import COOP
from tumbler.http import http_date
from tumbler.wrappers import Request
from tumbler.wrappers import Response


def make_request(method: str = "GET", headers: list[tuple[str, str]] | None = None) -> Request:
    return Request(method, "http", ("localhost", 80), "", "/", b"", Headers(headers or []), None)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- construction and status -------------------------------------------------------------


def test_defaults_are_200_and_html_with_charset() -> None:
    response = Response()
    assert response.status_code == 200
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.get_data() == b""


def test_str_body_is_encoded_and_sets_content_length() -> None:
    response = Response("héllo")
    assert response.get_data() == "héllo".encode()
    assert response.headers["Content-Length"] == str(len("héllo".encode()))


def test_mimetype_argument_adds_charset_only_to_text_types() -> None:
    assert Response(mimetype="text/plain").content_type == "text/plain; charset=utf-8"
    assert Response(mimetype="application/json").content_type == "application/json"
    assert Response(mimetype="image/svg+xml").content_type == "image/svg+xml; charset=utf-8"


def test_content_type_argument_is_used_verbatim() -> None:
    assert Response(content_type="text/csv").content_type == "text/csv"


def test_content_type_in_headers_is_not_overridden_by_default() -> None:
    response = Response(headers={"Content-Type": "application/xml"})
    assert response.content_type == "application/xml"


def test_headers_argument_accepts_list_dict_and_headers() -> None:
    assert Response(headers=[("X-A", "1")]).headers["X-A"] == "1"
    assert Response(headers={"X-A": "1"}).headers["X-A"] == "1"
    headers = Headers([("X-A", "1")])
    assert Response(headers=headers).headers is headers


@pytest.mark.parametrize(
    ("status", "expected_line", "expected_code"),
    [
        (404, "404 NOT FOUND", 404),
        ("404", "404 NOT FOUND", 404),
        ("404 NOT FOUND", "404 NOT FOUND", 404),
        ("200 Custom Reason", "200 Custom Reason", 200),
        (HTTPStatus.CREATED, "201 CREATED", 201),
        (599, "599 UNKNOWN", 599),
        (" 204 ", "204 NO CONTENT", 204),
    ],
)
def test_status_accepts_int_and_strings(
    status: int | str, expected_line: str, expected_code: int
) -> None:
    response = Response(status=status)
    assert response.status == expected_line
    assert response.status_code == expected_code


@pytest.mark.parametrize("status", ["", "abc", "20", "2000 OK", "404\r\nX: y", 99, 1000, -1])
def test_invalid_status_is_value_error(status: int | str) -> None:
    with pytest.raises(ValueError):
        Response(status=status)


@pytest.mark.parametrize("status", [4.0, None.__class__, True])
def test_status_of_wrong_type_is_type_error(status: Any) -> None:
    response = Response()
    with pytest.raises(TypeError):
        response.status = status


def test_status_code_setter_updates_status_line() -> None:
    response = Response()
    response.status_code = 418
    assert response.status == "418 I'M A TEAPOT"


def test_repr_shows_size_and_status() -> None:
    assert repr(Response(b"x" * 12)) == "<Response 12 bytes [200 OK]>"
    assert repr(Response(iter([b"x"]))) == "<Response streamed [200 OK]>"


# --- body -------------------------------------------------------------------------------------


def test_set_data_replaces_body_and_content_length() -> None:
    response = Response("old")
    response.set_data(b"newer")
    assert response.data == b"newer"
    assert response.content_length == 5


def test_data_property_assigns() -> None:
    response = Response()
    response.data = "abc"
    assert response.get_data(as_text=True) == "abc"
    assert response.text == "abc"


def test_list_body_is_a_sequence_not_streamed() -> None:
    response = Response([b"a", "b"])
    assert response.is_sequence
    assert not response.is_streamed
    assert list(response.iter_encoded()) == [b"a", b"b"]


def test_generator_body_is_streamed_until_buffered() -> None:
    response = Response(chunk for chunk in ["a", "b"])
    assert response.is_streamed
    assert not response.is_sequence
    assert response.get_data() == b"ab"
    assert response.is_sequence


def test_make_sequence_keeps_close_of_generator_for_close() -> None:
    closed: list[bool] = []

    def gen() -> Iterator[bytes]:
        try:
            yield b"a"
        finally:
            closed.append(True)

    class Body:
        def __init__(self) -> None:
            self.closed = False

        def __iter__(self) -> Iterator[bytes]:
            return iter([b"x"])

        def close(self) -> None:
            self.closed = True

    body = Body()
    response = Response(body)
    response.make_sequence()
    assert not body.closed
    response.close()
    assert body.closed


def test_direct_passthrough_body_cannot_be_buffered() -> None:
    response = Response(iter([b"a"]), direct_passthrough=True)
    with pytest.raises(RuntimeError):
        response.get_data()


def test_disabled_implicit_conversion_refuses_buffering() -> None:
    response = Response(iter([b"a"]))
    response.implicit_sequence_conversion = False
    with pytest.raises(RuntimeError):
        response.get_data()


def test_body_items_other_than_bytes_or_str_are_type_error() -> None:
    response = Response(iter([b"ok", 5]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes or str"):
        response.get_data()


def test_bytearray_and_memoryview_items_are_accepted() -> None:
    assert Response([bytearray(b"a"), memoryview(b"b")]).get_data() == b"ab"  # type: ignore[list-item]


def test_freeze_buffers_and_sets_content_length() -> None:
    response = Response(iter([b"ab", b"c"]))
    response.freeze()
    assert response.response == [b"ab", b"c"]
    assert response.headers["Content-Length"] == "3"


def test_calculate_content_length_none_for_passthrough() -> None:
    assert Response([b"abc"]).calculate_content_length() == 3
    assert Response(iter([b"x"]), direct_passthrough=True).calculate_content_length() is None


def test_close_calls_body_close_and_callbacks_once() -> None:
    calls: list[str] = []

    class Body(list[bytes]):
        def close(self) -> None:
            calls.append("body")

    response = Response(Body([b"a"]))

    @response.call_on_close
    def cleanup() -> None:
        calls.append("callback")

    response.close()
    response.close()
    assert calls == ["body", "callback", "body"]


def test_context_manager_closes() -> None:
    calls: list[int] = []
    with Response() as response:
        response.call_on_close(lambda: calls.append(1))
    assert calls == [1]


async def agen() -> AsyncIterator[str | bytes]:
    yield "a"
    yield b"b"


def test_async_body_is_iterated_with_aiter_encoded() -> None:
    response = Response(agen())
    assert response.is_async

    async def collect() -> list[bytes]:
        return [chunk async for chunk in response.aiter_encoded()]

    assert run(collect()) == [b"a", b"b"]


def test_async_body_aget_data_buffers() -> None:
    response = Response(agen())
    assert run(response.aget_data()) == b"ab"
    assert response.get_data() == b"ab"


def test_async_body_sync_get_data_is_type_error() -> None:
    response = Response(agen())
    with pytest.raises(TypeError, match="aiter_encoded"):
        response.get_data()
    run(response.aclose())


def test_aiter_encoded_also_serves_sync_bodies() -> None:
    response = Response([b"x", "y"])

    async def collect() -> list[bytes]:
        return [chunk async for chunk in response.aiter_encoded()]

    assert run(collect()) == [b"x", b"y"]


def test_aclose_closes_async_generator_and_runs_callbacks() -> None:
    finished: list[str] = []

    async def body() -> AsyncIterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            finished.append("gen")

    response = Response(body())
    response.call_on_close(lambda: finished.append("callback"))

    async def partial_then_close() -> None:
        iterator = response.aiter_encoded()
        await iterator.__anext__()
        await iterator.aclose()
        await response.aclose()

    run(partial_then_close())
    assert finished == ["gen", "callback"]


# --- JSON --------------------------------------------------------------------------------------


def test_json_of_json_response() -> None:
    response = Response('{"a": 1}', mimetype="application/json")
    response.json_module = json
    assert response.is_json
    assert response.json == {"a": 1}


def test_json_of_non_json_response_is_none_unless_forced() -> None:
    response = Response("[1]", mimetype="text/plain")
    response.json_module = json
    assert response.get_json() is None
    assert response.get_json(force=True) == [1]


def test_invalid_json_raises_unless_silent() -> None:
    response = Response("{", mimetype="application/json")
    response.json_module = json
    with pytest.raises(ValueError):
        response.get_json()
    assert response.get_json(silent=True) is None


# --- header accessors ----------------------------------------------------------------------------


def test_mimetype_setter_adds_charset_to_text() -> None:
    response = Response()
    response.mimetype = "text/plain"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    response.mimetype = "application/octet-stream"
    assert response.mimetype == "application/octet-stream"


def test_mimetype_params_update_rewrites_header() -> None:
    response = Response(mimetype="text/plain")
    assert response.mimetype_params == {"charset": "utf-8"}
    params = response.mimetype_params
    params["charset"] = "latin-1"
    assert response.headers["Content-Type"] == "text/plain; charset=latin-1"


def test_simple_string_header_properties_round_trip() -> None:
    response = Response()
    response.location = "/next"
    response.content_encoding = "gzip"
    response.content_location = "/doc"
    response.accept_ranges = "bytes"
    assert response.headers["Location"] == "/next"
    assert response.content_encoding == "gzip"
    assert response.content_location == "/doc"
    assert response.accept_ranges == "bytes"
    response.location = None
    assert "Location" not in response.headers


def test_content_length_property_is_int_and_invalid_is_none() -> None:
    response = Response()
    response.content_length = 10
    assert response.headers["Content-Length"] == "10"
    response.headers["Content-Length"] = "bogus"
    assert response.content_length is None


def test_date_properties_accept_datetime_and_parse_back() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    response = Response()
    response.date = moment
    response.expires = moment
    response.last_modified = moment
    assert response.headers["Expires"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert response.date == moment
    assert response.expires == moment
    assert response.last_modified == moment


def test_invalid_date_header_reads_as_none() -> None:
    response = Response(headers={"Expires": "0"})
    assert response.expires is None


def test_retry_after_accepts_seconds_and_dates() -> None:
    response = Response()
    response.retry_after = 120
    assert response.headers["Retry-After"] == "120"
    value = response.retry_after
    assert value is not None
    assert timedelta(seconds=100) < value - datetime.now(UTC) <= timedelta(seconds=120)
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    response.retry_after = moment
    assert response.retry_after == moment


def test_age_is_a_timedelta() -> None:
    response = Response()
    response.age = timedelta(seconds=30)
    assert response.headers["Age"] == "30"
    assert response.age == timedelta(seconds=30)


def test_content_language_vary_and_allow_are_live_sets() -> None:
    response = Response()
    response.vary.add("Accept-Encoding")
    response.vary.add("Cookie")
    assert response.headers["Vary"] == "Accept-Encoding, Cookie"
    response.allow = ["GET", "HEAD"]
    assert response.headers["Allow"] == "GET, HEAD"
    assert "HEAD" in response.allow
    response.content_language = "en"
    assert "en" in response.content_language
    response.allow = None
    assert "Allow" not in response.headers


def test_cache_control_changes_write_the_header() -> None:
    response = Response()
    response.cache_control.max_age = 60
    assert response.headers["Cache-Control"] == "max-age=60"
    cache = response.cache_control
    cache.public = True
    assert "public" in response.headers["Cache-Control"]
    assert response.cache_control.max_age == 60


def test_content_security_policy_round_trip() -> None:
    response = Response()
    response.content_security_policy.default_src = "'self'"
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    response.content_security_policy = None
    assert "Content-Security-Policy" not in response.headers


def test_www_authenticate_set_and_update() -> None:
    response = Response()
    response.www_authenticate = WWWAuthenticate("basic", {"realm": "x"})
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")
    assert "realm=" in response.headers["WWW-Authenticate"]
    challenge = response.www_authenticate
    challenge.parameters["realm"] = "changed"
    assert "changed" in response.headers["WWW-Authenticate"]
    del response.www_authenticate
    assert "WWW-Authenticate" not in response.headers


def test_www_authenticate_list_sets_several_headers() -> None:
    response = Response()
    response.www_authenticate = [WWWAuthenticate("basic"), WWWAuthenticate("bearer")]
    assert len(response.headers.getlist("WWW-Authenticate")) == 2


def test_content_range_round_trip() -> None:
    response = Response()
    response.content_range = "bytes 0-9/100"
    assert response.content_range.start == 0
    assert response.content_range.stop == 10
    assert response.content_range.length == 100


def test_cross_origin_policies() -> None:
    response = Response()
    assert response.cross_origin_opener_policy is COOP.UNSAFE_NONE
    response.cross_origin_opener_policy = COOP.SAME_ORIGIN
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_access_control_headers() -> None:
    response = Response()
    response.access_control_allow_origin = "*"
    response.access_control_allow_credentials = True
    response.access_control_allow_methods = ["GET", "POST"]
    response.access_control_max_age = 600
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert response.access_control_max_age == 600


# --- cookies -----------------------------------------------------------------------------------


def test_set_cookie_with_every_attribute() -> None:
    response = Response()
    response.set_cookie(
        "sid",
        "abc",
        max_age=3600,
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Lax",
        partitioned=True,
    )
    header = response.headers["Set-Cookie"]
    assert header.startswith("sid=abc;")
    for attribute in (
        "Max-Age=3600",
        "Path=/app",
        "Domain=example.com",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Partitioned",
        "Expires=",
    ):
        assert attribute in header


def test_set_cookie_twice_adds_two_headers() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    assert len(response.headers.getlist("Set-Cookie")) == 2


def test_set_cookie_with_expires_datetime() -> None:
    response = Response()
    response.set_cookie("a", expires=datetime(2030, 1, 1, tzinfo=UTC))
    assert "Expires=Tue, 01 Jan 2030 00:00:00 GMT" in response.headers["Set-Cookie"]


def test_set_cookie_rejects_invalid_name() -> None:
    with pytest.raises(ValueError):
        Response().set_cookie("bad name;", "x")


def test_delete_cookie_expires_it_at_the_epoch() -> None:
    response = Response()
    response.delete_cookie("sid", path="/app", domain="example.com", secure=True, samesite="Strict")
    header = response.headers["Set-Cookie"]
    assert header.startswith("sid=;")
    assert "Max-Age=0" in header
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert "Path=/app" in header
    assert "Domain=example.com" in header
    assert "SameSite=Strict" in header


def test_max_cookie_size_is_werkzeug_default() -> None:
    assert Response.max_cookie_size == 4093


# --- etags -----------------------------------------------------------------------------------------


def test_set_and_get_etag() -> None:
    response = Response()
    response.set_etag("abc")
    assert response.headers["ETag"] == '"abc"'
    assert response.get_etag() == ("abc", False)
    response.set_etag("abc", weak=True)
    assert response.get_etag() == ("abc", True)


def test_get_etag_without_header() -> None:
    assert Response().get_etag() == (None, None)


def test_add_etag_hashes_body_and_respects_overwrite() -> None:
    response = Response("data")
    response.add_etag()
    etag = response.get_etag()[0]
    assert etag and len(etag) == 40
    response.set_data("other")
    response.add_etag()
    assert response.get_etag()[0] == etag
    response.add_etag(overwrite=True)
    assert response.get_etag()[0] != etag


# --- conditional requests ----------------------------------------------------------------------------

MODIFIED = datetime(2024, 1, 1, tzinfo=UTC)


def tagged(body: bytes = b"0123456789") -> Response:
    response = Response(body, mimetype="text/plain")
    response.set_etag("v1")
    response.last_modified = MODIFIED
    return response


def test_make_conditional_sets_date_and_length_on_plain_get() -> None:
    response = Response(iter([b"abc"])).make_conditional(make_request())
    assert response.status_code == 200
    assert "Date" in response.headers
    assert response.headers["Content-Length"] == "3"


def test_if_none_match_hit_is_304_without_body_or_entity_headers() -> None:
    request = make_request(headers=[("If-None-Match", '"v1"')])
    response = tagged().make_conditional(request)
    assert response.status_code == 304
    assert response.get_data() == b""
    assert "Content-Length" not in response.headers
    assert "Content-Type" not in response.headers
    assert response.headers["ETag"] == '"v1"'


def test_if_none_match_uses_weak_comparison() -> None:
    request = make_request(headers=[("If-None-Match", 'W/"v1"')])
    assert tagged().make_conditional(request).status_code == 304


def test_if_none_match_star_is_304() -> None:
    request = make_request(headers=[("If-None-Match", "*")])
    assert tagged().make_conditional(request).status_code == 304


def test_if_none_match_miss_is_200() -> None:
    request = make_request(headers=[("If-None-Match", '"v0"')])
    assert tagged().make_conditional(request).status_code == 200


def test_if_modified_since_not_modified_is_304() -> None:
    request = make_request(headers=[("If-Modified-Since", http_date(MODIFIED))])
    assert tagged().make_conditional(request).status_code == 304


def test_if_modified_since_older_date_is_200() -> None:
    earlier = http_date(MODIFIED - timedelta(days=1))
    request = make_request(headers=[("If-Modified-Since", earlier)])
    assert tagged().make_conditional(request).status_code == 200


def test_if_none_match_takes_precedence_over_if_modified_since() -> None:
    request = make_request(
        headers=[("If-None-Match", '"other"'), ("If-Modified-Since", http_date(MODIFIED))]
    )
    assert tagged().make_conditional(request).status_code == 200


def test_invalid_if_modified_since_is_ignored() -> None:
    request = make_request(headers=[("If-Modified-Since", "yesterday")])
    assert tagged().make_conditional(request).status_code == 200


def test_if_match_miss_is_412() -> None:
    request = make_request(headers=[("If-Match", '"v0"')])
    response = tagged().make_conditional(request)
    assert response.status_code == 412
    assert response.get_data() == b""


def test_if_match_hit_is_200() -> None:
    request = make_request(headers=[("If-Match", '"v1"')])
    assert tagged().make_conditional(request).status_code == 200


def test_if_match_with_weak_etag_is_412() -> None:
    response = tagged()
    response.set_etag("v1", weak=True)
    request = make_request(headers=[("If-Match", '"v1"')])
    assert response.make_conditional(request).status_code == 412


def test_if_match_star_is_200() -> None:
    request = make_request(headers=[("If-Match", "*")])
    assert tagged().make_conditional(request).status_code == 200


def test_if_unmodified_since_failed_is_412() -> None:
    earlier = http_date(MODIFIED - timedelta(days=1))
    request = make_request(headers=[("If-Unmodified-Since", earlier)])
    assert tagged().make_conditional(request).status_code == 412


def test_if_unmodified_since_passed_is_200() -> None:
    request = make_request(headers=[("If-Unmodified-Since", http_date(MODIFIED))])
    assert tagged().make_conditional(request).status_code == 200


def test_conditional_headers_ignored_for_post() -> None:
    request = make_request("POST", headers=[("If-None-Match", '"v1"')])
    assert tagged().make_conditional(request).status_code == 200


def test_conditional_headers_ignored_for_error_responses() -> None:
    response = tagged()
    response.status_code = 404
    request = make_request(headers=[("If-None-Match", '"v1"')])
    assert response.make_conditional(request).status_code == 404


def test_head_request_is_conditional_too() -> None:
    request = make_request("HEAD", headers=[("If-None-Match", '"v1"')])
    assert tagged().make_conditional(request).status_code == 304


def test_make_conditional_accepts_a_wsgi_environ() -> None:
    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"v1"'}
    assert tagged().make_conditional(environ).status_code == 304


def test_304_keeps_close_of_replaced_body() -> None:
    closed: list[bool] = []

    class Body(list[bytes]):
        def close(self) -> None:
            closed.append(True)

    response = Response(Body([b"data"]))
    response.set_etag("x")
    response.make_conditional(make_request(headers=[("If-None-Match", '"x"')]))
    response.close()
    assert closed == [True]


# --- ranges --------------------------------------------------------------------------------------------


def range_request(value: str, extra: list[tuple[str, str]] | None = None) -> Request:
    return make_request(headers=[("Range", value), *(extra or [])])


def test_range_is_ignored_without_accept_ranges() -> None:
    response = tagged().make_conditional(range_request("bytes=0-3"))
    assert response.status_code == 200
    assert "Accept-Ranges" not in response.headers


def test_accept_ranges_header_is_sent_for_plain_get() -> None:
    response = tagged().make_conditional(make_request(), accept_ranges=True)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.status_code == 200


def test_single_range_is_206_with_content_range() -> None:
    response = tagged().make_conditional(range_request("bytes=2-5"), accept_ranges=True)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 2-5/10"
    assert response.headers["Content-Length"] == "4"
    assert response.get_data() == b"2345"


def test_open_ended_and_suffix_ranges() -> None:
    response = tagged().make_conditional(range_request("bytes=7-"), accept_ranges=True)
    assert response.get_data() == b"789"
    response = tagged().make_conditional(range_request("bytes=-3"), accept_ranges=True)
    assert response.get_data() == b"789"
    assert response.headers["Content-Range"] == "bytes 7-9/10"


def test_range_past_the_end_is_clamped() -> None:
    response = tagged().make_conditional(range_request("bytes=8-100"), accept_ranges=True)
    assert response.headers["Content-Range"] == "bytes 8-9/10"
    assert response.get_data() == b"89"


def test_unsatisfiable_range_is_416_with_length() -> None:
    with pytest.raises(RequestedRangeNotSatisfiable) as info:
        tagged().make_conditional(range_request("bytes=50-60"), accept_ranges=True)
    assert info.value.length == 10
    assert ("Content-Range", "bytes */10") in info.value.get_headers()


def test_malformed_range_is_ignored() -> None:
    response = tagged().make_conditional(range_request("bytes=abc"), accept_ranges=True)
    assert response.status_code == 200
    assert response.get_data() == b"0123456789"


def test_unknown_range_unit_is_ignored() -> None:
    response = tagged().make_conditional(range_request("lines=0-1"), accept_ranges=True)
    assert response.status_code == 200


def test_multiple_ranges_give_multipart_byteranges() -> None:
    response = tagged().make_conditional(range_request("bytes=0-1,5-6"), accept_ranges=True)
    assert response.status_code == 206
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=")[1]
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    assert "Content-Range" not in response.headers
    expected = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Range: bytes 0-1/10\r\n\r\n01\r\n"
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Range: bytes 5-6/10\r\n\r\n56\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    assert body == expected


def test_multiple_ranges_skip_unsatisfiable_parts() -> None:
    response = tagged().make_conditional(range_request("bytes=0-1,50-60"), accept_ranges=True)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 0-1/10"


def test_overlapping_ranges_larger_than_body_are_ignored() -> None:
    response = tagged().make_conditional(range_request("bytes=0-9,0-9,0-9"), accept_ranges=True)
    assert response.status_code == 200


def test_too_many_ranges_are_ignored() -> None:
    many = ",".join(f"{i}-{i}" for i in range(10)) + "," + ",".join(["0-0"] * 10)
    response = Response(b"x" * 100)
    response.make_conditional(range_request(f"bytes={many}"), accept_ranges=True)
    assert response.status_code == 200


def test_if_range_matching_etag_serves_range() -> None:
    request = range_request("bytes=0-1", [("If-Range", '"v1"')])
    assert tagged().make_conditional(request, accept_ranges=True).status_code == 206


def test_if_range_stale_etag_serves_full_body() -> None:
    request = range_request("bytes=0-1", [("If-Range", '"v0"')])
    response = tagged().make_conditional(request, accept_ranges=True)
    assert response.status_code == 200
    assert response.get_data() == b"0123456789"


@pytest.mark.parametrize("value", ['W/"v1"', 'w/"v1"', ' W/"v1"'])
def test_if_range_weak_etag_serves_full_body(value: str) -> None:
    # RFC 9110 13.1.5: If-Range uses the strong comparison; a weak tag never matches.
    request = range_request("bytes=0-1", [("If-Range", value)])
    response = tagged().make_conditional(request, accept_ranges=True)
    assert response.status_code == 200
    assert response.get_data() == b"0123456789"


def test_if_range_matching_date_serves_range() -> None:
    request = range_request("bytes=0-1", [("If-Range", http_date(MODIFIED))])
    assert tagged().make_conditional(request, accept_ranges=True).status_code == 206


def test_if_range_other_date_serves_full_body() -> None:
    stale = http_date(MODIFIED - timedelta(days=1))
    request = range_request("bytes=0-1", [("If-Range", stale)])
    assert tagged().make_conditional(request, accept_ranges=True).status_code == 200


def test_range_on_file_body_seeks_instead_of_buffering() -> None:
    file = io.BytesIO(bytes(range(256)) * 1000)
    response = Response(iter(lambda: file.read(8192), b""), direct_passthrough=True)
    response._file = file
    response.make_conditional(range_request("bytes=1000-1009"), accept_ranges=True)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 1000-1009/256000"
    assert b"".join(response.iter_encoded()) == (bytes(range(256)) * 1000)[1000:1010]


def test_make_conditional_sets_length_of_file_body_without_reading_it() -> None:
    file = io.BytesIO(b"x" * 50)
    response = Response(iter(lambda: file.read(10), b""), direct_passthrough=True)
    response._file = file
    response.make_conditional(make_request(), accept_ranges=True)
    assert response.headers["Content-Length"] == "50"
    assert file.tell() == 0


def test_multiple_ranges_on_file_body() -> None:
    data = b"abcdefghijklmnopqrstuvwxyz"
    response = Response(mimetype="text/plain", direct_passthrough=True)
    response.response = iter([data])
    response._file = io.BytesIO(data)
    response.make_conditional(range_request("bytes=0-0,-1"), accept_ranges=True, complete_length=26)
    body = b"".join(response.iter_encoded())
    assert int(response.headers["Content-Length"]) == len(body)
    assert b"\r\n\r\na\r\n" in body
    assert b"\r\n\r\nz\r\n" in body


def test_range_on_unbufferable_stream_without_file_is_ignored() -> None:
    response = Response(iter([b"abc"]), direct_passthrough=True)
    response.make_conditional(range_request("bytes=0-0"), accept_ranges=True, complete_length=3)
    assert response.status_code == 200


# --- force_type and from_app ---------------------------------------------------------------


class AppResponse(Response):
    """A subclass as an app's response_class would be."""

    def greeting(self) -> str:
        return "hello"


class SlottedResponse(Response):
    """A subclass whose slot layout differs from Response's."""

    __slots__ = ("extra",)


def hello_wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response(
        "201 CREATED", [("Content-Type", "text/plain"), ("X-Path", environ["PATH_INFO"])]
    )
    return [b"hello ", b"wsgi"]


def test_force_type_swaps_the_class_of_a_plain_response_in_place() -> None:
    original = Response("body", status=404, headers={"X-A": "1"})
    converted = AppResponse.force_type(original)
    assert converted is original
    assert type(converted) is AppResponse
    assert converted.greeting() == "hello"
    assert converted.status_code == 404
    assert converted.headers["X-A"] == "1"
    assert converted.get_data() == b"body"


def test_force_type_returns_an_instance_of_the_class_unchanged() -> None:
    response = AppResponse("x")
    assert AppResponse.force_type(response) is response


def test_force_type_keeps_close_callbacks() -> None:
    closed: list[bool] = []
    original = Response("x")
    original.call_on_close(lambda: closed.append(True))
    AppResponse.force_type(original).close()
    assert closed == [True]


def test_force_type_copies_state_when_slot_layouts_differ() -> None:
    original = Response("data", status=202, headers={"X-A": "1"})
    converted = SlottedResponse.force_type(original)
    assert type(converted) is SlottedResponse
    assert converted.status == "202 ACCEPTED"
    assert converted.headers is original.headers
    assert converted.get_data() == b"data"


def test_force_type_runs_a_wsgi_callable_with_the_environ() -> None:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/here"}
    converted = AppResponse.force_type(hello_wsgi_app, environ)
    assert type(converted) is AppResponse
    assert converted.status_code == 201
    assert converted.headers["X-Path"] == "/here"
    assert converted.get_data() == b"hello wsgi"


def test_force_type_of_a_wsgi_callable_without_environ_raises_type_error() -> None:
    with pytest.raises(TypeError, match="environ"):
        Response.force_type(hello_wsgi_app)


def test_force_type_of_a_non_callable_raises_type_error() -> None:
    with pytest.raises(TypeError, match="neither a Response nor a WSGI application"):
        Response.force_type(42, {})


def test_from_app_fills_in_missing_pep3333_keys_on_a_copy() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    environ = {"PATH_INFO": "/p"}
    response = Response.from_app(app, environ, buffered=True)
    assert response.get_data() == b""
    assert seen["PATH_INFO"] == "/p"
    assert seen["wsgi.version"] == (1, 0)
    assert "wsgi.input" not in environ


def test_from_app_does_not_invent_a_content_type() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("204 NO CONTENT", [])
        return []

    response = Response.from_app(app, {})
    assert "Content-Type" not in response.headers


def test_from_app_unbuffered_pulls_the_body_lazily_and_close_closes_it() -> None:
    events: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            events.append("first")
            yield b"a"
            events.append("second")
            yield b"b"
        finally:
            events.append("closed")

    response = Response.from_app(app, {})
    assert events == ["first"]
    assert next(response.iter_encoded()) == b"a"
    response.close()
    assert events == ["first", "closed"]


def test_from_app_buffered_reads_everything_and_closes_the_iterable() -> None:
    events: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        try:
            yield b"a"
            yield b"b"
        finally:
            events.append("closed")

    response = Response.from_app(app, {}, buffered=True)
    assert events == ["closed"]
    assert response.response == [b"a", b"b"]


def test_from_app_includes_bytes_passed_to_write() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"written ")
        return [b"returned"]

    assert Response.from_app(app, {}, buffered=True).get_data() == b"written returned"


def test_from_app_without_start_response_raises_runtime_error() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b"x"]

    with pytest.raises(RuntimeError, match="start_response"):
        Response.from_app(app, {})


# --- finalize_headers: framing before sending ----------------------------------------------


def test_finalize_headers_gives_an_empty_buffered_body_content_length_zero() -> None:
    response = Response()
    response.finalize_headers()
    assert response.headers["Content-Length"] == "0"


def test_finalize_headers_counts_encoded_bytes_of_a_buffered_body() -> None:
    response = Response()
    response.response = ["é", b"ab"]
    response.finalize_headers()
    assert response.headers["Content-Length"] == "4"


def test_finalize_headers_keeps_an_existing_content_length() -> None:
    response = Response(headers={"Content-Length": "10"})
    response.finalize_headers()
    assert response.headers["Content-Length"] == "10"


def test_finalize_headers_leaves_a_streamed_body_without_content_length() -> None:
    response = Response(iter([b"a", b"b"]))
    response.finalize_headers()
    assert "Content-Length" not in response.headers
    assert list(response.iter_encoded()) == [b"a", b"b"]


@pytest.mark.parametrize("status", [204, 101, 103])
def test_finalize_headers_removes_content_length_from_204_and_1xx(status: int) -> None:
    response = Response("", status=status)
    assert response.headers["Content-Length"] == "0"
    response.finalize_headers()
    assert "Content-Length" not in response.headers


def test_finalize_headers_does_not_add_content_length_to_304() -> None:
    response = Response(status=304)
    response.finalize_headers()
    assert "Content-Length" not in response.headers


def test_finalize_headers_respects_automatically_set_content_length_off() -> None:
    class Manual(Response):
        automatically_set_content_length = False

    response = Manual()
    response.finalize_headers()
    assert "Content-Length" not in response.headers


def test_finalize_headers_is_idempotent() -> None:
    response = Response("abc")
    response.finalize_headers()
    response.finalize_headers()
    assert response.headers.getlist("Content-Length") == ["3"]


# --- framing and conversion through the front ends (WSGI and ASGI) --------------------------


def test_automatic_options_response_sends_content_length_zero(app: Any, client: Any) -> None:
    app.add_url_rule("/", "index", lambda: "hi")
    response = client.options("/")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "0"
    assert response.data == b""


def test_empty_view_response_sends_content_length_zero(app: Any, client: Any) -> None:
    app.add_url_rule("/", "index", lambda: Response())
    assert client.get("/").headers["Content-Length"] == "0"


def test_204_response_is_sent_without_content_length(app: Any, client: Any) -> None:
    app.add_url_rule("/", "index", lambda: ("", 204))
    response = client.get("/")
    assert response.status_code == 204
    assert "Content-Length" not in response.headers


def test_head_response_carries_the_length_of_the_get_body(app: Any, client: Any) -> None:
    app.add_url_rule("/", "index", lambda: Response([b"abc", b"de"]))
    response = client.head("/")
    assert response.headers["Content-Length"] == "5"
    assert response.data == b""


def test_view_returning_a_wsgi_app_is_answered_by_that_app(app: Any, client: Any) -> None:
    app.add_url_rule("/legacy", "legacy", lambda: hello_wsgi_app)
    response = client.get("/legacy")
    assert response.status_code == 201
    assert response.headers["X-Path"] == "/legacy"
    assert response.data == b"hello wsgi"


def test_view_returning_another_response_class_is_converted(app: Tumbler, client: Any) -> None:
    app.response_class = AppResponse
    converted: list[type] = []

    def record(response: Response) -> Response:
        converted.append(type(response))
        return response

    app.after_request(record)

    app.add_url_rule("/", "index", lambda: Response("plain", status=202))
    response = client.get("/")
    assert response.status_code == 202
    assert converted == [AppResponse]


def test_retry_after_with_a_non_ascii_digit_reads_as_no_date() -> None:
    response = Response()
    response.headers["Retry-After"] = "\u00b9"
    assert response.retry_after is None
