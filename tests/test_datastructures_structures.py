"""Behaviour of the dict and list types in tumbler.datastructures.structures."""

from __future__ import annotations

import copy
import pickle

import pytest

from tumbler.datastructures import CallbackDict
from tumbler.datastructures import CombinedMultiDict
from tumbler.datastructures import ImmutableDict
from tumbler.datastructures import ImmutableList
from tumbler.datastructures import ImmutableMultiDict
from tumbler.datastructures import ImmutableTypeConversionDict
from tumbler.datastructures import MultiDict
from tumbler.datastructures import TypeConversionDict
from tumbler.datastructures import iter_multi_items
from tumbler.exceptions import BadRequest
from tumbler.exceptions import BadRequestKeyError


def sample() -> MultiDict[str, str]:
    return MultiDict([("a", "1"), ("b", "x"), ("a", "2"), ("a", "oops")])


# -- MultiDict construction ------------------------------------------------------------------


def test_multidict_from_pairs_keeps_every_value_in_order() -> None:
    assert sample().getlist("a") == ["1", "2", "oops"]


def test_multidict_from_dict_expands_list_tuple_and_set_values() -> None:
    md = MultiDict({"a": ["1", "2"], "b": ("3",), "c": {"4"}, "d": "5"})
    assert md.getlist("a") == ["1", "2"]
    assert md.getlist("b") == ["3"]
    assert md.getlist("c") == ["4"]
    assert md.getlist("d") == ["5"]


def test_multidict_from_dict_skips_empty_lists() -> None:
    md = MultiDict({"a": [], "b": "1"})
    assert "a" not in md
    assert list(md) == ["b"]


def test_multidict_from_multidict_copies_value_lists() -> None:
    original = sample()
    clone = MultiDict(original)
    clone.add("a", "3")
    assert original.getlist("a") == ["1", "2", "oops"]


def test_multidict_empty_constructor() -> None:
    md: MultiDict[str, str] = MultiDict()
    assert len(md) == 0
    assert not md


def test_multidict_handles_many_values_for_one_key() -> None:
    md = MultiDict(("k", str(i)) for i in range(10_000))
    assert len(md.getlist("k")) == 10_000
    assert md["k"] == "0"
    assert md.getlist("k", type=int)[-1] == 9_999


def test_multidict_handles_many_keys() -> None:
    md = MultiDict((f"k{i}", i) for i in range(5_000))
    assert len(md) == 5_000
    assert md["k4999"] == 4_999


# -- MultiDict reading -----------------------------------------------------------------------


def test_multidict_getitem_returns_first_value() -> None:
    assert sample()["a"] == "1"


def test_multidict_getitem_missing_key_raises_bad_request_key_error() -> None:
    with pytest.raises(BadRequestKeyError) as info:
        sample()["missing"]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, BadRequest)
    assert info.value.code == 400


def test_multidict_getitem_on_key_with_empty_list_raises_bad_request_key_error() -> None:
    md: MultiDict[str, str] = MultiDict()
    md.setlist("a", [])
    with pytest.raises(BadRequestKeyError):
        md["a"]


def test_multidict_get_returns_default_for_missing_key() -> None:
    assert sample().get("missing") is None
    assert sample().get("missing", "d") == "d"


def test_multidict_get_converts_with_type() -> None:
    assert sample().get("a", type=int) == 1


def test_multidict_get_returns_default_when_type_conversion_fails() -> None:
    assert sample().get("b", -1, type=int) == -1


def test_multidict_get_returns_default_when_type_raises_type_error() -> None:
    def strict(value: str) -> int:
        raise TypeError("nope")

    assert sample().get("a", 7, type=strict) == 7


def test_multidict_get_does_not_swallow_other_conversion_errors() -> None:
    def broken(value: str) -> int:
        raise RuntimeError("bug in converter")

    with pytest.raises(RuntimeError):
        sample().get("a", type=broken)


def test_multidict_getlist_missing_key_is_empty_list() -> None:
    assert sample().getlist("missing") == []


