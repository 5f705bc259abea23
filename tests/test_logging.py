from __future__ import annotations

import io
import logging
import sys
import typing as t
import uuid

import pytest

from tumbler.app import Tumbler
from tumbler.globals import request
from tumbler.logging import create_logger
from tumbler.logging import default_handler
from tumbler.logging import has_level_handler
from tumbler.logging import wsgi_errors_stream


class FakeApp:
    def __init__(self, debug: bool = False) -> None:
        self.name = f"test_logging_{uuid.uuid4().hex}"
        self.debug = debug


@pytest.fixture
def cleanup_loggers() -> t.Iterator[list[logging.Logger]]:
    created: list[logging.Logger] = []
    yield created
    for logger in created:
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)


def test_create_logger_is_named_after_the_app(cleanup_loggers: list[logging.Logger]) -> None:
    app = FakeApp()
    logger = create_logger(app)
    cleanup_loggers.append(logger)
    assert logger is logging.getLogger(app.name)


def test_create_logger_sets_debug_level_in_debug_mode(
    cleanup_loggers: list[logging.Logger],
) -> None:
    logger = create_logger(FakeApp(debug=True))
    cleanup_loggers.append(logger)
    assert logger.level == logging.DEBUG


def test_create_logger_keeps_an_explicit_level_in_debug_mode(
    cleanup_loggers: list[logging.Logger],
) -> None:
    app = FakeApp(debug=True)
    logging.getLogger(app.name).setLevel(logging.ERROR)
    logger = create_logger(app)
    cleanup_loggers.append(logger)
    assert logger.level == logging.ERROR


def test_create_logger_leaves_level_unset_without_debug(
    cleanup_loggers: list[logging.Logger],
) -> None:
    logger = create_logger(FakeApp())
    cleanup_loggers.append(logger)
    assert logger.level == logging.NOTSET


def test_create_logger_adds_default_handler_when_nothing_handles_level(
    cleanup_loggers: list[logging.Logger], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest's capture handler on the root logger would count as a handler: hide it.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    logger = create_logger(FakeApp())
    cleanup_loggers.append(logger)
    assert default_handler in logger.handlers


def test_create_logger_skips_default_handler_when_root_handles_level(
    cleanup_loggers: list[logging.Logger], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.NullHandler()])
    logger = create_logger(FakeApp())
    cleanup_loggers.append(logger)
    assert default_handler not in logger.handlers


def test_has_level_handler_ignores_handlers_above_the_level() -> None:
    logger = logging.getLogger(f"test_logging_{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.NullHandler()
    handler.setLevel(logging.ERROR)
    logger.addHandler(handler)
    assert has_level_handler(logger) is False
    handler.setLevel(logging.INFO)
    assert has_level_handler(logger) is True


def test_has_level_handler_stops_at_non_propagating_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [logging.NullHandler()])
    logger = logging.getLogger(f"test_logging_{uuid.uuid4().hex}")
    assert has_level_handler(logger) is True
    logger.propagate = False
    assert has_level_handler(logger) is False


def test_wsgi_errors_stream_writes_to_stderr_outside_a_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", fake_stderr)
    wsgi_errors_stream.write("hello\n")
    wsgi_errors_stream.flush()
    assert fake_stderr.getvalue() == "hello\n"


def test_default_handler_format_names_level_and_module(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", fake_stderr)
    logger = logging.getLogger(f"test_logging_{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(default_handler)
    logger.warning("careful")
    assert fake_stderr.getvalue().endswith("WARNING in test_logging: careful\n")
    assert fake_stderr.getvalue().startswith("[")


# --- with a real application -----------------------------------------------------------------


def test_wsgi_errors_stream_writes_to_the_requests_wsgi_errors() -> None:
    app = Tumbler("logging_app")
    buffer = io.StringIO()
    with app.test_request_context():
        request.environ["wsgi.errors"] = buffer
        wsgi_errors_stream.write("in request\n")
    assert buffer.getvalue() == "in request\n"


def test_wsgi_errors_stream_falls_back_to_stderr_without_wsgi_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", fake_stderr)
    app = Tumbler("logging_app_asgi")
    with app.test_request_context():
        request.environ.pop("wsgi.errors", None)
        wsgi_errors_stream.write("no stream\n")
    assert fake_stderr.getvalue() == "no stream\n"


def test_app_logger_is_created_by_create_logger() -> None:
    app = Tumbler(f"logging_app_{uuid.uuid4().hex}")
    app.debug = True
    try:
        assert app.logger.name == app.name
        assert app.logger.level == logging.DEBUG
    finally:
        app.logger.handlers.clear()
        app.logger.setLevel(logging.NOTSET)
