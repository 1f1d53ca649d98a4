"""Anytime improvement of a one-shot plan by large neighbourhood search (LNS).

LaCAM's first plan is found fast but PIBT's greedy moves make robots wait and
wander (SoC/LB 1.1-1.2 at 20-30 robots on 32x32 maps, more when dense). A
classic remedy (Li et al., MAPF-LNS, IJCAI 2021): take a few robots' paths out,
plan them again one by one with space-time A* around everybody else's, and keep
the result only if the sum of costs went down. Each round keeps a valid plan, so
the search can stop at any moment: its budget is wall time.

Three choices, each measured on room-32-32-4 at 20-30 robots with 1 s (the
instances the first version left above SoC/LB 1.10): the A* bound counts the
time a robot must wait before it may rest on its goal (``settle``), which cut
the nodes a search expands several times over (65 -> 650 rounds a second on
random-5, 30 robots); besides robots at random, a round may take the robots
standing on the late robot's own shortest way, each kind chosen as often as it
has paid lately (adaptive LNS, Li et al. 2021); and 8 robots a round rather
than 4 (worst of the six 1.16 -> 1.09).

Rules as in the planners: unit steps, vertex and swap conflicts forbidden, a
robot rests on its goal once its path ends (so no later path may cross it there).

``solve_within`` puts LaCAM's first plan and this refinement under one wall-time
budget, for callers who must have a plan by a given time.

Pure: the standard library and the traffic grid, planner and space-time modules.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fleet.traffic.gridgraph import DistanceTables, GridGraph
from fleet.traffic.lacam import (
    GUIDE,
    POLISH_S_MAX,
    POLISH_S_PER_ROBOT2,
    OneShotResult,
    solve,
)
from fleet.traffic.spacetime import Path, Reservations, space_time_astar, trim


@dataclass(frozen=True)
class Refined:
    plan: list[tuple[int, ...]]
    rounds: int
    accepted: int
    elapsed_s: float


_REACTION = 0.1


def _in_the_way(graph: GridGraph, dist: Sequence[int], start: int, *, res: Reservations,
                robot: int, count: int, rng: random.Random) -> list[int]:
    """Up to ``count`` robots that crossed ``robot``'s goal after it could have been
    there, then those standing on its own shortest way (ties broken at random) at
    about the time it would pass: the ones that made it late, most likely."""
    found: list[int] = []
    neighbours, rest, rester = graph.neighbours, res.rest, res.rester
    # Those crossing its goal after it could first be there keep it off its goal.
    goal = start
    while dist[goal] > 0:
        goal = next(u for u in neighbours[goal] if dist[u] < dist[goal])
    for when in range(dist[start], res.last.get(goal, -1) + 1):
        k = res.who(goal, when)
        if k is not None and k != robot and k not in found:
            found.append(k)
    found = found[:count]
    v, t = start, 0
    while dist[v] > 0 and len(found) < count:
        steps = [u for u in neighbours[v] if dist[u] < dist[v]]
        v = steps[0] if len(steps) == 1 else rng.choice(steps)
        t += 1
        for when in (t, t + 1):
            k = res.who(v, when)
            if k is None and rest.get(v, when + 1) <= when:
                k = rester[v]
            if k is not None and k != robot and k not in found:
                found.append(k)
                break
    return found[:count]


def refine(graph: GridGraph, tables: DistanceTables, plan: Sequence[Sequence[int]],
           goals: Sequence[int], *, time_limit_s: float, seed: int = 0,
           neighbourhood: int = 8, budget: int = 20_000,
           max_rounds: int | None = None, good_enough: int | None = None) -> Refined:
    """A plan with a sum of costs no higher than ``plan``'s, improved until the time
    limit (or ``max_rounds`` rounds: a run that does not depend on the clock, for
    comparing and testing), or until its sum of costs is at most ``good_enough``: one
    configuration per step, like the input. A round under way when the time is up
    is abandoned (its robots keep their old paths), so the call overruns its limit
    by little more than building the returned plan."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    n = len(goals)
    rng = random.Random(seed)
    paths = [trim([cfg[i] for cfg in plan]) for i in range(n)]
    dists = [tables.to(g) for g in goals]
    res = Reservations(graph.size)
    for i, p in enumerate(paths):
        res.add(i, p)
    rounds = accepted = 0
    k = min(neighbourhood, n)
    score = [1.0, 1.0]  # how much each way of choosing robots has gained lately
    cost = sum(len(p) - 1 for p in paths)
    began = time.perf_counter()
    while n > 0 and (max_rounds is None or rounds < max_rounds) and (
            good_enough is None or cost > good_enough):
        now = time.perf_counter()
        # No round is begun that would likely be cut short: its work would be lost,
        # and a caller on a budget gets its plan sooner.
        if now + (now - began) / max(rounds, 1) > deadline:
            break
        rounds += 1
        delays = [len(paths[i]) - 1 - dists[i][paths[i][0]] for i in range(n)]
        delayed = [i for i in range(n) if delays[i] > 0]
        if not delayed:
            break
        # A robot that is late (its path is longer than its own shortest), the later
        # the likelier (room-32-32-4, the 7 first plans above SoC/LB 1.10, 4 seeds:
        # mean after 30 ms 1.100 -> 1.092, after 0.2 s 1.062 -> 1.059), and a few
        # others: those in its way, or any at random (scored as in adaptive LNS).
        first = rng.choices(delayed, weights=[delays[i] for i in delayed])[0]
        way = rng.random() * (score[0] + score[1]) < score[0]
        chosen = [first]
        if way:
            chosen += _in_the_way(graph, dists[first], paths[first][0], res=res,
                                  robot=first, count=k - 1, rng=rng)
        others = [i for i in range(n) if i not in chosen]
        chosen += rng.sample(others, min(len(others), k - len(chosen)))
        before = sum(len(paths[i]) for i in chosen)
        old = {i: paths[i] for i in chosen}
        for i in chosen:
            res.remove(paths[i])
        picked = set(chosen)
        # Beyond the horizon nobody moves any more: (cell, t) and (cell, t + 1) are
        # then the same state for the search.
        horizon = max((len(p) for j, p in enumerate(paths) if j not in picked), default=1)
        rng.shuffle(chosen)
        new: dict[int, Path] = {}
        # Each search is bounded by what the round may still spend and break even:
        # the others not yet planned need at least their shortest ways.
        rest = sum(dists[i][old[i][0]] + 1 for i in chosen)
        spent = 0
        for i in chosen:
            rest -= dists[i][old[i][0]] + 1
            path = space_time_astar(graph, dists[i], old[i][0], goals[i], res=res,
                                     horizon=horizon, budget=budget, deadline=deadline,
                                     latest=before - spent - rest - 1)
            if path is None:
                break
            new[i] = path
            spent += len(path)
            res.add(i, path)
            horizon = max(horizon, len(path))
        complete = len(new) == len(chosen)
        after = sum(len(p) for p in new.values()) if complete else before
        strategy = 0 if way else 1
        score[strategy] = max(0.05, (1 - _REACTION) * score[strategy]
                              + _REACTION * max(0, before - after))
        # Equal cost is kept too: a different plan of the same cost lets later rounds
        # off a plateau (MAPF-LNS does the same).
        if complete and after <= before:
            for i, p in new.items():
                paths[i] = p
            if after < before:
                accepted += 1
                cost -= before - after
            continue
        for p in new.values():
            res.remove(p)
        for i in chosen:
            res.add(i, old[i])
    makespan = max(len(p) for p in paths)
    out = [tuple(p[min(t, len(p) - 1)] for p in paths) for t in range(makespan)]
    return Refined(out, rounds, accepted, time.perf_counter() - t0)


