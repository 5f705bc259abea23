"""The per-request view of a map, :class:`MapAdapter`: matching a path and building URLs."""

from __future__ import annotations

import typing as t
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlunsplit

from ..exceptions import HTTPException
from ..exceptions import MethodNotAllowed
from ..exceptions import NotFound
from .exceptions import BuildError
from .exceptions import NoMatch
from .exceptions import RequestPath
from .exceptions import RequestRedirect
from .exceptions import WebsocketMismatch
from .rules import _SIMPLE_RULE_RE
from .rules import Rule

if t.TYPE_CHECKING:
    from .map import Map

# Characters kept as they are when re-sending a request's raw query string in a redirect.
_QUERY_SAFE = "!$&'()*+,/:;=?@%~-._[]"
# https://url.spec.whatwg.org/#percent-encoded-bytes, for query strings built from values.
_URLENCODE_SAFE = "!$'()*,/:;?@"
_PATH_SAFE = "!$&'()*+,/:;=@"


def _iter_multi_items(values: t.Any) -> t.Iterator[tuple[str, t.Any]]:
    if hasattr(values, "lists"):
        for key, items in values.lists():
            for item in items:
                yield key, item
        return
    for key, value in values.items():
        if isinstance(value, list | tuple):
            for item in value:
                yield key, item
        else:
            yield key, value


def _urlencode(items: t.Iterable[tuple[str, t.Any]]) -> str:
    return urlencode([item for item in items if item[1] is not None], safe=_URLENCODE_SAFE)


