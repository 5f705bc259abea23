"""Tests for tumbler.http: header parsing and formatting, including malformed client input."""

from __future__ import annotations

import time
import urllib.parse
import warnings
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tumbler import http
from tumbler.datastructures import Accept
from tumbler.datastructures import ContentRange
from tumbler.datastructures import ContentSecurityPolicy
from tumbler.datastructures import ETags
from tumbler.datastructures import HeaderSet
from tumbler.datastructures import IfRange
from tumbler.datastructures import MIMEAccept
from tumbler.datastructures import MultiDict
from tumbler.datastructures import Range
from tumbler.datastructures import RequestCacheControl
from tumbler.datastructures import ResponseCacheControl

UTC = UTC
NOV_6_1994 = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


# --- status codes, enums, header classification ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (200, "OK"),
        (404, "Not Found"),
        (418, "I'm a teapot"),
        (421, "Misdirected Request"),
        (425, "Too Early"),
        (431, "Request Header Fields Too Large"),
        (451, "Unavailable For Legal Reasons"),
        (507, "Insufficient Storage"),
        (508, "Loop Detected"),
        (511, "Network Authentication Failed"),
    ],
)
def test_status_codes_use_werkzeug_reason_phrases(code: int, phrase: str) -> None:
    assert http.HTTP_STATUS_CODES[code] == phrase


def test_coop_and_coep_enums_hold_header_values() -> None:
    assert http.COOP.SAME_ORIGIN.value == "same-origin"
    assert http.COEP.REQUIRE_CORP.value == "require-corp"


def test_hop_by_hop_and_entity_header_checks_ignore_case() -> None:
    assert http.is_hop_by_hop_header("Transfer-Encoding")
    assert not http.is_hop_by_hop_header("Content-Type")
    assert http.is_entity_header("content-TYPE")
    assert not http.is_entity_header("X-Foo")


def test_remove_entity_headers_keeps_allowed_ones_in_a_list() -> None:
    headers = [("Content-Type", "text/html"), ("Expires", "0"), ("X-Foo", "1")]
    http.remove_entity_headers(headers)
    assert headers == [("Expires", "0"), ("X-Foo", "1")]


def test_remove_hop_by_hop_headers_edits_a_list_in_place() -> None:
    headers = [("Connection", "close"), ("X-Foo", "1"), ("Keep-Alive", "5")]
    http.remove_hop_by_hop_headers(headers)
    assert headers == [("X-Foo", "1")]


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "sun, 06 nov 1994 08:49:37 gmt",
        "Sun, 06 Nov 1994 10:49:37 +0200",
    ],
)
def test_parse_date_accepts_the_three_http_formats_and_numeric_zones(value: str) -> None:
    parsed = http.parse_date(value)
    assert parsed == NOV_6_1994
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 99999999999 08:49:37 GMT",
        "\x00\xff" * 40,
        "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 200 + "x",
    ],
)
def test_parse_date_returns_none_for_malformed_values(value: str | None) -> None:
    assert http.parse_date(value) is None


def test_parse_date_maps_two_digit_years_within_fifty_years() -> None:
    parsed = http.parse_date("Monday, 01-Jan-01 00:00:00 GMT")
    assert parsed is not None and parsed.year == 2001


def test_http_date_formats_naive_datetime_as_utc() -> None:
    assert http.http_date(datetime(1994, 11, 6, 8, 49, 37)) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_http_date_converts_aware_datetime_to_gmt() -> None:
    plus_two = timezone(timedelta(hours=2))
    value = datetime(1994, 11, 6, 10, 49, 37, tzinfo=plus_two)
    assert http.http_date(value) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_http_date_accepts_date_timestamp_and_struct_time() -> None:
    assert http.http_date(date(1994, 11, 6)) == "Sun, 06 Nov 1994 00:00:00 GMT"
    assert http.http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http.http_date(time.gmtime(784111777)) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_http_date_round_trips_through_parse_date() -> None:
    assert http.parse_date(http.http_date(NOV_6_1994)) == NOV_6_1994


