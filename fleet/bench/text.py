"""How every benchmark writes its figures: Markdown tables and numbers, one way.

Pure text, so the benchmark modules (and ``BENCHMARKS.md``) agree on how a figure
looks: thousands separated, ``-`` for a figure not measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def figure(value: Any, digits: int = 1) -> str:
    """A number as a table shows it: ``1,234.5``, ``12,000``, ``yes``/``no``, ``-``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]], left: int = 1) -> str:
    """A Markdown table whose first ``left`` columns are labels (left-aligned) and the
    rest numbers (right-aligned), padded so it reads as well in a terminal."""
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h)
              for i, h in enumerate(header)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) if i >= left else c.ljust(w)
                                for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |"
              for r in body]
    return "\n".join(lines)