def test_multidict_getlist_skips_unconvertible_values() -> None:
    assert sample().getlist("a", type=int) == [1, 2]


def test_multidict_getlist_returns_a_copy() -> None:
    md = sample()
    md.getlist("a").append("9")
    assert md.getlist("a") == ["1", "2", "oops"]


def test_multidict_iterates_over_keys() -> None:
    assert list(sample()) == ["a", "b"]


def test_multidict_len_counts_keys() -> None:
    assert len(sample()) == 2


def test_multidict_items_gives_first_values_by_default() -> None:
    assert list(sample().items()) == [("a", "1"), ("b", "x")]


def test_multidict_items_multi_gives_every_value() -> None:
    assert list(sample().items(multi=True)) == [
        ("a", "1"),
        ("a", "2"),
        ("a", "oops"),
        ("b", "x"),
    ]


def test_multidict_lists_and_listvalues() -> None:
    md = sample()
    assert list(md.lists()) == [("a", ["1", "2", "oops"]), ("b", ["x"])]
    assert list(md.listvalues()) == [["1", "2", "oops"], ["x"]]


def test_multidict_values_gives_first_values() -> None:
    assert list(sample().values()) == ["1", "x"]


def test_multidict_to_dict_flat_and_not_flat() -> None:
    md = sample()
    assert md.to_dict() == {"a": "1", "b": "x"}
    assert md.to_dict(flat=False) == {"a": ["1", "2", "oops"], "b": ["x"]}


def test_dict_of_multidict_takes_first_values() -> None:
    assert dict(sample()) == {"a": "1", "b": "x"}


def test_multidict_repr_lists_every_pair() -> None:
    assert repr(MultiDict([("a", "1"), ("a", "2")])) == "MultiDict([('a', '1'), ('a', '2')])"


# -- MultiDict writing -----------------------------------------------------------------------


def test_multidict_setitem_replaces_all_values() -> None:
    md = sample()
    md["a"] = "z"
    assert md.getlist("a") == ["z"]


def test_multidict_add_appends_value() -> None:
    md = sample()
    md.add("b", "y")
    md.add("new", "n")
    assert md.getlist("b") == ["x", "y"]
    assert md["new"] == "n"


def test_multidict_setlist_replaces_values_with_copy() -> None:
    md = sample()
    values = ["p", "q"]
    md.setlist("a", values)
    values.append("r")
    assert md.getlist("a") == ["p", "q"]


def test_multidict_setdefault_sets_missing_and_keeps_existing() -> None:
    md = sample()
    assert md.setdefault("a", "zz") == "1"
    assert md.setdefault("c", "3") == "3"
    assert md.getlist("c") == ["3"]


def test_multidict_setlistdefault_returns_internal_list() -> None:
    md = sample()
    md.setlistdefault("c", ["1"]).append("2")
    assert md.getlist("c") == ["1", "2"]
    assert md.setlistdefault("a") == ["1", "2", "oops"]


def test_multidict_update_adds_rather_than_replaces() -> None:
    md = MultiDict({"x": "1"})
    md.update(MultiDict([("x", "2"), ("y", "3")]))
    md.update({"x": ["4", "5"]})
    md.update([("y", "6")])
    assert md.getlist("x") == ["1", "2", "4", "5"]
    assert md.getlist("y") == ["3", "6"]


def test_multidict_update_with_empty_list_adds_no_key() -> None:
    md: MultiDict[str, str] = MultiDict()
    md.update({"empty": []})
    assert "empty" not in md


def test_multidict_or_returns_new_combined_dict() -> None:
    md = MultiDict({"x": "1"})
    merged = md | {"x": "2"}
    assert merged.getlist("x") == ["1", "2"]
    assert md.getlist("x") == ["1"]


def test_multidict_ior_adds_in_place() -> None:
    md = MultiDict({"x": "1"})
    md |= [("x", "2")]
    assert md.getlist("x") == ["1", "2"]


