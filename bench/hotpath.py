"""Profile Tumbler's hot path (cProfile) for one scenario over WSGI and over ASGI.

Drives the same apps and requests as ``inprocess.py`` and prints the functions with the most
own time, so the per-request work the pipeline does is visible function by function.

Usage: ``python bench/hotpath.py [--scenario hello] [--requests 20000] [--top 30]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats

import inprocess


def profile(framework: str, scenario_name: str, requests: int, top: int, sort: str) -> str:
    """Profile ``requests`` requests of ``framework`` answering the scenario; return the stats."""
    spec = inprocess.FRAMEWORK_BY_NAME[framework]
    scenario = inprocess.SCENARIO_BY_NAME[scenario_name]
    runner = inprocess.Runner()
    try:
        cell = inprocess.Cell(spec, scenario, runner.load(spec))
        runner.check(cell)
        runner.timed(cell, 500)  # warm caches and lazily compiled routers first
        profiler = cProfile.Profile()
        profiler.enable()
        runner.timed(cell, requests)
        profiler.disable()
    finally:
        runner.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    """Parse options and print the profiles."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="hello")
    parser.add_argument(
        "--framework", default="tumbler-wsgi,tumbler-asgi", help="comma list of frameworks"
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    args = parser.parse_args(argv)
    for framework in args.framework.split(","):
        print(f"## {framework}: {args.scenario}, {args.requests} requests\n")
        print(profile(framework, args.scenario, args.requests, args.top, args.sort))


if __name__ == "__main__":
    main()
