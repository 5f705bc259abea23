from __future__ import annotations

import json
import pickle
import typing as t
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from uuid import UUID
from uuid import uuid4

import pytest
from markupsafe import Markup

from tumbler.json.tag import JSONTag
from tumbler.json.tag import PassDict
from tumbler.json.tag import TaggedJSONSerializer


@pytest.fixture
def serializer() -> TaggedJSONSerializer:
    return TaggedJSONSerializer()


@pytest.mark.parametrize(
    "value",
    [
        {" t": (1, 2, 3)},
        {" t__": b"a"},
        {" di": " di"},
        {"x": (1, 2, 3), "y": 4},
        (1, 2, 3),
        [(1, 2), 3],
        b"\x00\xffbinary",
        Markup("<b>safe</b>"),
        uuid4(),
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        {"nested": [{"deep": (b"x", {" m": 1})}]},
        "plain",
        42,
        None,
        [1, "two", 3.5, True],
    ],
)
def test_round_trip_preserves_value_and_type(
    serializer: TaggedJSONSerializer, value: t.Any
) -> None:
    loaded = serializer.loads(serializer.dumps(value))
    assert loaded == value
    assert type(loaded) is type(value)


def test_tuple_is_tagged_as_t(serializer: TaggedJSONSerializer) -> None:
    assert json.loads(serializer.dumps((1, 2))) == {" t": [1, 2]}


def test_bytes_are_base64(serializer: TaggedJSONSerializer) -> None:
    assert json.loads(serializer.dumps(b"hi")) == {" b": "aGk="}


def test_uuid_is_hex(serializer: TaggedJSONSerializer) -> None:
    value = UUID("12345678-1234-5678-1234-567812345678")
    assert json.loads(serializer.dumps(value)) == {" u": "12345678123456781234567812345678"}


def test_datetime_is_http_date(serializer: TaggedJSONSerializer) -> None:
    value = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert json.loads(serializer.dumps(value)) == {" d": "Tue, 02 Jan 2024 03:04:05 GMT"}


def test_naive_datetime_is_taken_as_utc_and_loads_aware(
    serializer: TaggedJSONSerializer,
) -> None:
    loaded = serializer.loads(serializer.dumps(datetime(2024, 1, 2, 3, 4, 5)))
    assert loaded == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_aware_datetime_in_other_zone_is_converted_to_utc(
    serializer: TaggedJSONSerializer,
) -> None:
    value = datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert serializer.loads(serializer.dumps(value)) == value


def test_datetime_drops_microseconds(serializer: TaggedJSONSerializer) -> None:
    value = datetime(2024, 1, 2, 3, 4, 5, 999, tzinfo=UTC)
    assert serializer.loads(serializer.dumps(value)) == value.replace(microsecond=0)


def test_object_with_html_method_becomes_markup(serializer: TaggedJSONSerializer) -> None:
    class Widget:
        def __html__(self) -> str:
            return "<i>w</i>"

    loaded = serializer.loads(serializer.dumps(Widget()))
    assert loaded == Markup("<i>w</i>")
    assert isinstance(loaded, Markup)


def test_dict_key_that_looks_like_a_tag_is_escaped(serializer: TaggedJSONSerializer) -> None:
    assert json.loads(serializer.dumps({" t": 1})) == {" di": {" t__": 1}}


def test_dict_with_several_keys_is_not_escaped(serializer: TaggedJSONSerializer) -> None:
    assert json.loads(serializer.dumps({" t": 1, "a": 2})) == {" t": 1, "a": 2}


def test_output_is_compact(serializer: TaggedJSONSerializer) -> None:
    assert serializer.dumps({"a": [1, 2]}) == '{"a":[1,2]}'


def test_unknown_tag_key_loads_as_plain_dict(serializer: TaggedJSONSerializer) -> None:
    assert serializer.loads('{" zz": 1}') == {" zz": 1}


def test_unserializable_value_raises_type_error(serializer: TaggedJSONSerializer) -> None:
    with pytest.raises(TypeError):
        serializer.dumps({"x": object()})