def test_multidict_pop_returns_first_value_and_removes_key() -> None:
    md = sample()
    assert md.pop("a") == "1"
    assert "a" not in md


def test_multidict_pop_missing_key_uses_default_or_raises() -> None:
    md = sample()
    assert md.pop("missing", "d") == "d"
    with pytest.raises(BadRequestKeyError):
        md.pop("missing")


def test_multidict_popitem_returns_first_value_of_last_key() -> None:
    md = sample()
    assert md.popitem() == ("b", "x")


def test_multidict_popitem_on_empty_raises_bad_request_key_error() -> None:
    with pytest.raises(BadRequestKeyError):
        MultiDict().popitem()


def test_multidict_poplist_and_popitemlist() -> None:
    md = sample()
    assert md.poplist("a") == ["1", "2", "oops"]
    assert md.poplist("a") == []
    assert md.popitemlist() == ("b", ["x"])
    with pytest.raises(BadRequestKeyError):
        md.popitemlist()


def test_multidict_copy_is_independent() -> None:
    md = sample()
    clone = md.copy()
    clone.add("a", "new")
    assert type(clone) is MultiDict
    assert md.getlist("a") == ["1", "2", "oops"]
    assert copy.copy(md) == md


def test_multidict_deepcopy_copies_values() -> None:
    md = MultiDict([("a", ["inner"])])
    clone = md.deepcopy()
    clone["a"].append("changed")
    assert md["a"] == ["inner"]
    assert copy.deepcopy(md) == md


def test_multidict_pickle_round_trip_keeps_every_value() -> None:
    md = sample()
    restored = pickle.loads(pickle.dumps(md))
    assert type(restored) is MultiDict
    assert list(restored.items(multi=True)) == list(md.items(multi=True))


def test_iter_multi_items_over_each_source_type() -> None:
    assert list(iter_multi_items(sample())) == list(sample().items(multi=True))
    assert list(iter_multi_items({"a": ["1", "2"], "b": "3"})) == [
        ("a", "1"),
        ("a", "2"),
        ("b", "3"),
    ]
    assert list(iter_multi_items([("a", "1")])) == [("a", "1")]


# -- ImmutableMultiDict ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("__setitem__", ("a", "1")),
        ("__delitem__", ("a",)),
        ("add", ("a", "1")),
        ("setlist", ("a", ["1"])),
        ("setdefault", ("a", "1")),
        ("setlistdefault", ("a", ["1"])),
        ("update", ({"a": "1"},)),
        ("pop", ("a",)),
        ("popitem", ()),
        ("poplist", ("a",)),
        ("popitemlist", ()),
        ("clear", ()),
        ("__ior__", ({"a": "1"},)),
    ],
)
def test_immutable_multidict_mutators_raise_type_error(
    method: str, args: tuple[object, ...]
) -> None:
    md = ImmutableMultiDict(sample())
    with pytest.raises(TypeError, match="'ImmutableMultiDict' objects are immutable"):
        getattr(md, method)(*args)
    assert md.getlist("a") == ["1", "2", "oops"]


def test_immutable_multidict_reads_like_multidict() -> None:
    md = ImmutableMultiDict(sample())
    assert md["a"] == "1"
    assert md.get("a", type=int) == 1
    assert md.getlist("a", type=int) == [1, 2]
    with pytest.raises(BadRequestKeyError):
        md["missing"]


def test_immutable_multidict_is_hashable_and_hash_is_stable() -> None:
    first = ImmutableMultiDict(sample())
    second = ImmutableMultiDict(sample())
    assert hash(first) == hash(second)
    assert {first: 1}[second] == 1


def test_immutable_multidict_copy_is_mutable_multidict() -> None:
    md = ImmutableMultiDict(sample())
    clone = md.copy()
    assert type(clone) is MultiDict
    clone.add("a", "new")
    assert copy.copy(md) is md


def test_immutable_multidict_pickle_round_trip() -> None:
    md = ImmutableMultiDict(sample())
    restored = pickle.loads(pickle.dumps(md))
    assert type(restored) is ImmutableMultiDict
    assert restored.getlist("a") == ["1", "2", "oops"]


