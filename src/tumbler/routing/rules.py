"""URL rules: parsing ``/user/<int:id>`` into matchable parts and a build template.

A :class:`Rule` is parsed and compiled once, when it is added to a
:class:`~tumbler.routing.Map`. Parsing splits the rule at slashes into *parts*: a static part
is matched by a dict lookup, a dynamic part by its converter's regular expression. Building
uses a precomputed ``str.format`` template per rule.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote

from .converters import ValidationError

if t.TYPE_CHECKING:
    from .converters import BaseConverter
    from .map import Map

_TOKEN_RE = re.compile(
    r"""
    (?P<slash>/)
    | (?P<static>[^</]+)
    | <
        (?:
            (?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)
            (?:\((?P<arguments>[^)]*)\))?
            :
        )?
        (?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)
      >
    """,
    re.VERBOSE,
)
_ARGUMENT_RE = re.compile(
    r"""
    \s*
    (?:(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*)?
    (?P<value>"[^"]*"|'[^']*'|[^\s,"'=()]+)
    \s*(?:,|\Z)
    """,
    re.VERBOSE,
)
_CONSTANTS: dict[str, t.Any] = {"None": None, "True": True, "False": False}
# Placeholders in a ``redirect_to`` string, e.g. "/new/<id>".
_SIMPLE_RULE_RE = re.compile(r"<([^>]+)>")
# Static rule text is quoted with the WHATWG path-segment safe set plus "/".
_STATIC_SAFE = "!$&'()*+,/:;=@"
# The suffix group of a part whose multi-segment converter is followed by a trailing slash.
_SUFFIX_GROUP = "__tumbler_suffix"

#: Sort key of a dynamic part: (-#static chunks, static chunk weights, -#converters, weights).
Weighting = tuple[int, tuple[tuple[int, int], ...], int, tuple[int, ...]]


def _pythonize(value: str) -> t.Any:
    if value in _CONSTANTS:
        return _CONSTANTS[value]
    if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) >= 2:
        return value[1:-1]
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    return value


def parse_converter_args(argstr: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse the text between the parentheses of ``<conv(...):name>``.

    Values may be ``None``/``True``/``False``, integers, floats, quoted strings or bare words
    (letters, digits, ``_``, ``.``, ``-``); ``name=value`` gives a keyword argument.

    :param argstr: the argument text, e.g. ``"fixed_digits=4, min=0"``.
    :return: ``(positional_args, keyword_args)``.
    :raises ValueError: if some text cannot be parsed, naming that text.
    """
    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    position = 0
    text = argstr.strip()
    while position < len(text):
        match = _ARGUMENT_RE.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"Cannot parse converter argument {text[position:]!r}")
        value = _pythonize(match.group("value"))
        name = match.group("name")
        if name is None:
            if kwargs:
                raise ValueError(
                    f"positional converter argument {match.group('value')!r} follows a keyword"
                    " argument"
                )
            args.append(value)
        else:
            if name in kwargs:
                raise ValueError(f"converter argument {name!r} given twice")
            kwargs[name] = value
        position = match.end()
    return tuple(args), kwargs


class RulePart:
    """One slash-delimited part of a compiled rule (the first part is the domain).

    :ivar static: ``True`` when the part is plain text, matched by dict lookup.
    :ivar content: the text (static) or the anchored regex source (dynamic).
    :ivar final: ``True`` when the part consumes all remaining segments (``path``).
    :ivar suffixed: ``True`` when a final part ends with an optional trailing slash group.
    :ivar weight: ordering key among the dynamic parts at the same position.
    :ivar groups: the regex group names holding converter values, in order.
    :ivar single_regex: the converter regex when the part is exactly one converter.
    """

    __slots__ = ("content", "final", "groups", "single_regex", "static", "suffixed", "weight")

    def __init__(
        self,
        content: str,
        *,
        static: bool,
        final: bool = False,
        suffixed: bool = False,
        weight: Weighting = (0, (), 0, ()),
        groups: tuple[str, ...] = (),
        single_regex: str | None = None,
    ) -> None:
        self.content = content
        self.static = static
        self.final = final
        self.suffixed = suffixed
        self.weight = weight
        self.groups = groups
        self.single_regex = single_regex

    def key(self) -> tuple[t.Any, ...]:
        """Identity of the part for sharing trie edges between rules."""
        return (self.content, self.static, self.final, self.suffixed, self.weight)

    def __repr__(self) -> str:
        kind = "static" if self.static else "dynamic"
        return f"<RulePart {kind} {self.content!r}>"


