"""Flask 3.1's public API, where a ported app looks for it, with Flask's behaviour.

The tables below are Flask 3.1.3's and Werkzeug 3.1's public surface (names, signatures, attributes,
``default_config``), with ``flask`` renamed to ``tumbler``, ``Flask`` to ``Tumbler`` and
``werkzeug.X`` to ``tumbler.X``. A ported app must find every name where Flask keeps it, call every
method with Flask's parameter names, and read Flask's default configuration, except for the
deliberate differences listed (each with its reason). The behaviour tests at the end cover the
parts of the reference's "behaviour a reimplementation must match" that the module tests
(``test_app_*.py``, ``test_blueprints.py``, ``test_ctx.py``, ``test_helpers.py``, ...) do not.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import typing as t
from datetime import timedelta

import pytest

import tumbler
from tumbler import Blueprint
from tumbler import Request
from tumbler import Response
from tumbler import Tumbler

# --- names --------------------------------------------------------------------------------------

#: The 39 re-exports of ``flask/__init__.py`` (``Flask`` is ``Tumbler``).
TOP_LEVEL_NAMES = [
    "Tumbler",
    "Blueprint",
    "Config",
    "Request",
    "Response",
    "current_app",
    "g",
    "request",
    "session",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
    "abort",
    "flash",
    "get_flashed_messages",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
    "json",
    "jsonify",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
    "template_rendered",
    "before_render_template",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
    "message_flashed",
]

#: Names users import from Flask's submodules (``docs/api.rst``), by Tumbler module.
SUBMODULE_NAMES: dict[str, list[str]] = {
    "tumbler.views": ["View", "MethodView"],
    "tumbler.sessions": [
        "SessionInterface",
        "SecureCookieSessionInterface",
        "SecureCookieSession",
        "NullSession",
        "SessionMixin",
    ],
    "tumbler.testing": ["TumblerClient", "TumblerCliRunner", "EnvironBuilder"],
    "tumbler.json": ["dumps", "dump", "loads", "load", "jsonify"],
    "tumbler.json.provider": ["JSONProvider", "DefaultJSONProvider"],
    "tumbler.json.tag": ["TaggedJSONSerializer", "JSONTag", "PassDict", "PassList"],
    "tumbler.cli": [
        "TumblerGroup",
        "AppGroup",
        "ScriptInfo",
        "load_dotenv",
        "with_appcontext",
        "pass_script_info",
        "run_command",
        "shell_command",
        "routes_command",
        "NoAppException",
        "find_best_app",
        "locate_app",
        "prepare_import",
        "get_version",
        "cli",
        "main",
    ],
    "tumbler.ctx": [
        "AppContext",
        "RequestContext",
        "_AppCtxGlobals",
        "after_this_request",
        "copy_current_request_context",
        "has_app_context",
        "has_request_context",
    ],
    "tumbler.globals": ["app_ctx", "request_ctx", "current_app", "g", "request", "session"],
    "tumbler.blueprints": ["Blueprint", "BlueprintSetupState"],
    "tumbler.templating": [
        "Environment",
        "DispatchingJinjaLoader",
        "render_template",
        "render_template_string",
        "stream_template",
        "stream_template_string",
    ],
    "tumbler.logging": [
        "default_handler",
        "create_logger",
        "wsgi_errors_stream",
        "has_level_handler",
    ],
    "tumbler.typing": [
        "ResponseValue",
        "ResponseReturnValue",
        "ResponseClass",
        "StatusCode",
        "HeaderName",
        "HeaderValue",
        "HeadersValue",
        "AppOrBlueprintKey",
        "AfterRequestCallable",
        "BeforeRequestCallable",
        "ShellContextProcessorCallable",
        "TeardownCallable",
        "TemplateContextProcessorCallable",
        "TemplateFilterCallable",
        "TemplateGlobalCallable",
        "TemplateTestCallable",
        "URLDefaultCallable",
        "URLValuePreprocessorCallable",
        "ErrorHandlerCallable",
        "RouteCallable",
    ],
    "tumbler.helpers": [
        "url_for",
        "redirect",
        "abort",
        "flash",
        "get_flashed_messages",
        "send_file",
        "send_from_directory",
        "stream_with_context",
        "make_response",
        "get_template_attribute",
        "get_root_path",
        "get_debug_flag",
        "get_load_dotenv",
    ],
    "tumbler.config": ["Config", "ConfigAttribute"],
    "tumbler.signals": [
        "template_rendered",
        "before_render_template",
        "request_started",
        "request_finished",
        "request_tearing_down",
        "got_request_exception",
        "appcontext_tearing_down",
        "appcontext_pushed",
        "appcontext_popped",
        "message_flashed",
    ],
    "tumbler.debughelpers": [
        "DebugFilesKeyError",
        "FormDataRoutingRedirect",
        "explain_template_loading_attempts",
    ],
    "tumbler.wrappers": ["Request", "Response"],
    # werkzeug.X -> tumbler.X: the pieces Flask apps use directly.
    "tumbler.exceptions": [
        "HTTPException",
        "NotFound",
        "BadRequest",
        "BadRequestKeyError",
        "Forbidden",
        "Unauthorized",
        "MethodNotAllowed",
        "InternalServerError",
        "RequestEntityTooLarge",
        "UnsupportedMediaType",
        "Aborter",
        "abort",
    ],
    "tumbler.routing": [
        "BaseConverter",
        "Rule",
        "Map",
        "Submount",
        "BuildError",
        "RequestRedirect",
        "RoutingException",
    ],
    "tumbler.datastructures": [
        "MultiDict",
        "ImmutableMultiDict",
        "Headers",
        "EnvironHeaders",
        "FileStorage",
        "CallbackDict",
    ],
    "tumbler.utils": ["secure_filename"],
    "tumbler.security": ["generate_password_hash", "check_password_hash", "safe_join"],
    "tumbler.http": ["http_date", "parse_date", "parse_set_header", "parse_cache_control_header"],
    "tumbler.test": ["Client", "TestResponse", "EnvironBuilder", "run_wsgi_app"],
    "tumbler.proxy_fix": ["ProxyFix"],
    "tumbler.middleware.proxy_fix": ["ProxyFix"],
}


@pytest.mark.parametrize("name", TOP_LEVEL_NAMES)
def test_flask_top_level_name_is_exported_by_tumbler(name: str) -> None:
    assert hasattr(tumbler, name)
    assert name in tumbler.__all__


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module, names in SUBMODULE_NAMES.items() for name in names],
    ids=lambda v: v,
)
def test_flask_and_werkzeug_submodule_name_is_where_a_ported_app_looks(
    module: str, name: str
) -> None:
    assert hasattr(importlib.import_module(module), name)


def test_json_module_is_the_tumbler_json_package() -> None:
    assert tumbler.json is importlib.import_module("tumbler.json")


def test_middleware_proxy_fix_is_the_same_class_as_tumbler_proxy_fix() -> None:
    from tumbler.middleware.proxy_fix import ProxyFix as FromMiddleware
    from tumbler.proxy_fix import ProxyFix

    assert FromMiddleware is ProxyFix


def test_werkzeug_test_client_is_the_tumbler_client() -> None:
    from tumbler.test import Client
    from tumbler.testing import TumblerClient

    assert issubclass(TumblerClient, Client)


# --- signatures ---------------------------------------------------------------------------------

#: Flask 3.1's signatures, as Python parameter lists. ``...`` as a default means "has a default"
#: without comparing its value (sentinels). Class methods and static methods are listed without
#: ``cls``, as ``inspect.signature`` shows them bound.
_APP_AND_BLUEPRINT_METHODS = {
    "route": "self, rule, **options",
    "get": "self, rule, **options",
    "post": "self, rule, **options",
    "put": "self, rule, **options",
    "delete": "self, rule, **options",
    "patch": "self, rule, **options",
    "add_url_rule": (
        "self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options"
    ),
    "endpoint": "self, endpoint",
    "before_request": "self, f",
    "after_request": "self, f",
    "teardown_request": "self, f",
    "context_processor": "self, f",
    "url_value_preprocessor": "self, f",
    "url_defaults": "self, f",
    "errorhandler": "self, code_or_exception",
    "register_error_handler": "self, code_or_exception, f",
    "register_blueprint": "self, blueprint, **options",
    "send_static_file": "self, filename",
    "get_send_file_max_age": "self, filename",
    "_get_exc_class_and_code": "exc_class_or_code",
    "_check_setup_finished": "self, f_name",
}

# Not listed on purpose: ``Tumbler.__call__`` is ``(a, b=None, c=None)`` because the one object is
# both a WSGI app (``app(environ, start_response)``) and an ASGI app (``await app(scope, receive,
# send)``); both forms are tested in test_wsgi.py and test_asgi.py.
SIGNATURES: dict[str, str] = {
    **{f"tumbler.Tumbler.{name}": spec for name, spec in _APP_AND_BLUEPRINT_METHODS.items()},
    **{f"tumbler.Blueprint.{name}": spec for name, spec in _APP_AND_BLUEPRINT_METHODS.items()},
    "tumbler.Tumbler.__init__": (
        "self, import_name, static_url_path=None, static_folder='static', static_host=None,"
        " host_matching=False, subdomain_matching=False, template_folder='templates',"
        " instance_path=None, instance_relative_config=False, root_path=None"
    ),
    "tumbler.Tumbler.teardown_appcontext": "self, f",
    "tumbler.Tumbler.shell_context_processor": "self, f",
    "tumbler.Tumbler.template_filter": "self, name=None",
    "tumbler.Tumbler.add_template_filter": "self, f, name=None",
    "tumbler.Tumbler.template_test": "self, name=None",
    "tumbler.Tumbler.add_template_test": "self, f, name=None",
    "tumbler.Tumbler.template_global": "self, name=None",
    "tumbler.Tumbler.add_template_global": "self, f, name=None",
    "tumbler.Tumbler.wsgi_app": "self, environ, start_response",
    "tumbler.Tumbler.request_context": "self, environ",
    "tumbler.Tumbler.test_request_context": "self, *args, **kwargs",
    "tumbler.Tumbler.app_context": "self",
    "tumbler.Tumbler.full_dispatch_request": "self",
    "tumbler.Tumbler.preprocess_request": "self",
    "tumbler.Tumbler.dispatch_request": "self",
    "tumbler.Tumbler.finalize_request": "self, rv, from_error_handler=False",
    "tumbler.Tumbler.process_response": "self, response",
    "tumbler.Tumbler.make_response": "self, rv",
    "tumbler.Tumbler.make_default_options_response": "self",
    "tumbler.Tumbler.do_teardown_request": "self, exc=...",
    "tumbler.Tumbler.do_teardown_appcontext": "self, exc=...",
    "tumbler.Tumbler.raise_routing_exception": "self, request",
    "tumbler.Tumbler.create_url_adapter": "self, request",
    "tumbler.Tumbler.handle_http_exception": "self, e",
    "tumbler.Tumbler.handle_user_exception": "self, e",
    "tumbler.Tumbler.handle_exception": "self, e",
    "tumbler.Tumbler.log_exception": "self, exc_info",
    "tumbler.Tumbler.trap_http_exception": "self, e",
    "tumbler.Tumbler.should_ignore_error": "self, error",
    "tumbler.Tumbler._find_error_handler": "self, e, blueprints",
    "tumbler.Tumbler.handle_url_build_error": "self, error, endpoint, values",
    "tumbler.Tumbler.url_for": (
        "self, /, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values"
    ),
    "tumbler.Tumbler.inject_url_defaults": "self, endpoint, values",
    "tumbler.Tumbler.redirect": "self, location, code=302",
    "tumbler.Tumbler.ensure_sync": "self, func",
    "tumbler.Tumbler.async_to_sync": "self, func",
    "tumbler.Tumbler.create_jinja_environment": "self",
    "tumbler.Tumbler.create_global_jinja_loader": "self",
    "tumbler.Tumbler.select_jinja_autoescape": "self, filename",
    "tumbler.Tumbler.update_template_context": "self, context",
    "tumbler.Tumbler.open_resource": "self, resource, mode='rb', encoding=None",
    "tumbler.Tumbler.open_instance_resource": "self, resource, mode='rb', encoding='utf-8'",
    "tumbler.Tumbler.run": ("self, host=None, port=None, debug=None, load_dotenv=True, **options"),
    "tumbler.Tumbler.test_client": "self, use_cookies=True, **kwargs",
    "tumbler.Tumbler.test_cli_runner": "self, **kwargs",
    "tumbler.Tumbler.make_config": "self, instance_relative=False",
    "tumbler.Tumbler.make_aborter": "self",
    "tumbler.Tumbler.auto_find_instance_path": "self",
    "tumbler.Tumbler.make_shell_context": "self",
    "tumbler.Tumbler.iter_blueprints": "self",
    "tumbler.Blueprint.__init__": (
        "self, name, import_name, static_folder=None, static_url_path=None,"
        " template_folder=None, url_prefix=None, subdomain=None, url_defaults=None,"
        " root_path=None, cli_group=..."
    ),
    # Flask 3.1's Blueprint.open_resource defaults to utf-8 while the app's defaults to None.
    "tumbler.Blueprint.open_resource": "self, resource, mode='rb', encoding=...",
    "tumbler.Blueprint.record": "self, func",
    "tumbler.Blueprint.record_once": "self, func",
    "tumbler.Blueprint.make_setup_state": "self, app, options, first_registration=False",
    "tumbler.Blueprint.register": "self, app, options",
    "tumbler.Blueprint.before_app_request": "self, f",
    "tumbler.Blueprint.after_app_request": "self, f",
    "tumbler.Blueprint.teardown_app_request": "self, f",
    "tumbler.Blueprint.app_context_processor": "self, f",
    "tumbler.Blueprint.app_errorhandler": "self, code",
    "tumbler.Blueprint.app_url_value_preprocessor": "self, f",
    "tumbler.Blueprint.app_url_defaults": "self, f",
    "tumbler.Blueprint.app_template_filter": "self, name=None",
    "tumbler.Blueprint.add_app_template_filter": "self, f, name=None",
    "tumbler.Blueprint.app_template_test": "self, name=None",
    "tumbler.Blueprint.add_app_template_test": "self, f, name=None",
    "tumbler.Blueprint.app_template_global": "self, name=None",
    "tumbler.Blueprint.add_app_template_global": "self, f, name=None",
    "tumbler.blueprints.BlueprintSetupState.__init__": (
        "self, blueprint, app, options, first_registration"
    ),
    "tumbler.blueprints.BlueprintSetupState.add_url_rule": (
        "self, rule, endpoint=None, view_func=None, **options"
    ),
    # Config (the environment prefix is TUMBLER, as FLASK_ becomes TUMBLER_).
    "tumbler.Config.__init__": "self, root_path, defaults=None",
    "tumbler.Config.from_envvar": "self, variable_name, silent=False",
    "tumbler.Config.from_prefixed_env": "self, prefix='TUMBLER', *, loads=...",
    "tumbler.Config.from_pyfile": "self, filename, silent=False",
    "tumbler.Config.from_object": "self, obj",
    "tumbler.Config.from_file": "self, filename, load, silent=False, text=True",
    "tumbler.Config.from_mapping": "self, mapping=None, **kwargs",
    "tumbler.Config.get_namespace": "self, namespace, lowercase=True, trim_namespace=True",
    # Helpers, templating, contexts, JSON.
    "tumbler.url_for": (
        "endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values"
    ),
    "tumbler.redirect": "location, code=302, Response=None",
    "tumbler.abort": "code, *args, **kwargs",
    "tumbler.make_response": "*args",
    "tumbler.flash": "message, category='message'",
    "tumbler.get_flashed_messages": "with_categories=False, category_filter=()",
    "tumbler.send_file": (
        "path_or_file, mimetype=None, as_attachment=False, download_name=None,"
        " conditional=True, etag=True, last_modified=None, max_age=None"
    ),
    "tumbler.send_from_directory": "directory, path, **kwargs",
    "tumbler.stream_with_context": "generator_or_function",
    "tumbler.get_template_attribute": "template_name, attribute",
    "tumbler.render_template": "template_name_or_list, **context",
    "tumbler.render_template_string": "source, **context",
    "tumbler.stream_template": "template_name_or_list, **context",
    "tumbler.stream_template_string": "source, **context",
    "tumbler.after_this_request": "f",
    "tumbler.copy_current_request_context": "f",
    "tumbler.has_request_context": "",
    "tumbler.has_app_context": "",
    "tumbler.jsonify": "*args, **kwargs",
    "tumbler.json.dumps": "obj, **kwargs",
    "tumbler.json.dump": "obj, fp, **kwargs",
    "tumbler.json.loads": "s, **kwargs",
    "tumbler.json.load": "fp, **kwargs",
    "tumbler.helpers.get_root_path": "import_name",
    "tumbler.helpers.get_debug_flag": "",
    "tumbler.helpers.get_load_dotenv": "default=True",
    "tumbler.ctx.AppContext.__init__": "self, app",
    "tumbler.ctx.AppContext.push": "self",
    "tumbler.ctx.AppContext.pop": "self, exc=...",
    "tumbler.ctx.RequestContext.__init__": "self, app, environ, request=None, session=None",
    "tumbler.ctx.RequestContext.copy": "self",
    "tumbler.ctx.RequestContext.match_request": "self",
    "tumbler.ctx.RequestContext.push": "self",
    "tumbler.ctx.RequestContext.pop": "self, exc=...",
    "tumbler.ctx._AppCtxGlobals.get": "self, name, default=None",
    "tumbler.ctx._AppCtxGlobals.pop": "self, name, default=...",
    "tumbler.ctx._AppCtxGlobals.setdefault": "self, name, default=None",
    "tumbler.json.provider.JSONProvider.__init__": "self, app",
    "tumbler.json.provider.JSONProvider.dumps": "self, obj, **kwargs",
    "tumbler.json.provider.JSONProvider.dump": "self, obj, fp, **kwargs",
    "tumbler.json.provider.JSONProvider.loads": "self, s, **kwargs",
    "tumbler.json.provider.JSONProvider.load": "self, fp, **kwargs",
    "tumbler.json.provider.JSONProvider.response": "self, *args, **kwargs",
    "tumbler.json.tag.TaggedJSONSerializer.register": "self, tag_class, force=False, index=None",
    "tumbler.json.tag.TaggedJSONSerializer.tag": "self, value",
    "tumbler.json.tag.TaggedJSONSerializer.untag": "self, value",
    "tumbler.json.tag.TaggedJSONSerializer.dumps": "self, value",
    "tumbler.json.tag.TaggedJSONSerializer.loads": "self, value",
    # Sessions.
    "tumbler.sessions.SessionInterface.make_null_session": "self, app",
    "tumbler.sessions.SessionInterface.is_null_session": "self, obj",
    "tumbler.sessions.SessionInterface.get_cookie_name": "self, app",
    "tumbler.sessions.SessionInterface.get_cookie_domain": "self, app",
    "tumbler.sessions.SessionInterface.get_cookie_path": "self, app",
    "tumbler.sessions.SessionInterface.get_cookie_httponly": "self, app",
    "tumbler.sessions.SessionInterface.get_cookie_secure": "self, app",
    "tumbler.sessions.SessionInterface.get_cookie_samesite": "self, app",
    "tumbler.sessions.SessionInterface.get_cookie_partitioned": "self, app",
    "tumbler.sessions.SessionInterface.get_expiration_time": "self, app, session",
    "tumbler.sessions.SessionInterface.should_set_cookie": "self, app, session",
    "tumbler.sessions.SessionInterface.open_session": "self, app, request",
    "tumbler.sessions.SessionInterface.save_session": "self, app, session, response",
    "tumbler.sessions.SecureCookieSessionInterface.get_signing_serializer": "self, app",
    # Views.
    "tumbler.views.View.as_view": "name, *class_args, **class_kwargs",
    # Testing.
    "tumbler.testing.TumblerClient.__init__": (
        "self, application, response_wrapper=None, use_cookies=True,"
        " allow_subdomain_redirects=False"
    ),
    "tumbler.testing.TumblerClient.open": (
        "self, *args, buffered=False, follow_redirects=False, **kwargs"
    ),
    "tumbler.testing.TumblerClient.session_transaction": "self, *args, **kwargs",
    "tumbler.testing.TumblerClient.get_cookie": "self, key, domain='localhost', path='/'",
    "tumbler.testing.TumblerClient.set_cookie": (
        "self, key, value='', *, domain='localhost', origin_only=True, path='/', **kwargs"
    ),
    "tumbler.testing.TumblerClient.delete_cookie": ("self, key, *, domain='localhost', path='/'"),
    **{
        f"tumbler.testing.TumblerClient.{method}": "self, *args, **kw"
        for method in ("get", "post", "put", "delete", "patch", "options", "head", "trace")
    },
    # Flask's EnvironBuilder passes *args/**kwargs on to werkzeug's, in werkzeug's order.
    "tumbler.testing.EnvironBuilder.__init__": (
        "self, app, path='/', base_url=None, subdomain=None, url_scheme=None,"
        " query_string=None, method='GET', input_stream=None, content_type=None,"
        " content_length=None, errors_stream=None, multithread=False, multiprocess=False,"
        " run_once=False, headers=None, data=None, environ_base=None, environ_overrides=None,"
        " mimetype=None, json=None, auth=None"
    ),
    "tumbler.testing.TumblerCliRunner.__init__": "self, app, **kwargs",
    "tumbler.testing.TumblerCliRunner.invoke": "self, cli=None, args=None, **kwargs",
    # CLI.
    "tumbler.cli.load_dotenv": "path=None, load_defaults=True",
    "tumbler.cli.TumblerGroup.__init__": (
        "self, add_default_commands=True, create_app=None, add_version_option=True,"
        " load_dotenv=True, set_debug_flag=True, **extra"
    ),
    "tumbler.cli.ScriptInfo.__init__": (
        "self, app_import_path=None, create_app=None, set_debug_flag=True,"
        " load_dotenv_defaults=True"
    ),
    "tumbler.cli.ScriptInfo.load_app": "self",
    "tumbler.cli.find_best_app": "module",
    "tumbler.cli.locate_app": "module_name, app_name, raise_if_not_found=True",
    "tumbler.cli.prepare_import": "path",
    "tumbler.cli.with_appcontext": "f",
    "tumbler.cli.get_version": "ctx, param, value",
    "tumbler.logging.create_logger": "app",
    "tumbler.logging.has_level_handler": "logger",
    "tumbler.debughelpers.explain_template_loading_attempts": "app, template, attempts",
    # Request and Response (Flask's, with the werkzeug members apps call).
    "tumbler.Request.get_data": "self, cache=True, as_text=False, parse_form_data=False",
    "tumbler.Request.get_json": "self, force=False, silent=False, cache=True",
    "tumbler.Request.on_json_loading_failed": "self, e",
    "tumbler.Request.close": "self",
    "tumbler.Request.make_form_data_parser": "self",
    "tumbler.Request.from_values": "*args, **kwargs",
    "tumbler.Request.application": "f",
    "tumbler.Response.__init__": (
        "self, response=None, status=None, headers=None, mimetype=None, content_type=None,"
        " direct_passthrough=False"
    ),
    "tumbler.Response.set_cookie": (
        "self, key, value='', max_age=None, expires=None, path='/', domain=None, secure=False,"
        " httponly=False, samesite=None, partitioned=False"
    ),
    "tumbler.Response.delete_cookie": (
        "self, key, path='/', domain=None, secure=False, httponly=False, samesite=None,"
        " partitioned=False"
    ),
    "tumbler.Response.get_data": "self, as_text=False",
    "tumbler.Response.set_data": "self, value",
    "tumbler.Response.get_json": "self, force=False, silent=False",
    "tumbler.Response.set_etag": "self, etag, weak=False",
    "tumbler.Response.get_etag": "self",
    "tumbler.Response.add_etag": "self, overwrite=False, weak=False",
    "tumbler.Response.make_conditional": (
        "self, request_or_environ, accept_ranges=False, complete_length=None"
    ),
    "tumbler.Response.force_type": "response, environ=None",
    "tumbler.Response.from_app": "app, environ, buffered=False",
    "tumbler.Response.call_on_close": "self, func",
    "tumbler.Response.close": "self",
    "tumbler.Response.iter_encoded": "self",
    "tumbler.Response.freeze": "self",
    "tumbler.Response.calculate_content_length": "self",
    "tumbler.Response.make_sequence": "self",
    "tumbler.Response.get_wsgi_headers": "self, environ",
    "tumbler.Response.get_app_iter": "self, environ",
    "tumbler.Response.get_wsgi_response": "self, environ",
    "tumbler.Response.__call__": "self, environ, start_response",
    # werkzeug.X -> tumbler.X.
    "tumbler.exceptions.abort": "status, *args, **kwargs",
    "tumbler.exceptions.Aborter.__init__": "self, mapping=None, extra=None",
    "tumbler.routing.Map.iter_rules": "self, endpoint=None",
    "tumbler.routing.Map.is_endpoint_expecting": "self, endpoint, *arguments",
    "tumbler.routing.Map.add": "self, rulefactory",
    "tumbler.routing.Map.bind": (
        "self, server_name, script_name=None, subdomain=None, url_scheme='http',"
        " default_method='GET', path_info=None, query_args=None"
    ),
    "tumbler.routing.Rule.__init__": (
        "self, string, defaults=None, subdomain=None, methods=None, build_only=False,"
        " endpoint=None, strict_slashes=None, merge_slashes=None, redirect_to=None,"
        " alias=False, host=None, websocket=False"
    ),
    "tumbler.routing.BaseConverter.__init__": "self, map, *args, **kwargs",
    "tumbler.routing.BaseConverter.to_python": "self, value",
    "tumbler.routing.BaseConverter.to_url": "self, value",
    "tumbler.datastructures.MultiDict.get": "self, key, default=None, type=None",
    "tumbler.datastructures.MultiDict.getlist": "self, key, type=None",
    "tumbler.datastructures.Headers.get": "self, key, default=None, type=None",
    "tumbler.datastructures.Headers.getlist": "self, key, type=None",
    "tumbler.datastructures.Headers.add": "self, key, value, /, **kwargs",
    "tumbler.datastructures.Headers.set": "self, key, value, /, **kwargs",
    "tumbler.datastructures.FileStorage.save": "self, dst, buffer_size=16384",
    "tumbler.datastructures.CallbackDict.__init__": "self, initial=None, on_update=None",
    "tumbler.utils.secure_filename": "filename",
    "tumbler.security.generate_password_hash": "password, method='scrypt', salt_length=16",
    "tumbler.security.check_password_hash": "pwhash, password",
    "tumbler.security.safe_join": "directory, *pathnames",
    "tumbler.http.http_date": "timestamp=None",
    "tumbler.http.parse_date": "value",
    "tumbler.http.parse_set_header": "value, on_update=None",
    "tumbler.http.parse_cache_control_header": "value, on_update=None, cls=None",
    "tumbler.proxy_fix.ProxyFix.__init__": (
        "self, app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0"
    ),
}

#: Defaults Tumbler changes on purpose: (qualified name, parameter) -> (Tumbler's default, why).
DELIBERATE_DEFAULT_DIFFERENCES: dict[tuple[str, str], tuple[t.Any, str]] = {
    ("tumbler.Response.set_cookie", "httponly"): (
        True,
        "cookies are hidden from scripts unless asked (stops cookie theft through XSS)",
    ),
    ("tumbler.Response.set_cookie", "samesite"): (
        "Lax",
        "browsers do not send the cookie on cross-site posts (CSRF)",
    ),
    ("tumbler.Response.set_cookie", "secure"): (
        None,
        "None means Secure on HTTPS requests or with SESSION_COOKIE_SECURE; False still works",
    ),
    ("tumbler.Response.delete_cookie", "httponly"): (True, "matches set_cookie's default"),
    ("tumbler.Response.delete_cookie", "samesite"): ("Lax", "matches set_cookie's default"),
    ("tumbler.Response.delete_cookie", "secure"): (None, "matches set_cookie's default"),
}

_MISSING = object()


def _resolve(qualname: str) -> t.Any:
    parts = qualname.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: t.Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(qualname)


def _expected_parameters(spec: str) -> list[inspect.Parameter]:
    node = ast.parse(f"def f({spec}): pass").body[0]
    assert isinstance(node, ast.FunctionDef)
    args = node.args
    params: list[inspect.Parameter] = []
    positional = [(a, inspect.Parameter.POSITIONAL_ONLY) for a in args.posonlyargs] + [
        (a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args.args
    ]
    defaults: list[t.Any] = [_MISSING] * (len(positional) - len(args.defaults)) + [
        ast.literal_eval(d) for d in args.defaults
    ]
    for (arg, kind), default in zip(positional, defaults, strict=True):
        params.append(
            inspect.Parameter(
                arg.arg, kind, default=inspect.Parameter.empty if default is _MISSING else default
            )
        )
    if args.vararg:
        params.append(inspect.Parameter(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        default = inspect.Parameter.empty if kw_default is None else ast.literal_eval(kw_default)
        params.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY, default=default))
    if args.kwarg:
        params.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return params


def _incompatibilities(qualname: str, actual: inspect.Signature, spec: str) -> list[str]:
    """Ways a call written for Flask's signature ``spec`` would fail or change meaning."""
    expected = _expected_parameters(spec)
    problems: list[str] = []
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    act_pos = [p for p in actual.parameters.values() if p.kind in positional_kinds]
    exp_pos = [p for p in expected if p.kind in positional_kinds]
    by_name = actual.parameters
    kinds = {p.kind for p in by_name.values()}
    for index, exp in enumerate(exp_pos):
        if index >= len(act_pos):
            problems.append(f"missing positional parameter {exp.name!r}")
            continue
        act = act_pos[index]
        if exp.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and (
            act.name != exp.name or act.kind is not exp.kind
        ):
            problems.append(f"parameter {index} is {act.name!r}, Flask's is {exp.name!r}")
    for act in act_pos[len(exp_pos) :]:
        if act.default is inspect.Parameter.empty:
            problems.append(f"extra required parameter {act.name!r}")
    for exp in expected:
        if exp.kind is inspect.Parameter.VAR_POSITIONAL:
            if inspect.Parameter.VAR_POSITIONAL not in kinds:
                problems.append(f"no *{exp.name}")
        elif exp.kind is inspect.Parameter.VAR_KEYWORD:
            if inspect.Parameter.VAR_KEYWORD not in kinds:
                problems.append(f"no **{exp.name}")
        elif exp.kind is inspect.Parameter.KEYWORD_ONLY:
            act_kw = by_name.get(exp.name)
            if act_kw is None or act_kw.kind not in (
                inspect.Parameter.KEYWORD_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            ):
                problems.append(f"no keyword parameter {exp.name!r}")
    for act in by_name.values():
        if (
            act.kind is inspect.Parameter.KEYWORD_ONLY
            and act.default is inspect.Parameter.empty
            and not any(e.name == act.name for e in expected)
        ):
            problems.append(f"extra required keyword parameter {act.name!r}")
    for exp in expected:
        if exp.default is inspect.Parameter.empty or exp.kind is inspect.Parameter.POSITIONAL_ONLY:
            continue
        act_param = by_name.get(exp.name)
        if act_param is None:
            continue
        if act_param.default is inspect.Parameter.empty:
            problems.append(f"{exp.name!r} has no default, Flask's is {exp.default!r}")
            continue
        if exp.default is Ellipsis:
            continue
        wanted = exp.default
        deliberate = DELIBERATE_DEFAULT_DIFFERENCES.get((qualname, exp.name))
        if deliberate is not None:
            wanted = deliberate[0]
        if act_param.default != wanted:
            problems.append(f"{exp.name!r} defaults to {act_param.default!r}, expected {wanted!r}")
    return problems


