"""The application logger and its default handler.

``app.logger`` is the standard :mod:`logging` logger named after ``app.name``. Unless logging is
already configured to handle its level, it gets :data:`default_handler`, which writes to the
server's error stream during a request (``wsgi.errors``) and to ``sys.stderr`` otherwise.
Configure logging before creating the app, or remove the handler with
``app.logger.removeHandler(default_handler)``, to take over.
"""

from __future__ import annotations

import logging
import sys
import typing as t

from tumbler.ctx import has_request_context
from tumbler.globals import request


class _WSGIErrorsStream:
    """A write-only text stream that forwards to the current request's ``wsgi.errors`` stream,
    or to ``sys.stderr`` when there is no request or no such stream (for example under ASGI).
    """

    __slots__ = ()

    @staticmethod
    def _target() -> t.TextIO:
        if has_request_context():
            environ = getattr(request, "environ", None)
            if environ:
                stream = environ.get("wsgi.errors")
                if stream is not None:
                    return stream
        return sys.stderr

    def write(self, data: str) -> int:
        """Write ``data`` to the current target stream."""
        rv = self._target().write(data)
        return rv if isinstance(rv, int) else len(data)

    def flush(self) -> None:
        """Flush the current target stream, if it can be flushed."""
        flush = getattr(self._target(), "flush", None)
        if flush is not None:
            flush()

    def __repr__(self) -> str:
        return "<wsgi_errors_stream>"


#: Writes to the current request's ``wsgi.errors`` stream, else to ``sys.stderr``.
wsgi_errors_stream: t.TextIO = t.cast(t.TextIO, _WSGIErrorsStream())


def has_level_handler(logger: logging.Logger) -> bool:
    """Tell whether some handler on ``logger`` or its ancestors (following ``propagate``)
    handles the logger's effective level.
    """
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


#: Logs to :data:`wsgi_errors_stream` as ``[time] LEVEL in module: message``.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def create_logger(app: t.Any) -> logging.Logger:
    """Return the logger for ``app``, named ``app.name``.

    Sets the level to DEBUG when ``app.debug`` is true and no level was set, and adds
    :data:`default_handler` when nothing handles the effective level yet.
    """
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
