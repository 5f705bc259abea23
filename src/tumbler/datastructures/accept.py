"""Parsed ``Accept``-family headers and content negotiation.

:func:`tumbler.http.parse_accept_header` builds these; ``request.accept_mimetypes`` and its
siblings return them. Entries are ``(value, quality)`` pairs ordered most specific first,
then by quality, so the first entry that matches a value is the one that applies to it
(``text/html;q=0, */*`` refuses HTML but accepts everything else).
"""

from __future__ import annotations

import codecs
import re
import typing as t
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence

__all__ = ["Accept", "CharsetAccept", "LanguageAccept", "MIMEAccept"]


class Accept:
    """An immutable, ordered list of ``(value, quality)`` pairs from an ``Accept-*`` header.

    Used as is for ``Accept-Encoding``; :class:`MIMEAccept`, :class:`LanguageAccept` and
    :class:`CharsetAccept` refine how values match. Indexing with an int gives the pair;
    indexing with a str gives that value's quality (``0`` if not accepted).

    :param values: ``(value, quality)`` pairs, or ``None`` if the header was missing.
    Behaves as an immutable sequence (and is registered as a ``Sequence``) without being
    typed as one, so that ``"text/html" in accept`` type-checks.
    """

    __slots__ = ("_items", "provided")

    def __init__(self, values: Iterable[tuple[str, float]] | None = ()) -> None:
        if values is None:
            self.provided = False
            self._items: tuple[tuple[str, float], ...] = ()
        elif isinstance(values, Accept):
            self.provided = values.provided
            self._items = values._items
        else:
            self.provided = True
            self._items = tuple(
                sorted(
                    ((value, float(q)) for value, q in values),
                    key=lambda item: (self._specificity(item[0]), item[1]),
                    reverse=True,
                )
            )

    def _specificity(self, value: str) -> tuple[bool, ...]:
        """How specific a header value is; larger tuples sort first."""
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        """Whether the application's ``value`` is covered by the header's ``item``."""
        return item == "*" or item.lower() == value.lower()

    @t.overload
    def __getitem__(self, key: str) -> float: ...
    @t.overload
    def __getitem__(self, key: int) -> tuple[str, float]: ...
    @t.overload
    def __getitem__(self, key: slice) -> Sequence[tuple[str, float]]: ...
    def __getitem__(
        self, key: str | int | slice
    ) -> float | tuple[str, float] | Sequence[tuple[str, float]]:
        """The quality for a str key, the pair for an index, a tuple of pairs for a slice."""
        if isinstance(key, str):
            return self.quality(key)
        return self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __reversed__(self) -> Iterator[tuple[str, float]]:
        return reversed(self._items)

    def count(self, item: tuple[str, float]) -> int:
        """How many times the exact ``(value, quality)`` pair occurs."""
        return self._items.count(item)

    def __contains__(self, value: object) -> bool:
        """Whether ``value`` is acceptable: matched by an entry whose quality is above 0."""
        if isinstance(value, tuple):
            return value in self._items
        if not isinstance(value, str):
            return False
        return self.quality(value) > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Accept):
            return type(self) is type(other) and self._items == other._items
        if isinstance(other, list | tuple):
            return list(self._items) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((type(self), self._items))

    def __repr__(self) -> str:
        pairs = ", ".join(f"({value!r}, {q})" for value, q in self._items)
        return f"{type(self).__name__}([{pairs}])"

    def _first_match(self, value: str) -> tuple[str, float] | None:
        for item, quality in self._items:
            if self._value_matches(value, item):
                return item, quality
        return None

    def quality(self, key: str) -> float:
        """The quality of the most specific entry matching ``key``, or ``0`` if none does."""
        match = self._first_match(key)
        return 0 if match is None else match[1]

    def find(self, key: str | tuple[str, float]) -> int:
        """The index of the first entry matching ``key`` (a value or an exact pair), or -1."""
        if isinstance(key, str):
            for index, (item, _) in enumerate(self._items):
                if self._value_matches(key, item):
                    return index
            return -1
        try:
            return self._items.index(key)
        except ValueError:
            return -1

    def index(self, key: str | tuple[str, float]) -> int:
        """Like :meth:`find` but raises ``ValueError`` when nothing matches."""
        position = self.find(key)
        if position == -1:
            raise ValueError(key)
        return position

    def values(self) -> Iterator[str]:
        """Iterate over the values, without qualities."""
        for value, _ in self._items:
            yield value

    def to_header(self) -> str:
        """Serialise back to a header value, adding ``;q=`` where the quality is not 1."""
        parts = []
        for value, quality in self._items:
            if quality != 1:
                parts.append(f"{value};q={quality:g}")
            else:
                parts.append(value)
        return ",".join(parts)

    def __str__(self) -> str:
        return self.to_header()

    @t.overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @t.overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """Pick the value the client prefers among those the application offers.

        Each offered value gets the quality of the most specific header entry that matches
        it; the highest quality wins, then the more specific entry, then the earlier offer.
        Values whose quality is 0 are never chosen.

        :param matches: The values the application can produce, in its order of preference.
        :param default: Returned when nothing offered is acceptable.
        """
        result = default
        best_quality: float = 0
        best_specificity: tuple[bool, ...] = ()
        for value in matches:
            match = self._first_match(value)
            if match is None:
                continue
            item, quality = match
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(item)
            if quality > best_quality or specificity > best_specificity:
                result, best_quality, best_specificity = value, quality, specificity
        return result

    @property
    def best(self) -> str | None:
        """The most specific, highest quality acceptable value, or ``None`` if there is none."""
        for value, quality in self._items:
            if quality > 0:
                return value
        return None


