"""The PIBT / LaCAM planning core: every plan it returns passes the independent check,
and on instances with room to spare every robot gets home."""

from __future__ import annotations

import random
from collections import deque

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fleet.traffic.gridgraph import UNREACHABLE, DistanceTables, GridGraph
from fleet.traffic.lacam import GUIDE, solve
from fleet.traffic.lns import _in_the_way, refine, solve_within
from fleet.traffic.pibt import LifelongPibt
from fleet.traffic.plancheck import plan_problems
from fleet.traffic.spacetime import Reservations, space_time_astar

BUDGET_S = 20.0  # a safety cap for the search, never asserted on


def xy(graph: GridGraph, v: int) -> tuple[int, int]:
    r, c = graph.row_col(v)
    return c, r


def paths_of(graph: GridGraph, configs: list[tuple[int, ...]] | list[list[int]]
             ) -> list[list[tuple[int, int]]]:
    n = len(configs[0])
    return [[xy(graph, cfg[i]) for cfg in configs] for i in range(n)]


def grid(rows: list[str]) -> np.ndarray:
    return np.array([[ch != "#" for ch in row] for row in rows], dtype=bool)


def bfs(free: np.ndarray, goal: tuple[int, int]) -> dict[tuple[int, int], int]:
    seen = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if (0 <= nr < free.shape[0] and 0 <= nc < free.shape[1] and free[nr, nc]
                    and (nr, nc) not in seen):
                seen[nr, nc] = seen[r, c] + 1
                queue.append((nr, nc))
    return seen


def one_shot(free: np.ndarray, starts: list[tuple[int, int]], goals: list[tuple[int, int]]
             ) -> list[list[tuple[int, int]]]:
    graph = GridGraph(free)
    result = solve(graph, [graph.cell(*s) for s in starts], [graph.cell(*g) for g in goals],
                   time_limit_s=BUDGET_S)
    assert result.plan is not None, result.reason
    paths = paths_of(graph, result.plan)
    assert plan_problems(free, paths, [(c, r) for r, c in starts],
                         [(c, r) for r, c in goals]) == []
    return paths


# -- random instances ------------------------------------------------------------------

@st.composite
def instances(draw: st.DrawFn, *, roomy: bool) -> tuple[np.ndarray, list[int], list[int]]:
    """A random grid and robots on its largest connected set of cells. ``roomy``: the
    obstacles are single cells apart from each other and off the border, so every free
    cell has two ways out and the graph stays 2-connected; then at least half the
    cells are free of robots, and every instance has a solution."""
    # Roomy grids start at 4x4: 3x3 round one obstacle is a ring, where robots can
    # never change their cyclic order.
    h = draw(st.integers(4 if roomy else 2, 8))
    w = draw(st.integers(4 if roomy else 2, 8))
    free = np.ones((h, w), dtype=bool)
    cells = [(r, c) for r in range(h) for c in range(w)]
    blocked = draw(st.lists(st.sampled_from(cells), max_size=h * w // 3, unique=True))
    for r, c in blocked:
        if roomy:
            inner = 0 < r < h - 1 and 0 < c < w - 1
            if not (inner and free[r - 1:r + 2, c - 1:c + 2].all()):
                continue
        free[r, c] = False
    graph = GridGraph(free)
    labels = graph.component_labels()
    counts = np.bincount(labels[labels >= 0])
    assume(len(counts) > 0)
    component = [int(v) for v in np.flatnonzero(labels == int(counts.argmax()))]
    most = min(15, len(component) // 2 if roomy else len(component) - 1)
    assume(most >= 1)
    n = draw(st.integers(1, most))
    starts = draw(st.permutations(component))[:n]
    goals = draw(st.permutations(component))[:n]
    return free, starts, goals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=False), st.integers(0, 3), st.sampled_from([GUIDE, None, (2.0, 0.5)]))
def test_every_plan_returned_is_valid(case: tuple[np.ndarray, list[int], list[int]],
                                      seed: int, guide: tuple[float, float] | None) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    result = solve(graph, starts, goals, time_limit_s=0.5, seed=seed, guide=guide)
    if result.plan is None:
        assert result.reason in ("no solution", "time limit")
        return
    assert result.reason == "solved"
    paths = paths_of(graph, result.plan)
    assert plan_problems(free, paths, [xy(graph, v) for v in starts],
                         [xy(graph, v) for v in goals]) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=True), st.integers(0, 3))
