"""Werkzeug's ``werkzeug.test`` names, for code ported with ``werkzeug.X`` -> ``tumbler.X``.

:class:`Client` drives any WSGI (or, with ``asgi=True``, ASGI) application in-process; it is
:class:`tumbler.testing.TumblerClient`, which ``app.test_client()`` returns. :class:`EnvironBuilder`
here takes werkzeug's arguments (``path`` first, no app); the app-aware builder that
``app.test_request_context()`` uses is :class:`tumbler.testing.EnvironBuilder`.
"""

from __future__ import annotations

import typing as t

from tumbler.testing import ClientRedirectError
from tumbler.testing import Cookie
from tumbler.testing import EnvironBuilder as _AppEnvironBuilder
from tumbler.testing import TestResponse
from tumbler.testing import TumblerClient as Client
from tumbler.testing import encode_multipart
from tumbler.testing import run_wsgi_app

__all__ = [
    "Client",
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "TestResponse",
    "create_environ",
    "encode_multipart",
    "run_wsgi_app",
]


class EnvironBuilder(_AppEnvironBuilder):
    """Build a WSGI environ (or ASGI scope) for ``http://localhost/`` from werkzeug's arguments.

    Takes the arguments of :class:`tumbler.testing.EnvironBuilder` without ``app``, in werkzeug's
    positional order: ``path``, ``base_url``, ``query_string``, ``method``, ``input_stream``,
    ``content_type``, ``content_length``, ``errors_stream``, ``multithread``, ``multiprocess``,
    ``run_once``, ``headers``, ``data``, ``environ_base``, ``environ_overrides``, ``mimetype``,
    ``json``, ``auth``.

    :raises ValueError: for conflicting URL arguments.
    :raises TypeError: for conflicting body arguments.
    """

    def __init__(
        self, path: str = "/", base_url: str | None = None, *args: t.Any, **kwargs: t.Any
    ) -> None:
        # The app-aware builder has subdomain and url_scheme between base_url and the rest.
        super().__init__(None, path, base_url, None, None, *args, **kwargs)


def create_environ(*args: t.Any, **kwargs: t.Any) -> dict[str, t.Any]:
    """Return a WSGI environ built from :class:`EnvironBuilder`'s arguments."""
    builder = EnvironBuilder(*args, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()
