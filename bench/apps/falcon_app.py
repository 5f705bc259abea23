"""The benchmark app written for Falcon, as a WSGI app and as an ASGI app.

Falcon has no template integration, so the page resource renders with Jinja directly (the
template is loaded once, as Falcon's docs suggest for a module-level template).
"""

from __future__ import annotations

import falcon
import falcon.asgi

from . import common

_page_template = common.jinja_environment().get_template(common.TEMPLATE_NAME)


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.HELLO


class Item:
    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.item_body(item_id)


class Filler:
    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "filler"


class Json:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = common.JSON_PAYLOAD


class Search:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.search_body(req.get_param("q"), req.get_param_as_int("page"))


class Form:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = req.get_media()
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.form_body(form.get("name"), form.get("email"))


class Page:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _page_template.render(**common.TEMPLATE_CONTEXT)


class AsyncHello:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.ASYNC_HELLO


class AHello:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.HELLO


class AItem:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.item_body(item_id)


class AFiller:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "filler"


class AJson:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = common.JSON_PAYLOAD


class ASearch:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.search_body(req.get_param("q"), req.get_param_as_int("page"))


class AForm:
    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        form = await req.get_media()
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = common.form_body(form.get("name"), form.get("email"))


class APage:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _page_template.render(**common.TEMPLATE_CONTEXT)


def create_wsgi() -> falcon.App[falcon.Request, falcon.Response]:
    """Build the WSGI app (no ``/async``: Falcon's WSGI app has no async responders)."""
    app = falcon.App()
    app.add_route("/hello", Hello())
    app.add_route("/json", Json())
    app.add_route("/search", Search())
    app.add_route("/form", Form())
    app.add_route("/page", Page())
    filler = Filler()
    for prefix in common.other_route_prefixes():
        app.add_route(f"/{prefix}/{{item_id:int}}", filler)
    app.add_route("/items/{item_id:int}", Item())
    return app


def create_asgi() -> falcon.asgi.App[falcon.asgi.Request, falcon.asgi.Response]:
    """Build the ASGI app with coroutine responders."""
    app = falcon.asgi.App()
    app.add_route("/hello", AHello())
    app.add_route("/json", AJson())
    app.add_route("/search", ASearch())
    app.add_route("/form", AForm())
    app.add_route("/page", APage())
    app.add_route("/async", AsyncHello())
    filler = AFiller()
    for prefix in common.other_route_prefixes():
        app.add_route(f"/{prefix}/{{item_id:int}}", filler)
    app.add_route("/items/{item_id:int}", AItem())
    return app


app = create_wsgi()
asgi_app = create_asgi()
