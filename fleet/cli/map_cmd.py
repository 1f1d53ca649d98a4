"""``fleet map check|show|route|generate``: look at a floor plan before robots drive on
it, or draw one nobody tuned the controller to."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from fleet.cli.lang import ENGLISH, Speaker, add_lang, speaker
from fleet.cli.output import print_map, print_problems, summary_table
from fleet.config import RobotModelConfig, load_config
from fleet.errors import ConfigError, FleetError, Severity
from fleet.floor import FloorPlan, PlaceKind, check_floor, load_floor
from fleet.floor.generate import STYLES, generate_floor, plan_toml
from fleet.floor.png import draw_plan, write_png
from fleet.floor.svg import plan_svg, undrawn_in_png
from fleet.routing import distance_field, route_between, route_length_m, travel_time_s


def register(sub: Any) -> None:
    p = sub.add_parser("map", help="check, draw and route on floor plans",
                       description="Check, draw and route on floor plans (.toml vector or ROS "
                                   "raster plans, ROS .yaml maps, MovingAI .map grids).")
    maps = p.add_subparsers(dest="map_command", metavar="ACTION", required=True)

    check = maps.add_parser("check", help="validate a plan and print a summary",
                            description="Validate a floor plan: every error and warning names "
                                        "the file, the place and its coordinates. Exits 1 on "
                                        "errors, 0 otherwise (warnings included).")
    check.add_argument("file", type=Path)
    check.add_argument("--radius", type=float, help="robot radius in m (default: the plan's)")
    add_lang(check)
    check.set_defaults(run=run_check)

    show = maps.add_parser("show", help="draw a plan in the terminal, optionally as a PNG")
    show.add_argument("file", type=Path)
    show.add_argument("--png", type=Path, metavar="OUT", help="also write a picture")
    show.add_argument("--svg", type=Path, metavar="OUT",
                      help="also write a picture whose table names are text (any script, "
                           "Hangul included, in the viewer's fonts)")
    show.add_argument("--scale", type=int, default=10, help="PNG pixels per cell (default 10)")
    show.add_argument("--width", type=int, help="characters wide (default: the terminal)")
    add_lang(show)
    show.set_defaults(run=run_show)

    gen = maps.add_parser(
        "generate", help="draw a restaurant floor from a seed (for trying fleet on new floors)",
        description="Draw a plausible restaurant floor in the vector TOML format from a seed: "
                    "bistro (rows of tables off a service corridor), narrow (0.8-0.9 m side "
                    "aisles with dead ends, a private room behind one door) or food-court "
                    "(several stalls, islands of tables). Every floor has a pass 0.45 m from "
                    "its counter, a dish return and a dock bay of chargers and parking out of "
                    "the aisles, and passes 'fleet map check' without errors. The same seed "
                    "and style give the same floor.",
        epilog="example:\n  fleet map generate --seed 7 --style narrow --out narrow-7.toml\n"
               "  fleet sim --map narrow-7.toml --robots 8 --faults none",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    gen.add_argument("--seed", type=int, default=1, help="which floor (default 1)")
    gen.add_argument("--style", choices=STYLES, default="bistro", help="default bistro")
    gen.add_argument("--robot-radius", type=float, default=0.25, metavar="M",
                     help="the robots' radius the plan is compiled for (default 0.25)")
    gen.add_argument("--out", type=Path, metavar="FILE",
                     help="write the plan here (default: print it)")
    gen.set_defaults(run=run_generate)

    route = maps.add_parser(
        "route", help="the shortest route between two places, its length and time",
        description="Draw the shortest route between two named places (tables, pass, chargers, "
                    "...) and print its length and driving time for a robot model.")
    route.add_argument("file", type=Path)
    route.add_argument("origin", metavar="FROM", help="place name, e.g. pass")
    route.add_argument("destination", metavar="TO", help="place name, e.g. W1")
    route.add_argument("--config", type=Path, default=None,
                       help="config whose first robot model sets speed and turns "
                            "(default: ./config.toml if present)")
    route.add_argument("--png", type=Path, metavar="OUT", help="also write a picture")
    route.add_argument("--svg", type=Path, metavar="OUT",
                       help="also write a picture whose table names are text")
    route.add_argument("--scale", type=int, default=10, help="PNG pixels per cell")
    route.add_argument("--width", type=int, help="characters wide (default: the terminal)")
    add_lang(route)
    route.set_defaults(run=run_route)


def reach_summary(plan: FloorPlan, _: Speaker = ENGLISH) -> dict[str, str]:
    """How far the places are from the pass, in cells and metres, for the summary."""
    passes = plan.places_of(PlaceKind.PASS)
    if not passes or not plan.tables:
        return {}
    field = distance_field(plan, [c for p in passes for c in p.cells])
    steps = [min(float(field[c]) for c in t.cells) for t in plan.tables if t.cells]
    finite = [s for s in steps if np.isfinite(s)]
    if not finite:
        return {_("reachability"): _("no table reachable from the pass")}
    far = max(finite) * plan.resolution
    return {_("reachability"): _("{n} of {all} tables reachable from the pass; farthest {m} m "
                                 "by grid", n=str(len(finite)), all=str(len(plan.tables)),
                                 m=f"{far:.1f}")}


def run_check(args: argparse.Namespace, console: Console) -> int:
    _ = speaker(args)
    plan, problems = check_floor(args.file, robot_radius=args.radius)
    if plan is not None:
        console.print(summary_table(plan, reach_summary(plan, _), _))
    print_problems(console, problems)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    verdict = (f"[bold red]{_('INVALID')}[/]" if errors or plan is None
               else f"[bold green]{_('OK')}[/]")
    console.print(f"{verdict}: " + _("{errors} error(s), {warnings} warning(s)",
                                     errors=str(errors), warnings=str(warnings)))
    return 1 if errors or plan is None else 0


def run_show(args: argparse.Namespace, console: Console) -> int:
    _ = speaker(args)
    plan = load_floor(args.file)
    console.print(summary_table(plan, None, _))
    print_map(console, plan, width=args.width)
    write_pictures(args, plan, (), console, _)
    return 0


def robot_model(config_path: Path | None) -> RobotModelConfig:
    path = config_path or (Path("config.toml") if Path("config.toml").is_file() else None)
    if path is None:
        return RobotModelConfig(name="default")
    try:
        return load_config(path).robot_models[0]
    except ConfigError:
        if config_path is not None:
            raise
        return RobotModelConfig(name="default")


def run_generate(args: argparse.Namespace, console: Console) -> int:
    if not args.robot_radius > 0:
        raise FleetError(f"--robot-radius must be > 0 m, got {args.robot_radius}")
    doc, plan = generate_floor(args.seed, args.style, robot_radius=args.robot_radius)
    text = plan_toml(doc)
    if args.out is None:
        console.print(text, markup=False, highlight=False, end="")
        return 0
    args.out.write_text(text, encoding="utf-8")
    console.print(f"{args.out}: {plan.name}, {plan.size_m[0]:g} x {plan.size_m[1]:g} m, "
                  f"{len(plan.tables)} tables, "
                  f"{len(plan.places_of(PlaceKind.PASS))} pass(es), "
                  f"{len(plan.places_of(PlaceKind.CHARGER))} chargers, "
                  f"{len(plan.places_of(PlaceKind.PARKING))} parking spots")
    return 0


def run_route(args: argparse.Namespace, console: Console) -> int:
    plan = load_floor(args.file)
    model = robot_model(args.config)
    result = route_between(plan, args.origin, args.destination)
    print_map(console, plan, route=result.cells, width=args.width)
    length = route_length_m(plan, result.cells)
    seconds = travel_time_s(plan, result.cells, speed=model.speed,
                            acceleration=model.acceleration, turn_time=model.turn_time)
    start, goal = result.cells[0], result.cells[-1]
    console.print(
        f"[bold]{args.origin} -> {args.destination}[/]: {length:.1f} m over {result.steps} "
        f"cells, about {seconds:.0f} s for {model.name} ({model.speed:.1f} m/s, "
        f"{model.turn_time:.1f} s a turn); from cell {start} to {goal}; A* expanded "
        f"{result.expanded} cells")
    write_pictures(args, plan, result.cells, console, speaker(args))
    return 0


def write_pictures(args: argparse.Namespace, plan: FloorPlan, route: Any, console: Console,
                   _: Speaker) -> None:
    """The pictures asked for (``--png``, ``--svg``); a PNG of names its fonts cannot
    draw (neither the pixel font nor the Hangul one: an emoji, say) says so and points
    to the SVG, rather than leave "?" unexplained."""
    if args.png:
        write_png(args.png, draw_plan(plan, route=route, scale=args.scale))
        console.print(_("picture written to {path}", path=str(args.png)))
        undrawn = undrawn_in_png(plan)
        if undrawn and not args.svg:
            console.print(_("the PNG's fonts cannot write {names}: they show as ? or "
                            "boxes; --svg writes the names as text", names=", ".join(undrawn[:6])
                            + (" ..." if len(undrawn) > 6 else "")))
    if args.svg:
        try:
            args.svg.write_text(plan_svg(plan, route=route, scale=args.scale),
                                encoding="utf-8")
        except OSError as exc:
            raise FleetError(f"--svg {args.svg}: cannot write: {exc}") from exc
        console.print(_("picture written to {path}", path=str(args.svg)))
