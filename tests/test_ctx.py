"""Contexts and proxies: one ContextVar, Flask's API and errors that teach."""

from __future__ import annotations

import threading
import typing as t

import pytest

from tumbler import Tumbler
from tumbler import after_this_request
from tumbler import appcontext_popped
from tumbler import appcontext_pushed
from tumbler import copy_current_request_context
from tumbler import current_app
from tumbler import g
from tumbler import has_app_context
from tumbler import has_request_context
from tumbler import request
from tumbler import session
from tumbler import websocket
from tumbler.ctx import AppContext
from tumbler.ctx import RequestContext
from tumbler.globals import _cv_context
from tumbler.globals import app_ctx
from tumbler.globals import request_ctx


def test_current_app_outside_context_names_app_context_and_fix() -> None:
    with pytest.raises(RuntimeError) as info:
        current_app.name  # noqa: B018
    message = str(info.value)
    assert "Working outside of application context." in message
    assert "app.app_context()" in message


def test_g_outside_context_raises_app_context_error() -> None:
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.x = 1


def test_request_outside_context_names_request_context_and_fixes() -> None:
    with pytest.raises(RuntimeError) as info:
        request.args  # noqa: B018
    message = str(info.value)
    assert "Working outside of request context." in message
    assert "test_request_context()" in message
    assert "copy_current_request_context" in message


def test_request_in_app_context_only_still_raises(app: Tumbler) -> None:
    with app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        request.method  # noqa: B018


def test_session_outside_request_raises_request_context_error(app: Tumbler) -> None:
    with pytest.raises(RuntimeError, match="outside of request context"):
        session.get("x")


def test_websocket_outside_websocket_handler_raises(app: Tumbler) -> None:
    with app.test_request_context(), pytest.raises(RuntimeError, match="websocket context"):
        websocket.accept  # noqa: B018


def test_unbound_proxies_are_falsy_and_have_a_repr() -> None:
    assert not request
    assert not current_app
    assert "unbound" in repr(request)


def test_app_context_binds_current_app_and_g(app: Tumbler) -> None:
    with app.app_context():
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert current_app.name == app.name
        g.value = 1
        assert g.value == 1
    assert not has_app_context()


def test_push_and_pop_use_one_contextvar(app: Tumbler) -> None:
    ctx = app.test_request_context("/")
    assert _cv_context.get(None) is None
    ctx.push()
    try:
        assert _cv_context.get() is ctx
        assert app_ctx.app is app
        assert request_ctx._get_current_object() is ctx  # type: ignore[attr-defined]
    finally:
        ctx.pop()
    assert _cv_context.get(None) is None


def test_nested_app_contexts_restore_the_outer(app: Tumbler) -> None:
    other = Tumbler("other")
    with app.app_context():
        with other.app_context():
            assert current_app.name == "other"
        assert current_app.name == app.name


def test_request_context_reuses_active_app_context_of_same_app(app: Tumbler) -> None:
    with app.app_context() as actx:
        g.shared = "yes"
        with app.test_request_context():
            assert app_ctx._get_current_object() is actx  # type: ignore[attr-defined]
            assert g.shared == "yes"


def test_request_context_creates_app_context_for_other_app(app: Tumbler) -> None:
    other = Tumbler("other")
    with other.app_context(), app.test_request_context():
        assert current_app.name == app.name
        assert "shared" not in g


def test_popping_wrong_context_raises(app: Tumbler) -> None:
    outer = app.app_context()
    inner = app.app_context()
    outer.push()
    inner.push()
    with pytest.raises(AssertionError, match="Popped wrong app context"):
        outer.pop()
    inner.pop()
    outer.pop()


def test_has_request_and_app_context(app: Tumbler) -> None:
    assert not has_app_context()
    assert not has_request_context()
    with app.app_context():
        assert has_app_context()
        assert not has_request_context()
    with app.test_request_context():
        assert has_app_context()
        assert has_request_context()


def test_test_request_context_builds_request(app: Tumbler) -> None:
    with app.test_request_context("/path?a=1", method="POST", data={"f": "v"}):
        assert request.path == "/path"
        assert request.args["a"] == "1"
        assert request.method == "POST"
        assert request.form["f"] == "v"


