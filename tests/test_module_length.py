"""No module over 400 lines without a reason in its docstring (issue 16).

A long module is not wrong, but it should be long on purpose: past ``LIMIT`` lines
its docstring says why, in a sentence that starts "Long because". The reader who
wants to split it then knows what the split would have to keep together, and a
module that grew by accretion is noticed when it crosses the line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 400
REASON = re.compile(r"(^|[.!?]\s+|\n\s*)Long because \S")


def unexplained(path: Path) -> str | None:
    """Why ``path`` breaks the rule, or None when it keeps it."""
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    if lines <= LIMIT:
        return None
    doc = ast.get_docstring(ast.parse(source)) or ""
    if REASON.search(doc):
        return None
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {lines} lines"


def test_every_long_module_says_why() -> None:
    broken = [why for top in ("fleet", "drivers", "sim")
              for path in sorted((ROOT / top).rglob("*.py"))
              if (why := unexplained(path)) is not None]
    assert not broken, (f"over {LIMIT} lines with no 'Long because ...' in the module "
                        "docstring (split it, or say why not):\n" + "\n".join(broken))


@pytest.mark.parametrize(("lines", "doc", "flagged"), [
    (LIMIT, "Short.", False),
    (LIMIT + 1, "Says nothing of its length.", True),
    (LIMIT + 1, "A model.\n\nLong because it is a table of data.", False),
    (LIMIT + 1, "A model. Long because it is a table of data.", False),
    (LIMIT + 1, "Not long because of anything.", True),
])
def test_the_rule_itself(tmp_path: Path, lines: int, doc: str, flagged: bool) -> None:
    """A module one line past the limit without a reason is caught; with one, or at
    the limit, it is not."""
    head = f'"""{doc}"""\n'
    body = "x = 1\n" * (lines - len(head.splitlines()))
    path = tmp_path / "module.py"
    path.write_text(head + body, encoding="utf-8")
    assert len(path.read_text(encoding="utf-8").splitlines()) == lines
    assert (unexplained(path) is not None) is flagged
