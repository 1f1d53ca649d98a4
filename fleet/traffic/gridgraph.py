"""A 4-connected grid as flat cell numbers, and distance tables cached per goal.

The configuration generators (``pibt``, ``lacam``) run their inner loops in
plain Python, where a list lookup by an int is several times cheaper than a
tuple-keyed dict or a numpy scalar access; so a cell is ``row * width + col``
and every neighbour list is built once. Distances to a goal are asked for at
every step by every robot heading there, so each goal's table is computed
once (a breadth-first search in C via scipy) and kept, stored compactly
(``array('i')``: 4 bytes a cell) because a lifelong run visits many goals.

The search is scipy's ``breadth_first_order``, which gives the order cells were
reached in and each one's parent but no distances; distances follow from the
order in a few numpy steps (``_levels``). It is 2-5x faster than scipy's
``shortest_path`` with ``unweighted=True``, which runs Dijkstra with a heap
(den520d, 28k free cells: about 1.5 ms a table against 3.5-5 ms, and one table
per robot is most of the first plan's time at 200 robots).

Pure: numpy, scipy and the standard library.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

UNREACHABLE = 1 << 30
"""Distance of a cell from which the goal cannot be reached; larger than any real one."""


class GridGraph:
    """The passable cells of a grid and their 4-connected neighbours, by flat cell number.

    Immutable after construction: planners keep their search state elsewhere, so
    one graph can serve any number of planners and processes.
    """

    def __init__(self, passable: npt.NDArray[np.bool_],
                 neighbours: Sequence[tuple[int, ...]] | None = None) -> None:
        """``neighbours``: each cell's moves, when the grid's own four are not all
        allowed (a floor plan's walls between cells, one-way aisles); by default every
        pair of passable neighbours."""
        grid = np.asarray(passable, dtype=bool)
        if grid.ndim != 2:
            raise ValueError(f"expected a 2-D grid of passable cells, got shape {grid.shape}")
        self.height, self.width = (int(n) for n in grid.shape)
        self.passable = grid.copy()
        self.passable.setflags(write=False)
        flat = grid.ravel()
        self.neighbours: tuple[tuple[int, ...], ...] = (
            tuple(neighbours) if neighbours is not None else self._four(flat))
        self.size = grid.size
        # The search graph holds free cells only (numbered in cell order): on maps that
        # are mostly wall, a BFS then touches half the nodes or fewer.
        self.free_cells = np.flatnonzero(flat)
        compact = np.full(grid.size, -1, dtype=np.int64)
        compact[self.free_cells] = np.arange(len(self.free_cells))
        self.compact = compact
        src = [v for v, near in enumerate(self.neighbours) for _ in near]
        dst = [n for near in self.neighbours for n in near]
        n_free = len(self.free_cells)
        # Distance tables search outward from a goal, so every step is held reversed:
        # a one-way aisle is then measured the way robots may drive it.
        self.csr = sparse.csr_matrix(
            (np.ones(len(src), dtype=np.int8), (compact[dst], compact[src])),
            shape=(n_free, n_free))

    def _four(self, flat: npt.NDArray[np.bool_]) -> tuple[tuple[int, ...], ...]:
        w, h = self.width, self.height
        neighbours: list[tuple[int, ...]] = []
        for v in range(flat.size):
            if not flat[v]:
                neighbours.append(())
                continue
            r, c = divmod(v, w)
            near = []
            # The order is fixed (N, E, S, W) so plans are reproducible for a seed.
            if r > 0 and flat[v - w]:
                near.append(v - w)
            if c + 1 < w and flat[v + 1]:
                near.append(v + 1)
            if r + 1 < h and flat[v + w]:
                near.append(v + w)
            if c > 0 and flat[v - 1]:
                near.append(v - 1)
            neighbours.append(tuple(near))
        return tuple(neighbours)

    def cell(self, row: int, col: int) -> int:
        return row * self.width + col

    def row_col(self, v: int) -> tuple[int, int]:
        return divmod(v, self.width)

    def is_free(self, v: int) -> bool:
        return 0 <= v < self.size and bool(self.passable.flat[v])

    def component_labels(self) -> npt.NDArray[np.int32]:
        """Connected-component label per cell (blocked cells get -1)."""
        _, labels = csgraph.connected_components(self.csr, directed=False)
        out = np.full(self.size, -1, dtype=np.int32)
        out[self.free_cells] = labels
        return out


class DistanceTables:
    """Steps from every cell to a goal, one table per goal, computed on first use.

    Bounded: beyond ``max_cells`` stored entries the least recently used table
    is dropped (a lifelong run keeps handing out new goals; the grid is fixed).
    """

    def __init__(self, graph: GridGraph, *, max_cells: int = 50_000_000) -> None:
        self.graph = graph
        self.max_tables = max(1, max_cells // max(1, graph.size))
        self._tables: OrderedDict[int, array[int]] = OrderedDict()
        self.computed = 0
        # scipy's searches take float64 weights and would convert the graph's
        # (int8) on every call: a third of a table's time on den520d.
        self._search = graph.csr.astype(np.float64)

    def to(self, goal: int) -> array[int]:
        table = self._tables.get(goal)
        if table is not None:
            self._tables.move_to_end(goal)
            return table
        table = self._compute(goal)
        self._tables[goal] = table
        self.computed += 1
        if len(self._tables) > self.max_tables:
            self._tables.popitem(last=False)
        return table

    def prefetch(self, goals: Sequence[int]) -> None:
        """Compute the tables of all ``goals`` not yet held (bounded like ``to``)."""
        for goal in dict.fromkeys(goals):
            if goal not in self._tables:
                self._tables[goal] = self._compute(goal)
                self.computed += 1
        while len(self._tables) > self.max_tables:
            self._tables.popitem(last=False)

    def _compute(self, goal: int) -> array[int]:
        if not self.graph.is_free(goal):
            raise ValueError(f"goal cell {self.graph.row_col(goal)} is not passable")
        graph = self.graph
        order, parent = csgraph.breadth_first_order(
            self._search, int(graph.compact[goal]), directed=True, return_predecessors=True)
        steps = np.full(graph.size, UNREACHABLE, dtype=np.int32)
        steps[graph.free_cells[order]] = _levels(order, parent)
        return array("i", steps.tobytes())


def _levels(order: npt.NDArray[np.int32], parent: npt.NDArray[np.int32]
            ) -> npt.NDArray[np.int32]:
    """Each cell's distance from the root, in ``order`` (a breadth-first order).

    In breadth-first order the cells of one level come together, and so do their
    parents: the cells of level k + 1 are those, from the end of level k on, whose
    parent lies in level k. With ``up[i]`` the position in ``order`` of the parent of
    ``order[i + 1]`` (not decreasing), each next level starts after the last cell
    whose parent came before the current level's start: one binary search a level."""
    n = len(order)
    where = np.empty(len(parent), dtype=np.int64)
    where[order] = np.arange(n)
    up = where[parent[order[1:]]]
    starts = np.zeros(n, dtype=np.int32)
    begin = 1  # level 1 starts at position 1: the root alone is level 0
    while begin < n:
        starts[begin] = 1
        begin = int(up.searchsorted(begin, "left")) + 1
    return np.cumsum(starts, dtype=np.int32)
