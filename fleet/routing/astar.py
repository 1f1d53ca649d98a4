"""Single-robot shortest routes on the floor graph, ignoring other robots.

A* with a heap. The default heuristic is Manhattan distance (admissible: every
step moves one cell). Given an exact distance field towards the goal, A* walks
straight down it and expands only the cells of the route, which is why
``StationFields`` are computed once per plan.

Ties are broken deterministically: lower f, then lower h (the cell nearer the
goal, so equal-cost routes are not explored side by side), then first pushed.
Same plan and request, same route, on every machine.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from fleet.errors import RouteError
from fleet.floor.model import Cell, FloatGrid, FloorPlan
from fleet.routing.fields import StationFields, distance_field, find_place


@dataclass(frozen=True, slots=True)
class RouteResult:
    """A route and what finding it cost.

    ``cells`` runs from start to goal inclusive; ``steps`` is ``len(cells) - 1``;
    ``expanded`` counts cells taken off the open list, ``pushed`` cells put on it.
    """

    cells: tuple[Cell, ...]
    steps: int
    expanded: int
    pushed: int
    heuristic: str

    @property
    def start(self) -> Cell:
        return self.cells[0]

    @property
    def goal(self) -> Cell:
        return self.cells[-1]


# Successor lists per plan as plain Python ints: indexing numpy from the search
# loop would cost more than the search. Derived from the immutable plan only.
_SUCCESSORS: weakref.WeakKeyDictionary[FloorPlan, tuple[list[int], list[int]]] = (
    weakref.WeakKeyDictionary()
)


def _successors(plan: FloorPlan) -> tuple[list[int], list[int]]:
    found = _SUCCESSORS.get(plan)
    if found is None:
        graph = plan.graph.copy()
        graph.sort_indices()
        found = (graph.indptr.tolist(), graph.indices.tolist())
        _SUCCESSORS[plan] = found
    return found


def _check_cell(plan: FloorPlan, cell: Cell, role: str) -> None:
    rows, cols = plan.shape
    if not plan.in_bounds(cell):
        raise RouteError(f"{role} cell {tuple(cell)} is off the plan {plan.name!r} "
                         f"({rows} rows x {cols} cols)")
    if not plan.passable[cell]:
        raise RouteError(f"{role} cell {tuple(cell)} on plan {plan.name!r} is not passable "
                         "(inside an obstacle or keep-out zone, or too narrow for the robot)")


def astar(plan: FloorPlan, start: Cell, goal: Cell, *, heuristic: FloatGrid | None = None,
          budget: int | None = None) -> RouteResult:
    """A shortest route from ``start`` to ``goal``.

    ``heuristic``, when given, must be a field of ``plan.shape`` that never
    overestimates the steps to ``goal`` (``distance_field(plan, [goal],
    towards=True)`` is exact); cells where it is inf are never entered.
    ``budget`` caps the cells expanded. RouteError when a cell is off the plan or
    blocked, the goal cannot be reached, or the budget runs out.
    """
    _check_cell(plan, start, "start")
    _check_cell(plan, goal, "goal")
    if heuristic is None:
        return _search(plan, start, [goal], field=None, budget=budget, label="manhattan")
    if heuristic.shape != plan.shape:
        raise ValueError(f"heuristic has shape {heuristic.shape}, plan {plan.name!r} has "
                         f"{plan.shape}")
    return _search(plan, start, [goal], field=heuristic, budget=budget, label="field")


def _search(plan: FloorPlan, start: Cell, goals: Collection[Cell], *, field: FloatGrid | None,
            budget: int | None, label: str) -> RouteResult:
    cols = plan.shape[1]
    indptr, succ = _successors(plan)
    goal_set = {plan.index(g) for g in goals}
    goal_rc = [divmod(g, cols) for g in goal_set]
    flat = None if field is None else field.ravel()

    def h_of(index: int) -> float:
        if flat is not None:
            return float(flat[index])
        r, c = divmod(index, cols)
        return float(min(abs(r - gr) + abs(c - gc) for gr, gc in goal_rc))

    s = plan.index(start)
    h0 = h_of(s)
    if h0 == np.inf:
        raise _unreachable(plan, start, goals, "the distance field says so")
    best_g: dict[int, int] = {s: 0}
    parent: dict[int, int] = {}
    heap: list[tuple[float, float, int, int, int]] = [(h0, h0, 0, s, 0)]
    pushed = 1
    expanded = 0
    while heap:
        _, _, _, node, g = heapq.heappop(heap)
        if g > best_g[node]:
            continue  # a cheaper way here was found after this entry was pushed
        if node in goal_set:
            return RouteResult(_walk_back(plan, parent, node), g, expanded + 1, pushed, label)
        if budget is not None and expanded >= budget:
            raise RouteError(f"gave up routing {start} -> {_cells_text(goals)} on plan "
                             f"{plan.name!r} after expanding {expanded} cells (budget {budget})")
        expanded += 1
        g_next = g + 1
        for nxt in succ[indptr[node] : indptr[node + 1]]:
            if best_g.get(nxt, g_next + 1) <= g_next:
                continue
            h = h_of(nxt)
            if h == np.inf:
                continue
            best_g[nxt] = g_next
            parent[nxt] = node
            heapq.heappush(heap, (g_next + h, h, pushed, nxt, g_next))
            pushed += 1
    raise _unreachable(plan, start, goals, f"searched all {expanded} cells reachable from start")


def _walk_back(plan: FloorPlan, parent: dict[int, int], node: int) -> tuple[Cell, ...]:
    path = [node]
    while node in parent:
        node = parent[node]
        path.append(node)
    return tuple(plan.cell_at(i) for i in reversed(path))


def _cells_text(cells: Collection[Cell]) -> str:
    listed = sorted(cells)
    return str(tuple(listed[0])) if len(listed) == 1 else str([tuple(c) for c in listed])


def _unreachable(plan: FloorPlan, start: Cell, goals: Collection[Cell], why: str) -> RouteError:
    return RouteError(f"no route from {tuple(start)} to {_cells_text(goals)} on plan "
                      f"{plan.name!r}: not connected ({why}; walls, closed borders or "
                      "one-way aisles cut them apart)")


def route_between(plan: FloorPlan, from_place: str, to_place: str, *,
                  fields: StationFields | None = None) -> RouteResult:
    """The shortest route from any spot of ``from_place`` to any spot of ``to_place``.

    Uses the field towards ``to_place`` (from ``fields`` when given, else computed)
    both to pick the best start spot and as A*'s exact heuristic, so the search
    expands only the route. Ties go to the earlier spot in the plan's order.
    """
    source = find_place(plan, from_place)
    target = find_place(plan, to_place)
    if not source.cells or not target.cells:
        empty = source if not source.cells else target
        raise RouteError(f"place {empty.name!r} on plan {plan.name!r} has no usable spot")
    field = (fields.to(target.name) if fields is not None
             else distance_field(plan, target.cells, towards=True))
    start = min(source.cells, key=lambda cell: float(field[cell]))
    if field[start] == np.inf:
        raise RouteError(f"no route from {source.name!r} to {target.name!r} on plan "
                         f"{plan.name!r}: no spot of {source.name!r} "
                         f"{[tuple(c) for c in source.cells]} connects to any spot of "
                         f"{target.name!r} {[tuple(c) for c in target.cells]}")
    return _search(plan, start, target.cells, field=field, budget=None, label="field")
