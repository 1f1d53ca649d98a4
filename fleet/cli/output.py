"""Terminal output shared by the commands: styled floor maps, problems, tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fleet.cli.lang import ENGLISH, Speaker
from fleet.errors import Problem, Severity
from fleet.floor import FloorPlan
from fleet.floor.model import Cell
from fleet.floor.render import THEME, legend, render_text
from fleet.words import N_


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


_KINDS = {"pass": N_("pass"), "dish_return": N_("dish return"), "charger": N_("charger"),
          "parking": N_("parking"), "host_stand": N_("host stand")}
_ZONES = {"keep_out": N_("keep out"), "slow": N_("slow"), "one_way": N_("one way")}


def summary_table(plan: FloorPlan, reach: dict[str, str] | None = None,
                  _: Speaker = ENGLISH) -> Table:
    """The plan at a glance; ``_`` says the labels in the reader's language (the
    plan's names as they are)."""
    rows, cols = plan.shape
    width, height = plan.size_m
    table = Table(title=f"{plan.name}  ({plan.source})", show_header=False, box=None,
                  title_justify="left", pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(_("size"), _("{w} x {h} m, {cols} x {rows} cells of {res} m",
                               w=f"{width:.1f}", h=f"{height:.1f}", cols=str(cols),
                               rows=str(rows), res=f"{plan.resolution:.2f}"))
    table.add_row(_("robot"), _("radius {r} m", r=f"{plan.robot_radius:.2f}"))
    free = int(plan.passable.sum())
    table.add_row(_("cells a robot fits in"),
                  _("{free} of {all} ({pct} %)", free=str(free), all=str(rows * cols),
                    pct=f"{100 * free / max(1, rows * cols):.0f}"))
    if plan.conflicts:
        table.add_row(_("one-lane cells"), _("{n} (aisles narrower than two robots)",
                                             n=str(len(plan.conflicts))))
    tables = plan.tables
    if tables:
        seats = sorted({t.seats for t in tables})
        table.add_row(_("tables"), _("{n} ({seats} seats; sizes {sizes})", n=str(len(tables)),
                                     seats=str(sum(t.seats for t in tables)),
                                     sizes=", ".join(map(str, seats))))
    kinds: dict[str, list[str]] = {}
    for place in plan.places.values():
        if place.kind.value != "table":
            kinds.setdefault(place.kind.value, []).append(place.name)
    for kind, names in sorted(kinds.items()):
        shown = ", ".join(names[:8]) + (f" ... ({len(names)})" if len(names) > 8 else "")
        table.add_row(_(_KINDS.get(kind, kind.replace("_", " "))), shown)
    if plan.zones:
        table.add_row(_("zones"), ", ".join(
            f"{z.name} ({_(_ZONES.get(z.kind.value, z.kind.value.replace('_', ' ')))})"
            for z in plan.zones))
    for key, value in (reach or {}).items():
        table.add_row(key, value)
    return table
