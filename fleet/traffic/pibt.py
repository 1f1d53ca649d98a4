"""PIBT: one step for every robot at once, by priority inheritance with backtracking.

Every robot takes part in every step, including those standing on their goal:
a robot that wants a cell asks its occupant to move first (the occupant
inherits the asker's priority and may in turn ask others); if the occupant
finds nowhere to go, the asker backs off and tries its next cell. Nobody is a
wall, so a parked robot on someone's path steps aside and, having the lowest
priority once back on its goal, simply walks back when the way is clear.

Two rules keep every step valid: a cell is given to at most one robot
(vertex conflicts), and a robot never enters the cell of a robot already
bound for its own cell (swap conflicts). A robot that gets no cell stays.

Corridors: plain PIBT cannot make two robots facing each other in a dead-end
corridor pass, because neither may enter the other's cell. The swap rule
detects that case (the one in front has no side cell to yield into before
the asker reaches its goal, and wants to come the other way) and lets the
asker back out towards the nearest branching cell, the other following it,
until there is room to pass; the idea is from Okumura, "Improving LaCAM for
scalable eventually optimal multi-agent pathfinding" (IJCAI 2023), the code is
ours. A second rule is our own: a robot pushed by one whose shortest way runs
through the pushed robot's goal in a corridor steps off that way rather than
leading it in, or the two push each other back and forth for ever (warehouse
aisles; without it PIBT never finishes warehouse-10-20-10-2-1 at 100 robots).

Cost: each robot is placed once per step; the search per robot is its four
neighbours plus the push chain it starts, so a step is about linear in the
number of robots. Distances come from ``DistanceTables`` (one table per goal).

Pure: the standard library and ``gridgraph``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fleet.traffic.gridgraph import DistanceTables, GridGraph
from fleet.traffic.guidance import FlowGuide

NO_ONE = -1
_JITTER_MASK = 1023
_AT_GOAL = 1e12  # puts robots on their goal below any robot still travelling


class ConfigurationGenerator:
    """Turns (where every robot is, where each is going, who goes first) into the next
    configuration. Holds only scratch arrays, reset after each call, so one instance
    serves any number of calls on the same grid; it is not thread-safe.

    Pushes recurse, one level per robot in a chain, so a call may go as deep as
    there are robots: above ~900 robots the caller must raise
    ``sys.setrecursionlimit`` (``fleet bench mapf`` does)."""

    def __init__(self, graph: GridGraph, tables: DistanceTables, *, seed: int = 0,
                 swap: bool = True) -> None:
        self.graph = graph
        self.tables = tables
        self.swap = swap
        self.rng = random.Random(seed)
        self._now = [NO_ONE] * graph.size   # cell -> robot standing there
        self._next = [NO_ONE] * graph.size  # cell -> robot bound there
        # Per-call views, set by ``next_config``.
        self._cur: Sequence[int] = ()
        self._goal: Sequence[int] = ()
        self._dist: list[Sequence[int]] = []
        self._rank: Sequence[Sequence[float]] = []
        self._to: list[int] = []
        # Random tie-breaks: a fixed table read at a shifting offset, cheaper than a
        # random draw per option and still different from call to call.
        self._jitter = [0.4 * self.rng.random() for _ in range(_JITTER_MASK + 1)]
        self._salt = 0

    def next_config(self, current: Sequence[int], goals: Sequence[int], order: Sequence[int],
                    fixed: Mapping[int, int] | None = None,
                    dists: list[Sequence[int]] | None = None,
                    *, ranks: Sequence[Sequence[float]] | None = None) -> list[int] | None:
        """The next cell of every robot, robots placed in ``order`` (highest priority
        first). ``fixed`` pins some robots' next cells (LaCAM's constraints); None
        when the pins conflict with each other or leave a robot with no valid cell.
        ``dists``: each robot's distance table, when the caller keeps goals fixed
        over many calls and has them at hand (saves a cache look-up per robot).
        ``ranks``: per robot, the table its moves are ranked by when not its plain
        distances (``guidance.FlowGuide``'s priced tables); any table that is 0 on the
        goal, at least 1 everywhere else, and falls along some move from every cell
        will do. (A robot at home whose cell nobody has claimed then stays without
        its moves being ranked: in a one-shot plan most robots are home most of the
        time, and LaCAM's search on den520d at 200 robots takes 40 % less CPU.)"""
        n = len(current)
        now, nxt = self._now, self._next
        for i, v in enumerate(current):
            now[v] = i
        self._cur, self._goal = current, goals
        self._dist = dists if dists is not None else [self.tables.to(g) for g in goals]
        self._rank = ranks if ranks is not None else self._dist
        self._to = to = [NO_ONE] * n
        self._salt = self.rng.randrange(_JITTER_MASK + 1)
        ok = True
        try:
            if fixed:
                ok = self._pin(fixed)
            if ok:
                for i in order:
                    if to[i] != NO_ONE:
                        continue
                    here = current[i]
                    if here == goals[i] and nxt[here] == NO_ONE:
                        # Home, and nobody has claimed its cell: it stays (its own cell
                        # ranks 0, every other at least 1, more than any tie-break).
                        nxt[here] = i
                        to[i] = here
                    elif not self._place(i, NO_ONE):
                        ok = False
                        break
            return to if ok else None
        finally:
            for v in current:
                now[v] = NO_ONE
            for v in to:
                if v != NO_ONE:
                    nxt[v] = NO_ONE
            for v in (fixed or {}).values():
                if 0 <= v < len(nxt):
                    nxt[v] = NO_ONE

    def _pin(self, fixed: Mapping[int, int]) -> bool:
        now, nxt, to, cur = self._now, self._next, self._to, self._cur
        neighbours = self.graph.neighbours
        for i, v in fixed.items():
            here = cur[i]
            if v != here and v not in neighbours[here]:
                return False
            if nxt[v] != NO_ONE:
                return False
            k = now[v]
            if k not in (NO_ONE, i) and to[k] == here:
                return False
            nxt[v] = i
            to[i] = v
        return True

    def _place(self, a: int, asker: int) -> bool:
        """Give robot ``a`` a next cell, pushing occupants on; False if it had to stay
        against its will (the asker then tries elsewhere)."""
        now, nxt, to, cur = self._now, self._next, self._to, self._cur
        here = cur[a]
        dist, rank = self._dist[a], self._rank[a]
        jitter, salt = self._jitter, self._salt
        # Nearest to the goal first; among equals a free cell, then at random. (A cell
        # other than ours with someone on it is someone else's: one robot a cell.)
        ranked = [(rank[c] + (0.5 if now[c] != NO_ONE and c != here else 0.0)
                   + jitter[(c + salt) & _JITTER_MASK], c)
                  for c in (*self.graph.neighbours[here], here)]
        if asker != NO_ONE and len(self.graph.neighbours[self._goal[a]]) <= 2:
            toward = self._dist[asker]
            if dist[here] + toward[self._goal[a]] == toward[here]:
                # Pushed by a robot whose shortest way runs through our goal: staying
                # ahead of it on that way, we would stop on our goal in front of it, be
                # pushed on past it, push it back, for ever (a corridor with our goal
                # in it). Stepping off its way lets it pass first. Only for goals in
                # corridors: in the open it costs throughput (LoRR I-05, 400 robots:
                # 5.8 -> 5.0 goals a step) and is not needed there.
                ranked = [(key + 3.0 if toward[c] < toward[here] else key, c)
                          for key, c in ranked]
        best = min(ranked)[1]
        partner = self._swap_partner(a, best) if self.swap else NO_ONE
        if partner == NO_ONE and nxt[best] == NO_ONE and (now[best] == NO_ONE
                                                           or best == here):
            # The usual case away from crowds: the best cell is free (or our own).
            # The loop below would take it first too; this skips sorting the rest.
            nxt[best] = a
            to[a] = best
            return True
        ranked.sort()
        options = [c for _, c in ranked]
        if partner != NO_ONE:
            options.reverse()
        for u in options:
            if nxt[u] != NO_ONE:
                continue
            k = now[u]
            if k not in (NO_ONE, a) and to[k] == here:
                continue  # k is coming to our cell: entering its cell would be a swap
            nxt[u] = a
            to[a] = u
            if k not in (NO_ONE, a) and to[k] == NO_ONE and not self._place(k, a):
                continue  # k stays on u (it took u back); try our next option
            if partner != NO_ONE and to[partner] == NO_ONE and nxt[here] == NO_ONE:
                nxt[here] = partner
                to[partner] = here
            return True
        if asker == NO_ONE:
            return False  # first in its chain, yet its own cell is pinned for another
        # The asker holds our cell; we stay on it, and the asker tries elsewhere.
        nxt[here] = a
        to[a] = here
        return False

    # -- the corridor swap -------------------------------------------------------------
    def _swap_partner(self, a: int, best: int) -> int:
        """The robot ``a`` must let pass by backing out, or NO_ONE."""
        here = self._cur[a]
        if best == here:
            return NO_ONE
        b = self._now[best]
        if b == NO_ONE or self._to[b] != NO_ONE:
            return NO_ONE
        if self._swap_needed(a, b, here, best) and self._can_back_out(best, here):
            return b
        return NO_ONE

    def _exits(self, at: int, came_from: int) -> tuple[int, int]:
        """Cells one can move on to from ``at`` (not back, not a dead end held by a robot
        at its goal), counted, with one of them."""
        neighbours = self.graph.neighbours
        count, onward = 0, NO_ONE
        for u in neighbours[at]:
            if u == came_from:
                continue
            k = self._now[u]
            if len(neighbours[u]) == 1 and k != NO_ONE and self._goal[k] == u:
                continue
            count += 1
            onward = u
        return count, onward

    def _swap_needed(self, a: int, b: int, at_a: int, at_b: int) -> bool:
        """Walk on in ``a``'s direction while that brings ``a`` nearer its goal: if ``b``
        meets no side cell to yield into and wants to come ``a``'s way, they must swap."""
        da, db = self._dist[a], self._dist[b]
        p, q = at_a, at_b
        while da[q] < da[p]:
            count, onward = self._exits(q, p)
            if count >= 2:
                return False  # a branch ahead: ordinary pushing lets b step aside
            if count == 0:
                break
            p, q = q, onward
        return db[p] < db[q] and (da[p] == 0 or da[q] < da[p])

    def _can_back_out(self, at_b: int, at_a: int) -> bool:
        """Is there a branch behind ``a`` (seen from ``b``) where the two can pass?"""
        p, q = at_b, at_a
        while q != at_b:
            count, onward = self._exits(q, p)
            if count >= 2:
                return True
            if count == 0:
                return False
            p, q = q, onward
        return False


@dataclass
class LifelongPibt:
    """PIBT run step by step while goals change (a robot given a new errand, a leg
    cut short). Priorities: a robot away from its goal gains one each step, less
    ``closeness`` per step it still has to go, so robots about to arrive go first
    (more goals reached per step: LoRR I-05, 400 robots, 300 steps: 6.1 -> 6.7)
    while one left behind still rises above all others in the end, its distance
    being bounded and its waiting not. On its goal a robot drops to the bottom
    (its small random tie-breaker, below everyone travelling) and so yields to
    anyone passing."""

    graph: GridGraph
    robots: int
    seed: int = 0
    swap: bool = True
    tables: DistanceTables | None = None
    closeness: float = 2.0
    guide: FlowGuide | None = None

    def __post_init__(self) -> None:
        self._goals: list[int] = []
        self._tables = self.tables if self.tables is not None else DistanceTables(self.graph)
        self._gen = ConfigurationGenerator(self.graph, self._tables, seed=self.seed,
                                           swap=self.swap)
        rng = random.Random(self.seed)
        self._tie = [rng.random() for _ in range(self.robots)]
        self._priority = list(self._tie)

    def step(self, current: Sequence[int], goals: Sequence[int]) -> list[int]:
        """Every robot's next cell (its own cell when it waits)."""
        if len(current) != self.robots or len(goals) != self.robots:
            raise ValueError(f"expected {self.robots} positions and goals, got "
                             f"{len(current)} and {len(goals)}")
        pri, tie, w, tables = self._priority, self._tie, self.closeness, self._tables
        key = [0.0] * self.robots
        for i in range(self.robots):
            if current[i] == goals[i]:
                pri[i] = tie[i]
                key[i] = tie[i] - _AT_GOAL
            else:
                pri[i] += 1.0
                key[i] = pri[i] - w * tables.to(goals[i])[current[i]]
        order = sorted(range(self.robots), key=key.__getitem__, reverse=True)
        ranks = None
        if self.guide is not None:
            old = self._goals
            fresh = [i for i in range(self.robots) if not old or old[i] != goals[i]]
            self.guide.assign(fresh, [current[i] for i in fresh], [goals[i] for i in fresh])
            self._goals = list(goals)
            ranks = self.guide.tables
        step = self._gen.next_config(current, goals, order, ranks=ranks)
        if self.guide is not None and step is not None:
            self.guide.advance(step)
        if step is None:  # cannot happen without pins: a robot may always stay
            raise AssertionError("PIBT returned no configuration without constraints")
        return step
