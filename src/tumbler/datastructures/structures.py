"""Dict and list types for request data: multi-value dicts, immutable views and callback dicts.

Query strings and form bodies may repeat a key (``?tag=a&tag=b``), so request data lives in a
:class:`MultiDict`: normal ``dict`` access gives the first value, the ``*list`` methods give all of
them. Request-side copies are immutable so a view cannot change what another view sees.

Missing keys raise :class:`tumbler.exceptions.BadRequestKeyError`, a ``KeyError`` that is also a
400 Bad Request, so ``request.form["name"]`` on a form without ``name`` answers 400, not 500.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t
from copy import deepcopy
from itertools import repeat

if t.TYPE_CHECKING:
    import typing_extensions as te

K = t.TypeVar("K")
V = t.TypeVar("V")
T = t.TypeVar("T")

_missing: t.Any = object()

# The multi dicts store a list per key; these untyped views of dict's own methods reach that
# storage without going through the overridden (first-value) methods.
_dict_get: t.Any = dict.get
_dict_set: t.Any = dict.__setitem__
_dict_getitem: t.Any = dict.__getitem__
_dict_setdefault: t.Any = dict.setdefault
_dict_pop: t.Any = dict.pop
_dict_popitem: t.Any = dict.popitem
_dict_items: t.Any = dict.items
_dict_values: t.Any = dict.values
_dict_update: t.Any = dict.update


def _bad_key(key: t.Any) -> KeyError:
    """Build the KeyError for a missing key: a 400 Bad Request as well as a ``KeyError``."""
    # Imported here because tumbler.exceptions may need the data structures at import time.
    from tumbler.exceptions import BadRequestKeyError

    return BadRequestKeyError(key)


def _immutable(obj: object) -> TypeError:
    return TypeError(f"{type(obj).__name__!r} objects are immutable")


def iter_multi_items(
    mapping: (
        MultiDict[K, V]
        | cabc.Mapping[K, V | list[V] | tuple[V, ...] | set[V]]
        | cabc.Iterable[tuple[K, V]]
    ),
) -> cabc.Iterator[tuple[K, V]]:
    """Yield every ``(key, value)`` pair of ``mapping`` without dropping repeated values.

    :param mapping: a :class:`MultiDict` (all values of every key), a mapping (a list, tuple or
        set value yields one pair per element) or an iterable of ``(key, value)`` pairs.
    """
    if isinstance(mapping, MultiDict):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, cabc.Mapping):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


class ImmutableListMixin:
    """Make a ``list`` subclass immutable and hashable: every mutator raises ``TypeError``."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(tuple(self))  # type: ignore[arg-type]

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (list(self),)  # type: ignore[call-overload]

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def __iadd__(self, other: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def __imul__(self, other: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def append(self, item: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def remove(self, item: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def extend(self, iterable: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def insert(self, index: t.Any, item: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def pop(self, index: t.Any = -1) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def reverse(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def sort(self, key: t.Any = None, reverse: t.Any = False) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def clear(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)


class ImmutableList(ImmutableListMixin, list[V]):  # type: ignore[misc]
    """A ``list`` that cannot be changed after creation; hashable like a tuple."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)})"


class ImmutableDictMixin(t.Generic[K, V]):
    """Make a ``dict`` subclass immutable and hashable: every mutator raises ``TypeError``.

    Concrete classes declare a ``_hash_cache`` slot; the hash is computed once.
    """

    __slots__ = ()
    _hash_cache: int

    @classmethod
    def fromkeys(cls, keys: cabc.Iterable[K], value: V | None = None) -> te.Self:
        """Create an instance with every key of ``keys`` mapped to ``value``."""
        return cls(zip(keys, repeat(value)))  # type: ignore[call-arg]

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (dict(self),)  # type: ignore[call-overload]

    def _iter_hashitems(self) -> t.Iterable[t.Any]:
        return self.items()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        try:
            return self._hash_cache
        except AttributeError:
            rv = hash(frozenset(self._iter_hashitems()))
            # The slot is declared by the concrete class, not this mixin.
            setattr(self, "_hash_cache", rv)  # noqa: B010
            return rv

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def update(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def pop(self, key: t.Any, default: t.Any = None) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def popitem(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def clear(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)


class ImmutableMultiDictMixin(ImmutableDictMixin[K, V]):
    """Immutability for :class:`MultiDict` subclasses, covering the multi-value mutators too."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (list(self.items(multi=True)),)  # type: ignore[attr-defined]

    def _iter_hashitems(self) -> t.Iterable[t.Any]:
        return self.items(multi=True)  # type: ignore[attr-defined]

    def add(self, key: t.Any, value: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def popitemlist(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def poplist(self, key: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def setlist(self, key: t.Any, new_list: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def setlistdefault(self, key: t.Any, default_list: t.Any = None) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)


class UpdateDictMixin(dict[K, V]):
    """Call ``self.on_update(self)`` after every change to the dict.

    ``on_update`` may be ``None`` (no callback). :meth:`setdefault` and :meth:`pop` only call it
    when they actually change the dict.
    """

    __slots__ = ()
    on_update: cabc.Callable[[t.Any], None] | None

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def setdefault(self, key: K, default: t.Any = None) -> V:
        """Return ``self[key]``, first setting it to ``default`` (and notifying) when missing."""
        modified = key not in self
        rv = super().setdefault(key, default)
        if modified:
            self._changed()
        return rv

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        """Remove ``key`` and return its value; return ``default`` when given and missing.

        :raises KeyError: if the key is missing and no default is given.
        """
        modified = key in self
        rv = super().pop(key) if default is _missing else super().pop(key, default)
        if modified:
            self._changed()
        return rv

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        """Remove every item, then notify."""
        super().clear()
        self._changed()

    def popitem(self) -> tuple[K, V]:
        """Remove and return the last inserted item, then notify."""
        rv = super().popitem()
        self._changed()
        return rv

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Update like ``dict.update``, then notify."""
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: t.Any) -> te.Self:  # type: ignore[override,misc]
        # dict.__ior__ writes at C level and would skip the callback.
        self.update(other)
        return self


class CallbackDict(UpdateDictMixin[K, V]):
    """A ``dict`` that calls ``on_update(self)`` after each change (used by sessions).

    :param initial: initial contents, anything ``dict()`` accepts.
    :param on_update: callable receiving the dict after each modification, or ``None``.
    """

    __slots__ = ("on_update",)

    def __init__(
        self,
        initial: cabc.Mapping[K, V] | cabc.Iterable[tuple[K, V]] | None = None,
        on_update: cabc.Callable[[te.Self], None] | None = None,
    ) -> None:
        if initial is None:
            super().__init__()
        else:
            super().__init__(initial)
        self.on_update = on_update

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class TypeConversionDict(dict[K, V]):
    """A ``dict`` whose :meth:`get` can convert the value with a ``type`` callable."""

    __slots__ = ()

    @t.overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V) -> V: ...
    @t.overload
    def get(self, key: K, default: T) -> V | T: ...
    @t.overload
    def get(self, key: K, *, type: cabc.Callable[[V], T]) -> T | None: ...
    @t.overload
    def get(self, key: K, default: T, type: cabc.Callable[[V], T]) -> T: ...
    def get(
        self,
        key: K,
        default: t.Any = None,
        type: cabc.Callable[[V], t.Any] | None = None,
    ) -> t.Any:
        """Return the value for ``key``, converted by ``type`` when given.

        :param key: the key to look up.
        :param default: returned when the key is missing, or when ``type`` raises
            ``ValueError`` or ``TypeError`` (so ``get("page", 1, type=int)`` never fails).
        :param type: a callable converting the stored value, e.g. ``int``.
        """
        try:
            rv = self[key]
        except KeyError:
            return default
        if type is None:
            return rv
        try:
            return type(rv)
        except (ValueError, TypeError):
            return default


class ImmutableTypeConversionDict(ImmutableDictMixin[K, V], TypeConversionDict[K, V]):  # type: ignore[misc]
    """A :class:`TypeConversionDict` that cannot be modified; hashable."""

    __slots__ = ("_hash_cache",)

    def copy(self) -> TypeConversionDict[K, V]:
        """Return a mutable shallow copy."""
        return TypeConversionDict(self)

    def __copy__(self) -> te.Self:
        return self


class ImmutableDict(ImmutableDictMixin[K, V], dict[K, V]):  # type: ignore[misc]
    """A ``dict`` that cannot be modified after creation; hashable."""

    __slots__ = ("_hash_cache",)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"

    def copy(self) -> dict[K, V]:
        """Return a mutable shallow copy as a plain ``dict``."""
        return dict(self)

    def __copy__(self) -> te.Self:
        return self


class MultiDict(TypeConversionDict[K, V]):
    """A ``dict`` holding a list of values per key, for query strings and forms.

    ``md[key]``, ``get`` and ``values`` give the first value of a key; ``getlist``, ``lists``,
    ``items(multi=True)`` and ``listvalues`` give all of them. ``md[key] = v`` replaces every
    value, :meth:`add` appends one.

    :param mapping: a :class:`MultiDict`, a mapping (list/tuple/set values become several
        values; an empty one adds nothing) or an iterable of ``(key, value)`` pairs.
    :raises tumbler.exceptions.BadRequestKeyError: from ``md[key]`` when ``key`` is missing.
    """

    __slots__ = ()

    def __init__(
        self,
        mapping: (
            MultiDict[K, V]
            | cabc.Mapping[K, V | list[V] | tuple[V, ...] | set[V]]
            | cabc.Iterable[tuple[K, V]]
            | None
        ) = None,
    ) -> None:
        super().__init__()
        if mapping is None:
            return
        # Parsers pass lists of pairs; test for them before the slower ABC isinstance check.
        if not isinstance(mapping, (list, tuple)) and isinstance(mapping, MultiDict):
            for key, values in mapping.lists():
                _dict_set(self, key, values)
        elif not isinstance(mapping, (list, tuple)) and isinstance(mapping, cabc.Mapping):
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        _dict_set(self, key, list(value))
                else:
                    _dict_set(self, key, [value])
        else:
            # Collect into a plain dict: self.setdefault may be overridden or immutable.
            collected: dict[K, list[V]] = {}
            for key, value in mapping:
                collected.setdefault(key, []).append(value)
            _dict_update(self, collected)

    def __getstate__(self) -> t.Any:
        return dict(self.lists())

    def __setstate__(self, value: t.Any) -> None:
        dict.clear(self)
        dict.update(self, value)

    def __iter__(self) -> cabc.Iterator[K]:
        # Overriding __iter__ stops dict(md) from taking CPython's fast path, which would copy
        # the internal lists instead of asking __getitem__ for the first values.
        return dict.__iter__(self)

    def __getitem__(self, key: K) -> V:
        """Return the first value for ``key``.

        :raises tumbler.exceptions.BadRequestKeyError: if the key is missing.
        """
        try:
            return _dict_getitem(self, key)[0]
        except (KeyError, IndexError):
            raise _bad_key(key) from None

    def __setitem__(self, key: K, value: V) -> None:
        """Replace all values of ``key`` with the single ``value``."""
        _dict_set(self, key, [value])

    @t.overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V) -> V: ...
    @t.overload
    def get(self, key: K, default: T) -> V | T: ...
    @t.overload
    def get(self, key: K, *, type: cabc.Callable[[V], T]) -> T | None: ...
    @t.overload
    def get(self, key: K, default: T, type: cabc.Callable[[V], T]) -> T: ...
    def get(self, key: K, default: t.Any = None, type: t.Any = None) -> t.Any:
        """Return the first value for ``key``, converted by ``type`` when given.

        :param key: the key to look up.
        :param default: returned when the key is missing or ``type`` raises ``ValueError`` or
            ``TypeError``.
        :param type: a callable converting the value, e.g. ``int``.
        """
        values: list[V] | None = _dict_get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: K) -> list[V]: ...
    @t.overload
    def getlist(self, key: K, type: cabc.Callable[[V], T]) -> list[T]: ...
    def getlist(self, key: K, type: cabc.Callable[[V], T] | None = None) -> list[V] | list[T]:
        """Return a new list of all values for ``key`` (empty when missing).

        :param key: the key to look up.
        :param type: a callable converting each value; values for which it raises
            ``ValueError`` or ``TypeError`` are left out.
        """
        values: list[V] | None = _dict_get(self, key)
        if not values:
            return []
        if type is None:
            return list(values)
        result: list[T] = []
        for item in values:
            try:
                result.append(type(item))
            except (ValueError, TypeError):
                pass
        return result

    def add(self, key: K, value: V) -> None:
        """Append ``value`` to the values of ``key``, keeping existing ones."""
        _dict_setdefault(self, key, []).append(value)

    def setlist(self, key: K, new_list: cabc.Iterable[V]) -> None:
        """Replace the values of ``key`` with a copy of ``new_list``."""
        _dict_set(self, key, list(new_list))

    def setdefault(self, key: K, default: V | None = None) -> V:
        """Return the first value for ``key``, first setting it to ``default`` when missing."""
        if key not in self:
            self[key] = default  # type: ignore[assignment]
        return self[key]

    def setlistdefault(self, key: K, default_list: cabc.Iterable[V] | None = None) -> list[V]:
        """Return the internal value list of ``key``, first setting it from ``default_list``.

        The list returned is the stored one: appending to it adds values to the dict.
        """
        if key not in self:
            _dict_set(self, key, list(default_list or ()))
        return _dict_getitem(self, key)

    def items(self, multi: bool = False) -> cabc.Iterator[tuple[K, V]]:  # type: ignore[override]
        """Iterate ``(key, value)`` pairs: the first value of each key, or every value if ``multi``."""
        values: list[V]
        for key, values in _dict_items(self):
            if multi:
                for value in values:
                    yield key, value
            elif values:
                yield key, values[0]

    def lists(self) -> cabc.Iterator[tuple[K, list[V]]]:
        """Iterate ``(key, values)`` pairs; each ``values`` is a new list."""
        values: list[V]
        for key, values in _dict_items(self):
            yield key, list(values)

    def values(self) -> cabc.Iterator[V]:  # type: ignore[override]
        """Iterate the first value of every key."""
        values: list[V]
        for values in _dict_values(self):
            if values:
                yield values[0]

    def listvalues(self) -> cabc.Iterator[list[V]]:
        """Iterate the value list of every key, in key order (the stored lists)."""
        return iter(_dict_values(self))

    def copy(self) -> te.Self:
        """Return a shallow copy (new value lists, same value objects)."""
        return self.__class__(self)

    def deepcopy(self, memo: t.Any = None) -> te.Self:
        """Return a deep copy: values are copied with :func:`copy.deepcopy`."""
        return self.__class__(deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> te.Self:
        return self.copy()

    def __deepcopy__(self, memo: t.Any) -> te.Self:
        return self.deepcopy(memo=memo)

    @t.overload
    def to_dict(self) -> dict[K, V]: ...
    @t.overload
    def to_dict(self, flat: t.Literal[False]) -> dict[K, list[V]]: ...
    @t.overload
    def to_dict(self, flat: bool) -> dict[K, V] | dict[K, list[V]]: ...
    def to_dict(self, flat: bool = True) -> dict[K, V] | dict[K, list[V]]:
        """Return a plain ``dict``: first values if ``flat``, else lists of all values."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def update(  # type: ignore[override]
        self,
        mapping: (
            MultiDict[K, V]
            | cabc.Mapping[K, V | list[V] | tuple[V, ...] | set[V]]
            | cabc.Iterable[tuple[K, V]]
        ),
    ) -> None:
        """Add every value of ``mapping``; existing values are kept, not replaced.

        :param mapping: anything :func:`iter_multi_items` accepts.
        """
        for key, value in iter_multi_items(mapping):
            self.add(key, value)

    def __or__(  # type: ignore[override]
        self, other: cabc.Mapping[K, V | list[V] | tuple[V, ...] | set[V]]
    ) -> MultiDict[K, V]:
        if not isinstance(other, cabc.Mapping):
            return NotImplemented
        rv = MultiDict(self)
        rv.update(other)
        return rv

    def __ior__(  # type: ignore[override]
        self,
        other: cabc.Mapping[K, V | list[V] | tuple[V, ...] | set[V]] | cabc.Iterable[tuple[K, V]],
    ) -> te.Self:
        if not isinstance(other, (cabc.Mapping, cabc.Iterable)):
            return NotImplemented
        self.update(other)
        return self

    @t.overload
    def pop(self, key: K) -> V: ...
    @t.overload
    def pop(self, key: K, default: V) -> V: ...
    @t.overload
    def pop(self, key: K, default: T) -> V | T: ...
    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        """Remove ``key`` and return its first value.

        :param default: returned when the key is missing.
        :raises tumbler.exceptions.BadRequestKeyError: if the key is missing and no default
            is given.
        """
        try:
            values: list[V] = _dict_pop(self, key)
        except KeyError:
            if default is not _missing:
                return default
            raise _bad_key(key) from None
        if not values:
            if default is not _missing:
                return default
            raise _bad_key(key)
        return values[0]

    def popitem(self) -> tuple[K, V]:
        """Remove the last inserted key and return ``(key, first value)``.

        :raises tumbler.exceptions.BadRequestKeyError: if the dict is empty.
        """
        try:
            key, values = _dict_popitem(self)
        except KeyError as e:
            raise _bad_key(e.args[0] if e.args else None) from None
        if not values:
            raise _bad_key(key)
        return key, values[0]

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return all its values (an empty list when missing)."""
        return _dict_pop(self, key, [])

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove the last inserted key and return ``(key, values)``.

        :raises tumbler.exceptions.BadRequestKeyError: if the dict is empty.
        """
        try:
            return _dict_popitem(self)
        except KeyError as e:
            raise _bad_key(e.args[0] if e.args else None) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


class ImmutableMultiDict(ImmutableMultiDictMixin[K, V], MultiDict[K, V]):  # type: ignore[misc]
    """A :class:`MultiDict` that cannot be modified (``request.args``, ``request.form``).

    Mutators raise ``TypeError``; :meth:`copy` returns a mutable :class:`MultiDict`. Hashable.
    """

    __slots__ = ("_hash_cache",)

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        """Return a mutable :class:`MultiDict` copy."""
        return MultiDict(self)

    def __copy__(self) -> te.Self:
        return self


class CombinedMultiDict(ImmutableMultiDictMixin[K, V], MultiDict[K, V]):
    """A read-only view over several :class:`MultiDict` objects, searched in order.

    ``request.values`` combines ``args`` and ``form`` this way. Lookups return the first dict's
    value that has the key; :meth:`getlist` concatenates the values of all dicts. Changes to the
    underlying dicts show through.

    :param dicts: the multi dicts to combine, first match wins.
    """

    __slots__ = ("_hash_cache", "dicts")

    def __init__(self, dicts: cabc.Iterable[MultiDict[K, V]] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        return type(self), (self.dicts,)

    @classmethod
    def fromkeys(cls, keys: t.Any, value: t.Any = None) -> t.NoReturn:
        """Not supported: raises ``TypeError``."""
        raise TypeError(f"cannot create {cls.__name__!r} instances by fromkeys")

    def __getitem__(self, key: K) -> V:
        for d in self.dicts:
            values: list[V] | None = _dict_get(d, key)
            if values:
                return values[0]
        raise _bad_key(key)

    @t.overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @t.overload
    def get(self, key: K, default: V) -> V: ...
    @t.overload
    def get(self, key: K, default: T) -> V | T: ...
    @t.overload
    def get(self, key: K, *, type: cabc.Callable[[V], T]) -> T | None: ...
    @t.overload
    def get(self, key: K, default: T, type: cabc.Callable[[V], T]) -> T: ...
    def get(self, key: K, default: t.Any = None, type: t.Any = None) -> t.Any:
        """Return the first value for ``key`` found in the dicts, converted by ``type``.

        When ``type`` fails on one dict's value, the next dicts are tried before ``default``.
        """
        for d in self.dicts:
            values: list[V] | None = _dict_get(d, key)
            if not values:
                continue
            if type is None:
                return values[0]
            try:
                return type(values[0])
            except (ValueError, TypeError):
                continue
        return default

    def getlist(self, key: K, type: t.Any = None) -> list[t.Any]:
        """Return the values for ``key`` from all dicts, in order; see :meth:`MultiDict.getlist`."""
        rv: list[t.Any] = []
        for d in self.dicts:
            rv.extend(d.getlist(key, type))
        return rv

    def _keys_impl(self) -> dict[K, None]:
        keys: dict[K, None] = {}
        for d in self.dicts:
            keys.update(dict.fromkeys(dict.keys(d)))
        return keys

    def keys(self) -> cabc.KeysView[K]:  # type: ignore[override]
        """Return the keys of all dicts, without duplicates, in first-seen order."""
        return self._keys_impl().keys()

    def __iter__(self) -> cabc.Iterator[K]:
        return iter(self._keys_impl())

    def __len__(self) -> int:
        return len(self._keys_impl())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def items(self, multi: bool = False) -> cabc.Iterator[tuple[K, V]]:  # type: ignore[override]
        """Iterate ``(key, value)`` pairs: first value per key, or every value if ``multi``."""
        found: set[K] = set()
        for d in self.dicts:
            for key, value in d.items(multi):
                if multi:
                    yield key, value
                elif key not in found:
                    found.add(key)
                    yield key, value

    def values(self) -> cabc.Iterator[V]:  # type: ignore[override]
        """Iterate the first value of every key."""
        for _key, value in self.items():
            yield value

    def lists(self) -> cabc.Iterator[tuple[K, list[V]]]:
        """Iterate ``(key, values)`` with the values of all dicts merged per key."""
        merged: dict[K, list[V]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                merged.setdefault(key, []).extend(values)
        return iter(merged.items())

    def listvalues(self) -> cabc.Iterator[list[V]]:
        """Iterate the merged value list of every key."""
        return (values for _key, values in self.lists())

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        """Return a mutable :class:`MultiDict` holding all values."""
        return MultiDict(self)

    def __copy__(self) -> te.Self:
        return self

    def to_dict(self, flat: bool = True) -> t.Any:
        """Return a plain ``dict``: first values if ``flat``, else merged lists."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CombinedMultiDict):
            return self.dicts == other.dicts
        if isinstance(other, MultiDict):
            return dict(self.lists()) == dict(other.lists())
        return NotImplemented

    def __hash__(self) -> int:  # type: ignore[override]
        return super().__hash__()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"
