"""``fleet bench ...``: speed measured as ratios against a baseline in the same run."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fleet.bench.floors import cases as floor_cases
from fleet.bench.floors import format_floor_bench
from fleet.bench.floors import summarise as summarise_floors
from fleet.bench.mqtt import format_mqtt_bench
from fleet.bench.routes import format_table, run_route_bench
from fleet.bench.sim import format_bench, parse_seeds, run_sim_bench, summarise
from fleet.cli.sim_cmd import (
    FAULTS,
    add_service_options,
    clock,
    duration_arg,
    load_setup,
    simulate,
    staff_help_arg,
)
from fleet.cli.workers import run_in_workers
from fleet.errors import FleetError
from fleet.floor import FloorPlan, load_floor
from fleet.floor.generate import STYLES

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

    sim = kinds.add_parser(
        "sim", help="our dispatch vs the baseline policy on simulated services",
        description="Run the same simulated service under both dispatch policies (fleet and "
                    "the first-come-first-served baseline), seed by seed, and print a Markdown "
                    "table per seed and a summary: mean and p95 wait ready -> table, wait "
                    "over the free-flow bound, served/failed/open dishes, violations, "
                    "deadlocks and speed (simulated seconds per wall second).",
        epilog="example:\n  fleet bench sim --robots 8 --scenario lunch-rush --duration 2h "
               "--seeds 1-5 --json bench.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_service_options(sim, duration=None)
    sim.add_argument("--seeds", type=seeds_arg, default=[1, 2, 3], metavar="SEEDS",
                     help="seeds to run, as a range or a list: 1-5, 1,2,3 (default 1-3)")
    sim.add_argument("--json", type=Path, metavar="OUT",
                     help="write every run's figures and the summary as JSON")
    sim.set_defaults(run=run_sim_bench_cmd)

    floors = kinds.add_parser(
        "floors", help="the lunch rush on generated floors nobody tuned to, for several "
                       "fleet sizes: does the service stay live?",
        description="Draw --floors floors with 'fleet map generate' (floor k: style k mod "
                    "the styles, seed k), run the service on each for every fleet size in "
                    "--robots and every seed in --seeds (in worker processes), and print per "
                    "floor and size: dishes served, left open, failed, mean wait over the "
                    "free-flow bound, freezes (robots with work that stood still past 120 s) "
                    "and the longest stand, violations. Then the verdicts: open dishes, "
                    "collapses (served falls > 2 %% when a robot is added), freezes.",
        epilog="example:\n  fleet bench floors --floors 20 --robots 2,4,6,8,12 --seeds 1-3 "
               "--json floors.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    floors.add_argument("--floors", type=positive(int), default=20, help="default 20")
    floors.add_argument("--styles", type=choices_arg(STYLES), default=list(STYLES),
                        metavar="STYLES", help=f"comma-separated (default {','.join(STYLES)})")
    floors.add_argument("--robots", type=sizes_arg, default=[2, 4, 6, 8, 12], metavar="SIZES",
                        help="fleet sizes, comma-separated (default 2,4,6,8,12)")
    floors.add_argument("--seeds", type=seeds_arg, default=[1, 2, 3], metavar="SEEDS",
                        help="service seeds: 1-3, 1,2 ... (default 1-3)")
    floors.add_argument("--scenario", default="lunch-rush", help="default lunch-rush")
    floors.add_argument("--duration", type=duration_arg, default=7200.0, metavar="TIME",
                        help="how long guests arrive (default 2h)")
    floors.add_argument("--faults", choices=FAULTS, default="none",
                        help="injected trouble (default none: a freeze is then the "
                             "controller's own)")
    floors.add_argument("--staff-help", type=staff_help_arg, default=180.0, metavar="TIME",
                        help="floor staff carry late dishes this long after the late alert "
                             "('off': nobody helps; default 3m)")
    floors.add_argument("--jobs", type=positive(int), default=os.cpu_count() or 1,
                        help="worker processes (default: one per core)")
    floors.add_argument("--config", type=Path, metavar="FILE",
                        help="config whose first robot model is used (default ./config.toml)")
    floors.add_argument("--json", type=Path, metavar="OUT", help="write every row as JSON")
    floors.set_defaults(run=run_floor_bench_cmd)

    mqtt = kinds.add_parser(
        "mqtt", help="VDA 5050 over MQTT: state ingestion and state-to-release latency, "
                     "Mosquitto beside iotcore",
        description="Each measure on each broker (a private instance started for it), same "
                    "client code, same run. Ingestion: a publisher process sends --messages "
                    "VDA 5050 states of --robots robots at QoS 0 as fast as it can; msg/s "
                    "for a bare client that only receives and for the full path (decode, "
                    "validate, links, runtime, Controller.on_state), and their ratio. "
                    "Latency: --robots simulated vehicles serving dishes, reporting at least "
                    "at 2 Hz, driven by the controller on the wall clock for --seconds; "
                    "p50/p99 of node reported passed -> vehicle holds the base extension.",
        epilog="example:\n  fleet bench mqtt --messages 20000 --robots 20 --seconds 30 "
               "--brokers mosquitto,iotcore --json bench-mqtt.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    mqtt.add_argument("--messages", type=positive(int), default=20_000,
                      help="states published per ingestion run (default 20000)")
    mqtt.add_argument("--robots", type=positive(int), default=20, help="robots (default 20)")
    mqtt.add_argument("--seconds", type=positive(float), default=30.0,
                      help="wall seconds per latency run (default 30)")
    mqtt.add_argument("--brokers", type=choices_arg(BROKERS), default=list(BROKERS),
                      metavar="KINDS", help="comma-separated, first is the baseline "
                                            "(default mosquitto,iotcore)")
    mqtt.add_argument("--measures", type=choices_arg(MEASURES), default=list(MEASURES),
                      metavar="WHICH", help="ingest, latency or both (default both)")
    mqtt.add_argument("--map", type=Path, default=Path("maps/bistro.toml"),
                      help="ingestion: the plan the idle robots stand on (default bistro)")
    mqtt.add_argument("--latency-map", type=Path, default=Path("maps/food-court.toml"),
                      help="latency: the plan the robots serve (default food-court: 20 "
                           "robots queue at the bistro's one pass and hardly drive)")
    mqtt.add_argument("--config", type=Path, help="config whose first robot model is used")
    mqtt.add_argument("--json", type=Path, metavar="OUT", help="write every row as JSON")
    mqtt.set_defaults(run=run_mqtt_bench_cmd)

    serial = kinds.add_parser(
        "serial", help="the serial protocol: bytes, decoding speed and a lossy line, "
                       "beside VDA 5050 JSON",
        description="Bytes per message on the line (a typical state, a cancelOrder, a "
                    "10-node order, the same with a serving stop) beside the same message "
                    "as VDA 5050 JSON; state messages decoded per second by Session.feed "
                    "beside decode_state on the JSON, one core, same run; and commands "
                    "over a modelled line with --error-rate byte errors both ways and over "
                    "a clean one, same seed: delivered exactly once, retries, latency.",
        epilog="example:\n  fleet bench serial --frames 20000 --commands 200 "
               "--json bench-serial.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    serial.add_argument("--frames", type=positive(int), default=20_000,
                        help="state messages per decoding run (default 20000)")
    serial.add_argument("--repeats", type=positive(int), default=3,
                        help="decoding runs (median; default 3)")
    serial.add_argument("--commands", type=positive(int), default=200,
                        help="commands of each kind over the line (default 200)")
    serial.add_argument("--error-rate", type=rate_arg, default=0.01,
                        help="share of bytes damaged each way: flipped, dropped or doubled "
                             "(default 0.01)")
    serial.add_argument("--baud", type=positive(int), default=115_200,
                        help="line speed, 10 bits a byte (default 115200)")
    serial.add_argument("--state-hz", type=positive(float), default=2.0,
                        help="the robot's state reports on the uplink meanwhile (default 2)")
    serial.add_argument("--seed", type=int, default=1)
    serial.add_argument("--json", type=Path, metavar="OUT", help="write every row as JSON")
    serial.set_defaults(run=run_serial_bench_cmd)

    dash = kinds.add_parser(
        "dashboard", help="the dashboard following a busy fleet, and submit -> ack latency",
        description="The dashboard (headless, the real app on a real client) following "
                    "--robots robots at --hz and --orders open orders fed over the embedded "
                    "broker by another process: its process's CPU share beside a bare client "
                    "taking the same feed, and the cost of one refresh beside its period. "
                    "Then a till's submitOrder -> acknowledgement through the controller's "
                    "API server beside a bare MQTT request -> echo of the same payload.",
        epilog="example:\n  fleet bench dashboard --robots 30 --hz 2 --orders 200 "
               "--seconds 20 --json bench-dashboard.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    dash.add_argument("--robots", type=positive(int), default=30)
    dash.add_argument("--hz", type=positive(float), default=2.0,
                      help="each robot's view per second (default 2)")
    dash.add_argument("--orders", type=positive(int), default=200)
    dash.add_argument("--seconds", type=positive(float), default=20.0,
                      help="measured window per follower (default 20)")
    dash.add_argument("--submits", type=positive(int), default=300,
                      help="orders submitted one at a time (default 300)")
    dash.add_argument("--map", type=Path, default=Path("maps/bistro.toml"))
    dash.add_argument("--json", type=Path, metavar="OUT", help="write every row as JSON")
    dash.set_defaults(run=run_dashboard_bench_cmd)


    mapf = kinds.add_parser(
        "mapf", help="multi-robot planning on the MAPF benchmark: PIBT/LaCAM vs the "
                     "prioritised planner",
        description="The PIBT/LaCAM planning core beside today's prioritised planner "
                    "(TrafficManager driven in unit steps), on MovingAI and LoRR 2023 files. "
                    "One-shot (--map with --scen): the first N agents of each scenario for "
                    "each N in --agents; prints solved, seconds and SoC/LB (sum of costs "
                    "over the sum of each agent's shortest path) per planner and their "
                    "ratios. Lifelong (--lorr): agents get their next task on arrival "
                    "(round robin, as LoRR 2023); prints goals reached per step and the time "
                    "of one planning step (p50, p99). Each instance and planner runs in its "
                    "own process with --time-limit (killed 10 s past it); every plan is "
                    "checked by the independent validator and a row that fails says "
                    "INVALID.",
        epilog="examples:\n"
               "  fleet bench mapf --map ../shared/bench/mapf/maps/room-32-32-4.map \\\n"
               "      --scen ../shared/bench/mapf/scen/room-32-32-4-random-1.scen "
               "--agents 10,50,100,200\n"
               "  fleet bench mapf --lorr ../shared/bench/mapf/lorr2023/MR23-I-04.json "
               "--steps 200 --json lorr.json --plans-out plans/",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    mapf.add_argument("--map", type=Path, help="MovingAI .map (one-shot)")
    mapf.add_argument("--scen", type=Path, nargs="+", default=[], metavar="FILE",
                      help="MovingAI .scen files for --map (one-shot)")
    mapf.add_argument("--agents", type=sizes_arg, default=[10, 50, 100, 200, 400],
                      metavar="SIZES", help="agent counts, comma-separated; counts beyond "
                                            "a scenario's lines are skipped "
                                            "(default 10,50,100,200,400)")
    mapf.add_argument("--lorr", type=Path, nargs="+", default=[], metavar="INSTANCE.json",
                      help="LoRR 2023 instance files (lifelong)")
    mapf.add_argument("--steps", type=positive(int), metavar="N",
                      help="lifelong steps (default: the instance's simulation_time.json "
                           "entry, else 500)")
    mapf.add_argument("--time-limit", type=positive(float), default=20.0, metavar="S",
                      help="seconds per instance and planner (default 20)")
    mapf.add_argument("--planners", type=choices_arg(MAPF_PLANNERS),
                      default=list(MAPF_PLANNERS), metavar="WHICH",
                      help="lacam, prioritised or both (default both; 'lacam' is PIBT "
                           "step by step in lifelong runs)")
    mapf.add_argument("--refine", type=float, default=0.0, metavar="S",
                      help="one-shot: after LaCAM's first plan, improve it by large "
                           "neighbourhood search for up to S seconds (inside --time-limit); "
                           "the table then shows SoC/LB first and refined (default 0: off)")
    mapf.add_argument("--no-guide", action="store_true",
                      help="PIBT (lifelong, and inside LaCAM) ranks moves by plain distances, "
                           "without the flow-priced guides (the core before them, for "
                           "comparison)")
    mapf.add_argument("--seed", type=int, default=0)
    mapf.add_argument("--json", type=Path, metavar="OUT", help="write every row as JSON")
    mapf.add_argument("--plans-out", type=Path, metavar="DIR",
                      help='write each plan as {"map": file, "agents": [[[x, y], ...], ...]}, '
                           "one position per unit step")
    mapf.set_defaults(run=run_mapf_bench_cmd)


BROKERS = ("mosquitto", "iotcore")
MAPF_PLANNERS = ("lacam", "prioritised")
MEASURES = ("ingest", "latency")


def positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    return parse


def rate_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (0.01 = 1 %), got {text}")
    return value


def choices_arg(allowed: tuple[str, ...]) -> Any:
    def parse(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in items if t not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of "
                                             f"{', '.join(allowed)}; got {text!r}")
        return list(dict.fromkeys(items))
    return parse


def seeds_arg(text: str) -> list[int]:
    try:
        return parse_seeds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def write_rows(console: Console, path: Path | None, payload: dict[str, Any]) -> None:
    """``--json OUT``: the run's parameters and rows, to compare runs later."""
    if path is None:
        return
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    console.print(f"rows written to {path}")


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
    write_rows(console, args.json, {"bench": "routes", "repeats": args.repeats,
                                    "seed": args.seed, "rows": rows})
    return 0


