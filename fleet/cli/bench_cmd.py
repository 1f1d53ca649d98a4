"""``fleet bench ...``: speed measured as ratios against a baseline in the same run."""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from fleet.bench.routes import format_table, run_route_bench
from fleet.errors import FleetError
from fleet.floor import FloorPlan, load_floor

SHARED_MAPS = Path("shared/bench/mapf/maps")


def default_maps() -> list[Path]:
    """food-court, plus den520d from the shared benchmark maps when they are beside the repo."""
    maps = [Path("maps/food-court.toml")]
    root = Path(__file__).resolve().parents[2]
    for base in (root.parent, Path.cwd().parent):
        candidate = base / SHARED_MAPS / "den520d.map"
        if candidate.is_file():
            maps.append(candidate)
            break
    return maps


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="benchmarks that print figures side by side",
                       description="Benchmarks. Each prints a table of figures with the ratio "
                                   "against a baseline measured in the same run.")
    kinds = p.add_subparsers(dest="bench_command", metavar="BENCH", required=True)
    routes = kinds.add_parser(
        "routes", help="distance fields and A* vs a plain-Python BFS",
        description="Distance fields (scipy csgraph, numpy wavefront) and A* (Manhattan, "
                    "exact-field heuristic) against a plain-Python BFS, on each map. Default "
                    "maps: maps/food-court.toml and den520d from ../shared/bench/mapf if present.")
    routes.add_argument("maps", nargs="*", type=Path, help="floor plans (.toml, .yaml, .map)")
    routes.add_argument("--repeats", type=int, default=5, help="runs per figure (median)")
    routes.add_argument("--pairs", type=int, default=20, help="random route pairs per map")
    routes.add_argument("--seed", type=int, default=1)
    routes.add_argument("--json", type=Path, metavar="OUT", help="write rows as JSON")
    routes.set_defaults(run=run_routes)


def run_routes(args: argparse.Namespace, console: Console) -> int:
    paths: list[Path] = args.maps or default_maps()
    plans: list[tuple[str, FloorPlan]] = [(p.stem, load_floor(p)) for p in paths]
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("timing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            rows = run_route_bench(plans, repeats=args.repeats, seed=args.seed,
                                   pairs=args.pairs, progress=progress)
        except ValueError as exc:
            raise FleetError(str(exc)) from exc
    console.print(format_table(rows), markup=False, highlight=False, soft_wrap=True)
    console.print(f"({platform.python_implementation()} {platform.python_version()}, "
                  f"{platform.machine()}; median of {args.repeats}; 'x python' = python "
                  "baseline time / method time)")
    if args.json:
        args.json.write_text(json.dumps({"bench": "routes", "repeats": args.repeats,
                                         "seed": args.seed, "rows": rows}, indent=2))
        console.print(f"rows written to {args.json}")
    return 0