@pytest.mark.parametrize(
    "payload",
    [
        '{" b": "not base64!!"}',
        '{" b": 5}',
        '{" u": "not-a-uuid"}',
        '{" u": null}',
        '{" d": "yesterday"}',
        '{" d": 3}',
        '{" t": "not a list"}',
        '{" m": ["x"]}',
        '{" di": "x"}',
        '{" di": {"a": 1, "b": 2}}',
        '{" di": {"no_suffix": 1}}',
        "{not json",
    ],
)
def test_malformed_tagged_payload_raises_value_error(
    serializer: TaggedJSONSerializer, payload: str
) -> None:
    with pytest.raises(ValueError):
        serializer.loads(payload)


def test_deeply_nested_payload_is_refused(serializer: TaggedJSONSerializer) -> None:
    with pytest.raises(ValueError):
        serializer.loads("[" * 10_000 + "]" * 10_000)


def test_forged_payloads_only_build_plain_data(
    serializer: TaggedJSONSerializer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise AssertionError("pickle must never be used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    pickled = pickle.dumps({"x": 1}).hex()
    payload = json.dumps(
        {
            "p": {" p": pickled},
            "cls": {"__class__": "os.system", "args": ["echo hacked"]},
            "py": {"py/object": "subprocess.Popen"},
            "m": {" m": "<script>alert(1)</script>"},
        }
    )
    loaded = serializer.loads(payload)
    assert loaded["p"] == {" p": pickled}
    assert loaded["cls"] == {"__class__": "os.system", "args": ["echo hacked"]}
    assert loaded["py"] == {"py/object": "subprocess.Popen"}
    assert type(loaded["m"]) is Markup


class TagFrozenset(JSONTag):
    __slots__ = ()
    key = " fs"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, frozenset)

    def to_json(self, value: t.Any) -> t.Any:
        return sorted(value)

    def to_python(self, value: t.Any) -> t.Any:
        return frozenset(value)


def test_register_custom_tag_round_trips(serializer: TaggedJSONSerializer) -> None:
    serializer.register(TagFrozenset)
    assert serializer.loads(serializer.dumps(frozenset({2, 1}))) == frozenset({1, 2})


def test_register_makes_new_key_escaped_in_dicts(serializer: TaggedJSONSerializer) -> None:
    serializer.register(TagFrozenset)
    assert serializer.loads(serializer.dumps({" fs": [1]})) == {" fs": [1]}


def test_register_duplicate_key_raises_key_error(serializer: TaggedJSONSerializer) -> None:
    serializer.register(TagFrozenset)
    with pytest.raises(KeyError, match="already registered"):
        serializer.register(TagFrozenset)


def test_register_force_replaces_existing_tag(serializer: TaggedJSONSerializer) -> None:
    class LoudTuple(JSONTag):
        __slots__ = ()
        key = " t"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, tuple)

        def to_json(self, value: t.Any) -> t.Any:
            return list(value)

        def to_python(self, value: t.Any) -> t.Any:
            return ("loud", *value)

    serializer.register(LoudTuple, force=True)
    assert serializer.tags[" t"].__class__ is LoudTuple
    assert serializer.loads('{" t": [1]}') == ("loud", 1)


def test_register_index_zero_is_checked_first(serializer: TaggedJSONSerializer) -> None:
    class TagTrueAsString(JSONTag):
        __slots__ = ()
        key = " tt"

        def check(self, value: t.Any) -> bool:
            return value is True

        def to_json(self, value: t.Any) -> t.Any:
            return "yes"

        def to_python(self, value: t.Any) -> t.Any:
            return True

    serializer.register(TagTrueAsString, index=0)
    assert serializer.order[0].__class__ is TagTrueAsString
    assert json.loads(serializer.dumps(True)) == {" tt": "yes"}


def test_keyless_tag_is_not_looked_up_when_loading(serializer: TaggedJSONSerializer) -> None:
    assert "" not in serializer.tags
    assert any(isinstance(tag, PassDict) for tag in serializer.order)


def test_serializers_do_not_share_registrations() -> None:
    first = TaggedJSONSerializer()
    first.register(TagFrozenset)
    assert " fs" not in TaggedJSONSerializer().tags