def run_sim_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    setup = load_setup(args.map, args.config, args.scenario)
    err = Console(stderr=True, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[sim]}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        runs = bar.add_task("runs", total=None, sim="")

        def run(policy: str, seed: int) -> dict[str, Any]:
            def progress(sim_s: float, total_s: float) -> None:
                bar.update(runs, sim=f"sim {clock(sim_s)} / {clock(total_s)}")

            return simulate(setup, args, seed=seed, policy=policy, progress=progress)

        def overall(done: int, total: int, doing: str) -> None:
            bar.update(runs, completed=done, total=total, description=doing, sim="")

        rows = run_sim_bench(run, args.seeds, progress=overall)
    console.print(format_bench(rows), markup=False, highlight=False, soft_wrap=True)
    console.print(f"\n({setup.plan.name}, {args.robots} robots, {args.scenario}, "
                  f"faults {args.faults}; {platform.python_implementation()} "
                  f"{platform.python_version()}, {platform.machine()})")
    write_rows(console, args.json, {
        "bench": "sim", "map": str(setup.map_path), "robots": args.robots,
        "scenario": args.scenario, "duration_s": args.duration, "faults": args.faults,
        "rows": rows, "summary": summarise(rows)})
    return 0


def sizes_arg(text: str) -> list[int]:
    try:
        sizes = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected fleet sizes like 2,4,8; got {text!r}"
                                         ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"fleet sizes must be 1 or more; got {text!r}")
    return sizes


