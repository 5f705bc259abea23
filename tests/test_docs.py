"""The documentation cannot rot: every code sample in docs/*.md runs here.

How a page's fenced blocks are treated, in page order:

* A block with ``title="some/path"`` in its fence is written to that path inside a scratch
  folder (the current directory while the page runs), whatever its language; that is how a page
  shows a template or a module that later samples import.
* A ``python`` block is executed in a namespace shared by the blocks before it on the same page,
  the way a reader follows a page top to bottom. Assertions inside the samples check what the
  text claims. A titled block named ``test_*.py`` is run with pytest in a subprocess instead.
* A ``python`` block made only of ``--8<-- "path"`` lines (quoting a project file, such as the
  example blog in the tutorial) must name files that exist and compile.
* A block right after a ``<!-- no-test -->`` line is skipped; the docs use that only for
  samples that start a server.

The tests also check that the API reference covers every public name and module, and that the
context-locals guide quotes the exact error messages users can meet.

This file reads Markdown only; it does not need MkDocs (``make docs`` builds the site).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "tumbler"

_FENCE_OPEN = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_TITLE = re.compile(r"""title=["']([^"']+)["']""")
_SNIPPET = re.compile(r"""^\s*--8<--\s+["']([^"']+)["']\s*$""")
_NO_TEST = "<!-- no-test -->"


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    lang: str
    title: str | None
    code: str
    skipped: bool

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(DOCS).as_posix()}:{self.line}"


def parse_blocks(page: Path) -> list[Block]:
    """Return the fenced blocks of ``page`` in order, with their language, title and skip mark."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info")
        lang = info.split()[0].lstrip("{.").rstrip("}") if info.split() else ""
        title_match = _TITLE.search(info)
        start = i
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"{page}:{start + 1}: unclosed code fence")
        i += 1
        indent = len(m.group("indent"))
        code = "\n".join(line[indent:] if line[:indent].isspace() else line for line in body)
        blocks.append(
            Block(
                page=page,
                line=start + 1,
                lang=lang.lower(),
                title=title_match.group(1) if title_match else None,
                code=code + "\n",
                skipped=prev == _NO_TEST,
            )
        )
    return blocks


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_ext" not in p.parts)


def _python_blocks() -> list[Block]:
    return [
        b
        for page in _pages()
        for b in parse_blocks(page)
        if b.lang in ("python", "py", "pycon") and not b.skipped
    ]


def _is_include(block: Block) -> bool:
    lines = [line for line in block.code.splitlines() if line.strip()]
    return bool(lines) and all(_SNIPPET.match(line) for line in lines)


def _write_titled(block: Block, where: Path) -> None:
    assert block.title is not None
    target = (where / block.title).resolve()
    assert target.is_relative_to(where.resolve()), f"{block.id}: title escapes the scratch folder"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(block.code, encoding="utf-8")


def _run_pytest_file(block: Block, where: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(where), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", block.title or ""],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{block.id}: the sample's tests failed\n{result.stdout}"


# The tutorial's samples import the example blog, as they would when run from its folder.
EXAMPLE_BLOG = ROOT / "examples" / "blog"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Path]:
    """A scratch folder that is the cwd and on sys.path (with the example blog after it).

    Modules imported from the scratch folder or the examples are unloaded afterwards, so each
    test imports fresh copies.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(EXAMPLE_BLOG))
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    roots = (str(tmp_path), str(ROOT / "examples"))
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if module is not None and str(getattr(module, "__file__", "") or "").startswith(roots):
            del sys.modules[name]


def _run_page_until(block: Block, where: Path) -> None:
    """Run every block of ``block``'s page up to and including ``block``, as a reader would."""
    namespace: dict[str, t.Any] = {"__name__": "docs_sample"}
    for current in parse_blocks(block.page):
        if current.line > block.line:
            break
        if current.title is not None and not _is_include(current):
            # A quoted project file stays where it is (the example is importable as it is).
            _write_titled(current, where)
        if current.lang not in ("python", "py") or current.skipped or _is_include(current):
            continue
        if current.title is not None and Path(current.title).name.startswith("test_"):
            if current.line == block.line:
                _run_pytest_file(current, where)
            continue
        code = compile(current.code, f"{current.id}", "exec")
        try:
            exec(code, namespace)
        except Exception as e:
            if current.line == block.line:
                raise
            raise AssertionError(f"an earlier sample, {current.id}, failed: {e!r}") from e


BLOCKS = _python_blocks()


def test_docs_have_python_samples() -> None:
    assert len(BLOCKS) > 30


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_doc_sample_runs(block: Block, sandbox: Path) -> None:
    if _is_include(block):
        for line in block.code.splitlines():
            m = _SNIPPET.match(line)
            if m is None:
                continue
            path = ROOT / m.group(1)
            assert path.is_file(), f"{block.id}: quoted file {m.group(1)} does not exist"
            if path.suffix == ".py":
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
        return
    assert "--8<--" not in block.code, f"{block.id}: mixes quoted files and code"
    _run_page_until(block, sandbox)


def test_no_test_marker_is_used_only_sparingly() -> None:
    skipped = [
        b for page in _pages() for b in parse_blocks(page) if b.skipped and b.lang == "python"
    ]
    assert len(skipped) <= 5, [b.id for b in skipped]


# -- the API reference covers every public name ----------------------------------------------

