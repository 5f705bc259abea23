"""What every benchmark app serves, and the answers the harness expects from it.

Each framework module builds the same routes:

- ``GET /hello`` -> ``Hello, World!``
- ``GET /items/<int:item_id>`` (registered last, after 99 other ``/r<i>/<int:item_id>`` rules)
  -> ``item <item_id>``
- ``GET /json`` -> :data:`JSON_PAYLOAD` as JSON
- ``GET /search?q=...&page=<int>`` -> ``q=<q> page=<page>``
- ``POST /form`` (urlencoded ``name`` and ``email``) -> ``name=<name> email=<email>``
- ``GET /page`` -> ``templates/page.html`` rendered with :func:`template_context`
- ``GET /async`` (an async view) -> ``Hello, async!``
- anything else -> 404
"""

from __future__ import annotations

import os
import typing as t

import jinja2

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
TEMPLATE_NAME = "page.html"

HELLO = "Hello, World!"
ASYNC_HELLO = "Hello, async!"
JSON_PAYLOAD: dict[str, t.Any] = {
    "message": "Hello, World!",
    "id": 42,
    "tags": ["fast", "small", "secure"],
    "nested": {"ok": True, "ratio": 1.5},
}
#: Number of other dynamic routes registered before ``/items/<int:item_id>``.
OTHER_ROUTES = 99


def other_route_prefixes() -> list[str]:
    """Return the first path segments of the filler routes (``r0`` .. ``r98``)."""
    return [f"r{i}" for i in range(OTHER_ROUTES)]


def template_context() -> dict[str, t.Any]:
    """Return the values the page template is rendered with (they need escaping)."""
    return {
        "title": "Tumbler & <friends>",
        "items": [
            {"name": f"item <{i}>", "note": f'say "hi" & {i}', "price": i * 1.25} for i in range(20)
        ],
    }


TEMPLATE_CONTEXT = template_context()


def item_body(item_id: int) -> str:
    """Return the body the parameter route answers for ``item_id``."""
    return f"item {item_id}"


def search_body(q: str | None, page: int | None) -> str:
    """Return the body the query route answers."""
    return f"q={q} page={page}"


def form_body(name: str | None, email: str | None) -> str:
    """Return the body the form route answers."""
    return f"name={name} email={email}"


def jinja_environment() -> jinja2.Environment:
    """Return a plain Jinja environment for frameworks with no Jinja integration.

    Autoescaping is on, as in Flask, so every framework renders the same escaped page.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, auto_reload=False
    )


def expected_page() -> str:
    """Return the page every framework must render."""
    return jinja_environment().get_template(TEMPLATE_NAME).render(**TEMPLATE_CONTEXT)
