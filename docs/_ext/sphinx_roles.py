"""A griffe extension that turns Sphinx cross-reference roles in docstrings into Markdown code.

Tumbler's docstrings use Sphinx field lists (``:param x:``), which mkdocstrings parses with
``docstring_style: sphinx``, and roles such as ``:class:`~tumbler.ctx.AppContext```, which it
would print verbatim. This rewrites each role to inline code, keeping only the last dotted part
when the target starts with ``~`` (as Sphinx shows it), and turns reST's trailing ``::`` into a
colon. It changes the rendered reference only, never the source.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj|const|ref):`(~?)([^`]+)`")
_LITERAL_MARKER = re.compile(r"(\S)::$", re.MULTILINE)
# Sphinx accepts ":raises A, B: text"; griffe's parser wants one exception per field.
_MULTI_RAISES = re.compile(r"^(\s*):raises ([\w.]+(?:\s*,\s*[\w.]+)+):(.*)$", re.MULTILINE)


def _role_to_code(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    if "<" in target and target.endswith(">"):
        # ":ref:`text <target>`" shows its text.
        target = target.split("<", 1)[0].strip()
    elif short:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _split_raises(match: re.Match[str]) -> str:
    indent, names, rest = match.group(1), match.group(2), match.group(3)
    return "\n".join(f"{indent}:raises {name.strip()}:{rest}" for name in names.split(","))


def rewrite(text: str) -> str:
    """Return ``text`` with Sphinx roles as inline code, ``::`` literal markers as ``:`` and
    multi-exception ``:raises:`` fields split into one field per exception."""
    text = _ROLE.sub(_role_to_code, text)
    text = _MULTI_RAISES.sub(_split_raises, text)
    return _LITERAL_MARKER.sub(r"\1:", text)


class SphinxRoles(griffe.Extension):
    """Rewrite the docstring of every loaded object with :func:`rewrite`."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring in place (called once per object after loading)."""
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
