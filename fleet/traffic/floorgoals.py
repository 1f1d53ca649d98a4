"""Where each robot of a whole-floor solve is bound: goals apart, and room for the asker.

``floorsolve`` plans every robot to a goal at once, and a plan can only end with
every robot on its goal, so goals must be apart (per footprint on a floor with
one-lane cells) and a goal must not be where a robot that will not leave stands.
These helpers settle clashes by having a robot wait where it is, and make room
for the asking robot by sending a parked robot off its goal to the nearest free
cell.

Pure: the standard library and the traffic grid modules.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from fleet.traffic.adg import Track
from fleet.traffic.gridgraph import GridGraph


def settle(goals: list[int], starts: Sequence[int],
           foot: Sequence[Sequence[int]] | None) -> None:
    """Give an agent whose goal shares a footprint (a cell, when ``foot`` is None) with
    another agent's its start instead, until goals are apart. One standing on its goal
    keeps it; each change is for good (starts are apart), so this ends after at most
    one change per agent."""
    while True:
        seen: dict[int, int] = {}
        clash = False
        for i, g in enumerate(goals):
            if g < 0:
                continue
            j = next((seen[f] for f in (foot[g] if foot is not None else (g,)) if f in seen),
                     i)
            if j != i:
                later = i if starts[i] != g else j
                goals[later] = starts[later]
                clash = True
                break
            seen[g] = i
        if not clash:
            return


def step_off(graph: GridGraph, agents: Sequence[Track], starts: Sequence[int],
             goals: list[int], *, me: int, foot: Sequence[Sequence[int]] | None,
             wanted: Sequence[int]) -> int | None:
    """The first of ``wanted`` whose footprint holds only parked agents' goals (each
    standing there, its goal its start), those agents' goals moved in place to the
    nearest cells left free, so that they step off for good (the manager keeps their
    real goal pending, as for a robot sent aside, and they go back once they can);
    None when every cell wanted is some travelling robot's goal, or nowhere is free."""

    def fp(c: int) -> Sequence[int]:
        return foot[c] if foot is not None else (c,)

    for g in wanted:
        holders = [i for i, h in enumerate(goals) if i != me and h >= 0 and g in fp(h)]
        if not holders or any(not agents[i].finished or goals[i] != starts[i]
                              for i in holders):
            continue
        taken = {f for i, h in enumerate(goals) if i != me and i not in holders and h >= 0
                 for f in fp(h)}
        taken.update(fp(g))
        moved: dict[int, int] = {}
        for i in holders:
            cell = nearest_free(graph, starts[i], taken)
            if cell is None:
                break
            moved[i] = cell
            taken.update(fp(cell))
        else:
            for i, cell in moved.items():
                goals[i] = cell
            return g
    return None


def nearest_free(graph: GridGraph, start: int, taken: set[int]) -> int | None:
    """The nearest cell to ``start`` (in steps) outside ``taken``."""
    seen = {start}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        if v not in taken:
            return v
        for u in graph.neighbours[v]:
            if u not in seen:
                seen.add(u)
                queue.append(u)
    return None
