"""How a simulated robot drives: one planning cell at a time, on loop timers.

A straight run of released cells is driven as one rest-to-rest profile (the
model of ``fleet.routing.travel_time_s``: speed, acceleration, slow zones, plus
edge ``maxSpeed``), so estimates and the simulator agree. The robot stops to
turn (``turn_time`` per 90°), at nodes with HARD/SOFT actions, at the decision
point, and when its sensors see an obstacle (``World.obstacle``: it then waits
to be woken, and counts the wait). When the base grows while it brakes for the
old decision point, the next run starts at the speed it has (``v0``).

A hold (pause, e-stop, stuck, flat battery) freezes a move or turn where it is;
when the last hold is lifted the rest of it is driven and the next run starts
from rest.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fleet.floor.model import Cell
from fleet.vda import ErrorLevel

if TYPE_CHECKING:
    from sim.acceptance import Step
    from sim.robot import SimRobot


def run_profile(pieces: Sequence[tuple[float, float]], accel: float,
                v0: float = 0.0) -> list[tuple[float, float]]:
    """Per step of a straight run, (seconds, speed at the step's end anchor).

    ``pieces`` are (length m, speed limit m/s), two per step: the half of the
    step in the cell left, then the half in the cell entered. The run ends at rest.
    """
    n = len(pieces)
    border = [0.0] * (n + 1)
    border[0] = min(v0, pieces[0][1]) if n else 0.0
    for i in range(1, n):
        reach = math.sqrt(border[i - 1] ** 2 + 2 * accel * pieces[i - 1][0])
        border[i] = min(pieces[i - 1][1], pieces[i][1], reach)
    for i in range(n - 1, 0, -1):
        border[i] = min(border[i], math.sqrt(border[i + 1] ** 2 + 2 * accel * pieces[i][0]))
    if n:
        border[0] = min(border[0], math.sqrt(border[1] ** 2 + 2 * accel * pieces[0][0]))

    times: list[float] = []
    for (length, limit), va, vb in zip(pieces, border, border[1:], strict=False):
        peak = max(min(limit, math.sqrt((va * va + vb * vb) / 2 + accel * length)), va, vb)
        speeding = (peak * peak - va * va) / (2 * accel)
        braking = (peak * peak - vb * vb) / (2 * accel)
        cruise = max(0.0, length - speeding - braking)
        times.append((peak - va) / accel + (peak - vb) / accel
                     + (cruise / peak if peak > 0 else 0.0))
    return [(times[i] + times[i + 1], border[i + 2]) for i in range(0, n - 1, 2)]


class Drive:
    """One robot's motion. See the module docstring."""

    def __init__(self, robot: SimRobot, cell: Cell, heading: Cell | None) -> None:
        self.robot = robot
        self.cell = cell
        self.heading = heading
        self.holds: set[str] = set()
        self.move: Step | None = None
        self._move_end = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._turn_to: Cell | None = None
        self._frozen = 0.0
        self._run: deque[tuple[float, float]] = deque()
        self._v = 0.0
        self._v_next = 0.0
        self.run_stale = False
        self._waiting_since: float | None = None
        self._waiting_for: str | None = None
        self.distance_m = 0.0
        self.moves = 0
        self.waits = 0
        self._waited_s = 0.0
        self._held_since: float | None = None
        self._held_s = 0.0

    def traffic_wait_s(self, now: float) -> float:
        """Seconds stopped at the decision point with route left unreleased: time
        the controller's traffic held this robot back for others."""
        if self._held_since is None:
            return self._held_s
        return self._held_s + now - self._held_since

    def waiting_s(self, now: float) -> float:
        if self._waiting_since is None:
            return self._waited_s
        return self._waited_s + now - self._waiting_since

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    # -- holds ------------------------------------------------------------------------
    def hold(self, reason: str) -> None:
        """Stop at once (mid-cell if need be) until every hold is lifted."""
        first = not self.holds
        self.holds.add(reason)
        if first and self._handle is not None:
            self._frozen = max(0.0, self._move_end - self.robot.now())
            self._handle.cancel()
            self._handle = None
            self.robot.set_driving(False)
        self.robot.changed()

    def release(self, reason: str) -> None:
        self.holds.discard(reason)
        robot = self.robot
        robot.changed()
        if self.holds or self._handle is not None:
            return
        if self.move is not None:
            self._v_next = 0.0
            self._run.clear()
            self._resume(self._arrive)
        elif self._turn_to is not None:
            self._resume(self._turned)
        else:
            self.advance()

    def _resume(self, then: Callable[[], None]) -> None:
        robot = self.robot
        robot.set_driving(True)
        self._move_end = robot.now() + self._frozen
        self._handle = robot.loop.call_at(self._move_end, then)

    # -- moving -----------------------------------------------------------------------
    def advance(self) -> None:
        """Take the next step if nothing stops the robot; safe to call at any time."""
        robot = self.robot
        if self.move is not None or self._turn_to is not None or self.holds or not robot.started:
            return
        track = robot.track
        while True:
            step = track.upcoming()
            if step is None or not step.node.released or robot.actions.blocks_driving:
                if (step is not None and not step.node.released
                        and not robot.actions.blocks_driving and self._held_since is None):
                    self._held_since = robot.now()  # at the decision point, horizon ahead
                self._stop()
                return
            if step.cell != self.cell:
                break
            track.traverse()  # a node on the spot: reached without moving
            robot.actions.node_reached(step)
            robot.changed()
        dst = step.cell
        d = (dst[0] - self.cell[0], dst[1] - self.cell[1])
        if self.heading is not None and self.heading != d:
            self._turn(d)
            return
        self.heading = d
        world = robot.world
        why = world.obstacle(robot.serial, dst)
        if why is not None:
            self._wait(dst, why)
            return
        now = robot.now()
        if self._held_since is not None:
            self._held_s += now - self._held_since
            self._held_since = None
        if self._waiting_since is not None:
            self._waited_s += now - self._waiting_since
            self._waiting_since = None
            self._waiting_for = None
        if self.run_stale or not self._run:
            self._plan_run(d)
        t, self._v_next = self._run.popleft()
        if robot.charging:
            robot.set_charging(False)
        world.start_move(robot.serial, self.cell, dst, step.node.node_id, step.node.released)
        self.move = step
        robot.set_driving(True)
        self._move_end = now + t
        self._handle = robot.loop.call_at(self._move_end, self._arrive)

    def _stop(self) -> None:
        self._v = 0.0
        self._run.clear()
        self.robot.set_driving(False)

    def _wait(self, dst: Cell, why: str) -> None:
        robot = self.robot
        self._stop()
        if self._waiting_since is None:
            self._waiting_since = robot.now()
            self.waits += 1
        if why != self._waiting_for:
            self._waiting_for = why
            if why != "guest" and robot.world.referee is not None:
                robot.world.referee.near_miss(robot.now(), robot.serial, dst, why)
        robot.world.wait_for(dst, self.advance)

    def _turn(self, d: Cell) -> None:
        h = self.heading or d
        dot = h[0] * d[0] + h[1] * d[1]
        quarters = 1 if dot == 0 else 2 if dot < 0 else 0
        robot = self.robot
        self._stop()
        self._turn_to = d
        robot.set_driving(True)
        self._move_end = robot.now() + robot.model.turn_time * quarters
        self._handle = robot.loop.call_at(self._move_end, self._turned)

    def _turned(self) -> None:
        self._handle = None
        self.heading = self._turn_to
        self._turn_to = None
        self.robot.set_driving(False)
        self.advance()

    def _plan_run(self, d: Cell) -> None:
        self.run_stale = False
        robot = self.robot
        speed = robot.model.speed
        world = robot.world
        pieces: list[tuple[float, float]] = []
        prev = self.cell
        steps = robot.track.steps
        for k in range(robot.track.next, len(steps)):
            step = steps[k]
            cell = step.cell
            if not step.node.released or (cell[0] - prev[0], cell[1] - prev[1]) != d:
                break
            edge_limit = math.inf
            if step.edge is not None and step.edge.max_speed:
                edge_limit = step.edge.max_speed
            a, b = world.anchor(prev), world.anchor(cell)
            half = math.hypot(b[0] - a[0], b[1] - a[1]) / 2
            pieces.append((half, min(edge_limit, speed * world.speed_factor(prev))))
            pieces.append((half, min(edge_limit, speed * world.speed_factor(cell))))
            prev = cell
            if step.stops:
                break
        self._run = deque(run_profile(pieces, robot.model.acceleration, self._v))

    def _arrive(self) -> None:
        step = self.move
        assert step is not None
        robot = self.robot
        world = robot.world
        self.move = None
        self._handle = None
        world.finish_move(robot.serial)
        a, b = world.anchor(self.cell), world.anchor(step.cell)
        self.distance_m += math.hypot(b[0] - a[0], b[1] - a[1])
        self.moves += 1
        self.cell = step.cell
        self._v = self._v_next
        if robot.track.upcoming() is step:
            robot.track.traverse()
            robot.actions.node_reached(step)
        else:  # cancelled on the way: the node is reached, its actions are not run
            robot.track.passed(step)
            robot.actions.stopped()
        robot.changed()
        if robot.battery <= 0.0 and "battery" not in self.holds:
            robot.add_error("batteryEmpty", "the battery is flat", ErrorLevel.FATAL)
            self.hold("battery")
        self.advance()