@pytest.mark.parametrize(("qualname", "spec"), sorted(SIGNATURES.items()), ids=sorted(SIGNATURES))
def test_signature_is_compatible_with_flask(qualname: str, spec: str) -> None:
    obj = _resolve(qualname)
    assert _incompatibilities(qualname, inspect.signature(obj), spec) == []


def test_signature_checker_reports_renamed_missing_and_changed_parameters() -> None:
    def renamed(self: t.Any, path: str, **options: t.Any) -> None: ...

    def no_kwargs(self: t.Any, rule: str) -> None: ...

    def other_default(self: t.Any, location: str, code: int = 303) -> None: ...

    def extra_required(self: t.Any, rule: str, extra: str) -> None: ...

    spec = "self, rule, **options"
    assert _incompatibilities("x", inspect.signature(renamed), spec)
    assert _incompatibilities("x", inspect.signature(no_kwargs), spec)
    assert _incompatibilities("x", inspect.signature(extra_required), "self, rule")
    assert _incompatibilities("x", inspect.signature(other_default), "self, location, code=302")


def test_deliberate_default_differences_are_still_different() -> None:
    # An entry that matches Flask again is stale and must be removed from the list.
    for (qualname, param), (value, _reason) in DELIBERATE_DEFAULT_DIFFERENCES.items():
        flask_default = _expected_parameters(SIGNATURES[qualname])
        flask_value = next(p.default for p in flask_default if p.name == param)
        assert value != flask_value
        assert inspect.signature(_resolve(qualname)).parameters[param].default == value