def test_immutable_multidict_fromkeys() -> None:
    md = ImmutableMultiDict.fromkeys(["a", "b"], "v")
    assert list(md.items()) == [("a", "v"), ("b", "v")]


# -- CombinedMultiDict -----------------------------------------------------------------------


def combined() -> CombinedMultiDict[str, str]:
    args = MultiDict([("a", "1"), ("q", "x")])
    form = MultiDict([("a", "2"), ("f", "3"), ("f", "4")])
    return CombinedMultiDict([args, form])


def test_combined_multidict_first_dict_wins_for_getitem() -> None:
    assert combined()["a"] == "1"
    assert combined()["f"] == "3"


def test_combined_multidict_missing_key_raises_bad_request_key_error() -> None:
    with pytest.raises(BadRequestKeyError):
        combined()["missing"]


def test_combined_multidict_getlist_concatenates_all_dicts() -> None:
    assert combined().getlist("a") == ["1", "2"]
    assert combined().getlist("a", type=int) == [1, 2]


def test_combined_multidict_get_tries_next_dict_when_conversion_fails() -> None:
    view = CombinedMultiDict([MultiDict({"n": "abc"}), MultiDict({"n": "5"})])
    assert view.get("n", type=int) == 5
    assert view.get("missing", "d") == "d"
    assert view.get("n", -1.0, type=float) == 5.0


def test_combined_multidict_keys_len_contains_without_duplicates() -> None:
    view = combined()
    assert list(view) == ["a", "q", "f"]
    assert list(view.keys()) == ["a", "q", "f"]
    assert len(view) == 3
    assert "f" in view
    assert "zz" not in view


def test_combined_multidict_items_values_lists_and_to_dict() -> None:
    view = combined()
    assert list(view.items()) == [("a", "1"), ("q", "x"), ("f", "3")]
    assert list(view.values()) == ["1", "x", "3"]
    assert ("f", "4") in list(view.items(multi=True))
    assert dict(view.lists()) == {"a": ["1", "2"], "q": ["x"], "f": ["3", "4"]}
    assert view.to_dict() == {"a": "1", "q": "x", "f": "3"}
    assert view.to_dict(flat=False)["a"] == ["1", "2"]


def test_combined_multidict_shows_changes_of_underlying_dicts() -> None:
    form: MultiDict[str, str] = MultiDict()
    view = CombinedMultiDict([MultiDict(), form])
    form.add("late", "v")
    assert view["late"] == "v"


def test_combined_multidict_is_read_only() -> None:
    with pytest.raises(TypeError):
        combined()["a"] = "x"
    with pytest.raises(TypeError):
        combined().add("a", "x")


def test_combined_multidict_copy_is_mutable_multidict_with_all_values() -> None:
    clone = combined().copy()
    assert type(clone) is MultiDict
    assert clone.getlist("a") == ["1", "2"]


def test_combined_multidict_fromkeys_is_refused() -> None:
    with pytest.raises(TypeError):
        CombinedMultiDict.fromkeys(["a"])


def test_combined_multidict_pickle_round_trip_and_hash() -> None:
    view = combined()
    restored = pickle.loads(pickle.dumps(view))
    assert restored.getlist("a") == ["1", "2"]
    assert hash(view) == hash(combined())


# -- TypeConversionDict and immutable dicts --------------------------------------------------


def test_type_conversion_dict_get_converts_or_returns_default() -> None:
    d = TypeConversionDict(foo="42", bar="blub")
    assert d.get("foo", type=int) == 42
    assert d.get("bar", -1, type=int) == -1
    assert d.get("missing", type=int) is None


