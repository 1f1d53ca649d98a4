"""Single-robot routing: optimal routes, clear errors, fields, travel time, bench rows."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections import deque
from collections.abc import Callable

import numpy as np
import pytest
from planbuild import RESOLUTION, plan_from_grid, zone_of

from fleet.bench.routes import format_table, run_route_bench
from fleet.errors import RouteError
from fleet.floor.model import EAST, MOVES, Cell, FloorPlan, PlaceKind, ZoneKind
from fleet.routing import (
    astar,
    bfs_field_python,
    distance_field,
    precompute_fields,
    route_between,
    route_length_m,
    travel_time_s,
    wavefront_field,
)

ROOM = """
......
.##.#.
.#....
.#.##.
......
"""

# Middle row is a one-way aisle eastwards; the border between (0, 2) and (0, 3) is shut,
# so going west means the south row.
def _one_way_plan() -> FloorPlan:
    picture = """
    .......
    .......
    .......
    """
    return plan_from_grid(picture, closed_east=[(0, 2)],
                          zones=[zone_of((3, 7), [(1, c) for c in range(7)],
                                         kind=ZoneKind.ONE_WAY, direction=EAST)])


def _closed_edge_plan() -> FloorPlan:
    # Two free cells side by side whose shared border is shut: the robot goes round.
    return plan_from_grid("...\n...\n", closed_east=[(0, 0)])


PLANS: dict[str, Callable[[], FloorPlan]] = {
    "room": lambda: plan_from_grid(ROOM),
    "one-way": _one_way_plan,
    "closed-edge": _closed_edge_plan,
    "spiral": lambda: plan_from_grid("""
        .......
        .#####.
        .#...#.
        .#.#.#.
        .#.#...
        .#.####
        .......
    """),
}


def brute_force_steps(plan: FloorPlan, start: Cell) -> dict[Cell, int]:
    """Breadth-first over ``can_move`` only, independent of the graph the planners use."""
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for dr, dc in MOVES:
            nxt = (r + dr, c + dc)
            if plan.in_bounds(nxt) and plan.can_move((r, c), (dr, dc)) and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    return dist


def free_cells(plan: FloorPlan) -> list[Cell]:
    return [(int(r), int(c)) for r, c in zip(*np.nonzero(plan.passable), strict=True)]


def assert_legal(plan: FloorPlan, cells: tuple[Cell, ...]) -> None:
    for a, b in itertools.pairwise(cells):
        assert plan.can_move(a, (b[0] - a[0], b[1] - a[1])), (a, b)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_route_is_as_short_as_brute_force(name: str) -> None:
    plan = PLANS[name]()
    cells = free_cells(plan)
    for start in cells:
        truth = brute_force_steps(plan, start)
        for goal in cells:
            if goal not in truth:
                with pytest.raises(RouteError, match="no route"):
                    astar(plan, start, goal)
                continue
            field = distance_field(plan, [goal], towards=True)
            for result in (astar(plan, start, goal), astar(plan, start, goal, heuristic=field)):
                assert result.steps == truth[goal]
                assert result.cells[0] == start
                assert result.cells[-1] == goal
                assert len(result.cells) == result.steps + 1
                assert_legal(plan, result.cells)


def test_exact_field_expands_only_the_route() -> None:
    plan = PLANS["spiral"]()
    start, goal = (4, 2), (4, 4)
    field = distance_field(plan, [goal], towards=True)
    result = astar(plan, start, goal, heuristic=field)
    assert result.steps == 6
    assert result.expanded == len(result.cells)
    assert astar(plan, start, goal).expanded > result.expanded


def test_one_way_aisle_is_driven_only_with_the_flow() -> None:
    plan = _one_way_plan()
    east = astar(plan, (1, 0), (1, 6))
    assert east.steps == 6
    assert all(r == 1 for r, _ in east.cells)
    west = astar(plan, (1, 6), (1, 0))
    # Leaves the aisle, drives back along the south row, re-enters at the end.
    assert all(cell[0] != 1 for cell in west.cells[1:-1])
    assert west.steps > east.steps
    from_a = distance_field(plan, [(1, 0)])
    to_a = distance_field(plan, [(1, 0)], towards=True)
    assert from_a[1, 6] == 6
    assert to_a[1, 6] == west.steps


def test_closed_border_between_free_cells_is_not_crossed() -> None:
    plan = _closed_edge_plan()
    result = astar(plan, (0, 0), (0, 1))
    assert result.cells == ((0, 0), (1, 0), (1, 1), (0, 1))


def test_same_request_same_route() -> None:
    plan = plan_from_grid("." * 8 + "\n" + "." * 8 + "\n" + "." * 8)
    routes = {astar(plan, (0, 0), (2, 7)).cells for _ in range(5)}
    assert len(routes) == 1


@pytest.mark.parametrize(
    ("start", "goal", "words"),
    [
        ((1, 1), (0, 0), r"start cell \(1, 1\).*not passable"),
        ((0, 0), (1, 2), r"goal cell \(1, 2\).*not passable"),
        ((0, 0), (9, 0), r"goal cell \(9, 0\) is off the plan"),
        ((-1, 0), (0, 0), r"start cell \(-1, 0\) is off the plan"),
    ],
)
def test_blocked_or_off_plan_cells_are_named(start: Cell, goal: Cell, words: str) -> None:
    with pytest.raises(RouteError, match=words):
        astar(plan_from_grid(ROOM), start, goal)


def test_unreachable_goal_says_not_connected() -> None:
    plan = plan_from_grid("..#..\n..#..")
    with pytest.raises(RouteError, match=r"no route from \(0, 0\) to \(1, 4\).*not connected"):
        astar(plan, (0, 0), (1, 4))
    field = distance_field(plan, [(1, 4)], towards=True)
    with pytest.raises(RouteError, match="not connected"):
        astar(plan, (0, 0), (1, 4), heuristic=field)


def test_budget_caps_the_search() -> None:
    plan = PLANS["spiral"]()
    start, goal = (4, 2), (6, 6)
    with pytest.raises(RouteError, match=r"after expanding 3 cells \(budget 3\)"):
        astar(plan, start, goal, budget=3)
    assert astar(plan, start, goal, budget=1000).steps == brute_force_steps(plan, start)[goal]


def test_heuristic_of_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        astar(plan_from_grid(ROOM), (0, 0), (4, 5), heuristic=np.zeros((2, 2)))


# -- fields ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PLANS))
@pytest.mark.parametrize("towards", [False, True])
def test_three_field_implementations_agree(name: str, towards: bool) -> None:
    plan = PLANS[name]()
    cells = free_cells(plan)
    for sources in ([cells[0]], [cells[-1]], cells[::3]):
        expected = bfs_field_python(plan, sources, towards=towards)
        assert expected.dtype == np.float64
        np.testing.assert_array_equal(distance_field(plan, sources, towards=towards), expected)
        np.testing.assert_array_equal(wavefront_field(plan, sources, towards=towards), expected)


def test_field_matches_brute_force_and_marks_walls_inf() -> None:
    plan = plan_from_grid(ROOM)
    field = distance_field(plan, [(0, 0)])
    truth = brute_force_steps(plan, (0, 0))
    for cell in free_cells(plan):
        assert field[cell] == truth[cell]
    assert np.isinf(field[~plan.passable]).all()


def test_field_without_sources_is_all_inf_and_off_plan_source_is_refused() -> None:
    plan = plan_from_grid(ROOM)
    assert np.isinf(distance_field(plan, [])).all()
    with pytest.raises(RouteError, match="off the plan"):
        distance_field(plan, [(5, 0)])


# -- places ------------------------------------------------------------------------

PLACES_PICTURE = """
........
.##..##.
.##..##.
........
"""


def _plan_with_places() -> FloorPlan:
    return plan_from_grid(PLACES_PICTURE, places={
        "Pass": [(3, 0)], "Table 1": [(0, 3), (3, 2)], "Table 2": [(0, 7)]})


def test_station_fields_give_steps_to_the_nearest_spot() -> None:
    plan = _plan_with_places()
    fields = precompute_fields(plan)
    assert sorted(fields) == ["Pass", "Table 1", "Table 2"]
    assert fields.steps((3, 0), "Table 1") == 2  # the nearer spot, (3, 2)
    assert fields.steps((0, 0), "table 1") == 3  # names are case-insensitive
    assert fields.steps((1, 1), "Pass") == math.inf
    np.testing.assert_array_equal(fields.to("Table 2"),
                                  distance_field(plan, [(0, 7)], towards=True))
    with pytest.raises(ValueError, match="read-only"):
        fields["Pass"][0, 0] = 0
    with pytest.raises(RouteError, match="did you mean Table 1"):
        fields.to("Tabel 1")


def test_route_between_places_takes_the_best_spot_pair() -> None:
    plan = _plan_with_places()
    fields = precompute_fields(plan)
    for given in (None, fields):
        result = route_between(plan, "Pass", "Table 1", fields=given)
        assert result.cells == ((3, 0), (3, 1), (3, 2))
        back = route_between(plan, "table 1", "table 2", fields=given)
        assert back.steps == 4  # from (0, 3), not from (3, 2)
        assert back.cells[0] == (0, 3)
        assert back.expanded == back.steps + 1


def test_route_between_unknown_place_lists_close_names() -> None:
    plan = _plan_with_places()
    with pytest.raises(RouteError, match=r"no place called 'Table 3'.*did you mean Table \d, "
                                         r"Table \d\?"):
        route_between(plan, "Pass", "Table 3")
    with pytest.raises(RouteError, match=r"no place called 'Kitchen'.*places: Pass, Table 1"):
        route_between(plan, "Kitchen", "Pass")


def test_route_between_disconnected_places_names_both() -> None:
    plan = plan_from_grid("..#..", places={"Pass": [(0, 0)], "Table 9": [(0, 4)]},
                          place_kind=PlaceKind.TABLE)
    with pytest.raises(RouteError, match=r"no route from 'Pass' to 'Table 9'.*\(0, 4\)"):
        route_between(plan, "Pass", "Table 9")


# -- travel ------------------------------------------------------------------------

STRAIGHT = tuple((0, c) for c in range(9))  # 8 steps of 0.5 m: 4 m


def test_straight_run_is_a_trapezoid() -> None:
    plan = plan_from_grid("." * 9)
    assert route_length_m(plan, STRAIGHT) == pytest.approx(4.0)
    # 1 m/s, 0.5 m/s²: 2 s and 1 m to reach speed, 2 m cruise, 2 s to stop.
    assert travel_time_s(plan, STRAIGHT, speed=1.0, acceleration=0.5,
                         turn_time=3.0) == pytest.approx(6.0)
    # Too short to reach 2 m/s: a triangle peaking at sqrt(a * L) = sqrt(2).
    assert travel_time_s(plan, STRAIGHT, speed=2.0, acceleration=0.5,
                         turn_time=0.0) == pytest.approx(4 * math.sqrt(2))


def test_turns_cost_a_stop_and_the_turn_time() -> None:
    plan = plan_from_grid("\n".join(["." * 5] * 5))
    l_shape = tuple((0, c) for c in range(5)) + tuple((r, 4) for r in range(1, 5))
    assert route_length_m(plan, l_shape) == pytest.approx(4.0)
    # Two 2 m runs, each from rest to rest, plus one 90° turn.
    one_run = travel_time_s(plan, l_shape[:5], speed=1.0, acceleration=0.5, turn_time=1.5)
    assert one_run == pytest.approx(4.0)
    total = travel_time_s(plan, l_shape, speed=1.0, acceleration=0.5, turn_time=1.5)
    assert total == pytest.approx(2 * one_run + 1.5)
    straight = travel_time_s(plan_from_grid("." * 9), STRAIGHT, speed=1.0, acceleration=0.5,
                             turn_time=1.5)
    assert total > straight
    u_turn = ((0, 0), (0, 1), (0, 0))
    assert travel_time_s(plan, u_turn, speed=1.0, acceleration=0.5, turn_time=1.5) == (
        pytest.approx(2 * travel_time_s(plan, u_turn[:2], speed=1.0, acceleration=0.5,
                                        turn_time=1.5) + 3.0))


def test_slow_zone_is_slower_and_only_where_it_is() -> None:
    plain = plan_from_grid("." * 9)
    slow = plan_from_grid("." * 9, zones=[zone_of((1, 9), [(0, c) for c in range(3, 6)],
                                                  kind=ZoneKind.SLOW, speed_factor=0.25)])
    kwargs = {"speed": 1.0, "acceleration": 2.0, "turn_time": 0.0}
    fast_t = travel_time_s(plain, STRAIGHT, **kwargs)
    slow_t = travel_time_s(slow, STRAIGHT, **kwargs)
    assert slow_t > fast_t
    # Half a step either side is full speed, and 3 cells at 0.25 m/s take >= 6 s.
    assert slow_t > 1.5 / 0.25
    everywhere = plan_from_grid("." * 9, zones=[zone_of((1, 9), STRAIGHT, kind=ZoneKind.SLOW,
                                                        speed_factor=0.25)])
    assert travel_time_s(everywhere, STRAIGHT, **kwargs) == pytest.approx(
        travel_time_s(plain, STRAIGHT, speed=0.25, acceleration=2.0, turn_time=0.0))
    assert travel_time_s(everywhere, STRAIGHT, **kwargs) > slow_t


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"speed": 0.0, "acceleration": 1.0, "turn_time": 1.0}, "speed must be .* > 0"),
        ({"speed": -1.0, "acceleration": 1.0, "turn_time": 1.0}, "speed must be"),
        ({"speed": 1.0, "acceleration": 0.0, "turn_time": 1.0}, "acceleration must be"),
        ({"speed": 1.0, "acceleration": 1.0, "turn_time": -0.1}, "turn_time must be .* >= 0"),
        ({"speed": math.nan, "acceleration": 1.0, "turn_time": 1.0}, "speed must be a finite"),
        ({"speed": 1.0, "acceleration": math.inf, "turn_time": 1.0}, "acceleration must be"),
    ],
)
def test_travel_time_refuses_bad_arguments(kwargs: dict[str, float], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        travel_time_s(plan_from_grid("." * 9), STRAIGHT, **kwargs)


def test_travel_time_refuses_jumps_and_accepts_trivial_routes() -> None:
    plan = plan_from_grid("." * 9)
    with pytest.raises(ValueError, match=r"jumps from \(0, 0\) to \(0, 2\)"):
        travel_time_s(plan, ((0, 0), (0, 2)), speed=1.0, acceleration=1.0, turn_time=0.0)
    assert travel_time_s(plan, ((0, 3),), speed=1.0, acceleration=1.0, turn_time=0.0) == 0.0
    assert route_length_m(plan, ()) == 0.0


def test_length_follows_anchors_not_cell_centres() -> None:
    plan = _plan_with_places()
    cells = ((3, 0), (3, 1))
    assert route_length_m(plan, cells) == pytest.approx(RESOLUTION)
    # A spot away from its cell centre moves the anchor, and the metres driven with it.
    moved = plan_from_grid(PLACES_PICTURE)
    anchors = moved.anchors.copy()
    anchors[3, 1] = (anchors[3, 1][0] + 0.1, anchors[3, 1][1] + 0.2)
    moved = dataclasses.replace(moved, anchors=anchors)
    assert route_length_m(moved, cells) == pytest.approx(math.hypot(0.6, 0.2))


# -- bench -------------------------------------------------------------------------


def test_bench_rows_are_json_and_every_method_agrees() -> None:
    calls: list[tuple[int, int]] = []
    plans = [("room", plan_from_grid(ROOM)), ("spiral", PLANS["spiral"]())]
    rows = run_route_bench(plans, repeats=2, seed=3, pairs=4,
                           progress=lambda done, total: calls.append((done, total)))
    json.dumps(rows)
    assert {row["map"] for row in rows} == {"room", "spiral"}
    assert all(row["agrees"] for row in rows)
    assert len(rows) == 2 * 7
    assert calls[-1] == (14, 14)
    assert [done for done, _ in calls] == list(range(1, 15))
    baseline = [r for r in rows if r["method"] == "python bfs"]
    assert all(r["vs_python"] == 1.0 for r in baseline)
    table = format_table(rows)
    assert "scipy csgraph" in table
    assert "a* field" in table
    assert table.count("\n") == len(rows) + 1
