"""Functional tests for the example blog (examples/blog), driven through WSGI and ASGI test clients."""

from __future__ import annotations

import importlib
import os
import re
import sqlite3
import stat
import sys
import types
import typing as t
from pathlib import Path

import pytest

from tumbler import Tumbler
from tumbler.security import check_password_hash
from tumbler.testing import TumblerClient

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "blog"
PASSWORD = "correct horse battery"
SCRIPT_BODY = "<script>alert(1)</script><b>x</b>"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _blog() -> types.ModuleType:
    # The example is a plain package directory (not installed), as a user would have it.
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    return importlib.import_module("blog")


def _config(tmp_path: Path, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "TESTING": True,
        "SECRET_KEY": "test secret key",
        "DATABASE": str(tmp_path / "blog.sqlite"),
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        # scrypt (the default) is deliberately slow; tests only need a real, checkable hash.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(tmp_path: Path) -> Tumbler:
    return _blog().create_app(_config(tmp_path))


@pytest.fixture(params=["wsgi", "asgi"])
def client(app: Tumbler, request: pytest.FixtureRequest) -> TumblerClient:
    return app.test_client(asgi=request.param == "asgi")


def csrf_token_from(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match is not None, "the page has no csrf_token form field"
    return match.group(1)


def submit(
    client: TumblerClient,
    url: str,
    data: dict[str, str] | None = None,
    form_page: str | None = None,
    **kwargs: t.Any,
) -> t.Any:
    """POST ``data`` to ``url`` with the CSRF token taken from ``form_page`` (default ``url``)."""
    page = client.get(form_page or url)
    fields = dict(data or {})
    fields["csrf_token"] = csrf_token_from(page.text)
    return client.post(url, data=fields, **kwargs)


def register(client: TumblerClient, username: str, password: str = PASSWORD) -> t.Any:
    return submit(client, "/auth/register", {"username": username, "password": password})


def login(client: TumblerClient, username: str, password: str = PASSWORD) -> t.Any:
    return submit(client, "/auth/login", {"username": username, "password": password})


def logout(client: TumblerClient) -> t.Any:
    return submit(client, "/auth/logout", form_page="/")


def create_post(client: TumblerClient, title: str = "Hello", body: str = "First post") -> t.Any:
    return submit(client, "/create", {"title": title, "body": body})


def signed_in(client: TumblerClient, username: str = "alice") -> TumblerClient:
    register(client, username)
    login(client, username)
    return client


def rows(app: Tumbler, query: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


# --- setup -------------------------------------------------------------------------------------


def test_create_app_creates_the_database_with_its_schema_on_first_run(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "dir" / "blog.sqlite"
    _blog().create_app(_config(tmp_path, DATABASE=str(database)))
    conn = sqlite3.connect(database)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"user", "post"} <= tables


def test_create_app_keeps_an_existing_database(tmp_path: Path) -> None:
    app = _blog().create_app(_config(tmp_path))
    signed_in(app.test_client())
    _blog().create_app(_config(tmp_path))
    assert len(rows(app, "SELECT * FROM user")) == 1


def test_missing_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    config = _config(tmp_path, SECRET_KEY=None)
    first = _blog().create_app(config)
    second = _blog().create_app(config)
    key_file = Path(config["SECRET_KEY_FILE"])
    assert len(first.config["SECRET_KEY"]) == 64
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_environment_variables_configure_database_and_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOG_DATABASE", str(tmp_path / "env.sqlite"))
    # Looks like a number to a JSON parser; the blog must keep it a string.
    monkeypatch.setenv("BLOG_SECRET_KEY", "12e4")
    app = _blog().create_app()
    assert app.config["DATABASE"] == str(tmp_path / "env.sqlite")
    assert app.config["SECRET_KEY"] == "12e4"
    assert os.path.exists(tmp_path / "env.sqlite")


def test_init_db_command_drops_all_data(app: Tumbler) -> None:
    signed_in(app.test_client())
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database." in result.output
    assert rows(app, "SELECT * FROM user") == []


def test_static_stylesheet_is_served(client: TumblerClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"


# --- registration and login --------------------------------------------------------------------


def test_index_for_anonymous_visitor_offers_register_and_login(client: TumblerClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/auth/register"' in response.text
    assert 'href="/auth/login"' in response.text
    assert "No posts yet." in response.text


def test_every_form_carries_a_csrf_token(client: TumblerClient) -> None:
    for url in ("/auth/register", "/auth/login"):
        assert csrf_token_from(client.get(url).text)
    signed_in(client)
    for url in ("/", "/create"):
        assert csrf_token_from(client.get(url).text)


def test_register_stores_a_password_hash_and_redirects_to_login(
    app: Tumbler, client: TumblerClient
) -> None:
    response = register(client, "alice")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")
    (user,) = rows(app, "SELECT * FROM user")
    assert user["username"] == "alice"
    assert user["password"] != PASSWORD
    assert check_password_hash(user["password"], PASSWORD)


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path: Path) -> None:
    config = _config(tmp_path)
    del config["PASSWORD_HASH_METHOD"]
    app = _blog().create_app(config)
    register(app.test_client(), "alice")
    (user,) = rows(app, "SELECT password FROM user")
    assert user["password"].startswith("scrypt:")


def test_register_rejects_a_taken_username(client: TumblerClient) -> None:
    register(client, "alice")
    response = register(client, "alice")
    assert response.status_code == 400
    assert "User alice is already registered." in response.text


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", PASSWORD, "Username is required."),
        ("   ", PASSWORD, "Username is required."),
        ("bob", "", "Password is required."),
        ("bob", "short", "Password must be at least 8 characters."),
        ("b" * 41, PASSWORD, "Username must be at most 40 characters."),
        ("bob", "p" * 1025, "Password must be at most 1024 characters."),
    ],
)
def test_register_rejects_invalid_input_with_400(
    app: Tumbler, client: TumblerClient, username: str, password: str, message: str
) -> None:
    response = register(client, username, password)
    assert response.status_code == 400
    assert message in response.text
    assert rows(app, "SELECT * FROM user") == []


def test_register_form_without_fields_gets_400_not_500(client: TumblerClient) -> None:
    response = submit(client, "/auth/register", {})
    assert response.status_code == 400


def test_login_with_correct_password_starts_session_and_greets_user(client: TumblerClient) -> None:
    register(client, "alice")
    response = login(client, "alice")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    page = client.get("/").text
    assert "Welcome, alice!" in page
    assert "Signed in as <strong>alice</strong>" in page


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password"), ("nobody", PASSWORD)]
)
def test_login_failure_gives_one_message_for_bad_user_or_password(
    client: TumblerClient, username: str, password: str
) -> None:
    register(client, "alice")
    response = login(client, username, password)
    assert response.status_code == 400
    assert "Incorrect username or password." in response.text
    with client.session_transaction() as sess:
        assert "user_id" not in sess


def test_login_discards_session_data_from_before_login(client: TumblerClient) -> None:
    register(client, "alice")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, "alice")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["user_id"] == 1


