"""The values traffic hands to its caller: routes, waits, deadlocks, counters, failures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fleet.errors import RouteError
from fleet.floor.model import Cell

RobotId = str


@dataclass(frozen=True, slots=True)
class Route:
    """A robot's current leg, as the VDA 5050 order the controller sends.

    ``leg`` becomes the orderId, ``version`` the orderUpdateId. ``cells[:kept]``
    are unchanged from the previous version: on a replan they include every
    released cell, because a released base can never be taken back.
    """

    robot: RobotId
    leg: int
    version: int
    cells: tuple[Cell, ...]
    kept: int

    @property
    def goal(self) -> Cell:
        return self.cells[-1]


@dataclass(frozen=True, slots=True)
class Wait:
    """``robot`` is not released further until ``blocker`` has left ``cell``."""

    robot: RobotId
    blocker: RobotId
    cell: Cell

    def __str__(self) -> str:
        return f"{self.robot} waits for {self.blocker} to leave {self.cell}"


@dataclass(frozen=True, slots=True)
class Deadlock:
    """Robots that cannot move until something changes, and what was done about it.

    ``kind`` is ``cycle`` (robots wait on each other), ``held`` (a chain ends at a
    paused, e-stopped or offline robot) or ``parked`` (a chain ends at a robot
    whose route has ended and that stays put). ``blockers`` are the robots the
    caller could move to end it.
    """

    robots: tuple[RobotId, ...]
    reason: str
    recovered: bool
    action: str
    kind: str = "cycle"
    blockers: tuple[RobotId, ...] = ()


@dataclass(slots=True)
class TrafficStats:
    """Counters since the manager was made; ``plan_s`` is wall time spent planning."""

    plans: int = 0
    plan_failures: int = 0
    expansions: int = 0
    replans: int = 0
    replans_changed: int = 0
    replan_failures: int = 0
    backouts: int = 0
    yields: int = 0
    """Routes taken back (unreleased part) so that a robot that could not plan goes first."""
    deadlocks_detected: int = 0
    """Cycles of robots waiting on each other (a safety net: the graph is acyclic)."""
    stalls_detected: int = 0
    """Robots waiting on one that stays past its dwell (a slow guest) or is held:
    the everyday case, replanned around where there is a way, else waited out."""
    deadlocks_unrecovered: int = 0
    stalls: int = 0
    overlaps: int = 0
    plan_s: float = 0.0
    floor_solves: int = 0
    """Whole-floor solves tried (``floorsolve``: a leg that could not be planned, or a
    deadlock recovery could not end)."""
    floor_solved: int = 0
    """Of those, solves committed."""
    floor_solve_ms: list[float] = field(default_factory=list)
    """Wall time of each solve, in milliseconds, tried or committed."""
    floor_refusals: Counter[str] = field(default_factory=Counter)
    """Why solves were not committed, by reason."""


class PlanFailed(RouteError):  # noqa: N818 - the name the controller catches
    """Raised when a robot's leg cannot be planned now; ``blockers`` are the robots
    (parked, held or in the way) whose moving away would let it through."""

    def __init__(self, reason: str, blockers: tuple[RobotId, ...] = ()) -> None:
        self.reason = reason
        self.blockers = blockers
        named = f" (blocked by {', '.join(blockers)})" if blockers else ""
        super().__init__(reason + named)
