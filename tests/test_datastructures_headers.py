"""Behaviour of Headers, EnvironHeaders and HeaderSet."""

from __future__ import annotations

import copy
import pickle
import typing as t

import pytest

from tumbler.datastructures import EnvironHeaders
from tumbler.datastructures import Headers
from tumbler.datastructures import HeaderSet
from tumbler.datastructures import MultiDict
from tumbler.exceptions import BadRequestKeyError


def sample() -> Headers:
    return Headers(
        [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "a=1"),
            ("X-Count", "3"),
            ("set-cookie", "b=2"),
        ]
    )


# -- construction ----------------------------------------------------------------------------


def test_headers_from_list_keeps_order_and_duplicates() -> None:
    assert list(sample()) == [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "a=1"),
        ("X-Count", "3"),
        ("set-cookie", "b=2"),
    ]


def test_headers_from_dict_expands_list_values() -> None:
    headers = Headers({"Vary": ["Accept", "Cookie"], "X-One": "1"})
    assert headers.getlist("vary") == ["Accept", "Cookie"]
    assert headers["x-one"] == "1"


def test_headers_from_headers_copies() -> None:
    original = sample()
    clone = Headers(original)
    clone.add("X-New", "1")
    assert "X-New" not in original
    assert clone.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_headers_from_multidict() -> None:
    headers = Headers(MultiDict([("A", "1"), ("A", "2")]))
    assert headers.getlist("a") == ["1", "2"]


def test_headers_from_raw_decodes_latin1_bytes() -> None:
    headers = Headers.from_raw(
        [(b"content-type", b"text/plain"), (b"x-name", "café".encode("latin-1"))]
    )
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-Name"] == "café"
    assert list(headers) == [("content-type", "text/plain"), ("x-name", "café")]


def test_headers_constructor_validates_values() -> None:
    with pytest.raises(ValueError, match="newline"):
        Headers([("X-Bad", "a\r\nInjected: yes")])


# -- reading ---------------------------------------------------------------------------------


def test_headers_lookup_is_case_insensitive() -> None:
    headers = sample()
    assert headers["content-type"] == "text/html"
    assert headers["CONTENT-TYPE"] == "text/html"
    assert "cOnTeNt-TyPe" in headers


def test_headers_getitem_returns_first_of_duplicates() -> None:
    assert sample()["SET-COOKIE"] == "a=1"


def test_headers_getitem_missing_raises_bad_request_key_error() -> None:
    with pytest.raises(BadRequestKeyError):
        sample()["X-Missing"]


def test_headers_getitem_by_index_and_slice() -> None:
    headers = sample()
    assert headers[0] == ("Content-Type", "text/html")
    assert headers[-1] == ("set-cookie", "b=2")
    part = headers[1:3]
    assert isinstance(part, Headers)
    assert list(part) == [("Set-Cookie", "a=1"), ("X-Count", "3")]
    assert part["x-count"] == "3"


def test_headers_getitem_index_out_of_range_raises_index_error() -> None:
    with pytest.raises(IndexError):
        sample()[10]


def test_headers_get_with_default_and_type() -> None:
    headers = sample()
    assert headers.get("x-count", type=int) == 3
    assert headers.get("missing") is None
    assert headers.get("missing", "d") == "d"


def test_headers_get_returns_default_when_type_conversion_fails() -> None:
    assert sample().get("Content-Type", -1, type=int) == -1


def test_headers_getlist_keeps_order_and_skips_unconvertible() -> None:
    headers = Headers([("N", "1"), ("n", "x"), ("N", "2")])
    assert headers.getlist("n") == ["1", "x", "2"]
    assert headers.getlist("n", type=int) == [1, 2]
    assert headers.getlist("missing") == []
    assert headers.get_all("N") == ["1", "x", "2"]


def test_headers_contains_non_string_is_false() -> None:
    assert 1 not in sample()


def test_headers_len_counts_pairs() -> None:
    assert len(sample()) == 4
    assert not Headers()