def test_with_room_to_spare_every_robot_gets_home(
        case: tuple[np.ndarray, list[int], list[int]], seed: int) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    result = solve(graph, starts, goals, time_limit_s=BUDGET_S, seed=seed)
    assert result.plan is not None, result.reason
    assert list(result.plan[-1]) == goals
    paths = paths_of(graph, result.plan)
    assert plan_problems(free, paths, [xy(graph, v) for v in starts],
                         [xy(graph, v) for v in goals]) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=False), st.integers(0, 1000))
def test_lifelong_steps_are_valid_while_goals_change(
        case: tuple[np.ndarray, list[int], list[int]], seed: int) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    labels = graph.component_labels()
    component = [int(v) for v in np.flatnonzero(labels == labels[starts[0]])]
    rng = np.random.default_rng(seed)
    planner = LifelongPibt(graph, len(starts), seed=seed)
    current, goal = list(starts), list(goals)
    history = [list(current)]
    for _ in range(40):
        current = planner.step(current, goal)
        history.append(list(current))
        for i, v in enumerate(current):
            if v == goal[i]:  # a new errand on arrival, anywhere in the component
                goal[i] = int(rng.choice(component))
    assert plan_problems(free, paths_of(graph, history),
                         [xy(graph, v) for v in starts]) == []


# -- by hand ---------------------------------------------------------------------------

def test_corridor_swap_through_a_side_pocket() -> None:
    free = grid(["#######",
                 ".......",
                 "###.###"])
    # Two robots facing each other in a one-lane corridor; one must wait in the pocket.
    starts, goals = [(1, 0), (1, 6)], [(1, 6), (1, 0)]
    paths = one_shot(free, starts, goals)
    assert any((3, 2) in p for p in paths)  # (x, y): someone used the pocket

    graph = GridGraph(free)
    planner = LifelongPibt(graph, 2)
    current = [graph.cell(*s) for s in starts]
    target = [graph.cell(*g) for g in goals]
    history = [current]
    while current != target and len(history) < 50:
        current = planner.step(current, target)
        history.append(current)
    assert current == target  # PIBT's swap rule alone gets them past each other
    assert plan_problems(free, paths_of(graph, history)) == []


def test_dead_end_swap_backs_out_to_the_branch() -> None:
    free = grid(["#.#######",
                 ".........",
                 "#.#######"])
    # The robot bound for the dead end's far side stands between the other and the
    # only branch: they back out together to the branch and pass there.
    graph = GridGraph(free)
    planner = LifelongPibt(graph, 2)
    current = [graph.cell(1, 2), graph.cell(1, 3)]
    target = [graph.cell(1, 8), graph.cell(1, 0)]
    history = [current]
    while current != target and len(history) < 60:
        current = planner.step(current, target)
        history.append(current)
    assert current == target
    assert plan_problems(free, paths_of(graph, history)) == []


def test_parked_robot_on_the_way_steps_aside_and_returns() -> None:
    free = grid(["###.###",
                 ".......",
                 "#######"])
    graph = GridGraph(free)
    parked = graph.cell(1, 3)
    runner_goal = graph.cell(1, 6)
    planner = LifelongPibt(graph, 2)
    current = [graph.cell(1, 0), parked]
    target = [runner_goal, parked]  # the parked robot's goal is where it stands
    history = [current]
    while current != target and len(history) < 50:
        current = planner.step(current, target)
        history.append(current)
    assert current == target
    assert any(cfg[1] != parked for cfg in history)  # it did give way...
    assert history[-1][1] == parked  # ...and came back
    assert plan_problems(free, paths_of(graph, history)) == []


