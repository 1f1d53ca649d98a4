"""Terminal output shared by the commands: styled floor maps, problems, tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fleet.errors import Problem, Severity
from fleet.floor import FloorPlan
from fleet.floor.model import Cell
from fleet.floor.render import THEME, legend, render_text


def print_map(console: Console, plan: FloorPlan, *, route: Sequence[Cell] = (),
              width: int | None = None) -> None:
    """Draw the plan fitted to the terminal (or ``width``), coloured where supported."""
    max_width = width or max(20, console.width - 2)
    shown = render_text(plan, route=route, max_width=max_width)
    for line in shown.lines:
        text = Text()
        for segment, style in line:
            text.append(segment, style=THEME.get(style, ""))
        console.print(text, no_wrap=True, overflow="crop")
    keys = Text("  ")
    for symbol, style, meaning in legend(shown):
        keys.append(symbol, style=THEME.get(style, ""))
        keys.append(f" {meaning}   ")
    console.print(keys)
    if shown.note:
        console.print(f"  ({shown.note})", style="dim")


def print_problems(console: Console, problems: Sequence[Problem]) -> None:
    for p in problems:
        colour = "red" if p.severity is Severity.ERROR else "yellow"
        console.print(Text(str(p), style=colour), soft_wrap=True)


def summary_table(plan: FloorPlan, reach: dict[str, str] | None = None) -> Table:
    rows, cols = plan.shape
    width, height = plan.size_m
    table = Table(title=f"{plan.name}  ({plan.source})", show_header=False, box=None,
                  title_justify="left", pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("size", f"{width:.1f} x {height:.1f} m, {cols} x {rows} cells of "
                          f"{plan.resolution:.2f} m")
    table.add_row("robot", f"radius {plan.robot_radius:.2f} m")
    free = int(plan.passable.sum())
    table.add_row("cells a robot fits in", f"{free} of {rows * cols} "
                                           f"({100 * free / max(1, rows * cols):.0f} %)")
    if plan.conflicts:
        table.add_row("one-lane cells", f"{len(plan.conflicts)} (aisles narrower than two "
                                        "robots)")
    tables = plan.tables
    if tables:
        seats = sorted({t.seats for t in tables})
        table.add_row("tables", f"{len(tables)} ({sum(t.seats for t in tables)} seats; sizes "
                                f"{', '.join(map(str, seats))})")
    kinds: dict[str, list[str]] = {}
    for place in plan.places.values():
        if place.kind.value != "table":
            kinds.setdefault(place.kind.value.replace("_", " "), []).append(place.name)
    for kind, names in sorted(kinds.items()):
        shown = ", ".join(names[:8]) + (f" ... ({len(names)})" if len(names) > 8 else "")
        table.add_row(kind, shown)
    if plan.zones:
        table.add_row("zones", ", ".join(f"{z.name} ({z.kind.value.replace('_', ' ')})"
                                         for z in plan.zones))
    for key, value in (reach or {}).items():
        table.add_row(key, value)
    return table
