"""Registration, login and logout, plus the ``login_required`` decorator.

Passwords are stored only as salted hashes (:func:`tumbler.security.generate_password_hash`).
Logging in starts a fresh session so that a session identifier planted before login (session
fixation) is worthless afterwards. Logging out is a POST so that another site cannot log a user out
with a link or an image.
"""

from __future__ import annotations

import functools
import importlib
import sqlite3
import typing as t

from tumbler import Blueprint
from tumbler import current_app
from tumbler import flash
from tumbler import g
from tumbler import redirect
from tumbler import render_template
from tumbler import request
from tumbler import session
from tumbler import url_for
from tumbler.security import check_password_hash
from tumbler.security import generate_password_hash

from .db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: Limits that keep form input sane; longer values get a 400 with a message.
MAX_USERNAME_LENGTH = 40
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

_ViewT = t.TypeVar("_ViewT", bound=t.Callable[..., t.Any])


def login_required(view: _ViewT) -> _ViewT:
    """Decorate a view so that anonymous visitors are redirected to the login page.

    :param view: the view function to protect.
    :return: the wrapped view.
    """

    @functools.wraps(view)
    def wrapped_view(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if g.user is None:
            flash("Please log in first.", "info")
            return redirect(url_for("auth.login"))
        return view(*args, **kwargs)

    return t.cast(_ViewT, wrapped_view)


@bp.before_app_request
def load_logged_in_user() -> None:
    """Set ``g.user`` to the logged-in user's row, or ``None`` for an anonymous visitor."""
    user_id = session.get("user_id")
    g.user = None
    if isinstance(user_id, int):
        g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_password_hash(method: str) -> str:
    # Checked against when the username is unknown, so a failed login takes as long either way
    # and response times do not reveal which usernames exist.
    return generate_password_hash("not a real password", method=method)


def _validate_credentials(username: str, password: str) -> str | None:
    if not username:
        return "Username is required."
    if len(username) > MAX_USERNAME_LENGTH:
        return f"Username must be at most {MAX_USERNAME_LENGTH} characters."
    if not password:
        return "Password is required."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be at most {MAX_PASSWORD_LENGTH} characters."
    return None


@bp.route("/register", methods=("GET", "POST"))
def register() -> t.Any:
    """Show the registration form; on POST create the user and go to the login page.

    Invalid input or a taken username re-renders the form with a message and status 400.
    """
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        error = _validate_credentials(username, password)
        if error is None:
            db = get_db()
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    (username, _hash_password(password)),
                )
                db.commit()
            except sqlite3.IntegrityError:
                error = f"User {username} is already registered."
            else:
                flash("Registration complete. Please log in.", "success")
                return redirect(url_for("auth.login"))
        flash(error, "error")
        return render_template("auth/register.html"), 400
    return render_template("auth/register.html")


def _start_fresh_session(user_id: int) -> None:
    """Forget everything from before login and get a new session (id) for the logged-in user."""
    try:
        server_sessions = importlib.import_module("tumbler.server_sessions")
    except ImportError:
        server_sessions = None
    regenerate = getattr(server_sessions, "regenerate_session", None)
    if regenerate is not None:
        regenerate(clear=True)
    else:
        session.clear()
    session["user_id"] = user_id


@bp.route("/login", methods=("GET", "POST"))
def login() -> t.Any:
    """Show the login form; on POST check the password and start a fresh session.

    A wrong username or password gets one message for both (no hint which was wrong), status 400.
    """
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = get_db().execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()
        if user is None:
            stored_hash = _dummy_password_hash(current_app.config["PASSWORD_HASH_METHOD"])
        else:
            stored_hash = user["password"]
        if not check_password_hash(stored_hash, password) or user is None:
            flash("Incorrect username or password.", "error")
            return render_template("auth/login.html"), 400
        _start_fresh_session(user["id"])
        flash(f"Welcome, {user['username']}!", "success")
        return redirect(url_for("posts.index"))
    return render_template("auth/login.html")


@bp.route("/logout", methods=("POST",))
def logout() -> t.Any:
    """End the session and go back to the index."""
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("posts.index"))
