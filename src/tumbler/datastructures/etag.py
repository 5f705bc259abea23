"""Entity tags from ``If-Match`` / ``If-None-Match`` and the ``If-Range`` header."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from datetime import datetime

from ..http import generate_etag
from ..http import http_date
from ..http import quote_etag
from ..http import unquote_etag

__all__ = ["ETags", "IfRange"]


class ETags:
    """A set of entity tags, split into strong and weak ones, or the wildcard ``*``.

    ``tag in etags`` uses the strong comparison (a wildcard contains everything). Iterating
    and ``len`` cover the strong tags, as in werkzeug.

    :param strong_etags: Unquoted strong tags.
    :param weak_etags: Unquoted weak tags.
    :param star_tag: Whether the header was ``*``.
    """

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(() if star_tag else strong_etags or ())
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags as a set, plus the weak ones if ``include_weak``."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` (unquoted) is one of the weak tags."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` (unquoted) is one of the strong tags."""
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison: whether ``etag`` is a weak or a strong tag, or the set is ``*``."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Strong comparison: whether ``etag`` is a strong tag, or the set is ``*``."""
        return self.star_tag or self.is_strong(etag)

    def contains_raw(self, etag: str) -> bool:
        """Like :meth:`contains` for a quoted tag; a ``W/`` tag uses the weak comparison."""
        value, weak = unquote_etag(etag)
        if value is None:
            return False
        return self.contains_weak(value) if weak else self.contains(value)

    def to_header(self) -> str:
        """Serialise to a header value, strong tags first."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [quote_etag(tag) for tag in sorted(self._strong)]
            + [quote_etag(tag, weak=True) for tag in sorted(self._weak)]
        )

    def __call__(
        self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False
    ) -> bool:
        """Whether the tag (or the tag of ``data``) is in the set, ignoring the wildcard.

        :raises TypeError: If neither ``etag`` nor ``data`` is given.
        """
        if etag is None:
            if data is None:
                raise TypeError("'data' is required when 'etag' is not given.")
            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __str__(self) -> str:
        return self.to_header()

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ETags):
            return NotImplemented
        return (self.star_tag, self._strong, self._weak) == (
            other.star_tag,
            other._strong,
            other._weak,
        )

    def __hash__(self) -> int:
        return hash((self.star_tag, self._strong, self._weak))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class IfRange:
    """An ``If-Range`` header: an entity tag or a date (or neither, when missing).

    :param etag: The unquoted entity tag.
    :param date: The date, an aware datetime.
    """

    __slots__ = ("date", "etag")

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        """Serialise to a header value; the empty string if neither part is set."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IfRange):
            return NotImplemented
        return (self.etag, self.date) == (other.etag, other.date)

    def __hash__(self) -> int:
        return hash((self.etag, self.date))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"
