"""The benchmark app written for Starlette, with ``async def`` endpoints as its docs do."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from . import common

templates = Jinja2Templates(directory=common.TEMPLATE_DIR)


async def hello(request: Request) -> Response:
    return PlainTextResponse(common.HELLO)


async def async_hello(request: Request) -> Response:
    return PlainTextResponse(common.ASYNC_HELLO)


async def item(request: Request) -> Response:
    return PlainTextResponse(common.item_body(request.path_params["item_id"]))


async def filler(request: Request) -> Response:
    return PlainTextResponse("filler")


async def json_view(request: Request) -> Response:
    return JSONResponse(common.JSON_PAYLOAD)


async def search(request: Request) -> Response:
    params = request.query_params
    page = params.get("page")
    return PlainTextResponse(
        common.search_body(params.get("q"), int(page) if page is not None else None)
    )


async def form(request: Request) -> Response:
    data = await request.form()
    return PlainTextResponse(common.form_body(data.get("name"), data.get("email")))  # type: ignore[arg-type]


async def page(request: Request) -> Response:
    # A copy: TemplateResponse adds ``request`` to the context it is given.
    return templates.TemplateResponse(request, common.TEMPLATE_NAME, dict(common.TEMPLATE_CONTEXT))


def create() -> Starlette:
    """Build the benchmark app."""
    routes = [
        Route("/hello", hello),
        Route("/json", json_view),
        Route("/search", search),
        Route("/form", form, methods=["POST"]),
        Route("/page", page),
        Route("/async", async_hello),
    ]
    routes += [Route(f"/{p}/{{item_id:int}}", filler) for p in common.other_route_prefixes()]
    routes.append(Route("/items/{item_id:int}", item))
    return Starlette(routes=routes)


app = create()
