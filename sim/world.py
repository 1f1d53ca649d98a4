"""Ground truth for one simulated floor: where robots really are, which cells
guests block, and how long staff and guests take.

Robots hold cells: a robot standing in A holds A; moving A -> B it holds both
until it arrives in B. The referee sees every placement and move start; a robot
that may not enter a cell (another robot there or in a one-lane partner, or a
guest standing in it) registers to be woken when that changes, so waiting costs
no polling.

Behaviour of people is injected as plain callables so scenarios (or tests) can
make it fixed; the defaults draw from the world's own seeded ``Random``, in the
order the simulation asks, which is the same for the same seed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from random import Random

from fleet.floor.model import Cell, FloorPlan
from fleet.vda import Position
from sim.referee import Referee

Wake = Callable[[], None]
_EPS = 1e-6
"""Timers may fire this much early (the loop's clock resolution, float sums)."""


class World:
    """One floor's ground truth. See the module docstring.

    ``sensing=False`` makes robots drive into occupied cells (their sensors are
    off): only tests that force a violation for the referee want that.
    """

    def __init__(self, plan: FloorPlan, *, seed: int = 0, referee: Referee | None = None,
                 sensing: bool = True,
                 staff_load_s: Callable[[], float] | None = None,
                 guest_take_s: Callable[[], float] | None = None,
                 guest_absent: Callable[[], bool] | None = None) -> None:
        self.plan = plan
        self.rng = Random(seed)
        self.referee = referee
        self.sensing = sensing
        self.staff_load_s = staff_load_s or self._staff_load_s
        self.guest_take_s = guest_take_s or self._guest_take_s
        self.guest_absent = guest_absent or self._guest_absent
        self._occ: dict[Cell, list[str]] = {}
        self._cells: dict[str, list[Cell]] = {}
        self._moves: dict[str, tuple[Cell, Cell]] = {}
        self._blocked: dict[Cell, float] = {}
        self._waiters: dict[Cell, list[Wake]] = {}
        self._conflicts = plan.conflicts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._anchors: dict[Cell, tuple[float, float]] = {}
        self._factors: dict[Cell, float] = {}
        self._positions: dict[tuple[Cell, Cell | None, str], Position] = {}
        """Shared by every robot: one per cell, heading and map at most. Each robot kept
        its own, and 30 robots kept 100,000 after a simulated 4 hours, still growing."""
        self.blockages = 0

    # -- people (seeded defaults) ---------------------------------------------------
    def _staff_load_s(self) -> float:
        return self.rng.uniform(3.0, 6.0)

    def _guest_take_s(self) -> float:
        return min(40.0, max(5.0, self.rng.lognormvariate(math.log(12.0), 0.6)))

    def _guest_absent(self) -> bool:
        return self.rng.random() < 0.03

    # -- time --------------------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        """The loop's time; 0 before any loop runs (robots placed at set-up)."""
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                return 0.0
        return self._loop.time()

    # -- the plan, as plain floats (numpy indexing costs more than a move) -------------
    def anchor(self, cell: Cell) -> tuple[float, float]:
        found = self._anchors.get(cell)
        if found is None:
            found = self._anchors[cell] = self.plan.anchor_of(cell)
        return found

    def position(self, cell: Cell, heading: Cell | None, map_id: str) -> Position:
        """Where a robot on ``cell`` facing ``heading`` (east when None) reports it is."""
        key = (cell, heading, map_id)
        found = self._positions.get(key)
        if found is None:
            x, y = self.anchor(cell)
            dr, dc = heading or (0, 1)
            found = self._positions[key] = Position(x, y, math.atan2(-dr, dc), map_id)
        return found

    def positions_kept(self) -> int:
        return len(self._positions)

    def speed_factor(self, cell: Cell) -> float:
        found = self._factors.get(cell)
        if found is None:
            found = self._factors[cell] = float(self.plan.speed_factors[cell])
        return found

    # -- occupancy ---------------------------------------------------------------------
    def occupants(self, cell: Cell) -> tuple[str, ...]:
        return tuple(self._occ.get(cell, ()))

    def move_of(self, serial: str) -> tuple[Cell, Cell] | None:
        return self._moves.get(serial)

    def cells_of(self, serial: str) -> tuple[Cell, ...]:
        return tuple(self._cells.get(serial, ()))

    @property
    def robots(self) -> list[str]:
        return sorted(self._cells)

    def place(self, serial: str, cell: Cell) -> None:
        """Put a robot down in ``cell`` (start of a run, or staff carrying it)."""
        if not self.plan.is_passable(cell):
            raise ValueError(f"cannot place {serial} on r{cell[0]}c{cell[1]}: not passable")
        self.remove(serial)
        if self.referee is not None:
            self.referee.placed(self.now(), serial, cell, self.occupants)
        self._cells[serial] = [cell]
        self._occ.setdefault(cell, []).append(serial)

    def remove(self, serial: str) -> None:
        for cell in self._cells.pop(serial, []):
            self._release(serial, cell)
        self._moves.pop(serial, None)

    def obstacle(self, serial: str, cell: Cell) -> str | None:
        """Why ``serial`` may not enter ``cell`` now: another robot's serial, "guest",
        or None when it may. With sensing off, only guests stop a robot."""
        until = self._blocked.get(cell)
        if until is not None:
            if until > self.now() + _EPS:
                return "guest"
            del self._blocked[cell]
        if not self.sensing:
            return None
        occ = self._occ
        holders = occ.get(cell)
        if holders:
            for other in holders:
                if other != serial:
                    return other
        for partner in self._conflicts.get(cell, ()):
            for other in occ.get(partner, ()):
                if other != serial:
                    return other
        return None

    def wait_for(self, cell: Cell, wake: Wake) -> None:
        """Call ``wake`` (soon) once ``cell`` or one of its partners is left or unblocked."""
        for c in (cell, *self._conflicts.get(cell, ())):
            waiting = self._waiters.setdefault(c, [])
            if wake not in waiting:
                waiting.append(wake)

    def start_move(self, serial: str, src: Cell, dst: Cell, node_id: str,
                   released: bool) -> None:
        if self.referee is not None:
            self.referee.move_started(self.now(), serial, src, dst, node_id=node_id,
                                      released=released, occupants=self.occupants,
                                      move_of=self.move_of)
        self._moves[serial] = (src, dst)
        self._cells[serial].append(dst)
        self._occ.setdefault(dst, []).append(serial)

    def finish_move(self, serial: str) -> None:
        src, dst = self._moves.pop(serial)
        self._cells[serial] = [dst]
        self._release(serial, src)

    def _release(self, serial: str, cell: Cell) -> None:
        holders = self._occ[cell]
        holders.remove(serial)
        if not holders:
            del self._occ[cell]
        self._wake(cell)

    def _wake(self, cell: Cell) -> None:
        waiting = self._waiters.pop(cell, None)
        if waiting:
            loop = self.loop
            for wake in waiting:
                loop.call_soon(wake)

    # -- guests in the aisles -----------------------------------------------------------
    def block(self, cell: Cell, until: float) -> None:
        """A guest stands in ``cell`` until ``until``: robots wait in front of it."""
        self._blocked[cell] = max(until, self._blocked.get(cell, until))
        self.blockages += 1
        self.loop.call_at(until, self._unblock_if_due, cell)

    def _unblock_if_due(self, cell: Cell) -> None:
        until = self._blocked.get(cell)
        if until is not None and until <= self.now() + _EPS:
            del self._blocked[cell]
            self._wake(cell)

    def blocked(self, cell: Cell) -> bool:
        until = self._blocked.get(cell)
        return until is not None and until > self.now() + _EPS
