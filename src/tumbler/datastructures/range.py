"""The ``Range`` request header and the ``Content-Range`` response header."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

from ..http import is_byte_range_valid

__all__ = ["ContentRange", "Range"]


class Range:
    """A parsed ``Range`` header.

    :param units: The range unit, normally ``"bytes"``.
    :param ranges: ``(start, stop)`` pairs with an exclusive ``stop``; ``stop`` is ``None`` for
        an open range (``500-``), and a negative ``start`` with ``stop=None`` is a suffix
        (``-500``, the last 500 bytes).
    """

    __slots__ = ("ranges", "units")

    def __init__(self, units: str, ranges: Sequence[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = list(ranges)
        for start, stop in self.ranges:
            if start is None or (stop is not None and (start < 0 or start >= stop)):
                raise ValueError(f"{(start, stop)} is not a valid range.")

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """Resolve a single byte range against a resource of ``length`` bytes.

        :return: ``(start, stop)`` with ``stop`` exclusive and clamped to ``length``; a suffix
            longer than the resource selects all of it. ``None`` if the unit is not bytes,
            the length is unknown, there are several ranges, or the range is unsatisfiable
            (the caller then answers 416, or 200 for several ranges).
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start = max(0, start + length)
        if is_byte_range_valid(start, stop, length):
            return start, min(stop, length)
        return None

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """A :class:`ContentRange` for :meth:`range_for_length`, or ``None`` if unsatisfiable."""
        resolved = self.range_for_length(length)
        if resolved is None:
            return None
        return ContentRange(self.units, resolved[0], resolved[1], length)

    def to_header(self) -> str:
        """Serialise to a ``Range`` header value."""
        parts = []
        for start, stop in self.ranges:
            if stop is None:
                parts.append(f"{start}-" if start >= 0 else str(start))
            else:
                parts.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(parts)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` value answering this range, or ``None`` if unsatisfiable."""
        resolved = self.range_for_length(length)
        if resolved is None:
            return None
        return f"{self.units} {resolved[0]}-{resolved[1] - 1}/{length}"

    def __str__(self) -> str:
        return self.to_header()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return (self.units, self.ranges) == (other.units, other.ranges)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class ContentRange:
    """A ``Content-Range`` header; assigning any attribute calls ``on_update``.

    :param units: The range unit, or ``None`` for an unset range (header removed).
    :param start: The first byte, or ``None`` for an unsatisfied range (``bytes */length``).
    :param stop: The byte after the last one (exclusive), or ``None`` with ``start``.
    :param length: The full length, or ``None`` if unknown (``*``).
    :param on_update: Called with this object after each change.
    """

    __slots__ = ("_length", "_start", "_stop", "_units", "on_update")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        if not is_byte_range_valid(start, stop, length):
            raise ValueError("Bad range provided")
        self.on_update = on_update
        self._units = units
        self._start = start
        self._stop = stop
        self._length = length

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    @property
    def units(self) -> str | None:
        """The range unit, ``None`` if unset."""
        return self._units

    @units.setter
    def units(self, value: str | None) -> None:
        self._units = value
        self._changed()

    @property
    def start(self) -> int | None:
        """The first byte position."""
        return self._start

    @start.setter
    def start(self, value: int | None) -> None:
        self._start = value
        self._changed()

    @property
    def stop(self) -> int | None:
        """The byte position after the last one (exclusive)."""
        return self._stop

    @stop.setter
    def stop(self, value: int | None) -> None:
        self._stop = value
        self._changed()

    @property
    def length(self) -> int | None:
        """The full length of the resource, ``None`` if unknown."""
        return self._length

    @length.setter
    def length(self, value: int | None) -> None:
        self._length = value
        self._changed()

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Set all parts at once, calling ``on_update`` once.

        :raises ValueError: If the range is not valid for the length.
        """
        if not is_byte_range_valid(start, stop, length):
            raise ValueError("Bad range provided")
        self._units, self._start, self._stop, self._length = units, start, stop, length
        self._changed()

    def unset(self) -> None:
        """Clear the range; the response then drops its ``Content-Range`` header."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """Serialise to a header value; the empty string when unset."""
        if self._units is None:
            return ""
        length = "*" if self._length is None else str(self._length)
        if self._start is None or self._stop is None:
            return f"{self._units} */{length}"
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self._units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentRange):
            return NotImplemented
        return (self._units, self._start, self._stop, self._length) == (
            other._units,
            other._start,
            other._stop,
            other._length,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"