def test_http_date_defaults_to_now() -> None:
    parsed = http.parse_date(http.http_date())
    assert parsed is not None
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5


def test_cookie_date_uses_dashed_legacy_format() -> None:
    assert http.cookie_date(0) == "Thu, 01-Jan-1970 00:00:00 GMT"


def test_parse_age_reads_seconds_and_rejects_garbage() -> None:
    assert http.parse_age("120") == timedelta(seconds=120)
    for bad in (None, "", "-1", "1.5", "abc", "1_000", "9" * 400):
        assert http.parse_age(bad) is None


def test_dump_age_formats_seconds_and_refuses_negative() -> None:
    assert http.dump_age(timedelta(minutes=2)) == "120"
    assert http.dump_age(5) == "5"
    assert http.dump_age(None) is None
    with pytest.raises(ValueError):
        http.dump_age(-1)


# --- quoting, lists, dicts, options ------------------------------------------------------------


def test_quote_header_value_leaves_tokens_and_escapes_quotes() -> None:
    assert http.quote_header_value("token") == "token"
    assert http.quote_header_value("two words") == '"two words"'
    assert http.quote_header_value('a"b\\c') == '"a\\"b\\\\c"'
    assert http.quote_header_value("") == '""'
    assert http.quote_header_value("token", allow_token=False) == '"token"'


def test_unquote_header_value_resolves_quoted_pairs() -> None:
    assert http.unquote_header_value('"a\\"b\\\\c"') == 'a"b\\c'
    assert http.unquote_header_value("plain") == "plain"


def test_parse_list_header_keeps_commas_inside_quotes() -> None:
    assert http.parse_list_header('a, "b, c", d') == ["a", "b, c", "d"]


def test_parse_list_header_drops_empty_items() -> None:
    assert http.parse_list_header("a,, ,b,") == ["a", "b"]


def test_parse_list_header_survives_unterminated_quote() -> None:
    assert http.parse_list_header('a, "b, c') == ["a", '"b, c']


def test_parse_list_header_is_fast_on_pathological_quotes() -> None:
    start = time.perf_counter()
    http.parse_list_header('"\\"' * 20000)
    http.parse_options_header("a" + ';b="\\"' * 20000)
    assert time.perf_counter() - start < 1


def test_parse_dict_header_handles_bare_keys_and_quoted_values() -> None:
    assert http.parse_dict_header('a=b, c="d, e", f') == {"a": "b", "c": "d, e", "f": None}


def test_parse_dict_header_decodes_rfc2231_values() -> None:
    assert http.parse_dict_header("title*=UTF-8''caf%C3%A9") == {"title": "café"}


def test_parse_dict_header_skips_empty_keys() -> None:
    assert http.parse_dict_header("=x, a=1") == {"a": "1"}


def test_dump_header_from_mapping_and_list() -> None:
    assert http.dump_header({"max-age": 0, "no-cache": None, "x": "a b"}) == (
        'max-age=0, no-cache, x="a b"'
    )
    assert http.dump_header(["foo", "bar baz"]) == 'foo, "bar baz"'


def test_parse_options_header_splits_value_and_parameters() -> None:
    assert http.parse_options_header("text/html; charset=utf-8") == (
        "text/html",
        {"charset": "utf-8"},
    )


def test_parse_options_header_lowercases_keys_and_unquotes_values() -> None:
    value, options = http.parse_options_header('form-data; NAME="a \\"b\\" c"; x=1')
    assert value == "form-data"
    assert options == {"name": 'a "b" c', "x": "1"}


def test_parse_options_header_decodes_rfc2231_filename_and_prefers_it() -> None:
    header = "attachment; filename*=UTF-8''na%C3%AFve%20file.txt; filename=\"fallback.txt\""
    assert http.parse_options_header(header) == ("attachment", {"filename": "naïve file.txt"})


def test_parse_options_header_joins_continuations_in_order() -> None:
    header = "attachment; filename*1=\"two\"; filename*0*=UTF-8''one%20"
    assert http.parse_options_header(header)[1] == {"filename": "one two"}


