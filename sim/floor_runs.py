"""One case of ``fleet bench floors``: draw the floor, run the service, return the row.

A top-level function of plain arguments, so the command can hand cases to worker
processes (``concurrent.futures``) and use every core.
"""

from __future__ import annotations

from typing import Any

from fleet.bench.floors import FloorCase, row
from fleet.domain import RobotModel
from fleet.errors import FloorPlanError
from fleet.floor.generate import generate_floor
from sim.run import SimOptions, run_simulation


def run_floor_case(case: FloorCase, model: RobotModel, *, radius: float, scenario: str,
                   duration_s: float | None, faults: str,
                   staff_help_s: float | None = 180.0) -> dict[str, Any]:
    try:
        _, plan = generate_floor(case.floor, case.style, robot_radius=radius)
    except FloorPlanError as exc:
        return row(case, None, error=f"floor: {exc}")
    opts = SimOptions(plan=plan, model=model, robots=case.robots, scenario=scenario,
                      duration_s=duration_s, seed=case.seed, faults=faults,
                      staff_help_s=staff_help_s)
    try:
        report = run_simulation(opts)
    except ValueError as exc:  # no room for that many robots to start
        return row(case, None, tables=len(plan.tables), error=str(exc))
    return row(case, report, tables=len(plan.tables))