# --- the app object -----------------------------------------------------------------------------

TUMBLER_CLASS_ATTRIBUTES = [
    "default_config",
    "request_class",
    "response_class",
    "session_interface",
    "aborter_class",
    "jinja_environment",
    "app_ctx_globals_class",
    "config_class",
    "json_provider_class",
    "jinja_options",
    "url_rule_class",
    "url_map_class",
    "test_client_class",
    "test_cli_runner_class",
    "testing",
    "secret_key",
    "permanent_session_lifetime",
    "debug",
]

TUMBLER_INSTANCE_ATTRIBUTES = [
    "import_name",
    "root_path",
    "instance_path",
    "config",
    "aborter",
    "json",
    "url_map",
    "view_functions",
    "error_handler_spec",
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "teardown_appcontext_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
    "url_build_error_handlers",
    "shell_context_processors",
    "blueprints",
    "extensions",
    "cli",
    "subdomain_matching",
    "static_folder",
    "static_url_path",
    "has_static_folder",
    "template_folder",
    "name",
    "logger",
    "jinja_env",
    "jinja_loader",
]

BLUEPRINT_ATTRIBUTES = [
    "name",
    "import_name",
    "root_path",
    "url_prefix",
    "subdomain",
    "url_values_defaults",
    "deferred_functions",
    "cli_group",
    "cli",
    "static_folder",
    "static_url_path",
    "has_static_folder",
    "template_folder",
    "jinja_loader",
    "view_functions",
    "error_handler_spec",
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
]

