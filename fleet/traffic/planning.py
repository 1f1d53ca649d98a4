"""Planning one robot's leg into the dependency graph: estimate, search, commit.

The board holds what every plan shares: the successor lists, one-lane
footprints as flat indices, the visits by cell, and heuristic fields per goal
set. ``plan_tail`` replaces a robot's route after its last kept visit; on
failure it leaves the graph exactly as it was.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fleet.floor.model import Cell, FloorPlan
from fleet.routing import StationFields, distance_field
from fleet.traffic.adg import INF, Interval, Track, Visit, estimate
from fleet.traffic.closures import way_out
from fleet.traffic.sipp import Found, Leg, NoPath, safe_intervals, search

FIELDS_KEPT = 32
"""Heuristic fields kept for goal sets other than a place's (a serving spot, a cell to
step aside to): one costs a few hundred microseconds to draw and 40 KB to keep a
4,800-cell floor, and a day brings new ones for hours, so the least recently used go."""


class Board:
    """Shared, per-plan lookups and the visits standing in each cell."""

    def __init__(self, plan: FloorPlan, fields: StationFields | None) -> None:
        self.plan = plan
        graph = plan.graph.copy()
        graph.sort_indices()
        self.indptr: list[int] = graph.indptr.tolist()
        self.succ: list[int] = graph.indices.tolist()
        rows, cols = plan.shape
        self.foot: list[tuple[int, ...]] = [(i,) for i in range(rows * cols)]
        for cell in plan.conflicts:
            self.foot[plan.index(cell)] = tuple(plan.index(c) for c in plan.footprint(cell))
        self.at: dict[int, list[Visit]] = {}
        self.factors: list[float] = plan.speed_factors.ravel().tolist()
        self._moves: dict[int, list[int]] = {}
        self._places: dict[frozenset[int], list[float]] = {}
        """Every place's field, for the whole run: most legs go to a place."""
        self._fields: OrderedDict[frozenset[int], list[float]] = OrderedDict()
        """Other goal sets' fields, least recently used first (``FIELDS_KEPT``)."""
        self.place_at: dict[int, str] = {}
        self.closed: frozenset[int] = frozenset()
        """Cells the manager has closed (see ``closures``): no new plan enters them."""
        for place in plan.places.values():
            for cell in place.cells:
                self.place_at.setdefault(plan.index(cell), place.name)
            if fields is not None and place.name in fields:
                key = frozenset(plan.index(c) for c in place.cells)
                self._places[key] = _shared(fields[place.name].ravel().tolist())

    def cell(self, index: int) -> Cell:
        return self.plan.cell_at(index)

    def name(self, index: int) -> str:
        """A cell as people read it: ``(12, 7)``, or ``table A3 (22, 11)`` at a place."""
        place = self.place_at.get(index)
        return f"{place} {self.cell(index)}" if place else str(self.cell(index))

    def moves(self, d: int) -> list[int]:
        found = self._moves.get(d)
        if found is None:
            found = [max(1, round(d / f)) for f in self.factors]
            self._moves[d] = found
        return found

    def heuristic(self, goals: frozenset[int]) -> list[float]:
        found = self._places.get(goals)
        if found is not None:
            return found
        found = self._fields.get(goals)
        if found is not None:
            self._fields.move_to_end(goals)
            return found
        if len(self._fields) >= FIELDS_KEPT:
            self._fields.popitem(last=False)
        field = distance_field(self.plan, [self.cell(g) for g in sorted(goals)], towards=True)
        found = _shared(field.ravel().tolist())
        self._fields[goals] = found
        return found

    def fields_kept(self) -> int:
        """Heuristic fields held for goal sets other than places (at most ``FIELDS_KEPT``)."""
        return len(self._fields)

    def add(self, visit: Visit) -> None:
        self.at.setdefault(visit.cell, []).append(visit)

    def prune(self, index: int) -> None:
        found = self.at.get(index)
        if found is not None:
            kept = [v for v in found if not v.left()]
            if kept:
                self.at[index] = kept
            else:
                del self.at[index]


def _shared(values: list[float]) -> list[float]:
    """The same values, one float object per distinct value: a floor's distances are a few
    hundred numbers, so a field keeps 8 bytes a cell instead of 32."""
    one: dict[float, float] = {}
    return [one.setdefault(x, x) for x in values]


@dataclass(frozen=True, slots=True)
class Outcome:
    found: Found
    occupied: Mapping[Visit, Interval]


def plan_tail(board: Board, tracks: Sequence[Track], track: Track, k: int, *,
              goals: frozenset[int], dwell: int | None, now: int, budget: int,
              via: int | None = None) -> tuple[Found, int]:
    """Replan ``track`` after visit ``k``; NoPath (graph untouched) when there is none.

    Also returns how many new visits overlapped a live one (a bug if ever > 0).
    """
    old = track.visits
    tail = old[k + 1:]
    track.visits = old[:k + 1]
    for v in tail:
        v.dead = True
    try:
        outcome = _search(board, tracks, track, goals=goals, dwell=dwell, now=now, budget=budget,
                          via=via)
    except NoPath:
        track.visits = old
        for v in tail:
            v.dead = False
        raise
    overlaps = _commit(board, track, outcome, dwell)
    for v in tail:
        board.prune(v.cell)
    return outcome.found, overlaps


