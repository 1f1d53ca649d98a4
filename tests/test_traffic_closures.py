"""Traffic with areas the manager has closed: new plans keep out, routes already
planned through them are planned again, a robot inside may leave, reopening works."""

from __future__ import annotations

import pytest
from planbuild import plan_from_grid
from trafficsim import TrafficSim

from fleet.floor.model import Cell
from fleet.traffic import PlanFailed

# Two corridors joined at both ends: a way round.
LOOP = """
..........
.########.
..........
"""

# One corridor: no way round.
LINE = """
..........
"""

TOP_MIDDLE: list[Cell] = [(0, c) for c in range(3, 7)]


def _route_cells(sim: TrafficSim, name: str) -> set[Cell]:
    return set(sim.tm.route_of(name).cells)


def _visited_while(sim: TrafficSim, name: str, steps: int) -> set[Cell]:
    seen = {sim.robots[name].cell}
    for _ in range(steps):
        sim.step()
        seen.add(sim.robots[name].cell)
        if sim.at_goal(name):
            break
    return seen


def test_a_new_plan_goes_round_a_closed_area() -> None:
    sim = TrafficSim(plan_from_grid(LOOP), {"A": (0, 0)}, seed=1, delay=0.0)
    assert sim.tm.route("A", [(0, 9)], now=0.0).cells == tuple((0, c) for c in range(10))
    sim.tm.stop("A", now=0.0, at=0)
    sim.tm.close("spill", TOP_MIDDLE, now=0.0)
    sim.give("A", [(0, 9)])
    assert not _route_cells(sim, "A") & set(TOP_MIDDLE)
    seen = _visited_while(sim, "A", 100)
    assert sim.at_goal("A")
    assert not seen & set(TOP_MIDDLE)
    assert sim.violations == []


def test_a_route_through_a_newly_closed_area_is_planned_again_round_it() -> None:
    sim = TrafficSim(plan_from_grid(LOOP), {"A": (0, 0)}, seed=1, delay=0.0,
                     max_release_ahead=2)
    sim.give("A", [(0, 9)])
    assert set(TOP_MIDDLE) <= _route_cells(sim, "A")
    sim.step()  # one cell on, two released ahead: the closed cells are not yet released
    assert sim.tm.released("A") < 3
    stopped = sim.tm.close("spill", TOP_MIDDLE, now=sim.now)
    assert stopped == []
    assert not _route_cells(sim, "A") & set(TOP_MIDDLE)
    seen = _visited_while(sim, "A", 200)
    assert sim.at_goal("A") and sim.robots["A"].cell == (0, 9)
    assert not seen & set(TOP_MIDDLE)
    assert sim.violations == []


def test_without_a_way_round_the_robot_stops_at_its_release_and_is_named() -> None:
    sim = TrafficSim(plan_from_grid(LINE), {"A": (0, 0)}, seed=1, delay=0.0,
                     max_release_ahead=2)
    sim.give("A", [(0, 9)])
    sim.step()
    released = sim.tm.released("A")
    assert sim.tm.close("cart", [(0, 6)], now=sim.now) == ["A"]
    route = sim.tm.route_of("A")
    assert len(route.cells) - 1 == released and (0, 6) not in route.cells
    sim.run(20)
    assert sim.robots["A"].cell == route.cells[-1]
    with pytest.raises(PlanFailed) as failed:
        sim.give("A", [(0, 9)])
    assert "closed: cart" in failed.value.reason


def test_a_goal_inside_a_closed_area_fails_with_the_area_named() -> None:
    sim = TrafficSim(plan_from_grid(LOOP), {"A": (0, 0)}, seed=1, delay=0.0)
    sim.tm.close("party", [(2, 4), (2, 5)], now=0.0)
    with pytest.raises(PlanFailed, match=r"closed area .*party"):
        sim.give("A", [(2, 4), (2, 5)])
    route = sim.give("A", [(2, 4), (2, 6)])  # an open goal among them is fine
    assert route.goal == (2, 6)


def test_a_robot_inside_a_closed_area_may_leave_it_but_not_cross_another() -> None:
    sim = TrafficSim(plan_from_grid(LOOP), {"A": (0, 4)}, seed=1, delay=0.0)
    sim.tm.close("spill", TOP_MIDDLE, now=0.0)
    sim.tm.close("cart", [(1, 0)], now=0.0)  # the short way, round the west end
    sim.give("A", [(2, 0)])
    seen = _visited_while(sim, "A", 100)
    assert sim.at_goal("A") and sim.robots["A"].cell == (2, 0)
    assert (1, 0) not in seen
    assert (0, 6) in seen  # out through the closed cells it stood among
    assert sim.violations == []


def test_reopened_cells_are_used_again_and_closed_cells_are_reported() -> None:
    sim = TrafficSim(plan_from_grid(LOOP), {"A": (0, 0)}, seed=1, delay=0.0)
    sim.tm.close("spill", TOP_MIDDLE, now=0.0)
    assert sim.tm.closed_cells("spill") == frozenset(TOP_MIDDLE)
    assert sim.tm.closed_cells() == frozenset(TOP_MIDDLE)
    assert sim.tm.closed_cells("nothing") == frozenset()
    assert sim.tm.reopen("spill") is True
    assert sim.tm.reopen("spill") is False
    assert sim.tm.closed_cells() == frozenset()
    sim.give("A", [(0, 9)])
    assert set(TOP_MIDDLE) <= _route_cells(sim, "A")


def test_closing_cells_outside_the_plan_is_refused() -> None:
    sim = TrafficSim(plan_from_grid(LOOP), {"A": (0, 0)}, seed=1, delay=0.0)
    with pytest.raises(ValueError, match="outside plan"):
        sim.tm.close("bad", [(7, 7)], now=0.0)
    assert sim.tm.closed_cells() == frozenset()
