"""Jinja2 integration: the app's environment, template loading and rendering functions.

Autoescaping is on for ``.html``, ``.htm``, ``.xml``, ``.xhtml`` and ``.svg`` templates and for
templates rendered from strings, so a variable holding ``<script>`` is shown, not run. Only
:class:`~markupsafe.Markup` values and the ``|safe`` filter opt out. The ``tojson`` filter emits
JSON that is inert inside ``<script>`` and in single-quoted attributes.
"""

from __future__ import annotations

import typing as t

from jinja2 import BaseLoader
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template
from jinja2 import TemplateNotFound

from tumbler.ctx import has_request_context
from tumbler.globals import _cv_context
from tumbler.globals import current_app
from tumbler.globals import request
from tumbler.json.provider import htmlsafe_json_dumps
from tumbler.signals import before_render_template
from tumbler.signals import template_rendered

if t.TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

#: File extensions whose templates are autoescaped.
AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")


def select_jinja_autoescape(filename: str | None) -> bool:
    """Tell whether a template should be autoescaped.

    :param filename: the template's name; ``None`` for templates made from strings, which are
        always escaped.
    """
    if filename is None:
        return True
    return filename.endswith(AUTOESCAPE_EXTENSIONS)


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Inject ``g``, and ``request`` and ``session`` when a request is active.

    The app registers this as its first context processor, so templates see the real objects
    (not proxies) and work when rendered outside a request with only an app context.
    """
    # Read from the active context directly: what the proxies would resolve to, without them.
    ctx = _cv_context.get(None)
    if ctx is None:
        return {}
    if ctx.request is None:
        return {"g": ctx.g}
    return {"g": ctx.g, "request": ctx.request, "session": ctx.session}


def _unwrap(proxy: t.Any) -> t.Any:
    get = getattr(proxy, "_get_current_object", None)
    return get() if get is not None else proxy


def _current_app() -> t.Any:
    return _unwrap(current_app)


class Environment(BaseEnvironment):
    """The application's Jinja environment (``app.jinja_env``).

    It loads templates from the app and its blueprints through a
    :class:`DispatchingJinjaLoader`, escapes as :func:`select_jinja_autoescape` (or the app's
    ``select_jinja_autoescape``) decides, reloads changed templates when
    ``TEMPLATES_AUTO_RELOAD`` is set (or, when it is ``None``, in debug mode), and has a
    ``tojson`` filter that uses the app's JSON provider.

    :param app: the application.
    :param options: Jinja environment options (``app.jinja_options``); ``loader``,
        ``autoescape`` and ``auto_reload`` default as described above.
    """

    def __init__(self, app: t.Any, **options: t.Any) -> None:
        if "loader" not in options:
            create_loader = getattr(app, "create_global_jinja_loader", None)
            options["loader"] = create_loader() if create_loader else DispatchingJinjaLoader(app)
        if "autoescape" not in options:
            options["autoescape"] = getattr(app, "select_jinja_autoescape", select_jinja_autoescape)
        if "auto_reload" not in options:
            auto_reload = app.config.get("TEMPLATES_AUTO_RELOAD")
            options["auto_reload"] = bool(app.debug) if auto_reload is None else bool(auto_reload)
        super().__init__(**options)
        self.app = app
        self._async_env: BaseEnvironment | None = None
        # Jinja's built-in tojson reads this policy; the filter below covers apps that replace
        # app.json after the environment was created.
        self.policies["json.dumps_function"] = self._dumps
        self.filters["tojson"] = self._tojson

    def _dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return self.app.json.dumps(obj, **kwargs)

    def _tojson(self, obj: t.Any, indent: int | None = None) -> t.Any:
        kwargs: dict[str, t.Any] = {} if indent is None else {"indent": indent}
        return htmlsafe_json_dumps(obj, dumps=self._dumps, **kwargs)

    def async_environment(self) -> BaseEnvironment:
        """An overlay of this environment with ``enable_async=True``, created once.

        It shares loader, filters, tests and globals with this environment and has its own
        cache of templates compiled for async rendering.
        """
        if self._async_env is None:
            self._async_env = self.overlay(enable_async=True)
        return self._async_env


class DispatchingJinjaLoader(BaseLoader):
    """Finds a template in the app's template folder, then in each blueprint's template folder
    in registration order; the first hit wins.

    With ``EXPLAIN_TEMPLATE_LOADING`` set, every lookup logs (at INFO on ``app.logger``) each
    place it tried and what it found, which helps when the wrong template is picked up.
    """

    def __init__(self, app: t.Any) -> None:
        self.app = app

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        """Return ``(source, filename, uptodate)`` for ``template``.

        :raises jinja2.TemplateNotFound: no loader has it.
        """
        if self.app.config.get("EXPLAIN_TEMPLATE_LOADING"):
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        attempts: list[tuple[t.Any, BaseLoader, str | None]] = []
        found: tuple[str, str | None, t.Callable[[], bool] | None] | None = None
        for owner, loader in self._iter_loaders():
            try:
                rv = loader.get_source(environment, template)
            except TemplateNotFound:
                attempts.append((owner, loader, None))
                continue
            attempts.append((owner, loader, rv[1] or "<unknown filename>"))
            if found is None:
                found = rv
        _explain_attempts(self.app, template, attempts, found is not None)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> Iterator[tuple[t.Any, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        """Every template name any of the loaders can find."""
        result: set[str] = set()
        for _owner, loader in self._iter_loaders():
            result.update(loader.list_templates())
        return sorted(result)


def _explain_attempts(
    app: t.Any, template: str, attempts: list[tuple[t.Any, BaseLoader, str | None]], found: bool
) -> None:
    lines = [f"Locating template {template!r}:"]
    total = 0
    for idx, (owner, loader, filename) in enumerate(attempts, 1):
        if owner is app:
            where = f"application {app.import_name!r}"
        else:
            where = f"blueprint {owner.name!r} ({owner.import_name})"
        lines.append(f"{idx:5}: trying loader of {where}")
        lines.append(f"       class: {type(loader).__module__}.{type(loader).__name__}")
        searchpath = getattr(loader, "searchpath", None)
        if searchpath is not None:
            lines.append("       searchpath:")
            lines.extend(f"         {path}" for path in searchpath)
        if filename is None:
            lines.append("       -> no match")
        else:
            total += 1
            lines.append(f"       -> found ({filename!r})")
    if not found:
        lines.append("Error: the template could not be found.")
    elif total > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
    blueprint = _request_blueprint()
    if blueprint is not None and not found:
        lines.append(
            f"  The template was looked up from an endpoint that belongs to the blueprint"
            f" {blueprint!r}.\n  Maybe you did not place a template in the right folder?\n"
            "  See https://flask.palletsprojects.com/blueprints/#templates"
        )
    app.logger.info("\n".join(lines))


def _request_blueprint() -> str | None:
    if not has_request_context():
        return None
    return getattr(request, "blueprint", None)


def _render(app: t.Any, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    rv = template.render(context)
    if template_rendered.receivers:
        template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    return rv


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template from the app's template folders with the given context.

    The context also holds ``config``, ``request``, ``session``, ``g``, ``url_for``,
    ``get_flashed_messages`` and whatever the context processors return; values passed here
    win over context processors.

    :param template_name_or_list: a template name, a :class:`~jinja2.Template`, or a list of
        them of which the first that exists is rendered.
    :param context: variables for the template.
    :raises RuntimeError: outside an application context.
    :raises jinja2.TemplateNotFound: no such template.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as a string, with autoescaping on.

    :param source: the template source.
    :param context: variables for the template.
    :raises RuntimeError: outside an application context.
    """
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(app: t.Any, template: Template, context: dict[str, t.Any]) -> Iterator[str]:
    app.update_template_context(context)
    before_render_template.send(
        app, _async_wrapper=app.ensure_sync, template=template, context=context
    )

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    rv = generate()
    if has_request_context():
        from tumbler.helpers import stream_with_context

        rv = stream_with_context(rv)
    return rv


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> Iterator[str]:
    """Render a template piece by piece, as an iterator of strings to return from a view.

    Inside a request the iterator keeps the request context alive until it is exhausted
    (``stream_with_context``), so the template can use ``request`` while streaming.

    :raises RuntimeError: outside an application context.
    :raises jinja2.TemplateNotFound: no such template.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> Iterator[str]:
    """Like :func:`stream_template`, for a template given as a string.

    :raises RuntimeError: outside an application context.
    """
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


def _call_sync_receiver(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    # Sync receivers are quick plain functions, so they are called directly on the loop.
    async def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return func(*args, **kwargs)

    return call


async def _send_async(signal: t.Any, app: t.Any, **kwargs: t.Any) -> None:
    await signal.send_async(app, _sync_wrapper=_call_sync_receiver, **kwargs)


async def _render_async(app: t.Any, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    await _send_async(before_render_template, app, template=template, context=context)
    rv = await template.render_async(context)
    await _send_async(template_rendered, app, template=template, context=context)
    return rv


def _async_env(app: t.Any) -> BaseEnvironment:
    env = app.jinja_env
    if isinstance(env, Environment):
        return env.async_environment()
    return env.overlay(enable_async=True)


async def render_template_async(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template in Jinja's async mode, for ``async def`` views.

    The template may call ``async def`` functions and iterate async iterators from the
    context; they are awaited. Signal receivers may be ``async def``. Rendering itself still
    runs on the event loop, so keep heavy templates out of latency-sensitive async views.

    :raises RuntimeError: outside an application context.
    :raises jinja2.TemplateNotFound: no such template.
    """
    app = _current_app()
    template = _async_env(app).get_or_select_template(template_name_or_list)
    return await _render_async(app, template, context)


async def render_template_string_async(source: str, **context: t.Any) -> str:
    """Like :func:`render_template_async`, for a template given as a string.

    :raises RuntimeError: outside an application context.
    """
    app = _current_app()
    template = _async_env(app).from_string(source)
    return await _render_async(app, template, context)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """Load a macro (or variable) a template exports, to call it from Python.

    ``get_template_attribute("_macros.html", "hello")("World")`` calls the ``hello`` macro.

    :raises RuntimeError: outside an application context.
    :raises jinja2.TemplateNotFound: no such template.
    :raises AttributeError: the template exports no such name.
    """
    return getattr(_current_app().jinja_env.get_template(template_name).module, attribute)


__all__ = [
    "AUTOESCAPE_EXTENSIONS",
    "DispatchingJinjaLoader",
    "Environment",
    "get_template_attribute",
    "htmlsafe_json_dumps",
    "render_template",
    "render_template_async",
    "render_template_string",
    "render_template_string_async",
    "select_jinja_autoescape",
    "stream_template",
    "stream_template_string",
]
