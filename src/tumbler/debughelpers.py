"""Errors that explain common mistakes, raised only in debug mode (as ``flask.debughelpers``).

- :class:`DebugFilesKeyError`: ``request.files["f"]`` on a form sent without
  ``enctype="multipart/form-data"`` (the browser sent only the file name, as a text field).
- :class:`FormDataRoutingRedirect`: a POST (or other body-carrying request) reached a URL that
  routing redirects with a code browsers answer with GET, which drops the form data.
- :func:`explain_template_loading_attempts`: the report ``EXPLAIN_TEMPLATE_LOADING`` logs.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from jinja2 import BaseLoader

    from tumbler.datastructures import FileStorage
    from tumbler.datastructures import MultiDict
    from tumbler.wrappers import Request


class DebugFilesKeyError(KeyError, AssertionError):
    """A missing key in ``request.files`` that the form sent as text: the form lacks
    ``enctype="multipart/form-data"``.

    :param request: the request whose ``files`` was read.
    :param key: the missing key.
    """

    def __init__(self, request: Request, key: str) -> None:
        submitted = request.form.getlist(key)
        msg = (
            f"You tried to access the file {key!r} in the request.files dictionary but it does"
            f" not exist. The request's mimetype is {request.mimetype!r} instead of"
            " 'multipart/form-data', so no file contents were sent. Add"
            ' enctype="multipart/form-data" to your form.'
        )
        if submitted:
            names = ", ".join(repr(name) for name in submitted)
            msg += f"\n\nThe browser sent the file names instead: {names}"
        super().__init__(msg)
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """Routing redirected a request that carries a body with a code (301, 302, 303) that makes
    browsers repeat it as a GET without the body.

    :param request: the request; its ``routing_exception`` is the redirect.
    """

    def __init__(self, request: Request) -> None:
        exc = request.routing_exception
        new_url = getattr(exc, "new_url", "")
        parts = [
            f"A request was sent to {request.url!r}, but routing issued a redirect to the"
            f" canonical URL {new_url!r}."
        ]
        if f"{request.base_url}/" == new_url.partition("?")[0]:
            parts.append(
                " The URL was defined with a trailing slash. Tumbler redirects to the URL with"
                " a trailing slash when it is requested without one."
            )
        parts.append(
            " Send requests to the canonical URL, or use 307 or 308 for routing redirects."
            " Otherwise, browsers will drop form data.\n\n"
            "This exception is only raised in debug mode."
        )
        super().__init__("".join(parts))


def attach_enctype_error_multidict(request: Request) -> None:
    """Make a missing key in ``request.files`` that the form holds raise
    :class:`DebugFilesKeyError` instead of a plain 400 ``KeyError``.

    The app calls this in debug mode when a non-multipart form is parsed.
    """
    files: MultiDict[str, FileStorage] = request.files
    base = type(files)

    def __getitem__(self: MultiDict[str, FileStorage], key: str) -> FileStorage:
        try:
            return base.__getitem__(self, key)
        except KeyError as e:
            if key not in request.form:
                raise
            raise DebugFilesKeyError(request, key).with_traceback(e.__traceback__) from None

    # A subclass with no new slots keeps the layout, so the object can switch class in place.
    files.__class__ = type(base.__name__, (base,), {"__slots__": (), "__getitem__": __getitem__})


def explain_template_loading_attempts(
    app: t.Any,
    template: str,
    attempts: list[tuple[BaseLoader, t.Any, tuple[str, str | None, t.Any] | None]],
) -> None:
    """Log at INFO on ``app.logger`` where ``template`` was looked for and what was found.

    :param app: the application.
    :param template: the template name.
    :param attempts: ``(loader, app_or_blueprint, get_source_result_or_None)`` per loader tried,
        in order.
    """
    from tumbler.templating import _explain_attempts

    explained = [
        (owner, loader, None if rv is None else (rv[1] or "<unknown filename>"))
        for loader, owner, rv in attempts
    ]
    _explain_attempts(app, template, explained, any(rv is not None for _, _, rv in attempts))


__all__ = [
    "DebugFilesKeyError",
    "FormDataRoutingRedirect",
    "attach_enctype_error_multidict",
    "explain_template_loading_attempts",
]
