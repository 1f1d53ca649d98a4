"""Which part may import which, read from the source (issue 16, finding 5).

The layers, bottom up: the pure core (the floor, routing, traffic, dispatch, the
controller, the VDA 5050 model, reporting) knows no I/O library and nothing above
it; the drivers speak MQTT and serial for the core and know nothing of the
simulator; the simulator plays robots, kitchen and guests through the drivers;
the API, the dashboard, the benchmarks and the CLI sit on top. A rule broken
here is a cycle or a leak in the making, found by reading imports (every
``import`` and ``from`` in every file, also those inside functions), without
importing anything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CORE = ("fleet.domain", "fleet.floor", "fleet.routing", "fleet.traffic", "fleet.dispatch",
        "fleet.controller", "fleet.vda", "fleet.reporting", "fleet.intake", "fleet.errors",
        "fleet.words")
IO_LIBRARIES = ("paho", "aiomqtt", "serial", "textual", "rich", "matplotlib", "amqtt",
                "asyncio", "socket", "sqlite3", "subprocess")
ABOVE_CORE = ("fleet.api", "fleet.dashboard", "fleet.cli", "fleet.bench", "fleet.runtime",
              "fleet.store.sqlite", "drivers", "sim")
"""The core writes through the ``fleet.store.base.Store`` interface; the package
``fleet.store`` itself also loads SQLite, so the core names the interface's module."""

RULES: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (CORE, (*IO_LIBRARIES, *ABOVE_CORE),
     "the core is pure: no I/O library, nothing that depends on it"),
    (("drivers",), ("sim", "fleet.controller", "fleet.dispatch", "fleet.traffic",
                    "fleet.api", "fleet.dashboard", "fleet.cli", "fleet.bench", "fleet.config"),
     "drivers carry messages for the core; they know no simulator, no controller and not "
     "the config schema (the CLI builds their settings)"),
    (("fleet.dashboard",), ("fleet.controller", "fleet.traffic", "fleet.dispatch", "sim",
                            "fleet.cli"),
     "the dashboard is a client of the fleet API, not of the controller"),
    (("fleet.api",), ("fleet.dashboard", "fleet.cli", "sim", "fleet.bench"),
     "the API serves every client; it depends on none"),
    (("sim",), ("fleet.cli", "fleet.dashboard"),
     "the simulator runs without the command line or a screen"),
]


