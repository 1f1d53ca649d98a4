"""A quick pass over LaCAM's first plan: robots pushed off their goals late are kept home.

Where robots are dense, most of a PIBT plan's cost above the lower bound comes
after robots first reach their goals (empty-32-32 at 400 robots: 0.37 of the
lower bound after, 0.21 before): a robot home early is pushed off for a step or
two by one passing through, and its cost counts to its last arrival, so a single
late push can cost it tens of steps. Of 495 such pushes in that plan, 310 kept
the robot off its goal for one step only.

The pass takes each robot that left its goal after first reaching it (the
longest wait since that arrival first), lets it rest there from its first
arrival on, and plans the robots that crossed the goal after that moment again,
each from a few steps before it first did so, by space-time A* around everybody
else (``spacetime``). The change is kept when the sum of costs of those robots
goes down, else undone. Then, in the same sweep, each robot still late is planned
again alone from its start around all others. Sweeps repeat while they gain and
the time lasts.

It is local search, not a new search over configurations: it never makes a plan
worse, keeps every plan valid, and does little when the robots are few (the
first plan is then already close to the bound).

Pure: the standard library and the traffic grid and space-time modules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from fleet.traffic.gridgraph import DistanceTables, GridGraph
from fleet.traffic.spacetime import Path, Reservations, space_time_astar, trim

LEAD = 3
"""Steps before a robot first crossed another's goal from which it is planned again
(1, 3, 6 and 8 came within 0.03 SoC/LB of each other on empty, random-32-32-10 and
warehouse at 400 robots; 1 worst, 3 cheaper than 6-8)."""
CROSSERS = 6
"""At most this many robots crossing one goal are planned again for it; more seldom
pays (the goal is then on a main way) and costs a search each."""
TAIL_BUDGET = 5_000
ALONE_BUDGET = 20_000
"""A* expansions per robot: the tail from ``LEAD`` steps back, the whole path."""


@dataclass(frozen=True)
class Polished:
    plan: list[tuple[int, ...]]
    kept: int  # changes kept (each lowers the sum of costs)
    sweeps: int
    elapsed_s: float


def polish(graph: GridGraph, tables: DistanceTables, plan: Sequence[Sequence[int]],
           goals: Sequence[int], *, time_limit_s: float) -> Polished:
    """``plan`` (one configuration per step, robots resting on their goals at the end)
    with a sum of costs no higher, improved until no sweep gains or ``time_limit_s``
    is spent (a search under way then gives up; what was kept stays)."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    n = len(goals)
    paths = [trim([cfg[i] for cfg in plan]) for i in range(n)]
    work = _Work(graph, [tables.to(g) for g in goals], goals, paths, deadline)
    dists = work.dists
    kept = sweeps = 0
    gained = True
    while gained and time.perf_counter() < deadline:
        sweeps += 1
        gained = False
        for i in _pushed_off(paths, goals):
            if time.perf_counter() > deadline:
                break
            if work.keep_home(i):
                kept += 1
                gained = True
        late = [i for i in range(n) if len(paths[i]) - 1 > dists[i][paths[i][0]]]
        late.sort(key=lambda i: dists[i][paths[i][0]] - len(paths[i]))
        for i in late:
            if time.perf_counter() > deadline:
                break
            if work.alone(i):
                kept += 1
                gained = True
    makespan = max((len(p) for p in paths), default=1)
    out = [tuple(p[min(t, len(p) - 1)] for p in paths) for t in range(makespan)]
    return Polished(out, kept, sweeps, time.perf_counter() - t0)


def _pushed_off(paths: Sequence[Path], goals: Sequence[int]) -> list[int]:
    """Robots that left their goals after first reaching them, the longest wait since
    that first arrival first."""
    found = []
    for i, (p, g) in enumerate(zip(paths, goals, strict=True)):
        first = p.index(g)
        if first < len(p) - 1:
            found.append((first - len(p), i))
    found.sort()
    return [i for _, i in found]


class _Work:
    """The paths being polished and their reservations, kept in step."""

    def __init__(self, graph: GridGraph, dists: Sequence[Sequence[int]],
                 goals: Sequence[int], paths: list[Path], deadline: float) -> None:
        self.graph, self.dists, self.goals, self.paths = graph, dists, goals, paths
        self.deadline = deadline
        self.res = Reservations(graph.size)
        for i, p in enumerate(paths):
            self.res.add(i, p)

    def keep_home(self, i: int) -> bool:
        """Robot ``i`` rests on its goal from its first arrival; those that crossed
        the goal after that go round. True if kept (the sum of costs went down)."""
        graph, dists, goals, paths = self.graph, self.dists, self.goals, self.paths
        res, deadline = self.res, self.deadline
        path, goal = paths[i], goals[i]
        first = path.index(goal)
        crossed: dict[int, int] = {}  # robot -> when it first crossed the goal after ``first``
        for t in range(first + 1, len(path) - 1):
            k = res.who(goal, t)
            if k is not None and k != i and k not in crossed:
                crossed[k] = t
        if not crossed or len(crossed) > CROSSERS:
            return False
        group = [i, *crossed]
        old = {k: paths[k] for k in group}
        before = sum(len(p) for p in old.values())
        for k in group:
            res.remove(old[k])
        new = {i: path[:first + 1]}
        res.add(i, new[i])
        # The crossers keep their paths up to ``LEAD`` steps before they crossed; those
        # beginnings stay reserved while the others' ends are planned.
        begin = {k: max(0, t - LEAD) for k, t in crossed.items()}
        for k in crossed:
            res.hold(k, old[k][:begin[k] + 1])
        horizon = max(len(p) for p in paths)
        # Each path's length at best, to bound each search by what is left to gain.
        least = {k: begin[k] + dists[k][old[k][begin[k]]] + 1 for k in crossed}
        for k in crossed:
            b = begin[k]
            res.release(old[k][:b + 1])
            spare = before - 1 - sum(len(p) for p in new.values()) - sum(
                least[j] for j in crossed if j != k and j not in new)
            tail = space_time_astar(graph, dists[k], old[k][b], goals[k], res=res,
                                    horizon=horizon, budget=TAIL_BUDGET, deadline=deadline,
                                    begin=b, latest=spare - 1)
            if tail is None:
                for j in crossed:
                    if j != k and j not in new:
                        res.release(old[j][:begin[j] + 1])
                break
            new[k] = old[k][:b] + tail
            res.add(k, new[k])
        if len(new) == len(group) and sum(len(p) for p in new.values()) < before:
            for k, p in new.items():
                paths[k] = p
            return True
        for p in new.values():
            res.remove(p)
        for k in group:
            res.add(k, old[k])
        return False


    def alone(self, i: int) -> bool:
        """Robot ``i`` planned again from its start around all others; True if shorter
        (a search from a little before it first lost time, as for the crossers, kept
        less: warehouse-10-20-10-2-1 at 400 robots, 1.6 s, SoC/LB 1.57 against 1.62)."""
        paths, res = self.paths, self.res
        old = paths[i]
        res.remove(old)
        path = space_time_astar(self.graph, self.dists[i], old[0], self.goals[i], res=res,
                                horizon=max(len(p) for p in paths), budget=ALONE_BUDGET,
                                deadline=self.deadline, latest=len(old) - 2)
        better = path is not None and len(path) < len(old)
        if path is not None and better:
            paths[i] = path
        res.add(i, paths[i])
        return better