@dataclass(frozen=True)
class Anytime:
    """LaCAM's first plan with its figures, and the plan at the end of the budget."""

    first: OneShotResult
    plan: list[tuple[int, ...]] | None
    refined: Refined | None
    elapsed_s: float


def solve_within(graph: GridGraph, starts: Sequence[int], goals: Sequence[int], *,
                 budget_s: float, time_limit_s: float, seed: int = 0,
                 tables: DistanceTables | None = None, good_enough: float | None = None,
                 guide: tuple[float, float] | None = GUIDE) -> Anytime:
    """A plan within ``budget_s`` of wall time from the call, everything counted (the
    distance tables, the guides, LaCAM's search, then LNS for whatever is left).

    A caller with a fixed time per decision wants the best plan it can have by then,
    not the first one: on room-32-32-4 at 30 robots the first plan is 10-20 % above
    the lower bound and comes in about half of a 50 ms budget, and the rest of the
    budget spent in ``refine`` removes part of that. If LaCAM has no plan when the
    budget ends it goes on searching up to ``time_limit_s`` (late is better than
    none) and the plan is returned unrefined.

    ``good_enough``: stop refining once the sum of costs is at most this multiple of
    the lower bound (each robot's own shortest way), as an optimiser stops at a gap;
    None refines until the budget ends."""
    t0 = time.perf_counter()
    tables = tables or DistanceTables(graph)
    # The polish (inside ``solve``) and LNS share the budget: the polish first, as it
    # gains more a second where robots are many, for at most half of it.
    n = len(goals)
    first = solve(graph, starts, goals, time_limit_s=time_limit_s, seed=seed, tables=tables,
                  guide=guide, polish_s=min(POLISH_S_MAX, POLISH_S_PER_ROBOT2 * n * n,
                                            budget_s / 2))
    if first.plan is None:
        return Anytime(first, None, None, time.perf_counter() - t0)
    target = None
    if good_enough is not None:
        lower = sum(tables.to(g)[s] for s, g in zip(starts, goals, strict=True))
        target = math.floor(good_enough * lower)
    left = budget_s - (time.perf_counter() - t0)
    if left <= 0 or (target is not None and first.sum_of_costs(goals) <= target):
        return Anytime(first, first.plan, None, time.perf_counter() - t0)
    refined = refine(graph, tables, first.plan, goals, time_limit_s=left, seed=seed,
                     good_enough=target)
    return Anytime(first, refined.plan, refined, time.perf_counter() - t0)
