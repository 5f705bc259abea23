"""The compiled matcher: a segment trie whose cost follows the path depth, not the rule count.

Fully static rules (no converter in host/subdomain or path) are also indexed in a
``{domain: {path: [rules]}}`` dict, so the common request is one lookup. Every rule is in the
trie: each node has a dict of static children and a weight-ordered list of dynamic edges
(one converter regex per segment, with plain-Python fast paths for the default ``string``,
``int`` and ``path`` converters). A depth-first walk, static children before dynamic edges,
reproduces werkzeug's rule priority; backtracking continues past a converter that rejects a
value with :class:`~tumbler.routing.ValidationError`.
"""

from __future__ import annotations

import re
import typing as t

from .converters import ValidationError
from .exceptions import NoMatch
from .exceptions import RequestPath
from .rules import _SUFFIX_GROUP
from .rules import Rule

_REGEX = 0
_NONEMPTY = 1  # the default string converter: any non-empty segment
_DIGITS = 2  # the int converter: ASCII digits
_PATH = 3  # the path converter alone: the rest of the path, not starting with "/"

_FAST_KINDS = {"[^/]+": _NONEMPTY, "[^/]{1,}": _NONEMPTY, "[0-9]+": _DIGITS}
_MULTI_SLASH = re.compile("/{2,}")
_TRAILING: tuple[str] = ("",)

Found = tuple[Rule, dict[str, t.Any]]


class _SlashRequired(Exception):
    """The path matches a branch rule once a trailing slash is added."""