class MapAdapter:
    """A :class:`Map` bound to one request's data; matches paths and builds URLs.

    Created by :meth:`Map.bind` or :meth:`Map.bind_to_request`.
    """

    __slots__ = (
        "default_method",
        "map",
        "path_info",
        "query_args",
        "script_name",
        "server_name",
        "subdomain",
        "url_scheme",
        "websocket",
    )

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: t.Mapping[str, t.Any] | str | None = None,
    ) -> None:
        self.map = map
        self.server_name = server_name
        if not script_name.endswith("/"):
            script_name += "/"
        self.script_name = script_name
        self.subdomain = subdomain or ""
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        self.websocket = url_scheme in ("ws", "wss")

    @t.overload
    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: t.Literal[False] = False,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]: ...

    @t.overload
    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        *,
        return_rule: t.Literal[True],
        query_args: t.Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[Rule, dict[str, t.Any]]: ...

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """Match a path and method against the rules.

        :param path_info: the decoded path to match; defaults to the bound ``path_info``.
        :param method: the HTTP method; defaults to the bound ``default_method``.
        :param return_rule: return the :class:`Rule` instead of its endpoint.
        :param query_args: query string (or mapping) kept in redirects; defaults to the
            bound one.
        :param websocket: match WebSocket rules; defaults to the bound scheme being
            ``ws``/``wss``.
        :return: ``(endpoint, values)`` or ``(rule, values)``; values are the converted URL
            variables plus the rule's defaults.
        :raises NotFound: nothing matches.
        :raises MethodNotAllowed: the path matches but not the method; ``valid_methods``
            lists the methods that would match.
        :raises WebsocketMismatch: only a rule of the other kind (WebSocket/HTTP) matches.
        :raises RequestRedirect: the canonical URL differs (slashes, defaults, alias,
            ``redirect_to``); ``new_url`` holds it.
        """
        map = self.map
        if map._remap:
            map.update()
        matcher = map._matcher
        assert matcher is not None
        if path_info is None:
            path_info = self.path_info
        method = (method or self.default_method).upper()
        if websocket is None:
            websocket = self.websocket
        domain = self.server_name if map.host_matching else self.subdomain
        if path_info[:1] == "/" and path_info[1:2] != "/":
            path = path_info
        else:
            path = f"/{path_info.lstrip('/')}" if path_info else ""

        rule: Rule | None = None
        values: dict[str, t.Any] = {}
        bucket = matcher.static.get(domain)
        if bucket is not None:
            candidates = bucket.get(path)
            if candidates is not None:
                for candidate in candidates:
                    methods = candidate.methods
                    if (methods is None or method in methods) and candidate.websocket == websocket:
                        rule = candidate
                        if candidate.defaults:
                            values = dict(candidate.defaults)
                        break
        if rule is None:
            # The HTTP error is raised after the except clause, so it carries no __context__:
            # the internal exception's traceback would hold this frame in a reference cycle.
            error: HTTPException | None = None
            try:
                rule, values = matcher.match(domain, path, method, websocket)
            except RequestPath as e:
                error = RequestRedirect(
                    self.make_redirect_url(quote(e.path_info, safe=_PATH_SAFE), query_args)
                )
            except NoMatch as e:
                if e.have_match_for:
                    error = MethodNotAllowed(valid_methods=sorted(e.have_match_for))
                elif e.websocket_mismatch:
                    error = WebsocketMismatch()
                else:
                    error = NotFound()
            if error is not None:
                raise error
            assert rule is not None
        if rule._post_match:
            self._redirect_after_match(rule, values, method, query_args)
        if return_rule:
            return rule, values
        return rule.endpoint, values

    def _redirect_after_match(
        self,
        rule: Rule,
        values: dict[str, t.Any],
        method: str,
        query_args: t.Mapping[str, t.Any] | str | None,
    ) -> None:
        redirect_defaults = self.map.redirect_defaults
        if rule.alias and redirect_defaults:
            url = self.build(
                rule.endpoint, values, method, append_unknown=False, force_external=True
            )
            if query_args is None:
                query_args = self.query_args
            if query_args:
                url = f"{url}?{self.encode_query_args(query_args)}"
            raise RequestRedirect(url)
        if redirect_defaults:
            for other in rule._redirect_candidates:
                if other.suitable_for(values, method):
                    assert other.defaults is not None
                    built = other.build({**values, **other.defaults})
                    if built is not None:
                        domain_part, path = built
                        raise RequestRedirect(
                            self.make_redirect_url(path, query_args, domain_part=domain_part)
                        )
        redirect_to = rule.redirect_to
        if redirect_to is not None:
            if isinstance(redirect_to, str):

                def substitute(match: t.Match[str]) -> str:
                    name = match.group(1)
                    return rule._converters[name].to_url(values[name])

                target = _SIMPLE_RULE_RE.sub(substitute, redirect_to)
            else:
                target = redirect_to(self, **values)
            netloc = f"{self.subdomain}.{self.server_name}" if self.subdomain else self.server_name
            base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
            raise RequestRedirect(urljoin(base, target))

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Return ``True`` if ``path_info`` matches (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            pass
        except HTTPException:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """Return the methods the path accepts (for an ``Allow`` header), sorted."""
        try:
            self.match(path_info, method="--")
        except MethodNotAllowed as e:
            return list(e.valid_methods)
        except HTTPException:
            pass
        return []

    def get_host(self, domain_part: str | None) -> str:
        """Return the full host for a rule's domain part (a subdomain, or a host with host
        matching); ``None`` means the bound one."""
        if self.map.host_matching:
            return self.server_name if domain_part is None else domain_part
        subdomain = self.subdomain if domain_part is None else domain_part
        return f"{subdomain}.{self.server_name}" if subdomain else self.server_name

    def encode_query_args(self, query_args: t.Mapping[str, t.Any] | str) -> str:
        """Return ``query_args`` as query-string text, safe to put in a ``Location`` header."""
        if isinstance(query_args, str):
            try:
                raw = query_args.encode("latin-1")
            except UnicodeEncodeError:
                raw = query_args.encode("utf-8")
            return quote(raw, safe=_QUERY_SAFE)
        return _urlencode(_iter_multi_items(query_args))

    def make_redirect_url(
        self,
        path_info: str,
        query_args: t.Mapping[str, t.Any] | str | None = None,
        domain_part: str | None = None,
    ) -> str:
        """Return the absolute URL for an (already quoted) path under the script root."""
        if query_args is None:
            query_args = self.query_args
        query = self.encode_query_args(query_args) if query_args else ""
        host = self.get_host(domain_part)
        path = "/".join((self.script_name.strip("/"), path_info.lstrip("/")))
        return urlunsplit((self.url_scheme or "http", host, path, query, ""))

    def _partial_build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        append_unknown: bool,
    ) -> tuple[str, str, bool] | None:
        if method is None:
            found = self._partial_build(endpoint, values, self.default_method, append_unknown)
            if found is not None:
                return found
        first_match = None
        for rule in self.map._rules_by_endpoint.get(endpoint, ()):
            if rule.suitable_for(values, method):
                built = rule.build(values, append_unknown)
                if built is None:
                    continue
                result = (built[0], built[1], rule.websocket)
                if not self.map.host_matching or built[0] == self.server_name:
                    return result
                if first_match is None:
                    first_match = result
        return first_match

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """Build the URL of ``endpoint`` with ``values``.

        The rules of the endpoint are tried in build order (non-alias, more arguments and
        more defaults first); the first one that the values (and method) fit is used.

        :param endpoint: the endpoint to build.
        :param values: URL variables; other keys become the query string (lists give
            repeated keys, ``None`` values are skipped). A MultiDict is accepted.
        :param method: only consider rules that accept this method.
        :param force_external: return an absolute URL (protocol-relative if there is no
            scheme). URLs for another subdomain/host and WebSocket rules are always absolute.
        :param append_unknown: put values that are not variables of the rule in the query
            string; otherwise drop them.
        :param url_scheme: scheme for absolute URLs; defaults to the bound one.
        :return: a path (with the script root) or an absolute URL.
        :raises BuildError: no rule of the endpoint can be built with these values.
        """
        map = self.map
        if map._remap:
            map.update()
        clean: dict[str, t.Any]
        if values:
            if hasattr(values, "lists"):
                clean = {
                    key: (items[0] if len(items) == 1 else items)
                    for key, items in values.lists()
                    if items
                }
            else:
                clean = {key: value for key, value in values.items() if value is not None}
        else:
            clean = {}
        found = self._partial_build(endpoint, clean, method, append_unknown)
        if found is None:
            raise BuildError(endpoint, clean, method, self)
        domain_part, path, websocket = found
        host = self.get_host(domain_part)
        if url_scheme is None:
            url_scheme = self.url_scheme
        secure = url_scheme in ("https", "wss")
        if websocket:
            force_external = True
            url_scheme = "wss" if secure else "ws"
        elif url_scheme:
            url_scheme = "https" if secure else "http"
        if not force_external and (
            (map.host_matching and host == self.server_name)
            or (not map.host_matching and domain_part == self.subdomain)
        ):
            return f"{self.script_name.rstrip('/')}/{path.lstrip('/')}"
        scheme = f"{url_scheme}:" if url_scheme else ""
        return f"{scheme}//{host}{self.script_name[:-1]}/{path.lstrip('/')}"
