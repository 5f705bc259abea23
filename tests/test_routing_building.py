"""URL building in tumbler.routing: rule choice, query strings, external URLs, BuildError."""

from __future__ import annotations

import typing as t

import pytest

from tumbler.routing import BuildError
from tumbler.routing import Map
from tumbler.routing import MapAdapter
from tumbler.routing import Rule


class FakeMultiDict:
    """The part of the MultiDict interface building relies on."""

    def __init__(self, pairs: list[tuple[str, t.Any]]) -> None:
        self._data: dict[str, list[t.Any]] = {}
        for key, value in pairs:
            self._data.setdefault(key, []).append(value)

    def lists(self) -> t.Iterator[tuple[str, list[t.Any]]]:
        return iter(self._data.items())

    def items(self) -> t.Iterator[tuple[str, t.Any]]:
        return ((key, values[0]) for key, values in self._data.items())

    def __bool__(self) -> bool:
        return bool(self._data)


def adapter_for(*rules: Rule, **bind_kwargs: t.Any) -> MapAdapter:
    return Map(list(rules)).bind("example.com", **bind_kwargs)


def test_build_static_rule() -> None:
    assert adapter_for(Rule("/about", endpoint="about")).build("about") == "/about"


def test_build_fills_converters() -> None:
    adapter = adapter_for(Rule("/u/<int:id>/<name>", endpoint="u"))
    assert adapter.build("u", {"id": 3, "name": "bob"}) == "/u/3/bob"


def test_build_puts_unknown_values_in_query_string() -> None:
    adapter = adapter_for(Rule("/u/<int:id>", endpoint="u"))
    assert adapter.build("u", {"id": 3, "tab": "a b", "x": "é"}) == "/u/3?tab=a+b&x=%C3%A9"


def test_build_without_append_unknown_drops_unknown_values() -> None:
    adapter = adapter_for(Rule("/u/<int:id>", endpoint="u"))
    assert adapter.build("u", {"id": 3, "tab": "a"}, append_unknown=False) == "/u/3"


def test_build_skips_none_values() -> None:
    adapter = adapter_for(Rule("/s", endpoint="s"))
    assert adapter.build("s", {"q": None, "page": 2}) == "/s?page=2"


def test_build_repeats_list_values_in_query_string() -> None:
    adapter = adapter_for(Rule("/s", endpoint="s"))
    assert adapter.build("s", {"tag": ["a", "b"]}) == "/s?tag=a&tag=b"


def test_build_accepts_multidict_values() -> None:
    adapter = adapter_for(Rule("/u/<int:id>", endpoint="u"))
    values = FakeMultiDict([("id", 5), ("tag", "a"), ("tag", "b")])
    assert adapter.build("u", values) == "/u/5?tag=a&tag=b"  # type: ignore[arg-type]


def test_build_sorts_query_parameters_when_map_asks() -> None:
    url_map = Map([Rule("/s", endpoint="s")], sort_parameters=True)
    assert url_map.bind("x").build("s", {"b": 1, "a": 2, "c": 0}) == "/s?a=2&b=1&c=0"


def test_build_sort_key_orders_query_parameters() -> None:
    url_map = Map([Rule("/s", endpoint="s")], sort_parameters=True, sort_key=lambda item: item[1])
    assert url_map.bind("x").build("s", {"b": "1", "a": "2", "c": "0"}) == "/s?c=0&b=1&a=2"


def test_build_prefixes_script_root() -> None:
    adapter = adapter_for(Rule("/u/<int:id>", endpoint="u"), script_name="/app")
    assert adapter.build("u", {"id": 1}) == "/app/u/1"


def test_build_force_external_gives_absolute_url() -> None:
    adapter = adapter_for(Rule("/u", endpoint="u"), script_name="/app/", url_scheme="https")
    assert adapter.build("u", force_external=True) == "https://example.com/app/u"


def test_build_url_scheme_overrides_bound_scheme() -> None:
    adapter = adapter_for(Rule("/u", endpoint="u"))
    assert adapter.build("u", force_external=True, url_scheme="https") == "https://example.com/u"


def test_build_rule_on_other_subdomain_is_external() -> None:
    url_map = Map([Rule("/", subdomain="<user>", endpoint="home"), Rule("/", endpoint="index")])
    adapter = url_map.bind("example.com")
    assert adapter.build("home", {"user": "alice"}) == "http://alice.example.com/"
    assert adapter.build("index") == "/"


def test_build_rule_on_current_subdomain_is_relative() -> None:
    url_map = Map([Rule("/x", subdomain="api", endpoint="x")])
    assert url_map.bind("example.com", subdomain="api").build("x") == "/x"


