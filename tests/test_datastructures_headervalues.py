"""Tests for the parsed header value classes in tumbler.datastructures."""

from __future__ import annotations

import base64
import copy
import pickle
from datetime import UTC
from datetime import datetime

import pytest

from tumbler.datastructures import Accept
from tumbler.datastructures import Authorization
from tumbler.datastructures import CharsetAccept
from tumbler.datastructures import ContentRange
from tumbler.datastructures import ContentSecurityPolicy
from tumbler.datastructures import ETags
from tumbler.datastructures import IfRange
from tumbler.datastructures import LanguageAccept
from tumbler.datastructures import MIMEAccept
from tumbler.datastructures import Range
from tumbler.datastructures import RequestCacheControl
from tumbler.datastructures import ResponseCacheControl
from tumbler.datastructures import WWWAuthenticate
from tumbler.http import parse_accept_header
from tumbler.http import parse_cache_control_header
from tumbler.http import parse_etags
from tumbler.http import parse_range_header


def mime(value: str) -> MIMEAccept:
    return parse_accept_header(value, MIMEAccept)


def lang(value: str) -> LanguageAccept:
    return parse_accept_header(value, LanguageAccept)


# --- Accept ----------------------------------------------------------------------------------------


def test_accept_string_index_returns_quality_and_int_index_returns_pair() -> None:
    accept = Accept([("gzip", 0.5), ("br", 1)])
    assert accept["gzip"] == 0.5
    assert accept["zstd"] == 0
    assert accept[0] == ("br", 1.0)


def test_accept_best_is_most_specific_acceptable_value() -> None:
    assert Accept([("*", 1), ("gzip", 0.5)]).best == "gzip"
    assert Accept([("gzip", 0), ("br", 0.1)]).best == "br"
    assert Accept(None).best is None


def test_accept_best_match_prefers_quality_then_offer_order() -> None:
    accept = Accept([("gzip", 0.5), ("br", 0.9)])
    assert accept.best_match(["gzip", "br"]) == "br"
    assert Accept([("gzip", 1), ("br", 1)]).best_match(["br", "gzip"]) == "br"


def test_accept_best_match_never_picks_zero_quality() -> None:
    accept = Accept([("gzip", 0), ("*", 1)])
    assert accept.best_match(["gzip"]) is None
    assert accept.best_match(["gzip", "identity"]) == "identity"
    assert accept.best_match(["gzip"], default="identity") == "identity"


def test_accept_find_and_index() -> None:
    accept = Accept([("gzip", 1), ("br", 0.5)])
    assert accept.find("br") == 1
    assert accept.find("zstd") == -1
    assert accept.index(("br", 0.5)) == 1
    with pytest.raises(ValueError):
        accept.index("zstd")


def test_accept_values_and_to_header() -> None:
    accept = Accept([("gzip", 1), ("br", 0.5)])
    assert list(accept.values()) == ["gzip", "br"]
    assert accept.to_header() == "gzip,br;q=0.5"
    assert str(accept) == accept.to_header()


def test_accept_header_round_trip() -> None:
    accept = parse_accept_header("gzip, br;q=0.5, *;q=0.1")
    assert parse_accept_header(accept.to_header()) == accept


def test_accept_equals_list_of_pairs() -> None:
    assert Accept([("a", 1)]) == [("a", 1.0)]


def test_accept_is_immutable() -> None:
    accept = Accept([("a", 1)])
    with pytest.raises(AttributeError):
        accept.append(("b", 1))  # type: ignore[attr-defined]


def test_mime_accept_wildcards_match() -> None:
    accept = mime("text/*, */*;q=0.1")
    assert accept.quality("text/plain") == 1
    assert accept.quality("image/png") == 0.1
    assert "application/json" in accept


def test_mime_accept_specific_entry_overrides_wildcard() -> None:
    accept = mime("text/html;q=0, */*")
    assert "text/html" not in accept
    assert accept.best_match(["text/html", "application/json"]) == "application/json"


def test_mime_accept_best_match_prefers_more_specific_entry_at_equal_quality() -> None:
    accept = mime("*/*, application/json")
    assert accept.best_match(["text/html", "application/json"]) == "application/json"


def test_mime_accept_parameters_must_match_exactly() -> None:
    accept = mime("text/html;level=1")
    assert accept.quality("text/html;level=1") == 1
    assert accept.quality("text/html") == 0