SETUP_STATE_ATTRIBUTES = [
    "app",
    "blueprint",
    "options",
    "first_registration",
    "subdomain",
    "url_prefix",
    "name",
    "name_prefix",
    "url_defaults",
]


@pytest.mark.parametrize("name", TUMBLER_CLASS_ATTRIBUTES)
def test_tumbler_has_flask_class_attribute(name: str) -> None:
    assert hasattr(Tumbler, name)


@pytest.mark.parametrize("name", TUMBLER_INSTANCE_ATTRIBUTES)
def test_tumbler_instance_has_flask_attribute(name: str) -> None:
    assert hasattr(Tumbler("surface_app"), name)


@pytest.mark.parametrize("name", BLUEPRINT_ATTRIBUTES)
def test_blueprint_has_flask_attribute(name: str) -> None:
    assert hasattr(Blueprint("bp", __name__), name)


@pytest.mark.parametrize("name", SETUP_STATE_ATTRIBUTES)
def test_blueprint_setup_state_has_flask_attribute(name: str) -> None:
    state = Blueprint("bp", __name__).make_setup_state(Tumbler("surface_app"), {}, True)
    assert hasattr(state, name)


def test_tumbler_class_attributes_have_flask_defaults() -> None:
    from tumbler.ctx import _AppCtxGlobals
    from tumbler.exceptions import Aborter
    from tumbler.json.provider import DefaultJSONProvider
    from tumbler.routing import Map
    from tumbler.routing import Rule
    from tumbler.sessions import SecureCookieSessionInterface
    from tumbler.templating import Environment

    assert Tumbler.request_class is Request
    assert Tumbler.response_class is Response
    assert isinstance(Tumbler.session_interface, SecureCookieSessionInterface)
    assert Tumbler.aborter_class is Aborter
    assert Tumbler.jinja_environment is Environment
    assert Tumbler.app_ctx_globals_class is _AppCtxGlobals
    assert Tumbler.config_class is tumbler.Config
    assert Tumbler.json_provider_class is DefaultJSONProvider
    assert Tumbler.jinja_options == {}
    assert Tumbler.url_rule_class is Rule
    assert Tumbler.url_map_class is Map
    assert Tumbler.test_client_class is None
    assert Tumbler.test_cli_runner_class is None