def test_build_with_host_matching_prefers_current_host() -> None:
    url_map = Map(
        [
            Rule("/", host="a.example.com", endpoint="home"),
            Rule("/", host="b.example.com", endpoint="home"),
        ],
        host_matching=True,
    )
    assert url_map.bind("b.example.com").build("home") == "/"
    assert url_map.bind("c.example.com").build("home") == "http://a.example.com/"


def test_build_websocket_rule_is_absolute_with_ws_scheme() -> None:
    url_map = Map([Rule("/ws", endpoint="ws", websocket=True)])
    assert url_map.bind("example.com", url_scheme="https").build("ws") == "wss://example.com/ws"
    assert url_map.bind("example.com").build("ws") == "ws://example.com/ws"


def test_build_http_rule_from_websocket_binding_uses_http_scheme() -> None:
    url_map = Map([Rule("/p", endpoint="p")])
    adapter = url_map.bind("example.com", url_scheme="wss")
    assert adapter.build("p", force_external=True) == "https://example.com/p"


def test_build_prefers_rule_whose_defaults_match() -> None:
    adapter = adapter_for(
        Rule("/all/", defaults={"page": 1}, endpoint="all"),
        Rule("/all/page/<int:page>", endpoint="all"),
    )
    assert adapter.build("all", {"page": 1}) == "/all/"
    assert adapter.build("all", {"page": 2}) == "/all/page/2"
    assert adapter.build("all") == "/all/"


def test_build_picks_rule_by_method() -> None:
    adapter = adapter_for(
        Rule("/read", endpoint="item", methods=["GET"]),
        Rule("/write", endpoint="item", methods=["POST"]),
    )
    assert adapter.build("item") == "/read"
    assert adapter.build("item", method="POST") == "/write"


def test_build_prefers_rule_with_more_arguments() -> None:
    adapter = adapter_for(Rule("/list", endpoint="l"), Rule("/list/<int:page>", endpoint="l"))
    assert adapter.build("l", {"page": 3}) == "/list/3"
    assert adapter.build("l") == "/list"


def test_build_skips_alias_rules() -> None:
    adapter = adapter_for(
        Rule("/about-us", endpoint="about", alias=True), Rule("/about", endpoint="about")
    )
    assert adapter.build("about") == "/about"


def test_build_quotes_static_rule_text() -> None:
    assert adapter_for(Rule("/a b/ü", endpoint="x")).build("x") == "/a%20b/%C3%BC"


def test_build_keeps_braces_in_static_text() -> None:
    assert adapter_for(Rule("/{x}/<int:n>", endpoint="x")).build("x", {"n": 1}) == "/%7Bx%7D/1"


def test_build_merges_slashes_of_rule() -> None:
    assert adapter_for(Rule("/a//b", endpoint="x")).build("x") == "/a/b"


def test_build_error_for_missing_value_names_it() -> None:
    adapter = adapter_for(Rule("/u/<int:id>", endpoint="x"))
    with pytest.raises(BuildError) as info:
        adapter.build("x", {"a": 1})
    assert str(info.value) == (
        "Could not build url for endpoint 'x' with values ['a']."
        " Did you forget to specify values ['id']?"
    )
    assert isinstance(info.value, LookupError)
    assert info.value.endpoint == "x"
    assert info.value.values == {"a": 1}


def test_build_error_for_unknown_endpoint_suggests_close_name() -> None:
    adapter = adapter_for(Rule("/users", endpoint="user_list"), Rule("/", endpoint="index"))
    with pytest.raises(BuildError) as info:
        adapter.build("users_list")
    assert "Did you mean 'user_list' instead?" in str(info.value)


def test_build_error_for_wrong_method_suggests_methods() -> None:
    adapter = adapter_for(Rule("/w", endpoint="w", methods=["POST"]))
    with pytest.raises(BuildError) as info:
        adapter.build("w", method="GET")
    message = str(info.value)
    assert message.startswith("Could not build url for endpoint 'w' ('GET').")
    assert "Did you mean to use methods ['POST']?" in message


def test_build_error_on_empty_map_has_no_suggestion() -> None:
    with pytest.raises(BuildError) as info:
        Map().bind("x").build("nothing")
    assert str(info.value) == "Could not build url for endpoint 'nothing'."


def test_is_endpoint_expecting_checks_rule_arguments() -> None:
    url_map = Map([Rule("/<lang>/about", endpoint="about"), Rule("/", endpoint="index")])
    assert url_map.is_endpoint_expecting("about", "lang")
    assert not url_map.is_endpoint_expecting("index", "lang")
    with pytest.raises(KeyError):
        url_map.is_endpoint_expecting("missing", "lang")


def test_rule_build_returns_domain_and_path() -> None:
    url_map = Map([Rule("/p/<int:n>", subdomain="<s>", endpoint="p")])
    rule = next(url_map.iter_rules("p"))
    assert rule.build({"s": "api", "n": 2, "q": 1}) == ("api", "/p/2?q=1")
