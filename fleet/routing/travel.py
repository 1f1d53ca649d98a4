"""How far and how long a robot drives along a route of cells.

Distance is measured between anchors (where the robot actually stands in each
cell), so it is metres driven, not steps times the resolution.

Time model (what ``travel_time_s`` assumes, so estimates and the simulator can
be compared):

* The route splits into straight runs wherever the direction of travel changes.
  The robot starts each run at rest and stops at its end: it stops to turn.
* Each turn costs ``turn_time`` per 90 degrees (a reversal counts twice). The
  robot is assumed to face the first run already.
* Along a run the speed limit is ``speed`` times the slow-zone factor of the
  cell the robot is in; the border between two cells is taken halfway between
  their anchors. Speed changes at most at ``acceleration`` (braking likewise).
* Within those limits the robot drives the time-optimal profile: as fast as it
  may, braking early enough to meet every lower limit ahead and to stop at the
  run's end. With one limit this is the classic trapezoid (accelerate, cruise,
  decelerate), or a triangle when the run is too short to reach ``speed``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from fleet.floor.model import Cell, FloorPlan


def route_length_m(plan: FloorPlan, cells: Sequence[Cell]) -> float:
    """Metres driven: the sum of straight lines between consecutive anchors."""
    return sum(
        (math.dist(plan.anchor_of(a), plan.anchor_of(b)) for a, b in pairwise(cells)),
        0.0,
    )


def travel_time_s(plan: FloorPlan, cells: Sequence[Cell], *, speed: float,
                  acceleration: float, turn_time: float) -> float:
    """Seconds to drive ``cells`` from rest to rest under the model in the module docstring.

    ``speed`` in m/s and ``acceleration`` in m/s² must be positive, ``turn_time``
    (s per 90°) non-negative; consecutive cells must be 4-neighbours.
    """
    for label, value, low_ok in (("speed", speed, False), ("acceleration", acceleration, False),
                                 ("turn_time", turn_time, True)):
        if not math.isfinite(value) or value < 0 or (value == 0 and not low_ok):
            bound = ">= 0" if low_ok else "> 0"
            raise ValueError(f"{label} must be a finite number {bound}, got {value!r}")
    if len(cells) < 2:
        return 0.0

    directions: list[Cell] = []
    for a, b in pairwise(cells):
        move = (b[0] - a[0], b[1] - a[1])
        if abs(move[0]) + abs(move[1]) != 1:
            raise ValueError(f"route jumps from {tuple(a)} to {tuple(b)}: consecutive cells "
                             "must be 4-neighbours")
        directions.append(move)

    total = 0.0
    run_start = 0
    for i in range(1, len(directions) + 1):
        if i < len(directions) and directions[i] == directions[i - 1]:
            continue
        total += _run_time(plan, cells[run_start : i + 1], speed, acceleration)
        if i < len(directions):
            total += turn_time * _quarter_turns(directions[i - 1], directions[i])
        run_start = i
    return total


def _quarter_turns(before: Cell, after: Cell) -> int:
    dot = before[0] * after[0] + before[1] * after[1]
    return 1 if dot == 0 else 2 if dot < 0 else 0


def _run_time(plan: FloorPlan, cells: Sequence[Cell], speed: float, accel: float) -> float:
    """Time-optimal rest-to-rest drive along one straight run with piecewise speed limits."""
    # Pieces of (length, speed limit): half a step in each cell's speed zone.
    pieces: list[list[float]] = []
    for a, b in pairwise(cells):
        half = math.dist(plan.anchor_of(a), plan.anchor_of(b)) / 2
        for cell in (a, b):
            factor = float(plan.speed_factors[cell])
            if not factor > 0:
                raise ValueError(f"cell {tuple(cell)} of plan {plan.name!r} has speed factor "
                                 f"{factor}; a route cannot cross it")
            limit = speed * factor
            if pieces and pieces[-1][1] == limit:
                pieces[-1][0] += half
            else:
                pieces.append([half, limit])

    # Speeds at the borders between pieces: forward pass (acceleration), then
    # backward pass (braking), each capped by the limits on both sides.
    n = len(pieces)
    border = [0.0] * (n + 1)
    for i in range(1, n):
        reach = math.sqrt(border[i - 1] ** 2 + 2 * accel * pieces[i - 1][0])
        border[i] = min(pieces[i - 1][1], pieces[i][1], reach)
    for i in range(n - 1, 0, -1):
        border[i] = min(border[i], math.sqrt(border[i + 1] ** 2 + 2 * accel * pieces[i][0]))

    time = 0.0
    for (length, limit), v0, v1 in zip(pieces, border, border[1:], strict=False):
        peak = min(limit, math.sqrt((v0 * v0 + v1 * v1) / 2 + accel * length))
        speeding = (peak * peak - v0 * v0) / (2 * accel)
        braking = (peak * peak - v1 * v1) / (2 * accel)
        cruise = max(0.0, length - speeding - braking)
        time += (peak - v0) / accel + (peak - v1) / accel + (cruise / peak if peak > 0 else 0.0)
    return time
