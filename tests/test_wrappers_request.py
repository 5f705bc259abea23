"""Tests for tumbler.wrappers.Request: URL parts, query, headers, body, forms and JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest

from tumbler.datastructures import CombinedMultiDict
from tumbler.datastructures import Headers
from tumbler.datastructures import ImmutableMultiDict
from tumbler.exceptions import BadRequest
from tumbler.exceptions import ClientDisconnected
from tumbler.exceptions import RequestEntityTooLarge
from tumbler.exceptions import SecurityError
from tumbler.exceptions import UnsupportedMediaType
from tumbler.formparser import FormDataParser
from tumbler.wrappers import Request
from tumbler.wrappers import UserAgent

BOUNDARY = "xYzZY"


def make_request(
    path: str = "/",
    *,
    method: str = "GET",
    query: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    scheme: str = "http",
    server: tuple[str, int | None] | None = ("localhost", 80),
    root_path: str = "",
    remote_addr: str | None = "127.0.0.1",
    content_length: bool = True,
    environ: dict[str, Any] | None = None,
) -> Request:
    header_list = list(headers or [])
    if body is not None and content_length:
        header_list.append(("Content-Length", str(len(body))))
    stream = io.BytesIO(body) if body is not None else None
    return Request(
        method,
        scheme,
        server,
        root_path,
        path,
        query,
        Headers(header_list),
        remote_addr,
        stream,
        environ,
    )


def form_request(body: bytes, content_type: str, **kwargs: Any) -> Request:
    headers = [("Content-Type", content_type), *kwargs.pop("headers", [])]
    return make_request(method="POST", body=body, headers=headers, **kwargs)


def multipart_body(
    *fields: tuple[str, str], files: tuple[tuple[str, str, bytes], ...] = ()
) -> bytes:
    out = b""
    for name, value in fields:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    for name, filename, content in files:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        out += content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"


# --- construction and URL ------------------------------------------------------------


def test_method_is_upper_cased() -> None:
    assert make_request(method="post").method == "POST"


def test_path_always_starts_with_one_slash() -> None:
    assert make_request("").path == "/"
    assert make_request("a/b").path == "/a/b"
    assert make_request("//a").path == "/a"


def test_root_path_loses_trailing_slash_and_script_root_aliases_it() -> None:
    request = make_request(root_path="/app/")
    assert request.root_path == "/app"
    assert request.script_root == "/app"


def test_full_path_has_question_mark_even_without_query() -> None:
    assert make_request("/a").full_path == "/a?"
    assert make_request("/a", query=b"x=1").full_path == "/a?x=1"


def test_url_parts_with_root_path_and_query() -> None:
    request = make_request(
        "/page", root_path="/app", query=b"x=1", headers=[("Host", "example.com")]
    )
    assert request.url == "http://example.com/app/page?x=1"
    assert request.base_url == "http://example.com/app/page"
    assert request.url_root == "http://example.com/app/"
    assert request.root_url == "http://example.com/app/"
    assert request.host_url == "http://example.com/"


def test_url_keeps_unicode_path_readable_and_escapes_spaces() -> None:
    request = make_request("/café menu", headers=[("Host", "h")])
    assert request.url == "http://h/café%20menu"


def test_url_decodes_readable_query_escapes_but_keeps_delimiters_encoded() -> None:
    request = make_request("/", query=b"q=%C3%BC&amp=%26", headers=[("Host", "h")])
    assert request.url == "http://h/?q=ü&amp=%26"


def test_url_escapes_control_characters_in_path() -> None:
    request = make_request("/a\x00b\x7f", headers=[("Host", "h")])
    assert request.url == "http://h/a%00b%7F"


def test_url_escapes_question_mark_and_hash_in_decoded_path() -> None:
    assert make_request("/a?b#c", headers=[("Host", "h")]).url == "http://h/a%3Fb%23c"


def test_url_with_invalid_utf8_query_does_not_raise() -> None:
    request = make_request("/", query=b"q=%FF\xfe", headers=[("Host", "h")])
    assert request.url == "http://h/?q=%FF%FE"


def test_host_comes_from_host_header() -> None:
    assert make_request(headers=[("Host", "example.com:8080")]).host == "example.com:8080"


@pytest.mark.parametrize(
    ("scheme", "host", "expected"),
    [
        ("http", "example.com:80", "example.com"),
        ("https", "example.com:443", "example.com"),
        ("https", "example.com:80", "example.com:80"),
        ("ws", "example.com:80", "example.com"),
        ("wss", "example.com:443", "example.com"),
    ],
)
def test_host_strips_the_default_port_of_the_scheme(scheme: str, host: str, expected: str) -> None:
    assert make_request(scheme=scheme, headers=[("Host", host)]).host == expected


def test_host_falls_back_to_server_address() -> None:
    assert make_request(server=("10.0.0.1", 8000)).host == "10.0.0.1:8000"
    assert make_request(server=("10.0.0.1", 80)).host == "10.0.0.1"


def test_host_wraps_ipv6_server_address() -> None:
    assert make_request(server=("::1", 8000)).host == "[::1]:8000"


def test_host_without_header_or_server_is_empty() -> None:
    assert make_request(server=None).host == ""


def test_untrusted_host_raises_security_error() -> None:
    request = make_request(headers=[("Host", "evil.com")])
    request.trusted_hosts = ["example.com"]
    with pytest.raises(SecurityError):
        request.host  # noqa: B018


def test_trusted_host_with_leading_dot_matches_subdomains_and_ignores_port() -> None:
    request = make_request(headers=[("Host", "api.example.com:8443")])
    request.trusted_hosts = [".example.com"]
    assert request.host == "api.example.com:8443"


def test_is_secure_follows_scheme() -> None:
    assert make_request(scheme="https").is_secure
    assert make_request(scheme="wss").is_secure
    assert not make_request(scheme="http").is_secure


def test_repr_shows_url_and_method() -> None:
    request = make_request("/x", method="POST", headers=[("Host", "h")])
    assert repr(request) == "<Request 'http://h/x' [POST]>"


def test_repr_with_untrusted_host_does_not_raise() -> None:
    request = make_request(headers=[("Host", "evil.com")])
    request.trusted_hosts = ["good.com"]
    assert "(invalid URL)" in repr(request)


# --- query string ----------------------------------------------------------------------


def test_args_is_immutable_and_keeps_repeated_keys() -> None:
    args = make_request(query=b"a=1&a=2&b=").args
    assert isinstance(args, ImmutableMultiDict)
    assert args.getlist("a") == ["1", "2"]
    assert args["b"] == ""


def test_args_missing_key_is_400_key_error() -> None:
    with pytest.raises(BadRequest):
        make_request().args["missing"]


def test_args_invalid_percent_encoding_is_kept_literally() -> None:
    assert make_request(query=b"q=%zz%").args["q"] == "%zz%"


def test_args_invalid_utf8_is_replaced() -> None:
    assert make_request(query=b"q=%FF&r=\xff").args.to_dict() == {"q": "\ufffd", "r": "\ufffd"}


def test_args_type_conversion_falls_back_to_default() -> None:
    args = make_request(query=b"n=abc").args
    assert args.get("n", 7, type=int) == 7


# --- headers -----------------------------------------------------------------------------


def test_duplicate_headers_are_kept_in_order() -> None:
    request = make_request(headers=[("X-A", "1"), ("x-a", "2"), ("X-A", "3")])
    assert request.headers.getlist("X-A") == ["1", "2", "3"]


def test_oversized_header_value_is_read_as_is() -> None:
    value = "v" * 100_000
    assert make_request(headers=[("X-Big", value)]).headers["X-Big"] == value


def test_mimetype_and_params_are_parsed_and_lower_cased() -> None:
    request = make_request(headers=[("Content-Type", "Text/HTML; Charset=UTF-8")])
    assert request.mimetype == "text/html"
    assert request.mimetype_params == {"charset": "UTF-8"}
    assert request.content_type == "Text/HTML; Charset=UTF-8"


def test_missing_content_type_gives_empty_mimetype() -> None:
    request = make_request()
    assert request.mimetype == ""
    assert request.mimetype_params == {}
    assert request.content_type is None


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1_000", "+5", "", "9" * 40])
def test_invalid_content_length_is_none(value: str) -> None:
    assert make_request(headers=[("Content-Length", value)]).content_length is None


def test_content_length_is_parsed() -> None:
    assert make_request(headers=[("Content-Length", " 42 ")]).content_length == 42


def test_chunked_transfer_encoding_has_no_content_length() -> None:
    headers = [("Transfer-Encoding", "chunked"), ("Content-Length", "5")]
    assert make_request(headers=headers).content_length is None


def test_simple_header_accessors() -> None:
    request = make_request(
        headers=[
            ("Referer", "http://a/"),
            ("Origin", "http://b"),
            ("Content-Encoding", "gzip"),
            ("Max-Forwards", "3"),
            ("Access-Control-Request-Method", "PUT"),
        ]
    )
    assert request.referrer == "http://a/"
    assert request.origin == "http://b"
    assert request.content_encoding == "gzip"
    assert request.max_forwards == 3
    assert request.access_control_request_method == "PUT"


def test_invalid_max_forwards_is_none() -> None:
    assert make_request(headers=[("Max-Forwards", "many")]).max_forwards is None


def test_date_headers_are_parsed_and_invalid_ones_are_none() -> None:
    request = make_request(
        headers=[
            ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("If-Unmodified-Since", "not a date"),
        ]
    )
    expected = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert request.date == expected
    assert request.if_modified_since == expected
    assert request.if_unmodified_since is None


def test_etag_headers_are_parsed() -> None:
    request = make_request(headers=[("If-None-Match", '"a", W/"b"'), ("If-Match", "*")])
    assert request.if_none_match.contains_weak("b")
    assert request.if_match.star_tag


def test_range_and_if_range_are_parsed() -> None:
    request = make_request(headers=[("Range", "bytes=0-99"), ("If-Range", '"abc"')])
    assert request.range is not None
    assert request.range.ranges == [(0, 100)]
    assert request.if_range.etag == "abc"


def test_malformed_range_is_none() -> None:
    assert make_request(headers=[("Range", "bytes=z-")]).range is None


def test_accept_headers_are_parsed() -> None:
    request = make_request(
        headers=[
            ("Accept", "text/html, application/json;q=0.5"),
            ("Accept-Language", "fr, en;q=0.8"),
            ("Accept-Encoding", "gzip"),
            ("Accept-Charset", "utf-8"),
        ]
    )
    assert request.accept_mimetypes.best == "text/html"
    assert request.accept_languages.best == "fr"
    assert "gzip" in request.accept_encodings
    assert "utf-8" in request.accept_charsets


def test_cache_control_and_pragma_are_parsed() -> None:
    request = make_request(
        headers=[("Cache-Control", "no-cache, max-age=0"), ("Pragma", "no-cache")]
    )
    assert request.cache_control.max_age == 0
    assert request.cache_control.no_cache
    assert "no-cache" in request.pragma


def test_authorization_basic_is_parsed() -> None:
    request = make_request(headers=[("Authorization", "Basic dXNlcjpwYXNz")])
    assert request.authorization is not None
    assert request.authorization.username == "user"
    assert request.authorization.password == "pass"


def test_garbage_authorization_is_none() -> None:
    assert make_request(headers=[("Authorization", "Basic !!!")]).authorization is None


def test_user_agent_is_unparsed_string_wrapper() -> None:
    request = make_request(headers=[("User-Agent", "curl/8.0")])
    assert isinstance(request.user_agent, UserAgent)
    assert request.user_agent.string == "curl/8.0"
    assert str(request.user_agent) == "curl/8.0"
    assert request.user_agent.browser is None
    assert not make_request().user_agent


def test_access_route_reads_every_forwarded_for_header() -> None:
    request = make_request(
        headers=[("X-Forwarded-For", "1.1.1.1, 2.2.2.2"), ("X-Forwarded-For", "3.3.3.3")]
    )
    assert request.access_route == ["1.1.1.1", "2.2.2.2", "3.3.3.3"]


def test_access_route_falls_back_to_remote_addr() -> None:
    assert make_request(remote_addr="9.9.9.9").access_route == ["9.9.9.9"]
    assert make_request(remote_addr=None).access_route == []


def test_environ_backed_flags() -> None:
    request = make_request(environ={"REMOTE_USER": "ada", "wsgi.multithread": True})
    assert request.remote_user == "ada"
    assert request.is_multithread
    assert not request.is_multiprocess
    assert not request.is_run_once
    assert make_request().environ == {}


# --- cookies ---------------------------------------------------------------------------


def test_cookies_from_several_cookie_headers() -> None:
    request = make_request(headers=[("Cookie", "a=1; b=2"), ("Cookie", "c=3")])
    assert request.cookies.to_dict() == {"a": "1", "b": "2", "c": "3"}
    assert isinstance(request.cookies, ImmutableMultiDict)


def test_cookies_with_invalid_utf8_and_garbage_do_not_raise() -> None:
    raw = b"good=1; bad=\xff\xfe; ;=x; novalue".decode("latin-1")
    cookies = make_request(headers=[("Cookie", raw)]).cookies
    assert cookies["good"] == "1"
    assert "bad" in cookies
    assert "novalue" not in cookies


def test_no_cookie_header_gives_empty_cookies() -> None:
    assert not make_request().cookies


# --- body stream -------------------------------------------------------------------------


def test_get_data_returns_body_and_caches_it() -> None:
    request = make_request(method="POST", body=b"hello")
    assert request.get_data() == b"hello"
    assert request.get_data() == b"hello"
    assert request.data == b"hello"


def test_get_data_as_text_replaces_invalid_utf8() -> None:
    assert make_request(method="POST", body=b"ok\xff").get_data(as_text=True) == "ok\ufffd"


def test_get_data_without_cache_consumes_the_stream() -> None:
    request = make_request(method="POST", body=b"hello")
    assert request.get_data(cache=False) == b"hello"
    assert request.get_data() == b""


def test_stream_never_reads_past_content_length() -> None:
    raw = io.BytesIO(b"hello world")
    request = Request(
        "POST", "http", None, "", "/", b"", Headers([("Content-Length", "5")]), None, raw
    )
    assert request.stream.read() == b"hello"
    assert raw.read() == b" world"


def test_stream_supports_readline_and_iteration() -> None:
    request = make_request(method="POST", body=b"a\nb\n")
    assert list(request.stream) == [b"a\n", b"b\n"]


def test_declared_length_over_max_content_length_is_413() -> None:
    request = make_request(method="POST", body=b"x" * 20)
    request.max_content_length = 10
    with pytest.raises(RequestEntityTooLarge):
        request.get_data()


def test_body_without_length_over_max_content_length_is_413() -> None:
    request = make_request(method="POST", body=b"x" * 20, content_length=False)
    request.max_content_length = 10
    with pytest.raises(RequestEntityTooLarge):
        request.get_data()


def test_body_without_length_at_max_content_length_is_accepted() -> None:
    request = make_request(method="POST", body=b"x" * 10, content_length=False)
    request.max_content_length = 10
    assert request.get_data() == b"x" * 10


def test_body_shorter_than_content_length_is_client_disconnected() -> None:
    request = make_request(
        method="POST", body=b"short", headers=[("Content-Length", "100")], content_length=False
    )
    with pytest.raises(ClientDisconnected):
        request.get_data()


def test_no_stream_means_empty_body() -> None:
    assert make_request(method="POST").get_data() == b""


def test_input_stream_is_the_raw_unlimited_stream() -> None:
    request = make_request(method="POST", body=b"abc", headers=[("Content-Length", "1")])
    assert request.input_stream.read() == b"abc"


# --- forms ---------------------------------------------------------------------------------


def test_urlencoded_form_is_parsed() -> None:
    request = form_request(b"a=1&b=%C3%A9", URLENCODED)
    assert request.form.to_dict() == {"a": "1", "b": "é"}
    assert isinstance(request.form, ImmutableMultiDict)


def test_chunked_urlencoded_form_without_length_is_parsed() -> None:
    request = form_request(
        b"a=1&b=2", URLENCODED, headers=[("Transfer-Encoding", "chunked")], content_length=False
    )
    assert request.form.to_dict() == {"a": "1", "b": "2"}


def test_form_with_charset_parameter_is_parsed() -> None:
    request = form_request(b"a=1", URLENCODED + "; charset=utf-8")
    assert request.form["a"] == "1"


def test_form_with_bogus_charset_parameter_does_not_raise() -> None:
    request = form_request(b"a=%FF", URLENCODED + "; charset=no-such-charset")
    assert request.form["a"] == "\ufffd"


def test_form_missing_key_is_400() -> None:
    with pytest.raises(BadRequest):
        form_request(b"a=1", URLENCODED).form["b"]


def test_multipart_form_and_files_are_parsed() -> None:
    body = multipart_body(("name", "Ada"), files=(("doc", "a.txt", b"content"),))
    request = form_request(body, MULTIPART)
    assert request.form["name"] == "Ada"
    assert request.files["doc"].filename == "a.txt"
    assert request.files["doc"].read() == b"content"


def test_non_form_body_leaves_form_empty_and_data_readable() -> None:
    request = form_request(b"a=1", "text/plain")
    assert not request.form
    assert request.data == b"a=1"


def test_request_without_content_type_has_empty_form() -> None:
    request = make_request(method="POST", body=b"a=1")
    assert not request.form
    assert request.get_data() == b"a=1"


def test_form_can_be_parsed_after_get_data() -> None:
    request = form_request(b"a=1", URLENCODED)
    assert request.get_data() == b"a=1"
    assert request.form["a"] == "1"


def test_data_is_empty_after_form_was_parsed() -> None:
    request = form_request(b"a=1", URLENCODED)
    assert request.form["a"] == "1"
    assert request.data == b""


def test_malformed_multipart_is_400() -> None:
    request = form_request(b"not multipart at all", MULTIPART)
    with pytest.raises(BadRequest):
        request.form  # noqa: B018


def test_multipart_without_boundary_is_400() -> None:
    request = form_request(multipart_body(("a", "1")), "multipart/form-data")
    with pytest.raises(BadRequest, match="boundary"):
        request.form  # noqa: B018


def test_truncated_multipart_is_400() -> None:
    body = multipart_body(("a", "1"))
    request = form_request(
        body[:-10], MULTIPART, headers=[("Content-Length", str(len(body)))], content_length=False
    )
    with pytest.raises(BadRequest):
        request.files  # noqa: B018


def test_multipart_over_max_content_length_is_413() -> None:
    request = form_request(multipart_body(("a", "x" * 100)), MULTIPART)
    request.max_content_length = 50
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018


def test_multipart_too_many_parts_is_413() -> None:
    request = form_request(multipart_body(("a", "1"), ("b", "2"), ("c", "3")), MULTIPART)
    request.max_form_parts = 2
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018


def test_multipart_field_over_memory_limit_is_413() -> None:
    request = form_request(multipart_body(("a", "x" * 100)), MULTIPART)
    request.max_form_memory_size = 50
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018


def test_urlencoded_over_memory_limit_is_413() -> None:
    request = form_request(b"a=" + b"x" * 100, URLENCODED)
    request.max_form_memory_size = 50
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018


class _TrickleStream:
    """A body stream that returns one byte per read, as a slow socket may."""

    def __init__(self, data: bytes, fail: type[BaseException] | None = None) -> None:
        self._data = data
        self._fail = fail

    def read(self, size: int = -1) -> bytes:
        if not self._data and self._fail is not None:
            raise self._fail("connection reset")
        chunk, self._data = self._data[:1], self._data[1:]
        return chunk


def test_urlencoded_form_is_read_across_short_reads() -> None:
    request = make_request(method="POST", headers=[("Content-Type", URLENCODED)], body=b"")
    request._input_stream = _TrickleStream(b"a=1&b=2")
    request.headers = Headers([("Content-Type", URLENCODED), ("Content-Length", "7")])
    assert request.form.to_dict() == {"a": "1", "b": "2"}


@pytest.mark.parametrize("fail", [None, OSError, ValueError])
def test_urlencoded_body_shorter_than_its_length_is_client_disconnected(
    fail: type[BaseException] | None,
) -> None:
    request = make_request(method="POST", body=b"")
    request._input_stream = _TrickleStream(b"a=1", fail)
    request.headers = Headers([("Content-Type", URLENCODED), ("Content-Length", "10")])
    with pytest.raises(ClientDisconnected):
        request.form  # noqa: B018


def test_urlencoded_over_max_content_length_is_413_before_reading() -> None:
    stream = io.BytesIO(b"a=" + b"x" * 100)
    request = form_request(b"", URLENCODED, headers=[("Content-Length", "102")])
    request._input_stream = stream
    request.max_content_length = 50
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018
    assert stream.tell() == 0


def test_urlencoded_too_many_fields_is_413() -> None:
    request = form_request(b"a=1&b=2&c=3", URLENCODED)
    request.max_form_parts = 2
    with pytest.raises(RequestEntityTooLarge, match="more than 2 fields"):
        request.form  # noqa: B018


def test_stream_is_read_through_after_the_form() -> None:
    request = form_request(b"a=1", URLENCODED)
    assert request.form["a"] == "1"
    assert request.stream.read() == b""
    assert request.files == ImmutableMultiDict()


def test_custom_form_parser_still_parses_urlencoded_forms() -> None:
    seen: list[str] = []

    class Parser(FormDataParser):
        def parse(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(args[1])
            return super().parse(*args, **kwargs)

    class CustomRequest(Request):
        form_data_parser_class = Parser

    base = form_request(b"a=1", URLENCODED)
    request = CustomRequest(
        "POST", "http", None, "", "/", b"", base.headers, None, io.BytesIO(b"a=1")
    )
    assert request.form["a"] == "1"
    assert seen == [URLENCODED]


def test_shallow_request_refuses_to_read_an_urlencoded_form() -> None:
    class ShallowRequest(Request):
        shallow = True

    base = form_request(b"a=1", URLENCODED)
    request = ShallowRequest(
        "POST", "http", None, "", "/", b"", base.headers, None, io.BytesIO(b"a=1")
    )
    with pytest.raises(RuntimeError, match="shallow"):
        request.form  # noqa: B018


def test_values_combines_args_and_form_for_post() -> None:
    request = form_request(b"b=2", URLENCODED, query=b"a=1")
    values = request.values
    assert isinstance(values, CombinedMultiDict)
    assert values["a"] == "1"
    assert values["b"] == "2"


def test_values_ignores_get_body() -> None:
    request = make_request(
        method="GET", query=b"a=1", body=b"b=2", headers=[("Content-Type", URLENCODED)]
    )
    assert "b" not in request.values
    assert request.values["a"] == "1"


def test_close_closes_uploaded_files() -> None:
    body = multipart_body(files=(("f", "a.txt", b"x"),))
    with form_request(body, MULTIPART) as request:
        storage = request.files["f"]
    assert storage.stream.closed


# --- JSON -----------------------------------------------------------------------------------


def json_request(body: bytes, content_type: str = "application/json") -> Request:
    request = form_request(body, content_type)
    request.json_module = json
    return request


def test_json_is_parsed_and_cached() -> None:
    request = json_request(b'{"a": [1, 2]}')
    assert request.json == {"a": [1, 2]}
    assert request.get_json() is request.get_json()


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.api+json"])
def test_is_json_accepts_json_media_types(content_type: str) -> None:
    assert json_request(b"{}", content_type).is_json


def test_json_with_wrong_content_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaType):
        json_request(b"{}", "text/plain").get_json()


def test_json_without_content_type_is_415() -> None:
    request = make_request(method="POST", body=b"{}")
    with pytest.raises(UnsupportedMediaType):
        request.json  # noqa: B018


def test_json_force_ignores_content_type() -> None:
    assert json_request(b"[1]", "text/plain").get_json(force=True) == [1]


def test_json_silent_with_wrong_content_type_is_none() -> None:
    assert json_request(b"{}", "text/plain").get_json(silent=True) is None


def test_invalid_json_is_400() -> None:
    with pytest.raises(BadRequest):
        json_request(b"{nope").get_json()


def test_invalid_utf8_json_is_400() -> None:
    with pytest.raises(BadRequest):
        json_request(b'{"a": "\xff"}').get_json()


def test_invalid_json_silent_is_none_and_strict_still_raises() -> None:
    request = json_request(b"{nope")
    assert request.get_json(silent=True) is None
    with pytest.raises(BadRequest):
        request.get_json()


def test_on_json_loading_failed_can_return_a_value() -> None:
    class LenientRequest(Request):
        def on_json_loading_failed(self, e: ValueError | None) -> Any:
            return {"error": e is not None}

    request = LenientRequest(
        "POST",
        "http",
        None,
        "",
        "/",
        b"",
        Headers([("Content-Type", "application/json"), ("Content-Length", "1")]),
        None,
        io.BytesIO(b"{"),
    )
    request.json_module = json
    assert request.get_json() == {"error": True}


def test_json_uses_tumbler_json_by_default() -> None:
    request = form_request(b'{"a": 1}', "application/json")
    assert request.get_json() == {"a": 1}


# --- routing attributes ----------------------------------------------------------------------


class FakeRule:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint


def test_endpoint_and_blueprints_derive_from_url_rule() -> None:
    request = make_request()
    assert request.endpoint is None
    assert request.blueprint is None
    assert request.blueprints == []
    request.url_rule = FakeRule("admin.users.list")  # type: ignore[assignment]
    assert request.endpoint == "admin.users.list"
    assert request.blueprint == "admin.users"
    assert request.blueprints == ["admin.users", "admin"]


def test_endpoint_without_blueprint() -> None:
    request = make_request()
    request.url_rule = FakeRule("index")  # type: ignore[assignment]
    assert request.blueprint is None
    assert request.blueprints == []


def test_per_request_settings_default_to_none() -> None:
    request = make_request()
    assert request.max_content_length is None
    assert request.max_form_memory_size is None
    assert request.max_form_parts is None
    assert request.view_args is None
    assert request.routing_exception is None
    assert request.trusted_hosts is None


def test_arbitrary_attributes_can_be_set_by_extensions() -> None:
    request = make_request()
    request.custom = 1  # type: ignore[attr-defined]
    assert request.custom == 1  # type: ignore[attr-defined]
