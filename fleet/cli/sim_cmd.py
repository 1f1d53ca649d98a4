"""``fleet sim``: one simulated service on a virtual clock, and its report.

The CLI wires the parts (config, floor plan, simulator) and judges the run: a
safety violation, an unrecovered deadlock or a dish left with no outcome makes
the exit code 1, so scripts and CI can run it as a check. The simulator (and
with it the controller) is imported when a run starts, so ``fleet map ...`` and
``--help`` neither wait for it nor break with it.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from fleet.config import Config, load_config
from fleet.domain import RobotModel
from fleet.errors import FleetError
from fleet.floor import FloorPlan, load_floor
from sim.scenarios import SCENARIOS, get_scenario

if TYPE_CHECKING:
    from sim.till_log import TillLog

FAULTS = ("none", "light", "heavy")
"""``sim.run.FAULT_LEVELS``, named here so the parser is built without loading the simulator."""

DURATION_ERROR = "expected e.g. 2h, 90m, 300s; got {!r}"
_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}

EPILOG = """\
examples:
  fleet sim --robots 8 --scenario lunch-rush --duration 2h --seed 1
  fleet sim --map maps/food-court.toml --robots 16 --scenario dinner --duration 90m
  fleet sim --policy baseline --faults none --json baseline.json

exit status: 0 when every dish was served, cancelled or failed with a reason and
nothing unsafe happened; 1 on a safety violation, an unrecovered deadlock or a
dish left without an outcome (each is named on stderr).
"""


def parse_duration(text: str) -> float:
    """Seconds from ``2h``, ``90m``, ``45s``, ``3600`` or ``1h30m``; ValueError otherwise."""
    cleaned = text.strip().lower()
    pos, total = 0, 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos or (not match.group(2) and pos > 0):
            break  # a gap, or a bare number after a unit ("1h30": minutes or seconds?)
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if not cleaned or pos != len(cleaned) or total <= 0:
        raise ValueError(DURATION_ERROR.format(text))
    return total


def duration_arg(text: str) -> float:
    """``parse_duration`` for argparse, so the message names the option."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def staff_help_arg(text: str) -> float | None:
    return None if text.strip().lower() in ("off", "none", "no") else duration_arg(text)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0; got {text!r}")
    return value


def scenario_help() -> str:
    return " ".join(f"{name}: {s.description}" for name, s in sorted(SCENARIOS.items()))


def add_service_options(p: argparse.ArgumentParser, *, duration: str | None) -> None:
    """The options ``fleet sim`` and ``fleet bench sim`` share: where, how many, what service."""
    add_floor_options(p)
    p.add_argument("--robots", type=positive_int, default=8, metavar="N",
                   help="how many robots serve (default 8); they start on chargers, "
                        "parking spots, then near the pass")
    p.add_argument("--scenario", default="lunch-rush", metavar="NAME",
                   help=f"the kind of service (default lunch-rush). {scenario_help()}")
    p.add_argument("--duration", type=duration_arg, default=duration, metavar="TIME",
                   help="how long guests keep arriving, e.g. 2h, 90m, 300s or 3600 "
                        "(seconds); robots then get up to 30 min to finish "
                        "(default: the scenario's own length)")
    add_trouble_options(p)


def add_floor_options(p: argparse.ArgumentParser) -> None:
    """Where a simulated service runs: the floor plan and the robot model's config."""
    p.add_argument("--map", type=Path, metavar="PLAN",
                   help="floor plan to serve on (default: site.map from the config, "
                        "e.g. maps/bistro.toml)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="config whose first robot model sets speed, trays and battery "
                        "(default: ./config.toml if present, else built-in defaults)")


