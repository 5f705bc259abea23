"""JSON helpers that follow the current application's JSON provider.

Inside an application context every function delegates to ``current_app.json`` (a
:class:`~tumbler.json.provider.JSONProvider`), so an app that swaps its provider changes all of
them at once. Outside a context they use an unbound
:class:`~tumbler.json.provider.DefaultJSONProvider` with the same defaults (sorted keys, ASCII
output, HTTP dates, the nesting limit on parsing).
"""

from __future__ import annotations

import typing as t

from tumbler.globals import _cv_get
from tumbler.json.provider import DefaultJSONProvider
from tumbler.json.provider import JSONProvider

if t.TYPE_CHECKING:  # pragma: no cover
    from typing import IO

    from tumbler.wrappers import Response

_default_provider = DefaultJSONProvider(None)


def _provider() -> JSONProvider:
    """The current app's provider inside an app context, else the unbound default one."""
    ctx = _cv_get(None)  # the active context, read directly rather than through current_app
    if ctx is not None:
        return ctx.app.json
    return _default_provider


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize ``obj`` to a JSON string.

    :param kwargs: passed to the provider's ``dumps`` (for the default provider, to
        :func:`json.dumps`).
    :raises TypeError: ``obj`` contains something that cannot be serialized.
    """
    return _provider().dumps(obj, **kwargs)


def dump(obj: t.Any, fp: IO[str], **kwargs: t.Any) -> None:
    """Serialize ``obj`` as JSON and write it to the text file ``fp``."""
    _provider().dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Parse a JSON document given as text or bytes.

    :raises ValueError: invalid JSON, undecodable bytes, or nesting deeper than the limit.
    """
    return _provider().loads(s, **kwargs)


def load(fp: IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Read and parse a JSON document from a text or binary file.

    :raises ValueError: invalid JSON, undecodable bytes, or nesting deeper than the limit.
    """
    return _provider().load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Build an ``application/json`` response from the arguments.

    ``jsonify(obj)`` serializes ``obj``; ``jsonify(a, b)`` serializes ``[a, b]``;
    ``jsonify(key=value)`` serializes ``{"key": value}``; ``jsonify()`` gives ``null``. The body
    ends with a newline and is indented when the app is in debug mode.

    Returning a dict or list from a view already does this; ``jsonify`` is for other values
    and for building the response before returning it.

    :raises TypeError: both positional and keyword arguments were given, or the data cannot
        be serialized.
    """
    return _provider().response(*args, **kwargs)


__all__ = ["dump", "dumps", "jsonify", "load", "loads"]