def test_mime_accept_ignores_invalid_client_entries() -> None:
    accept = mime("garbage, */html, text/plain")
    assert accept.best_match(["text/html", "text/plain"]) == "text/plain"


def test_mime_accept_rejects_invalid_application_value() -> None:
    with pytest.raises(ValueError):
        mime("*/*").quality("html")


def test_mime_accept_html_xhtml_json_properties() -> None:
    assert mime("text/html").accept_html
    assert mime("application/xhtml+xml").accept_html
    assert mime("application/xml").accept_xhtml
    assert mime("application/json").accept_json
    assert not mime("application/json").accept_html
    assert not mime("application/json;q=0").accept_json


def test_mime_accept_orders_by_specificity() -> None:
    accept = mime("*/*, text/*, text/html;level=1, text/html")
    assert list(accept.values()) == ["text/html; level=1", "text/html", "text/*", "*/*"]


def test_language_accept_matches_case_and_separator_insensitively() -> None:
    assert lang("en-US").quality("en_us") == 1


def test_language_accept_falls_back_from_region_to_primary_tag() -> None:
    assert lang("en-US, de;q=0.5").best_match(["en", "de"]) == "en"


def test_language_accept_falls_back_from_primary_tag_to_offered_region() -> None:
    assert lang("en, fr;q=0.5").best_match(["fr-FR", "en-GB"]) == "en-GB"


def test_language_accept_best_match_default_when_nothing_matches() -> None:
    assert lang("ja").best_match(["en", "de"], default="en") == "en"


def test_charset_accept_normalises_codec_names() -> None:
    accept = parse_accept_header("UTF8, latin1;q=0.5", CharsetAccept)
    assert accept.quality("utf-8") == 1
    assert accept.quality("ISO-8859-1") == 0.5
    assert accept.quality("x-unknown-charset") == 0


# --- Cache-Control -------------------------------------------------------------------------------


def test_request_cache_control_typed_properties() -> None:
    cc = parse_cache_control_header(
        "max-age=60, max-stale, min-fresh=5, no-cache, no-store, no-transform, only-if-cached"
    )
    assert cc.max_age == 60
    assert cc.max_stale is True
    assert cc.min_fresh == 5
    assert cc.no_cache is True and cc.no_store is True and cc.no_transform is True
    assert cc.only_if_cached is True


def test_request_cache_control_invalid_numbers_read_as_none() -> None:
    cc = parse_cache_control_header("max-age=abc, min-fresh=-1, stale-if-error=1.5")
    assert cc.max_age is None and cc.min_fresh is None and cc.stale_if_error is None
    assert cc["max-age"] == "abc"


def test_request_cache_control_is_read_only() -> None:
    cc = parse_cache_control_header("max-age=1")
    with pytest.raises(AttributeError):
        cc.max_age = 5
    with pytest.raises(TypeError):
        cc["max-age"] = "5"  # type: ignore[index]


def test_response_cache_control_setters_build_header() -> None:
    cc = ResponseCacheControl()
    cc.public = True
    cc.max_age = 3600
    cc.s_maxage = 60
    cc.immutable = True
    cc.must_revalidate = True
    cc.stale_while_revalidate = 30
    assert cc.to_header() == (
        "public, max-age=3600, s-maxage=60, immutable, must-revalidate, stale-while-revalidate=30"
    )


def test_response_cache_control_no_cache_is_true_or_field_names() -> None:
    cc = parse_cache_control_header('no-cache, private="Set-Cookie"', cls=ResponseCacheControl)
    assert cc.no_cache is True
    assert cc.private == "Set-Cookie"
    cc.no_cache = "Authorization"
    assert cc["no-cache"] == "Authorization"


def test_response_cache_control_false_or_none_removes_directive() -> None:
    cc = parse_cache_control_header("public, max-age=5, no-store", cls=ResponseCacheControl)
    cc.public = False
    cc.max_age = None
    del cc.no_store
    assert cc.to_header() == ""
    assert not cc


def test_response_cache_control_on_update_fires_for_every_change() -> None:
    calls: list[str] = []
    cc = ResponseCacheControl(on_update=lambda c: calls.append(c.to_header()))
    cc.no_store = True
    cc["x-custom"] = "1"
    del cc["x-custom"]
    assert calls == ["no-store", "no-store, x-custom=1", "no-store"]


