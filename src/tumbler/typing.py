"""Type aliases for views, hooks and handlers, under the names ``flask.typing`` uses.

Annotate a view with ``-> ResponseReturnValue`` or a hook with ``AfterRequestCallable`` exactly as
in a Flask app; the aliases describe what :meth:`tumbler.Tumbler.make_response` and the hook
decorators accept.
"""

from __future__ import annotations

import typing as t
from collections.abc import AsyncIterable
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from tumbler.datastructures import Headers
    from tumbler.wrappers import Response

#: A value :meth:`~tumbler.Tumbler.make_response` turns into a response on its own: a Response,
#: text or bytes (the body), a list or mapping (JSON), or a sync or async iterator (streamed).
ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    list[t.Any],
    # Only dict is accepted at runtime; Mapping admits TypedDict.
    Mapping[str, t.Any],
    Iterator[str],
    Iterator[bytes],
    AsyncIterable[str],
    AsyncIterable[bytes],
]

#: An HTTP status code.
StatusCode = int

#: A header name.
HeaderName = str

#: One header's value, or several values for the same name.
HeaderValue = str | list[str] | tuple[str, ...]

#: Headers returned from a view: a Headers object, a mapping or a sequence of pairs.
HeadersValue = t.Union[
    "Headers",
    Mapping[HeaderName, HeaderValue],
    Sequence[tuple[HeaderName, HeaderValue]],
]

#: Everything a view may return: a :data:`ResponseValue`, the ``(body, headers)``,
#: ``(body, status)`` and ``(body, status, headers)`` tuples, or a WSGI application.
ResponseReturnValue = t.Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, int],
    tuple[ResponseValue, int, HeadersValue],
    "WSGIApplication",
]

#: The response class an ``after_request`` function receives and returns.
ResponseClass = t.TypeVar("ResponseClass", bound="Response")

#: The key of per-blueprint hook registries: ``None`` for the app, else a blueprint name.
AppOrBlueprintKey = str | None

AfterRequestCallable = (
    Callable[[ResponseClass], ResponseClass] | Callable[[ResponseClass], Awaitable[ResponseClass]]
)
BeforeRequestCallable = (
    Callable[[], ResponseReturnValue | None] | Callable[[], Awaitable[ResponseReturnValue | None]]
)
ShellContextProcessorCallable = Callable[[], dict[str, t.Any]]
TeardownCallable = (
    Callable[[BaseException | None], None] | Callable[[BaseException | None], Awaitable[None]]
)
TemplateContextProcessorCallable = (
    Callable[[], dict[str, t.Any]] | Callable[[], Awaitable[dict[str, t.Any]]]
)
TemplateFilterCallable = Callable[..., t.Any]
TemplateGlobalCallable = Callable[..., t.Any]
TemplateTestCallable = Callable[..., bool]
URLDefaultCallable = Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = Callable[[str | None, dict[str, t.Any] | None], None]

#: An error handler: takes the exception (annotate it with the class it handles).
ErrorHandlerCallable = (
    Callable[[t.Any], ResponseReturnValue] | Callable[[t.Any], Awaitable[ResponseReturnValue]]
)

#: A view function, sync or async.
RouteCallable = Callable[..., ResponseReturnValue] | Callable[..., Awaitable[ResponseReturnValue]]

__all__ = [
    "AfterRequestCallable",
    "AppOrBlueprintKey",
    "BeforeRequestCallable",
    "ErrorHandlerCallable",
    "HeaderName",
    "HeaderValue",
    "HeadersValue",
    "ResponseClass",
    "ResponseReturnValue",
    "ResponseValue",
    "RouteCallable",
    "ShellContextProcessorCallable",
    "StatusCode",
    "TeardownCallable",
    "TemplateContextProcessorCallable",
    "TemplateFilterCallable",
    "TemplateGlobalCallable",
    "TemplateTestCallable",
    "URLDefaultCallable",
    "URLValuePreprocessorCallable",
]
