"""``docs/architecture.md`` stays true: every file and module it names exists, its
arrows between the packages and between the controller's parts are the imports in
the source, and its table of layers is the one ``tests/test_import_contracts.py``
enforces (``RULES``).

A map a newcomer trusts must not point at a module that was renamed or a rule
that was dropped; this test is what makes a rename or a new rule update the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_import_contracts import CORE, RULES, _imports, module_of, sources

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


def part_of(module: str) -> str:
    """The part of the arrows a module belongs to: ``core`` for the core's packages,
    else its package under ``fleet`` (``fleet.api``) or its top (``drivers``)."""
    top, *rest = module.split(".")
    if top != "fleet" or not rest:
        return top
    part = f"fleet.{rest[0]}"
    return "core" if part in CORE else part


def arrows_in_source() -> dict[str, frozenset[str]]:
    arrows: dict[str, set[str]] = {}
    for path in sources():
        here = part_of(module_of(path))
        arrows.setdefault(here, set())
        for _, name in _imports(path):
            if name.split(".")[0] in ("fleet", "drivers", "sim") and part_of(name) != here:
                arrows[here].add(part_of(name))
    return {part: frozenset(to) for part, to in arrows.items() if to}


def arrows(text: str, section: str = "## The packages") -> dict[str, frozenset[str]]:
    """``part -> a, b, ...`` lines (continued on indented lines) of the first block
    under ``section``."""
    block = text.split(section, 1)[1].split("```", 2)[1]
    found: dict[str, set[str]] = {}
    part = None
    for line in block.splitlines():
        names = line
        if "->" in line:
            head, _, names = line.partition("->")
            part = head.strip()
            found[part] = set()
        elif not line.startswith(" ") or part is None:
            part = None
            continue
        found[part] |= {name.strip() for name in names.split(",") if name.strip()}
    return {p: frozenset(to) for p, to in found.items()}


def test_the_arrows_in_the_doc_are_the_imports() -> None:
    assert arrows(DOC.read_text(encoding="utf-8")) == arrows_in_source()


def test_an_arrow_the_source_lacks_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8").replace("fleet.dashboard -> fleet.api, core",
                                                   "fleet.dashboard -> fleet.api, sim, core")
    drawn = arrows(text)
    assert drawn["fleet.dashboard"] == {"fleet.api", "sim", "core"}
    assert drawn != arrows_in_source()


CONTROLLER_SECTION = "## The controller's parts"


def controller_arrows_in_source(root: Path = ROOT) -> dict[str, frozenset[str]]:
    """``part -> parts`` among the modules of ``fleet/controller``, by file name, every
    import counted (for type checking too): what "The controller's parts" draws."""
    found: dict[str, frozenset[str]] = {}
    for path in sorted((root / "fleet" / "controller").glob("*.py")):
        to = {name.split(".")[2] for _, name in _imports(path, root)
              if name.startswith("fleet.controller.")} - {path.stem}
        if to:
            found[path.stem] = frozenset(to)
    return found


def test_the_controllers_arrows_in_the_doc_are_its_imports() -> None:
    assert arrows(DOC.read_text(encoding="utf-8"), CONTROLLER_SECTION) == \
        controller_arrows_in_source()


def test_a_part_drawn_still_holding_the_controller_is_caught() -> None:
    """The checker itself: tripwork drawn with an arrow back to core (as before it was
    handed its parts) is not what the source says."""
    text = DOC.read_text(encoding="utf-8")
    line = "tripwork     -> commands, dishprogress,"
    assert line in text
    drawn = arrows(text.replace(line, "tripwork     -> commands, core, dishprogress,"),
                   CONTROLLER_SECTION)
    assert drawn["tripwork"] == controller_arrows_in_source()["tripwork"] | {"core"}
    assert drawn != controller_arrows_in_source()
