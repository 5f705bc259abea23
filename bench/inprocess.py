"""In-process requests per second: Tumbler against its peers on the same scenarios.

Every app is called directly, with no network: WSGI apps with a fresh environ per request, ASGI
apps with a fresh scope and receive/send channel per request, all on one long-lived event loop.
Before any timing, each app's answer to each scenario is checked (status and body); a wrong
answer stops the run. Timing interleaves the cells (framework x scenario) in a shuffled order for
several rounds, and reports the best and median requests per second, and how many times faster
Tumbler (same protocol) is than each cell.

Usage: ``python bench/inprocess.py [--quick] [--scenario hello,json] [--framework flask,bottle]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import io
import json
import random
import sys
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field

from apps import common
from tables import median
from tables import rate
from tables import ratio
from tables import table

WSGI = "wsgi"
ASGI = "asgi"


# -- scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One request every app answers, with the answer it must give."""

    name: str
    description: str
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str | None = None
    status: int = 200
    #: The exact body expected, or None to check ``check_body`` (or only the status).
    expected: bytes | None = None
    check_body: t.Callable[[bytes], bool] | None = None


def _json_matches(body: bytes) -> bool:
    return bool(json.loads(body) == common.JSON_PAYLOAD)


SCENARIOS: list[Scenario] = [
    Scenario("hello", "GET /hello, text", "GET", "/hello", expected=common.HELLO.encode()),
    Scenario(
        "param",
        "GET /items/42, <int> rule last of 100",
        "GET",
        "/items/42",
        expected=common.item_body(42).encode(),
    ),
    Scenario("json", "GET /json, a JSON object", "GET", "/json", check_body=_json_matches),
    Scenario(
        "query",
        "GET /search?q=tumbler&page=3",
        "GET",
        "/search",
        query="q=tumbler&page=3",
        expected=common.search_body("tumbler", 3).encode(),
    ),
    Scenario(
        "form",
        "POST /form, urlencoded",
        "POST",
        "/form",
        body=b"name=Ada+Lovelace&email=ada%40example.com",
        content_type="application/x-www-form-urlencoded",
        expected=common.form_body("Ada Lovelace", "ada@example.com").encode(),
    ),
    Scenario(
        "template",
        "GET /page, Jinja2 loop + escaping",
        "GET",
        "/page",
        expected=common.expected_page().encode(),
    ),
    Scenario("notfound", "GET /missing/page -> 404", "GET", "/missing/page", status=404),
    Scenario("async", "GET /async, async view", "GET", "/async", expected=b"Hello, async!"),
]
SCENARIO_BY_NAME = {s.name: s for s in SCENARIOS}

_COMMON_HEADERS = [
    ("host", "localhost:8000"),
    ("user-agent", "bench/1.0"),
    ("accept", "*/*"),
    ("accept-encoding", "gzip, deflate"),
    ("connection", "keep-alive"),
]


def _headers(scenario: Scenario) -> list[tuple[str, str]]:
    headers = list(_COMMON_HEADERS)
    if scenario.content_type is not None:
        headers.append(("content-type", scenario.content_type))
        headers.append(("content-length", str(len(scenario.body))))
    return headers


# -- frameworks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Framework:
    """A peer (or Tumbler, or a floor): how to load its app and what it serves."""

    name: str
    protocol: str
    module: str
    attribute: str
    #: Scenarios the framework cannot serve (no async views on a WSGI-only framework).
    unsupported: frozenset[str] = field(default_factory=frozenset)
    note: str = ""

    @property
    def baseline(self) -> str:
        """The Tumbler cell this framework's ratio is computed against."""
        return "tumbler-wsgi" if self.protocol == WSGI else "tumbler-asgi"

    def load(self) -> t.Any:
        """Import the app module and return the app."""
        return getattr(importlib.import_module(f"apps.{self.module}"), self.attribute)


