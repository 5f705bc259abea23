"""A small blog built with Tumbler: the app factory.

Run it from ``examples/blog`` with ``tumbler --app blog run`` (or ``python -m blog``). It shows
blueprints, an app factory, SQLite, templates with a base layout, flash messages, sessions,
password hashing, CSRF-protected forms and a JSON endpoint.
"""

from __future__ import annotations

import os
import secrets
import typing as t

from tumbler import Tumbler
from tumbler import render_template

from . import auth
from . import db
from . import posts

if t.TYPE_CHECKING:
    from tumbler.exceptions import HTTPException


def create_app(test_config: t.Mapping[str, t.Any] | None = None) -> Tumbler:
    """Create and configure the blog application.

    Configuration is layered: built-in defaults, then (unless ``test_config`` is given) the
    instance folder's ``config.py`` and ``BLOG_*`` environment variables (``BLOG_DATABASE``,
    ``BLOG_SECRET_KEY``, taken as strings), then ``test_config``. Without a ``SECRET_KEY`` the
    app generates one and keeps it in ``SECRET_KEY_FILE`` so sessions survive a restart.
    The SQLite database is created with its schema when its file does not exist yet.

    :param test_config: settings that replace the file and environment configuration (tests).
    :return: the configured :class:`tumbler.Tumbler` application.
    """
    app = Tumbler(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        SECRET_KEY_FILE=os.path.join(app.instance_path, "secret_key"),
        DATABASE=os.path.join(app.instance_path, "blog.sqlite"),
        # Any method tumbler.security.generate_password_hash accepts; scrypt is slow on purpose.
        PASSWORD_HASH_METHOD="scrypt",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        # Strings only: a random secret such as "12e4" must not turn into a float.
        app.config.from_prefixed_env("BLOG", loads=str)
    else:
        app.config.from_mapping(test_config)

    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _load_or_create_secret_key(app.config["SECRET_KEY_FILE"])

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.register_error_handler(403, _render_error)
    app.register_error_handler(404, _render_error)
    return app


def _render_error(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code or 500


def _load_or_create_secret_key(path: str) -> str:
    """Return the secret key stored at ``path``, creating the file on first use.

    The file is created with mode 0600 so that only the owner can read the key.
    """
    try:
        with open(path, encoding="utf-8") as f:
            key = f.read().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    key = secrets.token_hex(32)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key)
    return key