def test_parse_options_header_leaves_unknown_charset_undecoded() -> None:
    assert http.parse_options_header("a; x*=EBCDIC''%C1")[1] == {"x": "%C1"}


def test_parse_options_header_handles_html_percent_encoded_quotes() -> None:
    assert http.parse_options_header('form-data; name="a%22b"')[1] == {"name": 'a"b'}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("", {})),
        ("", ("", {})),
        ("text/plain", ("text/plain", {})),
        ("text/plain;", ("text/plain", {})),
        ("text/plain; ;;", ("text/plain", {})),
        ('text/plain; "quoted"=key; a=1', ("text/plain", {"a": "1"})),
        ("text/plain; novalue; a=1", ("text/plain", {"a": "1"})),
        ('text/plain; a="unterminated', ("text/plain", {"a": "unterminated"})),
        ("; charset=utf-8", ("", {})),
    ],
)
def test_parse_options_header_best_effort_on_malformed_input(
    value: str | None, expected: tuple[str, dict[str, str]]
) -> None:
    assert http.parse_options_header(value) == expected


def test_dump_options_header_quotes_and_skips_none() -> None:
    assert http.dump_options_header("text/html", {"charset": "utf-8", "x": None, "y": "a b"}) == (
        'text/html; charset=utf-8; y="a b"'
    )


def test_options_header_round_trip() -> None:
    options = {"name": 'odd "name"; with=stuff', "filename": "x.txt"}
    dumped = http.dump_options_header("form-data", options)
    assert http.parse_options_header(dumped) == ("form-data", options)


# --- accept, cache-control, csp, sets -------------------------------------------------------------


def test_parse_accept_header_orders_by_specificity_then_quality() -> None:
    accept = http.parse_accept_header("*/*;q=0.8, text/html;q=0.9, application/json", MIMEAccept)
    assert accept.values() is not None
    assert list(accept.values()) == ["application/json", "text/html", "*/*"]


def test_parse_accept_header_keeps_other_parameters_in_the_value() -> None:
    accept = http.parse_accept_header("text/html;level=1;q=0.5", MIMEAccept)
    assert list(accept) == [("text/html; level=1", 0.5)]


@pytest.mark.parametrize("q", ["abc", "2", "-0.5", "1.5", "", "0x1", "nan", "inf"])
def test_parse_accept_header_skips_entries_with_invalid_quality(q: str) -> None:
    accept = http.parse_accept_header(f"text/html;q={q}, application/json", MIMEAccept)
    assert list(accept.values()) == ["application/json"]


def test_parse_accept_header_keeps_zero_quality_as_not_acceptable() -> None:
    accept = http.parse_accept_header("gzip;q=0, *", Accept)
    assert accept.quality("gzip") == 0
    assert "gzip" not in accept
    assert "br" in accept


def test_parse_accept_header_missing_value_is_empty_and_not_provided() -> None:
    accept = http.parse_accept_header(None)
    assert type(accept) is Accept
    assert len(accept) == 0 and not accept.provided


def test_parse_accept_header_ignores_empty_items_and_garbage() -> None:
    accept = http.parse_accept_header(",,;q=1, ;, en", Accept)
    assert list(accept) == [("en", 1.0)]


def test_parse_cache_control_header_defaults_to_request_class() -> None:
    cc = http.parse_cache_control_header("max-age=60, no-cache")
    assert isinstance(cc, RequestCacheControl)
    assert cc.max_age == 60 and cc.no_cache is True


def test_parse_cache_control_header_response_class_calls_on_update() -> None:
    seen: list[str] = []
    cc = http.parse_cache_control_header(
        "public", lambda c: seen.append(c.to_header()), ResponseCacheControl
    )
    cc.max_age = 10
    assert seen == ["public, max-age=10"]


def test_parse_cache_control_header_empty_value_is_empty() -> None:
    assert len(http.parse_cache_control_header("")) == 0


def test_parse_csp_header_skips_directives_without_values() -> None:
    csp = http.parse_csp_header("default-src 'self'; upgrade-insecure-requests; img-src *")
    assert isinstance(csp, ContentSecurityPolicy)
    assert dict(csp) == {"default-src": "'self'", "img-src": "*"}