def run_floor_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    from sim.floor_runs import run_floor_case  # noqa: PLC0415  (the simulator is not the core's)

    setup = load_setup(None, args.config, args.scenario)
    cfg_radius = setup.plan.robot_radius
    todo = floor_cases(args.floors, args.styles, args.robots, args.seeds)
    options = {"radius": cfg_radius, "scenario": args.scenario, "duration_s": args.duration,
               "faults": args.faults, "staff_help_s": args.staff_help}
    rows = run_in_workers(run_floor_case, [((case, setup.model), options) for case in todo],
                          jobs=args.jobs, label=f"{len(todo)} services on {args.floors} floors")
    order = {(c.name, c.robots, c.seed): i for i, c in enumerate(todo)}
    rows.sort(key=lambda r: order[(r["floor"], r["robots"], r["seed"])])
    console.print(format_floor_bench(rows), markup=False, highlight=False, soft_wrap=True)
    console.print(f"\n({args.scenario}, {clock(args.duration)} of arrivals, faults "
                  f"{args.faults}, seeds {','.join(map(str, args.seeds))}, {args.jobs} "
                  f"processes; {platform.python_implementation()} {platform.python_version()})")
    write_rows(console, args.json, {
        "bench": "floors", "floors": args.floors, "styles": args.styles,
        "robots": args.robots, "seeds": args.seeds, "scenario": args.scenario,
        "duration_s": args.duration, "faults": args.faults, "rows": rows,
        "summary": summarise_floors(rows)})
    return 0