def test_one_shot_with_a_robot_parked_on_another_robots_path() -> None:
    paths = one_shot(grid(["###.###", ".......", "#######"]),
                     [(1, 0), (1, 3)], [(1, 6), (1, 3)])
    assert any(cell != (3, 1) for cell in paths[1])


def test_unsolvable_corridor_is_reported_not_planned() -> None:
    graph = GridGraph(grid(["....."]))
    result = solve(graph, [graph.cell(0, 0), graph.cell(0, 4)],
                   [graph.cell(0, 4), graph.cell(0, 0)], time_limit_s=BUDGET_S)
    assert result.plan is None
    assert result.reason == "no solution"


def test_unreachable_goal_is_reported() -> None:
    graph = GridGraph(grid(["..#.."]))
    result = solve(graph, [graph.cell(0, 0)], [graph.cell(0, 4)], time_limit_s=BUDGET_S)
    assert result.plan is None
    assert "cannot reach" in result.reason


def test_distance_tables_match_a_plain_bfs() -> None:
    free = grid(["..#....",
                 ".##.##.",
                 "...#...",
                 "##...#."])
    graph = GridGraph(free)
    tables = DistanceTables(graph, max_cells=graph.size * 3)
    for goal in [(0, 0), (3, 6), (2, 4)]:
        expected = bfs(free, goal)
        table = tables.to(graph.cell(*goal))
        for r in range(free.shape[0]):
            for c in range(free.shape[1]):
                want = expected.get((r, c), UNREACHABLE)
                assert table[graph.cell(r, c)] == want, (goal, (r, c))
    assert tables.computed == 3
    tables.to(graph.cell(0, 0))
    assert tables.computed == 3  # cached
    tables.prefetch([graph.cell(0, 1), graph.cell(0, 3), graph.cell(0, 4)])
    assert tables.computed == 6


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.data())
def test_distance_tables_match_a_plain_bfs_on_random_grids_with_one_way_moves(
        h: int, w: int, data: st.DataObject) -> None:
    """The tables read distances off a breadth-first order (``gridgraph._levels``);
    here each is checked against a queue-based search over the moves as given,
    one-way ones included (a distance is the number of moves *to* the goal)."""
    free = np.array(data.draw(st.lists(st.lists(st.booleans(), min_size=w, max_size=w),
                                       min_size=h, max_size=h)), dtype=bool)
    assume(free.any())
    plain = GridGraph(free)
    keep = data.draw(st.lists(st.booleans(), min_size=plain.size * 4,
                              max_size=plain.size * 4))
    moves = [tuple(u for k, u in enumerate(near) if keep[4 * v + k])
             for v, near in enumerate(plain.neighbours)]
    graph = GridGraph(free, moves)
    tables = DistanceTables(graph)
    goals = [int(v) for v in graph.free_cells]
    tables.prefetch(goals[::2])
    for goal in goals:
        want = {goal: 0}
        queue = deque([goal])
        while queue:
            u = queue.popleft()
            for v in range(graph.size):
                if u in moves[v] and v not in want:
                    want[v] = want[u] + 1
                    queue.append(v)
        table = tables.to(goal)
        assert [table[v] for v in range(graph.size)] == [
            want.get(v, UNREACHABLE) for v in range(graph.size)]


def test_pinned_cells_that_clash_give_no_configuration() -> None:
    from fleet.traffic.pibt import ConfigurationGenerator  # noqa: PLC0415

    graph = GridGraph(grid(["...."]))
    gen = ConfigurationGenerator(graph, DistanceTables(graph))
    current = [graph.cell(0, 0), graph.cell(0, 1)]
    goals = [graph.cell(0, 3), graph.cell(0, 0)]
    assert gen.next_config(current, goals, [0, 1], {0: graph.cell(0, 1),
                                                    1: graph.cell(0, 0)}) is None  # a swap
    assert gen.next_config(current, goals, [0, 1], {0: graph.cell(0, 2)}) is None  # a jump
    step = gen.next_config(current, goals, [0, 1], {1: graph.cell(0, 1)})
    assert step is not None and step[1] == graph.cell(0, 1) and step[0] == graph.cell(0, 0)


