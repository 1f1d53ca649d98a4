"""Things that go wrong on a restaurant floor, injected on schedule or at random.

- e-stop: someone presses the robot's emergency stop (``e_stop=MANUAL``); staff
  release it after a while;
- stuck: the robot cannot move (a chair leg in the wheels) and reports a
  WARNING error ``stuck`` until it frees itself;
- disconnect: the robot's link drops (OFFLINE) and comes back; the robot keeps
  driving its released base meanwhile, as the spec asks;
- aisle blockages: a guest stands in an aisle cell for a while.

Random injection draws from its own seeded ``Random`` in a fixed order (robots
by serial, kinds in declaration order), so the same seed gives the same faults
whatever the controller does. Overlapping faults of one kind on one robot end
when the last of them ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from random import Random

from fleet.floor.model import Cell
from sim.robot import SimRobot
from sim.world import World

log = logging.getLogger(__name__)


class FaultKind(StrEnum):
    E_STOP = "e-stop"
    STUCK = "stuck"
    DISCONNECT = "disconnect"


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Mean faults per robot-hour, and how long each lasts (uniform, seconds)."""

    e_stop_per_h: float = 0.1
    stuck_per_h: float = 0.2
    disconnect_per_h: float = 0.2
    e_stop_s: tuple[float, float] = (20.0, 90.0)
    stuck_s: tuple[float, float] = (10.0, 60.0)
    disconnect_s: tuple[float, float] = (5.0, 45.0)

    def of(self, kind: FaultKind) -> tuple[float, tuple[float, float]]:
        if kind is FaultKind.E_STOP:
            return self.e_stop_per_h, self.e_stop_s
        if kind is FaultKind.STUCK:
            return self.stuck_per_h, self.stuck_s
        return self.disconnect_per_h, self.disconnect_s


@dataclass(frozen=True, slots=True)
class FaultRecord:
    at: float
    serial: str
    kind: FaultKind
    duration_s: float


class Faults:
    """Schedules faults on a world's robots. See the module docstring."""

    def __init__(self, world: World, *, seed: int = 0) -> None:
        self.world = world
        self.rng = Random(seed)
        self.injected: list[FaultRecord] = []
        self._depth: dict[tuple[str, FaultKind], int] = {}
        self._handles: list[asyncio.TimerHandle] = []

    def schedule(self, robot: SimRobot, kind: FaultKind, at: float, duration_s: float) -> None:
        """``kind`` hits ``robot`` at loop time ``at`` and lasts ``duration_s``."""
        loop = self.world.loop
        self._handles.append(loop.call_at(at, self._begin, robot, kind, duration_s))
        self._handles.append(loop.call_at(at + duration_s, self._end, robot, kind))

    def _begin(self, robot: SimRobot, kind: FaultKind, duration_s: float) -> None:
        key = (robot.serial, kind)
        self._depth[key] = self._depth.get(key, 0) + 1
        self.injected.append(FaultRecord(self.world.now(), robot.serial, kind, duration_s))
        log.info("fault: %s on %s for %.0f s", kind, robot.serial, duration_s)
        self._apply(robot, kind, on=True)

    def _end(self, robot: SimRobot, kind: FaultKind) -> None:
        key = (robot.serial, kind)
        self._depth[key] -= 1
        if self._depth[key] == 0:
            self._apply(robot, kind, on=False)

    @staticmethod
    def _apply(robot: SimRobot, kind: FaultKind, *, on: bool) -> None:
        if kind is FaultKind.E_STOP:
            robot.set_e_stop(on)
        elif kind is FaultKind.STUCK:
            robot.set_stuck(on)
        else:
            robot.set_online(not on)

    def random(self, robots: Iterable[SimRobot], until: float,
               rates: FaultRates | None = None) -> int:
        """Poisson arrivals of every kind on every robot from now to ``until``; how many."""
        rates = rates or FaultRates()
        now = self.world.now()
        count = 0
        for robot in sorted(robots, key=lambda r: r.serial):
            for kind in FaultKind:
                per_h, (low, high) = rates.of(kind)
                if per_h <= 0:
                    continue
                t = now + self.rng.expovariate(per_h / 3600.0)
                while t < until:
                    self.schedule(robot, kind, t, self.rng.uniform(low, high))
                    count += 1
                    t += self.rng.expovariate(per_h / 3600.0)
        return count

    def aisle_blockages(self, per_h: float, until: float,
                        duration_s: tuple[float, float] = (10.0, 60.0)) -> int:
        """Guests standing in random aisle cells (not at places), at ``per_h`` per hour."""
        plan = self.world.plan
        spots = {c for p in plan.places.values() for c in p.cells}
        rows, cols = plan.shape
        aisles = [(r, c) for r in range(rows) for c in range(cols)
                  if plan.passable[r, c] and (r, c) not in spots]
        if per_h <= 0 or not aisles:
            return 0
        loop = self.world.loop
        t = self.world.now() + self.rng.expovariate(per_h / 3600.0)
        count = 0
        while t < until:
            cell = aisles[self.rng.randrange(len(aisles))]
            self._handles.append(loop.call_at(t, self._block, cell,
                                              self.rng.uniform(*duration_s)))
            count += 1
            t += self.rng.expovariate(per_h / 3600.0)
        return count

    def _block(self, cell: Cell, duration_s: float) -> None:
        if self.world.occupants(cell):
            return  # a guest does not stand where a robot is
        self.world.block(cell, self.world.now() + duration_s)

    def close(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
