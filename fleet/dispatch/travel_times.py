"""Travel-time estimates for dispatch: seconds from a cell or a place to a place.

Exact under the routing time model, not a rule of thumb: a route is walked down
the precomputed distance field towards the place (a shortest route in steps,
keeping straight on ties so it turns as little as such a route can), then timed
with ``travel_time_s`` (acceleration, stops to turn, slow zones). Other robots
are ignored: these are free-flow times, the same kind of figure as the report's
lower bound. Results are cached per (cell, place), so after the first few
events a plan costs dictionary look-ups; ``warm`` fills the place-to-place table
up front for the pairs used most. The cell table keeps the ``CELLS_KEPT`` pairs used
last: robots stop on ever more cells as a day goes on, and every cell times every
place is more than a day needs (a 30-robot dinner asked 11,000 pairs in 4 hours,
still growing; the floor has 270,000).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol

from fleet.domain import RobotModel
from fleet.floor.model import Cell, FloorPlan, PlaceKind
from fleet.routing import StationFields, precompute_fields, travel_time_s
from fleet.routing.fields import find_place

CELLS_KEPT = 20_000
"""(cell, place) times kept, least recently used dropped first: a few MB."""


class Travel(Protocol):
    """What ordering and policies need to know about travel (tests pass a matrix)."""

    def from_cell(self, cell: Cell, place: str) -> float: ...

    def between(self, a: str, b: str) -> float: ...

    def to_charger(self, where: Cell | str) -> float: ...


class TravelTimes:
    """Free-flow travel times for one plan and one robot model, built once at start-up."""

    def __init__(self, plan: FloorPlan, model: RobotModel,
                 fields: StationFields | None = None) -> None:
        self.plan = plan
        self.model = model
        self.fields = fields if fields is not None else precompute_fields(plan)
        self._from_cell: OrderedDict[tuple[Cell, str], float] = OrderedDict()
        self._between: dict[tuple[str, str], float] = {}

    def route(self, cell: Cell, place: str) -> tuple[Cell, ...] | None:
        """A shortest route from ``cell`` to the nearest spot of ``place``; None if none."""
        field = self.fields.to(place)
        if not self.plan.in_bounds(cell) or not math.isfinite(field[cell]):
            return None
        cells = [cell]
        heading: Cell | None = None
        here = cell
        while field[here] > 0:
            best: Cell | None = None
            for nxt in self.plan.neighbours(here):
                if field[nxt] != field[here] - 1:
                    continue
                move = (nxt[0] - here[0], nxt[1] - here[1])
                if best is None or move == heading:
                    best = nxt
                if move == heading:
                    break
            if best is None:  # cannot happen with an exact field; be safe
                return None
            heading = (best[0] - here[0], best[1] - here[1])
            cells.append(best)
            here = best
        return tuple(cells)

    def from_cell(self, cell: Cell, place: str) -> float:
        """Seconds to drive from ``cell`` to ``place`` at rest at both ends; inf if unreachable."""
        key = (cell, place)
        found = self._from_cell.get(key)
        if found is not None:
            self._from_cell.move_to_end(key)
            return found
        cells = self.route(cell, place)
        m = self.model
        found = (math.inf if cells is None else
                 travel_time_s(self.plan, cells, speed=m.speed, acceleration=m.acceleration,
                               turn_time=m.turn_time))
        if len(self._from_cell) >= CELLS_KEPT:
            self._from_cell.popitem(last=False)
        self._from_cell[key] = found
        return found

    def cells_kept(self) -> int:
        """(cell, place) times held (at most ``CELLS_KEPT``)."""
        return len(self._from_cell)

    def between(self, a: str, b: str) -> float:
        """Seconds from the best spot of place ``a`` to place ``b`` (0 for the same place)."""
        if a == b:
            return 0.0
        key = (a, b)
        found = self._between.get(key)
        if found is None:
            source = find_place(self.plan, a)
            found = min((self.from_cell(c, b) for c in source.cells), default=math.inf)
            self._between[key] = found
        return found

    def nearest(self, cell: Cell, kind: PlaceKind,
                among: Iterable[str] | None = None) -> tuple[str | None, float]:
        """The place of ``kind`` (restricted to ``among`` when given) quickest to reach."""
        names = set(among) if among is not None else None
        best: tuple[str | None, float] = (None, math.inf)
        for place in self.plan.places_of(kind):
            if names is not None and place.name not in names:
                continue
            seconds = self.from_cell(cell, place.name)
            if seconds < best[1]:
                best = (place.name, seconds)
        return best

    def to_charger(self, where: Cell | str) -> float:
        """Seconds to the nearest charger (0 on a plan without chargers: nothing to reach)."""
        chargers = self.plan.places_of(PlaceKind.CHARGER)
        if not chargers:
            return 0.0
        if isinstance(where, str):
            return min(self.between(where, c.name) for c in chargers)
        return min(self.from_cell(where, c.name) for c in chargers)

    def warm(self) -> None:
        """Fill the table for passes x tables, tables x tables and tables x stations."""
        tables = [p.name for p in self.plan.tables]
        stations = [p.name for p in self.plan.places.values() if p.kind is not PlaceKind.TABLE]
        for table in tables:
            for other in (*tables, *stations):
                self.between(table, other)
                self.between(other, table)
