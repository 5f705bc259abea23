"""Import cost: ``import tumbler`` against ``import flask`` (and the peers), best of N runs.

Each import runs in a fresh interpreter. Two numbers per module: the cumulative time Python's
``-X importtime`` reports for it (the import alone), and the wall time of the whole interpreter
run less an empty run's (what a CLI or a worker start pays). The heaviest imports under Tumbler
are listed too, to show where its import time goes.

Usage: ``python bench/importtime.py [--runs 9]``
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from tables import ratio
from tables import table

MODULES = ("tumbler", "flask", "bottle", "falcon", "starlette.applications")
_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")

# Every module is imported from bytecode, as an installed package is: pip compiles the peers'
# .pyc files at install time, while Tumbler is installed editable and a PYTHONDONTWRITEBYTECODE
# environment would make it compile its sources on every run (measured: ~80 ms of the total).
# The bytecode goes to a private cache directory, not into the source tree.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "tumbler-bench-pycache")


def importtime(module: str) -> tuple[float, dict[str, tuple[float, float]]]:
    """Import ``module`` in a fresh interpreter under ``-X importtime``.

    :return: the module's cumulative import seconds, and every imported module's (self,
        cumulative) seconds by name.
    """
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    )
    cumulative: dict[str, tuple[float, float]] = {}
    top = 0.0
    for line in proc.stderr.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        seconds = int(match.group(2)) / 1e6
        name = match.group(4)
        cumulative[name] = (int(match.group(1)) / 1e6, seconds)
        if name == module:
            top = seconds
    if not top:
        raise SystemExit(f"{module} was not imported:\n{proc.stderr[-2000:]}")
    return top, cumulative


def wall(code: str) -> float:
    """Return the wall seconds of ``python -c code`` in a fresh interpreter."""
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_ENV)
    return time.perf_counter() - begin


def main(argv: list[str] | None = None) -> None:
    """Measure and print the import table, the target verdict and Tumbler's heaviest imports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per module (best is kept)")
    parser.add_argument("--quick", action="store_true", help="3 runs per module")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    for module in MODULES:
        wall(f"import {module}")  # fills the bytecode cache before anything is timed
    empty = min(wall("pass") for _ in range(runs))
    best: dict[str, float] = {}
    best_wall: dict[str, float] = {}
    breakdown: dict[str, tuple[float, float]] = {}
    flask_modules: set[str] = set()
    for _ in range(runs):
        # Interleaved, so a busy moment on the machine does not favour one module.
        for module in MODULES:
            seconds, cumulative = importtime(module)
            if seconds < best.get(module, float("inf")):
                best[module] = seconds
                if module == "tumbler":
                    breakdown = cumulative
            if module == "flask":
                flask_modules.update(cumulative)
            best_wall[module] = min(
                best_wall.get(module, float("inf")), wall(f"import {module}") - empty
            )
    rows = [
        [m, f"{best[m] * 1e3:.1f}", f"{best_wall[m] * 1e3:.1f}", ratio(best[m] / best["tumbler"])]
        for m in MODULES
    ]
    print(f"Import time, best of {runs} fresh interpreters (milliseconds; lower is better).")
    print()
    print(table(["module", "-X importtime", "wall - empty run", "x/tumbler"], rows, "l"))
    print()
    value = best["tumbler"] / best["flask"]
    verdict = "met" if value <= 1.0 else "NOT met"
    print(
        table(
            ["target", "value", "goal", "verdict"],
            [["import tumbler / import flask", ratio(value), "<= 1.00x", verdict]],
            "l",
        )
    )
    print()
    heavy = sorted(((v[0], n) for n, v in breakdown.items()), reverse=True)[:15]
    print("Modules with the most self time in `import tumbler` (ms):")
    print()
    print(table(["module", "self ms", "cumulative ms"], _rows(heavy, breakdown), "l"))
    print()
    extra = sorted(
        ((v[1], n) for n, v in breakdown.items() if n not in flask_modules and "." not in n),
        reverse=True,
    )[:10]
    print("Top-level modules `import tumbler` loads that `import flask` does not (ms):")
    print()
    print(table(["module", "self ms", "cumulative ms"], _rows(extra, breakdown), "l"))


def _rows(
    picked: list[tuple[float, str]], breakdown: dict[str, tuple[float, float]]
) -> list[list[str]]:
    return [
        [name, f"{breakdown[name][0] * 1e3:.1f}", f"{breakdown[name][1] * 1e3:.1f}"]
        for _, name in picked
    ]


if __name__ == "__main__":
    main()
