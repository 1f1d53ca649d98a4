"""``docs/architecture.md`` stays true: every file and module it names exists, and its
table of layers is the one ``tests/test_import_contracts.py`` enforces (``RULES``).

A map a newcomer trusts must not point at a module that was renamed or a rule
that was dropped; this test is what makes a rename or a new rule update the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_import_contracts import RULES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
TOPS = ("fleet", "drivers", "sim", "tests", "docs", "maps")
_QUOTED = re.compile(r"`([^`\s]+)`")


def missing(text: str, root: Path = ROOT) -> list[str]:
    """The paths (``fleet/link.py``) and modules (``fleet.store.base``) named in
    ``text`` that ``root`` does not have. Paths outside the repository (``../``) and
    names that are not ours (``paho``, ``Controller.submit``) are not checked."""
    gone = []
    for name in sorted(set(_QUOTED.findall(text))):
        if "/" in name:
            if name.split("/")[0] in TOPS and not (root / name).exists():
                gone.append(name)
        elif name.split(".")[0] in TOPS and re.fullmatch(r"[a-z_][a-z0-9_.]*", name):
            module = root.joinpath(*name.split("."))
            if not (module.with_suffix(".py").is_file() or module.is_dir()):
                gone.append(name)
    return gone


def layers(text: str) -> list[tuple[frozenset[str], frozenset[str]]]:
    """(layer, may not import) for each row of the table under "The layers"."""
    section = text.split("## The layers", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((frozenset(_QUOTED.findall(cells[0])),
                         frozenset(_QUOTED.findall(cells[1]))))
    return rows


def test_every_module_the_doc_names_exists() -> None:
    assert missing(DOC.read_text(encoding="utf-8")) == []


def test_the_layers_in_the_doc_are_the_import_contracts() -> None:
    assert layers(DOC.read_text(encoding="utf-8")) == [
        (frozenset(layer), frozenset(forbidden)) for layer, forbidden, _ in RULES]


@pytest.mark.parametrize(("text", "gone"), [
    ("see `fleet/link.py` and `fleet.store.base`", []),
    ("see `fleet/controller/manager.py`", ["fleet/controller/manager.py"]),
    ("see `fleet.traffic.recovery`", ["fleet.traffic.recovery"]),
    ("see `../shared/DESIGN.md`, `paho` and `Controller.submit`", []),
])
def test_a_stale_name_is_caught(text: str, gone: list[str]) -> None:
    """The checker itself: a renamed module is flagged; what is not ours is not."""
    assert missing(text) == gone


def test_a_table_that_drifts_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8").replace(", `fleet.config` |", " |")
    assert text != DOC.read_text(encoding="utf-8"), "the drivers row names fleet.config"
    assert layers(text) != [(frozenset(a), frozenset(b)) for a, b, _ in RULES]
