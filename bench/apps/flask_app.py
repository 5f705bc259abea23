"""The benchmark app written for Flask."""

from __future__ import annotations

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request

from . import common


def create() -> Flask:
    """Build the benchmark app (async views need ``asgiref``, Flask's ``async`` extra)."""
    app = Flask(__name__, static_folder=None, template_folder=common.TEMPLATE_DIR)

    @app.route("/hello")
    def hello() -> str:
        return common.HELLO

    @app.route("/json")
    def json_view() -> Response:
        return jsonify(common.JSON_PAYLOAD)

    @app.route("/search")
    def search() -> str:
        args = request.args
        return common.search_body(args.get("q"), args.get("page", type=int))

    @app.route("/form", methods=["POST"])
    def form() -> str:
        data = request.form
        return common.form_body(data.get("name"), data.get("email"))

    @app.route("/page")
    def page() -> str:
        return render_template(common.TEMPLATE_NAME, **common.TEMPLATE_CONTEXT)

    @app.route("/async")
    async def async_hello() -> str:
        return common.ASYNC_HELLO

    def filler(item_id: int) -> str:
        return "filler"

    def item(item_id: int) -> str:
        return common.item_body(item_id)

    for prefix in common.other_route_prefixes():
        app.add_url_rule(f"/{prefix}/<int:item_id>", f"filler_{prefix}", filler)
    app.add_url_rule("/items/<int:item_id>", "item", item)
    return app


app = create()