def test_response_cache_control_int_setter_converts() -> None:
    cc = ResponseCacheControl()
    cc.max_age = "42"  # type: ignore[assignment]
    assert cc.max_age == 42 and cc["max-age"] == "42"
    with pytest.raises(ValueError):
        cc.max_age = "forever"  # type: ignore[assignment]


def test_cache_control_round_trip() -> None:
    header = 'public, max-age=60, no-cache="Set-Cookie, Authorization"'
    cc = parse_cache_control_header(header, cls=ResponseCacheControl)
    assert parse_cache_control_header(cc.to_header(), cls=ResponseCacheControl) == cc
    assert cc.no_cache == "Set-Cookie, Authorization"


def test_cache_control_missing_header_is_empty_and_not_provided() -> None:
    cc = parse_cache_control_header(None)
    assert isinstance(cc, RequestCacheControl)
    assert len(cc) == 0 and not cc.provided and cc.max_age is None and cc.no_cache is False


# --- Content-Security-Policy --------------------------------------------------------------------


def test_csp_properties_read_and_write_directives() -> None:
    csp = ContentSecurityPolicy()
    csp.default_src = "'self'"
    csp.img_src = "*"
    assert csp.to_header() == "default-src 'self'; img-src *"
    csp.img_src = None
    assert csp.img_src is None and csp.to_header() == "default-src 'self'"


def test_csp_on_update_fires_on_changes() -> None:
    calls: list[str] = []
    csp = ContentSecurityPolicy(on_update=lambda c: calls.append(c.to_header()))
    csp.script_src = "'none'"
    csp.update({"img-src": "*"})
    del csp["img-src"]
    assert calls == ["script-src 'none'", "script-src 'none'; img-src *", "script-src 'none'"]


# --- ETags / IfRange -------------------------------------------------------------------------------


def test_etags_strong_and_weak_comparisons() -> None:
    etags = ETags(["strong"], ["weak"])
    assert etags.contains("strong") and not etags.contains("weak")
    assert etags.contains_weak("weak") and etags.contains_weak("strong")
    assert etags.is_strong("strong") and etags.is_weak("weak")
    assert "strong" in etags and "weak" not in etags


def test_etags_contains_raw_respects_weak_prefix() -> None:
    etags = ETags(["a"], ["b"])
    assert etags.contains_raw('"a"')
    assert etags.contains_raw('W/"b"')
    assert not etags.contains_raw('"b"')
    assert not etags.contains_raw("")


def test_etags_star_contains_everything_but_call_ignores_it() -> None:
    etags = ETags(star_tag=True)
    assert etags.contains("x") and etags.contains_weak("x")
    assert not etags("x")
    assert etags.to_header() == "*"


def test_etags_call_with_data_and_include_weak() -> None:
    from tumbler.http import generate_etag

    etags = ETags([generate_etag(b"body")], ["w"])
    assert etags(data=b"body")
    assert not etags("w") and etags("w", include_weak=True)
    with pytest.raises(TypeError):
        etags()


def test_etags_to_header_round_trips() -> None:
    etags = parse_etags('"a", W/"b", "c"')
    assert etags.to_header() == '"a", "c", W/"b"'
    assert parse_etags(etags.to_header()) == etags


def test_etags_empty_is_falsy() -> None:
    assert not ETags()
    assert len(ETags(["a", "b"])) == 2 and set(ETags(["a"])) == {"a"}


def test_if_range_to_header_for_date_etag_and_empty() -> None:
    when = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert IfRange(date=when).to_header() == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert IfRange("abc").to_header() == '"abc"'
    assert IfRange().to_header() == ""


# --- Range / ContentRange -----------------------------------------------------------------------


def test_range_for_length_resolves_single_ranges() -> None:
    assert Range("bytes", [(0, 500)]).range_for_length(1000) == (0, 500)
    assert Range("bytes", [(0, 5000)]).range_for_length(1000) == (0, 1000)
    assert Range("bytes", [(500, None)]).range_for_length(1000) == (500, 1000)
    assert Range("bytes", [(-100, None)]).range_for_length(1000) == (900, 1000)


