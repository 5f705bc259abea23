"""Helpers: url_for, redirect, abort, flashing, files and the static route."""

from __future__ import annotations

import io
import os
import typing as t

import pytest

from tumbler import Tumbler
from tumbler import abort
from tumbler import flash
from tumbler import get_flashed_messages
from tumbler import redirect
from tumbler import send_file
from tumbler import send_from_directory
from tumbler import stream_with_context
from tumbler import url_for
from tumbler.exceptions import NotFound
from tumbler.helpers import get_root_path
from tumbler.routing import BuildError


@pytest.fixture
def routed(app: Tumbler) -> Tumbler:
    app.add_url_rule("/", "index", lambda: "")
    app.add_url_rule("/user/<int:id>", "user", lambda id: "")
    app.add_url_rule("/post", "post_only", lambda: "", methods=["POST"])
    return app


def test_url_for_inside_request_is_relative(routed: Tumbler) -> None:
    with routed.test_request_context():
        assert url_for("user", id=3) == "/user/3"


def test_url_for_unknown_values_become_query_args(routed: Tumbler) -> None:
    with routed.test_request_context():
        assert url_for("index", q="a b") == "/?q=a+b"


def test_url_for_external_uses_request_host(routed: Tumbler) -> None:
    with routed.test_request_context(base_url="http://example.test"):
        assert url_for("index", _external=True) == "http://example.test/"


def test_url_for_scheme_implies_external_inside_request(routed: Tumbler) -> None:
    with routed.test_request_context(base_url="http://example.test"):
        assert url_for("index", _scheme="https") == "https://example.test/"


def test_url_for_scheme_with_external_false_is_an_error(routed: Tumbler) -> None:
    with (
        routed.test_request_context(),
        pytest.raises(ValueError, match="'_external' must be True"),
    ):
        url_for("index", _scheme="https", _external=False)


def test_url_for_anchor_is_quoted(routed: Tumbler) -> None:
    with routed.test_request_context():
        assert url_for("index", _anchor="x y") == "/#x%20y"


def test_url_for_method_selects_rule(routed: Tumbler) -> None:
    with routed.test_request_context():
        assert url_for("post_only", _method="POST") == "/post"


def test_url_for_outside_request_needs_server_name(routed: Tumbler) -> None:
    with routed.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("index")


def test_url_for_outside_request_uses_server_name_root_and_scheme(app: Tumbler) -> None:
    app.config.update(
        SERVER_NAME="example.test", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https"
    )
    app.add_url_rule("/page", "page", lambda: "")
    with app.app_context():
        assert url_for("page") == "https://example.test/app/page"


def test_url_for_build_error_for_unknown_endpoint(routed: Tumbler) -> None:
    with routed.test_request_context(), pytest.raises(BuildError):
        url_for("nope")


def test_url_build_error_handler_can_supply_url(routed: Tumbler) -> None:
    routed.url_build_error_handlers.append(lambda error, endpoint, values: f"/fallback/{endpoint}")
    with routed.test_request_context():
        assert url_for("nope") == "/fallback/nope"


def test_url_for_outside_app_context_raises() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        url_for("index")


def test_redirect_uses_app_response_class(app: Tumbler) -> None:
    class MyResponse(app.response_class):  # type: ignore[name-defined,misc]
        pass

    app.response_class = MyResponse
    with app.app_context():
        rv = redirect("/target", 301)
    assert isinstance(rv, MyResponse)
    assert rv.status_code == 301
    assert rv.headers["Location"] == "/target"


def test_redirect_without_app_context_works() -> None:
    rv = redirect("/x")
    assert rv.status_code == 302


def test_redirect_from_view(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: redirect(url_for("target")))
    app.add_url_rule("/target", "target", lambda: "arrived")
    rv = client.get("/")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/target"
    assert client.get("/", follow_redirects=True).data == b"arrived"


def test_abort_raises_http_exception_outside_app() -> None:
    with pytest.raises(NotFound):
        abort(404)


