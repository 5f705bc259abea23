"""URL converters: how a ``<converter:name>`` placeholder in a rule matches and builds.

A converter owns a regular expression (``regex``) that a path segment must match, a
``to_python`` that turns the matched text into the view argument, and a ``to_url`` that turns
a value back into URL text when building. Register your own with
``Map(converters={"name": MyConverter})`` or ``url_map.converters["name"] = MyConverter``.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from decimal import Decimal
from urllib.parse import quote

if t.TYPE_CHECKING:
    from .map import Map

# The WHATWG "path segment" safe set: these characters may appear unescaped in one segment.
_SEGMENT_SAFE = "!$&'()*+,:;=@"
# A value that may span segments (path converter) keeps its slashes.
_PATH_SAFE = _SEGMENT_SAFE + "/"


class ValidationError(ValueError):
    """Raised by a converter's ``to_python`` (or ``to_url``) to reject a value.

    During matching it makes the rule not match, and the router goes on with the next
    candidate rule. During building it makes the rule unsuitable, so the next rule of the
    endpoint is tried.
    """


class BaseConverter:
    """Base class of all converters.

    Class attributes a subclass may set:

    - ``regex``: the pattern one placeholder matches (default ``[^/]+``: one non-empty
      segment). It is embedded in a larger pattern, so use non-capturing groups.
    - ``weight``: orders converters at the same position when matching; lower goes first.
    - ``part_isolating``: ``True`` when the regex never matches a ``/``. It defaults to
      ``False`` for a subclass whose own ``regex`` contains a ``/``; such converters may
      consume several segments (like ``path``).

    :param map: the :class:`~tumbler.routing.Map` the rule belongs to.
    :param args: converter arguments from the rule string, e.g. ``<conv(1, 2):name>``.
    :param kwargs: keyword converter arguments, e.g. ``<conv(a=1):name>``.
    """

    regex: str = "[^/]+"
    weight: int = 100
    part_isolating: bool = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        self.map = map

    def to_python(self, value: str) -> t.Any:
        """Convert the matched URL text to the value passed to the view.

        :param value: the text matched by :attr:`regex` (already percent-decoded).
        :raises ValidationError: to make the rule not match this URL.
        """
        return value

    def to_url(self, value: t.Any) -> str:
        """Convert a value to URL text, percent-quoting what is unsafe in a path.

        A ``/`` is quoted as ``%2F`` unless the converter spans segments
        (``part_isolating`` is ``False``).

        :param value: the value given to ``url_for`` / ``MapAdapter.build``.
        :raises ValidationError: to make this rule unsuitable for building.
        """
        return quote(str(value), safe=_SEGMENT_SAFE if self.part_isolating else _PATH_SAFE)


def _non_negative_int(name: str, value: t.Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"converter argument {name!r} must be a non-negative integer, got {value!r}"
        )
    return value


class UnicodeConverter(BaseConverter):
    """The default converter (``string``): one path segment, no slashes.

    ``Rule("/pages/<page>")``, ``Rule("/<string(length=2):lang>")``.

    :param map: the :class:`~tumbler.routing.Map`.
    :param minlength: the minimum length of the segment (default 1).
    :param maxlength: the maximum length of the segment (default unlimited).
    :param length: an exact length; overrides ``minlength`` and ``maxlength``.
    :raises ValueError: for negative or non-integer lengths, or ``minlength > maxlength``.
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{_non_negative_int('length', length)}}}"
            return
        low = _non_negative_int("minlength", minlength)
        if maxlength is None:
            self.regex = "[^/]+" if low == 1 else f"[^/]{{{low},}}"
            return
        high = _non_negative_int("maxlength", maxlength)
        if low > high:
            raise ValueError(f"minlength ({low}) is greater than maxlength ({high})")
        self.regex = f"[^/]{{{low},{high}}}"


