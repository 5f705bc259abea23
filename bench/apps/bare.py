"""The floor: a bare WSGI callable and a bare ASGI callable answering the same scenarios.

They do only what the scenario needs (a dict lookup on the path, the stdlib's query parser,
``json.dumps``, a Jinja template loaded once) and nothing a framework adds (no request object,
no hooks, no context).
"""

from __future__ import annotations

import json
import typing as t
from urllib.parse import parse_qs

from . import common

_page_template = common.jinja_environment().get_template(common.TEMPLATE_NAME)
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_HTML = [("Content-Type", "text/html; charset=utf-8")]
_JSON = [("Content-Type", "application/json")]
_FILLERS = frozenset(common.other_route_prefixes())


def _first(qs: dict[str, list[str]], key: str) -> str | None:
    values = qs.get(key)
    return values[0] if values else None


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _item(path: str) -> tuple[str, str] | None:
    """Match ``/<prefix>/<int>`` for the item and filler routes; return (prefix, digits)."""
    parts = path.split("/")
    if len(parts) == 3 and parts[2].isdigit() and (parts[1] == "items" or parts[1] in _FILLERS):
        return parts[1], parts[2]
    return None


def _answer(
    method: str, path: str, query: str, body: bytes
) -> tuple[str, list[tuple[str, str]], bytes]:
    if method == "GET":
        if path == "/hello":
            return "200 OK", _TEXT, common.HELLO.encode()
        if path == "/json":
            return "200 OK", _JSON, json.dumps(common.JSON_PAYLOAD).encode()
        if path == "/search":
            qs = parse_qs(query)
            text = common.search_body(_first(qs, "q"), _int_or_none(_first(qs, "page")))
            return "200 OK", _TEXT, text.encode()
        if path == "/page":
            return "200 OK", _HTML, _page_template.render(**common.TEMPLATE_CONTEXT).encode()
        match = _item(path)
        if match is not None:
            prefix, digits = match
            text = common.item_body(int(digits)) if prefix == "items" else "filler"
            return "200 OK", _TEXT, text.encode()
    elif method == "POST" and path == "/form":
        form = parse_qs(body.decode("latin-1"))
        return (
            "200 OK",
            _TEXT,
            common.form_body(_first(form, "name"), _first(form, "email")).encode(),
        )
    return "404 Not Found", _TEXT, b"Not Found"


def wsgi_app(environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> list[bytes]:
    """The bare WSGI callable."""
    method = environ["REQUEST_METHOD"]
    body = b""
    if method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
    status, headers, payload = _answer(
        method, environ["PATH_INFO"], environ.get("QUERY_STRING", ""), body
    )
    start_response(status, [*headers, ("Content-Length", str(len(payload)))])
    return [payload]


async def asgi_app(
    scope: dict[str, t.Any],
    receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
    send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
) -> None:
    """The bare ASGI callable (http scopes; lifespan is acknowledged)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    method = scope["method"]
    path = scope["path"]
    if method == "GET" and path == "/async":
        status, headers, payload = "200 OK", _TEXT, common.ASYNC_HELLO.encode()
    else:
        body = b""
        if method == "POST":
            more = True
            chunks = []
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
        status, headers, payload = _answer(
            method, path, scope["query_string"].decode("latin-1"), body
        )
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": int(status[:3]), "headers": raw})
    await send({"type": "http.response.body", "body": payload})
