"""How ``fleet report`` looks in a terminal: rich tables drawn from the tidy tables.

Only presentation lives here (labels, units, which columns a person needs on a
screen); every number comes from ``fleet.reporting`` unchanged but for
rounding, so the screen agrees with the CSV files and the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fleet.cli.lang import ENGLISH, Speaker
from fleet.domain.events import Event
from fleet.domain.orders import Dish
from fleet.reporting.figures import wait_of
from fleet.reporting.history import history_lines
from fleet.words import N_

Clock = Callable[[float], str]
"""Store time -> what a person reads (time since the start, or a wall-clock time)."""


def num(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
           note: str = "", left: int = 1) -> Table:
    """Text in the first ``left`` columns, numbers (right-aligned) in the rest."""
    table = Table(title=title, title_justify="left", title_style="bold", caption=note or None,
                  caption_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, show_edge=False, collapse_padding=True)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i < left else "right")
    for row in rows:
        table.add_row(*row)
    return table


_COUNT_COLS = ("ordered", "served", "by_staff", "failed", "cancelled", "open")
_WAIT_COLS = ("wait_mean_s", "wait_p50_s", "wait_p95_s", "wait_max_s")
_COUNT_HEAD = (N_("ordered"), N_("served"), N_("by staff"), N_("failed"), N_("cancelled"),
               N_("open"), N_("mean"), N_("p50"), N_("p95"), N_("max"))


def _dish_rows(rows: Sequence[Mapping[str, Any]], first: Callable[[Mapping[str, Any]], str]
               ) -> list[list[str]]:
    return [[first(r), *(num(r[c]) for c in _COUNT_COLS), *(num(r[c]) for c in _WAIT_COLS)]
            for r in rows]


def summary_view(report: Mapping[str, Any], *, source: str, clock: Clock,
                 _: Speaker = ENGLISH) -> RenderableType:
    """Every table of the summary, in reading order; ``_`` says the headings in the
    reader's language (reasons and names stay as the store has them)."""
    d, w, span = report["dishes"], report["wait_s"], report["span"]
    start = span["start"]
    counts = [_(h) for h in _COUNT_HEAD]
    head = Text.assemble(
        ("fleet report ", "bold"), source, "\n",
        _("from {start} to {end} ({min} min); dishes counted by when they were ordered",
          start=clock(span["start"]), end=clock(span["end"]), min=num(span["seconds"] / 60)))
    overview = _table(_("Dishes and waits (ready at the pass -> at the table, seconds)"),
                      counts, [[num(d[c]) for c in _COUNT_COLS]
                               + [num(w[k]) for k in ("mean", "p50", "p95", "max")]],
                      left=0)
    hours = _table(_("Per hour (dishes ordered in the hour; waits in seconds)"),
                   (_("hour from"), *counts),
                   _dish_rows(report["per_hour"], lambda r: clock(start + r["from_s"])))
    tables = _table(_("Per table (waits in seconds)"), (_("table"), *counts),
                    _dish_rows(report["per_table"], lambda r: str(r["table"])))
    passes = _table(_("Per pass (waits in seconds)"), (_("pass"), *counts),
                    _dish_rows(report["per_pass"], lambda r: str(r["pass"])))
    robots = _table(
        _("Per robot"), (_("robot"), _("trips"), _("serving"), _("charging"), _("aborted"),
                         _("dishes served"), _("dishes failed"), _("on trips"), _("faults")),
        [[r["robot"], num(r["trips"]), num(r["serve_trips"]), num(r["charge_trips"]),
          num(r["aborted_trips"]), num(r["dishes_served"]), num(r["dishes_failed"]),
          num(r["on_trips_pct"], " %"), num(r["faults"])] for r in report["per_robot"]],
        note=_("on trips: time from trip start to end over the span, as the controller saw "
               "it. Metres driven are not in the store (fleet sim reports them)."))
    late_s = num(report["late_s"], " s")
    late = _table(
        _("Late dishes (waited more than {late})", late=late_s),
        (_("dish"), _("table"), _("robot"), _("ready"), _("at table"), _("wait s")),
        [[r["dish"], r["table"], r["robot"] or "-", clock(start + r["ready_s"]),
          clock(start + r["at_table_s"]), num(r["wait_s"])] for r in report["late"]],
        left=3)
    reasons = _table(
        _("Failed and cancelled, by reason"), (_("outcome"), _("reason"), _("dishes")),
        [[_("failed"), r, num(n)] for r, n in report["failed_reasons"].items()]
        + [[_("cancelled"), r, num(n)] for r, n in report["cancelled_reasons"].items()],
        left=2)
    parts: list[RenderableType] = [head, overview, hours, tables, passes, robots]
    parts.append(late if report["late"] else Text(
        _("No late dishes (none waited more than {late}).", late=late_s)))
    if report["failed_reasons"] or report["cancelled_reasons"]:
        parts.append(reasons)
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part, Text("")]
    return Group(*spaced[:-1])


def dish_view(dish: Dish, events: Sequence[Event], *, source: str,
              clock: Clock) -> RenderableType:
    """One dish: what it is and where it ended, then its events in order."""
    wait = wait_of(dish)
    outcome = dish.state.value.replace("_", " ") + (f" ({dish.reason})" if dish.reason else "")
    head = Text.assemble(
        ("dish ", "bold"), (dish.dish_id, "bold"), f" ({dish.name}, {dish.trays} tray(s)) "
        f"of order {dish.order_id} for {dish.table}, from {dish.pass_place or '-'}: {outcome}",
        f"; waited {num(wait, ' s')} ready -> table" if wait is not None else "",
        f"\nfrom {source}")
    rows = [[clock(line.at), f"+{line.since_first:,.1f}", line.kind, line.robot, line.trip,
             line.text] for line in history_lines(events)]
    table = _table(f"Events ({len(events)})", ("time", "+s", "event", "robot", "trip", "what"),
                   rows)
    for column in table.columns[2:]:
        column.justify = "left"
    return Group(head, table)
