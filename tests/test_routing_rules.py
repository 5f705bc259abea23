"""Rules and the Map API of tumbler.routing: parsing, validation at add time, introspection."""

from __future__ import annotations

import pytest

from tumbler.routing import EndpointPrefix
from tumbler.routing import Map
from tumbler.routing import Rule
from tumbler.routing import RuleFactory
from tumbler.routing import RuleTemplate
from tumbler.routing import Submount
from tumbler.routing import parse_converter_args


def test_rule_must_start_with_slash() -> None:
    with pytest.raises(ValueError, match="must start with a slash"):
        Rule("about")


def test_unknown_converter_is_lookup_error_at_add_time() -> None:
    with pytest.raises(LookupError, match="'nope'"):
        Map([Rule("/<nope:x>", endpoint="e")])


def test_duplicate_variable_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="'id' used twice"):
        Map([Rule("/<int:id>/<id>", endpoint="e")])


def test_duplicate_variable_across_subdomain_and_path_is_rejected() -> None:
    with pytest.raises(ValueError, match="used twice"):
        Map([Rule("/<user>", subdomain="<user>", endpoint="e")])


@pytest.mark.parametrize("rule", ["/<int:>", "/<>", "/<a", "/<1abc>", "/<int(:x>"])
def test_malformed_placeholder_is_rejected(rule: str) -> None:
    with pytest.raises(ValueError, match="malformed url rule"):
        Map([Rule(rule, endpoint="e")])


def test_malformed_converter_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="Cannot parse converter argument"):
        Map([Rule("/<int(min=):x>", endpoint="e")])


def test_unknown_converter_keyword_is_rejected_with_rule_in_message() -> None:
    with pytest.raises(ValueError, match=r"converter 'int' of 'x' in rule '/<int\(size=3\):x>'"):
        Map([Rule("/<int(size=3):x>", endpoint="e")])


def test_parse_converter_args_reads_python_literals() -> None:
    args, kwargs = parse_converter_args("1, 2.5, 'a b', \"c\", True, None, word, x=4, y=-1")
    assert args == (1, 2.5, "a b", "c", True, None, "word")
    assert kwargs == {"x": 4, "y": -1}


def test_parse_converter_args_rejects_positional_after_keyword() -> None:
    with pytest.raises(ValueError, match="follows a keyword"):
        parse_converter_args("a=1, 2")


def test_parse_converter_args_rejects_repeated_keyword() -> None:
    with pytest.raises(ValueError, match="given twice"):
        parse_converter_args("a=1, a=2")


def test_rule_arguments_include_variables_and_defaults() -> None:
    rule = Rule("/<int:year>/<slug>", defaults={"lang": "en"}, endpoint="post")
    Map([rule])
    assert rule.arguments == {"year", "slug", "lang"}
    assert rule.defaults == {"lang": "en"}
    assert rule.endpoint == "post"
    assert rule.rule == "/<int:year>/<slug>"
    assert rule.methods is None


def test_rule_repr_shows_rule_methods_and_endpoint() -> None:
    rule = Rule("/u/<int:id>", methods=["GET"], endpoint="user")
    assert repr(rule) == "<Rule (unbound)>"
    Map([rule])
    assert repr(rule) == "<Rule '/u/<id>' (GET, HEAD) -> user>"


def test_rule_cannot_be_bound_to_two_maps() -> None:
    rule = Rule("/x", endpoint="x")
    Map([rule])
    with pytest.raises(RuntimeError, match="already bound"):
        Map([rule])


def test_rule_empty_returns_unbound_copy() -> None:
    rule = Rule("/x/<int:n>", methods=["POST"], endpoint="x", defaults={"a": 1}, websocket=False)
    Map([rule])
    copy = rule.empty()
    assert copy.map is None
    assert copy.rule == rule.rule
    assert copy.methods == rule.methods
    assert copy.defaults == rule.defaults
    Map([copy])
    assert copy == rule


def test_rule_get_rules_yields_itself() -> None:
    rule = Rule("/x", endpoint="x")
    assert list(rule.get_rules(Map())) == [rule]


def test_rules_with_same_pattern_are_equal_and_unhashable() -> None:
    first, second = Rule("/a/<int:x>", endpoint="a"), Rule("/a/<int:x>", endpoint="b")
    Map([first, second])
    assert first == second
    with pytest.raises(TypeError):
        hash(first)


def test_iter_rules_lists_all_rules_or_those_of_an_endpoint() -> None:
    a, b, c = Rule("/a", endpoint="a"), Rule("/b", endpoint="b"), Rule("/a2", endpoint="a")
    url_map = Map([a, b, c])
    assert list(url_map.iter_rules()) == [a, b, c]
    assert {id(rule) for rule in url_map.iter_rules("a")} == {id(a), id(c)}
    with pytest.raises(KeyError):
        url_map.iter_rules("missing")


def test_map_add_accepts_rule_factories() -> None:
    class Pair(RuleFactory):
        def get_rules(self, map: Map) -> list[Rule]:
            return [Rule("/one", endpoint="one"), Rule("/two", endpoint="two")]

    url_map = Map()
    url_map.add(Pair())
    assert url_map.bind("x").match("/two") == ("two", {})


def test_endpoint_prefix_and_submount_combine() -> None:
    url_map = Map([EndpointPrefix("blog.", [Submount("/blog", [Rule("/", endpoint="index")])])])
    assert url_map.bind("x").match("/blog/") == ("blog.index", {})


def test_rule_template_substitutes_placeholders() -> None:
    resource = RuleTemplate(
        [Rule("/$name/", endpoint="$name.list"), Rule("/$name/<int:id>", endpoint="$name.show")]
    )
    url_map = Map([resource(name="user"), resource(name="page")])
    adapter = url_map.bind("x")
    assert adapter.match("/page/3") == ("page.show", {"id": 3})
    assert adapter.build("user.list") == "/user/"


def test_map_repr_lists_rules() -> None:
    assert repr(Map([Rule("/a", endpoint="a")])) == "Map([<Rule '/a' -> a>])"


def test_map_strict_slashes_default_is_applied_when_rule_binds() -> None:
    rule = Rule("/a/", endpoint="a")
    Map([rule], strict_slashes=False)
    assert rule.strict_slashes is False