@pytest.mark.parametrize("swap", [True, False])
def test_lacam_finds_the_corridor_swap_with_or_without_the_swap_rule(swap: bool) -> None:
    free = grid(["#######", ".......", "###.###"])
    graph = GridGraph(free)
    starts = [graph.cell(1, 0), graph.cell(1, 6)]
    goals = [graph.cell(1, 6), graph.cell(1, 0)]
    result = solve(graph, starts, goals, time_limit_s=BUDGET_S, swap=swap)
    assert result.plan is not None
    assert plan_problems(free, paths_of(graph, result.plan), [xy(graph, v) for v in starts],
                         [xy(graph, v) for v in goals]) == []


# -- refinement ------------------------------------------------------------------------

def sum_of_costs(plan: list[tuple[int, ...]], goals: list[int]) -> int:
    total = 0
    for i, g in enumerate(goals):
        t = len(plan) - 1
        while t > 0 and plan[t - 1][i] == g:
            t -= 1
        total += t
    return total


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=True), st.integers(0, 3))
def test_refined_plans_stay_valid_and_never_cost_more(
        case: tuple[np.ndarray, list[int], list[int]], seed: int) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    tables = DistanceTables(graph)
    first = solve(graph, starts, goals, time_limit_s=BUDGET_S, seed=seed, tables=tables)
    assert first.plan is not None
    better = refine(graph, tables, first.plan, goals, time_limit_s=0.2, seed=seed)
    assert list(better.plan[0]) == starts and list(better.plan[-1]) == goals
    assert sum_of_costs(better.plan, goals) <= first.sum_of_costs(goals)
    assert plan_problems(free, paths_of(graph, better.plan), [xy(graph, v) for v in starts],
                         [xy(graph, v) for v in goals]) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=True), st.integers(0, 3))
def test_plans_within_a_budget_are_valid_and_no_worse_than_the_first(
        case: tuple[np.ndarray, list[int], list[int]], seed: int) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    out = solve_within(graph, starts, goals, budget_s=0.1, time_limit_s=BUDGET_S, seed=seed)
    assert out.plan is not None and out.first.plan is not None
    assert list(out.plan[0]) == starts and list(out.plan[-1]) == goals
    assert sum_of_costs(out.plan, goals) <= out.first.sum_of_costs(goals)
    assert plan_problems(free, paths_of(graph, out.plan), [xy(graph, v) for v in starts],
                         [xy(graph, v) for v in goals]) == []


def test_refinement_stops_when_good_enough_and_a_round_cut_short_changes_nothing() -> None:
    free = grid(["....", "....", "...."])
    graph = GridGraph(free)
    a, b = graph.cell(0, 0), graph.cell(2, 3)
    wasteful = [(a, b), (a, b), (a, b), (graph.cell(1, 0), b), (graph.cell(1, 1), b),
                (graph.cell(0, 1), b), (graph.cell(0, 2), b), (graph.cell(0, 3), b)]
    goals = [graph.cell(0, 3), b]
    tables = DistanceTables(graph)
    # Already good enough (cost 7 <= 7): not a single round.
    kept = refine(graph, tables, wasteful, goals, time_limit_s=BUDGET_S, good_enough=7)
    assert kept.rounds == 0 and sum_of_costs(kept.plan, goals) == 7
    # No time at all: the plan comes back as it was, however bad.
    late = refine(graph, tables, wasteful, goals, time_limit_s=0.0)
    assert late.rounds == 0 and [tuple(c) for c in late.plan] == wasteful
    # A search that runs out of time gives no path rather than overrunning: here the
    # goal is crossed at step 300, so resting there takes hundreds of expansions.
    res = Reservations(graph.size)
    res.add(1, [graph.cell(2, 0)] * 300 + [goals[0], graph.cell(1, 3)])
    dist = tables.to(goals[0])
    path = space_time_astar(graph, dist, a, goals[0], res=res, horizon=302, budget=100_000)
    assert path is not None and len(path) == 302
    assert space_time_astar(graph, dist, a, goals[0], res=res, horizon=302, budget=100_000,
                             deadline=0.0) is None


