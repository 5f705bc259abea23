from __future__ import annotations

import functools
import inspect
import typing as t

import pytest

from tumbler.app import Tumbler
from tumbler.globals import request
from tumbler.views import MethodView
from tumbler.views import View

# --- View.as_view: the generated function ------------------------------------------------------


class Greeting(View):
    """Says hello."""

    methods = ["GET", "POST"]
    provide_automatic_options = False

    def __init__(self, greeting: str = "Hello", *, punctuation: str = "!") -> None:
        self.greeting = greeting
        self.punctuation = punctuation

    def dispatch_request(self, name: str = "world") -> str:
        return f"{self.greeting}, {name}{self.punctuation}"


def test_as_view_function_carries_class_metadata() -> None:
    view = Greeting.as_view("greet")
    assert view.__name__ == "greet"
    assert view.__doc__ == "Says hello."
    assert view.__module__ == __name__
    assert view.view_class is Greeting
    assert view.methods == ["GET", "POST"]
    assert view.provide_automatic_options is False


def test_as_view_passes_constructor_arguments_and_url_kwargs() -> None:
    view = Greeting.as_view("greet", "Hi", punctuation="?")
    assert view(name="Ann") == "Hi, Ann?"


def test_as_view_builds_a_new_instance_per_call_by_default() -> None:
    instances: list[View] = []

    class Recorder(View):
        def dispatch_request(self) -> str:
            instances.append(self)
            return "ok"

    view = Recorder.as_view("rec")
    view()
    view()
    assert len(instances) == 2 and instances[0] is not instances[1]


def test_as_view_shares_one_instance_when_init_every_request_is_false() -> None:
    created: list[int] = []

    class Shared(View):
        init_every_request = False

        def __init__(self) -> None:
            created.append(1)

        def dispatch_request(self) -> str:
            return str(id(self))

    view = Shared.as_view("shared")
    assert len(created) == 1
    assert view() == view()
    assert len(created) == 1


def test_view_without_dispatch_request_raises_not_implemented() -> None:
    with pytest.raises(NotImplementedError):
        View.as_view("bare")()


