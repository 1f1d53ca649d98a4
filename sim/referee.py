"""The referee: ground-truth checks that a run never breaks the floor's rules.

The controller can only believe what robots report; the referee sees where the
robots truly are (``sim.world.World`` calls it on every placement, move start and
arrival) and records each broken rule:

- ``collision``: a robot enters a cell that another robot holds, or one of its
  one-lane partners (``FloorPlan.conflicts``: two robots there would touch);
- ``swap``: a robot starts A -> B while another is going B -> A;
- ``unreleased``: a robot enters a node the controller did not release to it.

Simulated robots have sensors and stop in front of an occupied cell, so with
sensing on a traffic bug shows as a *near miss* (a robot had to wait for another
robot the plan should have kept away) rather than a collision; near misses are
counted apart, as they are not violations. A strict referee raises at the first
violation (tests); a counting one records them all (runs and reports).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from fleet.errors import FleetError
from fleet.floor.model import Cell, FloorPlan

log = logging.getLogger(__name__)


class ViolationKind(StrEnum):
    COLLISION = "collision"
    SWAP = "swap"
    UNRELEASED = "unreleased"


@dataclass(frozen=True, slots=True)
class Violation:
    at: float
    kind: ViolationKind
    robots: tuple[str, ...]
    cell: Cell
    detail: str = ""

    def __str__(self) -> str:
        return (f"{self.at:.1f} s: {self.kind} of {', '.join(self.robots)} at "
                f"r{self.cell[0]}c{self.cell[1]}{': ' + self.detail if self.detail else ''}")


class RefereeError(FleetError):
    """Raised by a strict referee at the first violation; ``violation`` says which."""

    def __init__(self, violation: Violation) -> None:
        self.violation = violation
        super().__init__(str(violation))


class Referee:
    """Checks each move against ground truth. See the module docstring.

    The world passes its occupancy as two lookups so the referee keeps no copy of
    its own: ``occupants(cell)`` (robots holding a cell, moving ones hold both
    ends) and ``move_of(serial)`` (the (from, to) of a robot's move, or None).
    """

    def __init__(self, plan: FloorPlan, *, strict: bool = False) -> None:
        self.plan = plan
        self.strict = strict
        self.violations: list[Violation] = []
        self.near_misses = 0
        self.moves = 0
        self._conflicts = plan.conflicts

    def _record(self, violation: Violation) -> None:
        self.violations.append(violation)
        log.warning("referee: %s", violation)
        if self.strict:
            raise RefereeError(violation)

    def _clashes(self, serial: str, cell: Cell,
                 occupants: Callable[[Cell], tuple[str, ...]]) -> list[str]:
        found: list[str] = []
        for c in (cell, *self._conflicts.get(cell, ())):
            for other in occupants(c):
                if other != serial and other not in found:
                    found.append(other)
        return sorted(found)

    def placed(self, now: float, serial: str, cell: Cell,
               occupants: Callable[[Cell], tuple[str, ...]]) -> None:
        for other in self._clashes(serial, cell, occupants):
            self._record(Violation(now, ViolationKind.COLLISION, (serial, other), cell,
                                   "placed on an occupied cell"))

    def move_started(self, now: float, serial: str, src: Cell, dst: Cell, *, node_id: str,
                     released: bool, occupants: Callable[[Cell], tuple[str, ...]],
                     move_of: Callable[[str], tuple[Cell, Cell] | None]) -> None:
        """Called before the world marks ``dst`` as held by ``serial``."""
        self.moves += 1
        if not released:
            self._record(Violation(now, ViolationKind.UNRELEASED, (serial,), dst,
                                   f"node {node_id} was not released"))
        for other in self._clashes(serial, dst, occupants):
            if move_of(other) == (dst, src):
                self._record(Violation(now, ViolationKind.SWAP, (serial, other), dst,
                                       f"{serial} r{src[0]}c{src[1]} -> r{dst[0]}c{dst[1]} "
                                       f"while {other} goes the other way"))
            else:
                self._record(Violation(now, ViolationKind.COLLISION, (serial, other), dst))

    def near_miss(self, now: float, serial: str, cell: Cell, other: str) -> None:
        """A robot's sensors stopped it in front of ``cell`` because ``other`` was there."""
        self.near_misses += 1
        log.debug("referee: %.1f s: %s waits for %s at r%dc%d", now, serial, other, *cell)

    def summary(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in ViolationKind}
        for v in self.violations:
            counts[v.kind.value] += 1
        return {"violations": len(self.violations), **counts,
                "near_misses": self.near_misses, "moves": self.moves}
