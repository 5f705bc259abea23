from __future__ import annotations

import typing as t

import pytest
from blinker import NamedSignal

from tumbler import signals

SIGNAL_NAMES = {
    "template_rendered": "template-rendered",
    "before_render_template": "before-render-template",
    "request_started": "request-started",
    "request_finished": "request-finished",
    "request_tearing_down": "request-tearing-down",
    "got_request_exception": "got-request-exception",
    "appcontext_tearing_down": "appcontext-tearing-down",
    "appcontext_pushed": "appcontext-pushed",
    "appcontext_popped": "appcontext-popped",
    "message_flashed": "message-flashed",
}


@pytest.mark.parametrize(("attr", "name"), sorted(SIGNAL_NAMES.items()))
def test_each_signal_is_a_named_signal_in_the_namespace(attr: str, name: str) -> None:
    signal = getattr(signals, attr)
    assert isinstance(signal, NamedSignal)
    assert signal.name == name
    assert signals._signals[name] is signal


def test_namespace_holds_exactly_the_ten_signals() -> None:
    assert set(signals._signals) == set(SIGNAL_NAMES.values())


def test_connected_to_receives_sender_and_kwargs_only_for_that_sender() -> None:
    received: list[tuple[t.Any, dict[str, t.Any]]] = []
    sender, other = object(), object()

    def receiver(app: t.Any, **kwargs: t.Any) -> None:
        received.append((app, kwargs))

    with signals.message_flashed.connected_to(receiver, sender=sender):
        signals.message_flashed.send(sender, message="hi", category="info")
        signals.message_flashed.send(other, message="no", category="info")
    signals.message_flashed.send(sender, message="after", category="info")
    assert received == [(sender, {"message": "hi", "category": "info"})]


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_app_sends_request_signals_in_order(asgi: bool) -> None:
    from tumbler.app import Tumbler

    app = Tumbler("signals_app")
    events: list[str] = []

    @app.route("/")
    def index() -> str:
        events.append("view")
        return "ok"

    def started(sender: t.Any, **kwargs: t.Any) -> None:
        events.append("started")

    def finished(sender: t.Any, response: t.Any, **kwargs: t.Any) -> None:
        events.append(f"finished {response.status_code}")

    with (
        signals.request_started.connected_to(started, sender=app),
        signals.request_finished.connected_to(finished, sender=app),
    ):
        assert app.test_client(asgi=asgi).get("/").data == b"ok"
    assert events == ["started", "view", "finished 200"]