def add_trouble_options(p: argparse.ArgumentParser) -> None:
    """What goes wrong in a simulated service, and who helps."""
    p.add_argument("--faults", choices=FAULTS, default="light",
                   help="injected trouble: none; light (rare e-stops, stuck robots, dropped "
                        "links, a few guests standing in aisles); heavy (ten times as "
                        "often). Default light")
    p.add_argument("--staff-help", type=staff_help_arg, default=180.0, metavar="TIME",
                   help="floor staff carry a table's dishes this long after the controller "
                        "reports them late at the pass; counted as 'by_staff' in the report "
                        "(a fleet too small shows as staff walking). 'off': nobody helps and "
                        "late dishes wait for a robot (default 3m)")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sim", help="run a simulated service and report waits, failures and safety",
        description="Run one restaurant service in simulation, much faster than real time: "
                    "the kitchen sends dishes as they are ready, the controller dispatches "
                    "the robots, simulated guests take their dishes, and a referee checks "
                    "that no two robots ever collide. Prints a report; the same seed gives "
                    "the same run.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_service_options(p, duration=None)
    p.add_argument("--seed", type=int, default=1,
                   help="random seed for guests, kitchen and faults (default 1)")
    p.add_argument("--policy", choices=("fleet", "baseline"), default="fleet",
                   help="fleet: our dispatch (several trays a trip, best table order); "
                        "baseline: first come first served, nearest idle robot, one tray a "
                        "trip, to compare against (default fleet)")
    p.add_argument("--json", type=Path, metavar="OUT",
                   help="also write the full report as JSON to OUT")
    p.add_argument("--transport", choices=("inproc", "mqtt", "serial", "mixed", "site"),
                   default="inproc",
                   help="inproc: robots in this process on a virtual clock (fastest); mqtt: "
                        "every robot a VDA 5050 vehicle of its own on a real broker; serial: "
                        "every robot's firmware behind a pseudo-terminal, reached by the serial "
                        "driver; mixed: half over MQTT, half over serial; site: the config's "
                        "own [[robots]] (--robots ignored), each as its model and transport "
                        "say (sim/configured.py). All but inproc run on a clock --speed times "
                        "faster than the wall")
    p.add_argument("--speed", type=float, default=10.0, metavar="X",
                   help="with --transport mqtt, serial or mixed: simulated seconds per wall "
                        "second (default 10)")
    p.add_argument("--broker", metavar="URL", default=None,
                   help="with --transport mqtt or mixed: mqtt://host:port of a broker to use "
                        "(default: "
                        "start the embedded one)")
    p.add_argument("--api", action="store_true",
                   help="with --transport mqtt: serve the fleet API on the broker (site id "
                        "from the config) and have the kitchen order through it as a till "
                        "would, so `fleet dashboard` can follow the run; SIGTERM ends the "
                        "service early with its report (this is what `fleet demo` runs)")
    p.add_argument("--store", type=Path, metavar="DB",
                   help="write orders, dishes, trips and events to this new SQLite file as "
                        "they happen, as the controller does in service, for `fleet report` "
                        "to read later (default: kept in memory)")
    p.set_defaults(run=run_sim)


@dataclass(frozen=True, slots=True)
class Setup:
    """What a run needs from the command line, loaded and checked once."""

    plan: FloorPlan
    model: RobotModel
    map_path: Path
    site_id: str = "sim"
    site_name: str = ""
    config: Config | None = None


def load_setup(map_path: Path | None, config_path: Path | None, scenario: str) -> Setup:
    """Config, robot model and floor plan; a FleetError names what is wrong."""
    try:
        get_scenario(scenario)
    except ValueError as exc:
        raise FleetError(str(exc)) from exc
    path = config_path or (Path("config.toml") if Path("config.toml").is_file() else None)
    cfg = load_config(path) if path is not None else Config()
    plan_path = map_path or cfg.map_path
    if map_path is None and not plan_path.is_file():
        where = f"site.map in {path}" if path is not None else "the built-in default"
        raise FleetError(f"no floor plan at {plan_path} ({where}); pass --map PLAN")
    radius = cfg.robot_models[0].radius
    return Setup(plan=load_floor(plan_path, robot_radius=radius), model=cfg.robot_model(),
                 map_path=plan_path, site_id=cfg.site.id, site_name=cfg.site.name,
                 config=cfg)


