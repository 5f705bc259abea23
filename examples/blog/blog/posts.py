"""Posts: the index, create, edit and delete (own posts only), and a JSON API.

Templates are autoescaped, so a post body containing ``<script>`` is shown as text, never run.
"""

from __future__ import annotations

import sqlite3
import typing as t

from tumbler import Blueprint
from tumbler import abort
from tumbler import flash
from tumbler import g
from tumbler import jsonify
from tumbler import redirect
from tumbler import render_template
from tumbler import request
from tumbler import url_for

from .auth import login_required
from .db import get_db

bp = Blueprint("posts", __name__)

#: Limits on form input; longer values get a 400 with a message.
MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 20_000

_POST_QUERY = (
    "SELECT p.id, p.title, p.body, p.created, p.author_id, u.username"
    " FROM post p JOIN user u ON p.author_id = u.id"
)


@bp.route("/")
def index() -> str:
    """List every post, newest first."""
    posts = get_db().execute(f"{_POST_QUERY} ORDER BY p.created DESC, p.id DESC").fetchall()
    return render_template("posts/index.html", posts=posts)


@bp.route("/api/posts")
def api_posts() -> t.Any:
    """Return every post as JSON: ``{"posts": [{"id", "title", "body", "created", "author"}]}``."""
    rows = get_db().execute(f"{_POST_QUERY} ORDER BY p.created DESC, p.id DESC").fetchall()
    return jsonify(
        posts=[
            {
                "id": row["id"],
                "title": row["title"],
                "body": row["body"],
                "created": row["created"],
                "author": row["username"],
            }
            for row in rows
        ]
    )


def get_post(post_id: int, check_author: bool = True) -> sqlite3.Row:
    """Return the post with its author's name.

    :param post_id: the post's id.
    :param check_author: require the logged-in user to be the author.
    :raises NotFound: (404) when no such post exists.
    :raises Forbidden: (403) when ``check_author`` is set and the user is not the author.
    """
    post = get_db().execute(f"{_POST_QUERY} WHERE p.id = ?", (post_id,)).fetchone()
    if post is None:
        abort(404, f"Post {post_id} doesn't exist.")
    if check_author and post["author_id"] != g.user["id"]:
        abort(403, "You can only change your own posts.")
    return post


def _read_post_form() -> tuple[str, str, str | None]:
    title = request.form.get("title", "").strip()
    # Browsers submit textarea line breaks as CRLF; store plain newlines.
    body = request.form.get("body", "").replace("\r\n", "\n")
    error = None
    if not title:
        error = "Title is required."
    elif len(title) > MAX_TITLE_LENGTH:
        error = f"Title must be at most {MAX_TITLE_LENGTH} characters."
    elif len(body) > MAX_BODY_LENGTH:
        error = f"Body must be at most {MAX_BODY_LENGTH} characters."
    return title, body, error


@bp.route("/create", methods=("GET", "POST"))
@login_required
def create() -> t.Any:
    """Show the new-post form; on POST save the post and go to the index."""
    if request.method == "POST":
        title, body, error = _read_post_form()
        if error is None:
            db = get_db()
            db.execute(
                "INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)",
                (title, body, g.user["id"]),
            )
            db.commit()
            flash("Post published.", "success")
            return redirect(url_for("posts.index"))
        flash(error, "error")
        return render_template("posts/form.html", post=None), 400
    return render_template("posts/form.html", post=None)


@bp.route("/<int:id>/update", methods=("GET", "POST"))
@login_required
def update(id: int) -> t.Any:
    """Show the edit form for one of the user's own posts; on POST save the changes."""
    post = get_post(id)
    if request.method == "POST":
        title, body, error = _read_post_form()
        if error is None:
            db = get_db()
            db.execute("UPDATE post SET title = ?, body = ? WHERE id = ?", (title, body, id))
            db.commit()
            flash("Post updated.", "success")
            return redirect(url_for("posts.index"))
        flash(error, "error")
        return render_template("posts/form.html", post=post), 400
    return render_template("posts/form.html", post=post)


@bp.route("/<int:id>/delete", methods=("POST",))
@login_required
def delete(id: int) -> t.Any:
    """Delete one of the user's own posts and go to the index."""
    get_post(id)
    db = get_db()
    db.execute("DELETE FROM post WHERE id = ?", (id,))
    db.commit()
    flash("Post deleted.", "info")
    return redirect(url_for("posts.index"))
