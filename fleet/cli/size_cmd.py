"""``fleet size``: how many robots for this floor and this service.

Sweeps fleet sizes in simulation, several seeds each, in worker processes, and
answers with the smallest fleet that meets the wait targets (``fleet.bench.sizing``
says exactly how), with the table behind the answer and, on request, a plot of
the wait against the number of robots.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console

from fleet.bench.sizing import SizeFigures, answer, by_size, choose, format_sizes
from fleet.cli.bench_cmd import seeds_arg, sizes_arg
from fleet.cli.sim_cmd import FAULTS, clock, duration_arg, load_setup, staff_help_arg
from fleet.cli.workers import run_in_workers
from fleet.errors import FleetError

EPILOG = """\
examples:
  fleet size --map maps/bistro.toml --scenario lunch-rush --target-mean 60
  fleet size --robots 2,4,6,8 --seeds 1-5 --target-mean 45 --target-p95 120 --plot size.svg

The answer is the smallest fleet whose mean wait (ready at the pass -> at the
table) is at or under --target-mean at the top of its 95 % range over the seeds,
whose p95 is under --target-p95 (when given), that leaves no dish open and at
most --max-staff of them for staff to carry (--staff-help).
"""


def share_arg(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%")) / (100.0 if text.strip().endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share like 1% or 0.01; got {text!r}"
                                         ) from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share is between 0 and 100%; got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    value = duration_arg(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a wait above 0; got {text!r}")
    return value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "size", help="how many robots for a floor and a service: a sweep in simulation",
        description="Run the service on the floor plan for every fleet size in --robots "
                    "and every seed in --seeds (in worker processes), then answer: the "
                    "smallest fleet that keeps dishes' waits under the targets.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--map", type=Path, metavar="PLAN",
                   help="floor plan (default: site.map in the config)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="config whose first robot model is simulated (default ./config.toml)")
    p.add_argument("--scenario", default="lunch-rush", metavar="NAME",
                   help="the guests' arrivals (default lunch-rush)")
    p.add_argument("--duration", type=duration_arg, default=None, metavar="TIME",
                   help="how long guests arrive, e.g. 2h (default: the scenario's length)")
    p.add_argument("--robots", type=sizes_arg, default=[2, 3, 4, 6, 8, 10], metavar="SIZES",
                   help="fleet sizes to try, comma-separated (default 2,3,4,6,8,10)")
    p.add_argument("--seeds", type=seeds_arg, default=[1, 2, 3], metavar="SEEDS",
                   help="seeds per size: 1-5, 1,2,3 (default 1-3)")
    p.add_argument("--target-mean", type=positive_seconds, default=60.0, metavar="TIME",
                   help="the mean wait to meet, e.g. 60 or 1m (default 60 s)")
    p.add_argument("--target-p95", type=positive_seconds, default=None, metavar="TIME",
                   help="a p95 wait to meet as well (default: none)")
    p.add_argument("--max-staff", type=share_arg, default=0.01, metavar="SHARE",
                   help="the share of dishes staff may carry, e.g. 1%% or 0 (default 1%%)")
    p.add_argument("--faults", choices=FAULTS, default="light",
                   help="injected trouble while serving (default light)")
    p.add_argument("--staff-help", type=staff_help_arg, default=180.0, metavar="TIME",
                   help="staff carry late dishes this long after the late alert ('off': "
                        "they wait for a robot; default 3m)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: one per core)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write every run and the answer")
    p.add_argument("--plot", type=Path, metavar="FILE",
                   help="the wait against the fleet size, as .svg or .png")
    p.set_defaults(run=run_size)


def run_size(args: argparse.Namespace, console: Console) -> int:
    from sim.sizing_runs import run_size_case  # noqa: PLC0415  (the simulator is not the core's)

    if args.jobs < 1:
        raise FleetError(f"--jobs must be 1 or more; got {args.jobs}")
    if args.plot is not None and args.plot.suffix.lower() not in (".svg", ".png"):
        raise FleetError(f"--plot {args.plot}: write a .svg or a .png")
    setup = load_setup(args.map, args.config, args.scenario)
    options = {"scenario": args.scenario, "duration_s": args.duration, "faults": args.faults,
               "staff_help_s": args.staff_help}
    calls = [((setup.plan, setup.model, n, s), options) for n in args.robots for s in args.seeds]
    rows = run_in_workers(run_size_case, calls, jobs=args.jobs,
                          label=f"{len(calls)} services on {setup.plan.name}")
    rows.sort(key=lambda r: (r["robots"], r["seed"]))
    sizes = by_size(rows)
    console.print(format_sizes(sizes, args.target_mean, args.target_p95, args.max_staff),
                  markup=False, highlight=False, soft_wrap=True)
    said = answer(sizes, args.target_mean, args.target_p95, args.max_staff)
    console.print(f"\n{said}", markup=False, highlight=False, soft_wrap=True)
    length = clock(args.duration) if args.duration is not None else "its own length"
    console.print(f"({setup.plan.name}, {args.scenario} for {length}, faults {args.faults}, "
                  f"seeds {','.join(map(str, args.seeds))})", markup=False, highlight=False)
    best = choose(sizes, args.target_mean, args.target_p95, args.max_staff)
    if args.json is not None:
        args.json.write_text(json.dumps({
            "map": str(setup.map_path), "scenario": args.scenario,
            "duration_s": args.duration, "faults": args.faults, "seeds": args.seeds,
            "target_mean_s": args.target_mean, "target_p95_s": args.target_p95,
            "robots": best.robots if best is not None else None, "answer": said,
            "rows": rows}, indent=2) + "\n", encoding="utf-8")
        console.print(f"runs written to {args.json}")
    if args.plot is not None:
        _plot(sizes, (args.target_mean, args.target_p95), best, args.plot, setup.plan.name)
        console.print(f"plot written to {args.plot}")
    return 0


def _plot(sizes: list[SizeFigures], targets: tuple[float, float | None],
          best: SizeFigures | None, path: Path, floor: str) -> None:
    import matplotlib  # noqa: PLC0415  (only for --plot)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    target_mean, target_p95 = targets
    ran = [s for s in sizes if s.mean_wait_s is not None]
    xs = [s.robots for s in ran]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.fill_between(xs, [s.low_s or 0.0 for s in ran], [s.high_s or 0.0 for s in ran],
                    alpha=0.25, label="mean wait, 95 % range")
    ax.plot(xs, [s.mean_wait_s or 0.0 for s in ran], marker="o", label="mean wait")
    ax.plot(xs, [s.p95_wait_s or 0.0 for s in ran], marker="s", linestyle="--",
            label="p95 wait")
    ax.axhline(target_mean, color="green", linewidth=1, label=f"target mean {target_mean:g} s")
    if target_p95 is not None:
        ax.axhline(target_p95, color="orange", linewidth=1,
                   label=f"target p95 {target_p95:g} s")
    if best is not None:
        ax.axvline(best.robots, color="black", linestyle=":", label=f"{best.robots} robots")
    ax.set_xlabel("robots")
    ax.set_ylabel("wait ready -> table (s)")
    ax.set_title(f"{floor}: wait against fleet size")
    ax.set_xticks(xs)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