def test_decorators_apply_in_order_first_innermost() -> None:
    def tag(label: str) -> t.Callable[[t.Callable[..., str]], t.Callable[..., str]]:
        def decorator(f: t.Callable[..., str]) -> t.Callable[..., str]:
            @functools.wraps(f)
            def wrapper(**kwargs: t.Any) -> str:
                return f"{label}({f(**kwargs)})"

            return wrapper

        return decorator

    class Decorated(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "body"

    view = Decorated.as_view("decorated")
    assert view() == "outer(inner(body))"
    assert view.__name__ == "decorated"
    assert view.view_class is Decorated


def test_async_dispatch_request_gives_an_async_view_function() -> None:
    class AsyncView(View):
        async def dispatch_request(self, n: int) -> int:
            return n * 2

    view = AsyncView.as_view("async")
    assert inspect.iscoroutinefunction(view)
    coro = view(n=21)
    with pytest.raises(StopIteration) as info:
        coro.send(None)
    assert info.value.value == 42


def test_sync_dispatch_request_gives_a_sync_view_function() -> None:
    assert not inspect.iscoroutinefunction(Greeting.as_view("greet"))


# --- MethodView: method collection --------------------------------------------------------------


def test_method_view_collects_methods_from_handlers() -> None:
    class Items(MethodView):
        def get(self) -> str:
            return "list"

        def post(self) -> str:
            return "create"

    assert Items.methods == {"GET", "POST"}
    assert set(Items.as_view("items").methods) == {"GET", "POST"}


def test_method_view_inherits_methods_from_bases_and_mixins() -> None:
    class GetMixin:
        def get(self) -> str:
            return "get"

    class Base(MethodView):
        def delete(self) -> str:
            return "delete"

    class Child(GetMixin, Base):
        def put(self) -> str:
            return "put"

    assert Child.methods == {"GET", "DELETE", "PUT"}


def test_method_view_explicit_methods_are_kept() -> None:
    class Explicit(MethodView):
        methods = ["GET"]

        def get(self) -> str:
            return "get"

        def post(self) -> str:
            return "post"

    assert Explicit.methods == ["GET"]


def test_method_view_without_handlers_has_no_methods() -> None:
    class Empty(MethodView):
        pass

    assert Empty.methods is None


def test_method_view_with_any_async_handler_gives_an_async_view() -> None:
    class Mixed(MethodView):
        def get(self) -> str:
            return "sync"

        async def post(self) -> str:
            return "async"

    assert inspect.iscoroutinefunction(Mixed.as_view("mixed"))


# --- registered on an application ----------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["wsgi", "asgi"])
def asgi(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


class Counter(MethodView):
    def get(self, item_id: int) -> str:
        return f"get {item_id}"

    def post(self, item_id: int) -> str:
        return f"post {item_id}"

    async def delete(self, item_id: int) -> tuple[str, int]:
        return f"deleted {item_id}", 202


@pytest.fixture
def app() -> Tumbler:
    application = Tumbler("views_app")
    application.add_url_rule("/items/<int:item_id>", view_func=Counter.as_view("items"))
    return application


def test_method_view_dispatches_by_http_method(app: Tumbler, asgi: bool) -> None:
    client = app.test_client(asgi=asgi)
    assert client.get("/items/1").data == b"get 1"
    assert client.post("/items/2").data == b"post 2"


def test_method_view_async_handler_is_awaited(app: Tumbler, asgi: bool) -> None:
    response = app.test_client(asgi=asgi).delete("/items/3")
    assert (response.status_code, response.data) == (202, b"deleted 3")


def test_method_view_head_falls_back_to_get(app: Tumbler, asgi: bool) -> None:
    response = app.test_client(asgi=asgi).head("/items/1")
    assert response.status_code == 200
    assert response.data == b""


def test_method_view_unhandled_method_is_405_with_allow_header(app: Tumbler, asgi: bool) -> None:
    response = app.test_client(asgi=asgi).put("/items/1")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST", "DELETE", "HEAD"} <= allowed and "PUT" not in allowed


def test_view_endpoint_comes_from_as_view_name(app: Tumbler) -> None:
    assert app.view_functions["items"].view_class is Counter
    with app.test_request_context():
        from tumbler.helpers import url_for

        assert url_for("items", item_id=5) == "/items/5"


def test_view_methods_attribute_limits_the_route(asgi: bool) -> None:
    application = Tumbler("views_methods")
    application.add_url_rule("/g", view_func=Greeting.as_view("greet"))
    client = application.test_client(asgi=asgi)
    assert client.post("/g").data == b"Hello, world!"
    assert client.delete("/g").status_code == 405


def test_view_provide_automatic_options_false_leaves_options_unanswered() -> None:
    application = Tumbler("views_options")
    application.add_url_rule("/g", view_func=Greeting.as_view("greet"))
    assert application.test_client().options("/g").status_code == 405


def test_async_view_dispatch_request_over_the_app(asgi: bool) -> None:
    class Doubler(View):
        async def dispatch_request(self, n: int) -> str:
            return str(n * 2)

    application = Tumbler("views_async")
    application.add_url_rule("/double/<int:n>", view_func=Doubler.as_view("double"))
    assert application.test_client(asgi=asgi).get("/double/21").data == b"42"


def test_method_view_reads_request_inside_handler(asgi: bool) -> None:
    class Echo(MethodView):
        def post(self) -> dict[str, t.Any]:
            return {"json": request.get_json()}

    application = Tumbler("views_echo")
    application.add_url_rule("/echo", view_func=Echo.as_view("echo"))
    response = application.test_client(asgi=asgi).post("/echo", json={"a": [1]})
    assert response.get_json() == {"json": {"a": [1]}}


def test_sync_dispatch_returning_a_coroutine_is_run_to_completion(asgi: bool) -> None:
    class Delegating(View):
        async def render(self) -> str:
            return "from coroutine"

        def dispatch_request(self) -> t.Any:
            return self.render()

    application = Tumbler("views_delegating")
    application.add_url_rule("/d", view_func=Delegating.as_view("d"))
    assert application.test_client(asgi=asgi).get("/d").data == b"from coroutine"
