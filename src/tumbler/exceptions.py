"""HTTP errors as Python exceptions.

Raise one of these classes (or call :func:`abort`) from a view to stop handling and answer
with that status. Each exception renders a small, fully escaped HTML page and knows the extra
headers its status needs (``Allow`` for 405, ``WWW-Authenticate`` for 401, ``Retry-After`` for
429/503, ``Content-Range`` for 416). Names and behaviour follow ``werkzeug.exceptions``, so
``from werkzeug.exceptions import NotFound`` ports as ``from tumbler.exceptions import NotFound``.

The classes are sans-io: :meth:`HTTPException.get_response` builds a
:class:`tumbler.wrappers.Response`, which the WSGI or ASGI front end then sends.
"""

from __future__ import annotations

import typing as t
from datetime import UTC
from datetime import datetime
from email.utils import format_datetime
from http import HTTPStatus

from markupsafe import Markup
from markupsafe import escape

if t.TYPE_CHECKING:
    from tumbler.wrappers import Response

# Built once: ``name`` is read on every error page and every ``str(exc)``.
_STATUS_PHRASES: dict[int, str] = {status.value: status.phrase for status in HTTPStatus}


class HTTPException(Exception):
    """Base class of every HTTP error; carries a status code, a description and a response.

    :param description: replaces the class's default description (plain text; it is
        escaped when rendered, newlines become ``<br>``).
    :param response: a ready response to send instead of the generated error page; used by
        ``abort(response)`` and by code that wants full control over the reply.

    Subclass it with a ``code`` and ``description`` to define a custom error status.
    """

    code: int | None = None
    description: str | None = None

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status phrase for :attr:`code`, such as ``"Not Found"``; ``"Unknown"`` if none."""
        return _STATUS_PHRASES.get(self.code or 0, "Unknown")

    def get_description(self, environ: t.Any = None, scope: t.Any = None) -> str:
        """Return the description as an escaped HTML paragraph.

        :param environ: accepted for Werkzeug compatibility and ignored.
        :param scope: accepted for Werkzeug compatibility and ignored.
        :return: ``<p>...</p>`` with every character of the description escaped and each
            newline turned into ``<br>``.
        """
        description = escape(self.description or "").replace("\n", Markup("<br>"))
        return f"<p>{description}</p>"

    def get_body(self, environ: t.Any = None, scope: t.Any = None) -> str:
        """Return the HTML5 error page for this exception.

        :param environ: accepted for Werkzeug compatibility and ignored.
        :param scope: accepted for Werkzeug compatibility and ignored.
        :return: a short document with the status in ``<title>`` and ``<h1>`` and the
            escaped description in a paragraph.
        """
        name = escape(self.name)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description()}\n"
        )

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the headers of the error response as ``(name, value)`` pairs.

        :param environ: accepted for Werkzeug compatibility and ignored.
        :param scope: accepted for Werkzeug compatibility and ignored.
        :return: at least ``Content-Type: text/html; charset=utf-8``; subclasses add the
            headers their status requires.
        """
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_response(self, environ: t.Any = None, scope: t.Any = None) -> Response:
        """Return the response to send for this error.

        :param environ: accepted for Werkzeug compatibility and ignored.
        :param scope: accepted for Werkzeug compatibility and ignored.
        :return: :attr:`response` when one was given, otherwise a new
            :class:`tumbler.wrappers.Response` with :meth:`get_body`, :attr:`code` and
            :meth:`get_headers`.
        """
        if self.response is not None:
            return self.response
        # Imported here because wrappers imports this module (BadRequest and friends).
        from tumbler.wrappers import Response

        cls = type(self)
        if (
            cls.get_body is _base_get_body
            and cls.get_description is _base_get_description
            and cls.get_headers is _base_get_headers
            and cls.name is _base_name
            and type(self.description) is str
        ):
            # The stock page depends only on the code and the description: render it once.
            # (Its Content-Type is the response's default one.)
            key = (self.code, self.description)
            body = _BODY_CACHE.get(key)
            if body is None:
                body = self.get_body()
                if len(_BODY_CACHE) < 256:
                    _BODY_CACHE[key] = body
            return Response(body, self.code, mimetype="text/html")
        return Response(self.get_body(), self.code, self.get_headers())

    def __str__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"<{type(self).__name__} '{code}: {self.name}'>"