def test_dump_csp_header_joins_directives() -> None:
    assert http.dump_csp_header({"default-src": "'self'", "img-src": "*"}) == (
        "default-src 'self'; img-src *"
    )


def test_parse_set_header_is_case_insensitive_header_set() -> None:
    hs = http.parse_set_header('Accept-Encoding, "Cookie"')
    assert isinstance(hs, HeaderSet)
    assert "cookie" in hs and "ACCEPT-ENCODING" in hs


def test_parse_set_header_missing_value_is_empty() -> None:
    assert len(http.parse_set_header(None)) == 0


# --- etags and conditional requests ----------------------------------------------------------


def test_quote_and_unquote_etag() -> None:
    assert http.quote_etag("abc") == '"abc"'
    assert http.quote_etag("abc", weak=True) == 'W/"abc"'
    assert http.unquote_etag('W/"abc"') == ("abc", True)
    assert http.unquote_etag('"abc"') == ("abc", False)
    assert http.unquote_etag(None) == (None, None)


@pytest.mark.parametrize("bad", ['a"b', "a\nb"])
def test_quote_etag_refuses_quotes_and_control_characters(bad: str) -> None:
    with pytest.raises(ValueError):
        http.quote_etag(bad)


def test_parse_etags_splits_strong_and_weak() -> None:
    etags = http.parse_etags('"a", W/"b", "c,d", e')
    assert etags.as_set() == {"a", "c,d", "e"}
    assert etags.is_weak("b") and not etags.is_strong("b")


def test_parse_etags_star_matches_everything() -> None:
    etags = http.parse_etags("*")
    assert etags.star_tag and etags.contains("anything")


def test_parse_etags_missing_and_garbage_values_do_not_raise() -> None:
    assert not http.parse_etags(None)
    assert isinstance(http.parse_etags('"unterminated, W/'), ETags)
    assert isinstance(http.parse_etags(" , ,, "), ETags)


def test_generate_etag_is_sha1_hex() -> None:
    assert http.generate_etag(b"hello") == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"


def test_is_resource_modified_with_matching_if_none_match_is_not_modified() -> None:
    assert not http.is_resource_modified(http_if_none_match='W/"abc"', etag="abc")


def test_is_resource_modified_with_other_if_none_match_is_modified() -> None:
    assert http.is_resource_modified(http_if_none_match='"xyz"', etag="abc")


def test_is_resource_modified_computes_etag_from_data() -> None:
    tag = http.generate_etag(b"body")
    assert not http.is_resource_modified(http_if_none_match=f'"{tag}"', data=b"body")


def test_is_resource_modified_refuses_both_data_and_etag() -> None:
    with pytest.raises(TypeError):
        http.is_resource_modified(etag="a", data=b"a")


def test_is_resource_modified_if_modified_since_compares_seconds() -> None:
    last = datetime(1994, 11, 6, 8, 49, 37, 500000, tzinfo=UTC)
    since = "Sun, 06 Nov 1994 08:49:37 GMT"
    assert not http.is_resource_modified(http_if_modified_since=since, last_modified=last)
    later = last + timedelta(seconds=1)
    assert http.is_resource_modified(http_if_modified_since=since, last_modified=later)


def test_is_resource_modified_ignores_if_modified_since_for_post() -> None:
    since = "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http.is_resource_modified(
        http_if_modified_since=since, last_modified=NOV_6_1994, method="POST"
    )


def test_is_resource_modified_ignores_malformed_if_modified_since() -> None:
    assert http.is_resource_modified(http_if_modified_since="garbage", last_modified=NOV_6_1994)


def test_is_resource_modified_if_match_mismatch_reports_unmodified_for_412() -> None:
    assert not http.is_resource_modified(http_if_match='"other"', etag="abc")
    assert http.is_resource_modified(http_if_match='"abc"', etag="abc")
    assert http.is_resource_modified(http_if_match="*", etag="abc")


