"""Planner invariants on random floors: legal, optimal, and honest about unreachable goals."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st
from planbuild import plan_from_grid, zone_of

from fleet.errors import RouteError
from fleet.floor.model import DIRECTIONS, Cell, FloorPlan, ZoneKind
from fleet.routing import (
    astar,
    bfs_field_python,
    distance_field,
    route_length_m,
    travel_time_s,
    wavefront_field,
)

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def floors(draw: st.DrawFn) -> FloorPlan:
    """A small grid with random obstacles, closed borders and perhaps a one-way row."""
    rows = draw(st.integers(2, 7))
    cols = draw(st.integers(2, 7))
    density = draw(st.sampled_from([0.0, 0.15, 0.3, 0.45]))
    bits = draw(st.lists(st.floats(0, 1), min_size=rows * cols, max_size=rows * cols))
    free: npt.NDArray[np.bool_] = np.array(bits).reshape(rows, cols) >= density
    closed = draw(st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 2)),
                           max_size=3))
    zones = []
    if draw(st.booleans()):
        row = draw(st.integers(0, rows - 1))
        direction = DIRECTIONS[draw(st.sampled_from(sorted(DIRECTIONS)))]
        zones.append(zone_of((rows, cols), [(row, c) for c in range(cols)],
                             kind=ZoneKind.ONE_WAY, direction=direction))
    return plan_from_grid(free, closed_east=closed, zones=zones)


def cells_of(plan: FloorPlan) -> st.SearchStrategy[Cell]:
    rows, cols = plan.shape
    return st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1))


@SETTINGS
@given(data=st.data())
def test_route_is_legal_optimal_or_refused_exactly_when_unreachable(data: st.DataObject) -> None:
    plan = data.draw(floors())
    start = data.draw(cells_of(plan))
    goal = data.draw(cells_of(plan))
    if not (plan.passable[start] and plan.passable[goal]):
        for heuristic in (None, np.zeros(plan.shape)):
            try:
                astar(plan, start, goal, heuristic=heuristic)
            except RouteError as exc:
                assert "not passable" in str(exc)
            else:
                raise AssertionError("a route from or to a blocked cell")
        return
    to_goal = distance_field(plan, [goal], towards=True)
    for heuristic in (None, to_goal):
        if np.isinf(to_goal[start]):
            try:
                astar(plan, start, goal, heuristic=heuristic)
            except RouteError as exc:
                assert "no route" in str(exc)
            else:
                raise AssertionError("a route where the field says there is none")
            continue
        result = astar(plan, start, goal, heuristic=heuristic)
        assert result.cells[0] == start
        assert result.cells[-1] == goal
        assert result.steps == len(result.cells) - 1 == to_goal[start]
        assert all(plan.passable[cell] for cell in result.cells)
        assert result.expanded <= int(plan.passable.sum())  # no cell expanded twice
        for a, b in itertools.pairwise(result.cells):
            assert plan.can_move(a, (b[0] - a[0], b[1] - a[1]))
        assert route_length_m(plan, result.cells) >= 0
        assert travel_time_s(plan, result.cells, speed=1.0, acceleration=0.5,
                             turn_time=1.0) >= 0


@SETTINGS
@given(data=st.data())
def test_fields_agree_and_from_equals_to_reversed(data: st.DataObject) -> None:
    plan = data.draw(floors())
    sources = data.draw(st.lists(cells_of(plan), min_size=1, max_size=3))
    towards = data.draw(st.booleans())
    expected = bfs_field_python(plan, sources, towards=towards)
    np.testing.assert_array_equal(distance_field(plan, sources, towards=towards), expected)
    np.testing.assert_array_equal(wavefront_field(plan, sources, towards=towards), expected)
    # The distance from a to b is the distance to b from a.
    a, b = data.draw(cells_of(plan)), data.draw(cells_of(plan))
    assert distance_field(plan, [a])[b] == distance_field(plan, [b], towards=True)[a]


@SETTINGS
@given(data=st.data())
def test_travel_time_grows_with_the_route(data: st.DataObject) -> None:
    plan = data.draw(floors())
    start, goal = data.draw(cells_of(plan)), data.draw(cells_of(plan))
    if not (plan.passable[start] and plan.passable[goal]):
        return
    try:
        cells = astar(plan, start, goal).cells
    except RouteError:
        return
    kwargs = {"speed": 0.8, "acceleration": 0.6, "turn_time": 2.0}
    whole = travel_time_s(plan, cells, **kwargs)
    head = travel_time_s(plan, cells[:-1], **kwargs)
    assert whole >= head
    # Never faster than cruising the whole length at top speed.
    assert whole >= route_length_m(plan, cells) / kwargs["speed"] - 1e-9
