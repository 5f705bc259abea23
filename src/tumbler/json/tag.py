"""Tagged JSON: a compact, lossless JSON format for the types sessions commonly hold.

Plain JSON loses Python types: tuples come back as lists, ``bytes`` and ``datetime`` cannot be
written at all. :class:`TaggedJSONSerializer` wraps such values in a one-key object whose key is
a *tag* (``{" t": [1, 2]}`` for a tuple) and unwraps them when loading. The default tags:

======  =====================================================
``" di"``  a dict whose only key looks like a tag (escaped)
``" t"``   ``tuple``
``" b"``   ``bytes`` (base64)
``" m"``   :class:`~markupsafe.Markup` (any object with ``__html__``)
``" u"``   :class:`~uuid.UUID`
``" d"``   :class:`~datetime.datetime` (HTTP date, UTC, second precision)
======  =====================================================

Loading only ever builds these plain value types: nothing is imported, called or unpickled,
so a forged payload can at worst produce unexpected data, never run code. Register your own
:class:`JSONTag` subclasses with :meth:`TaggedJSONSerializer.register`.

This is the session cookie format (``tumbler.sessions``); names follow ``flask.json.tag``.
"""

from __future__ import annotations

import typing as t
from base64 import b64decode
from base64 import b64encode
from datetime import UTC
from datetime import datetime
from email.utils import format_datetime
from email.utils import parsedate_to_datetime
from uuid import UUID

from markupsafe import Markup

from tumbler.json import dumps as _json_dumps
from tumbler.json import loads as _json_loads

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]


class JSONTag:
    """Base class for one tag of :class:`TaggedJSONSerializer`.

    Subclasses set :attr:`key` and implement :meth:`check`, :meth:`to_json` and
    :meth:`to_python`.

    :param serializer: the serializer this tag belongs to (used to tag nested values).
    """

    __slots__ = ("serializer",)

    #: The tag string, e.g. ``" t"``. Start it with a space (unlikely in real keys). An empty
    #: key means the tag only transforms values on the way out and is never looked up when
    #: loading (like :class:`PassDict`).
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Return whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Convert ``value`` to JSON-compatible data (nested values tagged too)."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Convert the tagged JSON data back to the Python value."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` converted and wrapped as ``{key: data}``."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """Escape a one-key dict whose key is a registered tag, so it is not mistaken for one.

    ``{" t": 1}`` is stored as ``{" di": {" t__": 1}}``.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        """A dict with exactly one key, which is a registered tag."""
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        """Suffix the key with ``__`` and tag the value."""
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        """Strip the ``__`` suffix again."""
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError("Malformed escaped dict tag.")
        key = next(iter(value))
        if not isinstance(key, str) or not key.endswith("__"):
            raise ValueError("Malformed escaped dict tag.")
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Walk other dicts, tagging their values."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        """Any dict."""
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        """Copy the dict with each value tagged (JSON object keys must be strings anyway)."""
        tag = self.serializer.tag
        return {k: tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """Keep tuples as tuples (JSON would turn them into lists)."""

    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        """Any tuple."""
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        """A list of the tagged items."""
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        """The list as a tuple."""
        if not isinstance(value, list):
            raise ValueError("Malformed tuple tag.")
        return tuple(value)


class PassList(JSONTag):
    """Walk lists, tagging their items."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        """Any list."""
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        """A list of the tagged items."""
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Store ``bytes`` as base64 text."""

    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        """Any ``bytes``."""
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        """Base64 as ASCII text."""
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        """Decode the base64; invalid data raises ``ValueError``."""
        if not isinstance(value, str):
            raise ValueError("Malformed bytes tag.")
        return b64decode(value, validate=True)


class TagMarkup(JSONTag):
    """Keep :class:`~markupsafe.Markup` (anything with ``__html__``) as safe HTML."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        """Anything with a callable ``__html__``."""
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        """The HTML string."""
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        """The string wrapped in :class:`~markupsafe.Markup`."""
        if not isinstance(value, str):
            raise ValueError("Malformed markup tag.")
        return Markup(value)


class TagUUID(JSONTag):
    """Store :class:`~uuid.UUID` as its hex string."""

    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        """Any UUID."""
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        """32 hex digits."""
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        """Parse the hex; invalid data raises ``ValueError``."""
        if not isinstance(value, str):
            raise ValueError("Malformed UUID tag.")
        return UUID(value)


class TagDateTime(JSONTag):
    """Store :class:`~datetime.datetime` as an HTTP date (UTC, whole seconds).

    Naive datetimes are taken as UTC; loaded values are timezone-aware UTC.
    """

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        """Any datetime."""
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        """The HTTP date string."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_datetime(value.astimezone(UTC), usegmt=True)

    def to_python(self, value: t.Any) -> t.Any:
        """Parse the HTTP date; invalid data raises ``ValueError``."""
        if not isinstance(value, str):
            raise ValueError("Malformed datetime tag.")
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, IndexError) as e:
            raise ValueError("Malformed datetime tag.") from e
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed


class TaggedJSONSerializer:
    """Serialize data to tagged JSON and back (see the module docs for the format).

    JSON text is produced and parsed by :mod:`tumbler.json`, so the app's JSON provider (and
    its nesting limit on parsing) applies.
    """

    __slots__ = ("order", "tags")

    #: Tag classes registered on every new serializer, in checking order. ``TagDict`` must
    #: come before ``PassDict`` so tag-like keys get escaped.
    default_tags: t.ClassVar[list[type[JSONTag]]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag.

        :param tag_class: the :class:`JSONTag` subclass; it is instantiated with this
            serializer.
        :param force: replace an existing tag with the same key instead of raising.
        :param index: position in the checking order (``None`` appends; ``0`` checks it
            first, which is how to override how a built-in type is stored).
        :raises KeyError: if the key is taken and ``force`` is false.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` converted to tagged, JSON-compatible data."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Return the Python value for a one-key tagged dict, or ``value`` if it is not one.

        :raises ValueError: if the tagged data is malformed.
        """
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def _untag_scan(self, value: t.Any) -> t.Any:
        # Inner values first, so an escaped dict's contents are already restored.
        if isinstance(value, dict):
            return self.untag({k: self._untag_scan(v) for k, v in value.items()})
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag ``value`` and return compact JSON text.

        :raises TypeError: if ``value`` contains something neither a tag nor the JSON
            provider can serialize.
        """
        return _json_dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        """Parse tagged JSON text back into Python values.

        :raises ValueError: for invalid JSON, nesting beyond the provider's limit, or
            malformed tagged data.
        """
        return self._untag_scan(_json_loads(value))
