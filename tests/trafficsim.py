"""A discrete executor for traffic tests: the referee the traffic manager answers to.

Each step every robot (in a random order) may move one cell along its route,
but only into a released cell, and only if a seeded coin does not delay it.
It reports ``reached``; the manager releases; deadlocks are resolved. Legs come
from a ``LegSource`` when a robot's dwell at its goal is over. After every move
and every step the referee checks ground truth: never two robots in one cell
or one-lane footprint, never a swap, never a robot beyond its released cell.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fleet.floor.model import Cell, FloorPlan
from fleet.routing import StationFields
from fleet.traffic import Deadlock, PlanFailed, Route, TrafficManager

STEP_S = 0.5

LegSource = Callable[[random.Random, str, Cell], tuple[Sequence[Cell], int | None]]
"""(rng, robot, where it stands) -> (goal cells, dwell in steps or None for open-ended)."""


@dataclass
class Robot:
    name: str
    cell: Cell
    index: int = 0  # route index the robot stands on
    dwell: int | None = 0  # steps left at the goal; None = until told
    leg_since: int = 0
    done: bool = True  # the current leg has been counted as completed
    retry_at: int = 0


@dataclass
class TrafficSim:
    plan: FloorPlan
    starts: Mapping[str, Cell]
    seed: int = 0
    delay: float = 0.2
    legs: LegSource | None = None
    fields: StationFields | None = None
    max_release_ahead: int = 6
    slow: Mapping[str, float] = field(default_factory=dict)  # per-robot delay override
    tm: TrafficManager = field(init=False)
    robots: dict[str, Robot] = field(init=False)
    rng: random.Random = field(init=False)
    steps: int = 0
    now: float = 0.0
    completed: int = 0
    failures: list[PlanFailed] = field(default_factory=list)
    deadlocks: list[Deadlock] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    longest_leg: int = 0
    waits: int = 0
    held: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.tm = TrafficManager(self.plan, fields=self.fields,
                                 max_release_ahead=self.max_release_ahead)
        self.rng = random.Random(self.seed)
        self.robots = {}
        for name, cell in self.starts.items():
            self.tm.add_robot(name, cell, step_s=STEP_S, now=self.now)
            self.robots[name] = Robot(name, cell, dwell=None if self.legs is None else 0)

    # -- commands -------------------------------------------------------------------
    def give(self, name: str, goals: Sequence[Cell], dwell: int | None = 0) -> Route:
        """A new leg for ``name``; dwell in steps (None: stays until the next ``give``)."""
        robot = self.robots[name]
        route = self.tm.route(name, goals, now=self.now,
                              dwell_s=None if dwell is None else dwell * STEP_S)
        robot.index = 0
        robot.dwell = dwell
        robot.leg_since = self.steps
        robot.done = False
        return route

    def hold(self, name: str) -> None:
        self.held.add(name)
        self.tm.hold(name, "e-stop")

    def unhold(self, name: str) -> None:
        self.held.discard(name)
        self.tm.unhold(name)

    def at_goal(self, name: str) -> bool:
        robot = self.robots[name]
        return robot.index == len(self.tm.route_of(name).cells) - 1 and self.tm.leg_done(name)

    # -- the loop ------------------------------------------------------------------
    def run(self, steps: int, until: Callable[[], bool] | None = None) -> None:
        for _ in range(steps):
            self.step()
            if until is not None and until():
                return

    def step(self) -> None:
        self.steps += 1
        self.now = self.steps * STEP_S
        moves: list[tuple[str, Cell, Cell]] = []
        order = list(self.robots.values())
        self.rng.shuffle(order)
        for robot in order:
            if robot.name in self.held:
                continue
            route = self.tm.route_of(robot.name)
            if route.cells[robot.index] != robot.cell:
                self.violations.append(f"step {self.steps}: {robot.name} route lost its place")
            if robot.index < len(route.cells) - 1:
                self._drive(robot, route, moves)
            elif self.tm.leg_done(robot.name):
                self._at_goal(robot)
        for a, fa, ta in moves:
            for b, fb, tb in moves:
                if a < b and fa == tb and fb == ta:
                    self.violations.append(f"step {self.steps}: {a} and {b} swapped {fa}, {ta}")
        self.tm.release(now=self.now)
        self.deadlocks.extend(self.tm.resolve_deadlocks(now=self.now))
        self._referee()

    def _drive(self, robot: Robot, route: Route, moves: list[tuple[str, Cell, Cell]]) -> None:
        if self.rng.random() < self.slow.get(robot.name, self.delay):
            return
        if self.tm.released(robot.name) <= robot.index:
            self.waits += 1
            return
        target = route.cells[robot.index + 1]
        footprint = set(self.plan.footprint(target))
        for other in self.robots.values():
            if other is not robot and other.cell in footprint:
                self.violations.append(f"step {self.steps}: {robot.name} moved into {target} "
                                       f"next to {other.name} at {other.cell}")
        moves.append((robot.name, robot.cell, target))
        robot.cell = target
        robot.index += 1
        self.tm.reached(robot.name, robot.index, now=self.now)
        self.tm.release(now=self.now)

    def _at_goal(self, robot: Robot) -> None:
        if not robot.done:
            robot.done = True
            self.completed += 1
            self.longest_leg = max(self.longest_leg, self.steps - robot.leg_since)
        if robot.dwell is None or self.legs is None:
            return
        if robot.dwell > 0:
            robot.dwell -= 1
            return
        if self.steps < robot.retry_at:
            return
        goals, dwell = self.legs(self.rng, robot.name, robot.cell)
        try:
            self.give(robot.name, goals, dwell)
        except PlanFailed as exc:
            self.failures.append(exc)
            robot.retry_at = self.steps + 1 + self.rng.randrange(4)

    def _referee(self) -> None:
        cells = {r.name: r.cell for r in self.robots.values()}
        for a, ca in cells.items():
            if self.tm.position(a) != ca:
                self.violations.append(f"step {self.steps}: traffic puts {a} at "
                                       f"{self.tm.position(a)}, it is at {ca}")
            if self.tm.released(a) < self.robots[a].index:
                self.violations.append(f"step {self.steps}: {a} is beyond its released cell")
            footprint = set(self.plan.footprint(ca))
            for b, cb in cells.items():
                if a < b and cb in footprint:
                    self.violations.append(f"step {self.steps}: {a} at {ca} and {b} at {cb} "
                                           "share a footprint")
