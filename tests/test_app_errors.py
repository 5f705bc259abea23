"""Error handling: handler lookup, precedence, propagation and trapping, as in Flask."""

from __future__ import annotations

import logging
import typing as t

import pytest

from tumbler import Blueprint
from tumbler import Tumbler
from tumbler import abort
from tumbler import got_request_exception
from tumbler import request
from tumbler.exceptions import BadRequest
from tumbler.exceptions import Forbidden
from tumbler.exceptions import HTTPException
from tumbler.exceptions import InternalServerError
from tumbler.exceptions import NotFound


class ParentError(Exception):
    pass


class ChildError(ParentError):
    pass


def test_code_handler_handles_abort(app: Tumbler, client: t.Any) -> None:
    @app.errorhandler(403)
    def forbidden(e: HTTPException) -> tuple[str, int]:
        return f"custom {e.code}", 403

    app.add_url_rule("/", "i", lambda: abort(403))
    rv = client.get("/")
    assert rv.status_code == 403
    assert rv.data == b"custom 403"


def test_404_handler_handles_routing_failure(app: Tumbler, client: t.Any) -> None:
    app.register_error_handler(404, lambda e: ("nothing here", 404))
    rv = client.get("/nowhere")
    assert rv.status_code == 404
    assert rv.data == b"nothing here"


def test_exception_class_handler_matches_subclasses_through_mro(
    app: Tumbler, client: t.Any
) -> None:
    @app.errorhandler(ParentError)
    def parent(e: Exception) -> str:
        return f"parent handled {type(e).__name__}"

    @app.route("/")
    def index() -> str:
        raise ChildError()

    assert client.get("/").data == b"parent handled ChildError"


def test_most_specific_class_handler_wins(app: Tumbler, client: t.Any) -> None:
    app.register_error_handler(ParentError, lambda e: "parent")
    app.register_error_handler(ChildError, lambda e: "child")

    @app.route("/")
    def index() -> str:
        raise ChildError()

    assert client.get("/").data == b"child"


def test_code_handler_wins_over_class_handler(app: Tumbler, client: t.Any) -> None:
    app.register_error_handler(HTTPException, lambda e: "generic")
    app.register_error_handler(404, lambda e: "code")
    assert client.get("/missing").data == b"code"


def test_http_exception_class_handler_catches_all_http_errors(app: Tumbler, client: t.Any) -> None:
    app.register_error_handler(HTTPException, lambda e: (f"http {e.code}", e.code))
    app.add_url_rule("/", "i", lambda: abort(418))
    rv = client.get("/")
    assert rv.status_code == 418
    assert rv.data == b"http 418"


def test_blueprint_handler_wins_over_app_handler_for_its_routes(
    app: Tumbler, client: t.Any
) -> None:
    bp = Blueprint("bp", __name__)
    bp.register_error_handler(Forbidden, lambda e: "blueprint")
    app.register_error_handler(Forbidden, lambda e: "app")
    bp.add_url_rule("/bp", "v", lambda: abort(403))
    app.add_url_rule("/app", "v", lambda: abort(403))
    app.register_blueprint(bp)
    assert client.get("/bp").data == b"blueprint"
    assert client.get("/app").data == b"app"


def test_blueprint_code_handler_beats_app_class_handler(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)
    bp.register_error_handler(403, lambda e: "bp code")
    app.register_error_handler(Forbidden, lambda e: "app class")
    bp.add_url_rule("/bp", "v", lambda: abort(403))
    app.register_blueprint(bp)
    assert client.get("/bp").data == b"bp code"


def test_app_errorhandler_from_blueprint_is_app_wide(app: Tumbler, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return "from bp", 404

    app.register_blueprint(bp)
    assert client.get("/anything").data == b"from bp"


def test_unhandled_exception_propagates_in_testing_mode(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        client.get("/")


def test_unhandled_exception_is_500_when_not_propagating(
    app: Tumbler, client: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError("boom")

    with caplog.at_level(logging.ERROR):
        rv = client.get("/")
    assert rv.status_code == 500
    assert "Exception on / [GET]" in caplog.text


def test_500_handler_receives_internal_server_error_with_original(
    app: Tumbler, client: t.Any
) -> None:
    app.testing = False

    @app.errorhandler(500)
    def handle(e: InternalServerError) -> tuple[str, int]:
        return f"wrapped {type(e.original_exception).__name__}", 500

    @app.route("/")
    def index() -> str:
        raise KeyError("x")

    rv = client.get("/")
    assert rv.status_code == 500
    assert rv.data == b"wrapped KeyError"


def test_got_request_exception_signal_is_sent(app: Tumbler, client: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    recorded: list[Exception] = []

    def receiver(sender: Tumbler, exception: Exception, **kw: t.Any) -> None:
        recorded.append(exception)

    @app.route("/")
    def index() -> str:
        raise ValueError("bad")

    with got_request_exception.connected_to(receiver, app):
        assert client.get("/").status_code == 500
    assert len(recorded) == 1
    assert isinstance(recorded[0], ValueError)


def test_trap_http_exceptions_makes_http_errors_propagate(app: Tumbler, client: t.Any) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.add_url_rule("/", "i", lambda: abort(404))
    with pytest.raises(NotFound):
        client.get("/")


def test_trap_bad_request_errors_propagates_missing_form_key(app: Tumbler, client: t.Any) -> None:
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True

    @app.route("/", methods=["POST"])
    def index() -> str:
        return request.form["missing"]

    with pytest.raises(KeyError):
        client.post("/", data={"other": "1"})


def test_missing_form_key_is_400_by_default(app: Tumbler, client: t.Any) -> None:
    @app.route("/", methods=["POST"])
    def index() -> str:
        return request.form["missing"]

    assert client.post("/", data={"other": "1"}).status_code == 400


def test_error_in_error_handler_propagates(app: Tumbler, client: t.Any) -> None:
    @app.errorhandler(404)
    def broken(e: Exception) -> str:
        raise RuntimeError("handler broke")

    with pytest.raises(RuntimeError, match="handler broke"):
        client.get("/missing")


def test_async_error_handler(app: Tumbler, client: t.Any) -> None:
    @app.errorhandler(BadRequest)
    async def handle(e: BadRequest) -> tuple[str, int]:
        return "async handled", 400

    app.add_url_rule("/", "i", lambda: abort(400))
    assert client.get("/").data == b"async handled"


def test_registering_handler_for_non_error_code_is_refused(app: Tumbler) -> None:
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(200, lambda e: "x")


def test_registering_handler_for_exception_instance_is_refused(app: Tumbler) -> None:
    with pytest.raises(TypeError, match="instance, not a class"):
        app.register_error_handler(ValueError(), lambda e: "x")  # type: ignore[arg-type]


def test_registering_handler_for_non_exception_class_is_refused(app: Tumbler) -> None:
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(str, lambda e: "x")  # type: ignore[arg-type]


def test_abort_with_response_returns_that_response(app: Tumbler, client: t.Any) -> None:
    from tumbler import Response

    app.add_url_rule("/", "i", lambda: abort(Response("custom", status=409)))
    rv = client.get("/")
    assert rv.status_code == 409
    assert rv.data == b"custom"
