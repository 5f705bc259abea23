"""HTTP header collections: :class:`Headers`, the WSGI :class:`EnvironHeaders` view, :class:`HeaderSet`.

Header names are case-insensitive and a name may repeat (``Set-Cookie``), so :class:`Headers` is
an ordered list of ``(name, value)`` pairs with a dict-like API on top. Values containing a
carriage return or line feed are refused: written to the wire they would end the header early
and let the rest of the value inject headers or a body (response splitting).
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

from .structures import MultiDict
from .structures import _bad_key
from .structures import _immutable
from .structures import iter_multi_items

if t.TYPE_CHECKING:
    import typing_extensions as te

T = t.TypeVar("T")

_missing: t.Any = object()

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)

HeadersSource: t.TypeAlias = (
    "Headers | MultiDict[str, t.Any] | cabc.Mapping[str, t.Any] | cabc.Iterable[tuple[str, t.Any]]"
)


def _quote_header_value(value: t.Any) -> str:
    """Return ``value`` as a token when possible, else as an escaped quoted string."""
    text = str(value)
    if not text:
        return '""'
    if _TOKEN_CHARS.issuperset(text):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _with_options(value: t.Any, options: dict[str, t.Any]) -> str:
    """Append ``; key=value`` parameters like ``dump_options_header``.

    Underscores in keys become dashes; ``None`` values are skipped; a key ending in ``*``
    (RFC 2231 extended value) is written without quoting because it is already encoded.
    """
    segments = [str(value)]
    for key, option in options.items():
        if option is None:
            continue
        name = key.replace("_", "-")
        if name[-1] == "*":
            segments.append(f"{name}={option}")
        else:
            segments.append(f"{name}={_quote_header_value(option)}")
    return "; ".join(segments)


# Decoded and lower-cased forms of raw header names: the same few dozen names arrive on every
# request. Clients choose names, so the cache stops growing at a fixed size.
_RAW_NAMES: dict[bytes, tuple[str, str]] = {}
_RAW_NAMES_MAX = 512


def _decode_raw_name(key: bytes) -> tuple[str, str]:
    text = key.decode("latin-1")
    name = (text, text.lower())
    if len(_RAW_NAMES) < _RAW_NAMES_MAX:
        _RAW_NAMES[bytes(key)] = name
    return name


def _check_name(key: t.Any) -> str:
    if type(key) is not str:
        if not isinstance(key, str):
            raise TypeError(f"Header names must be str, not {type(key).__name__}.")
        key = str(key)
    if "\n" in key or "\r" in key:
        raise ValueError("Header names must not contain newline characters.")
    return key


def _check_value(value: t.Any) -> str:
    if type(value) is not str:
        value = str(value)
    if "\n" in value or "\r" in value:
        raise ValueError("Header values must not contain newline characters.")
    return value


class Headers(cabc.MutableMapping[t.Any, t.Any]):
    """An ordered, case-insensitive multi-value collection of HTTP headers.

    ``headers[name]`` returns the first value; :meth:`getlist` returns all of them. Iterating
    yields ``(name, value)`` tuples (as in werkzeug), ``len`` counts pairs. Integer and slice
    indexes address the pair list directly. Non-``str`` values are converted with ``str()``.

    :param defaults: initial headers: another :class:`Headers`, a :class:`MultiDict`, a mapping
        (list/tuple/set values add one header per element) or an iterable of pairs.
    :raises ValueError: if a name or value contains ``\\r`` or ``\\n``.
    """

    __slots__ = ("_list", "_lower")

    def __init__(self, defaults: HeadersSource | None = None) -> None:
        if defaults is not None and type(defaults) is Headers:
            self._list: list[tuple[str, str]] = defaults._list.copy()
            # Lower-cased names, index-aligned with _list, so lookups run at C speed.
            self._lower: list[str] = defaults._lower.copy()
            return
        self._list = []
        self._lower = []
        if defaults is not None:
            self.extend(defaults)

    @classmethod
    def from_raw(cls, raw: cabc.Iterable[tuple[bytes, bytes]]) -> te.Self:
        """Build headers from ASGI ``scope["headers"]``: byte pairs decoded as latin-1.

        The server has already split the header block on line ends, so values cannot hold a
        newline and are not scanned again.
        """
        rv = cls()
        if type(raw) is not list:
            raw = list(raw)  # read twice below
        get = _RAW_NAMES.get
        try:
            names = [get(key) or _decode_raw_name(key) for key, _value in raw]
        except TypeError:  # a bytearray name is unhashable
            names = [_decode_raw_name(key) for key, _value in raw]
        rv._list = [
            (name[0], value.decode("latin-1"))
            for name, (_key, value) in zip(names, raw, strict=True)
        ]
        rv._lower = [name[1] for name in names]
        return rv

    # -- reading ---------------------------------------------------------------------------

    @t.overload
    def __getitem__(self, key: str) -> str: ...
    @t.overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @t.overload
    def __getitem__(self, key: slice) -> te.Self: ...
    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | te.Self:
        """Return the first value for a name, the pair at an index, or a slice as Headers.

        :raises tumbler.exceptions.BadRequestKeyError: if the name is missing.
        :raises IndexError: if an index is out of range.
        """
        if isinstance(key, str):
            ikey = key.lower()
            lower = self._lower
            if ikey in lower:
                return self._list[lower.index(ikey)][1]
            raise _bad_key(key)
        if isinstance(key, int):
            return self._list[key]
        if isinstance(key, slice):
            return self.__class__(self._list[key])
        raise _bad_key(key)

    @t.overload
    def get(self, key: str) -> str | None: ...
    @t.overload
    def get(self, key: str, default: str) -> str: ...
    @t.overload
    def get(self, key: str, default: T) -> str | T: ...
    @t.overload
    def get(self, key: str, *, type: cabc.Callable[[str], T]) -> T | None: ...
    @t.overload
    def get(self, key: str, default: T, type: cabc.Callable[[str], T]) -> T: ...
    def get(
        self, key: str, default: t.Any = None, type: cabc.Callable[[str], t.Any] | None = None
    ) -> t.Any:
        """Return the first value for ``key``, converted by ``type`` when given.

        :param key: header name, any case.
        :param default: returned when the header is missing, or when ``type`` raises
            ``ValueError`` or ``TypeError`` (``get("Content-Length", type=int)`` never fails).
        :param type: a callable converting the value.
        """
        ikey = key.lower()
        lower = self._lower
        if ikey not in lower:
            return default
        rv = self._list[lower.index(ikey)][1]
        if type is None:
            return rv
        try:
            return type(rv)
        except (ValueError, TypeError):
            return default

    @t.overload
    def getlist(self, key: str) -> list[str]: ...
    @t.overload
    def getlist(self, key: str, type: cabc.Callable[[str], T]) -> list[T]: ...
    def getlist(self, key: str, type: cabc.Callable[[str], T] | None = None) -> list[str] | list[T]:
        """Return all values for ``key`` in order (an empty list when missing).

        :param type: a callable converting each value; values for which it raises
            ``ValueError`` or ``TypeError`` are left out.
        """
        ikey = key.lower()
        values = [
            pair[1] for name, pair in zip(self._lower, self._list, strict=True) if name == ikey
        ]
        if type is None:
            return values
        result: list[T] = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def get_all(self, name: str) -> list[str]:
        """Return all values for ``name``; the :mod:`wsgiref` spelling of :meth:`getlist`."""
        return self.getlist(name)

    def __contains__(self, key: object) -> bool:
        """Return whether a header with this name (any case) is present."""
        return isinstance(key, str) and key.lower() in self._lower

    def __iter__(self) -> cabc.Iterator[tuple[str, str]]:
        """Iterate ``(name, value)`` pairs in order."""
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def items(self, lower: bool = False) -> cabc.Iterator[tuple[str, str]]:  # type: ignore[override]
        """Iterate ``(name, value)`` pairs; names are lower-cased when ``lower`` is true."""
        for key, value in self:
            yield (key.lower() if lower else key), value

    def keys(self, lower: bool = False) -> cabc.Iterator[str]:  # type: ignore[override]
        """Iterate header names in order, repeated names included."""
        for key, _value in self:
            yield key.lower() if lower else key

    def values(self) -> cabc.Iterator[str]:  # type: ignore[override]
        """Iterate header values in order."""
        for _key, value in self:
            yield value

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return a new list of ``(name, value)`` pairs for WSGI ``start_response``."""
        if type(self) is Headers:
            return self._list.copy()
        return list(self.__iter__())

    def copy(self) -> te.Self:
        """Return a shallow copy."""
        rv = self.__class__()
        rv._list = self._list.copy()
        rv._lower = self._lower.copy()
        return rv

    def __copy__(self) -> te.Self:
        return self.copy()

    def __eq__(self, other: object) -> bool:
        """Equal when both have the same values per name (any case) in the same order."""
        if not isinstance(other, Headers) or isinstance(other, EnvironHeaders):
            return NotImplemented
        return _grouped(self) == _grouped(other)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        """Return the header block for the wire: ``Name: value`` lines and a blank line."""
        lines = [f"{key}: {value}" for key, value in self]
        lines.append("\r\n")
        return "\r\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    # -- writing ---------------------------------------------------------------------------

    def add(self, key: str, value: t.Any, /, **kwargs: t.Any) -> None:
        """Append a header, keeping any existing ones with the same name.

        Keyword arguments become parameters: ``add("Content-Disposition", "attachment",
        filename="a.txt")`` adds ``attachment; filename=a.txt`` (underscores in keywords become
        dashes, non-token values are quoted, ``None`` values are skipped).

        :raises ValueError: if the name or value contains a newline.
        """
        if kwargs:
            value = _with_options(value, kwargs)
        key = _check_name(key)
        self._list.append((key, _check_value(value)))
        self._lower.append(key.lower())

    def add_header(self, key: str, value: t.Any, /, **kwargs: t.Any) -> None:
        """Alias of :meth:`add`, as in :mod:`wsgiref`."""
        self.add(key, value, **kwargs)

    def set(self, key: str, value: t.Any, /, **kwargs: t.Any) -> None:
        """Replace all headers named ``key`` with one; it takes the first one's position.

        Keyword arguments work as in :meth:`add`. A new name is appended at the end.

        :raises ValueError: if the name or value contains a newline.
        """
        if kwargs:
            value = _with_options(value, kwargs)
        key = _check_name(key)
        pair = (key, _check_value(value))
        ikey = key.lower()
        lower = self._lower
        if ikey not in lower:
            self._list.append(pair)
            lower.append(ikey)
            return
        index = lower.index(ikey)
        self._list[index] = pair
        if ikey in lower[index + 1 :]:
            self._drop(ikey, start=index + 1)

    def _drop(self, ikey: str, start: int = 0) -> None:
        """Remove every pair at or after ``start`` whose lower-cased name is ``ikey``."""
        keep = [i for i in range(start, len(self._lower)) if self._lower[i] != ikey]
        self._list[start:] = [self._list[i] for i in keep]
        self._lower[start:] = [self._lower[i] for i in keep]

    def setlist(self, key: str, values: cabc.Iterable[t.Any]) -> None:
        """Replace all headers named ``key`` with one header per value (none removes them)."""
        iterator = iter(values)
        first = next(iterator, _missing)
        if first is _missing:
            self.remove(key)
            return
        self.set(key, first)
        for value in iterator:
            self.add(key, value)

    def setdefault(self, key: str, default: t.Any) -> str:  # type: ignore[override]
        """Return the first value for ``key``, first setting it to ``default`` when missing."""
        if key in self:
            return self[key]
        self.set(key, default)
        return self[key]

    def setlistdefault(self, key: str, default: cabc.Iterable[t.Any]) -> list[str]:
        """Return the values for ``key``, first setting them to ``default`` when missing.

        The returned list is a copy: changing it does not change the headers.
        """
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def extend(self, arg: HeadersSource | None = None, /, **kwargs: t.Any) -> None:
        """Add headers from ``arg`` and keyword arguments, keeping existing ones.

        :param arg: anything the constructor accepts.
        :raises ValueError: if a name or value contains a newline.
        """
        if arg is not None:
            if type(arg) is Headers:
                # Already validated: copy without re-checking every pair.
                self._list.extend(arg._list)
                self._lower.extend(arg._lower)
            elif isinstance(arg, (list, tuple)):
                pairs = self._list
                lower = self._lower
                for key, value in arg:
                    name = _check_name(key)
                    pairs.append((name, _check_value(value)))
                    lower.append(name.lower())
            else:
                for key, value in iter_multi_items(arg):
                    self.add(key, value)
        if kwargs:
            for key, value in iter_multi_items(kwargs):
                self.add(key, value)

    def update(  # type: ignore[override]
        self, arg: HeadersSource | None = None, /, **kwargs: t.Any
    ) -> None:
        """Replace headers by name: each name given in ``arg`` or ``kwargs`` gets exactly the
        values given for it there; other headers stay.

        A mapping value that is a list, tuple or set gives several values.

        :raises ValueError: if a name or value contains a newline.
        """
        groups: dict[str, tuple[str, list[t.Any]]] = {}

        def collect(pairs: cabc.Iterable[tuple[str, t.Any]]) -> None:
            for key, value in pairs:
                ikey = key.lower()
                if ikey in groups:
                    groups[ikey][1].append(value)
                else:
                    groups[ikey] = (key, [value])

        if arg is not None:
            if isinstance(arg, cabc.Mapping) and not isinstance(arg, (Headers, MultiDict)):
                for key, value in arg.items():
                    if isinstance(value, cabc.Collection) and not isinstance(value, (str, bytes)):
                        groups[key.lower()] = (key, list(value))
                    else:
                        groups[key.lower()] = (key, [value])
            else:
                collect(iter_multi_items(arg))
        for key, value in kwargs.items():
            if isinstance(value, cabc.Collection) and not isinstance(value, (str, bytes)):
                groups[key.lower()] = (key, list(value))
            else:
                groups[key.lower()] = (key, [value])
        for key, values in groups.values():
            self.setlist(key, values)

    def __or__(self, other: cabc.Mapping[str, t.Any]) -> te.Self:
        if not isinstance(other, cabc.Mapping):
            return NotImplemented
        rv = self.copy()
        rv.update(other)
        return rv

    def __ior__(
        self, other: cabc.Mapping[str, t.Any] | cabc.Iterable[tuple[str, t.Any]]
    ) -> te.Self:
        if not isinstance(other, (cabc.Mapping, cabc.Iterable)) or isinstance(other, str):
            return NotImplemented
        self.update(other)
        return self

    @t.overload
    def __setitem__(self, key: str, value: t.Any) -> None: ...
    @t.overload
    def __setitem__(self, key: int, value: tuple[str, t.Any]) -> None: ...
    @t.overload
    def __setitem__(self, key: slice, value: cabc.Iterable[tuple[str, t.Any]]) -> None: ...
    def __setitem__(self, key: str | int | slice, value: t.Any) -> None:
        """Set by name (like :meth:`set`), or replace the pair(s) at an index or slice."""
        if isinstance(key, str):
            self.set(key, value)
        elif isinstance(key, int):
            name = _check_name(value[0])
            self._list[key] = (name, _check_value(value[1]))
            self._lower[key] = name.lower()
        else:
            pairs = [(_check_name(k), _check_value(v)) for k, v in value]
            self._list[key] = pairs
            self._lower[key] = [k.lower() for k, _v in pairs]

    def __delitem__(self, key: str | int | slice) -> None:
        """Delete all headers with a name, or the pair(s) at an index or slice."""
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]
            del self._lower[key]

    def remove(self, key: str) -> None:
        """Remove every header named ``key``; a missing name is not an error."""
        ikey = key.lower()
        if ikey in self._lower:
            self._drop(ikey)

    @t.overload
    def pop(self) -> tuple[str, str]: ...
    @t.overload
    def pop(self, key: str) -> str: ...
    @t.overload
    def pop(self, key: int | None = ...) -> tuple[str, str]: ...
    @t.overload
    def pop(self, key: str, default: str) -> str: ...
    @t.overload
    def pop(self, key: str, default: T) -> str | T: ...
    def pop(self, key: str | int | None = None, default: t.Any = _missing) -> t.Any:
        """Remove and return a header.

        :param key: ``None`` pops the last pair, an int pops the pair at that index, a name
            removes all headers with it and returns the first value.
        :param default: returned when the name is missing.
        :raises tumbler.exceptions.BadRequestKeyError: if the name is missing and no default
            is given.
        :raises IndexError: if there is no pair at the index.
        """
        if key is None or isinstance(key, int):
            index = -1 if key is None else key
            self._lower.pop(index)
            return self._list.pop(index)
        if key not in self:
            if default is not _missing:
                return default
            raise _bad_key(key)
        rv = self[key]
        self.remove(key)
        return rv

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last ``(name, value)`` pair.

        :raises IndexError: if there are no headers (as werkzeug does).
        """
        return self.pop()

    def clear(self) -> None:
        """Remove all headers."""
        self._list.clear()
        self._lower.clear()


def _grouped(headers: Headers) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key, value in headers:
        groups.setdefault(key.lower(), []).append(value)
    return groups


class ImmutableHeadersMixin:
    """Make a :class:`Headers` subclass read-only: every mutator raises ``TypeError``."""

    __slots__ = ()

    def __delitem__(self, key: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def __setitem__(self, key: t.Any, value: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def set(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def setlist(self, key: t.Any, values: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def add(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def add_header(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def remove(self, key: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def extend(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def update(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def __ior__(self, other: t.Any) -> t.NoReturn:
        raise _immutable(self)

    def insert(self, pos: t.Any, value: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def pop(self, key: t.Any = None, default: t.Any = None) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def popitem(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def setdefault(self, key: t.Any, default: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def setlistdefault(self, key: t.Any, default: t.Any) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)

    def clear(self) -> t.NoReturn:
        """Refuse to modify: raises ``TypeError``."""
        raise _immutable(self)


_CONTENT_KEYS = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))


# Header name -> environ key ("Content-Type" -> "CONTENT_TYPE", "Host" -> "HTTP_HOST"),
# memoised for the names code looks up; bounded, as names can come from clients.
_ENVIRON_KEYS: dict[str, str] = {}
_ENVIRON_KEYS_MAX = 512


def _environ_key(key: str) -> str:
    name = key.upper().replace("-", "_")
    if name not in _CONTENT_KEYS:
        name = "HTTP_" + name
    if len(_ENVIRON_KEYS) < _ENVIRON_KEYS_MAX:
        _ENVIRON_KEYS[key] = name
    return name


#: :meth:`RawHeaders.summary`: (total size, first Host, Cookie sent, first Content-Length
#: (raw), Transfer-Encoding sent). A plain tuple: it is made for every ASGI request.
RawSummary = tuple[int, "str | None", bool, "bytes | None", bool]

_SUMMARY_NAMES = frozenset({b"host", b"cookie", b"content-length", b"transfer-encoding"})
_LIST_SLOT: t.Any = Headers.__dict__["_list"]
_LOWER_SLOT: t.Any = Headers.__dict__["_lower"]


def _summarize(raw: list[tuple[bytes, bytes]]) -> RawSummary:
    size = 0
    host: str | None = None
    cookie = chunked = False
    length: bytes | None = None
    watched = _SUMMARY_NAMES
    for key, value in raw:
        size += len(key) + len(value)
        if key not in watched:
            if key.islower():
                continue
            key = key.lower()  # servers send lower case; a few may not
            if key not in watched:
                continue
        if key == b"host":
            if host is None:
                host = value.decode("latin-1")
        elif key == b"cookie":
            cookie = True
        elif key == b"content-length":
            if length is None:
                length = value
        else:
            chunked = True
    return size, host, cookie, length, chunked


class RawHeaders(Headers):
    """Request headers from ASGI ``scope["headers"]``, decoded on first use.

    Until something reads them as a whole, the raw byte pairs are kept as they came and only
    :meth:`raw_get`, :attr:`raw` and ``in`` look at them; most requests need no more (the
    security checks read the host and the sizes, the session looks for a cookie). The first
    other use decodes them as :meth:`Headers.from_raw` does and the object becomes a plain
    :class:`Headers` (its class changes).

    :param raw: the scope's ``headers``: ``(name, value)`` byte pairs.
    """

    __slots__ = ()

    def __init__(self, raw: cabc.Iterable[tuple[bytes, bytes]]) -> None:
        # The raw pairs wait in Headers' own ``_list`` slot, read through the base's
        # descriptor: this class's ``_list`` attribute is the property that decodes them.
        _LIST_SLOT.__set__(self, raw if type(raw) is list else list(raw))
        # Until decoded, the ``_lower`` slot holds the summary (None: not made yet).
        _LOWER_SLOT.__set__(self, None)

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The undecoded ``(name, value)`` byte pairs."""
        return _LIST_SLOT.__get__(self)

    def summary(self) -> RawSummary:
        """What the pipeline reads of every request, from one pass over the raw pairs: the
        total size, the first ``Host``, whether a ``Cookie`` was sent, the first
        ``Content-Length`` (raw) and whether a ``Transfer-Encoding`` was sent."""
        summary: RawSummary | None = _LOWER_SLOT.__get__(self)
        if summary is None:
            raw = _LIST_SLOT.__get__(self)
            try:
                summary = _summarize(raw)
            except TypeError:  # a bytearray name is unhashable
                summary = _summarize([(bytes(key), value) for key, value in raw])
            _LOWER_SLOT.__set__(self, summary)
        return summary

    def raw_get(self, name: bytes) -> str | None:
        """Return the first value of the header ``name`` (lower-case bytes), decoded."""
        for key, value in _LIST_SLOT.__get__(self):
            if key == name or key.lower() == name:
                return value.decode("latin-1")
        return None

    def __contains__(self, key: object) -> bool:
        if type(key) is str and key.isascii():
            name = key.lower()
            if name == "cookie":
                return self.summary()[2]
            return self.raw_get(name.encode()) is not None
        return super().__contains__(key)

    # What reads the class before the header lists: decode first, then ask again (the object
    # is a Headers by then).
    def copy(self) -> Headers:  # type: ignore[override]
        self._decode()
        return self.copy()

    def __getitem__(self, key: t.Any) -> t.Any:
        self._decode()
        return self[key]

    def __repr__(self) -> str:
        self._decode()
        return repr(self)

    def __reduce_ex__(self, protocol: t.SupportsIndex) -> t.Any:
        self._decode()
        return self.__reduce_ex__(protocol)

    def _decode(self) -> None:
        decoded = Headers.from_raw(_LIST_SLOT.__get__(self))
        _LIST_SLOT.__set__(self, decoded._list)
        _LOWER_SLOT.__set__(self, decoded._lower)
        self.__class__ = Headers  # type: ignore[assignment]

    @property
    def _list(self) -> list[tuple[str, str]]:  # type: ignore[override]
        self._decode()
        return _LIST_SLOT.__get__(self)

    @property
    def _lower(self) -> list[str]:  # type: ignore[override]
        self._decode()
        return _LOWER_SLOT.__get__(self)


