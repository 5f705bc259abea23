"""Matching in tumbler.routing: priority, methods, redirects, subdomains, hosts, websockets."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from dataclasses import field

import pytest

from tumbler.exceptions import BadHost
from tumbler.exceptions import BadRequest
from tumbler.exceptions import HTTPException
from tumbler.exceptions import MethodNotAllowed
from tumbler.exceptions import NotFound
from tumbler.routing import Map
from tumbler.routing import MapAdapter
from tumbler.routing import RequestRedirect
from tumbler.routing import RoutingException
from tumbler.routing import Rule
from tumbler.routing import Subdomain
from tumbler.routing import Submount
from tumbler.routing import WebsocketMismatch


def bind(*rules: Rule, **kwargs: t.Any) -> MapAdapter:
    map_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in MAP_OPTIONS}
    return Map(list(rules), **map_kwargs).bind("example.com", **kwargs)


MAP_OPTIONS = {"strict_slashes", "merge_slashes", "redirect_defaults", "host_matching"}


def redirect_of(adapter: MapAdapter, path: str, **kwargs: t.Any) -> str:
    with pytest.raises(RequestRedirect) as info:
        adapter.match(path, **kwargs)
    return info.value.new_url


# --- priority ---------------------------------------------------------------------------


def test_static_rule_beats_converter_at_same_position() -> None:
    adapter = bind(Rule("/<name>", endpoint="dynamic"), Rule("/about", endpoint="static"))
    assert adapter.match("/about") == ("static", {})
    assert adapter.match("/other") == ("dynamic", {"name": "other"})


def test_static_segment_is_preferred_before_deeper_converters() -> None:
    adapter = bind(
        Rule("/<a>/<b>", endpoint="both"),
        Rule("/x/<b>", endpoint="x-first"),
        Rule("/<a>/y", endpoint="y-second"),
    )
    assert adapter.match("/x/y") == ("x-first", {"b": "y"})
    assert adapter.match("/z/y") == ("y-second", {"a": "z"})
    assert adapter.match("/z/w") == ("both", {"a": "z", "b": "w"})


def test_segment_with_more_static_text_is_preferred() -> None:
    adapter = bind(Rule("/<name>", endpoint="plain"), Rule("/<name>.json", endpoint="json"))
    assert adapter.match("/report.json") == ("json", {"name": "report"})
    assert adapter.match("/report") == ("plain", {"name": "report"})


def test_converter_weight_orders_int_before_string_before_path() -> None:
    adapter = bind(
        Rule("/<path:p>", endpoint="path"),
        Rule("/<s>", endpoint="string"),
        Rule("/<int:i>", endpoint="int"),
    )
    assert adapter.match("/12") == ("int", {"i": 12})
    assert adapter.match("/ab") == ("string", {"s": "ab"})
    assert adapter.match("/a/b") == ("path", {"p": "a/b"})


def test_rules_with_equal_priority_keep_insertion_order() -> None:
    adapter = bind(Rule("/<a>", endpoint="first"), Rule("/<b>", endpoint="second"))
    assert adapter.match("/x") == ("first", {"a": "x"})


def test_backtracks_from_static_branch_to_converter_branch() -> None:
    adapter = bind(
        Rule("/users/me/settings", endpoint="me"), Rule("/users/<id>/posts", endpoint="posts")
    )
    assert adapter.match("/users/me/posts") == ("posts", {"id": "me"})


def test_return_rule_returns_the_rule_object() -> None:
    rule = Rule("/x", endpoint="x")
    adapter = bind(rule)
    matched, values = adapter.match("/x", return_rule=True)
    assert matched is rule
    assert values == {}


def test_endpoint_can_be_any_hashable() -> None:
    def view() -> None:
        pass

    adapter = bind(
        Rule("/f", endpoint=view), Rule("/n", endpoint=42), Rule("/t", endpoint=("a", 1))
    )
    assert adapter.match("/f")[0] is view
    assert adapter.match("/n")[0] == 42
    assert adapter.match("/t")[0] == ("a", 1)


def test_unknown_path_is_not_found() -> None:
    with pytest.raises(NotFound):
        bind(Rule("/a", endpoint="a")).match("/b")


def test_match_uses_bound_path_and_method_by_default() -> None:
    url_map = Map([Rule("/p", endpoint="p", methods=["POST"])])
    adapter = url_map.bind("example.com", path_info="/p", default_method="POST")
    assert adapter.match() == ("p", {})


def test_decoded_path_is_matched_as_text() -> None:
    adapter = bind(Rule("/café/<name>", endpoint="cafe"))
    assert adapter.match("/café/crème brûlée") == ("cafe", {"name": "crème brûlée"})


def test_empty_path_redirects_to_root() -> None:
    assert redirect_of(bind(Rule("/", endpoint="index")), "") == "http://example.com/"


def test_build_only_rule_never_matches() -> None:
    adapter = bind(Rule("/static/<path:f>", endpoint="static", build_only=True))
    with pytest.raises(NotFound):
        adapter.match("/static/a.css")
    assert adapter.build("static", {"f": "a.css"}) == "/static/a.css"


def test_test_reports_whether_path_matches() -> None:
    adapter = bind(Rule("/a/", endpoint="a"))
    assert adapter.test("/a/")
    assert adapter.test("/a")  # a redirect counts as a match
    assert not adapter.test("/b")


# --- methods ----------------------------------------------------------------------------


def test_method_not_allowed_lists_valid_methods() -> None:
    adapter = bind(
        Rule("/r", endpoint="read", methods=["GET"]), Rule("/r", endpoint="write", methods=["POST"])
    )
    with pytest.raises(MethodNotAllowed) as info:
        adapter.match("/r", "DELETE")
    assert sorted(info.value.valid_methods) == ["GET", "HEAD", "POST"]
    assert ("Allow", "GET, HEAD, POST") in info.value.get_headers()


def test_method_not_allowed_for_dynamic_rule() -> None:
    adapter = bind(Rule("/u/<int:id>", endpoint="u", methods=["PUT"]))
    with pytest.raises(MethodNotAllowed) as info:
        adapter.match("/u/3", "GET")
    assert list(info.value.valid_methods) == ["PUT"]


def test_method_selects_between_rules_of_same_path() -> None:
    adapter = bind(
        Rule("/r", endpoint="read", methods=["GET"]), Rule("/r", endpoint="write", methods=["POST"])
    )
    assert adapter.match("/r", "post") == ("write", {})
    assert adapter.match("/r", "GET") == ("read", {})


def test_method_mismatch_falls_through_to_other_matching_rule() -> None:
    adapter = bind(
        Rule("/items/new", endpoint="new", methods=["GET"]),
        Rule("/items/<name>", endpoint="update", methods=["POST"]),
    )
    assert adapter.match("/items/new", "POST") == ("update", {"name": "new"})


def test_rule_without_methods_accepts_any_method() -> None:
    adapter = bind(Rule("/any", endpoint="any"))
    assert adapter.match("/any", "PATCH") == ("any", {})


def test_head_is_served_by_get_rules() -> None:
    rule = Rule("/r", endpoint="r", methods=["get"])
    assert rule.methods == {"GET", "HEAD"}
    assert bind(rule).match("/r", "HEAD") == ("r", {})


def test_methods_as_single_string_is_rejected() -> None:
    with pytest.raises(TypeError, match="list of strings"):
        Rule("/r", methods="GET")


def test_rule_provides_automatic_options_unless_it_lists_options() -> None:
    assert Rule("/r", methods=["GET"]).provide_automatic_options is True
    assert Rule("/r", methods=["GET", "OPTIONS"]).provide_automatic_options is False


def test_allowed_methods_gives_the_allow_set_for_options_responses() -> None:
    adapter = bind(
        Rule("/r", endpoint="read", methods=["GET"]), Rule("/r", endpoint="write", methods=["POST"])
    )
    assert sorted(adapter.allowed_methods("/r")) == ["GET", "HEAD", "POST"]
    assert adapter.allowed_methods("/missing") == []


def test_options_request_is_method_not_allowed_unless_listed() -> None:
    adapter = bind(Rule("/r", endpoint="r", methods=["GET"]))
    with pytest.raises(MethodNotAllowed):
        adapter.match("/r", "OPTIONS")
    assert bind(Rule("/r", endpoint="r", methods=["GET", "OPTIONS"])).match("/r", "OPTIONS")


# --- slashes ----------------------------------------------------------------------------


def test_branch_rule_without_slash_redirects_with_308() -> None:
    adapter = bind(Rule("/docs/", endpoint="docs"))
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/docs")
    assert info.value.code == 308
    assert info.value.new_url == "http://example.com/docs/"
    assert isinstance(info.value, RoutingException)
    assert isinstance(info.value, HTTPException)


def test_slash_redirect_keeps_query_string() -> None:
    adapter = Map([Rule("/docs/", endpoint="docs")]).bind("example.com", query_args="q=a+b&x=%2F")
    assert redirect_of(adapter, "/docs") == "http://example.com/docs/?q=a+b&x=%2F"


def test_slash_redirect_query_string_from_match_argument() -> None:
    adapter = bind(Rule("/docs/", endpoint="docs"))
    assert (
        redirect_of(adapter, "/docs", query_args={"page": "2"}) == "http://example.com/docs/?page=2"
    )


def test_slash_redirect_quotes_path_and_keeps_script_root() -> None:
    adapter = Map([Rule("/<name>/", endpoint="n")]).bind("example.com", "/app")
    assert redirect_of(adapter, "/a b") == "http://example.com/app/a%20b/"


def test_slash_redirect_for_dynamic_branch_rule() -> None:
    adapter = bind(Rule("/u/<int:id>/", endpoint="u"))
    assert redirect_of(adapter, "/u/5") == "http://example.com/u/5/"
    assert adapter.match("/u/5/") == ("u", {"id": 5})


def test_slash_redirect_for_path_converter_branch_rule() -> None:
    adapter = bind(Rule("/tree/<path:p>/", endpoint="tree"))
    assert adapter.match("/tree/a/b/") == ("tree", {"p": "a/b"})
    assert redirect_of(adapter, "/tree/a/b") == "http://example.com/tree/a/b/"


def test_leaf_rule_does_not_match_trailing_slash() -> None:
    with pytest.raises(NotFound):
        bind(Rule("/file", endpoint="f")).match("/file/")


def test_strict_slashes_disabled_matches_both_forms() -> None:
    adapter = bind(
        Rule("/branch/", endpoint="branch"), Rule("/leaf", endpoint="leaf"), strict_slashes=False
    )
    assert adapter.match("/branch") == ("branch", {})
    assert adapter.match("/branch/") == ("branch", {})
    assert adapter.match("/leaf/") == ("leaf", {})


def test_strict_slashes_rule_option_overrides_map() -> None:
    adapter = bind(Rule("/b/", endpoint="b", strict_slashes=False))
    assert adapter.match("/b") == ("b", {})


def test_both_slash_forms_as_separate_rules_do_not_redirect() -> None:
    adapter = bind(Rule("/x", endpoint="leaf"), Rule("/x/", endpoint="branch"))
    assert adapter.match("/x") == ("leaf", {})
    assert adapter.match("/x/") == ("branch", {})


def test_merge_slashes_redirects_to_merged_path() -> None:
    adapter = bind(Rule("/a/b", endpoint="ab"))
    assert redirect_of(adapter, "/a//b") == "http://example.com/a/b"
    assert redirect_of(adapter, "/a////b") == "http://example.com/a/b"


def test_merge_slashes_redirect_keeps_query_string() -> None:
    adapter = Map([Rule("/a/<int:n>", endpoint="a")]).bind("example.com", query_args="x=1")
    assert redirect_of(adapter, "/a///3") == "http://example.com/a/3?x=1"


def test_merge_slashes_disabled_gives_not_found() -> None:
    with pytest.raises(NotFound):
        bind(Rule("/a/b", endpoint="ab"), merge_slashes=False).match("/a//b")


def test_merge_slashes_disabled_on_rule_matches_literal_double_slash() -> None:
    adapter = bind(Rule("/a//b", endpoint="ab", merge_slashes=False))
    assert adapter.match("/a//b") == ("ab", {})


def test_leading_slashes_are_ignored() -> None:
    assert bind(Rule("/a", endpoint="a")).match("//a") == ("a", {})


# --- defaults, aliases, redirect_to -------------------------------------------------------


def test_rule_defaults_are_added_to_values() -> None:
    adapter = bind(Rule("/all/", defaults={"page": 1}, endpoint="all"))
    assert adapter.match("/all/") == ("all", {"page": 1})


def test_url_equal_to_defaults_redirects_to_short_rule() -> None:
    adapter = bind(
        Rule("/all/", defaults={"page": 1}, endpoint="all"),
        Rule("/all/page/<int:page>", endpoint="all"),
    )
    assert adapter.match("/all/page/2") == ("all", {"page": 2})
    assert redirect_of(adapter, "/all/page/1") == "http://example.com/all/"


def test_redirect_defaults_disabled_does_not_redirect() -> None:
    adapter = bind(
        Rule("/all/", defaults={"page": 1}, endpoint="all"),
        Rule("/all/page/<int:page>", endpoint="all"),
        redirect_defaults=False,
    )
    assert adapter.match("/all/page/1") == ("all", {"page": 1})


def test_alias_rule_redirects_to_canonical_url() -> None:
    adapter = bind(
        Rule("/about", endpoint="about"),
        Rule("/about-us", endpoint="about", alias=True),
    )
    assert redirect_of(adapter, "/about-us") == "http://example.com/about"


def test_redirect_to_string_fills_placeholders() -> None:
    adapter = bind(
        Rule("/old/<int:id>", redirect_to="new/<id>"),
        Rule("/new/<int:id>", endpoint="new"),
    )
    assert redirect_of(adapter, "/old/7") == "http://example.com/new/7"


def test_redirect_to_absolute_path_ignores_script_root() -> None:
    adapter = Map([Rule("/old", redirect_to="/new")]).bind("example.com", "/app")
    assert redirect_of(adapter, "/old") == "http://example.com/new"


def test_redirect_to_callable_receives_adapter_and_values() -> None:
    seen: list[t.Any] = []

    def target(adapter: MapAdapter, id: int) -> str:
        seen.append(adapter)
        return f"items/{id * 2}"

    adapter = bind(Rule("/legacy/<int:id>", redirect_to=target))
    assert redirect_of(adapter, "/legacy/4") == "http://example.com/items/8"
    assert seen == [adapter]


def test_request_redirect_response_has_location_and_status() -> None:
    error = RequestRedirect("http://example.com/x/?a=<b>")
    headers = dict(error.get_headers())
    assert headers["Location"] == "http://example.com/x/?a=<b>"
    assert "&lt;b&gt;" in error.get_body()
    assert error.code == 308


def test_request_redirect_get_response_is_308_with_location() -> None:
    response = RequestRedirect("http://example.com/docs/").get_response()
    assert response.status_code == 308
    assert response.headers["Location"] == "http://example.com/docs/"


# --- subdomains and hosts -----------------------------------------------------------------


def test_subdomain_rule_captures_value() -> None:
    url_map = Map([Rule("/", subdomain="<user>", endpoint="home"), Rule("/", endpoint="index")])
    assert url_map.bind("example.com", subdomain="alice").match("/") == ("home", {"user": "alice"})
    assert url_map.bind("example.com").match("/") == ("index", {})


def test_static_subdomain_beats_dynamic_subdomain() -> None:
    url_map = Map(
        [Rule("/", subdomain="<user>", endpoint="user"), Rule("/", subdomain="api", endpoint="api")]
    )
    assert url_map.bind("example.com", subdomain="api").match("/") == ("api", {})


def test_default_subdomain_applies_to_rules_without_subdomain() -> None:
    url_map = Map([Rule("/", endpoint="www")], default_subdomain="www")
    assert url_map.bind("example.com").match("/") == ("www", {})
    with pytest.raises(NotFound):
        url_map.bind("example.com", subdomain="other").match("/")


def test_subdomain_factory_sets_subdomain_on_rules() -> None:
    url_map = Map([Subdomain("<string(length=2):lang>", [Rule("/about", endpoint="about")])])
    adapter = url_map.bind("example.com", subdomain="fr")
    assert adapter.match("/about") == ("about", {"lang": "fr"})


def test_submount_prefixes_rules() -> None:
    url_map = Map([Submount("/blog/", [Rule("/<int:id>", endpoint="post")])])
    assert url_map.bind("x").match("/blog/3") == ("post", {"id": 3})


def test_host_matching_uses_full_host() -> None:
    url_map = Map(
        [
            Rule("/", host="example.com", endpoint="main"),
            Rule("/", host="<sub>.example.com", endpoint="sub"),
        ],
        host_matching=True,
    )
    assert url_map.bind("example.com").match("/") == ("main", {})
    assert url_map.bind("Blog.Example.com").match("/") == ("sub", {"sub": "blog"})
    with pytest.raises(NotFound):
        url_map.bind("other.org").match("/")


def test_host_matching_refuses_subdomain_argument() -> None:
    url_map = Map([Rule("/", host="example.com", endpoint="main")], host_matching=True)
    with pytest.raises(RuntimeError, match="host matching"):
        url_map.bind("example.com", subdomain="x")


def test_bind_encodes_international_host_names() -> None:
    adapter = Map().bind("bücher.example:8080")
    assert adapter.server_name == "xn--bcher-kva.example:8080"


def test_bind_rejects_invalid_international_host_name() -> None:
    with pytest.raises(BadHost):
        Map().bind("ü" * 70 + ".com")


# --- websockets ---------------------------------------------------------------------------


def test_websocket_rule_matches_websocket_scheme() -> None:
    url_map = Map([Rule("/ws", endpoint="ws", websocket=True)])
    assert url_map.bind("example.com", url_scheme="wss").match("/ws") == ("ws", {})


def test_websocket_rule_requested_over_http_is_websocket_mismatch() -> None:
    url_map = Map([Rule("/ws", endpoint="ws", websocket=True)])
    with pytest.raises(WebsocketMismatch) as info:
        url_map.bind("example.com").match("/ws")
    assert isinstance(info.value, BadRequest)
    assert info.value.code == 400


def test_http_rule_requested_over_websocket_is_websocket_mismatch() -> None:
    url_map = Map([Rule("/page/<int:n>", endpoint="page")])
    with pytest.raises(WebsocketMismatch):
        url_map.bind("example.com", url_scheme="ws").match("/page/1")


def test_websocket_and_http_rules_share_a_path() -> None:
    url_map = Map(
        [Rule("/live", endpoint="page"), Rule("/live", endpoint="socket", websocket=True)]
    )
    assert url_map.bind("x").match("/live") == ("page", {})
    assert url_map.bind("x").match("/live", websocket=True) == ("socket", {})


def test_websocket_rule_refuses_post_method() -> None:
    with pytest.raises(ValueError, match="WebSocket"):
        Rule("/ws", methods=["POST"], websocket=True)


# --- bind_to_request ----------------------------------------------------------------------


@dataclass
class FakeHeaders:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


@dataclass
class FakeRequest:
    host: str = "example.com"
    scheme: str = "http"
    root_path: str = ""
    path: str = "/"
    method: str = "GET"
    query_string: bytes = b""
    headers: FakeHeaders = field(default_factory=FakeHeaders)


def test_bind_to_request_matches_request_path_and_method() -> None:
    url_map = Map([Rule("/p/<int:n>", endpoint="p", methods=["POST"])])
    adapter = url_map.bind_to_request(FakeRequest(path="/p/3", method="POST"))
    assert adapter.match() == ("p", {"n": 3})


def test_bind_to_request_redirect_keeps_raw_query_and_root_path() -> None:
    url_map = Map([Rule("/docs/", endpoint="docs")])
    request = FakeRequest(
        host="example.com:8080",
        root_path="/app",
        path="/docs",
        query_string=b"a=1&b=%20&c=\xc3\xa9",
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.bind_to_request(request).match()
    assert info.value.new_url == "http://example.com:8080/app/docs/?a=1&b=%20&c=%C3%A9"


def test_bind_to_request_computes_subdomain_from_server_name() -> None:
    url_map = Map([Rule("/", subdomain="<user>", endpoint="user")])
    request = FakeRequest(host="alice.example.com")
    adapter = url_map.bind_to_request(request, server_name="example.com")
    assert adapter.match() == ("user", {"user": "alice"})


def test_bind_to_request_strips_default_port_of_server_name() -> None:
    url_map = Map([Rule("/", subdomain="api", endpoint="api")])
    request = FakeRequest(host="api.example.com", scheme="https")
    assert url_map.bind_to_request(request, server_name="example.com:443").match() == ("api", {})


def test_bind_to_request_with_foreign_host_warns_and_matches_no_subdomain_rule() -> None:
    url_map = Map([Rule("/", endpoint="index")])
    with pytest.warns(UserWarning, match="doesn't match configured server name"):
        adapter = url_map.bind_to_request(FakeRequest(host="10.0.0.1"), server_name="example.com")
    with pytest.raises(NotFound):
        adapter.match()


def test_bind_to_request_websocket_scheme_matches_websocket_rules() -> None:
    url_map = Map([Rule("/ws", endpoint="ws", websocket=True)])
    assert url_map.bind_to_request(FakeRequest(scheme="wss", path="/ws")).match() == ("ws", {})


def test_bind_to_request_detects_websocket_upgrade_headers() -> None:
    url_map = Map([Rule("/ws", endpoint="ws", websocket=True)])
    headers = FakeHeaders({"Upgrade": "websocket", "Connection": "keep-alive, Upgrade"})
    adapter = url_map.bind_to_request(FakeRequest(path="/ws", headers=headers))
    assert adapter.url_scheme == "ws"
    assert adapter.match() == ("ws", {})


def test_bind_to_request_host_matching_uses_request_host() -> None:
    url_map = Map([Rule("/", host="<sub>.example.com", endpoint="sub")], host_matching=True)
    adapter = url_map.bind_to_request(FakeRequest(host="docs.example.com"))
    assert adapter.match() == ("sub", {"sub": "docs"})


# --- scale --------------------------------------------------------------------------------


def test_ten_thousand_rules_each_match_the_right_rule() -> None:
    rules = []
    for i in range(10_000):
        kind = i % 4
        if kind == 0:
            rules.append(Rule(f"/static{i}", endpoint=("static", i)))
        elif kind == 1:
            rules.append(Rule(f"/item{i}/<int:id>", endpoint=("item", i)))
        elif kind == 2:
            rules.append(Rule(f"/api/v{i}/<name>/detail", endpoint=("api", i)))
        else:
            rules.append(Rule(f"/files{i}/<path:p>", endpoint=("files", i)))
    rules.append(Rule("/user/<int:id>", endpoint="user"))
    adapter = Map(rules).bind("example.com")
    assert adapter.match("/user/42") == ("user", {"id": 42})
    for i in range(0, 10_000, 7):
        kind = i % 4
        if kind == 0:
            assert adapter.match(f"/static{i}") == (("static", i), {})
        elif kind == 1:
            assert adapter.match(f"/item{i}/{i}") == (("item", i), {"id": i})
        elif kind == 2:
            assert adapter.match(f"/api/v{i}/n{i}/detail") == (("api", i), {"name": f"n{i}"})
        else:
            assert adapter.match(f"/files{i}/a/{i}") == (("files", i), {"p": f"a/{i}"})
    with pytest.raises(NotFound):
        adapter.match("/item1/x")


def test_adding_rule_after_matching_recompiles() -> None:
    url_map = Map([Rule("/a", endpoint="a")])
    adapter = url_map.bind("x")
    assert adapter.match("/a") == ("a", {})
    url_map.add(Rule("/b/<int:n>", endpoint="b"))
    assert adapter.match("/b/1") == ("b", {"n": 1})
