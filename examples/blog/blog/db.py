"""SQLite access for the blog: one connection per app context, schema creation, ``init-db``.

SQLite is the embedded default: the database is a single file (``DATABASE`` config key, in the
instance folder unless configured), created with its schema the first time the app starts.
"""

from __future__ import annotations

import os
import sqlite3

import click

from tumbler import Tumbler
from tumbler import current_app
from tumbler import g


def get_db() -> sqlite3.Connection:
    """Return the current app context's database connection, opening it on first use.

    Rows come back as :class:`sqlite3.Row` (access by column name) and foreign keys are enforced.
    The connection is closed when the app context ends.
    """
    if "db" not in g:
        # An ASGI server runs sync views in a worker thread while teardown may run elsewhere;
        # each connection still serves one request at a time, so the thread check is not needed.
        conn = sqlite3.connect(current_app.config["DATABASE"], check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        g.db = conn
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    """Close the app context's connection if one was opened (a ``teardown_appcontext`` hook)."""
    conn: sqlite3.Connection | None = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_db() -> None:
    """Drop and recreate every table from ``schema.sql``; needs an active app context."""
    db = get_db()
    with current_app.open_resource("schema.sql", "rb") as f:
        db.executescript(f.read().decode("utf-8"))
    db.commit()


def ensure_database(app: Tumbler) -> None:
    """Create the database file with its schema when it does not exist yet.

    :param app: the application whose ``DATABASE`` path is checked.
    """
    path = app.config["DATABASE"]
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with app.app_context():
        init_db()


def init_app(app: Tumbler) -> None:
    """Register the connection teardown and the ``init-db`` command, and create the database.

    :param app: the application to set up.
    """
    app.teardown_appcontext(close_db)

    @click.command("init-db")
    def init_db_command() -> None:
        """Drop all data and recreate the tables."""
        with app.app_context():
            init_db()
        click.echo("Initialized the database.")

    app.cli.add_command(init_db_command)
    ensure_database(app)
