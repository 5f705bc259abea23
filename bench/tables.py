"""Table and number formatting shared by the benchmark scripts (Markdown pipe tables)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """Return a Markdown pipe table, padded so it also reads well in a terminal.

    :param headers: column titles.
    :param rows: rows of already formatted cells, each as long as ``headers``.
    :param align: one character per column, ``l`` or ``r``; missing columns align right
        except the first, which aligns left.
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    aligns = [align[i] if i < len(align) else ("l" if i == 0 else "r") for i in range(len(headers))]

    def fmt(cells: Sequence[str]) -> str:
        out = []
        for cell, width, a in zip(cells, widths, aligns, strict=True):
            out.append(cell.ljust(width) if a == "l" else cell.rjust(width))
        return "| " + " | ".join(out) + " |"

    rule = []
    for width, a in zip(widths, aligns, strict=True):
        rule.append(":" + "-" * (width - 1) if a == "l" else "-" * (width - 1) + ":")
    lines = [fmt(headers), "| " + " | ".join(rule) + " |"]
    lines.extend(fmt(row) for row in rows)
    return "\n".join(lines)


def rate(value: float) -> str:
    """Format a rate (requests or lookups per second) with thousands separators."""
    return f"{value:,.0f}"


def ratio(value: float | None) -> str:
    """Format a ratio as ``1.23x``; ``-`` when it cannot be computed."""
    return "-" if value is None else f"{value:.2f}x"


def median(values: Sequence[float]) -> float:
    """Return the median of ``values``."""
    return statistics.median(values)
