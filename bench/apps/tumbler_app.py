"""The benchmark app written for Tumbler, as a Flask user would write it."""

from __future__ import annotations

from tumbler import Response
from tumbler import Tumbler
from tumbler import jsonify
from tumbler import render_template
from tumbler import request

from . import common


def create(async_views: bool = False) -> Tumbler:
    """Build the benchmark app.

    :param async_views: write every view as ``async def`` (the idiomatic choice when serving over
        ASGI, where sync views go to a thread pool); otherwise only ``/async`` is async.
    """
    app = Tumbler(__name__, static_folder=None, template_folder=common.TEMPLATE_DIR)

    def item(item_id: int) -> str:
        return common.item_body(item_id)

    def filler(item_id: int) -> str:
        return "filler"

    if async_views:

        @app.route("/hello", endpoint="hello")
        async def hello_async() -> str:
            return common.HELLO

        @app.route("/json", endpoint="json_view")
        async def json_view_async() -> Response:
            return jsonify(common.JSON_PAYLOAD)

        @app.route("/search", endpoint="search")
        async def search_async() -> str:
            args = request.args
            return common.search_body(args.get("q"), args.get("page", type=int))

        @app.route("/form", methods=["POST"], endpoint="form")
        async def form_async() -> str:
            data = request.form
            return common.form_body(data.get("name"), data.get("email"))

        @app.route("/page", endpoint="page")
        async def page_async() -> str:
            return render_template(common.TEMPLATE_NAME, **common.TEMPLATE_CONTEXT)

        async def async_item(item_id: int) -> str:
            return common.item_body(item_id)

        async def async_filler(item_id: int) -> str:
            return "filler"

        for prefix in common.other_route_prefixes():
            app.add_url_rule(f"/{prefix}/<int:item_id>", f"filler_{prefix}", async_filler)
        app.add_url_rule("/items/<int:item_id>", "item", async_item)

    else:

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

        for prefix in common.other_route_prefixes():
            app.add_url_rule(f"/{prefix}/<int:item_id>", f"filler_{prefix}", filler)
        app.add_url_rule("/items/<int:item_id>", "item", item)

    @app.route("/async")
    async def async_hello() -> str:
        return common.ASYNC_HELLO

    return app


#: Sync views: served over WSGI (and over ASGI, where they run in the thread pool).
app = create()
#: Async views: the idiomatic app for ASGI.
asgi_app = create(async_views=True)