def test_logout_clears_the_session(client: TumblerClient) -> None:
    signed_in(client)
    response = logout(client)
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert "user_id" not in sess
    assert "Signed in as" not in client.get("/").text


def test_logout_by_get_is_not_allowed(client: TumblerClient) -> None:
    signed_in(client)
    assert client.get("/auth/logout").status_code == 405
    with client.session_transaction() as sess:
        assert sess["user_id"] == 1


def test_tampered_session_cookie_is_treated_as_anonymous(client: TumblerClient) -> None:
    client.set_cookie("session", "eyJ1c2VyX2lkIjoxfQ.forged.signature")
    response = client.get("/")
    assert response.status_code == 200
    assert "Signed in as" not in response.text


# --- posts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/create", "/1/update"])
def test_pages_that_change_posts_redirect_anonymous_visitors_to_login(
    client: TumblerClient, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")


def test_create_post_shows_it_on_the_index(app: Tumbler, client: TumblerClient) -> None:
    signed_in(client)
    response = create_post(client, "Hello", "First post")
    assert response.status_code == 302
    page = client.get("/").text
    assert "Hello" in page
    assert "First post" in page
    assert "by alice" in page
    assert len(rows(app, "SELECT * FROM post")) == 1


def test_post_body_with_script_renders_as_text(client: TumblerClient) -> None:
    signed_in(client)
    create_post(client, "<i>title</i>", SCRIPT_BODY)
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in page
    assert "&lt;i&gt;title&lt;/i&gt;" in page


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "text", "Title is required."),
        ("t" * 201, "text", "Title must be at most 200 characters."),
        ("ok", "b" * 20_001, "Body must be at most 20000 characters."),
    ],
)
def test_create_post_rejects_invalid_input_with_400(
    app: Tumbler, client: TumblerClient, title: str, body: str, message: str
) -> None:
    signed_in(client)
    response = create_post(client, title, body)
    assert response.status_code == 400
    assert message in response.text
    assert rows(app, "SELECT * FROM post") == []


