"""PIBT and LaCAM with one-lane footprints: no two robots ever in one footprint.

``pibt`` gives every robot a cell per step and keeps cells apart; on a floor
with narrow aisles that is not enough, since a robot in one cell of a one-lane
aisle also blocks the cell beside it (``FloorPlan.conflicts``, ``Board.foot``).
A plan blind to that puts two robots side by side in one lane, and the whole-
floor solve, which turns a plan into an order of passing per footprint, then
cannot order them: each would wait for the other.

Here a robot given a cell takes its whole footprint for the step: a cell is
open to a robot only if no other robot is bound anywhere in its footprint, and
every robot standing in that footprint is pushed on, as PIBT pushes the one
standing in the cell itself. A robot entering a footprint waits for those
standing in it to leave; a step is only made when those waits have no cycle
(the footprint form of PIBT's swap rule, which also rules out rotations: a
ring of robots each following the next cannot be ordered one after another).
Every configuration of a plan is then footprint-apart, and every step can be
driven one robot after another, so the orders of passing taken from it are
acyclic.

Corridors: two robots meeting head-on in a one-lane aisle cannot pass by
pushing, since neither may enter the other's footprint; before, one pushed the
other back to the aisle's end and LaCAM had to search its way out, which the
floor solve's 40 ms did not always allow. So, as ``pibt`` does on cells (the
swap from Okumura, "Improving LaCAM for scalable eventually optimal multi-agent
pathfinding", IJCAI 2023; the code is ours), a robot whose best cell is blocked
by one that must come its way, with no way ahead to step aside into but one
behind, backs out along that robot's way and pulls it after it, until there is
room to pass. Ways are counted over footprints (``footlanes``): the
cell beside a robot in a two-row lane is no way out, a pocket is. The swap only
reorders a robot's options; every cell is still checked by the two rules, so
configurations stay footprint-apart and steps orderable whatever it chooses.
For the same reason a pushed robot that could make way only if the asker waited
a step (it must go two cells to leave the asker's footprint) is not made to
stay, as in ``pibt``, but left to move on its own turn (``_held_off_by``).

``solve`` is LaCAM (Okumura, AAAI 2023) over those configurations, as in
``lacam``: depth-first over configurations, pins added one robot at a time so
every valid step is reachable. With a robot's every neighbour pinned the check
above is exact, so the search is complete over footprint-apart plans. No
guides or restarts: the floors it serves are small and the budget is tens of
milliseconds.

Pure: the standard library and the traffic grid modules.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence

from fleet.traffic.footlanes import NO_ONE, Lanes
from fleet.traffic.gridgraph import UNREACHABLE, DistanceTables, GridGraph
from fleet.traffic.lacam import Config, OneShotResult, search

_JITTER_MASK = 1023


class FootprintGenerator:
    """Turns (where every robot is, where each is going, who goes first) into the next
    configuration, keeping footprints apart (module docstring). Scratch arrays only,
    reset after each call; not thread-safe.

    ``foot[v]``: cell ``v`` and every cell a robot standing on ``v`` makes unusable;
    symmetric (``u`` in ``foot[v]`` exactly when ``v`` is in ``foot[u]``), as
    ``FloorPlan.conflicts`` is."""

    def __init__(self, graph: GridGraph, foot: Sequence[Sequence[int]],
                 tables: DistanceTables, *, seed: int = 0) -> None:
        self.graph = graph
        self.foot = foot
        self.tables = tables
        self.rng = random.Random(seed)
        self._now = [NO_ONE] * graph.size   # cell -> robot standing there
        self._next = [NO_ONE] * graph.size  # cell -> robot bound there
        self._cur: Sequence[int] = ()
        self._goal: Sequence[int] = ()
        self._dist: Sequence[Sequence[int]] = []
        self._to: list[int] = []
        self._broken = False
        self._chain: set[int] = set()
        """Robots placed tentatively while those in their way are pushed on."""
        self._make_way: dict[int, int] = {}
        """Pushed robots left unplaced, and the cell each then takes first."""
        self._jitter = [0.4 * self.rng.random() for _ in range(_JITTER_MASK + 1)]
        self._salt = 0

    def next_config(self, current: Sequence[int], goals: Sequence[int], order: Sequence[int],
                    fixed: Mapping[int, int] | None = None,
                    dists: Sequence[Sequence[int]] | None = None) -> list[int] | None:
        """The next cell of every robot, placed in ``order`` (highest priority first);
        ``fixed`` pins some robots' next cells. None when the pins conflict or leave a
        robot that must leave a footprint with nowhere to go. ``current`` must be
        footprint-apart."""
        n = len(current)
        now, nxt = self._now, self._next
        for i, v in enumerate(current):
            now[v] = i
        self._cur, self._goal = current, goals
        self._dist = dists if dists is not None else [self.tables.to(g) for g in goals]
        self._to = to = [NO_ONE] * n
        self._salt = self.rng.randrange(_JITTER_MASK + 1)
        self._broken = False
        self._make_way.clear()
        try:
            ok = self._pin(fixed) if fixed else True
            if ok:
                for i in order:
                    if to[i] == NO_ONE and not self._place(i, NO_ONE):
                        ok = False
                        break
            return to if ok and not self._broken else None
        finally:
            for v in current:
                now[v] = NO_ONE
            for v in to:
                if v != NO_ONE:
                    nxt[v] = NO_ONE
            for v in (fixed or {}).values():
                if 0 <= v < len(nxt):
                    nxt[v] = NO_ONE

    # -- the two rules -----------------------------------------------------------------
    def _taken(self, v: int, a: int) -> bool:
        """Is a robot other than ``a`` bound into ``v``'s footprint?"""
        nxt = self._next
        for f in self.foot[v]:
            k = nxt[f]
            if k not in (NO_ONE, a):
                return True
        return False

    def _in_way(self, v: int, a: int) -> list[int]:
        """The robots other than ``a`` standing in ``v``'s footprint."""
        now = self._now
        return [now[f] for f in self.foot[v] if now[f] != NO_ONE and now[f] != a]

    def _waits_on(self, k: int, a: int) -> bool:
        """Does ``k``, placed already, wait (through others placed) for ``a`` to leave?
        A robot waits for every other robot standing in its next cell's footprint."""
        now, to, foot = self._now, self._to, self.foot
        seen = {k}
        stack = [k]
        while stack:
            b = stack.pop()
            t = to[b]
            if t == NO_ONE:
                continue
            for f in foot[t]:
                m = now[f]
                if m in (NO_ONE, b):
                    continue
                if m == a:
                    return True
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        return False

    def _pin(self, fixed: Mapping[int, int]) -> bool:
        to, cur = self._to, self._cur
        neighbours = self.graph.neighbours
        for i, v in fixed.items():
            here = cur[i]
            if v != here and v not in neighbours[here]:
                return False
            if self._taken(v, i):
                return False
            if any(to[k] != NO_ONE and (to[k] == cur[k] or self._waits_on(k, i))
                   for k in self._in_way(v, i)):
                return False
            self._next[v] = i
            to[i] = v
        return True

    def _place(self, a: int, asker: int) -> bool:
        """Give robot ``a`` a next cell, pushing on whoever stands in its footprint;
        False if it had to stay against its will (the asker then tries elsewhere)."""
        nxt, to, cur = self._next, self._to, self._cur
        here = cur[a]
        dist = self._dist[a]
        jitter, salt = self._jitter, self._salt
        neighbours = self.graph.neighbours
        ranked = [(dist[c] + (0.5 if self._in_way(c, a) else 0.0)
                   + jitter[(c + salt) & _JITTER_MASK], c)
                  for c in (*neighbours[here], here)]
        goal = self._goal[a]
        if asker != NO_ONE and (len(neighbours[goal]) <= 2 or len(self.foot[goal]) > 1):
            toward = self._dist[asker]
            if dist[here] + toward[self._goal[a]] == toward[here]:
                # As in ``pibt``: pushed along the asker's way through our goal in a
                # corridor, step off that way rather than lead it in and back for ever.
                ranked = [(key + 3.0 if toward[c] < toward[here] else key, c)
                          for key, c in ranked]
        owed = self._make_way.pop(a, NO_ONE)
        if owed != NO_ONE:
            ranked = [(key - 100.0 if c == owed else key, c) for key, c in ranked]
        ranked.sort()
        partner = self._swap_partner(a, ranked[0][1])
        if partner != NO_ONE:
            # Back out along the partner's way, it following (module docstring): ahead
            # of it on its way first, not merely far from our goal, or we dither across
            # the lane (a two-row lane's other row is as far from our goal as the cell
            # behind us).
            toward = self._dist[partner]
            ranked.sort(key=lambda kc: (toward[kc[1]], -kc[0]))
        for _, u in ranked:
            if self._taken(u, a):
                continue
            way = self._in_way(u, a)
            if any(to[k] != NO_ONE and self._waits_on(k, a) for k in way):
                continue  # placed robots in the way wait for us: a cycle, or a swap
            nxt[u] = a
            to[a] = u
            self._chain.add(a)
            moved = all((to[k] != NO_ONE or self._place(k, a)) and to[k] != cur[k]
                        for k in way)
            self._chain.discard(a)
            if moved:
                if partner != NO_ONE and to[partner] == NO_ONE:
                    self._place(partner, NO_ONE)  # it follows us out, if it can now
                return True
            # Someone in the way stays: give the cell up and try the next one.
            if nxt[u] == a:
                nxt[u] = NO_ONE
            to[a] = NO_ONE
        if asker == NO_ONE:
            return False  # first in its chain, yet a pinned robot takes its footprint
        if self._held_off_by(a, asker):
            return False  # left to be placed later: once the asker goes elsewhere, it may move
        # The asker wants our footprint; we stay, and the asker tries elsewhere (as does
        # any robot up the chain bound into it). If a robot placed for good is bound
        # into it (a pin: pinned robots push no one), this configuration cannot be made.
        if any(nxt[f] != NO_ONE and nxt[f] != a and nxt[f] not in self._chain
               for f in self.foot[here]):
            self._broken = True
        nxt[here] = a
        to[a] = here
        return False

    def _held_off_by(self, a: int, asker: int) -> bool:
        """Can ``a`` make way only once the asker lets go of its footprint? If so, the cell
        it should take then is kept in ``_make_way`` and ``a`` is left unplaced.

        In ``pibt`` a pushed robot that finds no cell stays put for the step, having
        tried everything. Here the asker's footprint covers more than the pushed robot's
        own cell: in a lane of paired cells a robot pushed from one cell of a pair
        cannot step out of the pair while the asker enters it, it has to go two cells,
        so it stayed, and so did the asker, step after step (LaCAM had to pin them to
        get past). Left unplaced, it takes that cell when its turn comes: a cell on its
        own way, or one further along the asker's way (a step back it owes the asker,
        who will then find room next step)."""
        nxt, here, dist, toward = self._next, self._cur[a], self._dist[a], self._dist[asker]
        best = NO_ONE
        for c in self.graph.neighbours[here]:
            if dist[c] > dist[here] and toward[c] >= toward[here]:
                continue
            bound = {nxt[f] for f in self.foot[c]} - {NO_ONE, a}
            if bound == {asker} and not self._in_way(c, a) and (
                    best == NO_ONE or dist[c] < dist[best]):
                best = c
        if best == NO_ONE:
            return False
        self._make_way[a] = best
        return True

    # -- the corridor swap -------------------------------------------------------------
    def _swap_partner(self, a: int, best: int) -> int:
        """The robot ``a`` must let pass by backing out, or NO_ONE: one not yet placed in
        the footprint of ``a``'s best cell, which must come ``a``'s way along a lane
        with no room ahead to step aside, while there is room behind ``a``."""
        here = self._cur[a]
        if best == here:
            return NO_ONE
        lanes = Lanes(self.graph.neighbours, self.foot, self._now, self._goal)
        for b in self._in_way(best, a):
            if (self._to[b] == NO_ONE and lanes.swap_needed(self._dist[a], self._dist[b],
                                                            here, best)
                    and lanes.can_back_out(best, here)):
                return b
        return NO_ONE