def test_is_resource_modified_honours_if_range_only_with_range() -> None:
    kwargs = {"http_if_range": '"abc"', "etag": "abc", "ignore_if_range": False}
    assert not http.is_resource_modified(http_range="bytes=0-1", **kwargs)  # type: ignore[arg-type]
    assert http.is_resource_modified(http_range="bytes=0-1", **{**kwargs, "etag": "new"})  # type: ignore[arg-type]


def test_is_resource_modified_accepts_wsgi_environ_first() -> None:
    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"abc"'}
    assert not http.is_resource_modified(environ, "abc")
    assert http.is_resource_modified(environ, etag="xyz")


# --- ranges ------------------------------------------------------------------------------------


def test_parse_range_header_single_range_has_exclusive_stop() -> None:
    rng = http.parse_range_header("bytes=0-499")
    assert isinstance(rng, Range)
    assert rng.units == "bytes" and rng.ranges == [(0, 500)]


def test_parse_range_header_open_and_suffix_ranges() -> None:
    assert http.parse_range_header("bytes=500-").ranges == [(500, None)]  # type: ignore[union-attr]
    assert http.parse_range_header("bytes=-500").ranges == [(-500, None)]  # type: ignore[union-attr]


def test_parse_range_header_multiple_ascending_ranges() -> None:
    rng = http.parse_range_header("bytes=0-9, 20-29, 40-")
    assert rng is not None and rng.ranges == [(0, 10), (20, 30), (40, None)]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=abc",
        "bytes=5-1",
        "bytes=0-9,5-20",
        "bytes=10-19,0-5",
        "bytes=-0",
        "bytes=-",
        "bytes=0-1-2",
        "bytes=-5,0-1",
        "bytes=5-,10-20",
        "bytes=+1-2",
        "bytes= 1_0-20",
        "by tes=0-1",
        "bytes=0-9,,20-29",
    ],
)
def test_parse_range_header_malformed_returns_none(value: str | None) -> None:
    assert http.parse_range_header(value) is None


def test_parse_content_range_header_full_form() -> None:
    cr = http.parse_content_range_header("bytes 0-499/1234")
    assert isinstance(cr, ContentRange)
    assert (cr.units, cr.start, cr.stop, cr.length) == ("bytes", 0, 500, 1234)


def test_parse_content_range_header_unknown_length_and_unsatisfied() -> None:
    cr = http.parse_content_range_header("bytes 0-499/*")
    assert cr is not None and cr.length is None
    unsatisfied = http.parse_content_range_header("bytes */1234")
    assert unsatisfied is not None and unsatisfied.start is None and unsatisfied.length == 1234


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes 0-499",
        "bytes 500-0/1000",
        "bytes 0-1000/1000",
        "bytes a-b/10",
        "bytes */*",
        "bytes 0-1/-5",
        "bytes 01/10",
    ],
)
def test_parse_content_range_header_malformed_returns_none(value: str | None) -> None:
    assert http.parse_content_range_header(value) is None


def test_parse_if_range_header_date_or_etag() -> None:
    assert http.parse_if_range_header("Sun, 06 Nov 1994 08:49:37 GMT").date == NOV_6_1994
    assert http.parse_if_range_header('W/"abc"').etag == "abc"
    empty = http.parse_if_range_header(None)
    assert isinstance(empty, IfRange) and empty.etag is None and empty.date is None


def test_is_byte_range_valid() -> None:
    assert http.is_byte_range_valid(0, 10, 10)
    assert not http.is_byte_range_valid(10, 11, 10)
    assert not http.is_byte_range_valid(5, 5, 10)
    assert http.is_byte_range_valid(None, None, 10)
    assert not http.is_byte_range_valid(0, None, 10)
    assert http.is_byte_range_valid(3, 4, None)


# --- cookies ----------------------------------------------------------------------------------------


def test_parse_cookie_returns_multidict_with_repeated_names() -> None:
    cookies = http.parse_cookie("a=1; b=2; a=3")
    assert isinstance(cookies, MultiDict)
    assert cookies.getlist("a") == ["1", "3"] and cookies["b"] == "2"