def test_should_ignore_error_is_false_by_default() -> None:
    app = Tumbler("surface_app")
    assert app.should_ignore_error(None) is False
    assert app.should_ignore_error(ValueError()) is False


# --- Request and Response -----------------------------------------------------------------------

REQUEST_ATTRIBUTES = [
    "url_rule",
    "view_args",
    "routing_exception",
    "endpoint",
    "blueprint",
    "blueprints",
    "max_content_length",
    "max_form_memory_size",
    "max_form_parts",
    "json_module",
    "on_json_loading_failed",
    "method",
    "scheme",
    "server",
    "root_path",
    "path",
    "full_path",
    "query_string",
    "url",
    "base_url",
    "url_root",
    "host_url",
    "root_url",
    "script_root",
    "host",
    "is_secure",
    "trusted_hosts",
    "headers",
    "remote_addr",
    "access_route",
    "remote_user",
    "environ",
    "shallow",
    "args",
    "form",
    "files",
    "values",
    "data",
    "get_data",
    "stream",
    "input_stream",
    "json",
    "get_json",
    "is_json",
    "cookies",
    "mimetype",
    "mimetype_params",
    "content_type",
    "content_length",
    "content_encoding",
    "referrer",
    "date",
    "max_forwards",
    "pragma",
    "accept_mimetypes",
    "accept_charsets",
    "accept_encodings",
    "accept_languages",
    "cache_control",
    "if_match",
    "if_none_match",
    "if_modified_since",
    "if_unmodified_since",
    "if_range",
    "range",
    "user_agent",
    "authorization",
    "origin",
    "access_control_request_headers",
    "access_control_request_method",
    "is_multithread",
    "is_multiprocess",
    "is_run_once",
    "from_values",
    "application",
    "close",
    "__enter__",
    "__exit__",
    "parameter_storage_class",
    "dict_storage_class",
    "list_storage_class",
    "form_data_parser_class",
    "make_form_data_parser",
]