_DIRECTIVE = re.compile(r"^:::\s*(\S+)\s*$")
_MEMBERS = re.compile(r"^\s+members:\s*\[(.*)\]\s*$")


def _api_directives() -> dict[str, set[str] | None]:
    """Map each ``::: identifier`` of docs/api to its ``members`` list (``None``: all of it)."""
    found: dict[str, set[str] | None] = {}
    for page in sorted((DOCS / "api").glob("*.md")):
        current: str | None = None
        for line in page.read_text(encoding="utf-8").splitlines():
            m = _DIRECTIVE.match(line)
            if m is not None:
                current = m.group(1)
                found[current] = None
                continue
            members = _MEMBERS.match(line)
            if members is not None and current is not None:
                found[current] = {name.strip() for name in members.group(1).split(",")}
            elif line.strip() and not line.startswith(" "):
                current = None
    return found


def _documented(module: str, name: str | None, directives: dict[str, set[str] | None]) -> bool:
    if name is not None and f"{module}.{name}" in directives:
        return True
    if module not in directives:
        return False
    members = directives[module]
    return members is None or name is None or name in members


def _top_level_sources() -> list[tuple[str, str, str | None]]:
    """``(public name, defining module, name there)`` for each ``from .x import y`` in tumbler."""
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    out: list[tuple[str, str, str | None]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                public = alias.asname or alias.name
                if node.module is None:
                    out.append((public, f"tumbler.{alias.name}", None))
                else:
                    out.append((public, f"tumbler.{node.module}", alias.name))
    return out


def test_every_name_exported_by_tumbler_is_in_the_api_reference() -> None:
    import tumbler

    directives = _api_directives()
    sources = {public: (module, name) for public, module, name in _top_level_sources()}
    missing = []
    for public in tumbler.__all__:
        if public == "__version__":
            continue
        module, name = sources[public]
        if not _documented(module, name, directives):
            missing.append(f"{public} (from {module})")
    assert not missing, f"not rendered by any docs/api page: {missing}"


def _modules() -> list[str]:
    names = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if any(part.startswith("_") for part in parts):
            continue
        names.append(".".join(parts))
    return names


# Modules whose public names are all documented through the package that re-exports them.
_DOCUMENTED_THROUGH_PACKAGE = ("tumbler.datastructures.", "tumbler.routing.", "tumbler.wrappers.")


def test_every_module_is_in_the_api_reference() -> None:
    directives = _api_directives()
    missing = [
        module
        for module in _modules()
        if module != "tumbler"
        and not module.startswith(_DOCUMENTED_THROUGH_PACKAGE)
        and not any(d == module or d.startswith(module + ".") for d in directives)
    ]
    assert not missing, f"modules without an API page entry: {missing}"


def test_api_reference_names_only_importable_objects() -> None:
    import importlib

    for identifier in _api_directives():
        module_name, _, attr = identifier.rpartition(".")
        try:
            importlib.import_module(identifier)
        except ImportError:
            module = importlib.import_module(module_name)
            assert hasattr(module, attr), f"docs/api names {identifier}, which does not exist"


# -- the context-locals guide quotes the errors exactly ------------------------------------------


def _context_page_quotes() -> str:
    # Messages are quoted in fenced text blocks (multi-line ones) or inline; search both.
    page = DOCS / "context.md"
    blocks = "\n".join(block.code for block in parse_blocks(page))
    return blocks + page.read_text(encoding="utf-8")


def _outside_context_errors() -> dict[str, str]:
    import tumbler
    from tumbler import globals as tglobals

    messages = {
        "no app context": tglobals._no_app_msg,
        "no request context": tglobals._no_req_msg,
        "no websocket context": tglobals._no_ws_msg,
    }
    calls: dict[str, t.Callable[[], t.Any]] = {
        "after_this_request": lambda: tumbler.after_this_request(lambda r: r),
        "copy_current_request_context": lambda: tumbler.copy_current_request_context(print),
        "stream_with_context": lambda: tumbler.stream_with_context(iter(())),
    }
    for label, call in calls.items():
        with pytest.raises(RuntimeError) as info:
            call()
        messages[label] = str(info.value)
    app = tumbler.Tumbler("docs_check")
    with app.app_context(), pytest.raises(RuntimeError) as info:
        tumbler.url_for("static", filename="x")
    messages["url_for without SERVER_NAME"] = str(info.value)
    return messages


@pytest.mark.parametrize("label", list(_outside_context_errors()))
def test_context_guide_quotes_each_error_message_verbatim(label: str) -> None:
    message = _outside_context_errors()[label]
    assert message in _context_page_quotes(), (
        f"docs/context.md must quote the {label!r} error exactly:\n{message}"
    )


def test_parse_blocks_reads_titles_languages_and_skip_marks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        'Text\n\n```html title="templates/a.html"\n<p>{{ x }}</p>\n```\n\n'
        "<!-- no-test -->\n\n```python\nimport server\n```\n\n"
        "- item\n\n    ```python\n    x = 1\n    ```\n",
        encoding="utf-8",
    )
    html, skipped, nested = parse_blocks(page)
    assert (html.lang, html.title, html.code) == ("html", "templates/a.html", "<p>{{ x }}</p>\n")
    assert skipped.skipped and not html.skipped
    assert (nested.lang, nested.code, nested.skipped) == ("python", "x = 1\n", False)


def test_parse_blocks_rejects_an_unclosed_fence(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="unclosed code fence"):
        parse_blocks(page)
