"""Blueprints: reusable groups of routes, hooks and handlers registered on an application.

A :class:`Blueprint` records what it should do to an application; :meth:`Blueprint.register`
replays those records with a :class:`BlueprintSetupState` that applies the URL prefix, subdomain,
URL defaults and dotted endpoint name. Blueprints nest: a blueprint registered on another one gets
endpoints like ``parent.child.view`` and the combined prefix and subdomain.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict

from .scaffold import F
from .scaffold import Scaffold
from .scaffold import T_after_request
from .scaffold import T_before_request
from .scaffold import T_error_handler
from .scaffold import T_teardown
from .scaffold import T_template_context_processor
from .scaffold import T_url_defaults
from .scaffold import T_url_value_preprocessor
from .scaffold import _endpoint_from_view_func
from .scaffold import _sentinel
from .scaffold import setupmethod

if t.TYPE_CHECKING:
    from .app import Tumbler

DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]


class BlueprintSetupState:
    """The state a blueprint's deferred functions receive while it is registered on an app.

    Attributes: ``app``, ``blueprint``, ``options`` (the ``register_blueprint`` keyword
    arguments), ``first_registration``, ``subdomain``, ``url_prefix``, ``name``, ``name_prefix``
    and ``url_defaults``.
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: Tumbler,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = self.options.get("subdomain")
        if subdomain is None:
            subdomain = self.blueprint.subdomain
        self.subdomain: str | None = subdomain
        url_prefix = self.options.get("url_prefix")
        if url_prefix is None:
            url_prefix = self.blueprint.url_prefix
        self.url_prefix: str | None = url_prefix
        self.name: str = self.options.get("name", blueprint.name)
        self.name_prefix: str = self.options.get("name_prefix", "")
        self.url_defaults: dict[str, t.Any] = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule on the app with the blueprint's prefix, subdomain, defaults and name."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A group of routes, hooks, error handlers and template helpers to register on an app.

    :param name: the blueprint's name; prefixes its endpoints (``name.view``). Must be non-empty
        and contain no ``.``.
    :param import_name: usually ``__name__``; locates ``root_path``.
    :param static_folder: a folder of static files served at ``static_url_path``.
    :param static_url_path: URL of the static route; defaults to ``/`` + the folder name.
    :param template_folder: a template folder, searched after the app's.
    :param url_prefix: prefix for every URL of the blueprint.
    :param subdomain: subdomain the blueprint's routes match.
    :param url_defaults: default view arguments for every route.
    :param root_path: override the folder relative paths start from.
    :param cli_group: the name of the blueprint's command group (``None`` merges its commands into
        the app's group).
    :param csrf_exempt: exempt every view of the blueprint (and of its nested blueprints) from
        CSRF checks, like :func:`~tumbler.csrf_exempt`; only for endpoints that authenticate
        requests another way than cookies.
    :raises ValueError: for an empty name or one containing a dot.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
        csrf_exempt: bool = False,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        if url_defaults is None:
            url_defaults = {}
        self.url_values_defaults = url_defaults
        self.cli_group = cli_group
        self.csrf_exempt = csrf_exempt
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any changes will"
                " not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up the blueprint"
                " are done before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Register ``func(state)`` to run each time the blueprint is registered on an app."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but ``func`` runs only on the blueprint's first registration."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: Tumbler, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """Create the :class:`BlueprintSetupState` passed to the deferred functions."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` inside this one; it is registered when this one is.

        Options are those of :meth:`Tumbler.register_blueprint`. The nested blueprint's endpoints
        become ``this.nested.view``; prefixes and subdomains combine.

        :raises ValueError: when registering a blueprint on itself.
        """
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Tumbler, options: dict[str, t.Any]) -> None:
        """Called by :meth:`Tumbler.register_blueprint` to apply the blueprint to ``app``.

        :raises ValueError: when the (dotted) name is already registered; pass ``name=`` to
            register the same blueprint twice.
        """
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {bp_desc} blueprint"
                f"{existing_at}. Use 'name=' to provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )

        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)

        for deferred in self.deferred_functions:
            deferred(state)

        self._register_cli(app, name, options)

        for blueprint, bp_options in self._blueprints:
            bp_options = bp_options.copy()
            bp_url_prefix = bp_options.get("url_prefix")
            bp_subdomain = bp_options.get("subdomain")
            if bp_subdomain is None:
                bp_subdomain = blueprint.subdomain
            if state.subdomain is not None and bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain + "." + state.subdomain
            elif bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain
            elif state.subdomain is not None:
                bp_options["subdomain"] = state.subdomain
            if bp_url_prefix is None:
                bp_url_prefix = blueprint.url_prefix
            if state.url_prefix is not None and bp_url_prefix is not None:
                bp_options["url_prefix"] = (
                    state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
                )
            elif bp_url_prefix is not None:
                bp_options["url_prefix"] = bp_url_prefix
            elif state.url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _register_cli(self, app: Tumbler, name: str, options: dict[str, t.Any]) -> None:
        if not getattr(self.cli, "commands", None):
            return
        cli_resolved_group = options.get("cli_group", self.cli_group)
        if cli_resolved_group is _sentinel:
            self.cli.name = name
            app.cli.add_command(self.cli)
        elif cli_resolved_group is None:
            app.cli.commands.update(self.cli.commands)
        else:
            self.cli.name = cli_resolved_group
            app.cli.add_command(self.cli)

    def _merge_blueprint_funcs(self, app: Tumbler, name: str) -> None:
        def extend(
            bp_dict: dict[str | None, list[t.Any]], parent_dict: dict[str | None, list[t.Any]]
        ) -> None:
            for key, values in bp_dict.items():
                full = name if key is None else f"{name}.{key}"
                parent_dict.setdefault(full, []).extend(values)

        for key, value in self.error_handler_spec.items():
            full = name if key is None else f"{name}.{key}"
            app.error_handler_spec[full] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a URL rule to register (with the blueprint's prefix and name) on the app.

        :raises ValueError: when the endpoint or the view function's name contains a dot.
        """
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- application-wide registrations ----------------------------------------------------

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a Jinja filter available in every template of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register a Jinja filter available in every template of the app."""

        def register_template(state: BlueprintSetupState) -> None:
            state.app.jinja_env.filters[name or f.__name__] = f

        self.record_once(register_template)

    @setupmethod
    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a Jinja test available in every template of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Register a Jinja test available in every template of the app."""

        def register_template(state: BlueprintSetupState) -> None:
            state.app.jinja_env.tests[name or f.__name__] = f

        self.record_once(register_template)

    @setupmethod
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a Jinja global available in every template of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register a Jinja global available in every template of the app."""

        def register_template(state: BlueprintSetupState) -> None:
            state.app.jinja_env.globals[name or f.__name__] = f

        self.record_once(register_template)

    @setupmethod
    def before_app_request(self, f: T_before_request) -> T_before_request:
        """Like :meth:`before_request`, but for every request of the app."""
        self.record_once(lambda s: s.app.before_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def after_app_request(self, f: T_after_request) -> T_after_request:
        """Like :meth:`after_request`, but for every request of the app."""
        self.record_once(lambda s: s.app.after_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: T_teardown) -> T_teardown:
        """Like :meth:`teardown_request`, but for every request of the app."""
        self.record_once(lambda s: s.app.teardown_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """Like :meth:`context_processor`, but for every template of the app."""
        self.record_once(lambda s: s.app.template_context_processors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_errorhandler(
        self, code: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Like :meth:`errorhandler`, but for errors anywhere in the app."""

        def decorator(f: T_error_handler) -> T_error_handler:
            def from_blueprint(state: BlueprintSetupState) -> None:
                state.app.errorhandler(code)(f)

            self.record_once(from_blueprint)
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: T_url_value_preprocessor) -> T_url_value_preprocessor:
        """Like :meth:`url_value_preprocessor`, but for every request of the app."""
        self.record_once(lambda s: s.app.url_value_preprocessors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Like :meth:`url_defaults`, but for every URL built in the app."""
        self.record_once(lambda s: s.app.url_default_functions.setdefault(None, []).append(f))
        return f


__all__ = ["Blueprint", "BlueprintSetupState"]
