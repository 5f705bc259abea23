"""Exceptions raised by URL matching and building."""

from __future__ import annotations

import difflib
import typing as t

from markupsafe import escape

from ..exceptions import BadRequest
from ..exceptions import HTTPException

if t.TYPE_CHECKING:
    from .adapter import MapAdapter
    from .rules import Rule


class RoutingException(Exception):
    """Base of the exceptions that routing raises to steer the application.

    Flask's error handling passes these through untouched (for example the 308 redirect
    to the URL with a trailing slash).
    """


class RequestRedirect(HTTPException, RoutingException):
    """The matched URL is not the canonical one: answer with a 308 redirect to :attr:`new_url`.

    Raised for a missing trailing slash (``strict_slashes``), merged slashes, an alias or
    default-value URL, and rules with ``redirect_to``. 308 keeps the method and body.

    :param new_url: the absolute URL to redirect to (query string included).
    """

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_body(self, environ: t.Any = None, scope: t.Any = None) -> str:
        """Return a small HTML page linking to :attr:`new_url` (escaped)."""
        url = escape(self.new_url)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            "<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n"
            "<p>You should be redirected automatically to the target URL: "
            f'<a href="{url}">{url}</a>. If not, click the link.\n'
        )

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        """Return the HTML content type and the ``Location`` header."""
        return [("Content-Type", "text/html; charset=utf-8"), ("Location", self.new_url)]


class RequestPath(RoutingException):
    """Internal: matching succeeds only at another path (given in :attr:`path_info`)."""

    __slots__ = ("path_info",)

    def __init__(self, path_info: str) -> None:
        super().__init__()
        self.path_info = path_info


class RequestAliasRedirect(RoutingException):
    """Internal: an alias rule matched; redirect to the endpoint's canonical URL."""

    def __init__(self, matched_values: t.Mapping[str, t.Any], endpoint: t.Any) -> None:
        super().__init__()
        self.matched_values = matched_values
        self.endpoint = endpoint


class BuildError(RoutingException, LookupError):
    """No rule of ``endpoint`` can be built with the given values and method.

    ``str(error)`` explains what went wrong: the values that were missing, the methods the
    rule accepts, or the closest existing endpoint name.

    :param endpoint: the endpoint that was asked for.
    :param values: the values that were given.
    :param method: the method that was asked for, if any.
    :param adapter: the adapter that tried to build; used to suggest close rules.
    """

    def __init__(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        adapter: MapAdapter | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.adapter = adapter
        self._suggested: Rule | None = None
        self._suggested_done = False

    @property
    def suggested(self) -> Rule | None:
        """The rule of the map closest to what was asked for, or ``None`` if the map is empty."""
        if not self._suggested_done:
            self._suggested = self.closest_rule(self.adapter)
            self._suggested_done = True
        return self._suggested

    def closest_rule(self, adapter: MapAdapter | None) -> Rule | None:
        """Return the rule whose endpoint name is most similar to :attr:`endpoint`.

        Ties are broken in favour of rules that accept the given values and method.
        """
        if adapter is None:
            return None
        rules = adapter.map._rules
        if not rules:
            return None
        wanted = str(self.endpoint)
        given = set(self.values or ())

        def score(rule: Rule) -> float:
            ratio = difflib.SequenceMatcher(None, str(rule.endpoint), wanted).ratio()
            fits_values = given.issubset(rule.arguments)
            fits_method = bool(rule.methods and self.method in rule.methods)
            return 0.98 * ratio + 0.01 * fits_values + 0.01 * fits_method

        return max(rules, key=score)

    def __str__(self) -> str:
        message = [f"Could not build url for endpoint {self.endpoint!r}"]
        if self.method:
            message.append(f" ({self.method!r})")
        if self.values:
            message.append(f" with values {sorted(self.values)!r}")
        message.append(".")
        suggested = self.suggested
        if suggested is not None:
            if self.endpoint == suggested.endpoint:
                if (
                    self.method
                    and suggested.methods is not None
                    and self.method not in suggested.methods
                ):
                    message.append(f" Did you mean to use methods {sorted(suggested.methods)!r}?")
                missing = (suggested.arguments | set(suggested.defaults or ())) - set(self.values)
                if missing:
                    message.append(f" Did you forget to specify values {sorted(missing)!r}?")
            else:
                message.append(f" Did you mean {suggested.endpoint!r} instead?")
        return "".join(message)


class WebsocketMismatch(BadRequest):
    """*400*: the only matching rule is a WebSocket rule and the request is plain HTTP, or
    the reverse."""


class NoMatch(Exception):
    """Internal: no rule matched; carries what is needed to pick 404, 405 or 400."""

    __slots__ = ("have_match_for", "websocket_mismatch")

    def __init__(self, have_match_for: set[str], websocket_mismatch: bool) -> None:
        super().__init__()
        self.have_match_for = have_match_for
        self.websocket_mismatch = websocket_mismatch
