"""LaCAM: a search over configurations that makes PIBT complete for one-shot problems.

PIBT alone can loop forever (two robots trading places back and forth). LaCAM
(Okumura, AAAI 2023) searches depth-first over whole configurations, each
successor made by one PIBT step. When a configuration comes back, PIBT is asked
again under more and more pins ("robot i moves to cell v next"), added one
robot at a time in priority order; over all pin sets every successor is
reachable, so the search is complete (it finds a plan when one exists, given
time), while in easy cases the first successor is already the right one and
the search costs no more than plain PIBT.

Returns the first solution found, with the figures the benchmark reports; when
it is far above the lower bound (many robots), ``polish`` first takes out the
cheapest part of its excess within a short time of its own, and that counts as
the first plan's time. Making it cheaper still is ``lns.refine``'s job. The
budget is wall time, checked once per configuration.

Pure: the standard library and the traffic grid modules.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from fleet.traffic.gridgraph import UNREACHABLE, DistanceTables, GridGraph
from fleet.traffic.guidance import FlowGuide
from fleet.traffic.pibt import ConfigurationGenerator
from fleet.traffic.polish import polish

Config = tuple[int, ...]
GUIDE = (0.2, 0.02)
"""One-shot guide weights (contraflow, crowding): milder than lifelong's, where any
guide stronger than this more often sent LaCAM into long searches (0.5/0.05 failed
warehouse-10-20-10-2-1 at 400 robots in 20 s; 1.0/0.1 room-32-32-4 at 100)."""
GOAL_COST = 1.0
"""Extra cost, in the guides, of entering any robot's goal (``FlowGuide.avoid``):
the larger share of the gain from guides (Table-2 instances, 20-30 robots, first
plan SoC/LB mean 1.095 -> 1.060; 2.0 did no better and worse when dense)."""
GUIDE_CELLS = 2_150_000
"""Guides are priced only up to this many table entries (robots times cells). Beyond
it pricing takes about a second and guided searches tended to run out of their
first budget (warehouse at 400 robots: first plan 2.8 -> 5.2 s on a loaded
machine; guided, its search at 400 robots still makes four attempts, 6.8 s); the
bound lets in warehouse-10-20-10-2-1 at 200 robots (2.03 M entries) and den312d at
400 (2.11 M: the search's plan 2.11 -> 1.75 times the lower bound, 0.3 -> 0.45 s),
and keeps out warehouse at 400 and den520d beyond 31 robots, where plans are within
4 % of the lower bound anyway up to 200 robots."""
POLISH_ABOVE = 1.2
"""First plans with a sum of costs above this multiple of the lower bound are polished
(``polish``); below it there is little to gain (Table-2 first plans are all within
1.2 and keep their times)."""
POLISH_S_PER_ROBOT2 = 1e-5
"""The polish's default time, per robot squared, at most ``POLISH_S_MAX``: 0.1 s at
100 robots, 0.4 s at 200, 1.6 s at 400. Quadratic because both what there is to gain
(the plan's excess grows with density) and the price of each search (longer plans,
more robots in the way) grow with the number of robots."""
POLISH_S_MAX = 2.0


@dataclass(slots=True)
class _Pin:
    """One link of a chain of pins; the chain from a node to the root is its pin set."""

    parent: _Pin | None
    depth: int
    robot: int = -1
    cell: int = -1

    def pins(self) -> dict[int, int]:
        out: dict[int, int] = {}
        node: _Pin | None = self
        while node is not None and node.depth > 0:
            out[node.robot] = node.cell
            node = node.parent
        return out


@dataclass(slots=True)
class _Node:
    config: Config
    parent: _Node | None
    priority: list[float]
    order: list[int]
    pins: deque[_Pin] = field(default_factory=deque)


@dataclass(frozen=True)
class OneShotResult:
    """A plan (one configuration per unit step, starts first) or None, and why."""

    plan: list[Config] | None
    reason: str
    elapsed_s: float
    nodes: int
    generated: int
    attempts: int = 1
    unpolished_cost: int | None = None  # the search's plan's sum of costs, if polished
    polish_kept: int = 0  # changes the polish kept
    polish_s: float = 0.0

    def sum_of_costs(self, goals: Sequence[int]) -> int:
        """Sum over robots of the last step at which each arrived on its goal for good."""
        if self.plan is None:
            raise ValueError("no plan")
        total = 0
        for i, g in enumerate(goals):
            t = len(self.plan) - 1
            while t > 0 and self.plan[t - 1][i] == g:
                t -= 1
            total += t
        return total


def solve(graph: GridGraph, starts: Sequence[int], goals: Sequence[int], *,
          time_limit_s: float, seed: int = 0, swap: bool = True,
          tables: DistanceTables | None = None, restart_s: float | None = 0.5,
          guide: tuple[float, float] | None = GUIDE,
          polish_s: float | None = None) -> OneShotResult:
    """Plan every robot from its start to its goal (where it then stays).

    Guides: PIBT ranks each robot's moves by a table priced by the flow of the
    robots planned before it and by the other robots' goals (``guidance.FlowGuide``,
    ``guide`` = its contraflow and crowding weights, ``GOAL_COST``), which spreads
    robots over parallel ways instead of meeting head-on at doors and aisles, and
    around robots already home rather than through them (room-32-32-4, 100 robots:
    SoC/LB 1.62 -> 1.48; warehouse-10-20-10-2-1, 200: 1.55 -> 1.27). Guided PIBT
    can however lead LaCAM into long searches (room-32-32-4 at 341 robots), so
    attempts alternate between guided and plain ranking, guided first; None: plain
    only. Left out when the tables would be large (``GUIDE_CELLS``).

    Restarts: how long LaCAM takes to its first plan varies by orders of magnitude
    with the random tie-breaks (warehouse-10-20-10-2-1, 100 robots: 0.2 s to over
    3 s by seed), so it is run with ``restart_s`` and then doubling budgets, a new
    seed each time, the last attempt getting whatever time is left. Each attempt is
    complete on its own, so the whole is too. None: one attempt only. An attempt is
    not cut short before it has made twice as many configurations as the farthest
    robot has steps to go: on large maps a search that goes straight home needs
    longer than ``restart_s`` (den520d, 200 robots: 400 configurations, 0.5-0.9 s on
    a loaded machine), and cutting it off there threw the work away and started
    again (3.2 s in all, where one attempt takes 0.8 s).

    Polish: a plan found more than ``POLISH_ABOVE`` times the lower bound is then
    improved by ``polish.polish`` for up to ``polish_s`` (None: the default, by the
    number of robots, ``POLISH_S_PER_ROBOT2``; never past ``time_limit_s``), and that
    is the plan returned (empty-32-32, 400 robots: SoC/LB 1.57 -> 1.42 in 1 s). The
    search's own cost is kept in ``unpolished_cost``.
    """
    t0 = time.perf_counter()
    n = len(starts)
    if len(goals) != n:
        raise ValueError(f"{n} starts but {len(goals)} goals")
    for name, cells in (("start", starts), ("goal", goals)):
        if len(set(cells)) != n:
            raise ValueError(f"two robots share a {name} cell")
        bad = [c for c in cells if not graph.is_free(c)]
        if bad:
            raise ValueError(f"{name} cell {graph.row_col(bad[0])} is not passable")
    tables = tables or DistanceTables(graph)
    tables.prefetch(goals)
    away = [tables.to(goals[i])[starts[i]] for i in range(n)]
    unreachable = [i for i in range(n) if away[i] >= UNREACHABLE]
    if unreachable:
        return OneShotResult(None, f"robot {unreachable[0]} cannot reach its goal",
                             time.perf_counter() - t0, 0, 0)
    deadline = t0 + time_limit_s
    budget = restart_s if restart_s is not None else time_limit_s
    patience = 2 * (max(away, default=0) + 1)
    nodes = generated = attempts = 0
    ranks: list[array[float]] | None = None
    while True:
        attempts += 1
        if attempts == 1 and guide is not None and n * graph.size <= GUIDE_CELLS:
            # Priced once, outside the first attempt's budget (up to 0.5 s on
            # warehouse-10-20-10-2-1 at 200 robots, as long as the search).
            flow = FlowGuide(graph, n, contraflow=guide[0], crowding=guide[1])
            flow.avoid(goals, GOAL_COST)
            flow.assign(range(n), starts, goals)
            ranks = flow.tables
        left = deadline - time.perf_counter()
        # Not worth a restart when less than another doubling is left: use it all.
        until = deadline if budget * 3 > left else time.perf_counter() + budget
        plan, reason, made, tried = _search(graph, tables, starts, goals, until=until,
                                            deadline=deadline, patience=patience,
                                            seed=seed + attempts - 1, swap=swap,
                                            ranks=ranks if attempts % 2 == 1 else None)
        nodes += made
        generated += tried
        if (plan is not None or reason == "no solution" or until >= deadline
                or time.perf_counter() >= deadline):
            result = OneShotResult(plan, reason, time.perf_counter() - t0, nodes, generated,
                                   attempts)
            return _polished(graph, tables, result, goals, lower=sum(away), t0=t0,
                             deadline=deadline, polish_s=polish_s)
        budget *= 2


def _polished(graph: GridGraph, tables: DistanceTables, result: OneShotResult,
              goals: Sequence[int], *, lower: int, t0: float, deadline: float,
              polish_s: float | None) -> OneShotResult:
    """``result``, its plan polished when far above the lower bound (``solve``)."""
    if result.plan is None:
        return result
    cost = result.sum_of_costs(goals)
    if cost <= POLISH_ABOVE * lower:
        return result
    n = len(goals)
    allowed = (min(POLISH_S_MAX, POLISH_S_PER_ROBOT2 * n * n) if polish_s is None
               else polish_s)
    allowed = min(allowed, deadline - time.perf_counter())
    if allowed <= 0:
        return result
    done = polish(graph, tables, result.plan, goals, time_limit_s=allowed)
    return replace(result, plan=done.plan, elapsed_s=time.perf_counter() - t0,
                   unpolished_cost=cost, polish_kept=done.kept, polish_s=done.elapsed_s)


NextConfig = Callable[[Config, Sequence[int], Mapping[int, int]], list[int] | None]
"""A configuration generator as the search calls it: (configuration, robots in
priority order, pinned next cells) -> the next configuration, or None."""


def _search(graph: GridGraph, tables: DistanceTables, starts: Sequence[int],
            goals: Sequence[int], *, until: float, seed: int, swap: bool,
            ranks: Sequence[Sequence[float]] | None = None, deadline: float = math.inf,
            patience: int = 0) -> tuple[list[Config] | None, str, int, int]:
    """One LaCAM search with PIBT (``search``)."""
    gen = ConfigurationGenerator(graph, tables, seed=seed, swap=swap)
    dists: list[Sequence[int]] = [tables.to(g) for g in goals]

    def step(config: Config, order: Sequence[int], pins: Mapping[int, int]) -> list[int] | None:
        return gen.next_config(config, goals, order, pins, dists, ranks=ranks)

    return search(graph, step, dists, starts, goals, until=until, seed=seed,
                  deadline=deadline, patience=patience)


def search(graph: GridGraph, step: NextConfig, dists: Sequence[Sequence[int]],
           starts: Sequence[int], goals: Sequence[int], *, until: float, seed: int,
           deadline: float = math.inf,
           patience: int = 0) -> tuple[list[Config] | None, str, int, int]:
    """One LaCAM search over the configurations ``step`` makes, until the clock reads
    ``until`` and it has generated at least ``patience`` configurations, or reads
    ``deadline``: (plan, why, nodes, generated). The generator is a parameter so a
    search with other rules for a step (``footpibt``: one-lane footprints) is this
    same search."""
    n = len(starts)
    rng = random.Random(seed)
    goal_config: Config = tuple(goals)

    def make_node(config: Config, parent: _Node | None) -> _Node:
        if parent is None:
            dist = [dists[i][config[i]] for i in range(n)]
            # Farthest first, ties broken at random but reproducibly.
            priority = [d / (max(dist) + 1) + rng.random() * 1e-3 for d in dist]
        else:
            priority = [p + 1.0 if config[i] != goals[i] else p - math.floor(p)
                        for i, p in enumerate(parent.priority)]
        order = sorted(range(n), key=priority.__getitem__, reverse=True)
        node = _Node(config, parent, priority, order)
        node.pins.append(_Pin(None, 0))
        return node

    start = make_node(tuple(starts), None)
    open_: list[_Node] = [start]
    explored: dict[Config, _Node] = {start.config: start}
    generated = 0
    while open_:
        now = time.perf_counter()
        if now > until and (generated >= patience or now > deadline):
            return None, "time limit", len(explored), generated
        node = open_[-1]
        if node.config == goal_config:
            plan: list[Config] = []
            at: _Node | None = node
            while at is not None:
                plan.append(at.config)
                at = at.parent
            plan.reverse()
            return plan, "solved", len(explored), generated
        if not node.pins:
            open_.pop()
            continue
        pin = node.pins.popleft()
        if pin.depth < n:
            robot = node.order[pin.depth]
            here = node.config[robot]
            cells = [*graph.neighbours[here], here]
            rng.shuffle(cells)
            node.pins.extend(_Pin(pin, pin.depth + 1, robot, c) for c in cells)
        nxt = step(node.config, node.order, pin.pins())
        generated += 1
        if nxt is None:
            continue
        config = tuple(nxt)
        seen = explored.get(config)
        if seen is not None:
            open_.append(seen)  # revisit it: its untried pins may lead elsewhere
            continue
        child = make_node(config, node)
        explored[config] = child
        open_.append(child)
    return None, "no solution", len(explored), generated
