"""Typical Flask apps (after Flask's documentation), ported by renaming imports only.

Each app below is written exactly as for Flask 3.1, with ``flask`` replaced by ``tumbler``,
``Flask`` by ``Tumbler`` and ``werkzeug.X`` by ``tumbler.X``. The tests assert the behaviour
Flask documents, over WSGI and ASGI.
"""

from __future__ import annotations

import functools
import sqlite3
import typing as t

import pytest

# --- 1. The quickstart ---------------------------------------------------------------------
from markupsafe import escape

from tumbler import Blueprint
from tumbler import Tumbler
from tumbler import abort
from tumbler import current_app
from tumbler import flash
from tumbler import g
from tumbler import get_flashed_messages
from tumbler import jsonify
from tumbler import make_response
from tumbler import redirect
from tumbler import render_template_string
from tumbler import request
from tumbler import session
from tumbler import url_for
from tumbler.exceptions import HTTPException
from tumbler.security import check_password_hash
from tumbler.security import generate_password_hash


def create_quickstart_app() -> Tumbler:
    app = Tumbler(__name__)
    app.secret_key = b'_5#y2L"F4Q8z\n\xec]/'

    @app.route("/")
    def index() -> str:
        if "username" in session:
            return f"Logged in as {session['username']}"
        return "You are not logged in"

    @app.route("/login", methods=["GET", "POST"])
    def login() -> t.Any:
        if request.method == "POST":
            session["username"] = request.form["username"]
            return redirect(url_for("index"))
        return """
            <form method="post">
                <p><input type=text name=username>
                <p><input type=submit value=Login>
            </form>
        """

    @app.route("/logout")
    def logout() -> t.Any:
        session.pop("username", None)
        return redirect(url_for("index"))

    @app.route("/user/<username>")
    def show_user_profile(username: str) -> str:
        return f"User {escape(username)}"

    @app.route("/post/<int:post_id>")
    def show_post(post_id: int) -> str:
        return f"Post {post_id}"

    @app.route("/path/<path:subpath>")
    def show_subpath(subpath: str) -> str:
        return f"Subpath {escape(subpath)}"

    @app.route("/projects/")
    def projects() -> str:
        return "The project page"

    @app.route("/about")
    def about() -> str:
        return "The about page"

    @app.errorhandler(404)
    def page_not_found(error: Exception) -> t.Any:
        resp = make_response("not found page", 404)
        resp.headers["X-Something"] = "A value"
        return resp

    @app.route("/me")
    def me_api() -> dict[str, t.Any]:
        return {"username": "guest", "theme": "dark"}

    @app.route("/hello/")
    @app.route("/hello/<name>")
    def hello(name: str | None = None) -> str:
        return render_template_string("<h1>Hello {{ name or 'World' }}!</h1>", name=name)

    return app


@pytest.fixture(params=["wsgi", "asgi"])
def quickstart(request: pytest.FixtureRequest) -> t.Any:
    app = create_quickstart_app()
    return app.test_client(asgi=request.param == "asgi")


def test_quickstart_variable_rules(quickstart: t.Any) -> None:
    assert quickstart.get("/user/<b>").data == b"User &lt;b&gt;"
    assert quickstart.get("/post/42").data == b"Post 42"
    assert quickstart.get("/post/x").status_code == 404
    assert quickstart.get("/path/a/b/c").data == b"Subpath a/b/c"


def test_quickstart_unique_urls_and_redirect_behavior(quickstart: t.Any) -> None:
    rv = quickstart.get("/projects")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/projects/")
    assert quickstart.get("/about/").status_code == 404


def test_quickstart_custom_404_with_header(quickstart: t.Any) -> None:
    rv = quickstart.get("/nope")
    assert rv.status_code == 404
    assert rv.headers["X-Something"] == "A value"


def test_quickstart_json_dict_response(quickstart: t.Any) -> None:
    assert quickstart.get("/me").json == {"username": "guest", "theme": "dark"}


def test_quickstart_templates_escape(quickstart: t.Any) -> None:
    assert quickstart.get("/hello/").data == b"<h1>Hello World!</h1>"
    assert quickstart.get("/hello/<x>").data == b"<h1>Hello &lt;x&gt;!</h1>"


def test_quickstart_session_login_logout(quickstart: t.Any) -> None:
    assert quickstart.get("/").data == b"You are not logged in"
    rv = quickstart.post("/login", data={"username": "ann"})
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/"
    assert quickstart.get("/").data == b"Logged in as ann"
    quickstart.get("/logout")
    assert quickstart.get("/").data == b"You are not logged in"


# --- 2. A JSON API with error handlers (Flask docs: "Handling Application Errors") ----------


class InvalidAPIUsage(Exception):
    status_code = 400

    def __init__(
        self, message: str, status_code: int | None = None, payload: dict[str, t.Any] | None = None
    ) -> None:
        super().__init__()
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.payload = payload

    def to_dict(self) -> dict[str, t.Any]:
        rv = dict(self.payload or ())
        rv["message"] = self.message
        return rv