class AnyConverter(BaseConverter):
    """Matches exactly one of the given values: ``Rule("/<any(about, help, 'terms-of-use'):page>")``.

    :param map: the :class:`~tumbler.routing.Map`.
    :param items: the allowed values (compared as strings).
    :raises ValueError: if no value is given.
    """

    def __init__(self, map: Map, *items: t.Any) -> None:
        super().__init__(map)
        if not items:
            raise ValueError("the 'any' converter needs at least one value, e.g. any(a, b)")
        self.items = {str(item) for item in items}
        # Longest first so that a value that is a prefix of another cannot shadow it.
        ordered = sorted(self.items, key=lambda item: (-len(item), item))
        self.regex = f"(?:{'|'.join(re.escape(item) for item in ordered)})"

    def to_url(self, value: t.Any) -> str:
        """Return ``value`` if it is one of the allowed items.

        :raises ValueError: if it is not one of them.
        """
        text = str(value)
        if text in self.items:
            return quote(text, safe=_SEGMENT_SAFE)
        valid = ", ".join(repr(item) for item in sorted(self.items))
        raise ValueError(f"{text!r} is not one of {valid}")


class PathConverter(BaseConverter):
    """Like the default converter but also matches slashes: ``Rule("/files/<path:name>")``.

    The value cannot start with a slash; slashes are kept unquoted when building.
    """

    regex = "[^/].*?"
    weight = 200
    part_isolating = False


class NumberConverter(BaseConverter):
    """Base class of :class:`IntegerConverter` and :class:`FloatConverter`.

    :param map: the :class:`~tumbler.routing.Map`.
    :param fixed_digits: the exact number of digits (integers only; 0 = any).
    :param min: the smallest accepted value.
    :param max: the largest accepted value.
    :param signed: accept a leading ``-``.
    """

    weight = 50
    num_convert: t.Callable[[t.Any], t.Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        if signed:
            self.regex = self.signed_regex
        super().__init__(map)
        self.fixed_digits = _non_negative_int("fixed_digits", fixed_digits)
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float)
            ):
                raise ValueError(f"converter argument {name!r} must be a number, got {bound!r}")
        self.min = min
        self.max = max
        self.signed = bool(signed)

    def to_python(self, value: str) -> t.Any:
        """Convert the digits to a number, rejecting the wrong length or an out-of-range value.

        :raises ValidationError: if ``fixed_digits``, ``min`` or ``max`` is not respected, or
            the digits cannot be converted (e.g. beyond Python's int string-length limit).
        """
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError:
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        """Format the number, zero-padded to ``fixed_digits``."""
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text

    @property
    def signed_regex(self) -> str:
        """The regex of this converter with an optional leading minus sign."""
        return f"-?{self.regex}"


class IntegerConverter(NumberConverter):
    """Matches unsigned (or, with ``signed=True``, signed) ASCII integers: ``<int:page>``.

    ``<int(fixed_digits=4):year>`` only matches four digits; ``<int(min=1, max=99):n>``
    bounds the value. See :class:`NumberConverter` for the parameters.
    """

    regex = "[0-9]+"


class FloatConverter(NumberConverter):
    """Matches floats written with a dot, such as ``1.5``: ``<float:ratio>``.

    :param map: the :class:`~tumbler.routing.Map`.
    :param min: the smallest accepted value.
    :param max: the largest accepted value.
    :param signed: accept a leading ``-``.
    """

    regex = r"[0-9]+\.[0-9]+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> t.Any:
        """Convert the text to a float, as :meth:`NumberConverter.to_python` does.

        :raises ValidationError: also when the digits overflow to infinity (``"9" * 400 +
            ".0"``): such a value has no URL form, so ``url_for`` could not build it back.
        """
        number = super().to_python(value)
        if number in (float("inf"), float("-inf")):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        """Format the float positionally (never in exponent notation) so it matches again.

        :raises ValueError: for infinities and NaN, which have no URL form.
        """
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"cannot build a URL from the float {number!r}")
        text = str(number)
        if "e" in text or "E" in text:
            text = format(Decimal(repr(number)), "f")
            if "." not in text:
                text += ".0"
        return text


class UUIDConverter(BaseConverter):
    """Matches a UUID in its canonical 8-4-4-4-12 hex form (any letter case): ``<uuid:id>``.

    The view receives a :class:`uuid.UUID`; building writes the lowercase form.
    """

    regex = "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        """Return the :class:`uuid.UUID` for the matched text."""
        return uuid.UUID(value)

    def to_url(self, value: t.Any) -> str:
        """Return the canonical lowercase text of ``value`` (a UUID or a UUID string)."""
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


#: The converters every :class:`~tumbler.routing.Map` knows, by name.
DEFAULT_CONVERTERS: t.Mapping[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}