def test_immutable_type_conversion_dict_refuses_changes_and_copies_mutable() -> None:
    d = ImmutableTypeConversionDict(a="1")
    with pytest.raises(TypeError, match="immutable"):
        d["b"] = "2"
    assert d.get("a", type=int) == 1
    clone = d.copy()
    assert type(clone) is TypeConversionDict
    clone["b"] = "2"
    assert copy.copy(d) is d
    assert hash(d) == hash(ImmutableTypeConversionDict(a="1"))


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("__setitem__", ("a", 1)),
        ("__delitem__", ("a",)),
        ("setdefault", ("a", 1)),
        ("update", ({"b": 2},)),
        ("pop", ("a",)),
        ("popitem", ()),
        ("clear", ()),
        ("__ior__", ({"b": 2},)),
    ],
)
def test_immutable_dict_mutators_raise_type_error(method: str, args: tuple[object, ...]) -> None:
    d = ImmutableDict(a=1)
    with pytest.raises(TypeError, match="'ImmutableDict' objects are immutable"):
        getattr(d, method)(*args)
    assert d == {"a": 1}


def test_immutable_dict_is_hashable_copies_to_dict_and_pickles() -> None:
    d = ImmutableDict(a=1)
    assert hash(d) == hash(ImmutableDict(a=1))
    assert type(d.copy()) is dict
    assert pickle.loads(pickle.dumps(d)) == d
    assert repr(d) == "ImmutableDict({'a': 1})"
    assert ImmutableDict.fromkeys("ab", 0) == {"a": 0, "b": 0}


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("append", (1,)),
        ("extend", ([1],)),
        ("insert", (0, 1)),
        ("pop", ()),
        ("remove", (1,)),
        ("reverse", ()),
        ("sort", ()),
        ("clear", ()),
        ("__setitem__", (0, 9)),
        ("__delitem__", (0,)),
        ("__iadd__", ([1],)),
        ("__imul__", (2,)),
    ],
)
def test_immutable_list_mutators_raise_type_error(method: str, args: tuple[object, ...]) -> None:
    items = ImmutableList([1, 2])
    with pytest.raises(TypeError, match="'ImmutableList' objects are immutable"):
        getattr(items, method)(*args)
    assert items == [1, 2]


def test_immutable_list_is_hashable_and_pickles() -> None:
    items = ImmutableList([1, 2])
    assert hash(items) == hash((1, 2))
    restored = pickle.loads(pickle.dumps(items))
    assert type(restored) is ImmutableList
    assert restored == [1, 2]
    assert repr(items) == "ImmutableList([1, 2])"


# -- CallbackDict ----------------------------------------------------------------------------


def recording() -> tuple[CallbackDict[str, int], list[dict[str, int]]]:
    calls: list[dict[str, int]] = []
    d: CallbackDict[str, int] = CallbackDict({"a": 1}, lambda d: calls.append(dict(d)))
    return d, calls


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (lambda d: d.__setitem__("b", 2), {"a": 1, "b": 2}),
        (lambda d: d.__delitem__("a"), {}),
        (lambda d: d.update(b=2), {"a": 1, "b": 2}),
        (lambda d: d.pop("a"), {}),
        (lambda d: d.popitem(), {}),
        (lambda d: d.clear(), {}),
        (lambda d: d.setdefault("b", 2), {"a": 1, "b": 2}),
        (lambda d: d.__ior__({"b": 2}), {"a": 1, "b": 2}),
    ],
)
def test_callback_dict_calls_on_update_after_each_mutation(
    action: object, expected: dict[str, int]
) -> None:
    d, calls = recording()
    action(d)  # type: ignore[operator]
    assert calls == [expected]


def test_callback_dict_setdefault_and_pop_without_change_do_not_notify() -> None:
    d, calls = recording()
    assert d.setdefault("a", 5) == 1
    assert d.pop("missing", None) is None
    assert calls == []


def test_callback_dict_pop_missing_without_default_raises_key_error() -> None:
    d, calls = recording()
    with pytest.raises(KeyError):
        d.pop("missing")
    assert calls == []


def test_callback_dict_without_callback_works_as_dict() -> None:
    d: CallbackDict[str, int] = CallbackDict()
    d["a"] = 1
    assert d == {"a": 1}
    assert repr(d) == "<CallbackDict {'a': 1}>"
