"""Checks on a compiled plan that need the planning graph: is every place
reachable, and does any serving spot cut the floor in two?

Geometry checks (overlaps, spots inside furniture) happen while compiling,
where the shapes are still at hand; these work for every source alike.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from fleet.errors import Problem, Severity
from fleet.floor.model import Cell, FloorPlan, PlaceKind, ways_around


def _reach(graph: sparse.csr_matrix, start: int) -> np.ndarray:
    order = csgraph.breadth_first_order(graph, start, directed=True, return_predecessors=False)
    seen = np.zeros(graph.shape[0], dtype=bool)
    seen[order] = True
    return seen


def validate_plan(plan: FloorPlan) -> list[Problem]:
    problems: list[Problem] = []
    src = plan.source
    diameter = 2 * plan.robot_radius
    if plan.resolution > diameter + 1e-9:
        problems.append(Problem(
            Severity.ERROR, src,
            f"resolution {plan.resolution:.2f} m is coarser than the robot (diameter "
            f"{diameter:.2f} m): one cell could hold two robots; use a resolution <= "
            f"{diameter:.2f} m"))
    if not plan.passable.any():
        problems.append(Problem(Severity.ERROR, src, "no cell is passable: the robot fits "
                                "nowhere (check the outline and robot_radius)"))
        return problems
    if not plan.places:
        return problems  # benchmark grids have no places to check

    passes = plan.places_of(PlaceKind.PASS)
    chargers = plan.places_of(PlaceKind.CHARGER)
    if not passes:
        problems.append(Problem(Severity.ERROR, src, "no kitchen pass: add a station of "
                                "kind = \"pass\""))
    if not chargers:
        problems.append(Problem(Severity.WARNING, src, "no charger: robots cannot charge"))

    graph = plan.graph
    back = graph.T.tocsr()
    for hub in passes + chargers:
        for hub_cell, hub_spot in zip(hub.cells, hub.spots, strict=True):
            forward = _reach(graph, plan.index(hub_cell))
            backward = _reach(back, plan.index(hub_cell))
            for place in plan.places.values():
                if place is hub:
                    continue
                for cell, spot in zip(place.cells, place.spots, strict=True):
                    i = plan.index(cell)
                    if not forward[i] or not backward[i]:
                        way = "reached from" if not forward[i] else "left back to"
                        problems.append(Problem(
                            Severity.ERROR, src,
                            f"{place.kind} spot cannot be {way} {hub.kind} {hub.name} "
                            f"at ({hub_spot[0]:.2f}, {hub_spot[1]:.2f}) m",
                            place.name, spot))
    if any(p.severity is Severity.ERROR for p in problems):
        return problems
    problems += _chokepoints(plan)
    return problems


def _chokepoints(plan: FloorPlan) -> list[Problem]:
    """Warn about spots, of tables and of stations alike, that are the only way
    through to other places, and station spots that make their aisle one lane.

    A robot waiting there (for a guest, for staff to load, charging, parked) would
    block every robot bound beyond it, or let none pass it.
    """
    problems: list[Problem] = []
    undirected = ((plan.graph + plan.graph.T) > 0).astype(np.float64).tocsr()
    hubs = [c for p in plan.places_of(PlaceKind.PASS) for c in p.cells]
    if not hubs:
        return problems  # the missing pass is reported already
    place_cells: list[tuple[str, Cell]] = [
        (p.name, c) for p in plan.places.values() for c in p.cells
    ]
    n = undirected.shape[0]
    for place in plan.places.values():
        for cell, spot in zip(place.cells, place.spots, strict=True):
            footprint = plan.footprint(cell)
            if place.kind is not PlaceKind.TABLE and ways_around(
                    plan.passable, plan.open_east, plan.open_south, cell, set(footprint),
            ) > ways_around(plan.passable, plan.open_east, plan.open_south, cell, {cell}):
                problems.append(Problem(
                    Severity.WARNING, plan.source,
                    f"{place.kind.value} spot makes its aisle one lane: no robot can pass a "
                    f"robot standing here (give the aisle room for two robots)",
                    place.name, spot))
            start = next((c for c in (*hubs, *(c for _, c in place_cells))
                          if c not in footprint), None)
            if start is None:
                continue
            keep = np.ones(n)
            for blocked in footprint:
                keep[plan.index(blocked)] = 0
            mask = sparse.diags(keep)
            cut = (mask @ undirected @ mask).tocsr()
            cut.eliminate_zeros()
            seen = _reach(cut, plan.index(start))
            lost = sorted({name for name, c in place_cells
                           if name != place.name and c not in footprint
                           and not seen[plan.index(c)]})
            if lost:
                shown = ", ".join(lost[:6]) + (" ..." if len(lost) > 6 else "")
                what = "serving spot" if place.kind is PlaceKind.TABLE else (
                    f"{place.kind.value} spot")
                problems.append(Problem(
                    Severity.WARNING, plan.source,
                    f"{what} is the only way through to {shown}: a robot waiting here "
                    f"blocks them", place.name, spot))
    return problems
