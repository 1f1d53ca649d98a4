"""The catalogue's ids as the source uses them, read as xgettext would: every
string literal given to ``_``, ``say``, ``N_``, ``Phrase.of`` or ``_said`` in the modules
whose words a person reads. Read from the source (``ast``), so nothing runs."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLEET = ROOT / "fleet"
TRANSLATED = (*sorted((FLEET / "dashboard").glob("*.py")),
              *sorted((FLEET / "controller").glob("*.py")),
              *sorted((FLEET / "dispatch").glob("*.py")),
              FLEET / "api" / "alerts.py", FLEET / "cli" / "demo_cmd.py",
              *(FLEET / "cli" / name for name in ("map_cmd.py", "config_cmd.py", "output.py",
                                                  "report_cmd.py", "report_view.py")))
_CALLS = {"_": 0, "N_": 0, "say": 0, "Phrase.of": 0, "_said": 1}
"""Calls that take an id, and the id's place among their arguments."""


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def ids_in(path: Path) -> set[str]:
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = _name(node.func)
            at = _CALLS.get(name)
            first = node.args[at] if at is not None and len(node.args) > at else None
            if first is not None:
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out.add(first.value)
                elif isinstance(first, ast.IfExp):
                    for branch in (first.body, first.orelse):
                        if isinstance(branch, ast.Constant) and isinstance(branch.value, str):
                            out.add(branch.value)
        # explain.py's tables of templates (_THE, _NAMED)
        if (isinstance(node, ast.Assign) and path.name == "explain.py"
                and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id in ("_THE", "_NAMED")
                        for t in node.targets)):
            out.update(v.value for v in node.value.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return out


def catalogue_ids() -> set[str]:
    from fleet.api.messages import NAME_RULE  # noqa: PLC0415  (translated where shown)
    from fleet.controller.explain import UNEXPLAINED  # noqa: PLC0415

    ids: set[str] = {NAME_RULE, UNEXPLAINED, "{text}"}
    for path in TRANSLATED:
        ids |= ids_in(path)
    return ids
