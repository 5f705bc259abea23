"""Class-based views: :class:`View` and :class:`MethodView`.

``app.add_url_rule("/users/<int:id>", view_func=UserAPI.as_view("user"))`` registers a class;
each request builds an instance (unless ``init_every_request`` is false) and calls its
:meth:`View.dispatch_request` with the URL's arguments.

When ``dispatch_request`` (or, for :class:`MethodView`, any handler) is ``async def``,
:meth:`View.as_view` returns an ``async def`` view function, so the app awaits it natively
under ASGI instead of blocking a worker thread on it.
"""

from __future__ import annotations

import inspect
import typing as t

from tumbler.globals import current_app
from tumbler.globals import request

#: The handler method names :class:`MethodView` looks for.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class View:
    """Subclass and implement :meth:`dispatch_request` to make a class-based view.

    Class attributes customise the generated view function:

    - ``methods``: the HTTP methods the route accepts (``None``: the route's own default).
    - ``provide_automatic_options``: whether the app answers ``OPTIONS`` itself
      (``None``: the app's ``PROVIDE_AUTOMATIC_OPTIONS`` setting).
    - ``decorators``: applied to the generated function, first one innermost. Use this rather
      than decorating the class or ``as_view``'s result so every route gets them.
    - ``init_every_request``: build a new instance per request (default). Set it to ``False``
      to build one instance when :meth:`as_view` is called and share it; then do not store
      request data on ``self``.
    """

    methods: t.ClassVar[t.Collection[str] | None] = None
    provide_automatic_options: t.ClassVar[bool | None] = None
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> t.Any:
        """Handle the request and return a response value (anything a view may return).

        Called with the matched URL arguments as keyword arguments. May be ``async def``.

        :raises NotImplementedError: the subclass did not implement it.
        """
        raise NotImplementedError()

    @classmethod
    def _dispatch_is_async(cls) -> bool:
        return inspect.iscoroutinefunction(cls.dispatch_request)

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> t.Callable[..., t.Any]:
        """Turn the class into a view function for ``add_url_rule``.

        :param name: the function's ``__name__``, which becomes the default endpoint.
        :param class_args: positional arguments for the class's constructor.
        :param class_kwargs: keyword arguments for the class's constructor.
        :return: the view function, carrying ``view_class``, ``methods`` and
            ``provide_automatic_options`` attributes the app reads when registering it.
        """
        shared: View | None = None if cls.init_every_request else cls(*class_args, **class_kwargs)

        def instance() -> View:
            if shared is not None:
                return shared
            return cls(*class_args, **class_kwargs)

        # Any: the function gets attributes (view_class, methods, ...) that a Callable lacks.
        view: t.Any
        if cls._dispatch_is_async():

            async def async_view(**kwargs: t.Any) -> t.Any:
                rv = instance().dispatch_request(**kwargs)
                if inspect.isawaitable(rv):
                    rv = await rv
                return rv

            view = async_view
        else:

            def sync_view(**kwargs: t.Any) -> t.Any:
                rv = instance().dispatch_request(**kwargs)
                if inspect.isawaitable(rv):
                    # A sync dispatch_request handed back a coroutine (for example a
                    # MethodView subclass that made a handler async after as_view ran).
                    async def finish() -> t.Any:
                        return await rv

                    return current_app.ensure_sync(finish)()
                return rv

            view = sync_view

        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)

        # Set on the outermost function: decorators may have wrapped the original.
        view.view_class = cls
        view.__name__ = name
        view.__qualname__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods
        view.provide_automatic_options = cls.provide_automatic_options
        return view


class MethodView(View):
    """Dispatch to the method named after the HTTP method: ``get``, ``post``, ``put``, ...

    ``methods`` is filled in from the handlers the class (or its bases) defines, so the route
    answers 405 with a correct ``Allow`` header for the rest. ``HEAD`` falls back to ``get``
    when there is no ``head`` handler. Handlers may be ``async def``.

    .. code-block:: python

        class CounterAPI(MethodView):
            def get(self):
                return str(session.get("counter", 0))

            def post(self):
                session["counter"] = session.get("counter", 0) + 1
                return redirect(url_for("counter"))

        app.add_url_rule("/counter", view_func=CounterAPI.as_view("counter"))
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                base_methods = getattr(base, "methods", None)
                if base_methods:
                    methods.update(base_methods)
            for key in http_method_funcs:
                if hasattr(cls, key):
                    methods.add(key.upper())
            if methods:
                cls.methods = methods

    @classmethod
    def _dispatch_is_async(cls) -> bool:
        if inspect.iscoroutinefunction(cls.dispatch_request):
            return True
        return any(
            inspect.iscoroutinefunction(getattr(cls, key, None)) for key in http_method_funcs
        )

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Call the handler for the request's method with the URL arguments.

        Returns the handler's result, which is a coroutine for an ``async def`` handler (the
        view function from :meth:`as_view` awaits it).

        :raises MethodNotAllowed: there is no handler for the method (the route's ``methods``
            normally stops such requests before they get here).
        """
        method = request.method
        meth = getattr(self, method.lower(), None)
        if meth is None and method == "HEAD":
            meth = getattr(self, "get", None)
        if meth is None:
            from tumbler.exceptions import MethodNotAllowed

            raise MethodNotAllowed(valid_methods=sorted(self.methods or ()))
        return meth(**kwargs)