def test_headers_items_keys_values_with_lower() -> None:
    headers = Headers([("X-A", "1"), ("X-A", "2")])
    assert list(headers.items()) == [("X-A", "1"), ("X-A", "2")]
    assert list(headers.items(lower=True)) == [("x-a", "1"), ("x-a", "2")]
    assert list(headers.keys()) == ["X-A", "X-A"]
    assert list(headers.keys(lower=True)) == ["x-a", "x-a"]
    assert list(headers.values()) == ["1", "2"]


def test_headers_to_wsgi_list_is_a_new_list_of_pairs() -> None:
    headers = sample()
    pairs = headers.to_wsgi_list()
    pairs.append(("X", "y"))
    assert len(headers) == 4
    assert pairs[0] == ("Content-Type", "text/html")


def test_headers_str_is_http_header_block() -> None:
    headers = Headers([("A", "1"), ("B", "2")])
    assert str(headers) == "A: 1\r\nB: 2\r\n\r\n"


def test_headers_str_of_empty_headers_is_blank_line() -> None:
    assert str(Headers()) == "\r\n"


def test_headers_repr() -> None:
    assert repr(Headers([("A", "1")])) == "Headers([('A', '1')])"


def test_headers_equality_ignores_name_case_but_not_value_order() -> None:
    assert Headers([("A", "1"), ("b", "2")]) == Headers([("B", "2"), ("a", "1")])
    assert Headers([("A", "1"), ("A", "2")]) != Headers([("A", "2"), ("A", "1")])
    assert Headers([("A", "1")]) != Headers([("A", "1"), ("A", "1")])
    assert Headers() != {}


def test_headers_are_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(Headers())


def test_headers_copy_and_pickle() -> None:
    headers = sample()
    clone = headers.copy()
    clone.set("Content-Type", "text/plain")
    assert headers["Content-Type"] == "text/html"
    assert copy.copy(headers) == headers
    assert copy.deepcopy(headers) == headers
    restored = pickle.loads(pickle.dumps(headers))
    assert list(restored) == list(headers)
    assert restored["set-cookie"] == "a=1"


# -- writing ---------------------------------------------------------------------------------


def test_headers_add_keeps_duplicates_in_order() -> None:
    headers = Headers()
    headers.add("Set-Cookie", "a=1")
    headers.add("Set-Cookie", "b=2")
    headers.add_header("set-cookie", "c=3")
    assert headers.getlist("Set-Cookie") == ["a=1", "b=2", "c=3"]


def test_headers_add_converts_int_values_to_str() -> None:
    headers = Headers()
    headers.add("Content-Length", 42)
    headers["Age"] = 7
    assert headers["content-length"] == "42"
    assert headers["age"] == "7"


def test_headers_add_formats_options() -> None:
    headers = Headers()
    headers.add("Content-Disposition", "attachment", filename="x.txt")
    assert headers["Content-Disposition"] == "attachment; filename=x.txt"


def test_headers_add_quotes_non_token_options_and_skips_none() -> None:
    headers = Headers()
    headers.add("Content-Type", "text/plain", charset="utf-8", name='my "file".txt', skip=None)
    assert headers["Content-Type"] == 'text/plain; charset=utf-8; name="my \\"file\\".txt"'


def test_headers_add_turns_underscores_into_dashes_in_option_names() -> None:
    headers = Headers()
    headers.add("X-Thing", "v", max_age=5)
    assert headers["X-Thing"] == "v; max-age=5"


def test_headers_set_with_options() -> None:
    headers = Headers([("Content-Disposition", "inline")])
    headers.set("Content-Disposition", "attachment", filename="report 1.pdf")
    assert headers.getlist("Content-Disposition") == ['attachment; filename="report 1.pdf"']


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: evil=1", "a\nb", "a\rb", "\n"])
def test_headers_add_refuses_newlines_in_values(value: str) -> None:
    headers = Headers()
    with pytest.raises(ValueError, match="Header values must not contain newline characters"):
        headers.add("X-Test", value)
    assert len(headers) == 0


@pytest.mark.parametrize("name", ["X-Test\r\nSet-Cookie", "X\nY", "X\r"])
def test_headers_add_refuses_newlines_in_names(name: str) -> None:
    headers = Headers()
    with pytest.raises(ValueError, match="newline"):
        headers.add(name, "v")
    assert len(headers) == 0


def test_headers_refuse_non_string_names() -> None:
    with pytest.raises(TypeError):
        Headers().add(b"X-Bytes", "v")  # type: ignore[arg-type]