def test_refinement_removes_a_needless_wait_and_detour() -> None:
    free = grid(["....", "....", "...."])
    graph = GridGraph(free)
    a, b = graph.cell(0, 0), graph.cell(2, 3)
    # Robot 0 waits twice and detours through row 1; robot 1 never moves.
    wasteful = [(a, b), (a, b), (a, b), (graph.cell(1, 0), b), (graph.cell(1, 1), b),
                (graph.cell(0, 1), b), (graph.cell(0, 2), b), (graph.cell(0, 3), b)]
    tables = DistanceTables(graph)
    better = refine(graph, tables, wasteful, [graph.cell(0, 3), b], time_limit_s=BUDGET_S)
    assert sum_of_costs(better.plan, [graph.cell(0, 3), b]) == 3
    assert better.accepted >= 1


def test_lns_picks_the_robots_standing_on_a_late_robots_way() -> None:
    free = grid([".....", "....."])
    graph = GridGraph(free)
    tables = DistanceTables(graph)
    goal = graph.cell(0, 4)
    res = Reservations(graph.size)
    # Robot 1 rests on (0, 2), robot 2 passes (0, 3) at step 3, robot 3 is elsewhere.
    res.add(1, [graph.cell(0, 2)])
    res.add(2, [graph.cell(1, 1), graph.cell(1, 2), graph.cell(1, 3), graph.cell(0, 3),
                graph.cell(1, 3), graph.cell(1, 4)])
    res.add(3, [graph.cell(1, 0)])
    found = _in_the_way(graph, tables.to(goal), graph.cell(0, 0), res=res, robot=0, count=3,
                        rng=random.Random(0))
    assert found == [1, 2]


def test_restarts_are_counted_and_an_unsolvable_search_ends_at_once() -> None:
    graph = GridGraph(grid(["....."]))
    starts = [graph.cell(0, 0), graph.cell(0, 4)]
    goals = [graph.cell(0, 4), graph.cell(0, 0)]
    # Attempts too short to finish are restarted with twice the budget, until one
    # exhausts the search: "no solution" is then final.
    result = solve(graph, starts, goals, time_limit_s=BUDGET_S, restart_s=1e-9)
    assert result.reason == "no solution" and result.attempts > 1
    once = solve(graph, starts, goals, time_limit_s=BUDGET_S)
    assert (once.reason, once.attempts) == ("no solution", 1)
    roomy = GridGraph(grid(["....", "....", "...."]))
    solved = solve(roomy, [roomy.cell(0, 0)], [roomy.cell(2, 3)], time_limit_s=BUDGET_S,
                   restart_s=None)
    assert solved.plan is not None and solved.attempts == 1


@pytest.mark.parametrize("seed", range(5))
def test_robot_whose_goal_is_in_the_corridor_lets_the_one_going_deeper_pass(
        seed: int) -> None:
    # Warehouse aisles: B's goal is the corridor's first cell, A's is deeper in. If B
    # walks in first and stops on its goal, A pushes it deeper, it pushes A back out,
    # and so on for ever; B must wait beside the entrance until A has passed.
    free = grid(["#.#####",
                 ".......",
                 "#.#####"])
    graph = GridGraph(free)
    planner = LifelongPibt(graph, 2, seed=seed)
    current = [graph.cell(1, 0), graph.cell(1, 1)]
    target = [graph.cell(1, 5), graph.cell(1, 2)]
    history = [current]
    while current != target and len(history) < 60:
        current = planner.step(current, target)
        history.append(current)
    assert current == target
    assert plan_problems(free, paths_of(graph, history)) == []