FRAMEWORKS: list[Framework] = [
    Framework("bare-wsgi", WSGI, "bare", "wsgi_app", frozenset({"async"}), "floor"),
    Framework("tumbler-wsgi", WSGI, "tumbler_app", "app"),
    Framework("flask", WSGI, "flask_app", "app"),
    Framework("bottle", WSGI, "bottle_app", "app", frozenset({"async"})),
    Framework("falcon-wsgi", WSGI, "falcon_app", "app", frozenset({"async"})),
    Framework("bare-asgi", ASGI, "bare", "asgi_app", note="floor"),
    Framework("tumbler-asgi", ASGI, "tumbler_app", "asgi_app", note="async views"),
    Framework(
        "tumbler-asgi-sync",
        ASGI,
        "tumbler_app",
        "app",
        note="sync views, thread pool (default config)",
    ),
    Framework("falcon-asgi", ASGI, "falcon_app", "asgi_app"),
    Framework("starlette", ASGI, "starlette_app", "app"),
]
FRAMEWORK_BY_NAME = {f.name: f for f in FRAMEWORKS}


# -- WSGI driver -------------------------------------------------------------------------------


def wsgi_environ(scenario: Scenario) -> dict[str, t.Any]:
    """Return the environ a WSGI server would build for ``scenario`` (without ``wsgi.input``)."""
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": scenario.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scenario.path,
        "QUERY_STRING": scenario.query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in _headers(scenario):
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


class _StartResponse:
    __slots__ = ("headers", "status")

    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        self.status = status
        self.headers = headers
        return None


def wsgi_call(app: t.Any, scenario: Scenario) -> tuple[int, bytes]:
    """Make one request and return (status code, body)."""
    environ = wsgi_environ(scenario)
    environ["wsgi.input"] = io.BytesIO(scenario.body)
    start = _StartResponse()
    result = app(environ, start)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(start.status[:3]), body


def _discard_start_response(
    status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
) -> None:
    return None