def test_headers_option_value_with_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="newline"):
        Headers().add("Content-Disposition", "attachment", filename="a\r\nb")


@pytest.mark.parametrize(
    "action",
    [
        lambda h: h.set("X-Test", "a\r\nb"),
        lambda h: h.__setitem__("X-Test", "a\nb"),
        lambda h: h.setlist("X-Test", ["ok", "a\nb"]),
        lambda h: h.setdefault("X-New", "a\nb"),
        lambda h: h.extend({"X-Test": "a\nb"}),
        lambda h: h.update({"X-Test": "a\nb"}),
        lambda h: h.__setitem__(0, ("X-Test", "a\nb")),
        lambda h: h.__setitem__(slice(0, 1), [("X-Test", "a\nb")]),
    ],
)
def test_every_header_writer_refuses_newlines(action: object) -> None:
    headers = Headers([("X-Test", "ok")])
    with pytest.raises(ValueError, match="newline"):
        action(headers)  # type: ignore[operator]
    assert headers["X-Test"] == "ok"


def test_headers_set_replaces_first_and_removes_others() -> None:
    headers = sample()
    headers.set("SET-COOKIE", "c=3")
    assert list(headers) == [
        ("Content-Type", "text/html"),
        ("SET-COOKIE", "c=3"),
        ("X-Count", "3"),
    ]


def test_headers_set_new_name_appends() -> None:
    headers = sample()
    headers.set("X-New", "1")
    assert headers[-1] == ("X-New", "1")


def test_headers_setitem_by_name_sets() -> None:
    headers = sample()
    headers["set-cookie"] = "z=9"
    assert headers.getlist("Set-Cookie") == ["z=9"]


def test_headers_setitem_by_index_and_slice() -> None:
    headers = sample()
    headers[0] = ("Content-Type", "text/plain")
    assert headers["content-type"] == "text/plain"
    headers[1:] = [("X-Only", "1")]
    assert list(headers) == [("Content-Type", "text/plain"), ("X-Only", "1")]
    assert "set-cookie" not in headers
    assert headers["x-only"] == "1"


def test_headers_setlist_replaces_and_empty_removes() -> None:
    headers = sample()
    headers.setlist("Set-Cookie", ["x=1", "y=2"])
    assert headers.getlist("set-cookie") == ["x=1", "y=2"]
    headers.setlist("Set-Cookie", [])
    assert "Set-Cookie" not in headers


def test_headers_setdefault_returns_existing_or_sets() -> None:
    headers = sample()
    assert headers.setdefault("content-type", "text/plain") == "text/html"
    assert headers.setdefault("X-Port", 80) == "80"
    assert headers["x-port"] == "80"


def test_headers_setlistdefault_returns_copy() -> None:
    headers = sample()
    assert headers.setlistdefault("Set-Cookie", ["n"]) == ["a=1", "b=2"]
    values = headers.setlistdefault("Vary", ["Accept", "Cookie"])
    values.append("Origin")
    assert headers.getlist("vary") == ["Accept", "Cookie"]


def test_headers_extend_adds_from_every_source_type() -> None:
    headers = Headers([("A", "0")])
    headers.extend([("A", "1")])
    headers.extend({"A": ["2", "3"]})
    headers.extend(Headers([("a", "4")]))
    headers.extend(MultiDict([("A", "5")]))
    headers.extend(B="6")
    assert headers.getlist("a") == ["0", "1", "2", "3", "4", "5"]
    assert headers["b"] == "6"


def test_headers_update_replaces_named_headers_only() -> None:
    headers = sample()
    headers.update({"Set-Cookie": ["n=1", "m=2"], "X-Count": 4})
    assert headers.getlist("set-cookie") == ["n=1", "m=2"]
    assert headers["x-count"] == "4"
    assert headers["content-type"] == "text/html"


def test_headers_update_from_headers_and_pairs_and_kwargs() -> None:
    headers = sample()
    headers.update(Headers([("set-cookie", "q=1"), ("Set-Cookie", "r=2")]))
    assert headers.getlist("Set-Cookie") == ["q=1", "r=2"]
    headers.update([("X-Count", "5"), ("x-count", "6")])
    assert headers.getlist("x-count") == ["5", "6"]
    headers.update(content_type="text/plain")
    assert headers["content_type"] == "text/plain"