def test_request_context_accepts_a_request_object(app: Tumbler) -> None:
    with app.test_request_context("/x") as ctx:
        req = ctx.request
    with app.request_context(req):
        assert request.path == "/x"


def test_teardown_runs_once_on_outermost_pop(app: Tumbler) -> None:
    calls: list[t.Any] = []
    app.teardown_request(lambda exc: calls.append(exc))
    ctx = app.test_request_context()
    with ctx:
        with ctx:
            pass
        assert calls == []
    assert calls == [None]


def test_teardown_appcontext_receives_exception(app: Tumbler) -> None:
    calls: list[t.Any] = []
    app.teardown_appcontext(lambda exc: calls.append(exc))
    with pytest.raises(ValueError), app.app_context():
        raise ValueError("x")
    assert isinstance(calls[0], ValueError)


def test_appcontext_signals_sent_on_push_and_pop(app: Tumbler) -> None:
    events: list[str] = []

    def pushed(sender: Tumbler, **kw: t.Any) -> None:
        events.append("pushed")

    def popped(sender: Tumbler, **kw: t.Any) -> None:
        events.append("popped")

    with (
        appcontext_pushed.connected_to(pushed, app),
        appcontext_popped.connected_to(popped, app),
        app.app_context(),
    ):
        events.append("inside")
    assert events == ["pushed", "inside", "popped"]


def test_g_namespace_methods(app: Tumbler) -> None:
    with app.app_context():
        g.a = 1
        assert g.get("a") == 1
        assert g.get("missing", "d") == "d"
        assert "a" in g
        assert list(g) == ["a"]
        assert g.setdefault("b", 2) == 2
        assert g.setdefault("b", 3) == 2
        assert g.pop("a") == 1
        assert g.pop("a", None) is None
        with pytest.raises(KeyError):
            g.pop("a")
        with pytest.raises(AttributeError):
            g.nope  # noqa: B018
        del g.b
        assert "b" not in g
        assert app.name in repr(g)


def test_proxy_forwards_item_access_iteration_len_and_equality(app: Tumbler) -> None:
    with app.test_request_context("/?a=1&b=2"):
        args = request.args
        assert request.args["a"] == "1"
        assert request == request._get_current_object()  # type: ignore[attr-defined]
        assert isinstance(request._get_current_object(), app.request_class)  # type: ignore[attr-defined]
        assert sorted(args) == ["a", "b"]
    with app.app_context():
        g.x = 1
        assert "x" in g
        assert len(list(iter(g))) == 1


def test_copy_current_request_context_runs_in_thread(app: Tumbler) -> None:
    results: list[str] = []
    with app.test_request_context("/thread?v=ok"):

        @copy_current_request_context
        def work() -> None:
            results.append(request.args["v"])

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert results == ["ok"]


def test_copy_current_request_context_outside_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context is active"):
        copy_current_request_context(lambda: None)


def test_after_this_request_outside_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context is active"):
        after_this_request(lambda r: r)


def test_threads_do_not_see_each_others_request(app: Tumbler) -> None:
    @app.route("/<int:n>")
    def view(n: int) -> str:
        threading.Event().wait(0.001)
        return f"{request.view_args['n']}:{request.args['q']}"  # type: ignore[index]

    errors: list[str] = []

    def worker(n: int) -> None:
        client = app.test_client()
        for i in range(5):
            rv = client.get(f"/{n}?q={n * 100 + i}")
            if rv.data.decode() != f"{n}:{n * 100 + i}":
                errors.append(rv.data.decode())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_request_context_repr_and_copy(app: Tumbler) -> None:
    with app.test_request_context("/r") as ctx:
        assert "/r" in repr(ctx)
        copied = ctx.copy()
        assert isinstance(copied, RequestContext)
        assert copied.request is ctx.request


def test_app_context_repr(app: Tumbler) -> None:
    assert app.name in repr(AppContext(app))


def test_session_is_opened_lazily_and_writable(app: Tumbler) -> None:
    with app.test_request_context():
        session["k"] = "v"
        assert session["k"] == "v"
