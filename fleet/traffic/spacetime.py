"""Space-time search for one robot around the fixed paths of all the others.

Shared by the two passes that plan robots again inside an existing plan: the
anytime ``lns`` (a few robots at a time, from their starts) and ``polish`` (the
robots that pushed another off its goal, from a little before they did). Rules
as in the planners: unit steps, vertex and swap conflicts forbidden, a robot
rests on its goal once its path ends (so no later path may cross it there).

Pure: the standard library and the traffic grid module.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence

from fleet.traffic.gridgraph import GridGraph

Path = list[int]


class Reservations:
    """Who is where when, for all paths but those being planned again.

    A (cell, t) pair is kept as the one int ``t * size + cell``: the A* below looks
    several up per node it expands, and ints hash and compare faster than tuples
    (with the heap entries packed the same way: 15-20 % less CPU for the same rounds
    on Table-2 instances)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.at: dict[int, int] = {}  # t * size + cell -> robot
        self.rest: dict[int, int] = {}  # goal cell -> time its robot rests there from
        self.rester: dict[int, int] = {}  # goal cell -> the robot resting there
        self.last: dict[int, int] = {}  # cell -> last time any moving robot is on it
        self._count: dict[int, int] = {}  # cell -> how many (cell, t) entries

    def who(self, cell: int, t: int) -> int | None:
        """The robot on ``cell`` at ``t`` (moving, not resting), if any."""
        return self.at.get(t * self.size + cell)

    def add(self, robot: int, path: Path) -> None:
        self.hold(robot, path[:-1])
        self.rest[path[-1]] = len(path) - 1
        self.rester[path[-1]] = robot

    def remove(self, path: Path) -> None:
        self.release(path[:-1])
        del self.rest[path[-1]]
        del self.rester[path[-1]]

    def hold(self, robot: int, cells: Path) -> None:
        """Reserve ``cells`` from time 0 on, one a step, without resting on the last: a
        path's beginning, kept while its end is planned again."""
        size, at, count, last = self.size, self.at, self._count, self.last
        for t, v in enumerate(cells):
            at[t * size + v] = robot
            count[v] = count.get(v, 0) + 1
            if last.get(v, -1) < t:
                last[v] = t

    def release(self, cells: Path) -> None:
        """Take back what ``hold`` reserved."""
        size, at, count = self.size, self.at, self._count
        for t, v in enumerate(cells):
            del at[t * size + v]
            left = count[v] - 1
            if left:
                count[v] = left
            else:
                del count[v]
                del self.last[v]
        # ``last`` may now overstate a cell's last time: safe (A* only waits longer),
        # and corrected when the cell's entries are all gone.


_BITS = 21
_LOW = (1 << _BITS) - 1


def space_time_astar(graph: GridGraph, dist: Sequence[int], start: int, goal: int, *,
                     res: Reservations, horizon: int, budget: int,
                     deadline: float = math.inf, begin: int = 0,
                     latest: int | None = None) -> Path | None:
    """Shortest path from ``start`` at time ``begin`` to resting on ``goal``, around
    ``res`` (the path returned starts at ``begin``: its first cell is ``start``);
    None past ``budget`` expansions or the clock reading ``deadline`` (looked at every
    64 expansions, about 0.3 ms: a failing search can take 50 ms on a 32x32 map), or
    when it cannot rest on ``goal`` by time ``latest`` (a caller that only wants a path
    better than one it has: most of a search's work is on the last plateau)."""
    settle = res.last.get(goal, -1) + 1  # earliest time it may stay on its goal for good
    neighbours, size = graph.neighbours, res.size
    at, rest, rester = res.at, res.rest, res.rester
    cells: list[int] = [start]
    times: list[int] = [begin]
    parents: list[int] = [-1]
    # f = arrival time at best: no sooner than the shortest way, nor than ``settle``.
    # Heap entries are (f, -t, node) packed in one int, ``f`` highest: ties go deeper.
    heap = [(max(begin + dist[start], settle) << 2 * _BITS) | ((_LOW - begin) << _BITS)]
    closed: set[int] = set()  # capped t * size + cell
    expanded = 0
    pop, push = heapq.heappop, heapq.heappush
    cutoff = ((latest + 1) << 2 * _BITS) if latest is not None else math.inf
    while heap:
        entry = pop(heap)
        if entry >= cutoff:
            return None
        node = entry & _LOW
        v, t = cells[node], times[node]
        key = (t if t < horizon else horizon) * size + v
        if key in closed:
            continue
        closed.add(key)
        if v == goal and t >= settle:
            path: Path = []
            while node >= 0:
                path.append(cells[node])
                node = parents[node]
            path.reverse()
            return path
        expanded += 1
        if expanded > budget or (expanded & 63 == 0 and time.perf_counter() > deadline):
            return None
        nt = t + 1
        row = (nt if nt < horizon else horizon) * size
        now_row, next_row = t * size, nt * size
        deeper = (_LOW - nt) << _BITS
        for u in (*neighbours[v], v):
            if row + u in closed or next_row + u in at:
                continue
            since = rest.get(u)
            if since is not None and nt >= since:
                continue
            if u != v:
                other = at.get(now_row + u)
                if other is not None and (at.get(next_row + v) == other or (
                        rest.get(v) == nt and rester.get(v) == other)):
                    continue  # other moves u -> v while we move v -> u: a swap
            cells.append(u)
            times.append(nt)
            parents.append(node)
            f = nt + dist[u]
            push(heap, ((f if f > settle else settle) << 2 * _BITS) | deeper | (len(cells) - 1))
    return None


def trim(path: Path) -> Path:
    end = len(path)
    while end > 1 and path[end - 2] == path[-1]:
        end -= 1
    return path[:end]