def test_range_suffix_longer_than_resource_selects_all() -> None:
    assert Range("bytes", [(-5000, None)]).range_for_length(1000) == (0, 1000)


def test_range_for_length_unsatisfiable_or_unsupported_is_none() -> None:
    assert Range("bytes", [(1000, None)]).range_for_length(1000) is None
    assert Range("bytes", [(0, 1), (5, 6)]).range_for_length(1000) is None
    assert Range("items", [(0, 1)]).range_for_length(1000) is None
    assert Range("bytes", [(0, 1)]).range_for_length(None) is None


def test_range_make_content_range_and_header() -> None:
    rng = Range("bytes", [(0, 500)])
    content_range = rng.make_content_range(1000)
    assert content_range is not None and content_range.to_header() == "bytes 0-499/1000"
    assert rng.to_content_range_header(1000) == "bytes 0-499/1000"
    assert rng.to_content_range_header(0) is None


def test_range_to_header_round_trips() -> None:
    for header in ("bytes=0-499", "bytes=500-", "bytes=-500", "bytes=0-9,20-29"):
        rng = parse_range_header(header)
        assert rng is not None and rng.to_header() == header


def test_range_rejects_invalid_ranges_from_the_application() -> None:
    with pytest.raises(ValueError):
        Range("bytes", [(5, 5)])


def test_content_range_setters_call_on_update() -> None:
    seen: list[str] = []
    cr = ContentRange("bytes", 0, 10, 100, on_update=lambda c: seen.append(c.to_header()))
    cr.stop = 20
    cr.set(5, 6, 10)
    assert seen == ["bytes 0-19/100", "bytes 5-5/10"]


def test_content_range_unset_and_unknown_length() -> None:
    cr = ContentRange("bytes", 0, 10)
    assert cr.to_header() == "bytes 0-9/*"
    cr.unset()
    assert not cr and cr.to_header() == ""


def test_content_range_rejects_invalid_values() -> None:
    with pytest.raises(ValueError):
        ContentRange("bytes", 5, 2, 10)
    cr = ContentRange("bytes", 0, 1, 10)
    with pytest.raises(ValueError):
        cr.set(10, 20, 10)


def test_content_range_unsatisfied_header() -> None:
    assert ContentRange("bytes", None, None, 100).to_header() == "bytes */100"


# --- Authorization -------------------------------------------------------------------------------


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


def test_authorization_basic_decodes_username_and_password() -> None:
    auth = Authorization.from_header(basic(b"user:p:ss"))
    assert auth is not None
    assert auth.type == "basic"
    assert auth.username == "user" and auth.password == "p:ss"
    assert auth["username"] == "user" and auth.get("password") == "p:ss"
    assert "username" in auth


def test_authorization_basic_accepts_utf8_credentials() -> None:
    auth = Authorization.from_header(basic("jöhn:pässwörd".encode()))
    assert auth is not None and auth.username == "jöhn" and auth.password == "pässwörd"


def test_authorization_basic_without_colon_has_empty_password() -> None:
    auth = Authorization.from_header(basic(b"token"))
    assert auth is not None and auth.username == "token" and auth.password == ""


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Basic",
        "Basic !!!notbase64!!!",
        "Basic dXNlcjpwYXNz extra",
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic d\u00e9",
        "B@sic abc",
        " ",
    ],
)
def test_authorization_garbage_returns_none(value: str | None) -> None:
    assert Authorization.from_header(value) is None


def test_authorization_bearer_token() -> None:
    auth = Authorization.from_header("Bearer abc.def-ghi==")
    assert auth is not None
    assert auth.type == "bearer" and auth.token == "abc.def-ghi=="
    assert auth.to_header() == "Bearer abc.def-ghi=="


def test_authorization_digest_parameters() -> None:
    auth = Authorization.from_header(
        'Digest username="Mufasa", realm="test@host.com", nonce="dcd98b", uri="/dir/index.html"'
    )
    assert auth is not None and auth.type == "digest"
    assert auth.username == "Mufasa" and auth.realm == "test@host.com"
    assert auth.uri == "/dir/index.html" and auth.token is None


def test_authorization_missing_parameter_is_none() -> None:
    auth = Authorization.from_header("Bearer x")
    assert auth is not None and auth.username is None and auth.get("nope", "d") == "d"