def run_mqtt_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    # Imported here: brokers, MQTT clients and simulated vehicles are not the core's.
    from sim.bench.mqtt import MqttBenchOptions, run_mqtt_bench  # noqa: PLC0415

    setup = load_setup(args.map, args.config, "lunch-rush")
    latency_plan = (load_setup(args.latency_map, args.config, "lunch-rush").plan
                    if "latency" in args.measures else None)
    opts = MqttBenchOptions(plan=setup.plan, model=setup.model, latency_plan=latency_plan,
                            messages=args.messages, robots=args.robots, seconds=args.seconds,
                            brokers=tuple(args.brokers), measures=tuple(args.measures))
    err = Console(stderr=True, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def progress(done: int, total: int, doing: str) -> None:
            bar.update(task, completed=done, total=total, description=doing)

        try:
            rows = run_mqtt_bench(opts, progress)
        except ValueError as exc:
            raise FleetError(str(exc)) from exc
    console.print(format_mqtt_bench(rows), markup=False, highlight=False, soft_wrap=True)
    where = f"latency on {latency_plan.name}, " if latency_plan is not None else ""
    console.print(f"\n({args.messages} states from {args.robots} robots on {setup.plan.name}; "
                  f"{where}{args.robots} robots reporting at >= 2 Hz for {args.seconds:g} s; "
                  f"'in' = reported -> controller decided, 'out' = decided -> vehicle has it; "
                  f"{platform.python_implementation()} {platform.python_version()}, "
                  f"{platform.machine()}, {os.cpu_count()} cores)")
    write_rows(console, args.json, {
        "bench": "mqtt", "messages": args.messages, "robots": args.robots,
        "seconds": args.seconds, "brokers": args.brokers, "map": str(args.map),
        "latency_map": str(args.latency_map) if latency_plan is not None else None,
        "rows": rows})
    return 0


def run_serial_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    # Imported here: the serial driver is not the core's.
    from sim.bench.serial import (  # noqa: PLC0415
        SerialBenchOptions,
        format_serial_bench,
        run_serial_bench,
    )

    opts = SerialBenchOptions(frames=args.frames, repeats=args.repeats, commands=args.commands,
                              error_rate=args.error_rate, baud=args.baud, seed=args.seed,
                              state_hz=args.state_hz)
    err = Console(stderr=True, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def progress(done: int, total: int, doing: str) -> None:
            bar.update(task, completed=done, total=total, description=doing)

        rows = run_serial_bench(opts, progress)
    console.print(format_serial_bench(rows), markup=False, highlight=False, soft_wrap=True)
    console.print(f"\n(decoding: median of {args.repeats} runs of {args.frames} states; line: "
                  f"{args.commands} commands of each kind, one at a time, robot reporting at "
                  f"{args.state_hz:g} Hz; {platform.python_implementation()} "
                  f"{platform.python_version()}, {platform.machine()})")
    write_rows(console, args.json, {
        "bench": "serial", "frames": args.frames, "repeats": args.repeats,
        "commands": args.commands, "error_rate": args.error_rate, "baud": args.baud,
        "state_hz": args.state_hz, "seed": args.seed, "rows": rows})
    return 0


def run_dashboard_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    import asyncio  # noqa: PLC0415

    # Imported here: the dashboard, clients and brokers are not the core's.
    from fleet.bench.dashboard import format_dashboard_bench, run_dashboard_bench  # noqa: PLC0415

    err = Console(stderr=True, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("starting the embedded broker", total=None)

        def progress(doing: str) -> None:
            bar.update(task, description=doing)

        rows = asyncio.run(run_dashboard_bench(
            args.map, robots=args.robots, hz=args.hz, orders=args.orders, seconds=args.seconds,
            submits=args.submits, progress=progress))
    console.print(format_dashboard_bench(rows), markup=False, highlight=False, soft_wrap=True)
    console.print(f"\n({args.robots} robots at {args.hz:g} Hz and {args.orders} open orders on "
                  f"{args.map}, {args.seconds:g} s per follower, a 160x48 screen; "
                  f"{args.submits} submits one at a time; {platform.python_implementation()} "
                  f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores)")
    write_rows(console, args.json, {"bench": "dashboard", "robots": args.robots,
                                    "hz": args.hz, "orders": args.orders,
                                    "seconds": args.seconds, "submits": args.submits,
                                    "map": str(args.map), "rows": rows})
    return 0


def run_mapf_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    from fleet.bench.mapf import (  # noqa: PLC0415
        LifelongJob,
        OneShotJob,
        format_lifelong,
        format_one_shot,
        run_jobs,
        summary,
    )
    from fleet.bench.mapf_files import load_grid, read_lorr  # noqa: PLC0415

    if not args.lorr and args.map is None:
        raise FleetError("fleet bench mapf: give --map with --scen (one-shot) or --lorr "
                         "(lifelong)")
    if (args.map is None) != (not args.scen):
        raise FleetError("fleet bench mapf: --map and --scen go together")
    jobs: list[OneShotJob | LifelongJob] = []
    skipped: list[str] = []
    if args.map is not None:
        load_grid(args.map)  # a bad map is reported once, here
        for scen in args.scen:
            lines = _scen_lines(scen)
            for n in args.agents:
                if n > lines:
                    skipped.append(f"{scen.name} N={n} (the file has {lines} agents)")
                    continue
                jobs.extend(OneShotJob(args.map, scen, n, planner, args.time_limit,
                                       args.seed, args.plans_out is not None, args.refine,
                                       not args.no_guide)
                            for planner in args.planners)
    for path in args.lorr:
        steps = args.steps or read_lorr(path).steps or 500
        jobs.extend(LifelongJob(path, steps, planner, args.time_limit, args.seed,
                                args.plans_out is not None, not args.no_guide)
                    for planner in args.planners)
    err = Console(stderr=True, highlight=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("starting", total=len(jobs))

        def progress(done: int, total: int, doing: str) -> None:
            bar.update(task, completed=done, total=total, description=doing)

        rows = run_jobs(jobs, plans_out=args.plans_out, progress=progress)
    one_shot = [r for r in rows if r["kind"] == "one-shot"]
    lifelong = [r for r in rows if r["kind"] == "lifelong"]
    if one_shot:
        console.print(format_one_shot(one_shot), markup=False, highlight=False, soft_wrap=True)
        console.print(summary(one_shot), markup=False, highlight=False, soft_wrap=True)
    if lifelong:
        console.print(format_lifelong(lifelong), markup=False, highlight=False, soft_wrap=True)
    for row in rows:
        if row.get("problems"):
            console.print(f"INVALID {row['planner']} plan: {'; '.join(row['problems'])}",
                          markup=False, highlight=False)
    for text in skipped:
        console.print(f"skipped: {text}", markup=False, highlight=False)
    console.print(f"\n(time limit {args.time_limit:g} s per instance and planner; 'base' = "
                  f"prioritised TrafficManager in unit steps; {platform.python_implementation()} "
                  f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores)",
                  markup=False, highlight=False, soft_wrap=True)
    write_rows(console, args.json, {"bench": "mapf", "time_limit_s": args.time_limit,
                                    "seed": args.seed, "rows": rows})
    return 0


def _scen_lines(path: Path) -> int:
    """Agents a .scen file offers (its non-empty lines after the version line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetError(f"{path}: cannot read: {exc}") from exc
    return sum(1 for line in lines[1:] if line.strip())
