"""What each ``fleet bench ...`` does once its arguments are parsed: run the
benchmark with a progress bar, print its table and write its rows (``--json``).

Apart from ``bench_cmd`` (the arguments) so that either reads in one sitting; the
simulator, brokers and drivers a benchmark needs are imported inside its function,
as the core does not need them.
"""

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
from fleet.bench.sim import format_bench, run_sim_bench, summarise
from fleet.cli.sim_cmd import clock, load_setup, simulate
from fleet.cli.workers import run_in_workers
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


def run_floor_bench_cmd(args: argparse.Namespace, console: Console) -> int:
    from sim.floor_runs import run_floor_case  # noqa: PLC0415  (the simulator is not the core's)

    setup = load_setup(None, args.config, args.scenario)
    cfg_radius = setup.plan.robot_radius
    todo = floor_cases(args.floors, args.styles, args.robots, args.seeds)
    options = {"radius": cfg_radius, "scenario": args.scenario, "duration_s": args.duration,
               "faults": args.faults, "staff_help_s": args.staff_help}
    n_floors = len({c.floor for c in todo})
    rows = run_in_workers(run_floor_case, [((case, setup.model), options) for case in todo],
                          jobs=args.jobs, label=f"{len(todo)} services on {n_floors} floors")
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
    from fleet.bench.mapf import LifelongJob, OneShotJob, run_jobs  # noqa: PLC0415
    from fleet.bench.mapf_files import load_grid, read_lorr  # noqa: PLC0415
    from fleet.bench.mapf_tables import (  # noqa: PLC0415
        format_lifelong,
        format_one_shot,
        summary,
    )

    if not args.lorr and args.map is None:
        raise FleetError("fleet bench mapf: give --map with --scen (one-shot) or --lorr "
                         "(lifelong)")
    if (args.map is None) != (not args.scen):
        raise FleetError("fleet bench mapf: --map and --scen go together")
    if args.budget > 0 and args.refine > 0:
        raise FleetError("fleet bench mapf: give --budget or --refine, not both")
    if args.good_enough is not None and args.budget <= 0:
        raise FleetError("fleet bench mapf: --good-enough needs --budget")
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
                                       not args.no_guide, args.budget, args.good_enough)
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
    if args.budget > 0:
        console.print(f"(ours: first plan and LNS within {args.budget:g} s, all counted"
                      + (f", LNS stopped at SoC/LB <= {args.good_enough:g}"
                         if args.good_enough is not None else "") + ")",
                      markup=False, highlight=False, soft_wrap=True)
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

