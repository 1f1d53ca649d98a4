"""The one floor model every source compiles to.

A floor plan is a grid of square planning cells. A cell is *passable* when a
robot's centre can stand somewhere inside it without touching an obstacle
(obstacles already inflated by the robot's radius); two neighbouring passable
cells are joined when the robot can cross their shared border. Planners see
only this 4-connected graph; drivers see metres through ``anchor`` (where in a
cell the robot actually stands).

Rows run from north (row 0, the top of a drawing) to south, as in ROS images and
MovingAI maps, so files and pictures line up without flipping.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy import sparse

Cell = tuple[int, int]
"""(row, col) of a planning cell."""

BoolGrid = npt.NDArray[np.bool_]
FloatGrid = npt.NDArray[np.float64]

# Moves in the order planners try them; (drow, dcol).
NORTH: Cell = (-1, 0)
SOUTH: Cell = (1, 0)
WEST: Cell = (0, -1)
EAST: Cell = (0, 1)
MOVES: tuple[Cell, ...] = (NORTH, EAST, SOUTH, WEST)
DIRECTIONS: Mapping[str, Cell] = {"north": NORTH, "south": SOUTH, "east": EAST, "west": WEST}


class PlaceKind(StrEnum):
    TABLE = "table"
    PASS = "pass"
    DISH_RETURN = "dish_return"
    CHARGER = "charger"
    PARKING = "parking"
    HOST_STAND = "host_stand"


class ZoneKind(StrEnum):
    KEEP_OUT = "keep_out"
    SLOW = "slow"
    ONE_WAY = "one_way"


@dataclass(frozen=True, slots=True)
class Place:
    """A named place: a table or a station, reached at one or more spots.

    ``spots`` are where a robot stops (serving spots of a table, loading spots of
    a pass, the dock of a charger), in metres; ``cells`` the planning cells they
    fall in, in the same order.
    """

    name: str
    kind: PlaceKind
    spots: tuple[tuple[float, float], ...]
    cells: tuple[Cell, ...]
    seats: int = 0
    group: str | None = None
    outline: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Zone:
    """An area with a traffic rule. ``mask`` marks its cells; ``direction`` is the
    only allowed move inside a one-way zone; ``speed_factor`` scales speed in a
    slow zone."""

    name: str
    kind: ZoneKind
    mask: BoolGrid
    direction: Cell | None = None
    speed_factor: float = 1.0


@dataclass(frozen=True, eq=False)
class FloorPlan:
    """An immutable compiled floor plan. Build it through ``fleet.floor.load_floor``.

    ``blocked`` marks cells covered by an obstacle (for drawing); ``passable``
    marks cells a robot fits in; ``open_east[r, c]`` says the robot can cross
    between (r, c) and (r, c + 1), ``open_south[r, c]`` between (r, c) and
    (r + 1, c). Keep-out zones are already removed from ``passable``.
    """

    name: str
    source: str
    resolution: float
    origin: tuple[float, float]
    robot_radius: float
    blocked: BoolGrid
    passable: BoolGrid
    open_east: BoolGrid
    open_south: BoolGrid
    anchors: FloatGrid
    places: Mapping[str, Place] = field(default_factory=dict)
    zones: tuple[Zone, ...] = ()
    obstacles: tuple[tuple[str, tuple[tuple[float, float], ...]], ...] = ()

    @cached_property
    def shape(self) -> tuple[int, int]:
        return (int(self.passable.shape[0]), int(self.passable.shape[1]))

    @property
    def size_m(self) -> tuple[float, float]:
        rows, cols = self.shape
        return (cols * self.resolution, rows * self.resolution)

    # -- metres <-> cells ---------------------------------------------------------
    def cell_of(self, x: float, y: float) -> Cell | None:
        """The cell containing point (x, y) in metres, or None off the grid."""
        rows, cols = self.shape
        col = math.floor((x - self.origin[0]) / self.resolution)
        row = rows - 1 - math.floor((y - self.origin[1]) / self.resolution)
        if 0 <= row < rows and 0 <= col < cols:
            return (row, col)
        return None

    def centre_of(self, cell: Cell) -> tuple[float, float]:
        """The geometric centre of a cell, in metres."""
        rows, _ = self.shape
        r, c = cell
        return (
            self.origin[0] + (c + 0.5) * self.resolution,
            self.origin[1] + (rows - r - 0.5) * self.resolution,
        )

    def anchor_of(self, cell: Cell) -> tuple[float, float]:
        """Where a robot stands in ``cell``: the free point nearest its centre."""
        x, y = self.anchors[cell[0], cell[1]]
        return (float(x), float(y))

    # -- the planning graph ---------------------------------------------------------
    def index(self, cell: Cell) -> int:
        return cell[0] * self.shape[1] + cell[1]

    def cell_at(self, index: int) -> Cell:
        row, col = divmod(int(index), self.shape[1])
        return (row, col)

    def in_bounds(self, cell: Cell) -> bool:
        rows, cols = self.shape
        return 0 <= cell[0] < rows and 0 <= cell[1] < cols

    def is_passable(self, cell: Cell) -> bool:
        return self.in_bounds(cell) and bool(self.passable[cell])

    @cached_property
    def _move_masks(self) -> dict[Cell, BoolGrid]:
        """For each move, where it is allowed (source cell mask), one-way rules applied."""
        rows, cols = self.shape
        east = np.zeros((rows, cols), dtype=bool)
        east[:, :-1] = self.open_east
        west = np.zeros((rows, cols), dtype=bool)
        west[:, 1:] = self.open_east
        south = np.zeros((rows, cols), dtype=bool)
        south[:-1, :] = self.open_south
        north = np.zeros((rows, cols), dtype=bool)
        north[1:, :] = self.open_south
        masks = {EAST: east, WEST: west, SOUTH: south, NORTH: north}
        for zone in self.zones:
            if zone.kind is ZoneKind.ONE_WAY and zone.direction is not None:
                # Against the flow is forbidden from, into, and within the aisle.
                forbidden = (-zone.direction[0], -zone.direction[1])
                touches = zone.mask | _shift_back(zone.mask, forbidden)
                masks[forbidden] = masks[forbidden] & ~touches
        for mask in masks.values():
            mask.flags.writeable = False  # shared by every reader of the plan
        return masks

    def move_mask(self, move: Cell) -> BoolGrid:
        """Where ``move`` is allowed, as a read-only source cell mask (one-way rules
        applied): for planners that step whole grids at once."""
        return self._move_masks[move]

    def can_move(self, cell: Cell, move: Cell) -> bool:
        """True when a robot in passable ``cell`` may step by ``move``."""
        return bool(self._move_masks[move][cell])

    def neighbours(self, cell: Cell) -> Iterator[Cell]:
        """Cells reachable from ``cell`` in one step (waiting is the caller's business)."""
        r, c = cell
        masks = self._move_masks
        for move in MOVES:
            if masks[move][r, c]:
                yield (r + move[0], c + move[1])

    @cached_property
    def graph(self) -> sparse.csr_matrix:
        """Directed adjacency over cell indices; entry (a, b) means a -> b is a step."""
        rows, cols = self.shape
        n = rows * cols
        idx = np.arange(n).reshape(rows, cols)
        src: list[npt.NDArray[np.int64]] = []
        dst: list[npt.NDArray[np.int64]] = []
        for (dr, dc), mask in self._move_masks.items():
            a = idx[mask]
            src.append(a)
            dst.append(a + dr * cols + dc)
        s = np.concatenate(src)
        d = np.concatenate(dst)
        data = np.ones(len(s), dtype=np.float64)
        return sparse.csr_matrix((data, (s, d)), shape=(n, n))

    @cached_property
    def speed_factors(self) -> FloatGrid:
        """Per-cell speed multiplier (1 everywhere but slow zones)."""
        factors = np.ones(self.shape, dtype=np.float64)
        for zone in self.zones:
            if zone.kind is ZoneKind.SLOW:
                factors[zone.mask] = np.minimum(factors[zone.mask], zone.speed_factor)
        return factors

    @cached_property
    def conflicts(self) -> Mapping[Cell, tuple[Cell, ...]]:
        """Cells that cannot hold a robot while ``cell`` holds one.

        Where an aisle is narrower than two robots but straddles two rows of
        cells, both rows are passable (so the aisle is kept) yet their anchors
        are closer than a robot's diameter. Such cells are one lane: planners
        reserve, and the referee checks, a cell together with its partners.
        Cells in open floor have none (anchors one diameter apart).
        """
        rows, cols = self.shape
        limit = 2 * self.robot_radius * 0.999
        found: dict[Cell, list[Cell]] = {}
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            r0, r1 = 0, rows - dr
            c0, c1 = max(0, -dc), cols - max(0, dc)
            a = self.anchors[r0:r1, c0:c1]
            b = self.anchors[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
            both = self.passable[r0:r1, c0:c1] & self.passable[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
            close = both & (np.hypot(*(a - b).transpose(2, 0, 1)) < limit)
            for r, c in zip(*np.nonzero(close), strict=True):
                first = (int(r) + r0, int(c) + c0)
                second = (first[0] + dr, first[1] + dc)
                found.setdefault(first, []).append(second)
                found.setdefault(second, []).append(first)
        return {cell: tuple(sorted(partners)) for cell, partners in found.items()}

    def footprint(self, cell: Cell) -> tuple[Cell, ...]:
        """``cell`` and every cell a robot standing there makes unusable."""
        return (cell, *self.conflicts.get(cell, ()))

    # -- places ----------------------------------------------------------------
    def place(self, name: str) -> Place:
        """The place called ``name`` (case-insensitive); KeyError lists near names."""
        found = self.places.get(name)
        if found is not None:
            return found
        lowered = {k.lower(): v for k, v in self.places.items()}
        if name.lower() in lowered:
            return lowered[name.lower()]
        raise KeyError(name)

    def places_of(self, kind: PlaceKind) -> list[Place]:
        return [p for p in self.places.values() if p.kind is kind]

    @property
    def tables(self) -> list[Place]:
        return self.places_of(PlaceKind.TABLE)


def _shift_back(mask: BoolGrid, move: Cell) -> BoolGrid:
    """out[p] = mask[p + move] (False where p + move is off the grid)."""
    out = np.zeros_like(mask)
    rows, cols = mask.shape
    dr, dc = move
    out[max(0, -dr) : rows - max(0, dr), max(0, -dc) : cols - max(0, dc)] = mask[
        max(0, dr) : rows - max(0, -dr), max(0, dc) : cols - max(0, -dc)
    ]
    return out


def ways_around(passable: BoolGrid, east: BoolGrid, south: BoolGrid, cell: tuple[int, int],
                taken: set[tuple[int, int]]) -> int:
    """Into how many separate groups the cells two steps around ``cell`` fall, within
    the 5 x 5 cells centred on it, when the cells ``taken`` are occupied: more groups
    than the floor has there means a robot standing in ``cell`` closes a way past."""
    rows, cols = passable.shape
    r0, r1 = max(cell[0] - 2, 0), min(cell[0] + 3, rows)
    c0, c1 = max(cell[1] - 2, 0), min(cell[1] + 3, cols)
    free = {(r, c) for r in range(r0, r1) for c in range(c0, c1)
            if passable[r, c] and (r, c) not in taken}
    rim = [rc for rc in free if max(abs(rc[0] - cell[0]), abs(rc[1] - cell[1])) == 2]
    group: dict[tuple[int, int], int] = {}
    for start in rim:
        if start in group:
            continue
        n = len(set(group.values()))
        group[start] = n
        todo = [start]
        while todo:
            r, c = todo.pop()
            for nb, open_ in (((r, c + 1), c + 1 < cols and east[r, c]),
                              ((r, c - 1), c > 0 and east[r, c - 1]),
                              ((r + 1, c), r + 1 < rows and south[r, c]),
                              ((r - 1, c), r > 0 and south[r - 1, c])):
                if open_ and nb in free and nb not in group:
                    group[nb] = n
                    todo.append(nb)
    return len(set(group.values()))