def test_headers_or_and_ior() -> None:
    headers = Headers([("A", "1")])
    merged = headers | {"A": "2", "B": "3"}
    assert merged["a"] == "2"
    assert headers["a"] == "1"
    headers |= {"B": "4"}
    assert headers["b"] == "4"


def test_headers_delitem_by_name_removes_all_case_insensitively() -> None:
    headers = sample()
    del headers["SET-cookie"]
    assert "Set-Cookie" not in headers
    assert len(headers) == 2


def test_headers_delitem_by_index_and_slice() -> None:
    headers = sample()
    del headers[0]
    assert "content-type" not in headers
    del headers[:2]
    assert list(headers) == [("set-cookie", "b=2")]
    assert headers["set-cookie"] == "b=2"


def test_headers_delitem_missing_name_is_not_an_error() -> None:
    headers = sample()
    del headers["X-Missing"]
    headers.remove("X-Missing")
    assert len(headers) == 4


def test_headers_pop_variants() -> None:
    headers = sample()
    assert headers.pop("set-cookie") == "a=1"
    assert "Set-Cookie" not in headers
    assert headers.pop() == ("X-Count", "3")
    assert headers.pop(0) == ("Content-Type", "text/html")
    assert headers.pop("missing", "d") == "d"
    with pytest.raises(BadRequestKeyError):
        headers.pop("missing")


def test_headers_popitem_returns_last_pair_and_empty_raises() -> None:
    headers = Headers([("A", "1"), ("B", "2")])
    assert headers.popitem() == ("B", "2")
    assert headers["a"] == "1"
    headers.clear()
    with pytest.raises(IndexError):
        headers.popitem()


def test_headers_clear_empties_and_lookups_still_work() -> None:
    headers = sample()
    headers.clear()
    assert len(headers) == 0
    assert "content-type" not in headers
    headers.add("A", "1")
    assert headers["a"] == "1"


def test_headers_many_values_keep_order() -> None:
    headers = Headers()
    for i in range(2_000):
        headers.add("X-Seq", i)
    headers.add("X-Other", "o")
    assert headers.getlist("x-seq", type=int) == list(range(2_000))
    headers.set("x-seq", "last")
    assert list(headers) == [("x-seq", "last"), ("X-Other", "o")]


# -- EnvironHeaders --------------------------------------------------------------------------


def environ() -> dict[str, object]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "12",
        "HTTP_HOST": "example.com",
        "HTTP_X_FORWARDED_FOR": "10.0.0.1, 10.0.0.2",
        "HTTP_ACCEPT": "*/*",
        "HTTP_CONTENT_TYPE": "ignored/duplicate",
        "wsgi.input": None,
    }


def test_environ_headers_maps_http_keys_to_header_names() -> None:
    headers = EnvironHeaders(environ())
    assert list(headers) == [
        ("Content-Type", "application/json"),
        ("Content-Length", "12"),
        ("Host", "example.com"),
        ("X-Forwarded-For", "10.0.0.1, 10.0.0.2"),
        ("Accept", "*/*"),
    ]
    assert len(headers) == 5


def test_environ_headers_lookup_is_case_insensitive() -> None:
    headers = EnvironHeaders(environ())
    assert headers["x-forwarded-for"] == "10.0.0.1, 10.0.0.2"
    assert headers["CONTENT-TYPE"] == "application/json"
    assert headers.get("content-length", type=int) == 12
    assert "host" in headers
    assert "X-Missing" not in headers
    assert 5 not in headers


def test_environ_headers_missing_raises_bad_request_key_error() -> None:
    with pytest.raises(BadRequestKeyError):
        EnvironHeaders(environ())["Authorization"]


def test_environ_headers_get_and_getlist_with_failed_conversion() -> None:
    headers = EnvironHeaders(environ())
    assert headers.get("Host", 0, type=int) == 0
    assert headers.getlist("Host") == ["example.com"]
    assert headers.getlist("Host", type=int) == []
    assert headers.getlist("Missing") == []
    assert headers.get("Missing", "d") == "d"


