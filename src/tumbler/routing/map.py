"""The rule collection, :class:`Map`: adding rules, compiling them, binding to a request."""

from __future__ import annotations

import threading
import typing as t
import warnings
from pprint import pformat

from ..exceptions import BadHost
from ..exceptions import HTTPException
from ..exceptions import MethodNotAllowed
from ..exceptions import NotFound
from .adapter import MapAdapter
from .adapter import _iter_multi_items
from .adapter import _urlencode
from .converters import DEFAULT_CONVERTERS
from .converters import BaseConverter
from .exceptions import NoMatch
from .exceptions import RequestPath
from .matcher import Matcher
from .rules import Rule
from .rules import RuleFactory


class RequestLike(t.Protocol):
    """What :meth:`Map.bind_to_request` reads from a request."""

    @property
    def host(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def root_path(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def query_string(self) -> bytes: ...


def _normalize_server_name(server_name: str) -> str:
    server_name = server_name.lower()
    if server_name.isascii():
        return server_name
    # The port is not part of IDNA and could push a label over the 63 octet limit.
    host, sep, port = server_name.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise BadHost() from e
    return f"{host}{sep}{port}"


class Map:
    """All the URL rules of an application plus the settings they share.

    :param rules: rules or rule factories to add.
    :param default_subdomain: the subdomain of rules that do not name one.
    :param strict_slashes: requesting a branch rule (ending in ``/``) without the slash
        redirects (308) to the URL with the slash.
    :param merge_slashes: a path with repeated slashes redirects to the merged path when
        that matches; rules are compiled with merged slashes.
    :param redirect_defaults: requesting a URL whose values equal another rule's defaults
        redirects to that rule's (shorter, canonical) URL; aliases redirect too.
    :param converters: extra or replacement converters by name.
    :param sort_parameters: sort the query string of built URLs.
    :param sort_key: key function used when sorting query parameters.
    :param host_matching: match rules on the full host (``Rule(host=...)``) instead of
        the subdomain.
    """

    default_converters: t.ClassVar[t.Mapping[str, type[BaseConverter]]] = DEFAULT_CONVERTERS
    #: The lock type guarding the one-time compilation after rules change.
    lock_class: t.Callable[[], t.Any] = threading.Lock

    def __init__(
        self,
        rules: t.Iterable[RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: t.Callable[[t.Any], t.Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self._rules_list: list[Rule] = []
        self._rules_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._matcher: Matcher | None = None
        self._remap = True
        self._remap_lock = self.lock_class()
        self._has_websocket_rules = False
        self._merge_slashes = merge_slashes
        self._redirect_defaults = redirect_defaults
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.host_matching = host_matching
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        for factory in rules or ():
            self.add(factory)

    @property
    def merge_slashes(self) -> bool:
        """Whether repeated slashes in a request path redirect to the merged path."""
        return self._merge_slashes

    @merge_slashes.setter
    def merge_slashes(self, value: bool) -> None:
        self._merge_slashes = value
        self._remap = True

    @property
    def redirect_defaults(self) -> bool:
        """Whether URLs equal to another rule's defaults (and aliases) redirect."""
        return self._redirect_defaults

    @redirect_defaults.setter
    def redirect_defaults(self, value: bool) -> None:
        self._redirect_defaults = value
        self._remap = True

    @property
    def _rules(self) -> list[Rule]:
        return list(self._rules_list)

    def is_endpoint_expecting(self, endpoint: t.Any, *arguments: str) -> bool:
        """Return ``True`` if some rule of ``endpoint`` has all of ``arguments``.

        Useful for adding a value (such as a language code) to ``url_for`` only for the
        endpoints that take it.

        :raises KeyError: if no rule has this endpoint.
        """
        self.update()
        wanted = set(arguments)
        return any(wanted.issubset(rule.arguments) for rule in self._rules_by_endpoint[endpoint])

    def iter_rules(self, endpoint: t.Any | None = None) -> t.Iterator[Rule]:
        """Iterate over all rules (insertion order), or the rules of ``endpoint``.

        :raises KeyError: if ``endpoint`` is given and no rule has it.
        """
        self.update()
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules_list)

    def add(self, rulefactory: RuleFactory) -> None:
        """Add a rule (or every rule of a factory) and compile it.

        Errors in the rule string are raised here, not at request time.

        :raises ValueError: malformed rule, duplicate variable, bad converter arguments.
        :raises LookupError: unknown converter.
        :raises RuntimeError: the rule is already bound to a map.
        """
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            self._rules_list.append(rule)
            self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
            if rule.websocket:
                self._has_websocket_rules = True
        self._remap = True

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: t.Mapping[str, t.Any] | str | None = None,
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` for matching and building under the given request data.

        :param server_name: ``host[:port]`` of the application; used for host matching and
            external URLs.
        :param script_name: path prefix of the application (default ``/``).
        :param subdomain: the current subdomain (default: the map's ``default_subdomain``);
            must not be given with host matching.
        :param url_scheme: ``http``, ``https``, ``ws`` or ``wss``; ``ws``/``wss`` match only
            WebSocket rules.
        :param default_method: the method used when :meth:`MapAdapter.match` gets none.
        :param path_info: the path matched when :meth:`MapAdapter.match` gets none
            (default ``/``).
        :param query_args: the query string (or a mapping) kept in redirects.
        :raises RuntimeError: if ``subdomain`` is passed with host matching.
        :raises BadHost: if a non-ASCII ``server_name`` is not a valid IDNA name.
        """
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("Passing 'subdomain' is invalid when host matching is enabled.")
        elif subdomain is None:
            subdomain = self.default_subdomain
        return MapAdapter(
            self,
            _normalize_server_name(server_name),
            script_name or "/",
            subdomain,
            url_scheme,
            "/" if path_info is None else path_info,
            default_method,
            query_args,
        )

    def bind_to_request(
        self,
        request: RequestLike,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """Return a :class:`MapAdapter` for a request (sans-io replacement of ``bind_to_environ``).

        :param request: any object with ``host``, ``scheme``, ``root_path``, ``path``
            (decoded), ``method`` and ``query_string`` (bytes), such as
            :class:`tumbler.wrappers.Request`. Reading ``host`` validates trusted hosts.
        :param server_name: the configured server name; the subdomain is what ``host`` has
            in front of it. If ``host`` does not end with it, the subdomain is
            ``"<invalid>"`` (so subdomain rules do not match) and a warning is emitted.
            Defaults to the request's host.
        :param subdomain: use this subdomain instead of computing it.
        """
        host = request.host.lower()
        scheme = request.scheme
        if self._has_websocket_rules and scheme in ("http", "https"):
            headers = getattr(request, "headers", None)
            if headers is not None and headers.get("Upgrade", "").lower() == "websocket":
                tokens = headers.get("Connection", "").lower().split(",")
                if any(token.strip(" \t") == "upgrade" for token in tokens):
                    scheme = "wss" if scheme == "https" else "ws"
        if server_name is None:
            server_name = host
        else:
            server_name = server_name.lower()
            if scheme in ("http", "ws") and server_name.endswith(":80"):
                server_name = server_name[:-3]
            elif scheme in ("https", "wss") and server_name.endswith(":443"):
                server_name = server_name[:-4]
        if subdomain is None and not self.host_matching:
            if server_name == host:
                subdomain = ""
            else:
                current = host.split(".")
                real = server_name.split(".")
                offset = -len(real)
                if current[offset:] != real:
                    warnings.warn(
                        "Current server name"
                        f" {host!r} doesn't match configured server name {server_name!r}",
                        stacklevel=2,
                    )
                    subdomain = "<invalid>"
                else:
                    subdomain = ".".join(filter(None, current[:offset]))
        # What bind() does, without its keyword-argument call: this runs on every request.
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("Passing 'subdomain' is invalid when host matching is enabled.")
        elif subdomain is None:
            subdomain = self.default_subdomain
        return MapAdapter(
            self,
            _normalize_server_name(server_name),
            request.root_path or "/",
            subdomain,
            scheme,
            request.path,
            request.method,
            request.query_string.decode("latin-1"),
        )

    def _quick_match(
        self, domain: str, path: str, method: str
    ) -> tuple[Rule, dict[str, t.Any]] | HTTPException | None:
        """Match an HTTP request's ``path`` (one leading slash) without binding an adapter.

        :return: ``(rule, values)`` for a plain match, the 404 or 405 to answer when nothing
            matches, or ``None`` when the answer needs a :class:`MapAdapter` (a redirect, or
            websocket rules to tell apart); the adapter then matches again.
        """
        if self._remap:
            self.update()
        if self._has_websocket_rules:
            return None
        matcher = self._matcher
        bucket = matcher.static.get(domain)  # type: ignore[union-attr]
        if bucket is not None:
            candidates = bucket.get(path)
            if candidates is not None:
                for rule in candidates:
                    methods = rule.methods
                    if methods is None or method in methods:
                        if rule._post_match:
                            return None
                        return rule, dict(rule.defaults) if rule.defaults else {}
        error: HTTPException | None = None
        try:
            found = matcher.match(domain, path, method, False)  # type: ignore[union-attr]
        except RequestPath:
            return None
        except NoMatch as e:
            # As MapAdapter.match answers, raised outside the except clause (no context).
            if e.have_match_for:
                error = MethodNotAllowed(valid_methods=sorted(e.have_match_for))
            else:
                error = NotFound()
        if error is not None:
            return error
        if found[0]._post_match:
            return None
        return found

    def update(self) -> None:
        """Compile the matcher and sort rules for building, once after rules changed.

        Called automatically by matching and building; cheap when nothing changed.
        """
        if not self._remap:
            return
        with self._remap_lock:
            if not self._remap:
                return
            redirect_defaults = self._redirect_defaults
            for rules in self._rules_by_endpoint.values():
                rules.sort(key=lambda rule: rule.build_compare_key())
                for index, rule in enumerate(rules):
                    candidates: tuple[Rule, ...] = ()
                    if redirect_defaults:
                        candidates = tuple(
                            other for other in rules[:index] if other.provides_defaults_for(rule)
                        )
                    rule._redirect_candidates = candidates
                    rule._post_match = bool(
                        candidates
                        or rule.redirect_to is not None
                        or (rule.alias and redirect_defaults)
                    )
            self._matcher = Matcher(
                [rule for rule in self._rules_list if not rule.build_only], self._merge_slashes
            )
            self._remap = False

    def _encode_query(self, values: t.Mapping[str, t.Any]) -> str:
        items: t.Iterable[tuple[str, t.Any]] = _iter_multi_items(values)
        if self.sort_parameters:
            items = sorted(items, key=self.sort_key)
        return _urlencode(items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({pformat(list(self.iter_rules()))})"
