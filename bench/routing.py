"""Route lookup cost as the number of rules grows: Tumbler's router against its peers'.

For 10, 100, 1,000 and 10,000 rules, static (``/api/v1/res<i>/list``) and dynamic
(``/api/v1/res<i>/<int:item_id>``), the looked-up rule is the one registered last. Each router
is used the way its framework uses it per request:

- Tumbler: ``tumbler.routing.Map`` bound once, ``MapAdapter.match(path, "GET")``;
- Werkzeug (Flask): ``werkzeug.routing.Map`` bound once, ``MapAdapter.match(path, "GET")``;
- Bottle: ``bottle.Router.match(environ)``;
- Falcon: ``falcon.routing.CompiledRouter.find(path)``;
- Starlette: the loop ``Router`` runs, ``route.matches(scope)`` until a full match.

Each lookup's answer is checked before timing. Prints microseconds per lookup and the growth
from 10 to 10,000 rules. Usage: ``python bench/routing.py [--quick] [--router tumbler,bottle]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

from tables import ratio
from tables import table

SIZES = (10, 100, 1_000, 10_000)
KINDS = ("static", "dynamic")
ITEM_ID = 4242


def static_rule(i: int) -> str:
    """The i-th static rule's path."""
    return f"/api/v1/res{i}/list"


def dynamic_prefix(i: int) -> str:
    """The i-th dynamic rule's path before its parameter."""
    return f"/api/v1/res{i}/"


def lookup_path(kind: str, size: int) -> str:
    """The path that matches the last-registered rule of ``kind`` among ``size``."""
    last = size - 1
    return static_rule(last) if kind == "static" else f"{dynamic_prefix(last)}{ITEM_ID}"


@dataclass
class Lookup:
    """A ready router: call ``fn(*args)`` once per lookup; ``check`` validates its result."""

    fn: Callable[..., t.Any]
    args: tuple[t.Any, ...]
    check: Callable[[t.Any], bool]


def _expect_endpoint(kind: str, size: int) -> tuple[str, dict[str, t.Any]]:
    endpoint = f"e{size - 1}"
    return endpoint, ({} if kind == "static" else {"item_id": ITEM_ID})


def build_map_router(module: t.Any, kind: str, size: int) -> Lookup:
    """Tumbler's or Werkzeug's Map (same API), bound once as Flask's request context does."""
    rules = []
    for i in range(size):
        path = static_rule(i) if kind == "static" else f"{dynamic_prefix(i)}<int:item_id>"
        rules.append(module.Rule(path, endpoint=f"e{i}", methods=["GET"]))
    adapter = module.Map(rules).bind("localhost")
    expected = _expect_endpoint(kind, size)
    return Lookup(adapter.match, (lookup_path(kind, size), "GET"), lambda rv: rv == expected)


def build_tumbler(kind: str, size: int) -> Lookup:
    """Tumbler's router."""
    import tumbler.routing

    return build_map_router(tumbler.routing, kind, size)


def build_werkzeug(kind: str, size: int) -> Lookup:
    """Werkzeug's router, as Flask uses it."""
    import werkzeug.routing

    return build_map_router(werkzeug.routing, kind, size)


def build_bottle(kind: str, size: int) -> Lookup:
    """Bottle's Router."""
    import bottle

    router = bottle.Router()
    for i in range(size):
        path = static_rule(i) if kind == "static" else f"{dynamic_prefix(i)}<item_id:int>"
        router.add(path, "GET", f"e{i}")
    environ = {"PATH_INFO": lookup_path(kind, size), "REQUEST_METHOD": "GET"}
    expected = _expect_endpoint(kind, size)
    return Lookup(router.match, (environ,), lambda rv: (rv[0], rv[1]) == expected)


class _FalconResource:
    def __init__(self, name: str) -> None:
        self.name = name

    def on_get(self, req: t.Any, resp: t.Any, **params: t.Any) -> None:
        """GET responder (never called: only the route lookup is measured)."""


def build_falcon(kind: str, size: int) -> Lookup:
    """Falcon's CompiledRouter (compiled on the first lookup)."""
    from falcon.routing import CompiledRouter

    router = CompiledRouter()
    for i in range(size):
        path = static_rule(i) if kind == "static" else f"{dynamic_prefix(i)}{{item_id:int}}"
        router.add_route(path, _FalconResource(f"e{i}"))
    expected = _expect_endpoint(kind, size)

    def check(rv: t.Any) -> bool:
        return rv is not None and (rv[0].name, rv[2]) == expected

    return Lookup(router.find, (lookup_path(kind, size),), check)


def build_starlette(kind: str, size: int) -> Lookup:
    """Starlette's Router matching: the first route whose ``matches`` is a full match."""
    from starlette.routing import Match
    from starlette.routing import Route

    async def endpoint(request: t.Any) -> None:
        """Never called: only the route lookup is measured."""

    routes = []
    for i in range(size):
        path = static_rule(i) if kind == "static" else f"{dynamic_prefix(i)}{{item_id:int}}"
        routes.append(Route(path, endpoint, name=f"e{i}"))
    scope = {"type": "http", "path": lookup_path(kind, size), "root_path": "", "method": "GET"}
    full = Match.FULL

    def match(scope: dict[str, t.Any]) -> t.Any:
        for route in routes:
            result, child_scope = route.matches(scope)
            if result is full:
                return route.name, child_scope["path_params"]
        return None

    expected = _expect_endpoint(kind, size)
    return Lookup(match, (scope,), lambda rv: rv == expected)


