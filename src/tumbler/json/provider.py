"""JSON providers: how an application turns objects into JSON and back.

``app.json`` is a :class:`JSONProvider`. Replace it (``app.json = MyProvider(app)``) or set
``app.json_provider_class`` to change serialization app-wide; ``jsonify``, ``request.get_json``,
the ``tojson`` template filter and the test client all go through it.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import re
import typing as t
import uuid
import weakref
from datetime import date
from itertools import accumulate

from markupsafe import Markup

if t.TYPE_CHECKING:  # pragma: no cover
    from typing import IO

    from tumbler.wrappers import Response

#: Default for :attr:`DefaultJSONProvider.max_depth` and the ``MAX_JSON_DEPTH`` config key.
DEFAULT_MAX_JSON_DEPTH = 64


class JSONProvider:
    """The interface an application's JSON provider implements.

    Subclasses implement :meth:`dumps` and :meth:`loads`; :meth:`dump`, :meth:`load` and
    :meth:`response` are built on them.

    :param app: the application; held through a weak reference so the provider does not keep
        the application alive. ``None`` gives a provider not bound to any app (used by
        ``tumbler.json`` outside an app context).
    """

    def __init__(self, app: t.Any) -> None:
        self._app_ref: weakref.ref[t.Any] | None = weakref.ref(app) if app is not None else None

    @property
    def _app(self) -> t.Any:
        """The bound application, or ``None`` when unbound or already garbage collected."""
        return self._app_ref() if self._app_ref is not None else None

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string.

        :raises NotImplementedError: subclasses must implement it.
        """
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` as JSON and write it to the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse a JSON document.

        :raises NotImplementedError: subclasses must implement it.
        """
        raise NotImplementedError

    def load(self, fp: IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Read and parse a JSON document from the file ``fp`` (text or binary)."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments and wrap them in a response with ``application/json``.

        One positional argument is serialized as is, several as a list, keyword arguments as a
        dict; nothing at all gives ``null``.

        :raises TypeError: both positional and keyword arguments were given.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return _response_class(self._app)(self.dumps(obj), mimetype="application/json")


def _response_class(app: t.Any) -> type[Response]:
    if app is not None:
        return app.response_class
    from tumbler.wrappers import Response

    return Response


def _default(o: t.Any) -> t.Any:
    if isinstance(o, date):
        from tumbler.http import http_date

        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# Everything that is not a structural bracket: whole JSON strings (so brackets inside them are
# dropped too) and runs of other characters. An unterminated string runs to the end of the input
# instead of failing, and every quantifier is possessive, so each character is examined a bounded
# number of times: the scan stays linear even for hostile input such as thousands of unclosed
# quotes, and it runs in the regex engine rather than a Python loop per character.
_NOT_BRACKETS = re.compile(r'(?:"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[^\[\]{}"]++)++', re.DOTALL)
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting_exceeds(s: str, limit: int) -> bool:
    """Tell whether arrays/objects in the JSON text ``s`` nest deeper than ``limit``.

    Brackets inside strings do not count. Linear time, no recursion, no validation (the parser
    validates afterwards).
    """
    if s.count("[") + s.count("{") <= limit:
        # Depth can never exceed the number of opening brackets: no scan needed.
        return False
    brackets = _NOT_BRACKETS.sub("", s)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > limit


# A \\uD800-\\uDFFF escape: only documents holding one can decode to an unpaired surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(obj: t.Any) -> bool:
    """Tell whether a parsed JSON value holds a string (or key) with an unpaired surrogate.

    Such a string cannot be encoded as UTF-8, so it would fail wherever it is written out (a
    template, a response, a log) long after parsing. Iterative: the depth limit ran already,
    but an app may have turned it off.
    """
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class DefaultJSONProvider(JSONProvider):
    """JSON through the standard library's :mod:`json`, with Flask's defaults.

    Besides the standard types it serializes :class:`~datetime.date` and
    :class:`~datetime.datetime` (as HTTP dates), :class:`~uuid.UUID` and
    :class:`~decimal.Decimal` (as strings), dataclass instances (as dicts) and anything with an
    ``__html__`` method such as :class:`~markupsafe.Markup` (as its HTML string).

    :meth:`loads` refuses documents nested deeper than :attr:`max_depth` (or the app's
    ``MAX_JSON_DEPTH`` config value) with :class:`ValueError`, so a hostile request body cannot
    exhaust the parser's recursion; ``request.get_json`` turns that into a 400. It also
    refuses strings holding an unpaired surrogate (``"\\ud800"``): the grammar allows the
    escape, but the text is not Unicode and would fail when written out as UTF-8.
    """

    #: Called for objects :mod:`json` cannot serialize; return something it can or raise
    #: :class:`TypeError`.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    #: Escape non-ASCII characters as ``\\uXXXX``.
    ensure_ascii = True
    #: Sort object keys, which keeps output (and caches built on it) deterministic.
    sort_keys = True
    #: ``None``: compact output unless the app is in debug mode, where :meth:`response` indents.
    #: ``True``/``False`` forces compact/indented output.
    compact: bool | None = None
    #: The mimetype :meth:`response` sets.
    mimetype = "application/json"
    #: Deepest nesting of arrays/objects :meth:`loads` accepts; ``None`` disables the check.
    #: The app's ``MAX_JSON_DEPTH`` config key, when present, takes precedence.
    max_depth: int | None = DEFAULT_MAX_JSON_DEPTH

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string.

        :param kwargs: passed to :func:`json.dumps`; ``default``, ``ensure_ascii`` and
            ``sort_keys`` default to this provider's attributes.
        :raises TypeError: ``obj`` contains something that cannot be serialized.
        """
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def _effective_max_depth(self) -> int | None:
        app = self._app
        if app is not None:
            config = getattr(app, "config", None)
            if config is not None and "MAX_JSON_DEPTH" in config:
                return config["MAX_JSON_DEPTH"]
        return self.max_depth

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse a JSON document.

        :param s: text, or bytes in UTF-8, UTF-16 or UTF-32 (detected as :func:`json.loads`
            does).
        :param kwargs: passed to :func:`json.loads`.
        :raises ValueError: the document is invalid, not decodable (encoded surrogates
            included), nested deeper than the depth limit, or holds a string with an unpaired
            surrogate escape (:class:`json.JSONDecodeError` and :class:`UnicodeDecodeError` are
            subclasses).
        """
        if isinstance(s, (bytes, bytearray)):
            # Strict, unlike json.loads: surrogates smuggled as encoded bytes are not text.
            s = bytes(s).decode(json.detect_encoding(s))
        limit = self._effective_max_depth()
        if limit is not None and _nesting_exceeds(s, limit):
            raise ValueError(
                f"JSON document is nested deeper than the limit of {limit} levels (MAX_JSON_DEPTH)."
            )
        rv = json.loads(s, **kwargs)
        if "\\u" in s and _SURROGATE_ESCAPE.search(s) and _has_lone_surrogate(rv):
            raise ValueError("JSON document holds a string with an unpaired surrogate escape.")
        return rv

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments (as :func:`tumbler.json.jsonify` documents) into a response.

        The body ends with a newline. Output is compact unless :attr:`compact` is false, or it
        is ``None`` and the app is in debug mode, in which case it is indented by two spaces.

        :raises TypeError: both positional and keyword arguments were given, or the data
            cannot be serialized.
        """
        obj = self._prepare_response_obj(args, kwargs)
        app = self._app
        debug = bool(getattr(app, "debug", False)) if app is not None else False
        indent = (self.compact is None and debug) or self.compact is False
        if type(self).dumps is DefaultJSONProvider.dumps:
            text = _encoder(self.default, self.ensure_ascii, self.sort_keys, indent).encode(obj)
        elif indent:
            text = self.dumps(obj, indent=2)
        else:
            text = self.dumps(obj, separators=(",", ":"))
        return _response_class(app)(f"{text}\n", mimetype=self.mimetype)


# Encoders for response(), by settings: json.dumps() with any keyword argument builds a new
# JSONEncoder per call, and an encoder is reusable (encode() keeps no state between calls).
_ENCODERS: dict[tuple[t.Any, ...], json.JSONEncoder] = {}


def _encoder(
    default: t.Callable[[t.Any], t.Any], ensure_ascii: bool, sort_keys: bool, indent: bool
) -> json.JSONEncoder:
    key = (default, ensure_ascii, sort_keys, indent)
    encoder = _ENCODERS.get(key)
    if encoder is None:
        encoder = json.JSONEncoder(
            default=default,
            ensure_ascii=ensure_ascii,
            sort_keys=sort_keys,
            indent=2 if indent else None,
            separators=None if indent else (",", ":"),
        )
        if len(_ENCODERS) < 32:
            _ENCODERS[key] = encoder
    return encoder


def htmlsafe_json_dumps(
    obj: t.Any, dumps: t.Callable[..., str] | None = None, **kwargs: t.Any
) -> Markup:
    """Serialize ``obj`` to JSON that is safe to place in HTML, and mark it safe.

    ``<``, ``>``, ``&`` and ``'`` are written as ``\\u003c`` etc. (still valid JSON with the
    same meaning), so the result cannot close a ``<script>`` element, start a comment or an
    entity, or leave a single-quoted attribute. Inside an attribute, single-quote it:
    ``<div data-x='{{ x|tojson }}'>``.

    :param dumps: the JSON serializer; defaults to the current app's ``app.json.dumps``, or
        :func:`tumbler.json.dumps` semantics outside an app.
    :param kwargs: passed to ``dumps``.
    """
    if dumps is None:
        from tumbler.json import dumps as default_dumps

        dumps = default_dumps
    return Markup(
        dumps(obj, **kwargs)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
