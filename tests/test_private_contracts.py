"""No part of the pure core works on another's private fields (issue 16, finding 2).

A module that reads or writes ``other._tracks`` is a cycle in disguise: the
owner cannot change its insides without breaking a module it does not know
about. Deadlock recovery once did this to the traffic manager; it now asks
through ``TrafficView``. Read from the source: an attribute whose name starts
with one underscore may be reached only on ``self``, ``cls`` or ``super()``, and
no private name is imported from another module (``_`` is gettext's, not
private).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest
from test_import_contracts import CORE, ROOT, module_of, sources, under


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _owner(node: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: the object's own insides."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "super")


def reaches(source: str) -> Iterator[tuple[int, str]]:
    """(line, expression) for each reach into another object's or module's privates."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr) and not _owner(node.value):
            yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _private(alias.name):
                    yield node.lineno, f"from {node.module} import {alias.name}"


@pytest.mark.parametrize("package", ["fleet.traffic", "core"])
def test_no_module_of_the_core_reaches_into_anothers_privates(package: str) -> None:
    layer = CORE if package == "core" else (package,)
    broken = [f"{path.relative_to(ROOT)}:{line}: {what}" for path in sources()
              if under(module_of(path), layer)
              for line, what in reaches(path.read_text(encoding="utf-8"))]
    assert not broken, ("ask the owner through a public method instead:\n"
                        + "\n".join(broken))


def test_the_reader_tells_own_insides_from_anothers() -> None:
    source = ("class A:\n"
              "    def f(self, traffic):\n"
              "        self._x = super()._y + type(self).__name__\n"
              "        return traffic._tracks\n"
              "from fleet.traffic.manager import _tick\n"
              "from fleet.dashboard.language import _\n")
    assert sorted(reaches(source)) == [(4, "traffic._tracks"),
                                       (5, "from fleet.traffic.manager import _tick")]