def test_authorization_basic_to_header_round_trips() -> None:
    auth = Authorization("basic", {"username": "user", "password": "pass"})
    assert auth.to_header() == "Basic dXNlcjpwYXNz"
    assert Authorization.from_header(auth.to_header()) == auth


def test_authorization_supports_copy_and_pickle() -> None:
    auth = Authorization("basic", {"username": "u", "password": "p"})
    assert copy.deepcopy(auth) == auth
    assert pickle.loads(pickle.dumps(auth)) == auth
    with pytest.raises(AttributeError):
        auth.__missing_dunder__  # noqa: B018


# --- WWWAuthenticate ------------------------------------------------------------------------------


def test_www_authenticate_basic_realm_to_header() -> None:
    challenge = WWWAuthenticate("basic", {"realm": "admin area"})
    assert challenge.realm == "admin area"
    assert challenge.to_header() == 'Basic realm="admin area"'


def test_www_authenticate_from_header_parameters_and_token() -> None:
    challenge = WWWAuthenticate.from_header('Bearer realm="api", error="invalid_token"')
    assert challenge is not None and challenge.type == "bearer"
    assert challenge.parameters == {"realm": "api", "error": "invalid_token"}
    token = WWWAuthenticate.from_header("Negotiate abc==")
    assert token is not None and token.token == "abc=="
    assert WWWAuthenticate.from_header("") is None
    assert WWWAuthenticate.from_header("b@d realm=x") is None


def test_www_authenticate_digest_quotes_required_parameters() -> None:
    challenge = WWWAuthenticate("digest", {"realm": "r", "nonce": "n", "algorithm": "MD5"})
    assert challenge.to_header() == 'Digest realm="r", nonce="n", algorithm=MD5'


def test_www_authenticate_changes_call_on_update() -> None:
    seen: list[str] = []
    challenge = WWWAuthenticate("basic")
    challenge._on_update = lambda c: seen.append(c.to_header())
    challenge.realm = "one"
    challenge["charset"] = "UTF-8"
    challenge.parameters["realm"] = "two"
    del challenge.charset
    challenge.type = "bearer"
    assert seen == [
        "Basic realm=one",
        "Basic realm=one, charset=UTF-8",
        "Basic realm=two, charset=UTF-8",
        "Basic realm=two",
        "Bearer realm=two",
    ]


def test_www_authenticate_parameter_dict_changes_call_on_update() -> None:
    seen: list[str] = []
    challenge = WWWAuthenticate("basic", {"realm": "r"})
    challenge._on_update = lambda c: seen.append(c.to_header())
    params = challenge.parameters
    params |= {"charset": "UTF-8"}
    params.setdefault("realm", "ignored")  # present: no change, no call
    params.setdefault("scope", "a")
    params.pop("scope")
    params.pop("missing", None)  # absent: no change, no call
    params.update(realm="s")
    params.popitem()
    params.clear()
    assert seen == [
        "Basic realm=r, charset=UTF-8",
        "Basic realm=r, charset=UTF-8, scope=a",
        "Basic realm=r, charset=UTF-8",
        "Basic realm=s, charset=UTF-8",
        "Basic realm=s",
        "Basic",
    ]


def test_www_authenticate_setting_none_removes_parameter() -> None:
    challenge = WWWAuthenticate("basic", {"realm": "x"})
    challenge.realm = None
    assert "realm" not in challenge and challenge.to_header() == "Basic"


def test_language_accept_exact_zero_quality_excludes_despite_wildcard() -> None:
    assert lang("en-US;q=0, *").best_match(["en-US", "fr"]) == "fr"


def test_language_accept_exact_entry_beats_wildcard_at_equal_quality() -> None:
    assert lang("*, de").best_match(["fr", "de"]) == "de"


def test_accept_is_a_registered_sequence() -> None:
    from collections.abc import Sequence

    accept = Accept([("a", 1), ("b", 0.5)])
    assert isinstance(accept, Sequence)
    assert accept[0:1] == (("a", 1.0),)
    assert ("b", 0.5) in accept and next(reversed(accept)) == ("b", 0.5)


def test_charset_accept_survives_nul_bytes_in_client_names() -> None:
    accept = parse_accept_header("ut\x00f-8, utf-8;q=0.5", CharsetAccept)
    assert accept.best_match(["utf-8"]) == "utf-8"