def apart(cells: Sequence[int], foot: Sequence[Sequence[int]]) -> bool:
    """Whether no two of ``cells`` share a footprint."""
    seen: set[int] = set()
    for c in cells:
        if c in seen:
            return False
        seen.update(foot[c])
    return True


def solve(graph: GridGraph, foot: Sequence[Sequence[int]], starts: Sequence[int],
          goals: Sequence[int], *, time_limit_s: float, seed: int = 0,
          tables: DistanceTables | None = None) -> OneShotResult:
    """Plan every robot from its start to its goal (where it then stays), no two robots'
    footprints ever overlapping and every step orderable (module docstring). Starts
    and goals must each be footprint-apart (a ValueError says which are not)."""
    t0 = time.perf_counter()
    n = len(starts)
    if len(goals) != n:
        raise ValueError(f"{n} starts but {len(goals)} goals")
    for name, cells in (("start", starts), ("goal", goals)):
        bad = [c for c in cells if not graph.is_free(c)]
        if bad:
            raise ValueError(f"{name} cell {graph.row_col(bad[0])} is not passable")
        if not apart(cells, foot):
            raise ValueError(f"two robots' {name} cells share a footprint")
    tables = tables or DistanceTables(graph)
    tables.prefetch(goals)
    dists: list[Sequence[int]] = [tables.to(g) for g in goals]
    unreachable = [i for i in range(n) if dists[i][starts[i]] >= UNREACHABLE]
    if unreachable:
        return OneShotResult(None, f"robot {unreachable[0]} cannot reach its goal",
                             time.perf_counter() - t0, 0, 0)
    plan, reason, nodes, generated = _search(graph, foot, dists, starts, goals,
                                             until=t0 + time_limit_s, seed=seed,
                                             tables=tables)
    return OneShotResult(plan, reason, time.perf_counter() - t0, nodes, generated)


def _search(graph: GridGraph, foot: Sequence[Sequence[int]], dists: Sequence[Sequence[int]],
            starts: Sequence[int], goals: Sequence[int], *, until: float, seed: int,
            tables: DistanceTables) -> tuple[list[Config] | None, str, int, int]:
    """LaCAM's own search (``lacam.search``) over footprint-apart configurations."""
    gen = FootprintGenerator(graph, foot, tables, seed=seed)

    def step(config: Config, order: Sequence[int], pins: Mapping[int, int]) -> list[int] | None:
        return gen.next_config(config, goals, order, pins, dists)

    return search(graph, step, dists, starts, goals, until=until, seed=seed)
