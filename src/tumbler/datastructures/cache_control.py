"""Directive headers: ``Cache-Control`` (request and response) and ``Content-Security-Policy``.

Both are maps of directive name to value. Typed properties cover the standard directives
(``cc.max_age`` is an int, ``cc.no_store`` a bool); indexing reaches any other directive.
Response-side objects call ``on_update`` after each change so the response can rewrite its
header.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import MutableMapping

from ..http import _plain_int
from ..http import dump_csp_header
from ..http import dump_header
from .structures import CallbackDict

__all__ = ["ContentSecurityPolicy", "RequestCacheControl", "ResponseCacheControl"]

_Values = Mapping[str, t.Any] | Iterable[tuple[str, t.Any]] | None


def _to_int(value: str) -> int | None:
    return _plain_int(value.strip())


def _directive(
    key: str, convert: type[t.Any] | None = None, *, empty: t.Any = None, mutable: bool = False
) -> t.Any:
    """Make a property for one directive.

    :param key: The directive name, e.g. ``"max-age"``.
    :param convert: ``bool`` (present or not), ``int`` (a bad number reads as ``None``), or
        ``None`` for the raw string.
    :param empty: What the property reads when the directive is present without a value.
    :param mutable: Whether to add a setter and a deleter (response side).
    """
    if convert is bool:
        doc = f"The ``{key}`` directive: ``True`` if present, ``False`` if not."
    else:
        kind = "an ``int``" if convert is int else "a ``str``"
        bare = f", ``{empty!r}`` if present without a value" if empty is not None else ""
        doc = f"The ``{key}`` directive: {kind}{bare}, or ``None`` if absent or invalid."

    def getter(self: _CacheControl) -> t.Any:
        data = self._data
        if convert is bool:
            return key in data
        if key not in data:
            return None
        value = data[key]
        if value is None:
            return empty
        if convert is int:
            return _to_int(value)
        return value

    if not mutable:
        return property(getter, doc=doc)

    def setter(self: ResponseCacheControl, value: t.Any) -> None:
        self._set_directive(key, value, convert)

    def deleter(self: ResponseCacheControl) -> None:
        self._data.pop(key, None)
        self._trigger_on_update()

    return property(getter, setter, deleter, doc=doc)


def _as_dict(values: _Values) -> dict[str, str | None]:
    if values is None:
        return {}
    pairs = values.items() if isinstance(values, Mapping) else values
    return {key: None if value is None else str(value) for key, value in pairs}


class _CacheControl(Mapping[str, str | None]):
    """Read access shared by request and response ``Cache-Control`` objects."""

    __slots__ = ("_data", "provided")

    _data: dict[str, str | None]
    provided: bool

    def __init__(self, values: _Values = None, on_update: Callable[[t.Any], None] | None = None):
        self._data = _as_dict(values)
        self.provided = values is not None

    def __getitem__(self, key: str) -> str | None:
        return self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _CacheControl):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_header(self) -> str:
        """Serialise to a ``Cache-Control`` header value."""
        return dump_header(self._data)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        body = " ".join(f"{key}={value!r}" for key, value in sorted(self._data.items()))
        return f"<{type(self).__name__} {body}>"

    max_age: int | None = _directive("max-age", int)
    no_store: bool = _directive("no-store", bool)
    no_transform: bool = _directive("no-transform", bool)
    stale_if_error: int | None = _directive("stale-if-error", int)


class RequestCacheControl(_CacheControl):
    """The ``Cache-Control`` header of a request; read-only.

    :param values: Directive name to value (``None`` for a bare directive), as a mapping or
        pairs; ``None`` if the header was missing.
    :param on_update: Accepted for werkzeug compatibility and ignored: nothing can change.
    """

    __slots__ = ()

    no_cache: bool = _directive("no-cache", bool)
    max_stale: int | t.Literal[True] | None = _directive("max-stale", int, empty=True)
    min_fresh: int | None = _directive("min-fresh", int)
    only_if_cached: bool = _directive("only-if-cached", bool)


class ResponseCacheControl(_CacheControl, MutableMapping[str, str | None]):
    """The ``Cache-Control`` header of a response; every change calls ``on_update``.

    Setting a bool property to false removes the directive; setting any property to ``None``
    (or ``False``) removes it; ``True`` makes a bare directive; ints are stored as strings.
    ``no_cache`` and ``private`` are ``True`` when bare or the field names they list.

    :param values: Initial directives, as a mapping or pairs.
    :param on_update: Called with this object after each change.
    """

    __slots__ = ("_on_update",)

    def __init__(
        self,
        values: _Values = None,
        on_update: Callable[[ResponseCacheControl], None] | None = None,
    ) -> None:
        super().__init__(values)
        self._on_update = on_update

    def _trigger_on_update(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    def __setitem__(self, key: str, value: str | None) -> None:
        self._data[key] = None if value is None else str(value)
        self._trigger_on_update()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._trigger_on_update()

    def _set_directive(self, key: str, value: t.Any, convert: type[t.Any] | None) -> None:
        if convert is bool:
            if value:
                self._data[key] = None
            else:
                self._data.pop(key, None)
        elif value is None or value is False:
            self._data.pop(key, None)
        elif value is True:
            self._data[key] = None
        else:
            if convert is int:
                value = int(value)
            self._data[key] = str(value)
        self._trigger_on_update()

    max_age: int | None = _directive("max-age", int, mutable=True)
    s_maxage: int | None = _directive("s-maxage", int, mutable=True)
    no_cache: str | t.Literal[True] | None = _directive("no-cache", str, empty=True, mutable=True)
    no_store: bool = _directive("no-store", bool, mutable=True)
    no_transform: bool = _directive("no-transform", bool, mutable=True)
    must_revalidate: bool = _directive("must-revalidate", bool, mutable=True)
    proxy_revalidate: bool = _directive("proxy-revalidate", bool, mutable=True)
    must_understand: bool = _directive("must-understand", bool, mutable=True)
    private: str | t.Literal[True] | None = _directive("private", str, empty=True, mutable=True)
    public: bool = _directive("public", bool, mutable=True)
    immutable: bool = _directive("immutable", bool, mutable=True)
    stale_while_revalidate: int | None = _directive("stale-while-revalidate", int, mutable=True)
    stale_if_error: int | None = _directive("stale-if-error", int, mutable=True)


def _csp_directive(key: str) -> t.Any:
    def getter(self: ContentSecurityPolicy) -> str | None:
        return self.get(key)

    def setter(self: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            self.pop(key, None)
        else:
            self[key] = value

    def deleter(self: ContentSecurityPolicy) -> None:
        self.pop(key, None)

    return property(getter, setter, deleter, doc=f"The ``{key}`` directive, or ``None``.")


class ContentSecurityPolicy(CallbackDict[str, str]):
    """A ``Content-Security-Policy`` header as a dict of directive to source list.

    Properties such as ``csp.default_src`` read and write the matching directive (``None``
    removes it). Every change calls ``on_update``.

    :param values: Initial directives, as a mapping or pairs.
    :param on_update: Called with this object after each change.
    """

    __slots__ = ()

    def __init__(
        self,
        values: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        on_update: Callable[[ContentSecurityPolicy], None] | None = None,
    ) -> None:
        super().__init__(values, on_update)

    def to_header(self) -> str:
        """Serialise to a ``Content-Security-Policy`` header value."""
        return dump_csp_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        body = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {body}>"

    base_uri: str | None = _csp_directive("base-uri")
    child_src: str | None = _csp_directive("child-src")
    connect_src: str | None = _csp_directive("connect-src")
    default_src: str | None = _csp_directive("default-src")
    font_src: str | None = _csp_directive("font-src")
    form_action: str | None = _csp_directive("form-action")
    frame_ancestors: str | None = _csp_directive("frame-ancestors")
    frame_src: str | None = _csp_directive("frame-src")
    img_src: str | None = _csp_directive("img-src")
    manifest_src: str | None = _csp_directive("manifest-src")
    media_src: str | None = _csp_directive("media-src")
    navigate_to: str | None = _csp_directive("navigate-to")
    object_src: str | None = _csp_directive("object-src")
    prefetch_src: str | None = _csp_directive("prefetch-src")
    plugin_types: str | None = _csp_directive("plugin-types")
    report_to: str | None = _csp_directive("report-to")
    report_uri: str | None = _csp_directive("report-uri")
    sandbox: str | None = _csp_directive("sandbox")
    script_src: str | None = _csp_directive("script-src")
    script_src_attr: str | None = _csp_directive("script-src-attr")
    script_src_elem: str | None = _csp_directive("script-src-elem")
    style_src: str | None = _csp_directive("style-src")
    style_src_attr: str | None = _csp_directive("style-src-attr")
    style_src_elem: str | None = _csp_directive("style-src-elem")
    worker_src: str | None = _csp_directive("worker-src")