def simulate(setup: Setup, args: argparse.Namespace, *, seed: int, policy: str,
             progress: Callable[[float, float], None] | None,
             replay: TillLog | None = None, robots: int | None = None) -> dict[str, Any]:
    """One run with the service options in ``args`` (``robots`` overrides ``args.robots``),
    of the scenario or of a till's log (``replay``); a plan without room for the fleet is
    a FleetError."""
    from fleet.store import SqliteStore  # noqa: PLC0415
    from sim.configured import FleetRobot, fleet_of  # noqa: PLC0415
    from sim.run import SimOptions, run_simulation  # noqa: PLC0415  (see the module docstring)

    store_path: Path | None = getattr(args, "store", None)
    if store_path is not None and store_path.exists():
        # The report counts every dish in the store, and the kitchen's order ids repeat
        # from run to run: a second service in one file would mix the two.
        raise FleetError(f"--store {store_path}: the file exists; a simulated service "
                         "writes a store of its own: remove it or give a new path")
    transport: Any = getattr(args, "transport", "inproc")
    fleet: tuple[FleetRobot, ...] = ()
    if transport == "site":
        if setup.config is None or not setup.config.robots:
            raise FleetError("--transport site plays the config's [[robots]]: give --config "
                             "FILE with robots")
        fleet, transport = fleet_of(setup.config), "mqtt"
    store = SqliteStore(store_path) if store_path is not None else None
    opts = SimOptions(fleet=fleet,plan=setup.plan, model=setup.model,
                      robots=args.robots if robots is None else robots,
                      scenario=getattr(args, "scenario", "lunch-rush"),
                      duration_s=getattr(args, "duration", None), seed=seed, replay=replay,
                      policy="baseline" if policy == "baseline" else "fleet",
                      faults=args.faults, store=store,
                      staff_help_s=getattr(args, "staff_help", 180.0),
                      transport=transport,
                      speed=getattr(args, "speed", 10.0), broker_url=getattr(args, "broker", None),
                      api_site=setup.site_id if getattr(args, "api", False) else None,
                      site_name=setup.site_name, stop_on_signal=getattr(args, "api", False))
    try:
        report = run_simulation(opts, progress)
    except ValueError as exc:
        raise FleetError(f"cannot simulate on {setup.plan.name!r}: {exc}") from exc
    finally:
        if store is not None:
            store.close()
    report["map"] = str(setup.map_path)
    return report


def clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


@contextmanager
def sim_progress(err: Console, label: str) -> Iterator[Callable[[float, float], None]]:
    """A transient bar on simulated time; past the service's end it shows the drain."""
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("sim {task.fields[sim]}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None, sim="0:00:00")

        def progress(sim_s: float, total_s: float) -> None:
            draining = sim_s > total_s
            bar.update(task, completed=total_s if draining else sim_s, total=total_s,
                       sim=f"{clock(sim_s)} / {clock(total_s)}"
                           + (" (robots finishing)" if draining else ""))

        yield progress


def problems_of(report: Mapping[str, Any]) -> list[str]:
    """Why the run fails, in words; empty when it passes."""
    d = report["dishes"]
    found = []
    if report["violations"]:
        found.append(f"{report['violations']} safety violation(s) (two robots in one cell, a "
                     "swap, or a robot on a node it was not released)")
    if report["deadlocks"]["unrecovered"]:
        found.append(f"{report['deadlocks']['unrecovered']} deadlock(s) never recovered")
    if d["open"]:
        found.append(f"{d['open']} dish(es) still neither served, failed nor cancelled when "
                     "the run ended")
    if d.get("failed_without_reason"):
        found.append(f"{d['failed_without_reason']} dish(es) failed without a reason")
    return found


def coloured(report: Mapping[str, Any], text: str) -> Text:
    """``format_report`` text with the lines that fail the run in red."""
    red = {"violations": report["violations"] > 0, "  violation": True,
           "deadlocks": report["deadlocks"]["unrecovered"] > 0,
           "dishes": report["dishes"]["open"] > 0
           or report["dishes"].get("failed_without_reason", 0) > 0}
    out = Text()
    for line in text.splitlines():
        bad = any(flag and line.startswith(key + " ") for key, flag in red.items())
        out.append(line + "\n", style="bold red" if bad else "")
    out.rstrip()
    return out


def run_sim(args: argparse.Namespace, console: Console) -> int:
    from sim.report import format_report  # noqa: PLC0415  (see the module docstring)

    if args.api and args.transport not in ("mqtt", "site"):
        raise FleetError("--api serves the fleet API over MQTT: add --transport mqtt")
    setup = load_setup(args.map, args.config, args.scenario)
    err = Console(stderr=True, highlight=False)
    with sim_progress(err, f"{args.scenario} on {setup.plan.name}") as progress:
        report = simulate(setup, args, seed=args.seed, policy=args.policy, progress=progress)
    console.print(coloured(report, format_report(report)), highlight=False, soft_wrap=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"report written to {args.json}")
    if report.get("stopped_early"):
        console.print("stopped early (SIGINT or SIGTERM): the figures cover the service so far")
        return 0
    problems = problems_of(report)
    for problem in problems:
        err.print(Text(f"fleet sim: {problem}", style="bold red"))
    return 1 if problems else 0