Sequence.register(Accept)

_MIME_SPLIT_RE = re.compile(r"/|\s*;\s*")


def _normalize_mime(value: str) -> list[str]:
    return _MIME_SPLIT_RE.split(value.lower())


class MIMEAccept(Accept):
    """An ``Accept`` header: media types with ``type/*`` and ``*/*`` wildcards and parameters.

    A header entry with parameters matches only the same type with the same parameters.
    """

    __slots__ = ()

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple(part != "*" for part in _MIME_SPLIT_RE.split(value))

    def _value_matches(self, value: str, item: str) -> bool:
        """Match an application media type against a header entry.

        :raises ValueError: If the application's ``value`` is not a media type; a bad entry
            from the client simply does not match.
        """
        if "/" not in value:
            raise ValueError(f"invalid mimetype {value!r}")
        value_type, value_sub, *value_params = _normalize_mime(value)
        if value_type == "*" and value_sub != "*":
            raise ValueError(f"invalid mimetype {value!r}")
        if "/" not in item:
            return False
        item_type, item_sub, *item_params = _normalize_mime(item)
        if item_type == "*" and item_sub != "*":
            return False
        if item_type == "*" or value_type == "*":
            return True
        if item_type != value_type:
            return False
        if item_sub == "*" or value_sub == "*":
            return True
        return item_sub == value_sub and sorted(item_params) == sorted(value_params)

    @property
    def accept_html(self) -> bool:
        """Whether HTML (``text/html`` or XHTML) is acceptable."""
        return self.quality("text/html") > 0 or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """Whether ``application/xhtml+xml`` or ``application/xml`` is acceptable."""
        return self.quality("application/xhtml+xml") > 0 or self.quality("application/xml") > 0

    @property
    def accept_json(self) -> bool:
        """Whether ``application/json`` is acceptable."""
        return self.quality("application/json") > 0


_LOCALE_DELIM_RE = re.compile(r"[_-]")


def _normalize_lang(value: str) -> list[str]:
    return _LOCALE_DELIM_RE.split(value.lower())


class LanguageAccept(Accept):
    """An ``Accept-Language`` header; ``en-US`` and ``en_us`` compare equal."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _normalize_lang(value) == _normalize_lang(item)

    def _score(self, value: str) -> tuple[float, int]:
        """Quality and match tier of an offered language tag.

        An exact entry decides alone (tier 3, even when its quality is 0). Otherwise the best
        of: entries sharing a primary tag with ``value`` either way round (tier 2), and ``*``
        (tier 1). This lets a client's ``en-US`` choose an offered ``en`` over a ``de`` the
        client rates lower, which strict exact-first matching would not.
        """
        wanted = _normalize_lang(value)
        best: tuple[float, int] = (0, 0)
        for item, quality in self._items:
            if item == "*":
                best = max(best, (quality, 1))
                continue
            offered = _normalize_lang(item)
            if offered == wanted:
                return quality, 3
            if offered[0] == wanted[0] and (len(offered) == 1 or len(wanted) == 1):
                best = max(best, (quality, 2))
        return best

    @t.overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @t.overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """Like :meth:`Accept.best_match`, with primary-tag fallback.

        A client's ``en-US`` accepts an offered ``en``, and a client's ``en`` accepts an
        offered ``en-GB``, at the quality of that entry. An exact entry wins a tie with such a
        fallback, and a fallback wins a tie with ``*``.

        :param matches: The language tags the application offers, in its preference order.
        :param default: Returned when nothing offered is acceptable.
        """
        result = default
        best: tuple[float, int] = (0, 0)
        for value in matches:
            score = self._score(value)
            if score[0] > 0 and score > best:
                result, best = value, score
        return result


def _normalize_charset(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown codec, or a client name with a NUL byte
        return name.lower()


class CharsetAccept(Accept):
    """An ``Accept-Charset`` header; codec aliases compare equal (``UTF8`` is ``utf-8``)."""

    __slots__ = ()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _normalize_charset(value) == _normalize_charset(item)