def test_author_can_update_own_post(app: Tumbler, client: TumblerClient) -> None:
    signed_in(client)
    create_post(client, "Hello", "First post")
    form = client.get("/1/update")
    assert form.status_code == 200
    assert 'value="Hello"' in form.text
    response = submit(client, "/1/update", {"title": "Hello again", "body": "Edited"})
    assert response.status_code == 302
    (post,) = rows(app, "SELECT * FROM post")
    assert (post["title"], post["body"]) == ("Hello again", "Edited")


def test_update_with_empty_title_keeps_post_unchanged(app: Tumbler, client: TumblerClient) -> None:
    signed_in(client)
    create_post(client, "Hello", "First post")
    response = submit(client, "/1/update", {"title": "", "body": "Edited"})
    assert response.status_code == 400
    assert rows(app, "SELECT title FROM post")[0]["title"] == "Hello"


def test_author_can_delete_own_post(app: Tumbler, client: TumblerClient) -> None:
    signed_in(client)
    create_post(client)
    response = submit(client, "/1/delete", form_page="/1/update")
    assert response.status_code == 302
    assert rows(app, "SELECT * FROM post") == []


def test_edit_link_is_shown_only_to_the_author(client: TumblerClient) -> None:
    signed_in(client, "alice")
    create_post(client)
    assert 'href="/1/update"' in client.get("/").text
    logout(client)
    signed_in(client, "bob")
    assert 'href="/1/update"' not in client.get("/").text


def test_another_users_post_cannot_be_edited_or_deleted(
    app: Tumbler, client: TumblerClient
) -> None:
    signed_in(client, "alice")
    create_post(client, "Hello", "First post")
    logout(client)
    signed_in(client, "bob")
    token = csrf_token_from(client.get("/").text)
    assert client.get("/1/update").status_code == 403
    update = client.post("/1/update", data={"title": "Owned", "body": "", "csrf_token": token})
    assert update.status_code == 403
    assert "You can only change your own posts." in update.text
    delete = client.post("/1/delete", data={"csrf_token": token})
    assert delete.status_code == 403
    (post,) = rows(app, "SELECT * FROM post")
    assert post["title"] == "Hello"


@pytest.mark.parametrize("url", ["/99/update", "/99/delete"])
def test_missing_post_is_404(client: TumblerClient, url: str) -> None:
    signed_in(client)
    token = csrf_token_from(client.get("/").text)
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 404
    assert "Post 99 doesn&#39;t exist." in response.text


def test_delete_by_get_is_not_allowed(client: TumblerClient) -> None:
    signed_in(client)
    create_post(client)
    assert client.get("/1/delete").status_code == 405


def test_api_posts_returns_posts_as_json(client: TumblerClient) -> None:
    signed_in(client)
    create_post(client, "Hello", SCRIPT_BODY)
    response = client.get("/api/posts")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    (post,) = response.get_json()["posts"]
    assert post["id"] == 1
    assert post["title"] == "Hello"
    assert post["body"] == SCRIPT_BODY
    assert post["author"] == "alice"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", post["created"])


def test_api_posts_is_empty_list_for_fresh_database(client: TumblerClient) -> None:
    assert client.get("/api/posts").get_json() == {"posts": []}


# --- CSRF --------------------------------------------------------------------------------------


def test_cross_site_form_post_is_refused(app: Tumbler, client: TumblerClient) -> None:
    response = client.post(
        "/auth/register",
        data={"username": "mallory", "password": PASSWORD},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert rows(app, "SELECT * FROM user") == []


def test_form_post_without_token_is_refused_when_tokens_are_required(tmp_path: Path) -> None:
    app = _blog().create_app(_config(tmp_path, CSRF_TOKEN_REQUIRED=True))
    client = app.test_client()
    response = client.post("/auth/register", data={"username": "bob", "password": PASSWORD})
    assert response.status_code == 403
    assert rows(app, "SELECT * FROM user") == []


def test_form_post_with_forged_token_is_refused(app: Tumbler, client: TumblerClient) -> None:
    response = client.post(
        "/auth/register",
        data={"username": "bob", "password": PASSWORD, "csrf_token": "forged.token"},
    )
    assert response.status_code == 403
    assert rows(app, "SELECT * FROM user") == []
