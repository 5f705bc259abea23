"""The benchmark app written for Bottle (no async views: Bottle is WSGI only)."""

from __future__ import annotations

import bottle

from . import common

_TEMPLATE_SETTINGS = {"autoescape": True}


def hello() -> str:
    return common.HELLO


def json_view() -> dict[str, object]:
    # Bottle serialises a returned dict to JSON.
    return common.JSON_PAYLOAD


def search() -> str:
    query = bottle.request.query
    page = query.get("page")
    return common.search_body(query.get("q"), int(page) if page is not None else None)


def form() -> str:
    data = bottle.request.forms
    return common.form_body(data.getunicode("name"), data.getunicode("email"))


def page() -> str:
    return str(
        bottle.jinja2_template(
            common.TEMPLATE_NAME,
            template_lookup=[common.TEMPLATE_DIR],
            template_settings=_TEMPLATE_SETTINGS,
            **common.TEMPLATE_CONTEXT,
        )
    )


def filler(item_id: int) -> str:
    return "filler"


def item(item_id: int) -> str:
    return common.item_body(item_id)


def create() -> bottle.Bottle:
    """Build the benchmark app; templates use Bottle's Jinja2 adapter with autoescaping."""
    app = bottle.Bottle()
    app.route("/hello", "GET", hello)
    app.route("/json", "GET", json_view)
    app.route("/search", "GET", search)
    app.route("/form", "POST", form)
    app.route("/page", "GET", page)
    for prefix in common.other_route_prefixes():
        app.route(f"/{prefix}/<item_id:int>", "GET", filler)
    app.route("/items/<item_id:int>", "GET", item)
    return app


app = create()
