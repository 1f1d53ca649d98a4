"""The polish after LaCAM's first plan: robots pushed off their goals are kept home,
and every plan it returns is valid and costs no more than the one it was given."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mapf_planner import BUDGET_S, grid, instances, paths_of, sum_of_costs, xy

from fleet.traffic.gridgraph import DistanceTables, GridGraph
from fleet.traffic.lacam import solve
from fleet.traffic.plancheck import plan_problems
from fleet.traffic.polish import polish
from fleet.traffic.spacetime import Reservations, space_time_astar


def valid(graph: GridGraph, free: np.ndarray, plan: list[tuple[int, ...]],
          starts: list[int], goals: list[int]) -> bool:
    return plan_problems(free, paths_of(graph, plan), [xy(graph, v) for v in starts],
                         [xy(graph, v) for v in goals]) == []


def test_a_robot_pushed_off_its_goal_stays_home_and_the_passer_goes_round() -> None:
    free = grid([".....", ".....", "....."])
    graph = GridGraph(free)
    home, passer = graph.cell(1, 2), graph.cell(1, 0)
    goals = [home, graph.cell(1, 4)]
    # Robot 1 drives straight through robot 0's goal and pushes it up for a step: robot
    # 0 arrives for good at step 3 (cost 3), robot 1 at step 4.
    pushed = [(home, passer), (home, graph.cell(1, 1)), (graph.cell(0, 2), home),
              (home, graph.cell(1, 3)), (home, graph.cell(1, 4))]
    assert valid(graph, free, pushed, [home, passer], goals)
    assert sum_of_costs(pushed, goals) == 7
    done = polish(graph, DistanceTables(graph), pushed, goals, time_limit_s=BUDGET_S)
    # Robot 0 never moves; robot 1 goes round it, two steps longer: 0 + 6.
    assert valid(graph, free, done.plan, [home, passer], goals)
    assert sum_of_costs(done.plan, goals) == 6
    assert all(cfg[0] == home for cfg in done.plan)
    assert done.kept >= 1


def test_no_time_no_change() -> None:
    free = grid([".....", ".....", "....."])
    graph = GridGraph(free)
    home, passer = graph.cell(1, 2), graph.cell(1, 0)
    pushed = [(home, passer), (home, graph.cell(1, 1)), (graph.cell(0, 2), home),
              (home, graph.cell(1, 3)), (home, graph.cell(1, 4))]
    done = polish(graph, DistanceTables(graph), pushed, [home, graph.cell(1, 4)],
                  time_limit_s=0.0)
    assert [tuple(c) for c in done.plan] == pushed and done.kept == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=False), st.integers(0, 3))
def test_polished_plans_are_valid_and_never_cost_more(
        case: tuple[np.ndarray, list[int], list[int]], seed: int) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    tables = DistanceTables(graph)
    first = solve(graph, starts, goals, time_limit_s=0.5, seed=seed, tables=tables,
                  polish_s=0.0)
    if first.plan is None:
        return
    done = polish(graph, tables, first.plan, goals, time_limit_s=BUDGET_S)
    assert valid(graph, free, done.plan, starts, goals)
    assert sum_of_costs(done.plan, goals) <= sum_of_costs(first.plan, goals)
    # Inside the search's call, too: the plan returned is the polished one.
    inside = solve(graph, starts, goals, time_limit_s=BUDGET_S, seed=seed, tables=tables,
                   polish_s=BUDGET_S)
    assert inside.plan is not None and valid(graph, free, inside.plan, starts, goals)
    if inside.unpolished_cost is not None:
        assert inside.sum_of_costs(goals) <= inside.unpolished_cost


def test_a_search_bounded_by_a_latest_arrival_gives_up_past_it() -> None:
    graph = GridGraph(grid([".....", "#.###"]))
    tables = DistanceTables(graph)
    start, goal = graph.cell(0, 0), graph.cell(0, 4)
    res = Reservations(graph.size)
    # Robot 1 holds (0, 2) for steps 0-5, then backs into the pocket below (0, 1) and
    # rests there: our robot gets past only late.
    res.add(1, [graph.cell(0, 2)] * 6 + [graph.cell(0, 1), graph.cell(1, 1)])
    dist = tables.to(goal)
    path = space_time_astar(graph, dist, start, goal, res=res, horizon=10, budget=10_000)
    assert path is not None and len(path) - 1 > dist[start]
    arrival = len(path) - 1
    assert space_time_astar(graph, dist, start, goal, res=res, horizon=10, budget=10_000,
                            latest=arrival) == path
    assert space_time_astar(graph, dist, start, goal, res=res, horizon=10, budget=10_000,
                            latest=arrival - 1) is None
