"""Distance fields: steps from (or to) a set of cells, for every cell of a plan.

A field is a float64 array of ``plan.shape``; unreachable cells hold ``np.inf``
(float so that ``inf`` compares and adds naturally in heuristics and costs).
Fields count steps, not metres: they are what A* needs as an exact heuristic
and what dispatch needs to rank robots by nearness to a place.

Three implementations give identical fields. ``distance_field`` (scipy's
csgraph, in C) is the one to use; ``wavefront_field`` (numpy array shifts) and
``bfs_field_python`` (a deque) stay as peers for tests and ``fleet bench routes``.

``towards=True`` measures distance *to* the cells, i.e. searches the reversed
graph: with one-way aisles, from-A and to-A differ.
"""

from __future__ import annotations

import difflib
import weakref
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from fleet.errors import RouteError
from fleet.floor.model import MOVES, Cell, FloatGrid, FloorPlan, Place

# Derived, immutable views of a plan (never search state), kept as long as the
# plan lives. FloorPlan is frozen, so they are computed once per plan.
_REVERSED: weakref.WeakKeyDictionary[FloorPlan, sparse.csr_matrix] = weakref.WeakKeyDictionary()


def reversed_graph(plan: FloorPlan) -> sparse.csr_matrix:
    """The plan's graph with every edge turned round: (b, a) for each step a -> b."""
    found = _REVERSED.get(plan)
    if found is None:
        found = sparse.csr_matrix(plan.graph.T)
        _REVERSED[plan] = found
    return found


def _source_indices(plan: FloorPlan, sources: Sequence[Cell]) -> list[int]:
    indices: list[int] = []
    for cell in sources:
        if not plan.in_bounds(cell):
            rows, cols = plan.shape
            raise RouteError(f"cell {tuple(cell)} is off the plan {plan.name!r} "
                             f"({rows} rows x {cols} cols)")
        indices.append(plan.index(cell))
    return indices


def distance_field(plan: FloorPlan, sources: Sequence[Cell], *,
                   towards: bool = False) -> FloatGrid:
    """Steps from the nearest of ``sources`` (to it, with ``towards``); inf if unreachable.

    A blocked source is its own island: 0 there, inf elsewhere. No sources
    gives a field of inf.
    """
    indices = _source_indices(plan, sources)
    if not indices:
        return np.full(plan.shape, np.inf)
    graph = reversed_graph(plan) if towards else plan.graph
    dist = csgraph.dijkstra(graph, directed=True, indices=indices, unweighted=True,
                            min_only=True)
    return np.asarray(dist, dtype=np.float64).reshape(plan.shape)


def _slices(shape: tuple[int, int], move: Cell) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """(from, to): grid[to] are the cells ``move`` away from grid[from]."""
    rows, cols = shape
    dr, dc = move
    src = (slice(max(0, -dr), rows - max(0, dr)), slice(max(0, -dc), cols - max(0, dc)))
    dst = (slice(max(0, dr), rows - max(0, -dr)), slice(max(0, dc), cols - max(0, -dc)))
    return src, dst


def wavefront_field(plan: FloorPlan, sources: Sequence[Cell], *,
                    towards: bool = False) -> FloatGrid:
    """Same as ``distance_field``, grown one whole frontier at a time with array shifts.

    Each round costs a few passes over the grid, so it pays on open floors with
    short fields and loses on long winding ones; kept to be measured.
    """
    indices = _source_indices(plan, sources)
    dist = np.full(plan.shape, np.inf)
    if not indices:
        return dist
    moves = [(plan.move_mask(move), *_slices(plan.shape, move)) for move in MOVES]
    frontier = np.zeros(plan.shape, dtype=bool)
    frontier.flat[indices] = True
    seen = frontier.copy()
    grown = np.empty_like(frontier)
    step = 0
    while frontier.any():
        dist[frontier] = step
        step += 1
        grown[...] = False
        for mask, src, dst in moves:
            if towards:
                # p joins when it may step into the frontier.
                grown[src] |= mask[src] & frontier[dst]
            else:
                grown[dst] |= frontier[src] & mask[src]
        np.logical_and(grown, ~seen, out=frontier)
        seen |= frontier
    return dist


def bfs_field_python(plan: FloorPlan, sources: Sequence[Cell], *,
                     towards: bool = False) -> FloatGrid:
    """Same as ``distance_field`` with a plain deque: the baseline others are measured against."""
    indices = _source_indices(plan, sources)
    rows, cols = plan.shape
    dist: dict[Cell, int] = {}
    queue: deque[Cell] = deque()
    for index in indices:
        cell = plan.cell_at(index)
        if cell not in dist:
            dist[cell] = 0
            queue.append(cell)
    while queue:
        cell = queue.popleft()
        d = dist[cell] + 1
        for nxt in _predecessors(plan, cell) if towards else plan.neighbours(cell):
            if nxt not in dist:
                dist[nxt] = d
                queue.append(nxt)
    out = np.full((rows, cols), np.inf)
    for (r, c), d in dist.items():
        out[r, c] = d
    return out


def _predecessors(plan: FloorPlan, cell: Cell) -> Iterator[Cell]:
    r, c = cell
    for dr, dc in MOVES:
        prev = (r - dr, c - dc)
        if plan.in_bounds(prev) and plan.can_move(prev, (dr, dc)):
            yield prev


def find_place(plan: FloorPlan, name: str) -> Place:
    """The place called ``name``; RouteError naming close matches when there is none."""
    try:
        return plan.place(name)
    except KeyError:
        close = difflib.get_close_matches(name, list(plan.places), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        known = ", ".join(sorted(plan.places)) or "none"
        raise RouteError(f"no place called {name!r} on plan {plan.name!r}{hint} "
                         f"(places: {known})") from None


@dataclass(frozen=True, eq=False)
class StationFields(Mapping[str, FloatGrid]):
    """A read-only field towards every place of one plan, computed once at start-up.

    Indexing by name gives the field (exact names); ``to`` and ``steps`` also take
    names case-insensitively and raise RouteError for an unknown place.
    """

    plan: FloorPlan
    fields: Mapping[str, FloatGrid]

    def __getitem__(self, name: str) -> FloatGrid:
        return self.fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def to(self, place_name: str) -> FloatGrid:
        """Steps from every cell to the nearest spot of the place."""
        return self.fields[find_place(self.plan, place_name).name]

    def steps(self, from_cell: Cell, place_name: str) -> float:
        """Steps from ``from_cell`` to the place's nearest spot; inf if it cannot get there."""
        field = self.to(place_name)
        if not self.plan.in_bounds(from_cell):
            raise RouteError(f"cell {tuple(from_cell)} is off the plan {self.plan.name!r}")
        return float(field[from_cell])


def precompute_fields(plan: FloorPlan) -> StationFields:
    """Fields towards every place of ``plan`` (all its spots as sources), read-only."""
    fields: dict[str, FloatGrid] = {}
    for name, place in plan.places.items():
        field = distance_field(plan, place.cells, towards=True)
        field.setflags(write=False)
        fields[name] = field
    return StationFields(plan=plan, fields=MappingProxyType(fields))
