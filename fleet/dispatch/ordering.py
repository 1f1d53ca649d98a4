"""The order in which a loaded robot visits its tables.

A dish's cost is its wait (ready -> on the table) plus, past the cold-food
deadline, ``late_weight`` times the lateness, all times its priority weight.
Summed waits alone would make the order indifferent to age; the deadline term is
what sends a robot to the dish about to go cold first. Up to ``exact_limit``
tables every order is tried (4 tables: 24); beyond, nearest-first then 2-opt,
which is what robots with many trays need and is within a few percent in
practice.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fleet.dispatch.travel_times import Travel
from fleet.floor.model import Cell

HIGH_PRIORITY_WEIGHT = 3.0
"""A HIGH dish's wait counts this many times a normal one's."""


@dataclass(frozen=True, slots=True)
class TableOrder:
    """The chosen order; ``arrivals[i]`` is when the robot reaches ``order[i]`` (every dish
    of that table is on the table then); ``finish`` is when it leaves the last table."""

    order: tuple[str, ...]
    arrivals: tuple[float, ...]
    finish: float
    cost: float

    def arrival(self, table: str) -> float:
        return self.arrivals[self.order.index(table)]


def dish_cost(wait: float, *, cold_food_s: float, late_weight: float,
              weight: float = 1.0) -> float:
    return weight * (wait + late_weight * max(0.0, wait - cold_food_s))


def _leg(times: Travel, here: Cell | str, table: str) -> float:
    return times.between(here, table) if isinstance(here, str) else times.from_cell(here, table)


def best_table_order(
    start: Cell | str,
    tables: Sequence[tuple[str, Sequence[float]]],
    *,
    times: Travel,
    depart: float = 0.0,
    guest_s: float = 20.0,
    cold_food_s: float = 300.0,
    late_weight: float = 10.0,
    weights: Sequence[Sequence[float]] | None = None,
    exact_limit: int = 4,
) -> TableOrder:
    """The cheapest order to visit ``tables`` leaving ``start`` at ``depart``.

    ``tables`` pairs each table with the ready times of its dishes (one entry per
    table); ``weights`` gives each dish's priority weight in the same shape. The
    robot stays ``guest_s`` at each table for the guests to take their dishes.
    """
    names = [name for name, _ in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"tables listed more than once: {names}")
    ready = [list(r) for _, r in tables]
    weight = [list(w) for w in weights] if weights is not None else [[1.0] * len(r) for r in ready]
    if [len(w) for w in weight] != [len(r) for r in ready]:
        raise ValueError("weights must have the shape of the ready times")

    def evaluate(perm: Sequence[int]) -> TableOrder:
        t, here, cost = depart, start, 0.0
        arrivals: list[float] = []
        for i in perm:
            t += _leg(times, here, names[i])
            arrivals.append(t)
            cost += sum(dish_cost(t - r, cold_food_s=cold_food_s, late_weight=late_weight,
                                  weight=w) for r, w in zip(ready[i], weight[i], strict=True))
            t += guest_s
            here = names[i]
        return TableOrder(tuple(names[i] for i in perm), tuple(arrivals), t, cost)

    n = len(names)
    if n == 0:
        return TableOrder((), (), depart, 0.0)
    if n <= exact_limit:
        return min((evaluate(p) for p in itertools.permutations(range(n))),
                   key=lambda o: o.cost)
    return _improve(evaluate, _nearest_first(times, start, names), n)


def _nearest_first(times: Travel, start: Cell | str, names: Sequence[str]) -> list[int]:
    left = set(range(len(names)))
    perm: list[int] = []
    here = start
    while left:
        nxt = min(sorted(left), key=lambda i: _leg(times, here, names[i]))
        perm.append(nxt)
        left.remove(nxt)
        here = names[nxt]
    return perm


def _improve(evaluate: Callable[[Sequence[int]], TableOrder], perm: list[int],
             n: int) -> TableOrder:
    """2-opt (reverse a stretch) and or-opt (move one table) until nothing improves."""
    best = evaluate(perm)
    improved = True
    while improved:
        improved = False
        candidates: list[list[int]] = []
        for i, j in itertools.combinations(range(n), 2):
            candidates.append(perm[:i] + perm[i : j + 1][::-1] + perm[j + 1 :])
        for i in range(n):
            rest = perm[:i] + perm[i + 1 :]
            candidates.extend([*rest[:k], perm[i], *rest[k:]] for k in range(n) if k != i)
        for cand in candidates:
            found = evaluate(cand)
            if found.cost < best.cost - 1e-9:
                best, perm, improved = found, cand, True
                break
    return best


def infinite(order: TableOrder) -> bool:
    return not math.isfinite(order.cost)