def test_parse_cookie_unquotes_values_and_escapes() -> None:
    cookies = http.parse_cookie('a="x\\"y\\\\z"; b="semi\\073colon"; c="\\303\\251"')
    assert cookies["a"] == 'x"y\\z'
    assert cookies["b"] == "semi;colon"
    assert cookies["c"] == "é"


def test_parse_cookie_skips_malformed_pairs() -> None:
    cookies = http.parse_cookie("flag; =novalue; a=1;; ; b = 2 ;c=")
    assert list(cookies.items(multi=True)) == [("a", "1"), ("b", "2"), ("c", "")]


def test_parse_cookie_tolerates_invalid_bytes() -> None:
    cookies = http.parse_cookie(b"a=\xff\xfe; b=ok")
    assert cookies["a"] == "\ufffd\ufffd" and cookies["b"] == "ok"


def test_parse_cookie_recovers_utf8_from_latin1_wire_text() -> None:
    wire = "name=caf\u00c3\u00a9"  # b"name=caf\xc3\xa9" decoded as latin-1
    assert http.parse_cookie(wire)["name"] == "café"


def test_parse_cookie_keeps_real_text_that_is_not_latin1_mojibake() -> None:
    assert http.parse_cookie("name=\u00e9t\u00e9")["name"] == "été"


def test_parse_cookie_reads_wsgi_environ() -> None:
    assert http.parse_cookie({"HTTP_COOKIE": "a=1"})["a"] == "1"


def test_parse_cookie_cls_chooses_the_mapping() -> None:
    cookies = http.parse_cookie("a=1; a=2", cls=dict)
    assert cookies == {"a": "2"}


def test_parse_cookie_empty_header_gives_empty_mapping() -> None:
    assert len(http.parse_cookie(None)) == 0
    assert len(http.parse_cookie("")) == 0


def test_parse_cookie_ignores_unterminated_quote() -> None:
    cookies = http.parse_cookie('a="open; b=2')
    assert cookies["a"] == '"open' and cookies["b"] == "2"


def test_dump_cookie_defaults_to_root_path() -> None:
    assert http.dump_cookie("a", "b") == "a=b; Path=/"


def test_dump_cookie_with_every_attribute() -> None:
    header = http.dump_cookie(
        "sid",
        "v",
        max_age=60,
        expires=NOV_6_1994,
        path="/app",
        domain=".example.com:8080",
        secure=True,
        httponly=True,
        samesite="lax",
        partitioned=True,
    )
    assert header == (
        "sid=v; Domain=example.com; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=60;"
        " Secure; HttpOnly; Path=/app; SameSite=Lax; Partitioned"
    )


def test_dump_cookie_partitioned_implies_secure() -> None:
    assert "; Secure" in http.dump_cookie("a", "b", partitioned=True)


def test_dump_cookie_max_age_timedelta_syncs_expires() -> None:
    header = http.dump_cookie("a", "b", max_age=timedelta(hours=1))
    assert "Max-Age=3600" in header
    expires = header.split("Expires=")[1].split(";")[0]
    parsed = http.parse_date(expires)
    assert parsed is not None
    assert abs((parsed - datetime.now(UTC)).total_seconds() - 3600) < 5


def test_dump_cookie_without_sync_expires_omits_expires() -> None:
    assert "Expires" not in http.dump_cookie("a", "b", max_age=10, sync_expires=False)


def test_dump_cookie_expires_accepts_timestamp_and_string() -> None:
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in http.dump_cookie("a", expires=0)
    assert "Expires=whenever" in http.dump_cookie("a", expires="whenever")


def test_dump_cookie_samesite_none_is_accepted() -> None:
    assert "SameSite=None" in http.dump_cookie("a", samesite="none", secure=True)


def test_dump_cookie_rejects_invalid_samesite() -> None:
    with pytest.raises(ValueError, match="SameSite"):
        http.dump_cookie("a", "b", samesite="sometimes")


def test_dump_cookie_quotes_values_with_special_characters() -> None:
    header = http.dump_cookie("a", 'x y;z,"é\\', path=None)
    assert header == 'a="x y\\073z\\054\\"\\303\\251\\\\"'


