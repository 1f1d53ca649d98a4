"""``fleet replay POS.csv``: a real night from a till's log, served in simulation.

The log's orders are submitted at their logged times and its dishes marked ready
at their logged times (``sim.till_log`` holds the schema, ``sim.replay`` the
kitchen that plays it); the rest is ``fleet sim``: the same robots, guests,
referee, report and exit status, with a line saying which rows were replayed.
With several sizes (``--robots 4,6,8``) the night is served once per size and the
figures are put side by side. The file is read here; the simulator is imported
when a run starts, as ``fleet sim`` does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fleet.cli.sim_cmd import (
    add_floor_options,
    add_trouble_options,
    coloured,
    duration_arg,
    load_setup,
    positive_int,
    problems_of,
    sim_progress,
    simulate,
)
from fleet.errors import FleetError, TillLogError
from fleet.floor import PlaceKind

if TYPE_CHECKING:
    from fleet.cli.sim_cmd import Setup
    from sim.till_log import TillLog

EPILOG = """\
the log: CSV, one row per dish, a header naming the columns
  order_time,order_id,table,dish,ready_time,prep,trays,note,pass
  19:02,A17,W1,risotto,19:13,,1,no nuts
order_time, order_id, table and dish are needed; ready_time (else order_time + prep,
else --prep), trays (0: not for the robots, skipped), note and pass may be left out.
Times: 19:02[:37], 2026-03-14T19:02:37 or seconds from the start, one kind a file.
docs/replay.md has the details and a converter from another till's layout.

examples:
  fleet replay examples/bistro-night.csv --map maps/bistro.toml --robots 6
  fleet replay friday.csv --robots 4,6,8             # the night with each fleet size
  fleet replay friday.csv --robots 6 --policy baseline --json baseline.json
  fleet replay friday.csv --robots 6 --store friday.db && fleet report --db friday.db

exit status: 0 when every replayed dish was served, cancelled or failed with a
reason and nothing unsafe happened; 1 on a bad log (the file, line and column are
named), a safety violation, an unrecovered deadlock or a dish left without an outcome.
"""


def robot_counts(text: str) -> list[int]:
    """``6`` or ``4,6,8``: the fleet sizes to serve the night with."""
    counts = [positive_int(part) for part in text.split(",")]
    if len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"a fleet size is given twice in {text!r}")
    return counts


def register(sub: Any) -> None:
    p = sub.add_parser(
        "replay", help="serve a real night from a till's log (CSV) in simulation",
        description="Replay a till's log of a real service in simulation: each order is "
                    "keyed in at its logged time and each dish put on the pass at its "
                    "logged ready time, and N simulated robots (with either dispatch "
                    "policy) serve them, so a restaurant sees how its own night would "
                    "have gone. Prints the same report as `fleet sim` and how many rows of "
                    "the log were replayed or skipped; with --robots 4,6,8 one table "
                    "comparing the sizes.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", type=Path, metavar="POS.csv",
                   help="the till's log: one row per dish (see below)")
    add_floor_options(p)
    p.add_argument("--robots", type=robot_counts, default=[8], metavar="N[,N...]",
                   help="how many robots serve (default 8); several sizes, e.g. 4,6,8, "
                        "serve the night once each and compare them in one table")
    p.add_argument("--policy", choices=("fleet", "baseline"), default="fleet",
                   help="fleet: our dispatch (several trays a trip, best table order); "
                        "baseline: first come first served, nearest idle robot, one tray a "
                        "trip (default fleet)")
    p.add_argument("--seed", type=int, default=1,
                   help="random seed for guests and faults (default 1); the orders are the "
                        "log's")
    p.add_argument("--prep", type=duration_arg, default=600.0, metavar="TIME",
                   help="order -> ready for a row with neither ready_time nor prep, e.g. "
                        "12m (default 10m)")
    add_trouble_options(p)
    p.add_argument("--json", type=Path, metavar="OUT",
                   help="also write the full report as JSON to OUT (with several sizes: "
                        "a list, one report a size)")
    p.add_argument("--store", type=Path, metavar="DB",
                   help="write orders, dishes, trips and events to this new SQLite file, "
                        "for `fleet report` (one size only)")
    p.set_defaults(run=run_replay)


def read_log(path: Path, setup: Setup, default_prep_s: float) -> TillLog:
    """The log at ``path`` checked against the floor plan; a TillLogError names the file,
    the line and the column of what is wrong."""
    from sim.till_log import parse_till_log  # noqa: PLC0415  (see the module docstring)

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TillLogError(f"{path}: not UTF-8 text (byte {exc.start}); export the log as "
                           "UTF-8 CSV") from exc
    except OSError as exc:
        raise TillLogError(f"{path}: cannot read the log: {exc.strerror or exc}") from exc
    plan = setup.plan
    return parse_till_log(text, source=str(path), tables={t.name for t in plan.tables},
                          passes={p.name for p in plan.places_of(PlaceKind.PASS)},
                          default_prep_s=default_prep_s)


def run_replay(args: argparse.Namespace, console: Console) -> int:
    from sim.report import format_report  # noqa: PLC0415  (see the module docstring)

    sizes: list[int] = args.robots
    if args.store is not None and len(sizes) > 1:
        raise FleetError(f"--store {args.store} keeps one run: give one --robots size")
    setup = load_setup(args.map, args.config, "lunch-rush")
    till = read_log(args.log, setup, args.prep)
    err = Console(stderr=True, highlight=False)
    reports = []
    for robots in sizes:
        label = f"{args.log.name} with {robots} robots on {setup.plan.name}"
        with sim_progress(err, label) as progress:
            reports.append(simulate(setup, args, seed=args.seed, policy=args.policy,
                                    progress=progress, replay=till, robots=robots))
    if len(reports) == 1:
        console.print(coloured(reports[0], format_report(reports[0])), highlight=False,
                      soft_wrap=True)
    else:
        console.print(compare_table(reports))
    if args.json:
        data: Any = reports[0] if len(reports) == 1 else reports
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        console.print(f"report written to {args.json}")
    failed = False
    for report in reports:
        for problem in problems_of(report):
            failed = True
            where = f" with {report['robots']} robots" if len(reports) > 1 else ""
            err.print(Text(f"fleet replay{where}: {problem}", style="bold red"))
    return 1 if failed else 0


def compare_table(reports: list[dict[str, Any]]) -> Table:
    """The night once per fleet size, side by side."""
    replay = reports[0]["replay"]
    table = Table(title=f"{replay['file']} from {replay['opened']}: {replay['replayed']} of "
                        f"{replay['rows']} rows replayed, {replay['skipped']} skipped; policy "
                        f"{reports[0]['policy']}, seed {reports[0]['seed']}",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("robots", "served", "by_staff", "failed", "open", "wait mean", "p95", "max",
                 "busy"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in reports:
        d, w = r["dishes"], r["wait_s"]
        style = "bold red" if problems_of(r) else ""
        table.add_row(str(r["robots"]), str(d["served"]), str(d["by_staff"]), str(d["failed"]),
                      str(d["open"]), _seconds(w["mean"]), _seconds(w["p95"]),
                      _seconds(w["max"]), f"{r['utilisation']['mean'] * 100:.0f} %",
                      style=style)
    return table


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} s"