RESPONSE_ATTRIBUTES = [
    "default_mimetype",
    "json_module",
    "autocorrect_location_header",
    "max_cookie_size",
    "status_code",
    "status",
    "default_status",
    "data",
    "get_data",
    "set_data",
    "response",
    "is_streamed",
    "is_sequence",
    "iter_encoded",
    "calculate_content_length",
    "make_sequence",
    "freeze",
    "implicit_sequence_conversion",
    "automatically_set_content_length",
    "direct_passthrough",
    "stream",
    "headers",
    "mimetype",
    "mimetype_params",
    "content_type",
    "content_length",
    "location",
    "vary",
    "allow",
    "cache_control",
    "expires",
    "last_modified",
    "date",
    "age",
    "retry_after",
    "content_language",
    "content_encoding",
    "content_location",
    "content_range",
    "accept_ranges",
    "www_authenticate",
    "content_security_policy",
    "content_security_policy_report_only",
    "access_control_allow_credentials",
    "access_control_allow_headers",
    "access_control_allow_methods",
    "access_control_allow_origin",
    "access_control_expose_headers",
    "access_control_max_age",
    "cross_origin_opener_policy",
    "cross_origin_embedder_policy",
    "set_etag",
    "get_etag",
    "add_etag",
    "make_conditional",
    "set_cookie",
    "delete_cookie",
    "json",
    "get_json",
    "is_json",
    "force_type",
    "from_app",
    "call_on_close",
    "close",
    "get_wsgi_headers",
    "get_app_iter",
    "get_wsgi_response",
]


@pytest.mark.parametrize("name", REQUEST_ATTRIBUTES)
def test_request_has_flask_and_werkzeug_attribute(name: str) -> None:
    app = Tumbler("surface_app")
    with app.test_request_context("/"):
        # dir(), not hasattr(): some properties raise on purpose (``json`` on a non-JSON body).
        assert name in dir(tumbler.request._get_current_object())


@pytest.mark.parametrize("name", RESPONSE_ATTRIBUTES)
def test_response_has_flask_and_werkzeug_attribute(name: str) -> None:
    assert hasattr(Response("body"), name)


def test_response_is_a_wsgi_application() -> None:
    assert callable(Response("body"))


def test_response_class_defaults_are_flasks() -> None:
    assert Response.default_mimetype == "text/html"
    assert Response.autocorrect_location_header is False
    assert Response.default_status == 200


def test_response_max_cookie_size_follows_config() -> None:
    app = Tumbler("surface_app")
    app.config["MAX_COOKIE_SIZE"] = 100
    with app.app_context():
        assert Response().max_cookie_size == 100
    assert Response().max_cookie_size == 4093


# --- configuration ------------------------------------------------------------------------------

#: Flask 3.1's ``default_config`` (29 keys).
FLASK_DEFAULT_CONFIG: dict[str, t.Any] = {
    "DEBUG": None,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}

#: Keys whose default Tumbler changes on purpose: key -> (Tumbler's default, why).
DELIBERATE_CONFIG_DIFFERENCES: dict[str, tuple[t.Any, str]] = {
    "SESSION_COOKIE_SAMESITE": (
        "Lax",
        "browsers do not send the session cookie with cross-site form posts (CSRF);"
        " set None for Flask's behaviour",
    ),
    "MAX_CONTENT_LENGTH": (
        16 * 1024 * 1024,
        "an unbounded request body is a denial-of-service risk; bodies over 16 MiB get 413;"
        " set None for Flask's behaviour",
    ),
}


def test_flask_default_config_has_29_keys() -> None:
    assert len(FLASK_DEFAULT_CONFIG) == 29


