"""``fleet demo``: what a newcomer runs first.

It compiles the configured restaurant, checks it, routes from the kitchen pass
to the farthest table, and then runs a short simulated lunch service on a
virtual clock: the kitchen, the controller and the simulated robots, with its
report. It grows into the full demo (embedded broker, live dashboard) as those
parts land.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from fleet.cli.map_cmd import reach_summary
from fleet.cli.output import print_map, print_problems, summary_table
from fleet.cli.sim_cmd import (
    Setup,
    coloured,
    duration_arg,
    problems_of,
    sim_progress,
    simulate,
)
from fleet.config import load_config
from fleet.errors import FloorPlanError, Severity
from fleet.floor import PlaceKind, check_floor
from fleet.routing import distance_field, route_between, route_length_m, travel_time_s


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="show the default restaurant and a route",
                       description="Load config.toml, compile and check its floor plan, and "
                                   "draw the route from the kitchen pass to the farthest table.")
    p.add_argument("--config", type=Path, default=Path("config.toml"))
    p.add_argument("--headless", action="store_true",
                   help="plain text, no colours (for machines without a terminal)")
    p.add_argument("--width", type=int, help="characters wide (default: the terminal)")
    p.add_argument("--duration", type=duration_arg, default=1800.0, metavar="TIME",
                   help="length of the simulated service, e.g. 30m (default), 2h; 0 skips it")
    p.add_argument("--robots", type=int, default=None,
                   help="robots in the simulated service (default: those in the config)")
    p.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace, console: Console) -> int:
    if args.headless:
        console = Console(no_color=True, highlight=False, width=args.width or 200)
    cfg = load_config(args.config)
    model = cfg.robot_models[0]
    plan, problems = check_floor(cfg.map_path, robot_radius=model.radius)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if plan is None or errors:
        raise FloorPlanError(errors or problems)
    console.print(f"[bold]{cfg.site.name}[/] (site {cfg.site.id}): {len(cfg.robots)} robots "
                  f"of model {model.name}, broker {cfg.broker.url}")
    console.print(summary_table(plan, reach_summary(plan)))
    print_problems(console, problems)
    pass_place = plan.places_of(PlaceKind.PASS)[0]
    field = distance_field(plan, pass_place.cells)
    farthest = max((t for t in plan.tables if t.cells),
                   key=lambda t: min(float(field[c]) if np.isfinite(field[c]) else -1.0
                                     for c in t.cells))
    result = route_between(plan, pass_place.name, farthest.name)
    print_map(console, plan, route=result.cells, width=args.width)
    length = route_length_m(plan, result.cells)
    seconds = travel_time_s(plan, result.cells, speed=model.speed,
                            acceleration=model.acceleration, turn_time=model.turn_time)
    console.print(f"[bold]route {pass_place.name} -> {farthest.name}[/] (the farthest table): "
                  f"{length:.1f} m, about {seconds:.0f} s at {model.speed:.1f} m/s")
    if not args.duration:
        return 0
    robots = args.robots or max(1, len(cfg.robots))
    console.print(f"\n[bold]A simulated lunch rush[/]: {robots} robots, "
                  f"{args.duration / 60:.0f} min of guests, on a virtual clock")
    setup = Setup(plan=plan, model=cfg.robot_model(), map_path=cfg.map_path)
    service = argparse.Namespace(robots=robots, scenario="lunch-rush", duration=args.duration,
                                 faults="light")
    err = Console(stderr=True, highlight=False, no_color=args.headless)
    with sim_progress(err, "lunch-rush") as progress:
        report = simulate(setup, service, seed=1, policy="fleet", progress=progress)
    from sim.report import format_report  # noqa: PLC0415  (the simulator loads on use)

    console.print(coloured(report, format_report(report)), highlight=False, soft_wrap=True)
    failures = problems_of(report)
    for failure in failures:
        err.print(f"fleet demo: {failure}")
    console.print("\nNext: fleet sim --help, fleet map show maps/food-court.toml, "
                  "fleet bench sim --seeds 1-3")
    return 1 if failures else 0