def _search(board: Board, tracks: Sequence[Track], track: Track, *, goals: frozenset[int],
            dwell: int | None, now: int, budget: int, via: int | None) -> Outcome:
    arrive, occupied = estimate(tracks, now, planner=track)
    last = track.visits[-1]
    until = INF
    for f in board.foot[last.cell]:
        for w in board.at.get(f, ()):
            if w in occupied and last in w.preds:
                until = min(until, occupied[w][0] - 1)
    # Footprints are symmetric, so a visit blocks exactly the cells of its own
    # footprint: gather those once instead of looking around every cell searched.
    blocked_at: dict[int, list[Interval]] = {}
    for w, span in occupied.items():
        for f in board.foot[w.cell]:
            blocked_at.setdefault(f, []).append(span)
    always: list[Interval] = [(-INF, INF)]
    cache: dict[int, list[Interval]] = {}
    # Closed cells offer no interval, except those a robot standing inside must cross
    # to get out.
    shut = board.closed - way_out(board.closed, last.cell, board.indptr, board.succ)

    def intervals(index: int) -> list[Interval]:
        found = cache.get(index)
        if found is None:
            if index in shut:
                found = []
            else:
                blocked = blocked_at.get(index)
                found = safe_intervals(blocked) if blocked else always
            cache[index] = found
        return found

    moves = track.moves
    start, t0 = last.cell, arrive[last]
    stops: list[tuple[frozenset[int], int | None]] = [(goals, dwell)]
    if via is not None:
        stops.insert(0, (frozenset({via}), 0))
    cells: tuple[int, ...] = (start,)
    times: tuple[int, ...] = (t0,)
    expanded = 0
    for stop, stay in stops:
        leg = Leg(start=start, t0=t0, until=until, goals=stop, heuristic=board.heuristic(stop),
                  d=track.d, dwell=stay, turn=track.turn)
        try:
            found = search(leg, indptr=board.indptr, succ=board.succ, moves=moves,
                           intervals=intervals, budget=budget - expanded)
        except NoPath as exc:
            raise NoPath(expanded + exc.expanded, exc.exhausted) from None
        expanded += found.expanded
        cells += found.cells[1:]
        times += found.times[1:]
        start, t0 = cells[-1], times[-1]
        until = next((b for a, b in intervals(start) if a <= t0 <= b), t0)
    return Outcome(Found(cells, times, expanded), occupied)


def _commit(board: Board, track: Track, outcome: Outcome, dwell: int | None) -> int:
    """Add the new visits with an edge to or from every live visit sharing a footprint."""
    cells, times = outcome.found.cells, outcome.found.times
    occupied = outcome.occupied
    first = track.visits[-1]
    n = len(cells) - 1
    overlaps = 0
    for i in range(1, n + 1):
        v = Visit(track, first.seq + i, cells[i])
        start = times[i] - track.moves[cells[i]] + 1
        end = times[i + 1] if i < n else (INF if dwell is None else min(INF, times[i] + dwell))
        for f in board.foot[v.cell]:
            for w in board.at.get(f, ()):
                span = occupied.get(w)
                if span is None:
                    continue
                if span[1] < start:
                    v.preds.append(w)
                elif end < span[0]:
                    w.preds.append(v)
                else:  # the search forbids this; wait rather than guess
                    v.preds.append(w)
                    overlaps += 1
        track.visits.append(v)
        board.add(v)
    return overlaps


def blockers(board: Board, tracks: Sequence[Track], track: Track, goals: frozenset[int],
             now: int) -> tuple[str, ...]:
    """Robots standing for good (or in the way) on the shortest free-floor way to ``goals``."""
    path = free_path(board, track.visits[-1].cell, goals)
    _, occupied = estimate(tracks, now)
    forever: set[str] = set()
    crossing: set[str] = set()
    for index in path:
        for f in board.foot[index]:
            for w in board.at.get(f, ()):
                if w.owner is track or w not in occupied:
                    continue
                (forever if occupied[w][1] >= INF else crossing).add(w.owner.robot)
    return tuple(sorted(forever or crossing))


def free_path(board: Board, start: int, goals: frozenset[int]) -> list[int]:
    """A shortest way from ``start`` to ``goals`` on the empty floor ([] if none)."""
    h = board.heuristic(goals)
    cell = start
    if math.isinf(h[cell]):
        return []
    path = [cell]
    while h[cell] > 0:
        cell = next(n for n in board.succ[board.indptr[cell]:board.indptr[cell + 1]]
                    if h[n] == h[cell] - 1)
        path.append(cell)
    return path
