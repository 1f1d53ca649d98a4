"""The visiting order of a loaded robot's tables: exact against brute force, deadline, priority."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.dispatch import TableOrder, best_table_order, dish_cost
from fleet.floor.model import Cell

NAMES = ["T0", "T1", "T2", "T3", "T4", "T5", "T6"]


class Matrix:
    """Travel times from a table of numbers; the start is the place "S"."""

    def __init__(self, seconds: dict[tuple[str, str], float]) -> None:
        self.seconds = seconds

    def from_cell(self, cell: Cell, place: str) -> float:
        return self.seconds[("S", place)]

    def between(self, a: str, b: str) -> float:
        return 0.0 if a == b else self.seconds[(a, b)]

    def to_charger(self, where: Cell | str) -> float:
        return 0.0


def brute_force(m: Matrix, tables: list[tuple[str, list[float]]], depart: float,
                guest_s: float, cold: float) -> float:
    best = math.inf
    for perm in itertools.permutations(tables):
        t, here, cost = depart, "S", 0.0
        for name, ready in perm:
            t += m.between(here, name)
            cost += sum(dish_cost(t - r, cold_food_s=cold, late_weight=10.0) for r in ready)
            t += guest_s
            here = name
        best = min(best, cost)
    return best


@st.composite
def instances(draw: st.DrawFn, most: int = 4) -> tuple[Matrix, list[tuple[str, list[float]]]]:
    n = draw(st.integers(1, most))
    names = NAMES[:n]
    seconds = {(a, b): float(draw(st.integers(3, 90)))
               for a in ["S", *names] for b in names if a != b}
    tables = [(name, draw(st.lists(st.floats(0, 400), min_size=1, max_size=3))) for name in names]
    return Matrix(seconds), tables


@settings(max_examples=150, deadline=None)
@given(instances(), st.floats(100, 600), st.sampled_from([0.0, 20.0]),
       st.sampled_from([60.0, 300.0]))
def test_order_is_exact_for_up_to_four_tables(inst: tuple[Matrix, list[tuple[str, list[float]]]],
                                              depart: float, guest_s: float, cold: float) -> None:
    m, tables = inst
    got = best_table_order("S", tables, times=m, depart=depart, guest_s=guest_s, cold_food_s=cold)
    assert sorted(got.order) == sorted(name for name, _ in tables)
    assert got.cost == pytest.approx(brute_force(m, tables, depart, guest_s, cold))
    # arrivals are consistent with the order and the travel times
    t, here = depart, "S"
    for name, arrival in zip(got.order, got.arrivals, strict=True):
        t += m.between(here, name)
        assert arrival == pytest.approx(t)
        t += guest_s
        here = name
    assert got.finish == pytest.approx(t)


@settings(max_examples=40, deadline=None)
@given(instances(most=7))
def test_beyond_four_tables_the_fallback_is_a_permutation_no_worse_than_nearest_first(
        inst: tuple[Matrix, list[tuple[str, list[float]]]]) -> None:
    m, tables = inst
    got = best_table_order("S", tables, times=m, depart=200.0, exact_limit=0)
    assert sorted(got.order) == sorted(name for name, _ in tables)
    exact = best_table_order("S", tables, times=m, depart=200.0, exact_limit=7)
    assert exact.cost <= got.cost + 1e-6
    # never worse than going to the nearest table each time
    left, here, greedy = {name for name, _ in tables}, "S", []
    while left:
        start = here
        nxt = min(sorted(left), key=lambda n: m.seconds[(start, n)])
        greedy.append(nxt)
        left.remove(nxt)
        here = nxt
    assert got.cost <= _cost_of(m, tables, greedy) + 1e-6


def _cost_of(m: Matrix, tables: list[tuple[str, list[float]]], order: list[str]) -> float:
    ready = dict(tables)
    t, here, cost = 200.0, "S", 0.0
    for name in order:
        t += m.between(here, name)
        cost += sum(dish_cost(t - r, cold_food_s=300.0, late_weight=10.0) for r in ready[name])
        t += 20.0
        here = name
    return cost


def _two_tables() -> Matrix:
    # NEAR is 10 s from the start, FAR 60 s; 55 s between them.
    return Matrix({("S", "NEAR"): 10.0, ("S", "FAR"): 60.0, ("NEAR", "FAR"): 55.0,
                   ("FAR", "NEAR"): 55.0})


def test_without_deadline_pressure_the_near_table_comes_first() -> None:
    got = best_table_order("S", [("FAR", [0.0]), ("NEAR", [0.0])], times=_two_tables(),
                           depart=10.0)
    assert got.order == ("NEAR", "FAR")


def test_a_dish_about_to_go_cold_is_served_first() -> None:
    # The FAR dish has waited 250 s: going NEAR first would make it 95 s late.
    got = best_table_order("S", [("FAR", [0.0]), ("NEAR", [240.0])], times=_two_tables(),
                           depart=250.0)
    assert got.order == ("FAR", "NEAR")
    assert got.arrival("FAR") == pytest.approx(310.0)


def test_high_priority_weight_reorders() -> None:
    m = Matrix({("S", "A"): 20.0, ("S", "B"): 30.0, ("A", "B"): 40.0, ("B", "A"): 40.0})
    plain = best_table_order("S", [("A", [0.0]), ("B", [0.0])], times=m)
    high = best_table_order("S", [("A", [0.0]), ("B", [0.0])], times=m, weights=[[1.0], [3.0]])
    assert plain.order == ("A", "B")
    assert high.order == ("B", "A")


def test_a_table_listed_twice_is_refused_and_no_tables_is_empty() -> None:
    with pytest.raises(ValueError, match="more than once"):
        best_table_order("S", [("A", [0.0]), ("A", [1.0])], times=_two_tables())
    assert best_table_order("S", [], times=_two_tables(), depart=5.0) == TableOrder((), (), 5.0,
                                                                                    0.0)
