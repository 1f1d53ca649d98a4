"""Where two robots can pass in one-lane aisles: the walks of ``footpibt``'s corridor swap.

``pibt`` decides whether two robots meeting head-on must swap by walking along
the corridor and counting each cell's exits: one exit is a corridor, two a
branch where one robot can step aside. With one-lane footprints a cell's
neighbours are no guide: in a two-row lane the cell beside a robot is a
neighbour, yet no place to step aside into, since a robot there still blocks
the lane. So here a cell stands for its lane's cross-section (it and the cells
next to it in its footprint), and the ways out of it are counted over
footprints (``Lanes.exits``).

Pure: the standard library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NO_ONE = -1


@dataclass(frozen=True, slots=True)
class Lanes:
    """The floor as the corridor walks read it, at one moment of a step.

    ``now``: cell -> robot standing there (NO_ONE); ``goal``: robot -> its goal."""

    neighbours: Sequence[Sequence[int]]
    foot: Sequence[Sequence[int]]
    now: Sequence[int]
    goal: Sequence[int]

    def exits(self, at: int, came_from: int, dist: Sequence[int] | None) -> tuple[int, int]:
        """The ways on from ``at`` for a robot that came from ``came_from``, counted, with
        a cell of one of them (the nearest by ``dist`` when given).

        ``at`` stands for its lane's cross-section: it and the cells next to it in its
        footprint (the other row of a two-row lane). A way is a group of cells next to
        that section, outside ``came_from``'s footprint, where a robot may stand and
        leave some cell of the section free; cells that touch or share a footprint are
        one group (the next column of a two-row lane is one way, and so is a pocket).
        A dead-end cell held by a robot at its goal is none."""
        foot, neighbours, now, goal = self.foot, self.neighbours, self.now, self.goal
        section = [at, *[f for f in foot[at] if f != at and f in neighbours[at]]]
        back = set(foot[came_from])
        cells: list[int] = []
        for c in section:
            for u in (c, *neighbours[c]):
                if u == at or u in back or u in cells:
                    continue
                if all(u in foot[r] for r in section):
                    continue  # it blocks the whole section: no room to pass there
                k = now[u]
                if len(neighbours[u]) == 1 and k != NO_ONE and goal[k] == u:
                    continue
                cells.append(u)
        ways = 0
        onward = NO_ONE
        seen: set[int] = set()
        for u in cells:
            if u in seen:
                continue
            ways += 1
            group, stack = [u], [u]
            seen.add(u)
            while stack:
                v = stack.pop()
                for w in cells:
                    if w not in seen and (w in foot[v] or w in neighbours[v]):
                        seen.add(w)
                        group.append(w)
                        stack.append(w)
            onward = min(group, key=dist.__getitem__) if dist is not None else group[0]
        return ways, onward

    def swap_needed(self, da: Sequence[int], db: Sequence[int], at_a: int, at_b: int) -> bool:
        """Robot ``a`` (distances ``da`` to its goal) at ``at_a`` wants ``at_b``, where
        ``b`` (``db``) is in the way. Walk on in ``a``'s direction while that brings it
        nearer its goal: if it meets no way to step aside into and ``b`` wants to come
        ``a``'s way, they must swap (``pibt._swap_needed``, ways over footprints)."""
        p, q = at_a, at_b
        for _ in range(len(self.neighbours)):
            if da[q] >= da[p]:
                break
            count, onward = self.exits(q, p, da)
            if count >= 2:
                return False  # a branch ahead: ordinary pushing lets b step aside
            if count == 0:
                break
            p, q = q, onward
        return db[p] < db[q] and (da[p] == 0 or da[q] < da[p])

    def can_back_out(self, at_b: int, at_a: int) -> bool:
        """Is there a branch behind ``a`` (seen from ``b``) where the two can pass?"""
        p, q = at_b, at_a
        for _ in range(len(self.neighbours)):
            count, onward = self.exits(q, p, None)
            if count >= 2:
                return True
            if count == 0 or onward == at_b:
                return False
            p, q = q, onward
        return False
