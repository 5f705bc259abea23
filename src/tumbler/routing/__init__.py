"""URL routing: rules, converters, matching and URL building (``werkzeug.routing``'s API).

Rules are compiled once into a matcher whose cost follows the path depth, not the number of
rules: static paths are a single dict lookup, dynamic paths walk a segment trie. Building
uses a template precomputed per rule.

    >>> url_map = Map([Rule("/", endpoint="index"), Rule("/user/<int:id>", endpoint="user")])
    >>> adapter = url_map.bind("example.com")
    >>> adapter.match("/user/42")
    ('user', {'id': 42})
    >>> adapter.build("user", {"id": 7, "tab": "posts"})
    '/user/7?tab=posts'
"""

from .adapter import MapAdapter as MapAdapter
from .converters import DEFAULT_CONVERTERS as DEFAULT_CONVERTERS
from .converters import AnyConverter as AnyConverter
from .converters import BaseConverter as BaseConverter
from .converters import FloatConverter as FloatConverter
from .converters import IntegerConverter as IntegerConverter
from .converters import NumberConverter as NumberConverter
from .converters import PathConverter as PathConverter
from .converters import UnicodeConverter as UnicodeConverter
from .converters import UUIDConverter as UUIDConverter
from .converters import ValidationError as ValidationError
from .exceptions import BuildError as BuildError
from .exceptions import NoMatch as NoMatch
from .exceptions import RequestAliasRedirect as RequestAliasRedirect
from .exceptions import RequestPath as RequestPath
from .exceptions import RequestRedirect as RequestRedirect
from .exceptions import RoutingException as RoutingException
from .exceptions import WebsocketMismatch as WebsocketMismatch
from .factories import EndpointPrefix as EndpointPrefix
from .factories import RuleTemplate as RuleTemplate
from .factories import RuleTemplateFactory as RuleTemplateFactory
from .factories import Subdomain as Subdomain
from .factories import Submount as Submount
from .map import Map as Map
from .rules import Rule as Rule
from .rules import RuleFactory as RuleFactory
from .rules import parse_converter_args as parse_converter_args

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "EndpointPrefix",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "NoMatch",
    "NumberConverter",
    "PathConverter",
    "RequestAliasRedirect",
    "RequestPath",
    "RequestRedirect",
    "RoutingException",
    "Rule",
    "RuleFactory",
    "RuleTemplate",
    "RuleTemplateFactory",
    "Subdomain",
    "Submount",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "WebsocketMismatch",
    "parse_converter_args",
]