@pytest.mark.parametrize("key", sorted(FLASK_DEFAULT_CONFIG))
def test_default_config_has_flask_key_and_default(key: str) -> None:
    expected = FLASK_DEFAULT_CONFIG[key]
    if key in DELIBERATE_CONFIG_DIFFERENCES:
        expected = DELIBERATE_CONFIG_DIFFERENCES[key][0]
        assert expected != FLASK_DEFAULT_CONFIG[key]
    assert key in Tumbler.default_config
    assert Tumbler.default_config[key] == expected


def test_default_config_is_immutable() -> None:
    with pytest.raises(TypeError):
        Tumbler.default_config["DEBUG"] = True  # type: ignore[index]


def test_app_config_starts_from_default_config_with_debug_from_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TUMBLER_DEBUG", raising=False)
    config = Tumbler("surface_app").config
    for key, value in Tumbler.default_config.items():
        assert config[key] == (False if key == "DEBUG" else value)


def test_permanent_session_lifetime_converts_seconds_to_timedelta() -> None:
    app = Tumbler("surface_app")
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime == timedelta(seconds=60)


# --- behaviour a reimplementation must match (reference 3.6) -----------------------------------


def test_dispatch_and_teardown_order_with_signals_matches_flask(protocol: str) -> None:
    from tumbler import after_this_request
    from tumbler import session
    from tumbler import signals

    app = Tumbler("surface_app")
    app.config.update(TESTING=True, SECRET_KEY="k")
    events: list[str] = []

    @app.url_value_preprocessor
    def uvp(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        events.append("url_value_preprocessor")

    @app.before_request
    def before() -> None:
        events.append("before_request")

    @app.route("/")
    def index() -> str:
        events.append("view")
        session["seen"] = True

        @after_this_request
        def later(response: Response) -> Response:
            events.append("after_this_request")
            return response

        return "ok"

    @app.after_request
    def after(response: Response) -> Response:
        events.append("after_request")
        return response

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        events.append("teardown_request")

    @app.teardown_appcontext
    def teardown_appcontext(exc: BaseException | None) -> None:
        events.append("teardown_appcontext")

    def recorder(name: str) -> t.Callable[..., None]:
        def receive(sender: t.Any, **kwargs: t.Any) -> None:
            if name == "request_finished":
                # The session is saved before request_finished is sent.
                assert "Set-Cookie" in kwargs["response"].headers
            events.append(name)

        return receive

    names = [
        "request_started",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    receivers = {name: recorder(name) for name in names}
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver, app)
    try:
        rv = app.test_client(asgi=protocol == "asgi").get("/")
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver, app)
    assert rv.data == b"ok"
    assert events == [
        "request_started",
        "url_value_preprocessor",
        "before_request",
        "view",
        "after_this_request",
        "after_request",
        "request_finished",
        "teardown_request",
        "request_tearing_down",
        "teardown_appcontext",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


def test_http_exception_handler_does_not_catch_routing_redirects(
    app: Tumbler, client: t.Any
) -> None:
    from tumbler.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def handle(e: HTTPException) -> tuple[str, int]:
        return "handled", 500

    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    rv = client.get("/folder")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/folder/")
    assert client.get("/missing").data == b"handled"


def test_propagate_exceptions_false_answers_500_even_when_testing(
    app: Tumbler, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.logger, "disabled", True)

    @app.route("/")
    def boom() -> str:
        raise RuntimeError("boom")

    assert client.get("/").status_code == 500


def test_propagate_exceptions_true_raises_even_without_testing(protocol: str) -> None:
    app = Tumbler("surface_app")
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.route("/")
    def boom() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        app.test_client(asgi=protocol == "asgi").get("/")


def test_view_returning_a_wsgi_callable_is_run_as_the_response(app: Tumbler, client: t.Any) -> None:
    def wsgi_hello(
        environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> list[bytes]:
        start_response("201 CREATED", [("Content-Type", "text/plain"), ("X-App", "wsgi")])
        return [b"from ", environ["PATH_INFO"].encode()]

    @app.route("/wsgi")
    def view() -> t.Any:
        return wsgi_hello

    rv = client.get("/wsgi")
    assert rv.status_code == 201
    assert rv.headers["X-App"] == "wsgi"
    assert rv.data == b"from /wsgi"


def test_url_for_outside_a_request_is_external_and_inside_is_relative() -> None:
    app = Tumbler("surface_app")
    app.config.update(SERVER_NAME="example.com", PREFERRED_URL_SCHEME="https")

    @app.route("/item/<int:id>")
    def item(id: int) -> str:
        return str(id)

    with app.app_context():
        assert tumbler.url_for("item", id=3, page=2) == "https://example.com/item/3?page=2"
    with app.test_request_context("/", base_url="https://example.com"):
        assert tumbler.url_for("item", id=3) == "/item/3"


def test_should_ignore_error_hides_the_exception_from_teardown(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class QuietApp(Tumbler):
        def should_ignore_error(self, error: BaseException | None) -> bool:
            return isinstance(error, KeyError)

    app = QuietApp("surface_app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.logger, "disabled", True)
    seen: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/key")
    def key() -> str:
        raise KeyError("x")

    @app.route("/value")
    def value() -> str:
        raise ValueError("x")

    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/key").status_code == 500
    assert client.get("/value").status_code == 500
    assert seen[0] is None
    assert isinstance(seen[1], ValueError)


# --- members a ported app calls: behaviour ------------------------------------------------------


def _call_wsgi(
    app: t.Callable[..., t.Any], environ: dict[str, t.Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[t.Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        started.extend([status, headers])

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return started[0], started[1], data


def test_response_called_as_wsgi_app_sends_status_headers_and_body() -> None:
    from tumbler.test import create_environ

    closed: list[bool] = []
    response = Response("hello", status=201, headers={"X-Test": "1"})
    response.call_on_close(lambda: closed.append(True))
    status, headers, body = _call_wsgi(response, create_environ("/"))
    assert status == "201 CREATED"
    assert ("X-Test", "1") in headers
    assert ("Content-Length", "5") in headers
    assert body == b"hello"
    assert closed == [True]


def test_response_as_wsgi_app_sends_no_body_for_head() -> None:
    from tumbler.test import create_environ

    status, _headers, body = _call_wsgi(Response("hello"), create_environ("/", method="HEAD"))
    assert status == "200 OK"
    assert body == b""


def test_get_wsgi_headers_fixes_framing_on_a_copy() -> None:
    from tumbler.test import create_environ

    response = Response(status=204, headers={"Content-Length": "0"})
    headers = response.get_wsgi_headers(create_environ("/"))
    assert "Content-Length" not in headers
    assert response.headers["Content-Length"] == "0"


def test_get_wsgi_response_returns_iterable_status_and_header_list() -> None:
    from tumbler.test import create_environ

    app_iter, status, headers = Response(["a", "b"]).get_wsgi_response(create_environ("/"))
    assert status == "200 OK"
    assert ("Content-Length", "2") in headers
    assert b"".join(app_iter) == b"ab"


def test_response_stream_write_appends_to_the_body() -> None:
    response = Response("a")
    assert response.stream.write(b"b") == 1
    response.stream.writelines(["c", b"d"])
    assert response.stream.tell() == 4
    assert response.get_data() == b"abcd"
    assert "Content-Length" not in response.headers


def test_response_stream_refuses_writes_after_close() -> None:
    response = Response()
    response.stream.close()
    with pytest.raises(ValueError, match="closed"):
        response.stream.write(b"x")


def test_request_application_turns_a_function_into_a_wsgi_app() -> None:
    from tumbler.exceptions import NotFound
    from tumbler.test import create_environ

    @Request.application
    def app(request: Request) -> Response:
        if request.args.get("missing"):
            raise NotFound()
        return Response(f"hello {request.args['name']}")

    status, _headers, body = _call_wsgi(app, create_environ("/?name=ann"))
    assert (status, body) == ("200 OK", b"hello ann")
    status, _headers, _body = _call_wsgi(app, create_environ("/?missing=1"))
    assert status == "404 NOT FOUND"


def test_request_from_values_builds_a_request_like_werkzeug() -> None:
    request = Request.from_values(
        "/search", "http://example.com/", query_string={"q": "x"}, method="POST", data={"a": "b"}
    )
    assert request.url == "http://example.com/search?q=x"
    assert request.method == "POST"
    assert request.form["a"] == "b"


def test_shallow_request_refuses_to_read_the_body() -> None:
    request = Request.from_values("/", method="POST", data={"a": "b"})
    request.shallow = True
    with pytest.raises(RuntimeError, match="shallow"):
        request.get_data()
    assert request.args == {}


def test_werkzeug_environ_builder_takes_path_then_base_url_then_query_string() -> None:
    from tumbler.test import EnvironBuilder

    builder = EnvironBuilder("/p", "https://example.com/app/", {"a": "1"}, "PUT")
    environ = builder.get_environ()
    assert environ["PATH_INFO"] == "/p"
    assert environ["SCRIPT_NAME"] == "/app"
    assert environ["QUERY_STRING"] == "a=1"
    assert environ["REQUEST_METHOD"] == "PUT"
    assert environ["wsgi.url_scheme"] == "https"


def test_werkzeug_test_client_drives_a_plain_wsgi_app() -> None:
    from tumbler.test import Client

    def app(environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    assert Client(app).get("/hello").data == b"/hello"


def test_middleware_proxy_fix_applies_forwarded_headers() -> None:
    from tumbler.middleware.proxy_fix import ProxyFix

    app = Tumbler("surface_app")

    @app.route("/")
    def index() -> str:
        return f"{tumbler.request.remote_addr} {tumbler.request.scheme}"

    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    rv = app.test_client().get(
        "/", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert rv.text == "203.0.113.7 https"


def test_debug_mode_explains_a_file_sent_without_multipart_enctype(protocol: str) -> None:
    from tumbler.debughelpers import DebugFilesKeyError

    app = Tumbler("surface_app")
    app.debug = True
    app.config.update(PROPAGATE_EXCEPTIONS=True, CSRF_ENABLED=False)

    @app.post("/upload")
    def upload() -> str:
        return tumbler.request.files["doc"].filename or ""

    client = app.test_client(asgi=protocol == "asgi")
    with pytest.raises(DebugFilesKeyError, match="multipart/form-data") as info:
        client.post("/upload", data={"doc": "report.pdf"})
    assert "'report.pdf'" in str(info.value)
    assert isinstance(info.value, KeyError)


def test_missing_file_without_debug_is_a_400(app: Tumbler, client: t.Any) -> None:
    app.config["CSRF_ENABLED"] = False

    @app.post("/upload")
    def upload() -> str:
        return tumbler.request.files["doc"].filename or ""

    assert client.post("/upload", data={"doc": "report.pdf"}).status_code == 400


def test_debug_mode_refuses_a_body_dropping_redirect_of_a_post() -> None:
    from tumbler.debughelpers import FormDataRoutingRedirect
    from tumbler.routing import RequestRedirect

    class MovedPermanently(RequestRedirect):
        code = 301

    app = Tumbler("surface_app")
    app.debug = True
    with app.test_request_context("/old", method="POST") as ctx:
        ctx.request.routing_exception = MovedPermanently("http://localhost/new")
        with pytest.raises(FormDataRoutingRedirect, match="drop form data"):
            app.raise_routing_exception(ctx.request)
        ctx.request.routing_exception = RequestRedirect("http://localhost/new")
        with pytest.raises(RequestRedirect):
            app.raise_routing_exception(ctx.request)
    app.debug = False
    with app.test_request_context("/old", method="POST") as ctx:
        ctx.request.routing_exception = MovedPermanently("http://localhost/new")
        with pytest.raises(MovedPermanently):
            app.raise_routing_exception(ctx.request)


def test_explain_template_loading_attempts_logs_each_loader(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from jinja2 import DictLoader

    from tumbler.debughelpers import explain_template_loading_attempts

    app = Tumbler("surface_app")
    bp = Blueprint("admin", __name__)
    attempts = [
        (DictLoader({}), app, None),
        (DictLoader({"x.html": ""}), bp, ("", "x.html", None)),
    ]
    with caplog.at_level("INFO", logger=app.logger.name):
        explain_template_loading_attempts(app, "x.html", attempts)
    assert "Locating template 'x.html'" in caplog.text
    assert "no match" in caplog.text
    assert "blueprint 'admin'" in caplog.text
    assert "found ('x.html')" in caplog.text


def test_typing_aliases_describe_view_return_values() -> None:
    from tumbler.typing import ResponseReturnValue
    from tumbler.typing import ResponseValue

    assert str in t.get_args(ResponseValue)
    assert tuple[ResponseValue, int] in t.get_args(ResponseReturnValue)


def test_private_context_vars_read_the_active_contexts() -> None:
    from tumbler.globals import _cv_app
    from tumbler.globals import _cv_request

    app = Tumbler("surface_app")
    assert _cv_app.get(None) is None
    with pytest.raises(LookupError):
        _cv_request.get()
    with app.app_context() as app_ctx:
        assert _cv_app.get() is app_ctx
        assert _cv_request.get(None) is None
    with app.test_request_context("/") as request_ctx:
        assert _cv_request.get() is request_ctx
        assert _cv_app.get().app is app


# --- CLI ----------------------------------------------------------------------------------------

#: ``flask`` command options (``tumbler`` here), by command; ``None`` is the group itself.
CLI_OPTIONS: dict[str | None, list[str]] = {
    None: ["-e", "--env-file", "-A", "--app", "--debug", "--no-debug", "--version"],
    "run": [
        "--host",
        "-h",
        "--port",
        "-p",
        "--cert",
        "--key",
        "--reload",
        "--no-reload",
        "--debugger",
        "--no-debugger",
        "--with-threads",
        "--without-threads",
        "--extra-files",
        "--exclude-patterns",
    ],
    "routes": ["--sort", "-s", "--all-methods"],
    "shell": [],
}


@pytest.mark.parametrize(
    ("command", "option"),
    [(command, option) for command, options in CLI_OPTIONS.items() for option in options],
)
def test_cli_has_flask_option(command: str | None, option: str) -> None:
    from tumbler.cli import TumblerGroup

    group = TumblerGroup()
    cmd = group if command is None else group.commands[command]
    opts = {opt for param in cmd.params for opt in (*param.opts, *param.secondary_opts)}
    assert option in opts