# get_response() renders the stock error page once per (code, description) unless a subclass
# changes how the page is made; bounded, since descriptions may be made per request.
_base_get_body = HTTPException.get_body
_base_get_description = HTTPException.get_description
_base_get_headers = HTTPException.get_headers
_base_name = HTTPException.name
_BODY_CACHE: dict[tuple[int | None, str], str] = {}


class BadRequest(HTTPException):
    """*400 Bad Request*: the client sent something the application cannot handle."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class BadRequestKeyError(BadRequest, KeyError):
    """Both a :exc:`KeyError` and a 400 :class:`BadRequest`.

    Raised by ``request.form["missing"]`` and the other multi-value dicts, so a missing form
    field answers 400 instead of crashing with a 500, while ``except KeyError`` still works.

    :param arg: the missing key.

    The key is left out of the client-facing description unless :attr:`show_exception` is
    true (the app sets it in debug mode), since it can reveal how the app reads its input.
    """

    #: Include ``KeyError: 'key'`` in the description. Keep it off in production.
    show_exception: bool = False
    _description: str = BadRequest.description

    def __init__(self, arg: object | None = None, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        if arg is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, arg)

    @property
    def description(self) -> str:
        """The 400 description, followed by the ``KeyError`` when :attr:`show_exception`."""
        if self.show_exception:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value


class ClientDisconnected(BadRequest):
    """The client went away before the request body was read in full.

    Answered like a 400, though the client is unlikely to see the reply.
    """


class SecurityError(BadRequest):
    """A request tripped a security check; answered as 400 Bad Request."""


class BadHost(BadRequest):
    """The ``Host`` header is malformed or not among the trusted hosts; answered as 400."""


class Unauthorized(HTTPException):
    """*401 Unauthorized*: the request lacks valid credentials.

    :param description: replaces the default description.
    :param response: a ready response to send instead of the error page.
    :param www_authenticate: one value or a list of values for ``WWW-Authenticate``, each
        a string or a :class:`tumbler.datastructures.WWWAuthenticate`; each becomes its own
        header. A 401 without one is technically incomplete, but browsers cope.
    """

    code = 401
    description = (
        "The server could not verify that you are authorized to access the URL requested."
        " You either supplied the wrong credentials (e.g. a bad password), or your browser"
        " doesn't understand how to supply the credentials required."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: t.Any = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is not None and not isinstance(www_authenticate, list | tuple):
            www_authenticate = (www_authenticate,)
        self.www_authenticate: t.Sequence[t.Any] | None = www_authenticate

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the base headers plus one ``WWW-Authenticate`` per challenge."""
        headers = super().get_headers()
        if self.www_authenticate:
            headers.extend(("WWW-Authenticate", str(value)) for value in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    """*403 Forbidden*: the client is known but may not access the resource."""

    code = 403
    description = (
        "You don't have the permission to access the requested resource. It is either"
        " read-protected or not readable by the server."
    )


class NotFound(HTTPException):
    """*404 Not Found*: nothing exists at this URL."""

    code = 404
    description = (
        "The requested URL was not found on the server. If you entered the URL manually"
        " please check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """*405 Method Not Allowed*: the URL exists but does not accept this method.

    :param valid_methods: the methods the URL accepts, sent in the ``Allow`` header
        (required by HTTP for a 405).
    :param description: replaces the default description.
    :param response: a ready response to send instead of the error page.
    """

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: t.Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.valid_methods: t.Iterable[str] = () if valid_methods is None else valid_methods

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the base headers plus ``Allow`` when valid methods are known."""
        headers = super().get_headers()
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    """*406 Not Acceptable*: no representation matches the request's ``Accept`` headers."""

    code = 406
    description = (
        "The resource identified by the request is only capable of generating response"
        " entities which have content characteristics not acceptable according to the"
        " accept headers sent in the request."
    )


class RequestTimeout(HTTPException):
    """*408 Request Timeout*: the client did not finish sending the request in time."""

    code = 408
    description = (
        "The server closed the network connection because the browser didn't finish the"
        " request within the specified time."
    )


class Conflict(HTTPException):
    """*409 Conflict*: the request conflicts with the resource's current state."""

    code = 409
    description = (
        "A conflict happened while processing the request. The resource might have been"
        " modified while the request was being processed."
    )


class Gone(HTTPException):
    """*410 Gone*: the resource existed once and is permanently gone."""

    code = 410
    description = (
        "The requested URL is no longer available on this server and there is no forwarding"
        " address. If you followed a link from a foreign page, please contact the author of"
        " this page."
    )


class LengthRequired(HTTPException):
    """*411 Length Required*: a body was sent without the ``Content-Length`` it needs."""

    code = 411
    description = "A request with this method requires a valid Content-Length header."


class PreconditionFailed(HTTPException):
    """*412 Precondition Failed*: an ``If-Match``/``If-Unmodified-Since`` check failed."""

    code = 412
    description = "The precondition on the request for the URL failed positive evaluation."


class RequestEntityTooLarge(HTTPException):
    """*413*: the body exceeds a configured limit (``MAX_CONTENT_LENGTH`` and friends)."""

    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    """*414*: the URL is longer than the server accepts."""

    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for this server. The"
        " request cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    """*415 Unsupported Media Type*: the body's content type is not one the view handles."""

    code = 415
    description = "The server does not support the media type transmitted in the request."


class RequestedRangeNotSatisfiable(HTTPException):
    """*416*: the requested byte range lies outside the resource.

    :param length: the full size of the resource; when given, ``Content-Range: bytes */N``
        is sent so the client can retry with a valid range.
    :param units: the range unit, ``"bytes"`` unless a custom unit is in use.
    :param description: replaces the default description.
    :param response: a ready response to send instead of the error page.
    """

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.length = length
        self.units = units

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the base headers plus ``Content-Range`` when the length is known."""
        headers = super().get_headers()
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    """*417 Expectation Failed*: the ``Expect`` header cannot be met."""

    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    """*418 I'm a teapot*: refuses to brew coffee."""

    code = 418
    description = "This server is a teapot, not a coffee machine"


class MisdirectedRequest(HTTPException):
    """*421 Misdirected Request*: this server cannot answer for the requested authority."""

    code = 421
    description = "The server is not able to produce a response."


class UnprocessableEntity(HTTPException):
    """*422 Unprocessable Entity*: well-formed input that fails validation."""

    code = 422
    description = (
        "The request was well-formed but was unable to be followed due to semantic errors."
    )


class Locked(HTTPException):
    """*423 Locked*: the resource is locked."""

    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    """*424 Failed Dependency*: an action this one depended on failed."""

    code = 424
    description = (
        "The method could not be performed on the resource because the requested action"
        " depended on another action and that action failed."
    )


class PreconditionRequired(HTTPException):
    """*428 Precondition Required*: the request must be conditional (lost-update guard)."""

    code = 428
    description = (
        'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".'
    )


class _RetryAfter(HTTPException):
    """Base for statuses that may tell the client when to retry.

    :param description: replaces the default description.
    :param response: a ready response to send instead of the error page.
    :param retry_after: seconds as an ``int``, or a :class:`~datetime.datetime` (naive values
        are taken as UTC); sent as the ``Retry-After`` header.
    """

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the base headers plus ``Retry-After`` when :attr:`retry_after` is set."""
        headers = super().get_headers()
        if self.retry_after:
            if isinstance(self.retry_after, datetime):
                when = self.retry_after
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                value = format_datetime(when.astimezone(UTC), usegmt=True)
            else:
                value = str(int(self.retry_after))
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """*429 Too Many Requests*: the client hit a rate limit; see ``retry_after``."""

    code = 429
    description = "This user has exceeded an allotted request count. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    """*431*: one header, or all of them together, exceed the size the server accepts."""

    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    """*451*: access is denied because of a legal demand."""

    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """*500 Internal Server Error*: the application failed.

    :param description: replaces the default description.
    :param response: a ready response to send instead of the error page.
    :param original_exception: the unhandled exception that caused the 500, kept so error
        handlers and loggers can inspect it; never shown to the client.
    """

    code = 500
    description = (
        "The server encountered an internal error and was unable to complete your request."
        " Either the server is overloaded or there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description=description, response=response)


class NotImplemented(HTTPException):
    """*501 Not Implemented*: the server does not support the requested action."""

    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    """*502 Bad Gateway*: an upstream server sent an invalid response."""

    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(_RetryAfter):
    """*503 Service Unavailable*: temporarily down; see ``retry_after``."""

    code = 503
    description = (
        "The server is temporarily unable to service your request due to maintenance"
        " downtime or capacity problems. Please try again later."
    )


class GatewayTimeout(HTTPException):
    """*504 Gateway Timeout*: an upstream server did not answer in time."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """*505 HTTP Version Not Supported*: the request's HTTP version is not supported."""

    code = 505
    description = "The server does not support the HTTP protocol version used in the request."


def _collect_default_exceptions() -> dict[int, type[HTTPException]]:
    # For a code shared by a class and its subclasses (400: BadRequest, BadRequestKeyError,
    # SecurityError...), the most general class is the one abort(400) raises.
    found: dict[int, type[HTTPException]] = {}
    for obj in globals().values():
        if not (isinstance(obj, type) and issubclass(obj, HTTPException)) or obj.code is None:
            continue
        current = found.get(obj.code)
        if current is None or issubclass(current, obj):
            found[obj.code] = obj
    return found


#: Status code to the exception class :func:`abort` raises for it.
default_exceptions: dict[int, type[HTTPException]] = _collect_default_exceptions()


class Aborter:
    """A callable that raises the HTTP exception for a status code.

    :param mapping: status code to exception class; defaults to :data:`default_exceptions`
        (copied, so later changes to either do not leak into the other).
    :param extra: additional or overriding entries, e.g. a custom class for 507.
    """

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping: dict[int, type[HTTPException]] = dict(
            default_exceptions if mapping is None else mapping
        )
        if extra is not None:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Raise the exception for ``code``.

        :param code: a status code, or a response to send as is.
        :param args: passed to the exception's constructor (usually the description).
        :param kwargs: passed to the exception's constructor.
        :raises HTTPException: always; wrapping ``code`` when it is a response.
        :raises LookupError: if no exception is registered for the code.
        """
        if isinstance(code, int):
            exc_class = self.mapping.get(code)
            if exc_class is None:
                raise LookupError(f"no exception for {code!r}")
            raise exc_class(*args, **kwargs)

        from tumbler.wrappers import Response

        if isinstance(code, Response):
            raise HTTPException(response=code)
        raise LookupError(f"no exception for {code!r}")


_aborter = Aborter()


def abort(status: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Stop handling the request and answer with an HTTP error.

    ``abort(404)`` raises :class:`NotFound`; ``abort(403, "Admins only")`` sets the
    description; ``abort(response)`` raises an :class:`HTTPException` that sends ``response``.

    :param status: a status code registered in :data:`default_exceptions`, or a response.
    :param args: passed to the exception's constructor.
    :param kwargs: passed to the exception's constructor.
    :raises HTTPException: always.
    :raises LookupError: for a status code without an exception class (e.g. 200 or 999).
    """
    _aborter(status, *args, **kwargs)
