"""Tests for the test client's websocket support: TumblerClient.websocket and WebSocketSession.

Tumbler apps are driven over both client kinds (``asgi=False`` still speaks ASGI to the app,
since websockets exist only there); raw ASGI apps cover the protocol edge cases.
"""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from tumbler import Tumbler
from tumbler import g
from tumbler import request
from tumbler import url_for
from tumbler import websocket
from tumbler.asgi import WebSocketDisconnect
from tumbler.testing import TumblerClient
from tumbler.testing import WebSocketClosed
from tumbler.testing import WebSocketDenied
from tumbler.testing import WebSocketSession

Message = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]


@pytest.fixture
def echo_app(app: Tumbler) -> Tumbler:
    """An app with an echo websocket at /echo that closes with 4000 "bye" on "quit"."""

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message == "quit":
                await websocket.close(4000, "bye")
                return
            await websocket.send(message)

    return app


# --------------------------------------------------------------------------------------------
# Tumbler apps
# --------------------------------------------------------------------------------------------


def test_websocket_echoes_text(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send("hi")
        assert ws.receive() == "hi"


def test_websocket_echoes_bytes_as_bytes(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send(b"\x00\xff")
        assert ws.receive() == b"\x00\xff"


def test_websocket_messages_arrive_in_order(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        for word in ("one", "two", "three"):
            ws.send_text(word)
        assert [ws.receive_text() for _ in range(3)] == ["one", "two", "three"]


def test_websocket_json_round_trip(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/json")
    async def handler() -> None:
        data = await websocket.receive_json()
        await websocket.send_json({"doubled": data["n"] * 2})

    with client.websocket("/json") as ws:
        ws.send_json({"n": 21})
        assert ws.receive_json() == {"doubled": 42}


def test_websocket_json_can_be_sent_as_a_binary_frame(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/kind")
    async def handler() -> None:
        message = await websocket.receive()
        await websocket.send(type(message).__name__)

    with client.websocket("/kind") as ws:
        ws.send_json([1], mode="binary")
        assert ws.receive() == "bytes"


def test_websocket_subprotocol_is_negotiated(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/chat")
    async def handler() -> None:
        offered = websocket.subprotocols
        await websocket.accept(subprotocol="v2" if "v2" in offered else None)
        await websocket.send(",".join(offered))

    with client.websocket("/chat", subprotocols=["v2", "v1"]) as ws:
        assert ws.accepted_subprotocol == "v2"
        assert ws.receive() == "v2,v1"


def test_websocket_without_subprotocols_accepts_none(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    with client.websocket("/echo") as ws:
        assert ws.accepted_subprotocol is None


def test_websocket_accept_headers_are_exposed(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/h")
    async def handler() -> None:
        await websocket.accept(headers={"X-Server": "tumbler"})

    with client.websocket("/h") as ws:
        assert ws.accept_headers["X-Server"] == "tumbler"


def test_app_close_raises_with_code_and_reason(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send("quit")
        with pytest.raises(WebSocketClosed) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (4000, "bye")
    assert (ws.close_code, ws.close_reason) == (4000, "bye")
    assert ws.closed


def test_websocket_closed_is_a_websocket_disconnect(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    with client.websocket("/echo") as ws:
        ws.send("quit")
        with pytest.raises(WebSocketDisconnect):
            ws.receive()


def test_receive_after_close_keeps_raising(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send("quit")
        with pytest.raises(WebSocketClosed):
            ws.receive()
        with pytest.raises(WebSocketClosed, match="4000"):
            ws.receive()


def test_send_after_app_close_raises(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send("quit")
        with pytest.raises(WebSocketClosed):
            ws.receive()
        with pytest.raises(WebSocketClosed):
            ws.send("more")


def test_client_close_reaches_the_handler_as_disconnect(
    app: Tumbler, client: TumblerClient
) -> None:
    codes: list[int] = []

    @app.websocket("/listen")
    async def handler() -> None:
        await websocket.accept()
        try:
            await websocket.receive()
        except WebSocketDisconnect as e:
            codes.append(e.code)
            raise

    with client.websocket("/listen") as ws:
        ws.close(4100)
    assert codes == [4100]
    assert ws.close_code == 4100


def test_leaving_the_block_closes_with_1000_and_runs_teardown(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    events: list[str] = []
    echo_app.teardown_request(lambda exc: events.append("teardown"))
    with client.websocket("/echo") as ws:
        ws.send("unread")
    assert ws.close_code == 1000
    assert events == ["teardown"]


def test_messages_the_app_sends_while_the_client_closes_are_dropped(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    # The echo of "a" races with the client's close, as on a real connection: no error.
    with client.websocket("/echo") as ws:
        ws.send("a")
    assert ws.closed


def test_http_route_reached_by_websocket_is_refused_with_1008(
    app: Tumbler, client: TumblerClient
) -> None:
    app.add_url_rule("/page", "page", lambda: "html")
    with pytest.raises(WebSocketDenied) as info:
        client.websocket("/page").connect()
    assert info.value.code == 1008
    assert info.value.response.status_code == 403


def test_unknown_path_reached_by_websocket_is_refused(app: Tumbler, client: TumblerClient) -> None:
    with pytest.raises(WebSocketDenied) as info, client.websocket("/nowhere"):
        pass
    assert info.value.code == 1008


def test_handler_that_closes_before_accepting_denies(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/private")
    async def handler() -> None:
        await websocket.close(4403, "no token")

    with pytest.raises(WebSocketDenied) as info:
        client.websocket("/private").connect()
    assert (info.value.code, info.value.reason) == (4403, "no token")
    assert "no token" in str(info.value)


def test_websocket_route_reached_by_plain_http_is_a_400(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    response = client.get("/echo")
    assert response.status_code == 400


def test_handler_exception_closes_with_1011_and_is_the_cause(
    app: Tumbler, client: TumblerClient
) -> None:
    @app.websocket("/boom")
    async def handler() -> None:
        await websocket.accept()
        raise LookupError("boom")

    with client.websocket("/boom") as ws, pytest.raises(WebSocketClosed) as info:
        ws.receive()
    assert info.value.code == 1011
    assert isinstance(info.value.__cause__, LookupError)


def test_handler_exception_not_seen_by_receive_is_raised_on_exit(
    app: Tumbler, client: TumblerClient
) -> None:
    @app.websocket("/boom")
    async def handler() -> None:
        await websocket.accept()
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"), client.websocket("/boom"):
        pass


def test_handler_exception_without_propagation_only_closes_1011(
    app: Tumbler, client: TumblerClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.websocket("/boom")
    async def handler() -> None:
        await websocket.accept()
        raise LookupError("boom")

    with client.websocket("/boom") as ws, pytest.raises(WebSocketClosed) as info:
        ws.receive()
    assert info.value.code == 1011
    assert info.value.__cause__ is None


def test_handler_exception_before_accept_denies_with_1011(
    app: Tumbler, client: TumblerClient
) -> None:
    @app.websocket("/early")
    async def handler() -> None:
        raise LookupError("early")

    with pytest.raises(WebSocketDenied) as info:
        client.websocket("/early").connect()
    assert info.value.code == 1011
    assert isinstance(info.value.__cause__, LookupError)


def test_handler_sees_request_and_url_for(app: Tumbler, client: TumblerClient) -> None:
    app.add_url_rule("/page", "page", lambda: "html")

    @app.websocket("/room/<name>")
    async def room(name: str) -> None:
        await websocket.send_json(
            {
                "name": name,
                "path": request.path,
                "token": request.args.get("token"),
                "header": request.headers.get("X-Test"),
                "page": url_for("page"),
                "self": url_for("room", name="b"),
                "endpoint": request.endpoint,
            }
        )

    with client.websocket("/room/a", query_string={"token": "t1"}, headers={"X-Test": "1"}) as ws:
        data = ws.receive_json()
    assert data == {
        "name": "a",
        "path": "/room/a",
        "token": "t1",
        "header": "1",
        "page": "/page",
        # Like werkzeug, a websocket rule is always built as an absolute ws:// URL.
        "self": "ws://localhost/room/b",
        "endpoint": "room",
    }


def test_handler_can_store_and_read_g(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/g")
    async def handler() -> None:
        g.count = 0
        while True:
            await websocket.receive()
            g.count += 1
            await websocket.send(str(g.count))

    with client.websocket("/g") as ws:
        ws.send("x")
        ws.send("y")
        assert [ws.receive(), ws.receive()] == ["1", "2"]


def test_handshake_carries_the_clients_cookies(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/c")
    async def handler() -> None:
        await websocket.send(request.cookies.get("flavour", "none"))

    client.set_cookie("flavour", "oat")
    with client.websocket("/c") as ws:
        assert ws.receive() == "oat"


def test_websocket_scheme_is_ws(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/s")
    async def handler() -> None:
        await websocket.send(f"{request.scheme} {request.is_secure}")

    with client.websocket("/s") as ws:
        assert ws.receive() == "ws False"
    with client.websocket("/s", base_url="https://localhost") as ws:
        assert ws.receive() == "wss True"


def test_websocket_rejects_body_arguments(echo_app: Tumbler, client: TumblerClient) -> None:
    with pytest.raises(TypeError, match="'json'"):
        client.websocket("/echo", json={"a": 1})


def test_receive_times_out_instead_of_hanging(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/quiet")
    async def handler() -> None:
        await websocket.accept()
        await websocket.receive()

    with (
        client.websocket("/quiet", timeout=0.05) as ws,
        pytest.raises(TimeoutError, match="sent nothing"),
    ):
        ws.receive()


def test_receive_timeout_can_be_given_per_call(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/slow")
    async def handler() -> None:
        await websocket.accept()
        await asyncio.sleep(0.05)
        await websocket.send("late")

    with client.websocket("/slow", timeout=0.01) as ws:
        assert ws.receive(timeout=5) == "late"


def test_close_cancels_an_app_that_does_not_end(app: Tumbler, client: TumblerClient) -> None:
    @app.websocket("/stuck")
    async def handler() -> None:
        await websocket.accept()
        await asyncio.sleep(3600)

    ws = client.websocket("/stuck", timeout=0.05)
    ws.connect()
    with pytest.raises(TimeoutError, match="cancelled"):
        ws.close()


def test_receive_text_rejects_a_binary_frame(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send(b"raw")
        with pytest.raises(TypeError, match="text frame"):
            ws.receive_text()


def test_receive_bytes_rejects_a_text_frame(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws:
        ws.send("text")
        with pytest.raises(TypeError, match="binary frame"):
            ws.receive_bytes()


def test_receive_json_of_invalid_json_raises_value_error(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    with client.websocket("/echo") as ws:
        ws.send("{not json")
        with pytest.raises(ValueError):
            ws.receive_json()


def test_send_rejects_other_types(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws, pytest.raises(TypeError, match="str or bytes"):
        ws.send(42)  # type: ignore[arg-type]


def test_session_must_be_connected_before_use(echo_app: Tumbler, client: TumblerClient) -> None:
    ws = client.websocket("/echo")
    with pytest.raises(RuntimeError, match="not connected"):
        ws.send("x")


def test_session_cannot_connect_twice(echo_app: Tumbler, client: TumblerClient) -> None:
    with client.websocket("/echo") as ws, pytest.raises(RuntimeError, match="already connected"):
        ws.connect()


def test_session_repr_shows_path_and_state(echo_app: Tumbler, client: TumblerClient) -> None:
    ws = client.websocket("/echo")
    assert repr(ws) == "<WebSocketSession '/echo' not connected>"
    with ws:
        assert repr(ws) == "<WebSocketSession '/echo' open>"
    assert repr(ws) == "<WebSocketSession '/echo' closed 1000>"


def test_websocket_cannot_be_used_inside_a_running_loop(
    echo_app: Tumbler, client: TumblerClient
) -> None:
    async def main() -> None:
        client.websocket("/echo")

    with pytest.raises(RuntimeError, match="running event loop"):
        asyncio.run(main())


# --------------------------------------------------------------------------------------------
# Raw ASGI apps: the handshake and protocol edge cases
# --------------------------------------------------------------------------------------------


class RecordingApp:
    """Accepts, reports its scope, then echoes until the client disconnects."""

    def __init__(self) -> None:
        self.scope: dict[str, t.Any] = {}
        self.disconnect: Message | None = None

    async def __call__(self, scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        self.scope = scope
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept", "headers": [(b"set-cookie", b"seen=1; Path=/")]})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                self.disconnect = message
                return
            await send({"type": "websocket.send", "text": message.get("text")})


def test_scope_is_a_websocket_handshake() -> None:
    app = RecordingApp()
    client = TumblerClient(app)
    with client.websocket("/path?x=1", subprotocols=["a", "b"], headers={"X-One": "1"}):
        pass
    scope = app.scope
    headers = dict(scope["headers"])
    assert scope["type"] == "websocket"
    assert "method" not in scope
    assert (scope["scheme"], scope["path"], scope["query_string"]) == ("ws", "/path", b"x=1")
    assert scope["subprotocols"] == ["a", "b"]
    assert headers[b"upgrade"] == b"websocket"
    assert headers[b"sec-websocket-version"] == b"13"
    assert headers[b"sec-websocket-protocol"] == b"a, b"
    assert len(headers[b"sec-websocket-key"]) == 24
    assert headers[b"x-one"] == b"1"


def test_client_close_code_and_reason_reach_the_app() -> None:
    app = RecordingApp()
    ws = TumblerClient(app).websocket("/")
    with ws:
        ws.close(4001, "leaving")
    assert app.disconnect == {"type": "websocket.disconnect", "code": 4001, "reason": "leaving"}


def test_cookies_set_by_the_accept_are_stored() -> None:
    client = TumblerClient(RecordingApp())
    with client.websocket("/"):
        pass
    cookie = client.get_cookie("seen")
    assert cookie is not None and cookie.value == "1"


def test_http_denial_response_is_exposed() -> None:
    async def app(scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        await receive()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"log ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"in"})

    client = TumblerClient(app)
    with pytest.raises(WebSocketDenied) as info:
        client.websocket("/").connect()
    response = info.value.response
    assert (response.status_code, response.data) == (401, b"log in")
    assert response.mimetype == "text/plain"
    assert info.value.code == 1006
    assert client.websocket("/").scope["extensions"] == {"websocket.http.response": {}}


def test_app_returning_without_close_reports_1006() -> None:
    async def app(scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "last"})

    with TumblerClient(app).websocket("/") as ws:
        assert ws.receive() == "last"
        with pytest.raises(WebSocketClosed) as info:
            ws.receive()
    assert info.value.code == 1006


def test_app_returning_without_accepting_raises_runtime_error() -> None:
    async def app(scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        await receive()

    with pytest.raises(RuntimeError, match="without accepting or refusing"):
        TumblerClient(app).websocket("/").connect()


def test_app_sending_before_accepting_is_a_protocol_error() -> None:
    async def app(scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.send", "text": "too early"})

    with pytest.raises(RuntimeError, match=r"'websocket\.send'.*connecting"):
        TumblerClient(app).websocket("/").connect()


def test_app_that_never_answers_the_handshake_times_out() -> None:
    async def app(scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        await receive()
        await asyncio.sleep(3600)

    with pytest.raises(TimeoutError):
        TumblerClient(app).websocket("/", timeout=0.05).connect()


def test_app_sending_after_seeing_the_disconnect_gets_an_oserror() -> None:
    errors: list[BaseException] = []

    async def app(scope: dict[str, t.Any], receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        try:
            await send({"type": "websocket.send", "text": "anyone?"})
        except OSError as e:
            errors.append(e)

    with TumblerClient(app).websocket("/"):
        pass
    assert len(errors) == 1


def test_non_asgi_application_is_refused_with_type_error() -> None:
    def wsgi_only(*args: t.Any) -> list[bytes]:
        return [b""]

    with pytest.raises(TypeError, match="ASGI application"):
        TumblerClient(wsgi_only).websocket("/").connect()


def test_session_class_is_returned(echo_app: Tumbler) -> None:
    assert isinstance(echo_app.test_client().websocket("/echo"), WebSocketSession)


# -- cross-site websocket hijacking -----------------------------------------------------------


def _accepting_app(app: Tumbler) -> Tumbler:
    @app.websocket("/feed")
    async def feed() -> None:
        await websocket.accept()
        await websocket.send("secret")
        await websocket.close()

    return app


def test_websocket_from_another_origin_is_refused(app: Tumbler, client: TumblerClient) -> None:
    _accepting_app(app)
    with pytest.raises(WebSocketDenied) as info:
        client.websocket("/feed", headers={"Origin": "https://evil.example"}).connect()
    assert info.value.code == 1008
    assert "Cross-site" in info.value.reason


def test_websocket_from_its_own_origin_is_accepted(app: Tumbler, client: TumblerClient) -> None:
    _accepting_app(app)
    with client.websocket("/feed", headers={"Origin": "http://localhost"}) as ws:
        assert ws.receive() == "secret"


def test_websocket_without_origin_is_accepted(app: Tumbler, client: TumblerClient) -> None:
    # Not a browser (browsers always send Origin on a websocket handshake).
    _accepting_app(app)
    with client.websocket("/feed") as ws:
        assert ws.receive() == "secret"


def test_websocket_from_a_trusted_origin_is_accepted(app: Tumbler, client: TumblerClient) -> None:
    app.config["TRUSTED_ORIGINS"] = ["https://app.example.com"]
    _accepting_app(app)
    with client.websocket("/feed", headers={"Origin": "https://app.example.com"}) as ws:
        assert ws.receive() == "secret"


def test_csrf_exempt_websocket_accepts_other_origins(app: Tumbler, client: TumblerClient) -> None:
    from tumbler import csrf_exempt

    @app.websocket("/public")
    @csrf_exempt
    async def public() -> None:
        await websocket.accept()
        await websocket.send("hello")
        await websocket.close()

    with client.websocket("/public", headers={"Origin": "https://other.example"}) as ws:
        assert ws.receive() == "hello"
