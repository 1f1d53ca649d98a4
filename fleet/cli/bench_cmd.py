"""``fleet bench ...``: speed measured as ratios against a baseline in the same run.

This module holds the arguments of every benchmark and their checks; what each
one runs is in ``bench_runs``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from fleet.bench.sim import parse_seeds
from fleet.cli.bench_runs import (
    run_dashboard_bench_cmd,
    run_floor_bench_cmd,
    run_mapf_bench_cmd,
    run_mqtt_bench_cmd,
    run_routes,
    run_serial_bench_cmd,
    run_sim_bench_cmd,
)
from fleet.cli.sim_cmd import FAULTS, add_service_options, duration_arg, staff_help_arg
from fleet.floor.generate import STYLES


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
    floors.add_argument("--floors", type=floors_arg, default=20, metavar="FLOORS",
                        help="how many floors (N: floors 1..N) or which ones (101-120, "
                             "3,7: floors no earlier run has seen); default 20")
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
    mapf.add_argument("--budget", type=float, default=0.0, metavar="S",
                      help="one-shot: the whole plan within S seconds of wall time, "
                           "everything counted: LaCAM's first plan, then large "
                           "neighbourhood search until the time is up ('s' is then the "
                           "whole time, 'first s' still the first plan's; replaces "
                           "--refine; default 0: off)")
    mapf.add_argument("--good-enough", type=float, metavar="RATIO",
                      help="with --budget: stop the search early once SoC/LB is at most "
                           "RATIO (default: use the whole budget)")
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


def floors_arg(text: str) -> int | list[int]:
    """A count (``20``: floors 1..20) or floor numbers (``101-120``, ``3,7``)."""
    if text.strip().isdigit():
        count: int = positive(int)(text)
        return count
    numbers = seeds_arg(text)
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"floor numbers start at 1; got {text!r}")
    return numbers


def sizes_arg(text: str) -> list[int]:
    try:
        sizes = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected fleet sizes like 2,4,8; got {text!r}"
                                         ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"fleet sizes must be 1 or more; got {text!r}")
    return sizes

