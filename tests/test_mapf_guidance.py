"""Flow-priced guides for lifelong PIBT: guided steps are as valid as plain ones, a
guide table always leads home, and the flow it keeps is exactly the guides still ahead."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mapf_planner import grid, instances, paths_of, xy

from fleet.traffic.gridgraph import DistanceTables, GridGraph
from fleet.traffic.guidance import FlowGuide
from fleet.traffic.pibt import LifelongPibt
from fleet.traffic.plancheck import plan_problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=False), st.integers(0, 1000),
       st.floats(0.0, 3.0), st.floats(0.0, 1.0))
def test_guided_lifelong_steps_are_valid_while_goals_change(
        case: tuple[np.ndarray, list[int], list[int]], seed: int, contraflow: float,
        crowding: float) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    labels = graph.component_labels()
    component = [int(v) for v in np.flatnonzero(labels == labels[starts[0]])]
    rng = np.random.default_rng(seed)
    guide = FlowGuide(graph, len(starts), contraflow=contraflow, crowding=crowding)
    planner = LifelongPibt(graph, len(starts), seed=seed, guide=guide)
    current, goal = list(starts), list(goals)
    history = [list(current)]
    for _ in range(40):
        current = planner.step(current, goal)
        history.append(list(current))
        for i, v in enumerate(current):
            if v == goal[i]:
                goal[i] = int(rng.choice(component))
    assert plan_problems(free, paths_of(graph, history),
                         [xy(graph, v) for v in starts]) == []
    assert guide.flow.min() >= 0 and guide.through.min() >= 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(roomy=False), st.floats(0.0, 3.0), st.floats(0.0, 1.0))
def test_a_guide_table_falls_to_the_goal_from_every_cell(
        case: tuple[np.ndarray, list[int], list[int]], contraflow: float,
        crowding: float) -> None:
    free, starts, goals = case
    graph = GridGraph(free)
    guide = FlowGuide(graph, len(starts), contraflow=contraflow, crowding=crowding)
    guide.assign(range(len(starts)), starts, goals)  # later guides see earlier flow
    plain = DistanceTables(graph)
    for i, g in enumerate(goals):
        table, steps = guide.tables[i], plain.to(g)
        assert table[g] == 0
        for v in range(graph.size):
            if not graph.is_free(v) or v == g or not np.isfinite(table[v]):
                continue
            assert table[v] >= steps[v]  # every move costs at least one step
            assert min(table[u] for u in graph.neighbours[v]) < table[v]


def test_flow_is_the_guides_still_ahead() -> None:
    free = grid(["......",
                 "......"])
    graph = GridGraph(free)
    guide = FlowGuide(graph, 2)
    a, b = graph.cell(0, 0), graph.cell(0, 5)
    guide.assign([0], [a], [b])
    assert guide.flow.sum() == 5 and guide.through[b] == 1
    # The second robot, going the other way, is priced off the first one's row.
    guide.assign([1], [b], [a])
    # (against the flow on the top row, it takes the bottom one: 1 + 5 + 1 moves).
    row = [graph.cell(1, c) for c in range(6)]
    assert guide.through[row].sum() == 6 and guide.flow.sum() == 5 + 7
    # The first robot walks two cells along its guide: that part is taken out.
    guide.advance([graph.cell(0, 2), b])
    assert guide.flow.sum() == 3 + 7
    # A new goal drops the rest of the old guide.
    guide.assign([0, 1], [graph.cell(0, 2), b], [graph.cell(0, 2), b])
    assert guide.flow.sum() == 0 and guide.through.sum() == 0


def test_a_guide_goes_round_another_robots_goal_when_it_costs_no_steps() -> None:
    graph = GridGraph(grid(["...", "...", "..."]))
    centre, start, goal = graph.cell(1, 1), graph.cell(0, 0), graph.cell(2, 2)
    guide = FlowGuide(graph, 1)
    guide.avoid([centre], 1.0)
    guide.assign([0], [start], [goal])
    assert guide.through[centre] == 0  # round the edge: as short, and no goal entered
    assert guide.tables[0][start] == 4
    assert guide.tables[0][graph.cell(0, 1)] == 3  # the cell before the centre