def test_abort_uses_app_aborter(app: Tumbler) -> None:
    calls: list[int] = []

    class Aborter:
        def __call__(self, code: int, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
            calls.append(code)
            raise NotFound()

    app.aborter = Aborter()  # type: ignore[assignment]
    with app.app_context(), pytest.raises(NotFound):
        abort(410)
    assert calls == [410]


def test_flash_messages_survive_one_redirect(app: Tumbler, client: t.Any) -> None:
    @app.route("/set")
    def set_message() -> t.Any:
        flash("saved")
        flash("careful", "warning")
        return redirect("/show")

    @app.route("/show")
    def show() -> t.Any:
        return {
            "all": get_flashed_messages(with_categories=True),
            "again": get_flashed_messages(),
            "warnings": get_flashed_messages(category_filter=["warning"]),
        }

    client.get("/set")
    data = client.get("/show").json
    assert data["all"] == [["message", "saved"], ["warning", "careful"]]
    assert data["again"] == ["saved", "careful"]
    assert data["warnings"] == ["careful"]
    assert client.get("/show").json["all"] == []


def test_flash_without_secret_key_is_an_error(app: Tumbler, client: t.Any) -> None:
    app.secret_key = None

    @app.route("/")
    def index() -> str:
        flash("x")
        return ""

    with pytest.raises(RuntimeError, match="secret key"):
        client.get("/")


def test_send_file_relative_to_root_path(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        return send_file("conftest.py", mimetype="text/x-python")

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.mimetype == "text/x-python"
    with open(os.path.join(os.path.dirname(__file__), "conftest.py"), "rb") as f:
        assert rv.data == f.read()
    rv.close()


def test_send_file_from_file_object(app: Tumbler, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        return send_file(io.BytesIO(b"in memory"), download_name="a.txt")

    rv = client.get("/")
    assert rv.data == b"in memory"
    assert rv.mimetype == "text/plain"
    rv.close()


def test_send_file_honors_conditional_requests(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: send_file("conftest.py"))
    first = client.get("/")
    etag = first.headers["ETag"]
    first.close()
    rv = client.get("/", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    rv.close()


def test_send_file_range_request(app: Tumbler, client: t.Any) -> None:
    app.add_url_rule("/", "i", lambda: send_file("conftest.py"))
    rv = client.get("/", headers={"Range": "bytes=0-9"})
    assert rv.status_code == 206
    assert len(rv.data) == 10
    rv.close()


def test_send_from_directory_refuses_traversal(app: Tumbler, client: t.Any) -> None:
    @app.route("/files/<path:name>")
    def files(name: str) -> t.Any:
        return send_from_directory(os.path.dirname(__file__), name)

    rv = client.get("/files/conftest.py")
    assert rv.status_code == 200
    rv.close()
    assert client.get("/files/../README.md").status_code == 404
    assert client.get("/files/missing.txt").status_code == 404


def test_static_route_serves_files_with_max_age(tmp_path: t.Any, protocol: str) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body {}")
    app = Tumbler("static_app", root_path=str(tmp_path))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
    client = app.test_client(asgi=protocol == "asgi")
    rv = client.get("/static/site.css")
    assert rv.status_code == 200
    assert rv.data == b"body {}"
    assert "max-age=60" in rv.headers["Cache-Control"]
    rv.close()
    assert client.get("/static/../secret").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="site.css") == "/static/site.css"


def test_static_folder_none_disables_static_route() -> None:
    app = Tumbler("nostatic", static_folder=None)
    assert "static" not in app.view_functions


def test_custom_static_url_path(tmp_path: t.Any) -> None:
    (tmp_path / "assets").mkdir()
    app = Tumbler("s", root_path=str(tmp_path), static_folder="assets", static_url_path="/s")
    with app.test_request_context():
        assert url_for("static", filename="x.js") == "/s/x.js"


def test_stream_with_context_outside_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context is active"):
        stream_with_context(iter(["x"]))


def test_get_root_path_of_module_and_unknown_name() -> None:
    assert get_root_path(__name__) == os.path.dirname(os.path.abspath(__file__))
    assert get_root_path("surely_not_a_module_xyz") == os.getcwd()


def test_get_send_file_max_age_accepts_timedelta(app: Tumbler) -> None:
    from datetime import timedelta

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    with app.app_context():
        assert app.get_send_file_max_age("x") == 3600