ROUTERS: dict[str, Callable[[str, int], Lookup]] = {
    "tumbler": build_tumbler,
    "werkzeug": build_werkzeug,
    "bottle": build_bottle,
    "falcon": build_falcon,
    "starlette": build_starlette,
}


def _loop(fn: Callable[..., t.Any], args: tuple[t.Any, ...], n: int) -> float:
    perf_counter = time.perf_counter
    begin = perf_counter()
    for _ in range(n):
        fn(*args)
    return perf_counter() - begin


def measure(lookup: Lookup, repeats: int, sample_seconds: float) -> float:
    """Return the best seconds per lookup over ``repeats`` samples."""
    result = lookup.fn(*lookup.args)
    if not lookup.check(result):
        raise SystemExit(f"wrong lookup result: {result!r}")
    n = 64
    while (elapsed := _loop(lookup.fn, lookup.args, n)) < 0.01:
        n *= 4
    n = max(64, int(n * sample_seconds / elapsed))
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        best = min(best, _loop(lookup.fn, lookup.args, n) / n)
    return best


def run(
    routers: list[str], sizes: tuple[int, ...], repeats: int, sample_seconds: float
) -> tuple[dict[tuple[str, str, int], float], dict[tuple[str, str], float]]:
    """Measure every (router, kind, size).

    :return: seconds per lookup by (router, kind, size), and the setup seconds (adding the
        rules and the first lookup, which compiles lazily compiled routers) at the largest size
        by (router, kind).
    """
    results: dict[tuple[str, str, int], float] = {}
    setup: dict[tuple[str, str], float] = {}
    for name in routers:
        for kind in KINDS:
            for size in sizes:
                begin = time.perf_counter()
                lookup = ROUTERS[name](kind, size)
                lookup.fn(*lookup.args)
                setup[(name, kind)] = time.perf_counter() - begin
                results[(name, kind, size)] = measure(lookup, repeats, sample_seconds)
            print(f"{name} {kind} done", file=sys.stderr)
    return results, setup


def report(
    results: dict[tuple[str, str, int], float],
    setup: dict[tuple[str, str], float],
    routers: list[str],
    sizes: tuple[int, ...],
) -> str:
    """Return the lookup-cost table and the growth target's verdict."""
    first, last = sizes[0], sizes[-1]
    rows = []
    for name in routers:
        for kind in KINDS:
            costs = [results[(name, kind, size)] for size in sizes]
            rows.append(
                [
                    name,
                    kind,
                    *[f"{c * 1e6:.2f}" for c in costs],
                    ratio(costs[-1] / costs[0]),
                    f"{setup[(name, kind)]:.2f}",
                ]
            )
    headers = [
        "router",
        "kind",
        *[f"{s:,} rules (us)" for s in sizes],
        f"growth {first:,}->{last:,}",
        f"setup at {last:,} (s)",
    ]
    parts = [
        "Route lookup cost, microseconds per lookup (best of the repeats; lower is better)."
        " Setup is adding the rules plus the first lookup (when routers compile lazily).",
        table(headers, rows, "ll"),
    ]
    if "tumbler" in routers:
        verdicts = []
        for kind in KINDS:
            growth = results[("tumbler", kind, last)] / results[("tumbler", kind, first)]
            met = "met" if growth <= 1.5 else "NOT met"
            verdicts.append(
                [f"tumbler {kind} growth {first:,} -> {last:,}", ratio(growth), "<= 1.50x", met]
            )
        parts.append(table(["target", "value", "goal", "verdict"], verdicts, "l"))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Parse options, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer, shorter samples, up to 1,000 rules"
    )
    parser.add_argument("--router", help=f"comma list of: {', '.join(ROUTERS)}")
    parser.add_argument(
        "--max-rules",
        type=int,
        help="largest rule count (default 10,000; quick 1,000): adding 10,000 dynamic rules"
        " takes minutes in Bottle and Falcon",
    )
    args = parser.parse_args(argv)
    routers = args.router.split(",") if args.router else list(ROUTERS)
    for name in routers:
        if name not in ROUTERS:
            raise SystemExit(f"unknown router {name!r}; choose from {', '.join(ROUTERS)}")
    max_rules = args.max_rules or (1_000 if args.quick else SIZES[-1])
    sizes = tuple(s for s in SIZES if s <= max_rules)
    if len(sizes) < 2:
        raise SystemExit(f"--max-rules must be at least {SIZES[1]}")
    repeats, sample = (3, 0.02) if args.quick else (7, 0.1)
    results, setup = run(routers, sizes, repeats, sample)
    print(report(results, setup, routers, sizes))


if __name__ == "__main__":
    main()