class _BuildTemplate:
    """A precomputed ``str.format`` template and the converters that fill it."""

    __slots__ = ("converters", "fmt", "text")

    def __init__(self, ops: list[tuple[bool, str, BaseConverter | None]]) -> None:
        fmt: list[str] = []
        converters: list[tuple[str, BaseConverter]] = []
        for is_dynamic, data, converter in ops:
            if is_dynamic:
                assert converter is not None
                fmt.append("{}")
                converters.append((data, converter))
            else:
                fmt.append(data.replace("{", "{{").replace("}", "}}"))
        self.converters = tuple(converters)
        self.fmt = "".join(fmt)
        self.text = "".join(data for _, data, _ in ops) if not converters else None

    def render(self, values: t.Mapping[str, t.Any]) -> str:
        if self.text is not None:
            return self.text
        return self.fmt.format(*[conv.to_url(values[name]) for name, conv in self.converters])


class RuleFactory:
    """Something that produces rules for a map; subclass and override :meth:`get_rules`."""

    __slots__ = ()

    def get_rules(self, map: Map) -> t.Iterable[Rule]:
        """Return the rules to add to ``map``."""
        raise NotImplementedError()


class Rule(RuleFactory):
    """One URL pattern and what it maps to.

    :param string: the rule, starting with ``/``; placeholders are written
        ``<converter(arguments):name>`` (converter and arguments optional, ``string`` by
        default). A rule ending in ``/`` is a *branch*: with strict slashes, requesting it
        without the slash redirects (308) to the URL with the slash.
    :param defaults: values passed to the view in addition to the URL's. Another rule of the
        same endpoint whose arguments equal these keys redirects to this one when requested
        with exactly these values (``redirect_defaults``).
    :param subdomain: subdomain rule string (may contain converters); defaults to the map's
        ``default_subdomain``. Ignored when the map uses host matching.
    :param methods: accepted HTTP methods (upper-cased; ``HEAD`` is added when ``GET`` is
        present). ``None`` accepts every method.
    :param build_only: never match; only build URLs (e.g. for files served elsewhere).
    :param endpoint: what a match returns; any hashable value, usually a string.
    :param strict_slashes: override the map's ``strict_slashes`` for this rule.
    :param merge_slashes: override the map's ``merge_slashes`` for this rule.
    :param redirect_to: a rule-syntax string (``"/new/<id>"``, relative to the script root
        unless it starts with ``/``) or a callable ``(adapter, **values) -> str``; matching
        this rule raises :class:`~tumbler.routing.RequestRedirect` to that target.
    :param alias: this rule is an alias of another rule of the same endpoint; matching it
        redirects to the canonical URL (with ``redirect_defaults``).
    :param host: host rule string for maps with ``host_matching``, e.g.
        ``"<user>.example.com"``.
    :param websocket: match only WebSocket requests (``ws``/``wss``); such rules accept only
        ``GET``, ``HEAD`` and ``OPTIONS``.
    :ivar provide_automatic_options: ``True`` when the application should answer
        ``OPTIONS`` itself (the rule lists methods, without ``OPTIONS``); settable.
    :ivar arguments: the names of the URL variables and of the defaults (after binding).
    :raises ValueError: if ``string`` does not start with ``/``, or a WebSocket rule lists
        other methods.
    :raises TypeError: if ``methods`` is a single string.
    """

    __slots__ = (
        "__dict__",
        "_conv_items",
        "_converters",
        "_domain_template",
        "_parts",
        "_path_template",
        "_post_match",
        "_redirect_candidates",
        "_required",
        "_static_key",
        "_trace",
        "alias",
        "arguments",
        "build_only",
        "defaults",
        "endpoint",
        "host",
        "is_branch",
        "is_leaf",
        "map",
        "merge_slashes",
        "methods",
        "provide_automatic_options",
        "redirect_to",
        "rule",
        "strict_slashes",
        "subdomain",
        "websocket",
    )

    def __init__(
        self,
        string: str,
        defaults: t.Mapping[str, t.Any] | None = None,
        subdomain: str | None = None,
        methods: t.Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: t.Any | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | t.Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not isinstance(string, str) or not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash.")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.map: Map = None  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings, not a single string.")
            method_set = {method.upper() for method in methods}
            if "GET" in method_set:
                method_set.add("HEAD")
            if websocket and method_set - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    "WebSocket rules can only use the 'GET', 'HEAD', and 'OPTIONS' methods."
                )
            self.methods: set[str] | None = method_set
        else:
            self.methods = None
        # The application answers OPTIONS itself unless the rule claims the method; a rule
        # without a method list accepts OPTIONS like any other method, so it claims it too.
        self.provide_automatic_options = self.methods is not None and "OPTIONS" not in self.methods
        self.endpoint: t.Any = endpoint
        self.redirect_to = redirect_to
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._conv_items: tuple[tuple[str, BaseConverter], ...] = ()
        self._trace: list[tuple[bool, str]] = []
        self._parts: list[RulePart] = []
        self._static_key: tuple[str, str] | None = None
        self._domain_template: _BuildTemplate | None = None
        self._path_template: _BuildTemplate | None = None
        self._redirect_candidates: tuple[Rule, ...] = ()
        self._required: tuple[str, ...] = ()
        self._post_match = False

    def empty(self) -> Rule:
        """Return an unbound copy of this rule (for reuse in another map or a factory)."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_empty_kwargs(self) -> t.Mapping[str, t.Any]:
        """Return the keyword arguments :meth:`empty` passes to the new rule.

        Override in a subclass that takes extra constructor arguments.
        """
        return {
            "defaults": dict(self.defaults) if self.defaults else None,
            "subdomain": self.subdomain,
            "methods": self.methods,
            "build_only": self.build_only,
            "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes,
            "merge_slashes": self.merge_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "host": self.host,
            "websocket": self.websocket,
        }

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        """Yield this rule (a rule is its own factory)."""
        yield self

    def refresh(self) -> None:
        """Recompile the rule after changing its attributes in place."""
        self.bind(self.map, rebind=True)

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to ``map`` and compile it.

        :raises RuntimeError: if the rule is already bound and ``rebind`` is false.
        :raises ValueError: for a malformed rule, duplicate variable names or bad converter
            arguments.
        :raises LookupError: for an unknown converter name.
        """
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self.compile()
        map._remap = True

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[t.Any, ...],
        kwargs: t.Mapping[str, t.Any],
    ) -> BaseConverter:
        """Create the converter ``converter_name`` for the variable ``variable_name``.

        :raises LookupError: if the map has no such converter.
        :raises ValueError: if the converter rejects the arguments.
        """
        if converter_name not in self.map.converters:
            raise LookupError(
                f"the converter {converter_name!r} used for {variable_name!r} in rule"
                f" {self.rule!r} does not exist"
            )
        try:
            return self.map.converters[converter_name](self.map, *args, **kwargs)
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"invalid arguments for converter {converter_name!r} of {variable_name!r} in"
                f" rule {self.rule!r}: {e}"
            ) from e

    def _tokenize(self, string: str) -> t.Iterator[re.Match[str]]:
        position = 0
        while position < len(string):
            match = _TOKEN_RE.match(string, position)
            if match is None:
                raise ValueError(
                    f"malformed url rule {string!r}: cannot parse {string[position:]!r}"
                )
            yield match
            position = match.end()

    def _parse(self, string: str, seen: set[str]) -> t.Iterator[RulePart]:
        """Yield the parts of ``string``; record converters and the trace on the rule."""
        # Pieces of the current part: (kind, text, converter); kind is static/var/slash.
        pieces: list[tuple[str, str, BaseConverter | None]] = []
        final = False

        for match in self._tokenize(string):
            static = match.group("static")
            variable = match.group("variable")
            if static is not None:
                self._trace.append((False, static))
                pieces.append(("static", static, None))
            elif variable is not None:
                if variable in seen:
                    raise ValueError(f"variable name {variable!r} used twice in rule {self.rule!r}")
                seen.add(variable)
                try:
                    args, kwargs = parse_converter_args(match.group("arguments") or "")
                except ValueError as e:
                    raise ValueError(f"in rule {self.rule!r}: {e}") from None
                converter = self.get_converter(
                    variable, match.group("converter") or "default", args, kwargs
                )
                self._converters[variable] = converter
                self.arguments.add(variable)
                self._trace.append((True, variable))
                pieces.append(("var", variable, converter))
                if not converter.part_isolating:
                    final = True
            else:
                self._trace.append((False, "/"))
                if final:
                    pieces.append(("slash", "/", None))
                else:
                    yield self._make_part(pieces, final=False)
                    pieces = []
        yield from self._finish(pieces, final)

    def _finish(
        self, pieces: list[tuple[str, str, BaseConverter | None]], final: bool
    ) -> t.Iterator[RulePart]:
        suffixed = final and bool(pieces) and pieces[-1][0] == "slash"
        if suffixed:
            pieces = pieces[:-1]
        part = self._make_part(pieces, final=final, suffixed=suffixed)
        yield part
        if suffixed:
            yield RulePart("", static=True)

    def _make_part(
        self,
        pieces: list[tuple[str, str, BaseConverter | None]],
        *,
        final: bool,
        suffixed: bool = False,
    ) -> RulePart:
        if all(kind == "static" for kind, _, _ in pieces) and not suffixed:
            return RulePart("".join(text for _, text, _ in pieces), static=True)
        regex: list[str] = []
        groups: list[str] = []
        static_weights: list[tuple[int, int]] = []
        argument_weights: list[int] = []
        for kind, text, converter in pieces:
            if kind == "static":
                static_weights.append((len(static_weights), -len(text)))
                regex.append(re.escape(text))
            elif kind == "slash":
                regex.append("/")
            else:
                assert converter is not None
                name = f"__tumbler_{len(groups)}"
                groups.append(name)
                regex.append(f"(?P<{name}>{converter.regex})")
                argument_weights.append(converter.weight)
        if suffixed:
            regex.append(f"(?<!/)(?P<{_SUFFIX_GROUP}>/?)")
        regex.append(r"\Z")
        content = "".join(regex)
        try:
            re.compile(content)
        except re.error as e:
            raise ValueError(f"rule {self.rule!r} compiles to an invalid regex: {e}") from None
        single = None
        if len(pieces) == 1 and not suffixed:
            converter = pieces[0][2]
            assert converter is not None
            single = converter.regex
        weight: Weighting = (
            -len(static_weights),
            tuple(static_weights),
            -len(argument_weights),
            tuple(argument_weights),
        )
        return RulePart(
            content,
            static=False,
            final=final,
            suffixed=suffixed,
            weight=weight,
            groups=tuple(groups),
            single_regex=single,
        )

    def compile(self) -> None:
        """Parse the rule into parts, converters and build templates (done once per bind).

        :raises ValueError: for malformed rules or converter arguments.
        :raises LookupError: for unknown converters.
        """
        assert self.map is not None, "rule not bound"
        domain_rule = self.host if self.map.host_matching else self.subdomain
        self._parts = []
        self._trace = []
        self._converters = {}
        self.arguments = set(map(str, self.defaults)) if self.defaults else set()
        seen: set[str] = set()
        if domain_rule is None:
            self._parts.append(RulePart("", static=True))
        else:
            domain_parts = list(self._parse(domain_rule, seen))
            if len(domain_parts) != 1:
                raise ValueError(f"the host or subdomain {domain_rule!r} must not contain '/'")
            self._parts.extend(domain_parts)
        self._trace.append((False, "|"))
        path = re.sub("/{2,}", "/", self.rule) if self.merge_slashes else self.rule
        self._parts.extend(self._parse(path, seen))
        self._conv_items = tuple(self._converters.items())
        defaults = self.defaults or {}
        self._required = tuple(sorted(name for name in self.arguments if name not in defaults))
        if all(part.static for part in self._parts):
            self._static_key = (self._parts[0].content, path)
        else:
            self._static_key = None
        self._compile_builder()

    def _compile_builder(self) -> None:
        defaults = self.defaults or {}
        domain_ops: list[tuple[bool, str, BaseConverter | None]] = []
        path_ops: list[tuple[bool, str, BaseConverter | None]] = []
        ops = domain_ops
        for is_dynamic, data in self._trace:
            if data == "|" and ops is domain_ops and not is_dynamic:
                ops = path_ops
                continue
            if is_dynamic:
                converter = self._converters[data]
                if data in defaults:
                    # A variable with a default is always built from that default.
                    ops.append((False, converter.to_url(defaults[data]), None))
                else:
                    ops.append((True, data, converter))
            else:
                ops.append((False, quote(data, safe=_STATIC_SAFE), None))
        self._domain_template = _BuildTemplate(domain_ops)
        self._path_template = _BuildTemplate(path_ops)

    def build(
        self, values: t.Mapping[str, t.Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """Build ``(domain_part, path)`` for ``values``; ``None`` if a converter refuses.

        Values that are not arguments of the rule go to the query string when
        ``append_unknown`` is true.
        """
        assert self._domain_template is not None and self._path_template is not None
        try:
            domain = self._domain_template.render(values)
            path = self._path_template.render(values)
        except ValidationError:
            return None
        if append_unknown:
            arguments = self.arguments
            extra = {key: value for key, value in values.items() if key not in arguments}
            if extra:
                query = self.map._encode_query(extra)
                if query:
                    path = f"{path}?{query}"
        return domain, path

    def provides_defaults_for(self, rule: Rule) -> bool:
        """``True`` if this rule holds the defaults that make ``rule``'s URL non-canonical."""
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self is not rule
            and self.arguments == rule.arguments
        )

    def suitable_for(self, values: t.Mapping[str, t.Any], method: str | None = None) -> bool:
        """``True`` if ``values`` (and ``method``) are enough to build this rule.

        Every argument must be given or have a default, and given values for defaulted keys
        must equal the defaults.
        """
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        for key in self._required:
            if key not in values:
                return False
        defaults = self.defaults
        if defaults:
            for key, value in defaults.items():
                if key in values and values[key] != value:
                    return False
        return True

    def build_compare_key(self) -> tuple[int, int, int]:
        """Sort key for building: non-aliases first, then more arguments, then more defaults."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self._trace == other._trace

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} (unbound)>"
        text = "".join(f"<{data}>" if dynamic else data for dynamic, data in self._trace)
        text = text.lstrip("|")
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods is not None else ""
        return f"<{type(self).__name__} {text!r}{methods} -> {self.endpoint}>"