def test_dump_cookie_quoted_value_round_trips_through_parse_cookie() -> None:
    value = 'spaces and ;,"\\ and ünïcödé'
    header = http.dump_cookie("k", value, path=None)
    assert http.parse_cookie(header)["k"] == value


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: evil=1", "a\nb", "a\x00b", "a\x1fb", "a\x7fb"])
def test_dump_cookie_escapes_control_characters_in_value(value: str) -> None:
    # A value echoed from user input must neither fail (a 500) nor inject a header.
    header = http.dump_cookie("a", value, path=None)
    assert not any(ord(c) < 0x20 or c == "\x7f" for c in header)
    assert http.parse_cookie(header)["a"] == value


@pytest.mark.parametrize("key", ["", "a b", "a;b", "a=b", "a\r\nb", 'a"b', "a,b"])
def test_dump_cookie_refuses_unsafe_names(key: str) -> None:
    with pytest.raises(ValueError):
        http.dump_cookie(key, "v")


def test_dump_cookie_refuses_injection_through_expires_and_domain() -> None:
    with pytest.raises(ValueError):
        http.dump_cookie("a", expires="x\r\nSet-Cookie: evil=1")
    with pytest.raises(ValueError):
        http.dump_cookie("a", domain="example.com; Secure")


def test_dump_cookie_percent_encodes_unsafe_path_characters() -> None:
    header = http.dump_cookie("a", path="/a b;\r\nc")
    assert header == "a=; Path=/a%20b%3B%0D%0Ac"


def test_dump_cookie_idna_encodes_domain() -> None:
    assert "Domain=xn--bcher-kva.example" in http.dump_cookie("a", domain="bücher.example")


def test_dump_cookie_warns_when_too_large() -> None:
    with pytest.warns(UserWarning, match="cookie is too large"):
        http.dump_cookie("big", "x" * 5000)


def test_dump_cookie_max_size_zero_disables_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        http.dump_cookie("big", "x" * 5000, max_size=0)


# --- authorization helpers --------------------------------------------------------------------


def test_parse_authorization_header_helper_decodes_basic() -> None:
    auth = http.parse_authorization_header("Basic dXNlcjpwYXNz")
    assert auth is not None and auth.username == "user" and auth.password == "pass"


def test_parse_www_authenticate_header_helper_reads_realm() -> None:
    challenge = http.parse_www_authenticate_header('Basic realm="admin area"')
    assert challenge is not None and challenge.realm == "admin area"


def test_remove_hop_by_hop_headers_edits_headers_object() -> None:
    from tumbler.datastructures import Headers

    headers = Headers([("Connection", "close"), ("X-Foo", "1"), ("Upgrade", "h2c")])
    http.remove_hop_by_hop_headers(headers)
    assert list(headers) == [("X-Foo", "1")]


def test_http_date_struct_time_from_localtime_uses_its_offset() -> None:
    assert http.http_date(time.localtime(784111777)) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_parse_etags_drops_tags_with_control_characters() -> None:
    etags = http.parse_etags('"ok", bad\x00tag')
    assert etags.as_set() == {"ok"}
    assert etags.to_header() == '"ok"'


_FORM_TEXT = st.text(
    alphabet=st.sampled_from(list("ab=&+%%2F09ACE8\u00e9\u00c3\u0080\ud800\U0001f600 \x00;")),
    max_size=40,
)


@settings(max_examples=2000, deadline=None)
@given(_FORM_TEXT)
def test_parse_form_pairs_agrees_with_parse_qsl(text: str) -> None:
    expected = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="replace")
    assert http.parse_form_pairs(text) == expected


@pytest.mark.parametrize("text", ["a&b&c", "a=1&&b=2", "&&", "a", ""])
@pytest.mark.parametrize("max_fields", [1, 2, 3, 4])
def test_parse_form_pairs_field_limit_agrees_with_parse_qsl(text: str, max_fields: int) -> None:
    try:
        expected = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:
        with pytest.raises(ValueError):
            http.parse_form_pairs(text, max_fields)
    else:
        assert http.parse_form_pairs(text, max_fields) == expected