def wsgi_timed(app: t.Any, scenario: Scenario, n: int) -> float:
    """Make ``n`` requests as a WSGI server would; return the elapsed seconds."""
    template = wsgi_environ(scenario)
    body = scenario.body
    bytes_io = io.BytesIO
    start_response = _discard_start_response
    perf_counter = time.perf_counter
    begin = perf_counter()
    for _ in range(n):
        environ = template.copy()
        environ["wsgi.input"] = bytes_io(body)
        result = app(environ, start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return perf_counter() - begin


# -- ASGI driver -------------------------------------------------------------------------------


def asgi_scope(scenario: Scenario) -> dict[str, t.Any]:
    """Return the scope an ASGI server would build for ``scenario``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": scenario.method,
        "scheme": "http",
        "path": scenario.path,
        "raw_path": scenario.path.encode("ascii"),
        "query_string": scenario.query.encode("ascii"),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in _headers(scenario)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


_DISCONNECT = {"type": "http.disconnect"}


class _Channel:
    """One request's receive/send pair, behaving like a server's.

    The first ``receive`` returns the whole body; a later one waits until the response is
    complete and then reports a disconnect (as uvicorn does), so apps that listen for a
    disconnect neither hang nor see one early.
    """

    __slots__ = ("_finished", "_request", "_waiter", "chunks", "keep", "status")

    def __init__(self, request: dict[str, t.Any], keep: bool) -> None:
        self._request: dict[str, t.Any] | None = request
        self._finished = False
        self._waiter: asyncio.Future[None] | None = None
        self.keep = keep
        self.status = 0
        self.chunks: list[bytes] = []

    async def receive(self) -> dict[str, t.Any]:
        request = self._request
        if request is not None:
            self._request = None
            return request
        if not self._finished:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return _DISCONNECT

    async def send(self, message: dict[str, t.Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body":
            if self.keep:
                self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self._finished = True
                waiter = self._waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)


def _request_message(scenario: Scenario) -> dict[str, t.Any]:
    return {"type": "http.request", "body": scenario.body, "more_body": False}


async def asgi_call(app: t.Any, scenario: Scenario) -> tuple[int, bytes]:
    """Make one request and return (status code, body)."""
    channel = _Channel(_request_message(scenario), keep=True)
    await app(asgi_scope(scenario), channel.receive, channel.send)
    return channel.status, b"".join(channel.chunks)


async def asgi_timed(app: t.Any, scenario: Scenario, n: int) -> float:
    """Make ``n`` requests as an ASGI server would; return the elapsed seconds."""
    template = asgi_scope(scenario)
    body = scenario.body
    channel_class = _Channel
    perf_counter = time.perf_counter
    begin = perf_counter()
    for _ in range(n):
        channel = channel_class({"type": "http.request", "body": body, "more_body": False}, False)
        scope = template.copy()
        scope["state"] = {}
        await app(scope, channel.receive, channel.send)
    return perf_counter() - begin


class Lifespan:
    """Run an ASGI app's lifespan protocol on the benchmark loop, as uvicorn's ``auto`` mode does.

    An app that raises on the lifespan scope is taken to not support it.
    """

    def __init__(self, app: t.Any, loop: asyncio.AbstractEventLoop) -> None:
        self._app = app
        self._loop = loop
        self._inbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        try:
            await self._app(scope, self._inbox.get, self._outbox.put)
        except Exception:
            await self._outbox.put({"type": "unsupported"})

    async def _exchange(self, message: str) -> None:
        await self._inbox.put({"type": message})
        reply = await asyncio.wait_for(self._outbox.get(), 10)
        if reply["type"].endswith(".failed"):
            raise RuntimeError(f"lifespan {message} failed: {reply}")

    def startup(self) -> None:
        """Start the lifespan task and wait for ``lifespan.startup.complete``."""

        async def start() -> None:
            self._task = asyncio.ensure_future(self._run())
            await self._exchange("lifespan.startup")

        self._loop.run_until_complete(start())

    def shutdown(self) -> None:
        """Send ``lifespan.shutdown`` and wait for the app to finish."""
        task = self._task
        if task is None or task.done():
            return

        async def stop() -> None:
            await self._exchange("lifespan.shutdown")
            await asyncio.wait_for(task, 10)

        self._loop.run_until_complete(stop())


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Cell:
    """A framework answering a scenario, with its samples (requests per second)."""

    framework: Framework
    scenario: Scenario
    app: t.Any
    n: int = 0
    samples: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """The best sample."""
        return max(self.samples)

    @property
    def median(self) -> float:
        """The median sample."""
        return median(self.samples)


class Runner:
    """Checks and times cells, driving ASGI apps on one long-lived event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self._lifespans: list[Lifespan] = []

    def close(self) -> None:
        """Shut ASGI apps down and close the loop."""
        for lifespan in self._lifespans:
            lifespan.shutdown()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    def load(self, framework: Framework) -> t.Any:
        """Import a framework's app (starting its lifespan when it is an ASGI app)."""
        app = framework.load()
        if framework.protocol == ASGI and not any(lf._app is app for lf in self._lifespans):
            lifespan = Lifespan(app, self.loop)
            lifespan.startup()
            self._lifespans.append(lifespan)
        return app

    def call(self, cell: Cell) -> tuple[int, bytes]:
        """Make one request for ``cell``; return (status, body)."""
        if cell.framework.protocol == WSGI:
            return wsgi_call(cell.app, cell.scenario)
        return self.loop.run_until_complete(asgi_call(cell.app, cell.scenario))

    def timed(self, cell: Cell, n: int) -> float:
        """Make ``n`` requests for ``cell``; return the elapsed seconds."""
        if cell.framework.protocol == WSGI:
            return wsgi_timed(cell.app, cell.scenario, n)
        return self.loop.run_until_complete(asgi_timed(cell.app, cell.scenario, n))

    def check(self, cell: Cell) -> None:
        """Fail loudly unless the cell answers its scenario correctly (twice, to catch state)."""
        scenario = cell.scenario
        for _ in range(2):
            status, body = self.call(cell)
            ok = status == scenario.status
            if ok and scenario.expected is not None:
                ok = body == scenario.expected
            elif ok and scenario.check_body is not None:
                ok = scenario.check_body(body)
            if not ok:
                raise SystemExit(
                    f"{cell.framework.name} answered {scenario.name} wrongly: status {status},"
                    f" body {body[:300]!r} (expected {scenario.status},"
                    f" {(scenario.expected or b'')[:300]!r})"
                )

    def calibrate(self, cell: Cell, sample_seconds: float) -> None:
        """Choose the request count that makes one sample last about ``sample_seconds``."""
        n = 16
        while True:
            elapsed = self.timed(cell, n)
            if elapsed >= 0.02 or n >= 1 << 20:
                break
            n *= 4
        cell.n = max(16, int(n * sample_seconds / elapsed))


def run(
    frameworks: list[Framework],
    scenarios: list[Scenario],
    rounds: int,
    sample_seconds: float,
    seed: int,
) -> list[Cell]:
    """Check and time every supported (framework, scenario) cell; return the cells."""
    runner = Runner()
    try:
        cells: list[Cell] = []
        for framework in frameworks:
            app = runner.load(framework)
            for scenario in scenarios:
                if scenario.name not in framework.unsupported:
                    cells.append(Cell(framework, scenario, app))
        for cell in cells:
            runner.check(cell)
        print(f"checked {len(cells)} cells: every answer is right", file=sys.stderr)
        for cell in cells:
            runner.calibrate(cell, sample_seconds)
        rng = random.Random(seed)
        for round_no in range(rounds):
            order = list(cells)
            rng.shuffle(order)
            for cell in order:
                gc.collect()
                elapsed = runner.timed(cell, cell.n)
                cell.samples.append(cell.n / elapsed)
            print(f"round {round_no + 1}/{rounds} done", file=sys.stderr)
        return cells
    finally:
        runner.close()


# -- reporting ---------------------------------------------------------------------------------


def _index(cells: list[Cell]) -> dict[tuple[str, str], Cell]:
    return {(c.framework.name, c.scenario.name): c for c in cells}


def speedup(
    cells: dict[tuple[str, str], Cell], framework: Framework, scenario: str, stat: str = "best"
) -> float | None:
    """Return Tumbler's rate over ``framework``'s (same protocol) for ``scenario``.

    :param stat: ``"best"`` (the least disturbed sample, as timeit advises) or ``"median"``.
    """
    cell = cells.get((framework.name, scenario))
    base = cells.get((framework.baseline, scenario))
    if cell is None or base is None:
        return None
    return float(getattr(base, stat) / getattr(cell, stat))


def report(cells: list[Cell], frameworks: list[Framework], scenarios: list[Scenario]) -> str:
    """Return the result tables: one per scenario, a summary matrix, and the targets."""
    index = _index(cells)
    parts = [
        "Requests per second, in process (higher is better). `tumbler/x` is Tumbler's rate over"
        " this framework's on the same protocol (tumbler-wsgi for WSGI apps, tumbler-asgi for"
        " ASGI apps), from the best samples and from the medians: above 1.00x Tumbler is faster."
    ]
    for scenario in scenarios:
        rows = []
        for framework in frameworks:
            cell = index.get((framework.name, scenario.name))
            if cell is None:
                continue
            rows.append(
                [
                    framework.name,
                    framework.protocol,
                    rate(cell.best),
                    rate(cell.median),
                    ratio(speedup(index, framework, scenario.name)),
                    ratio(speedup(index, framework, scenario.name, "median")),
                ]
            )
        if rows:
            parts.append(f"### {scenario.name}: {scenario.description}")
            headers = ["framework", "proto", "best", "median", "tumbler/x best", "tumbler/x median"]
            parts.append(table(headers, rows, "ll"))
    summary_rows = []
    for scenario in scenarios:
        row = [scenario.name]
        for framework in frameworks:
            row.append(ratio(speedup(index, framework, scenario.name)))
        summary_rows.append(row)
    parts.append("### Summary: tumbler/x per scenario (best samples)")
    parts.append(table(["scenario", *[f.name for f in frameworks]], summary_rows))
    parts.append("### Targets (judged on the best samples)")
    parts.append(targets(index, scenarios))
    return "\n\n".join(parts)


def targets(index: dict[tuple[str, str], Cell], scenarios: list[Scenario]) -> str:
    """Return the issue's in-process targets as a table, each marked met or not."""
    rows = []

    def add(name: str, mine: Cell, other: Cell, goal: str, ok: t.Callable[[float], bool]) -> None:
        best = mine.best / other.best
        med = mine.median / other.median
        rows.append([name, ratio(best), ratio(med), goal, "met" if ok(best) else "NOT met"])

    for peer, base in (("falcon-wsgi", "tumbler-wsgi"), ("falcon-asgi", "tumbler-asgi")):
        for scenario in scenarios:
            cell = index.get((peer, scenario.name))
            mine = index.get((base, scenario.name))
            if cell is not None and mine is not None:
                add(f"{base} >= {peer}: {scenario.name}", mine, cell, ">= 1.00x", lambda v: v >= 1)
    flask = index.get(("flask", "hello"))
    wsgi_hello = index.get(("tumbler-wsgi", "hello"))
    if flask is not None and wsgi_hello is not None:
        add("tumbler-wsgi >= 10x flask: hello", wsgi_hello, flask, ">= 10.00x", lambda v: v >= 10)
    async_cell = index.get(("tumbler-asgi", "async"))
    if async_cell is not None and wsgi_hello is not None:
        # A cost is time per request, the inverse of a rate.
        add(
            "cost of async view over ASGI / sync view over WSGI",
            wsgi_hello,
            async_cell,
            "<= 1.20x",
            lambda v: v <= 1.2,
        )
    if not rows:
        return "(no target cells were run)"
    return table(["target", "best", "median", "goal", "verdict"], rows, "l")


def results_json(cells: list[Cell]) -> list[dict[str, t.Any]]:
    """Return the raw samples, for saving with ``--json``."""
    return [
        {
            "framework": c.framework.name,
            "scenario": c.scenario.name,
            "requests_per_sample": c.n,
            "samples": c.samples,
            "best": c.best,
            "median": c.median,
        }
        for c in cells
    ]


def _pick(names: str | None, known: dict[str, t.Any], what: str) -> list[t.Any]:
    if not names:
        return list(known.values())
    picked = []
    for name in names.split(","):
        name = name.strip()
        if name not in known:
            raise SystemExit(f"unknown {what} {name!r}; choose from {', '.join(known)}")
        picked.append(known[name])
    return picked


def main(argv: list[str] | None = None) -> None:
    """Parse options, run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 short rounds (a smoke run)")
    parser.add_argument("--scenario", help=f"comma list of: {', '.join(SCENARIO_BY_NAME)}")
    parser.add_argument("--framework", help=f"comma list of: {', '.join(FRAMEWORK_BY_NAME)}")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 7, quick 2)")
    parser.add_argument("--sample", type=float, help="seconds per sample (default 0.15)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the interleaving order")
    parser.add_argument("--json", metavar="FILE", help="also write the raw samples to FILE")
    args = parser.parse_args(argv)
    frameworks = _pick(args.framework, FRAMEWORK_BY_NAME, "framework")
    scenarios = _pick(args.scenario, SCENARIO_BY_NAME, "scenario")
    rounds = args.rounds or (2 if args.quick else 7)
    sample = args.sample or (0.03 if args.quick else 0.15)
    print(
        f"Python {sys.version.split()[0]}; {rounds} rounds of ~{sample:.2f} s per cell",
        file=sys.stderr,
    )
    cells = run(frameworks, scenarios, rounds, sample, args.seed)
    print(report(cells, frameworks, scenarios))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results_json(cells), f, indent=1)


if __name__ == "__main__":
    main()