def test_environ_headers_treat_empty_content_type_as_missing() -> None:
    headers = EnvironHeaders({"CONTENT_TYPE": "", "CONTENT_LENGTH": ""})
    assert "Content-Type" not in headers
    assert headers.get("Content-Length") is None
    assert list(headers) == []


def test_environ_headers_read_environ_lazily() -> None:
    env = environ()
    headers = EnvironHeaders(env)
    env["HTTP_X_LATE"] = "yes"
    assert headers["X-Late"] == "yes"


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("add", ("X", "1")),
        ("add_header", ("X", "1")),
        ("set", ("X", "1")),
        ("setlist", ("X", ["1"])),
        ("setdefault", ("X", "1")),
        ("setlistdefault", ("X", ["1"])),
        ("extend", ({"X": "1"},)),
        ("update", ({"X": "1"},)),
        ("remove", ("Host",)),
        ("pop", ("Host",)),
        ("popitem", ()),
        ("clear", ()),
        ("__setitem__", ("X", "1")),
        ("__delitem__", ("Host",)),
        ("__ior__", ({"X": "1"},)),
    ],
)
def test_environ_headers_mutators_raise_type_error(method: str, args: tuple[object, ...]) -> None:
    env = environ()
    headers = EnvironHeaders(env)
    with pytest.raises(TypeError, match="immutable"):
        getattr(headers, method)(*args)
    assert env["HTTP_HOST"] == "example.com"


def test_environ_headers_copy_is_refused_but_headers_can_be_built_from_them() -> None:
    headers = EnvironHeaders(environ())
    with pytest.raises(TypeError):
        headers.copy()
    with pytest.raises(TypeError):
        headers | {"X": "1"}
    mutable = Headers(headers)
    mutable.add("X-New", "1")
    assert mutable["host"] == "example.com"


def test_environ_headers_read_api_matches_headers() -> None:
    headers = EnvironHeaders({"HTTP_A": "1", "HTTP_B_C": "2"})
    assert list(headers.items(lower=True)) == [("a", "1"), ("b-c", "2")]
    assert list(headers.keys()) == ["A", "B-C"]
    assert list(headers.values()) == ["1", "2"]
    assert headers.to_wsgi_list() == [("A", "1"), ("B-C", "2")]
    assert str(headers) == "A: 1\r\nB-C: 2\r\n\r\n"


def test_environ_headers_equal_only_for_same_environ() -> None:
    env = environ()
    assert EnvironHeaders(env) == EnvironHeaders(env)
    assert EnvironHeaders(env) != EnvironHeaders(dict(env))


# -- HeaderSet -------------------------------------------------------------------------------


def test_header_set_is_case_insensitive_and_keeps_first_spelling_and_order() -> None:
    hs = HeaderSet(["Accept", "cookie", "ACCEPT"])
    assert list(hs) == ["Accept", "cookie"]
    assert "accept" in hs
    assert "COOKIE" in hs
    assert len(hs) == 2


def test_header_set_to_header_quotes_non_tokens() -> None:
    hs = HeaderSet(["gzip", "has space"])
    assert hs.to_header() == 'gzip, "has space"'
    assert str(hs) == hs.to_header()


def test_header_set_add_remove_discard_notify() -> None:
    calls: list[list[str]] = []
    hs = HeaderSet(["A"], on_update=lambda s: calls.append(list(s)))
    hs.add("B")
    hs.add("b")
    hs.remove("a")
    hs.discard("missing")
    assert calls == [["A", "B"], ["B"]]
    with pytest.raises(KeyError):
        hs.remove("missing")


def test_header_set_find_and_index() -> None:
    hs = HeaderSet(["A", "B"])
    assert hs.find("b") == 1
    assert hs.find("z") == -1
    assert hs.index("B") == 1
    with pytest.raises(IndexError):
        hs.index("z")


def test_header_set_item_access_and_update() -> None:
    calls: list[str] = []
    hs = HeaderSet(["A", "B", "C"], on_update=lambda s: calls.append(s.to_header()))
    assert hs[1] == "B"
    hs[1] = "X"
    assert list(hs) == ["A", "X", "C"]
    hs[0] = "c"
    assert list(hs) == ["c", "X"]
    del hs[0]
    assert list(hs) == ["X"]
    assert "c" not in hs
    assert calls == ["A, X, C", "c, X", "X"]


