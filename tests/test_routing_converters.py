"""Converters of tumbler.routing: matching, conversion and URL building per option."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from tumbler.exceptions import NotFound
from tumbler.routing import DEFAULT_CONVERTERS
from tumbler.routing import AnyConverter
from tumbler.routing import BaseConverter
from tumbler.routing import FloatConverter
from tumbler.routing import IntegerConverter
from tumbler.routing import Map
from tumbler.routing import PathConverter
from tumbler.routing import Rule
from tumbler.routing import UnicodeConverter
from tumbler.routing import UUIDConverter
from tumbler.routing import ValidationError


def match(rule: str, path: str, **map_kwargs: t.Any) -> dict[str, t.Any]:
    adapter = Map([Rule(rule, endpoint="e")], **map_kwargs).bind("example.com")
    return adapter.match(path)[1]


def build(rule: str, values: dict[str, t.Any]) -> str:
    return Map([Rule(rule, endpoint="e")]).bind("example.com").build("e", values)


def test_default_converters_map_names_to_classes() -> None:
    assert DEFAULT_CONVERTERS["default"] is UnicodeConverter
    assert DEFAULT_CONVERTERS["string"] is UnicodeConverter
    assert DEFAULT_CONVERTERS["path"] is PathConverter
    assert DEFAULT_CONVERTERS["int"] is IntegerConverter
    assert DEFAULT_CONVERTERS["float"] is FloatConverter
    assert DEFAULT_CONVERTERS["any"] is AnyConverter
    assert DEFAULT_CONVERTERS["uuid"] is UUIDConverter


def test_string_converter_matches_one_segment() -> None:
    assert match("/page/<name>", "/page/hello world") == {"name": "hello world"}
    with pytest.raises(NotFound):
        match("/page/<name>", "/page/a/b")


def test_string_converter_does_not_match_empty_segment() -> None:
    with pytest.raises(NotFound):
        match("/page/<name>/x", "/page//x", merge_slashes=False)


def test_string_converter_length_matches_exact_length_only() -> None:
    assert match("/<string(length=2):code>", "/fr") == {"code": "fr"}
    with pytest.raises(NotFound):
        match("/<string(length=2):code>", "/fra")


def test_string_converter_minlength_and_maxlength_bound_the_length() -> None:
    rule = "/<string(minlength=2, maxlength=3):code>"
    assert match(rule, "/abc") == {"code": "abc"}
    for path in ("/a", "/abcd"):
        with pytest.raises(NotFound):
            match(rule, path)


def test_string_converter_rejects_minlength_above_maxlength() -> None:
    with pytest.raises(ValueError, match="minlength"):
        Map([Rule("/<string(minlength=4, maxlength=2):x>", endpoint="e")])


def test_string_converter_quotes_slash_and_unsafe_characters_when_building() -> None:
    assert build("/page/<name>", {"name": "a/b c?d#e%"}) == "/page/a%2Fb%20c%3Fd%23e%25"


def test_string_converter_keeps_segment_safe_characters_when_building() -> None:
    assert build("/page/<name>", {"name": "a:b@c!$&'()*+,;="}) == "/page/a:b@c!$&'()*+,;="


def test_string_converter_quotes_non_ascii_as_utf8() -> None:
    assert build("/page/<name>", {"name": "é"}) == "/page/%C3%A9"


def test_path_converter_matches_several_segments() -> None:
    assert match("/files/<path:name>", "/files/a/b/c.txt") == {"name": "a/b/c.txt"}


def test_path_converter_keeps_slashes_when_building() -> None:
    assert build("/files/<path:name>", {"name": "a/b c.txt"}) == "/files/a/b%20c.txt"


def test_path_converter_does_not_match_a_leading_slash() -> None:
    with pytest.raises(NotFound):
        match("/files/<path:name>", "/files//etc", merge_slashes=False)


def test_path_converter_followed_by_static_text() -> None:
    assert match("/files/<path:name>/edit", "/files/a/b/edit") == {"name": "a/b"}


def test_int_converter_converts_digits() -> None:
    assert match("/n/<int:n>", "/n/42") == {"n": 42}


@pytest.mark.parametrize("path", ["/n/-1", "/n/1.5", "/n/x", "/n/", "/n/\u0663"])
def test_int_converter_rejects_non_digits(path: str) -> None:
    with pytest.raises(NotFound):
        match("/n/<int:n>", path)


def test_int_converter_signed_accepts_negative_numbers() -> None:
    assert match("/n/<int(signed=True):n>", "/n/-7") == {"n": -7}


def test_int_converter_fixed_digits_requires_exact_length() -> None:
    rule = "/y/<int(fixed_digits=4):year>"
    assert match(rule, "/y/0042") == {"year": 42}
    with pytest.raises(NotFound):
        match(rule, "/y/42")


def test_int_converter_fixed_digits_pads_when_building() -> None:
    assert build("/y/<int(fixed_digits=4):year>", {"year": 7}) == "/y/0007"


def test_int_converter_min_and_max_bound_the_value() -> None:
    rule = "/n/<int(min=1, max=10):n>"
    assert match(rule, "/n/10") == {"n": 10}
    for path in ("/n/0", "/n/11"):
        with pytest.raises(NotFound):
            match(rule, path)


def test_int_converter_huge_number_beyond_max_is_not_found() -> None:
    with pytest.raises(NotFound):
        match("/n/<int(max=100):n>", "/n/" + "9" * 40)


def test_int_converter_number_longer_than_int_parsing_limit_is_not_found() -> None:
    # int() refuses digit strings beyond sys.int_info's limit; that must be a 404, not a 500.
    with pytest.raises(NotFound):
        match("/n/<int:n>", "/n/" + "1" * 10_000)


def test_int_converter_arguments_must_be_valid() -> None:
    with pytest.raises(ValueError, match="fixed_digits"):
        Map([Rule("/<int(fixed_digits='x'):n>", endpoint="e")])
    with pytest.raises(ValueError, match="'min'"):
        Map([Rule("/<int(min='low'):n>", endpoint="e")])


def test_float_converter_converts_decimal_numbers() -> None:
    assert match("/f/<float:x>", "/f/1.5") == {"x": 1.5}


@pytest.mark.parametrize("path", ["/f/1", "/f/-1.5", "/f/1e5", "/f/.5"])
def test_float_converter_rejects_other_forms(path: str) -> None:
    with pytest.raises(NotFound):
        match("/f/<float:x>", path)


def test_float_converter_signed_and_bounds() -> None:
    assert match("/f/<float(signed=True):x>", "/f/-2.5") == {"x": -2.5}
    with pytest.raises(NotFound):
        match("/f/<float(max=1.0):x>", "/f/1.5")


def test_float_converter_builds_small_and_large_values_without_exponent() -> None:
    assert build("/f/<float:x>", {"x": 0.00001}) == "/f/0.00001"
    assert build("/f/<float:x>", {"x": 1e22}) == "/f/10000000000000000000000.0"
    assert build("/f/<float:x>", {"x": 2}) == "/f/2.0"


def test_float_converter_refuses_to_build_infinity() -> None:
    with pytest.raises(ValueError, match="inf"):
        build("/f/<float:x>", {"x": float("inf")})


@pytest.mark.parametrize("path", ["/f/" + "9" * 400 + ".0", "/f/-" + "9" * 400 + ".0"])
def test_float_converter_rejects_digits_that_overflow_to_infinity(path: str) -> None:
    # The view could not build its own URL back from an infinite value.
    with pytest.raises(NotFound):
        match("/f/<float(signed=True):x>", path)


def test_any_converter_matches_only_listed_values() -> None:
    rule = "/<any(about, help):page>"
    assert match(rule, "/help") == {"page": "help"}
    with pytest.raises(NotFound):
        match(rule, "/helpme")


def test_any_converter_accepts_values_with_dashes_and_dots() -> None:
    rule = "/<any(about-us, 'terms-of-use', v1.2):page>"
    assert match(rule, "/about-us") == {"page": "about-us"}
    assert match(rule, "/terms-of-use") == {"page": "terms-of-use"}
    assert match(rule, "/v1.2") == {"page": "v1.2"}
    with pytest.raises(NotFound):
        match(rule, "/v1x2")


def test_any_converter_refuses_to_build_unlisted_value() -> None:
    with pytest.raises(ValueError, match="is not one of 'a', 'b'"):
        build("/<any(a, b):x>", {"x": "c"})


def test_any_converter_needs_a_value() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        Map([Rule("/<any():x>", endpoint="e")])


def test_uuid_converter_returns_uuid_for_any_letter_case() -> None:
    value = "A1B2C3D4-0000-4000-8000-00000000ABCD"
    assert match("/o/<uuid:id>", f"/o/{value}") == {"id": uuid.UUID(value.lower())}


def test_uuid_converter_rejects_malformed_uuid() -> None:
    with pytest.raises(NotFound):
        match("/o/<uuid:id>", "/o/a1b2c3d4000040008000000000000abcd")


def test_uuid_converter_builds_lowercase() -> None:
    value = uuid.UUID("A1B2C3D4-0000-4000-8000-00000000ABCD")
    assert build("/o/<uuid:id>", {"id": value}) == "/o/a1b2c3d4-0000-4000-8000-00000000abcd"


class EvenConverter(BaseConverter):
    regex = "[0-9]+"
    weight = 10  # tried before the int converter (weight 50) at the same position

    def to_python(self, value: str) -> int:
        number = int(value)
        if number % 2:
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        return str(int(value))


def test_custom_converter_registered_on_map_constructor() -> None:
    url_map = Map([Rule("/e/<even:n>", endpoint="e")], converters={"even": EvenConverter})
    assert url_map.bind("x").match("/e/4") == ("e", {"n": 4})


def test_custom_converter_registered_on_converters_attribute() -> None:
    url_map = Map()
    url_map.converters["even"] = EvenConverter
    url_map.add(Rule("/e/<even:n>", endpoint="e"))
    assert url_map.bind("x").match("/e/8") == ("e", {"n": 8})


def test_validation_error_makes_rule_not_match_and_next_rule_is_tried() -> None:
    url_map = Map(
        [Rule("/e/<even:n>", endpoint="even"), Rule("/e/<int:n>", endpoint="any")],
        converters={"even": EvenConverter},
    )
    adapter = url_map.bind("x")
    assert adapter.match("/e/4") == ("even", {"n": 4})
    assert adapter.match("/e/3") == ("any", {"n": 3})


def test_validation_error_without_other_rule_is_not_found() -> None:
    url_map = Map([Rule("/e/<even:n>", endpoint="even")], converters={"even": EvenConverter})
    with pytest.raises(NotFound):
        url_map.bind("x").match("/e/3")


def test_converter_with_slash_in_regex_is_not_part_isolating() -> None:
    class TwoSegments(BaseConverter):
        regex = "[^/]+/[^/]+"

    assert TwoSegments.part_isolating is False
    url_map = Map([Rule("/x/<two:v>/end", endpoint="e")], converters={"two": TwoSegments})
    assert url_map.bind("x").match("/x/a/b/end") == ("e", {"v": "a/b"})


def test_converter_in_middle_of_segment() -> None:
    assert match("/<name>.json", "/report.json") == {"name": "report"}
    assert match("/v<int:major>.<int:minor>/x", "/v1.2/x") == {"major": 1, "minor": 2}
