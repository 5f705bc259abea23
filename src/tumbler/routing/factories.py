"""Rule factories: add a subdomain, a path prefix or an endpoint prefix to groups of rules,
or stamp out rules from templates."""

from __future__ import annotations

import typing as t
from string import Template

from .rules import Rule
from .rules import RuleFactory

if t.TYPE_CHECKING:
    from .map import Map


class Subdomain(RuleFactory):
    """Put every rule of ``rules`` on the subdomain ``subdomain`` (may contain converters).

    :param subdomain: a subdomain rule string such as ``"<user>"`` or ``"api"``.
    :param rules: rules or rule factories.
    """

    def __init__(self, subdomain: str, rules: t.Iterable[RuleFactory]) -> None:
        self.subdomain = subdomain
        self.rules = rules

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        """Yield unbound copies of the inner rules with the subdomain set."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                rule = rule.empty()
                rule.subdomain = self.subdomain
                yield rule


class Submount(RuleFactory):
    """Prefix every rule of ``rules`` with the path ``path`` (e.g. ``"/blog"``).

    :param path: the path prefix; a trailing slash is ignored.
    :param rules: rules or rule factories.
    """

    def __init__(self, path: str, rules: t.Iterable[RuleFactory]) -> None:
        self.path = path.rstrip("/")
        self.rules = rules

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        """Yield unbound copies of the inner rules with the prefix added."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                rule = rule.empty()
                rule.rule = self.path + rule.rule
                yield rule


class EndpointPrefix(RuleFactory):
    """Prefix the (string) endpoint of every rule of ``rules`` with ``prefix``.

    :param prefix: the text put before each endpoint name.
    :param rules: rules or rule factories.
    """

    def __init__(self, prefix: str, rules: t.Iterable[RuleFactory]) -> None:
        self.prefix = prefix
        self.rules = rules

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        """Yield unbound copies of the inner rules with prefixed endpoints."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                rule = rule.empty()
                rule.endpoint = self.prefix + rule.endpoint
                yield rule


class RuleTemplate:
    """Rules with ``$name`` placeholders, filled in when the template is called.

    ``resource = RuleTemplate([Rule("/$name/", endpoint="$name.list")])`` then
    ``Map([resource(name="user")])``.

    :param rules: the template rules.
    """

    def __init__(self, rules: t.Iterable[Rule]) -> None:
        self.rules = list(rules)

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> RuleTemplateFactory:
        """Return a factory producing the rules with the placeholders substituted."""
        return RuleTemplateFactory(self.rules, dict(*args, **kwargs))


class RuleTemplateFactory(RuleFactory):
    """The factory returned by calling a :class:`RuleTemplate`."""

    def __init__(self, rules: t.Iterable[RuleFactory], context: dict[str, t.Any]) -> None:
        self.rules = rules
        self.context = context

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        """Yield new rules with ``$name`` placeholders replaced from the context."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                defaults = None
                if rule.defaults:
                    defaults = {
                        key: Template(value).substitute(self.context)
                        if isinstance(value, str)
                        else value
                        for key, value in rule.defaults.items()
                    }
                subdomain = None
                if rule.subdomain is not None:
                    subdomain = Template(rule.subdomain).substitute(self.context)
                endpoint = rule.endpoint
                if isinstance(endpoint, str):
                    endpoint = Template(endpoint).substitute(self.context)
                yield Rule(
                    Template(rule.rule).substitute(self.context),
                    defaults,
                    subdomain,
                    rule.methods,
                    rule.build_only,
                    endpoint,
                    rule.strict_slashes,
                )