def test_header_set_update_clear_and_as_set() -> None:
    hs = HeaderSet()
    assert not hs
    hs.update(["Foo", "bar", "FOO"])
    assert hs.as_set() == {"foo", "bar"}
    assert hs.as_set(preserve_casing=True) == {"Foo", "bar"}
    hs.clear()
    assert len(hs) == 0
    assert repr(HeaderSet(["a"])) == "HeaderSet(['a'])"


RAW_PAIRS = [
    (b"host", b"example.com"),
    (b"x-thing", b"caf\xe9"),
    (b"cookie", b"a=1"),
    (b"x-thing", b"two"),
]


def test_raw_headers_answer_lookups_without_decoding() -> None:
    from tumbler.datastructures.headers import RawHeaders

    headers = RawHeaders(RAW_PAIRS)
    assert headers.raw_get(b"host") == "example.com"
    assert headers.raw_get(b"x-thing") == "caf\xe9"
    assert headers.raw_get(b"missing") is None
    assert "Cookie" in headers
    assert "cookie" in headers
    assert "Accept" not in headers
    assert headers.raw == RAW_PAIRS
    assert type(headers) is RawHeaders


@pytest.mark.parametrize(
    "use",
    [
        lambda h: h.get("X-Thing"),
        lambda h: h.getlist("x-thing"),
        lambda h: list(h),
        lambda h: h.copy(),
        lambda h: h[0:2],
        lambda h: len(h),
        lambda h: h.to_wsgi_list(),
        lambda h: h == Headers.from_raw(RAW_PAIRS),
        lambda h: repr(h),
    ],
)
def test_raw_headers_decode_on_first_other_use(use: t.Callable[[Headers], t.Any]) -> None:
    from tumbler.datastructures.headers import RawHeaders

    headers = RawHeaders(iter(RAW_PAIRS))  # any iterable: kept as a list
    expected = Headers.from_raw(RAW_PAIRS)
    assert use(headers) == use(expected)
    assert type(headers) is Headers
    assert headers == expected
    assert headers.getlist("X-Thing") == ["caf\xe9", "two"]


def test_raw_headers_are_writable_once_decoded() -> None:
    from tumbler.datastructures.headers import RawHeaders

    headers = RawHeaders(RAW_PAIRS)
    headers["X-New"] = "1"
    assert type(headers) is Headers
    assert headers["x-new"] == "1"
    assert headers["Host"] == "example.com"
    assert RAW_PAIRS[0] == (b"host", b"example.com")  # the scope's list is not changed


def test_raw_headers_copy_and_pickle_as_headers() -> None:
    from tumbler.datastructures.headers import RawHeaders

    assert type(copy.copy(RawHeaders(RAW_PAIRS))) is Headers
    assert type(copy.deepcopy(RawHeaders(RAW_PAIRS))) is Headers
    restored = pickle.loads(pickle.dumps(RawHeaders(RAW_PAIRS)))
    assert restored == Headers.from_raw(RAW_PAIRS)
    assert type(restored) is Headers


def test_raw_headers_summary_reads_the_pairs_once_in_any_case() -> None:
    from tumbler.datastructures.headers import RawHeaders

    raw = [
        (b"Host", b"example.com"),
        (b"x-a", b"1"),
        (b"COOKIE", b"a=1"),
        (b"Content-Length", b"12"),
        (b"content-length", b"99"),
        (b"host", b"second.example"),
    ]
    headers = RawHeaders(raw)
    size, host, cookie, length, chunked = headers.summary()
    assert size == sum(len(k) + len(v) for k, v in raw)
    assert (host, cookie, length, chunked) == ("example.com", True, b"12", False)
    assert headers.summary() is headers.summary()
    assert "Cookie" in headers
    assert "cookie" in RawHeaders(raw) and "Cookie" not in RawHeaders([(b"x", b"1")])
    assert RawHeaders([(b"Transfer-Encoding", b"chunked")]).summary()[4] is True
    # Decoding replaces the summary with the real lower-cased names.
    assert headers.getlist("Host") == ["example.com", "second.example"]
    assert headers._lower[0] == "host"