class EnvironHeaders(ImmutableHeadersMixin, Headers):  # type: ignore[misc]
    """A read-only :class:`Headers` view over a WSGI environ, read on each access.

    ``HTTP_X_FORWARDED_FOR`` appears as ``X-Forwarded-For``; ``CONTENT_TYPE`` and
    ``CONTENT_LENGTH`` appear as ``Content-Type`` and ``Content-Length`` when not empty. Nothing
    is copied, so later environ changes show through. Mutators raise ``TypeError``.

    :param environ: the WSGI environ.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: cabc.Mapping[str, t.Any]) -> None:
        self._list = []
        self._lower = []
        self.environ = environ

    def _value(self, key: t.Any) -> str | None:
        try:
            environ_key = _ENVIRON_KEYS[key]
        except (KeyError, TypeError):
            if not isinstance(key, str):
                return None
            environ_key = _environ_key(key)
        if environ_key in _CONTENT_KEYS:
            return self.environ.get(environ_key) or None
        return self.environ.get(environ_key)

    def __getitem__(self, key: str) -> str:  # type: ignore[override]
        """Return the header value.

        :raises tumbler.exceptions.BadRequestKeyError: if the header is missing.
        """
        value = self._value(key)
        if value is None:
            raise _bad_key(key)
        return value

    def get(self, key: str, default: t.Any = None, type: t.Any = None) -> t.Any:
        """Return the header value, converted by ``type``; see :meth:`Headers.get`."""
        value = self._value(key)
        if value is None:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str, type: t.Any = None) -> list[t.Any]:
        """Return ``[value]``, or ``[]`` when missing or when ``type`` fails on the value.

        A WSGI server joins repeated request headers into one value.
        """
        value = self._value(key)
        if value is None:
            return []
        if type is None:
            return [value]
        try:
            return [type(value)]
        except (ValueError, TypeError):
            return []

    def __contains__(self, key: object) -> bool:
        return self._value(key) is not None

    def __iter__(self) -> cabc.Iterator[tuple[str, str]]:
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    yield key[5:].replace("_", "-").title(), value
            elif key in _CONTENT_KEYS and value:
                yield key.replace("_", "-").title(), value

    def __len__(self) -> int:
        return sum(1 for _pair in self)

    def copy(self) -> t.NoReturn:
        """Not supported: raises ``TypeError``; use ``Headers(environ_headers)``."""
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def __or__(self, other: t.Any) -> t.NoReturn:
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EnvironHeaders):
            return NotImplemented
        return self.environ is other.environ

    __hash__ = None


class HeaderSet(cabc.MutableSet[str]):
    """An ordered, case-insensitive set of header tokens (``Vary``, ``Allow``, ...).

    :param headers: initial items.
    :param on_update: called with the set after every change, or ``None``.
    """

    __slots__ = ("_headers", "_set", "on_update")

    def __init__(
        self,
        headers: cabc.Iterable[str] | None = None,
        on_update: cabc.Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._set: set[str] = set()
        for header in headers or ():
            key = header.lower()
            if key not in self._set:
                self._headers.append(header)
                self._set.add(key)
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless an equal one (any case) is present."""
        self.update((header,))

    def remove(self, header: str) -> None:
        """Remove ``header`` (any case).

        :raises KeyError: if it is not in the set.
        """
        key = header.lower()
        if key not in self._set:
            raise KeyError(header)
        self._set.remove(key)
        del self._headers[self.find(header)]
        self._changed()

    def discard(self, header: str) -> None:
        """Remove ``header`` (any case) if present."""
        if header.lower() in self._set:
            self.remove(header)

    def update(self, iterable: cabc.Iterable[str]) -> None:
        """Add every item of ``iterable`` not yet present; notify once if any was added."""
        inserted = False
        for header in iterable:
            key = header.lower()
            if key not in self._set:
                self._headers.append(header)
                self._set.add(key)
                inserted = True
        if inserted:
            self._changed()

    def find(self, header: str) -> int:
        """Return the position of ``header`` (any case), or ``-1`` when absent."""
        key = header.lower()
        for index, item in enumerate(self._headers):
            if item.lower() == key:
                return index
        return -1

    def index(self, header: str) -> int:
        """Return the position of ``header`` (any case).

        :raises IndexError: if it is not in the set.
        """
        rv = self.find(header)
        if rv < 0:
            raise IndexError(header)
        return rv

    def clear(self) -> None:
        """Remove every item, then notify."""
        self._set.clear()
        self._headers.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """Return a plain ``set``: lower-cased items, or original spellings if asked."""
        if preserve_casing:
            return set(self._headers)
        return set(self._set)

    def to_header(self) -> str:
        """Return the comma-separated header value, quoting items that are not tokens."""
        return ", ".join(map(_quote_header_value, self._headers))

    def __getitem__(self, index: int) -> str:
        return self._headers[index]

    def __delitem__(self, index: int) -> None:
        removed = self._headers.pop(index)
        self._set.remove(removed.lower())
        self._changed()

    def __setitem__(self, index: int, value: str) -> None:
        old_key = self._headers[index].lower()
        key = value.lower()
        if key != old_key and key in self._set:
            # The value is already elsewhere in the set: move it here rather than duplicate it.
            duplicate = self.find(value)
            self._headers[index] = value
            del self._headers[duplicate]
        else:
            self._headers[index] = value
            self._set.add(key)
        if key != old_key:
            self._set.remove(old_key)
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __len__(self) -> int:
        return len(self._set)

    def __iter__(self) -> cabc.Iterator[str]:
        return iter(self._headers)

    def __bool__(self) -> bool:
        return bool(self._set)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"
