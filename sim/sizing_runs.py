"""One service of ``fleet size``: a fleet size and a seed on the given floor.

A top-level function of plain (picklable) arguments, so the command can hand the
runs to worker processes and use every core.
"""

from __future__ import annotations

from typing import Any

from fleet.bench.sizing import run_row
from fleet.domain import RobotModel
from fleet.floor import FloorPlan
from sim.run import SimOptions, run_simulation


def run_size_case(plan: FloorPlan, model: RobotModel, robots: int, seed: int, *,
                  scenario: str, duration_s: float | None, faults: str,
                  staff_help_s: float | None) -> dict[str, Any]:
    opts = SimOptions(plan=plan, model=model, robots=robots, scenario=scenario,
                      duration_s=duration_s, seed=seed, faults=faults,
                      staff_help_s=staff_help_s)
    try:
        report = run_simulation(opts)
    except ValueError as exc:  # no room on the floor for that many robots to start
        return run_row(robots, seed, None, error=str(exc))
    return run_row(robots, seed, report)