def module_of(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for each import in the file at ``path`` (under ``root``)."""
    package = module_of(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(source: str, package: list[str]) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for each import in ``source``, a module of ``package``
    (relative imports resolved against it)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # ``from fleet import runtime`` imports fleet.runtime
                yield node.lineno, f"{name}.{alias.name}"


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def sources() -> list[Path]:
    return sorted(p for top in ("fleet", "drivers", "sim") for p in (ROOT / top).rglob("*.py"))


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES,
                         ids=[r[0][0].split(".")[-1] if len(r[0]) == 1 else "core"
                              for r in RULES])
def test_each_layer_imports_only_what_is_below_it(layer: tuple[str, ...],
                                                  forbidden: tuple[str, ...],
                                                  why: str) -> None:
    broken = [f"{path.relative_to(ROOT)}:{hit}" for path in sources()
              if under(module_of(path), layer)
              for hit in _breaches(_imports(path), layer, forbidden)]
    assert not broken, f"{why}:\n" + "\n".join(broken)


def _breaches(imports: Iterable[tuple[int, str]], layer: tuple[str, ...],
              forbidden: tuple[str, ...]) -> list[str]:
    """The imports of a module of ``layer`` that its rule forbids."""
    broken = []
    for line, name in imports:
        if layer == CORE and name in ("fleet.store", "fleet.store.SqliteStore"):
            broken.append(f"{line} imports {name} (the package loads SQLite: import "
                          "fleet.store.base)")
        if under(name, forbidden) and not under(name, layer):
            broken.append(f"{line} imports {name}")
    return broken


@pytest.mark.parametrize(("layer", "source", "caught"), [
    (("drivers",), "from fleet.config import BrokerConfig\n", "1 imports fleet.config"),
    (("drivers",), "def f():\n    import sim.robot\n", "2 imports sim.robot"),
    (CORE, "from fleet.store import SqliteStore\n", "1 imports fleet.store (the package"),
    (CORE, "import paho.mqtt.client\n", "1 imports paho.mqtt.client"),
    (("fleet.dashboard",), "from ..controller import core\n", "1 imports fleet.controller"),
])
def test_a_forbidden_import_is_caught(tmp_path: Path, layer: tuple[str, ...], source: str,
                                      caught: str) -> None:
    """The rules themselves: a deliberately added forbidden import is found, in a module
    of ``layer`` written to a temporary tree and read as the real tree is."""
    forbidden = next(f for lay, f, _ in RULES if lay == layer)
    folder = tmp_path.joinpath(*layer[0].split("."))
    folder.mkdir(parents=True)
    bad, good = folder / "bad.py", folder / "good.py"
    bad.write_text(source, encoding="utf-8")
    good.write_text("from fleet.errors import LinkError\n", encoding="utf-8")
    assert under(module_of(bad, tmp_path), layer)
    broken = _breaches(_imports(bad, tmp_path), layer, forbidden)
    assert any(b.startswith(caught) for b in broken), broken
    assert not _breaches(_imports(good, tmp_path), layer, forbidden), "an allowed import"


def test_the_reader_sees_every_kind_of_import() -> None:
    """The checker itself: plain, from, relative and function-local imports count."""
    source = "import a.b\nfrom c import d\nfrom . import e\nfrom ..f import g\n" \
             "def h():\n    import i\n"
    found = {name for _, name in _imports_in(source, ["p", "q"])}
    assert {"a.b", "c", "c.d", "p.q", "p.q.e", "p.f", "p.f.g", "i"} <= found


API_DOOR = ("fleet.controller.port", "fleet.controller.commands")
"""All the fleet API may import of the controller: its port (read-only answers and
the commands a client may give) and the robot commands those return. The order
book, robot records, traffic and dispatch may change shape without the API
following."""
BEHIND_THE_DOOR = ("fleet.controller", "fleet.traffic", "fleet.dispatch")


def _past_the_door(imports: Iterable[tuple[int, str]]) -> list[str]:
    return [f"{line}: {name}" for line, name in imports
            if under(name, BEHIND_THE_DOOR) and not under(name, API_DOOR)]


def test_the_api_reaches_the_controller_only_through_its_port() -> None:
    broken = [f"{path.relative_to(ROOT)}:{hit}" for path in sources()
              if under(module_of(path), ("fleet.api",)) for hit in _past_the_door(_imports(path))]
    assert not broken, ("the fleet API imports controller internals; ask "
                        "fleet.controller.port instead:\n" + "\n".join(broken))


def test_a_reach_past_the_port_is_caught() -> None:
    """The rule itself: an import for type checking only counts too."""
    source = ("from fleet.controller.port import FleetPort\n"
              "from fleet.controller.commands import Command\n"
              "if TYPE_CHECKING:\n    from fleet.controller.core import Controller\n"
              "from ..traffic import TrafficManager\n")
    assert sorted(_past_the_door(_imports_in(source, ["fleet", "api"]))) == [
        "4: fleet.controller.core", "4: fleet.controller.core.Controller",
        "5: fleet.traffic", "5: fleet.traffic.TrafficManager"]


def _runs_at_import(source: str, package: list[str]) -> Iterator[tuple[str, str | None]]:
    """(module, name) for each import that runs when a module of ``package`` is
    imported: top-level statements (inside ``if``/``try`` too), not function bodies
    and not ``if TYPE_CHECKING:`` blocks. ``name`` is what a ``from`` import takes."""
    def walk(statements: list[ast.stmt]) -> Iterator[tuple[str, str | None]]:
        for node in statements:
            if isinstance(node, ast.If):
                test = node.test
                if "TYPE_CHECKING" in (getattr(test, "id", None), getattr(test, "attr", None)):
                    yield from walk(node.orelse)
                    continue
                yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody,
                              *(h.body for h in node.handlers)):
                    yield from walk(block)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, None
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    module = ".".join([*base, node.module] if node.module else base)
                else:
                    module = node.module or ""
                for alias in node.names:
                    yield module, alias.name
    return walk(ast.parse(source).body)


def import_graph(root: Path, top: str) -> dict[str, set[str]]:
    """Which modules of ``top`` (a package under ``root``) each one imports as it loads.

    ``from pkg import sub`` is an edge to ``pkg.sub`` when that is a module, else to
    ``pkg`` (a name read from it, which a half-loaded package may not have yet: an
    edge even from ``pkg``'s own modules). The packages Python loads on the way to a
    module are edges too, except a module's own parents, begun before it runs."""
    paths = {module_of(p, root): p for p in (root / top).rglob("*.py")}

    def known(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in paths:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module.split(".")
        if path.name != "__init__.py":
            package.pop()
        edges: set[str] = set()
        for name, taken in _runs_at_import(path.read_text(encoding="utf-8"), package):
            target = known(f"{name}.{taken}") if taken and f"{name}.{taken}" in paths \
                else known(name)
            if target is None or target == module:
                continue
            edges.add(target)
            parts = target.split(".")
            for i in range(1, len(parts)):  # importing a.b.c loads a and a.b first
                step = ".".join(parts[:i])
                if step in paths and step != module and not module.startswith(step + "."):
                    edges.add(step)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, nexts = work[-1]
            step = next((n for n in nexts), None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    work.append((step, iter(sorted(graph.get(step, ())))))
                elif step in stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    top = stack.pop()
                    part.append(top)
                    if top == node:
                        break
                if len(part) > 1:
                    found.append(sorted(part))
    return found


def test_no_module_of_fleet_imports_itself_back() -> None:
    """No cycle among the modules ``fleet`` loads at import time: each part can be read,
    tested and replaced from the bottom up. (An import inside a function or for type
    checking only does not run at import and is not counted.)"""
    assert cycles(import_graph(ROOT, "fleet")) == []


def test_an_import_cycle_is_caught(tmp_path: Path) -> None:
    """The checker itself, on a temporary tree: a cycle through two modules and one
    through a package's ``__init__`` (a module reading a name from its half-loaded
    package) are found; a type-checking or function-local import is not one."""
    files = {
        "p/__init__.py": "from p.a import A\nfrom p.d import D\n",
        "p/a.py": "from p import b\nA = 1\n",
        "p/b.py": "import p.c\nfrom typing import TYPE_CHECKING\n"
                  "if TYPE_CHECKING:\n    from p.d import D\n",
        "p/c.py": "from .b import *\n",
        "p/d.py": "from p import A\nD = A\n",
        "p/e.py": "def f():\n    import p.d\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert sorted(cycles(import_graph(tmp_path, "p"))) == [["p", "p.d"], ["p.b", "p.c"]]


CONTROLLER = "fleet.controller.core"
ABOVE_THE_CONTROLLER = {
    "fleet.controller.port": "the clients' door: it wraps a built controller for the API, "
                             "and nothing the controller builds imports it",
}
"""Modules of ``fleet.controller`` that sit above the controller object by design.
Every other part is handed what it uses (issue 16, finding 1): the list of parts that
still took the controller (``NOT_YET_APART``: trip work, starting a stop, the
watchdog, retention) emptied, and went, with the last of them."""


def holds_the_controller(root: Path = ROOT) -> dict[str, list[str]]:
    """Each module of ``fleet/controller`` but ``core`` that imports the controller's
    module, with the lines (for type checking or inside a function too)."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / "fleet" / "controller").glob("*.py")):
        module = module_of(path, root)
        hits = [f"{line} imports {name}" for line, name in _imports(path, root)
                if under(name, (CONTROLLER,))]
        if module != CONTROLLER and hits:
            found[module] = hits
    return found


def controller_breaches(found: dict[str, list[str]]) -> list[str]:
    """From ``holds_the_controller``: the imports of core the rule forbids (all but
    those of ``ABOVE_THE_CONTROLLER``)."""
    return [f"{module}:{hit}" for module, hits in found.items()
            if module not in ABOVE_THE_CONTROLLER for hit in hits]


def test_the_controllers_parts_do_not_hold_the_controller() -> None:
    """Core builds its parts and hands each what it reads and the callables it needs;
    a part that imports core again makes the arrows a loop (issue 16, finding 1)."""
    broken = controller_breaches(holds_the_controller())
    assert not broken, ("a part of the controller imports fleet.controller.core; hand it "
                        "what it uses from core instead:\n" + "\n".join(broken))


@pytest.mark.parametrize(("source", "line"), [
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from fleet.controller.core import Controller\n", 3),
    ("from .core import Controller\n", 1),
    ("from fleet.controller import core\n", 1),
    ("def f():\n    import fleet.controller.core\n", 2),
])
def test_a_part_that_imports_the_controller_is_caught(tmp_path: Path, source: str,
                                                      line: int) -> None:
    """The rule itself, on a temporary tree: ``tripwork`` importing core in any of these
    forms is a breach; ``port`` (above the controller) is let through, and ``core``
    itself may import its parts."""
    folder = tmp_path / "fleet" / "controller"
    folder.mkdir(parents=True)
    (folder / "core.py").write_text("from fleet.controller.tripwork import TripWork\n",
                                    encoding="utf-8")
    (folder / "tripwork.py").write_text(source, encoding="utf-8")
    (folder / "port.py").write_text(source, encoding="utf-8")
    broken = controller_breaches(holds_the_controller(tmp_path))
    assert broken and all(b.startswith(f"fleet.controller.tripwork:{line} imports fleet."
                                       "controller") for b in broken), broken