class _Node:
    __slots__ = ("dynamic", "rules", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[_Edge] = []
        self.rules: list[Rule] = []


class _Edge:
    __slots__ = ("final", "groups", "kind", "match", "node", "suffixed", "weight")

    def __init__(
        self,
        content: str,
        final: bool,
        suffixed: bool,
        weight: t.Any,
        groups: tuple[str, ...],
        single_regex: str | None,
    ) -> None:
        self.match = re.compile(content).match
        self.final = final
        self.suffixed = suffixed
        self.weight = weight
        self.groups = groups
        self.node = _Node()
        kind = _REGEX
        if single_regex is not None:
            if final:
                kind = _PATH if single_regex == "[^/].*?" else _REGEX
            else:
                kind = _FAST_KINDS.get(single_regex, _REGEX)
        self.kind = kind


class _Search:
    """Per-match bookkeeping: the request method and what made candidates fail."""

    __slots__ = ("allowed", "method", "websocket", "websocket_mismatch")

    def __init__(self, method: str, websocket: bool) -> None:
        self.method = method
        self.websocket = websocket
        self.allowed: set[str] | None = None
        self.websocket_mismatch = False

    def note_allowed(self, methods: set[str]) -> None:
        """Record the methods of a rule whose path matched but whose methods did not."""
        if self.allowed is None:
            self.allowed = set(methods)
        else:
            self.allowed.update(methods)


def _accept(
    rules: list[Rule], values: list[str], search: _Search, skip_strict: bool
) -> Found | None:
    """Return the first of ``rules`` that fits the method, websocket flag and converters."""
    method = search.method
    for rule in rules:
        if skip_strict and rule.strict_slashes:
            continue
        methods = rule.methods
        if methods is not None and method not in methods:
            search.note_allowed(methods)
        elif rule.websocket != search.websocket:
            search.websocket_mismatch = True
        else:
            try:
                result = {
                    name: converter.to_python(value)
                    for (name, converter), value in zip(rule._conv_items, values, strict=False)
                }
            except ValidationError:
                continue
            if rule.defaults:
                result.update(rule.defaults)
            return rule, result
    return None


def _at_end(node: _Node, values: list[str], search: _Search) -> Found | None:
    """All segments are consumed at ``node``: accept one of its rules, or detect that only a
    branch rule (with a trailing slash) would match."""
    # The loop of _accept, inlined: this is the hot path of every dynamic match.
    method = search.method
    for rule in node.rules:
        methods = rule.methods
        if methods is not None and method not in methods:
            search.note_allowed(methods)
        elif rule.websocket != search.websocket:
            search.websocket_mismatch = True
        else:
            # ``values`` holds one string per converter of the rule, in rule order.
            try:
                if len(values) == 1:
                    name, converter = rule._conv_items[0]
                    result = {name: converter.to_python(values[0])}
                else:
                    result = {
                        name: converter.to_python(value)
                        for (name, converter), value in zip(rule._conv_items, values, strict=False)
                    }
            except ValidationError:
                continue
            if rule.defaults:
                result.update(rule.defaults)
            return rule, result
    branch = node.static.get("")
    if branch is not None:
        for rule in branch.rules:
            if rule.websocket == search.websocket and (
                rule.methods is None or method in rule.methods
            ):
                if rule.strict_slashes:
                    raise _SlashRequired()
                found = _accept([rule], values, search, False)
                if found is not None:
                    return found
    return None


def _walk(
    node: _Node, parts: t.Sequence[str], i: int, values: list[str], search: _Search
) -> Found | None:
    """Depth-first search from ``node`` for ``parts[i:]``: static children before dynamic
    edges at every level, as werkzeug orders rules."""
    count = len(parts)
    start = i
    # Follow static children iteratively (the common case), keeping the way back so each
    # level's dynamic edges are still tried, deepest first, exactly as recursion would.
    trail: list[_Node] | None = None
    while i < count:
        child = node.static.get(parts[i])
        if child is None:
            break
        if trail is None:
            trail = [node]
        else:
            trail.append(node)
        node = child
        i += 1
    while True:
        if i == count:
            found = _at_end(node, values, search)
        else:
            found = _try_dynamic(node, parts, i, count, values, search)
        if found is not None or i == start:
            return found
        assert trail is not None
        node = trail.pop()
        i -= 1


def _try_dynamic(
    node: _Node, parts: t.Sequence[str], i: int, count: int, values: list[str], search: _Search
) -> Found | None:
    """Try the dynamic edges of ``node`` for ``parts[i]`` (its static child was tried)."""
    part = parts[i]
    for edge in node.dynamic:
        kind = edge.kind
        if kind == _NONEMPTY:
            if not part:
                continue
            values.append(part)
            if i + 1 == count:
                found = _at_end(edge.node, values, search)
            else:
                found = _walk(edge.node, parts, i + 1, values, search)
            values.pop()
        elif kind == _DIGITS:
            if not (part.isdigit() and part.isascii()):
                continue
            values.append(part)
            if i + 1 == count:
                found = _at_end(edge.node, values, search)
            else:
                found = _walk(edge.node, parts, i + 1, values, search)
            values.pop()
        elif kind == _PATH:
            if not part:
                continue
            target = "/".join(parts[i:]) if i + 1 < count else part
            if "\n" in target:
                continue
            values.append(target)
            found = _at_end(edge.node, values, search)
            values.pop()
        else:
            target = "/".join(parts[i:]) if edge.final and i + 1 < count else part
            match = edge.match(target)
            if match is None:
                continue
            groups = edge.groups
            for group in groups:
                values.append(match.group(group))
            if not edge.final:
                found = _walk(edge.node, parts, i + 1, values, search)
            elif edge.suffixed and match.group(_SUFFIX_GROUP) == "/":
                found = _walk(edge.node, _TRAILING, 0, values, search)
            else:
                found = _at_end(edge.node, values, search)
            if groups:
                del values[-len(groups) :]
        if found is not None:
            return found
    # A request with a trailing slash may still match a leaf rule without strict slashes.
    if i == count - 1 and not part and node.rules:
        return _accept(node.rules, values, search, True)
    return None


class Matcher:
    """The compiled form of a map's rules; built by :meth:`Map.update`, then read-only.

    :param rules: the matchable rules in insertion order (build-only rules excluded).
    :param merge_slashes: whether a path with repeated slashes is retried merged.
    """

    __slots__ = ("merge_slashes", "root", "static")

    def __init__(self, rules: t.Iterable[Rule], merge_slashes: bool) -> None:
        self.merge_slashes = merge_slashes
        self.root = _Node()
        #: ``{domain: {path: [rules]}}`` for rules without any converter.
        self.static: dict[str, dict[str, list[Rule]]] = {}
        edges: dict[tuple[int, tuple[t.Any, ...]], _Edge] = {}
        for rule in rules:
            node = self.root
            for part in rule._parts:
                if part.static:
                    child = node.static.get(part.content)
                    if child is None:
                        child = node.static[part.content] = _Node()
                    node = child
                    continue
                edge_key = (id(node), part.key())
                edge = edges.get(edge_key)
                if edge is None:
                    edge = _Edge(
                        part.content,
                        part.final,
                        part.suffixed,
                        part.weight,
                        part.groups,
                        part.single_regex,
                    )
                    edges[edge_key] = edge
                    node.dynamic.append(edge)
                node = edge.node
            node.rules.append(rule)
            if rule._static_key is not None:
                domain, path = rule._static_key
                self.static.setdefault(domain, {}).setdefault(path, []).append(rule)
        stack = [self.root]
        while stack:
            node = stack.pop()
            # Stable: equal weights keep insertion order.
            node.dynamic.sort(key=lambda edge: edge.weight)
            stack.extend(node.static.values())
            stack.extend(edge.node for edge in node.dynamic)

    def _search(self, domain: str, parts: list[str], search: _Search) -> Found | None:
        root = self.root
        child = root.static.get(domain)
        if child is not None:
            found = _walk(child, parts, 0, [], search)
            if found is not None:
                return found
        for edge in root.dynamic:
            match = edge.match(domain)
            if match is None:
                continue
            values = [match.group(group) for group in edge.groups]
            found = _walk(edge.node, parts, 0, values, search)
            if found is not None:
                return found
        return None

    def match(self, domain: str, path: str, method: str, websocket: bool) -> Found:
        """Find the rule for ``path`` (starting with ``/``) on ``domain``.

        :return: ``(rule, converted values including the rule's defaults)``.
        :raises RequestPath: the canonical path differs (trailing slash, merged slashes).
        :raises NoMatch: nothing matches; it says which methods would have and whether a
            WebSocket/HTTP mismatch was seen.
        """
        search = _Search(method, websocket)
        try:
            found = self._search(domain, path.split("/"), search)
        except _SlashRequired:
            raise RequestPath(f"{path}/") from None
        if found is None and self.merge_slashes and "//" in path:
            merged = _MULTI_SLASH.sub("/", path)
            try:
                found = self._search(domain, merged.split("/"), search)
            except _SlashRequired:
                raise RequestPath(f"{merged}/") from None
            if found is None or found[0].merge_slashes is False:
                raise NoMatch(search.allowed or set(), search.websocket_mismatch)
            raise RequestPath(merged)
        if found is None:
            raise NoMatch(search.allowed or set(), search.websocket_mismatch)
        return found
