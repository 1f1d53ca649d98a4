"""Safe-interval path planning (SIPP) for one robot among others' estimated visits.

A state is a cell and one of its *safe intervals* (closed tick ranges no other
robot's footprint occupies), reached at the earliest tick possible; waiting is
implicit (stay until the move that reaches the next interval). Conflicts are
closed intervals that must not touch, so neither a swap nor a rotation of
robots all moving at one tick can be planned: every planned order is strict.
The heuristic is an exact single-robot distance field, times the robot's move.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fleet.traffic.adg import INF, Interval


def safe_intervals(blocked: list[Interval]) -> list[Interval]:
    """The closed gaps between closed ``blocked`` intervals, over all time."""
    blocked.sort()
    out: list[Interval] = []
    free_from = -INF
    for a, b in blocked:
        if a > free_from:
            out.append((free_from, a - 1))
        free_from = max(free_from, b + 1)
    if free_from <= INF:
        out.append((free_from, INF))
    return out


Key = tuple[int, int, int]
"""(cell, safe interval index, the step that led into the cell: 0 at the start)."""


@dataclass(frozen=True, slots=True)
class Leg:
    """One search: from ``start`` at tick ``t0`` (free to stay there up to ``until``)
    to any of ``goals``, where it must be able to stay ``dwell`` ticks (None: for good)."""

    start: int
    t0: int
    until: int
    goals: frozenset[int]
    heuristic: Sequence[float]
    d: int
    dwell: int | None
    turn: int = 0
    """Ticks a 90-degree turn costs (a reversal twice that): with it the search
    prefers straight runs, which a robot that stops to turn drives faster."""


@dataclass(frozen=True, slots=True)
class Found:
    cells: tuple[int, ...]
    times: tuple[int, ...]  # arrival tick at each cell; times[0] = t0
    expanded: int


class NoPath(Exception):  # noqa: N818 - internal signal, never leaves the package
    def __init__(self, expanded: int, exhausted: bool) -> None:
        super().__init__(f"no path after {expanded} expansions")
        self.expanded = expanded
        self.exhausted = exhausted


def search(leg: Leg, *, indptr: Sequence[int], succ: Sequence[int], moves: Sequence[int],
           intervals: Callable[[int], Sequence[Interval]], budget: int) -> Found:
    """The earliest-arrival route for ``leg``; NoPath when none exists or ``budget`` runs out."""
    h = leg.heuristic
    d = leg.d
    dwell = leg.dwell

    def stays(end: int, t: int) -> bool:
        return end >= INF if dwell is None else end >= t + dwell

    h0 = h[leg.start]
    if h0 == float("inf") or leg.until < leg.t0:
        raise NoPath(0, True)
    turn = leg.turn
    start_key = (leg.start, -1, 0)
    ends: dict[Key, int] = {start_key: leg.until}
    best: dict[Key, int] = {start_key: leg.t0}
    parent: dict[Key, Key] = {}
    heap: list[tuple[float, float, int, int, int, int, int]] = [
        (leg.t0 + h0 * d, h0, 0, leg.t0, leg.start, -1, 0)]
    pushed = 1
    expanded = 0
    while heap:
        _, _, _, t, cell, j, came = heapq.heappop(heap)
        key = (cell, j, came)
        if best[key] < t:
            continue
        end = ends[key]
        if cell in leg.goals and stays(end, t):
            return Found(*_walk_back(parent, key, best), expanded=expanded + 1)
        if expanded >= budget:
            raise NoPath(expanded, False)
        expanded += 1
        for nxt in succ[indptr[cell]:indptr[cell + 1]]:
            hn = h[nxt]
            if hn == float("inf"):
                continue
            dt = moves[nxt]
            step = nxt - cell
            earliest = t + dt
            if turn and came and step != came:
                earliest += turn if step != -came else 2 * turn
            if earliest > end:
                continue
            for k, (a, b) in enumerate(intervals(nxt)):
                if b < earliest:
                    continue
                arrival = max(earliest, a + dt - 1)
                if arrival > end:
                    break
                if arrival > b:
                    continue
                nkey = (nxt, k, step)
                if best.get(nkey, INF + 1) <= arrival:
                    continue
                best[nkey] = arrival
                ends[nkey] = b
                parent[nkey] = key
                heapq.heappush(heap, (arrival + hn * d, hn, pushed, arrival, nxt, k, step))
                pushed += 1
    raise NoPath(expanded, True)


def _walk_back(parent: dict[Key, Key], key: Key,
               best: dict[Key, int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    cells = [key[0]]
    times = [best[key]]
    while key in parent:
        key = parent[key]
        cells.append(key[0])
        times.append(best[key])
    return tuple(reversed(cells)), tuple(reversed(times))
