"""Argument parsing and dispatch for ``fleet``; each area's commands live in a
module of their own and register themselves here."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from rich.console import Console

from fleet.cli import (
    api_cmd,
    bench_cmd,
    chaos_cmd,
    config_cmd,
    dashboard_cmd,
    demo_cmd,
    map_cmd,
    replay_cmd,
    report_cmd,
    run_cmd,
    sim_cmd,
    simrobots_cmd,
    size_cmd,
    users_cmd,
)
from fleet.errors import FleetError

DESCRIPTION = """\
fleet: the controller for a restaurant's serving robots.

Start here:
  fleet demo                         a whole simulated site and the live dashboard
  fleet demo --headless              the same without a terminal: progress and a report
  fleet sim --duration 2h            one simulated service and its report
  fleet replay POS.csv --robots 4,6  a real night from a till's log, served in simulation
  fleet run                          serve the site in config.toml (robots over MQTT or serial)
  fleet report --db fleet.db         a run's figures from its store (--csv DIR, dish ID)
  fleet size --target-mean 60        how many robots for this floor and service (a sweep)
  fleet chaos --seed 3               a fault campaign on a simulated site, then the invariants
  fleet dashboard --broker URL --site ID   the floor manager's dashboard on a running site
  fleet map check maps/bistro.toml   validate a floor plan and summarise it
  fleet map show maps/bistro.toml    draw a floor plan (--png OUT for a picture)
  fleet map route maps/bistro.toml pass W1   a route, its length and driving time
  fleet map generate --seed 7 --style narrow   a restaurant floor nobody tuned fleet to
  fleet users add NAME --role ROLE   who may log in to the site's broker (list, remove, acl)
  fleet api schemas --check          the fleet API's JSON schemas (docs/api) against the code
  fleet bench routes|sim|floors|mapf|mqtt|serial|dashboard   figures beside a baseline
                                     (BENCHMARKS.md)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleet", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (demo_cmd, run_cmd, sim_cmd, simrobots_cmd, dashboard_cmd, map_cmd, config_cmd,
                   replay_cmd, report_cmd, size_cmd, chaos_cmd, bench_cmd, api_cmd,
                   users_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        code: int = args.run(args, console)
    except FleetError as exc:
        err.print(f"[bold red]fleet {args.command}:[/] {exc}", markup=True, soft_wrap=True)
        return 1
    except BaseExceptionGroup as group:
        # A task group (fleet run, the demo) ended on an error of ours: say it in one
        # line, as for any FleetError; anything else is a bug and keeps its traceback.
        known, rest = group.split(FleetError)
        if rest is not None or known is None:
            raise
        for leaf in _leaves(known):
            err.print(f"[bold red]fleet {args.command}:[/] {leaf}", markup=True, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return code


def _leaves(group: BaseExceptionGroup[FleetError]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out += _leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc]
    return out


if __name__ == "__main__":
    sys.exit(main())