def create_api_app() -> Tumbler:
    app = Tumbler(__name__)
    todos: dict[int, dict[str, t.Any]] = {}

    @app.errorhandler(InvalidAPIUsage)
    def invalid_api_usage(e: InvalidAPIUsage) -> t.Any:
        return jsonify(e.to_dict()), e.status_code

    @app.errorhandler(HTTPException)
    def handle_exception(e: HTTPException) -> t.Any:
        response = e.get_response()
        response.data = current_app.json.dumps(
            {"code": e.code, "name": e.name, "description": e.description}
        )
        response.content_type = "application/json"
        return response

    @app.get("/api/todos")
    def list_todos() -> t.Any:
        return jsonify(list(todos.values()))

    @app.post("/api/todos")
    def create_todo() -> t.Any:
        data = request.get_json()
        if not data or "title" not in data:
            raise InvalidAPIUsage("title is required", payload={"field": "title"})
        todo = {"id": len(todos) + 1, "title": data["title"]}
        todos[todo["id"]] = todo
        return todo, 201, {"Location": url_for("get_todo", todo_id=todo["id"])}

    @app.get("/api/todos/<int:todo_id>")
    def get_todo(todo_id: int) -> t.Any:
        if todo_id not in todos:
            abort(404, description=f"todo {todo_id} does not exist")
        return todos[todo_id]

    @app.delete("/api/todos/<int:todo_id>")
    def delete_todo(todo_id: int) -> t.Any:
        todos.pop(todo_id, None)
        return "", 204

    return app


@pytest.fixture(params=["wsgi", "asgi"])
def api(request: pytest.FixtureRequest) -> t.Any:
    return create_api_app().test_client(asgi=request.param == "asgi")


def test_api_create_and_fetch(api: t.Any) -> None:
    rv = api.post("/api/todos", json={"title": "write tests"})
    assert rv.status_code == 201
    assert rv.headers["Location"] == "/api/todos/1"
    assert api.get("/api/todos/1").json == {"id": 1, "title": "write tests"}
    assert api.get("/api/todos").json == [{"id": 1, "title": "write tests"}]


def test_api_custom_exception_handler(api: t.Any) -> None:
    rv = api.post("/api/todos", json={"other": 1})
    assert rv.status_code == 400
    assert rv.json == {"message": "title is required", "field": "title"}


def test_api_http_errors_become_json(api: t.Any) -> None:
    rv = api.get("/api/todos/9")
    assert rv.status_code == 404
    assert rv.json["description"] == "todo 9 does not exist"
    rv = api.put("/api/todos")
    assert rv.status_code == 405
    assert rv.json["name"] == "Method Not Allowed"


def test_api_wrong_content_type_is_415_json(api: t.Any) -> None:
    rv = api.post("/api/todos", data="title=x")
    assert rv.status_code == 415
    assert rv.json["code"] == 415


def test_api_delete_returns_204(api: t.Any) -> None:
    assert api.delete("/api/todos/1").status_code == 204


# --- 3. An app factory with blueprints, a database in g, and login_required (flaskr-like) ----


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
        g.db.execute(
            "CREATE TABLE IF NOT EXISTS user (id INTEGER PRIMARY KEY, username TEXT UNIQUE,"
            " password TEXT)"
        )
    return g.db  # type: ignore[no-any-return]


def close_db(e: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=("GET", "POST"))
def register() -> t.Any:
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        db = get_db()
        error = None
        if not username:
            error = "Username is required."
        if error is None:
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    (username, generate_password_hash(password)),
                )
                db.commit()
            except db.IntegrityError:
                error = f"User {username} is already registered."
            else:
                return redirect(url_for("auth.login"))
        flash(error or "")
    return "register form " + " ".join(t.cast(list[str], get_flashed_messages()))


@bp.route("/login", methods=("GET", "POST"))
def login() -> t.Any:
    if request.method == "POST":
        db = get_db()
        user = db.execute(
            "SELECT * FROM user WHERE username = ?", (request.form["username"],)
        ).fetchone()
        if user is None or not check_password_hash(user["password"], request.form["password"]):
            flash("Incorrect login.")
        else:
            session.clear()
            session["user_id"] = user["id"]
            return redirect(url_for("index"))
    return "login form " + " ".join(t.cast(list[str], get_flashed_messages()))


@bp.before_app_request
def load_logged_in_user() -> None:
    user_id = session.get("user_id")
    g.user = (
        None
        if user_id is None
        else get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()
    )


def login_required(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    @functools.wraps(view)
    def wrapped_view(**kwargs: t.Any) -> t.Any:
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(**kwargs)

    return wrapped_view


def create_app(test_config: dict[str, t.Any] | None = None) -> Tumbler:
    app = Tumbler(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev", DATABASE=":memory:")
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.teardown_appcontext(close_db)
    app.register_blueprint(bp)

    @app.route("/")
    @login_required
    def index() -> str:
        return f"hello {g.user['username']}"

    return app


@pytest.fixture(params=["wsgi", "asgi"])
def factory_client(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "db.sqlite")})
    return app.test_client(asgi=request.param == "asgi")


def test_factory_app_register_login_and_protected_page(factory_client: t.Any) -> None:
    rv = factory_client.get("/")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/auth/login"
    rv = factory_client.post("/auth/register", data={"username": "a", "password": "pw"})
    assert rv.headers["Location"] == "/auth/login"
    rv = factory_client.post("/auth/register", data={"username": "a", "password": "pw"})
    assert b"already registered" in rv.data
    rv = factory_client.post("/auth/login", data={"username": "a", "password": "bad"})
    assert b"Incorrect login." in rv.data
    rv = factory_client.post("/auth/login", data={"username": "a", "password": "pw"})
    assert rv.headers["Location"] == "/"
    assert factory_client.get("/").data == b"hello a"


def test_factory_app_context_keeps_g_for_inspection(factory_client: t.Any) -> None:
    with factory_client:
        factory_client.get("/auth/login")
        assert g.user is None
        assert request.path == "/auth/login"
