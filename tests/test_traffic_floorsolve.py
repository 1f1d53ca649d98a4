"""The whole-floor solve: a parked robot steps aside and back, and its plans never meet.

``floorsolve`` turns one LaCAM plan for every robot into orders of passing in the
dependency graph. These tests drive the manager through ``trafficsim``'s executor,
which moves robots only into released cells, with random delays, and referees
every step (cells, one-lane footprints, swaps); the paths it records are checked
again by ``plancheck``, which shares no code with the planners.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planbuild import grid_from_text, plan_from_grid
from trafficsim import STEP_S, TrafficSim

from fleet.floor.model import Cell, FloorPlan
from fleet.traffic import PlanFailed
from fleet.traffic.deadlock_breaker import ASIDE_S
from fleet.traffic.floorsolve import FloorGraph
from fleet.traffic.footpibt import apart
from fleet.traffic.footpibt import solve as solve_apart
from fleet.traffic.gridgraph import GridGraph
from fleet.traffic.plancheck import plan_problems
from fleet.traffic.planning import Board

# A one-lane corridor with one niche above its second cell.
CORRIDOR = """
#.##
....
"""


def _recorded_run(sim: TrafficSim, steps: int) -> list[list[tuple[int, int]]]:
    """Run ``sim`` until every robot is done (at most ``steps``) and return each robot's
    position at every step as (x, y), the way ``plancheck`` reads paths."""
    names = sorted(sim.robots)
    paths = [[(sim.robots[n].cell[1], sim.robots[n].cell[0])] for n in names]
    for _ in range(steps):
        sim.step()
        for path, n in zip(paths, names, strict=True):
            path.append((sim.robots[n].cell[1], sim.robots[n].cell[0]))
        if all(_route_done(sim, n) for n in names):
            break
    return paths


def _route_done(sim: TrafficSim, name: str) -> bool:
    return sim.robots[name].index == len(sim.tm.route_of(name).cells) - 1


def _apart(plan: FloorPlan, cells: list[Cell], most: int) -> list[Cell]:
    """Up to ``most`` of ``cells``, in order, no two in one footprint (robots stand apart)."""
    out: list[Cell] = []
    for cell in cells:
        if len(out) < most and not set(plan.footprint(cell)) & set(out):
            out.append(cell)
    return out


def _parked(sim: TrafficSim, name: str) -> None:
    """Give ``name`` a leg ending where it stands, open-ended: parked, as the controller
    leaves a robot whose trip is over."""
    sim.give(name, [sim.robots[name].cell], dwell=None)


@pytest.mark.parametrize("seed", range(5))
def test_a_parked_robot_in_the_only_way_steps_into_a_niche_and_comes_back(seed: int) -> None:
    """Before the floor solve the leg failed: to the one-leg-at-a-time planner the
    parked robot is a wall ("every way is blocked"), and giving way moves only
    robots on a leg or parked aside with a goal of their own."""
    sim = TrafficSim(plan_from_grid(CORRIDOR), {"P": (1, 1), "B": (1, 0)}, seed=seed,
                     delay=0.3)
    _parked(sim, "P")
    _parked(sim, "B")
    sim.give("B", [(1, 3)], dwell=None)
    sim.run(80, until=lambda: sim.at_goal("B") and sim.at_goal("P"))
    assert sim.violations == []
    assert sim.robots["B"].cell == (1, 3)
    assert sim.robots["P"].cell == (1, 1)
    assert sim.at_goal("P") and sim.tm.leg_done("P")
    assert (0, 1) in sim.tm.route_of("P").cells, "P stepped into the niche"
    stats = sim.tm.stats
    assert stats.floor_solved == 1 and stats.overlaps == 0
    assert stats.floor_solve_ms and max(stats.floor_solve_ms) < 1000


def test_a_robot_never_given_a_leg_stays_a_wall() -> None:
    """The controller can send a route only as an update of a robot's last order, so a
    robot traffic never gave a leg is not moved: the leg still fails, cleanly."""
    plan = plan_from_grid(CORRIDOR)
    sim = TrafficSim(plan, {"P": (1, 1), "B": (1, 0)}, seed=0, delay=0.0)
    _parked(sim, "B")
    with pytest.raises(PlanFailed, match="every way is blocked"):
        sim.give("B", [(1, 3)], dwell=None)
    assert sim.tm.stats.floor_solves == 1 and sim.tm.stats.floor_solved == 0


# A one-lane aisle at 0.35 m cells (every cell's four neighbours are in its footprint),
# a niche above its west end and one below its east end.
LANE = """
#.######
........
........
######.#
"""


@pytest.mark.parametrize("seed", range(4))
def test_two_robots_in_a_one_lane_aisle_are_ordered_and_both_arrive(seed: int) -> None:
    """Before plans kept footprints apart this solve was refused, "its order of passing
    has a cycle": LaCAM drove A past the parked B in the aisle's other row, side by
    side in one footprint, and neither could be ordered first. Now B steps into a
    niche, or ahead of A and back, and both routes are driven to their ends."""
    plan = plan_from_grid(LANE, resolution=0.35)
    assert (2, 5) in plan.conflicts[(1, 5)], "the aisle is one lane"
    sim = TrafficSim(plan, {"A": (1, 3), "B": (1, 5)}, seed=seed, delay=0.3)
    _parked(sim, "A")
    _parked(sim, "B")
    sim.give("A", [(1, 7)], dwell=None)
    stats = sim.tm.stats
    assert stats.floor_solved == 1, dict(stats.floor_refusals)
    paths = _recorded_run(sim, 120)
    assert sim.violations == []
    assert plan_problems(plan.passable, paths) == []
    assert sim.robots["A"].cell == (1, 7) and sim.at_goal("A")
    assert sim.robots["B"].cell == (1, 5) and sim.at_goal("B")
    assert stats.overlaps == 0


@pytest.mark.parametrize("seed", range(4))
def test_a_robot_parked_on_the_only_cell_wanted_steps_off_it(seed: int) -> None:
    """Before, the solve was refused, "every cell it may end on is taken": B parked on
    A's goal was an agent, but bound back to its own cell. Now it is given the nearest
    free cell instead (its own kept pending, as for a robot sent aside), so A arrives;
    B does not come back while A stands there."""
    plan = plan_from_grid(LANE, resolution=0.35)
    sim = TrafficSim(plan, {"A": (1, 0), "B": (1, 7)}, seed=seed, delay=0.3)
    _parked(sim, "A")
    _parked(sim, "B")
    sim.give("A", [(1, 7)], dwell=None)
    assert sim.tm.stats.floor_solved == 1, dict(sim.tm.stats.floor_refusals)
    paths = _recorded_run(sim, 120)
    assert sim.violations == []
    assert plan_problems(plan.passable, paths) == []
    assert sim.robots["A"].cell == (1, 7) and sim.at_goal("A")
    assert _route_done(sim, "B")
    assert (1, 7) not in plan.footprint(sim.robots["B"].cell)


ROOMS = st.integers(0, 2**32 - 1)


def _lane_floor(seed: int, *, paired: bool = False) -> tuple[GridGraph, list[tuple[int, ...]]]:
    """A random 4 x 6 floor at 0.35 m cells (one-lane footprints), as footpibt sees it;
    ``paired``: at 0.5 m, rows 0-1 and 2-3 each a two-row lane (``_two_row_lanes``)."""
    rng = random.Random(seed)
    grid = [[rng.random() > 0.2 for _ in range(6)] for _ in range(4)]
    text = "\n".join("".join("." if f else "#" for f in row) for row in grid)
    if paired:
        graph = GridGraph(grid_from_text(text))
        return graph, _two_row_lanes(graph, range(0, 4, 2))
    board = Board(plan_from_grid(text, resolution=0.35), None)
    return FloorGraph(board, ()), board.foot


def _two_row_lanes(graph: GridGraph, tops: Iterable[int]) -> list[tuple[int, ...]]:
    """Footprints of two-row lanes, as on the generated narrow floors: a robot in row
    ``r`` (one of ``tops``) or ``r + 1`` blocks the cell beside it in the other row."""
    w = graph.width
    foot: list[tuple[int, ...]] = [(v,) for v in range(graph.size)]
    for r in tops:
        for c in range(w):
            top, bottom = r * w + c, (r + 1) * w + c
            if graph.is_free(top) and graph.is_free(bottom):
                foot[top], foot[bottom] = (top, bottom), (bottom, top)
    return foot


@settings(max_examples=80, deadline=None)
@given(seed=ROOMS, robots=st.integers(2, 5), paired=st.booleans())
def test_footprint_plans_keep_robots_apart_and_every_step_can_be_ordered(
        *, seed: int, robots: int, paired: bool) -> None:
    """``footpibt.solve`` directly, on random floors with one-lane footprints: every
    configuration is footprint-apart, no two robots swap, each robot steps only to a
    neighbour, and in every step the waits (a robot entering a footprint waits for
    those standing in it to leave) have no cycle, so the orders taken from it do not
    either; the plan ends on the goals. Two-row lanes (``paired``) are where the
    corridor swap backs robots out, past the cell beside them."""
    graph, foot = _lane_floor(seed, paired=paired)
    rng = random.Random(seed)
    free = [int(v) for v in graph.free_cells]
    rng.shuffle(free)
    starts = _apart_cells(free, foot, robots)
    rng.shuffle(free)
    goals = _apart_cells(free, foot, len(starts))
    if len(starts) < 2 or len(goals) < len(starts):
        return
    result = solve_apart(graph, foot, starts, goals, time_limit_s=0.5, seed=seed)
    if result.plan is None:
        assert result.reason in ("no solution", "time limit") or "cannot reach" in result.reason
        return
    _check_footprint_plan(graph, foot, result.plan, starts, goals)


def _check_footprint_plan(graph: GridGraph, foot: Sequence[Sequence[int]],
                          configs: Sequence[Sequence[int]], starts: list[int],
                          goals: list[int]) -> None:
    assert list(configs[0]) == starts and list(configs[-1]) == goals
    for before, after in itertools.pairwise(configs):
        assert apart(after, foot), (before, after)
        for i, (u, v) in enumerate(zip(before, after, strict=True)):
            assert v == u or v in graph.neighbours[u]
            for j in range(len(before)):
                assert j == i or not (before[j] == v and after[j] == u), "swap"
        waits = {i: [j for j in range(len(before)) if j != i and before[j] in foot[after[i]]]
                 for i in range(len(before))}
        assert _no_cycle(waits), (before, after)


# A two-row lane (one lane: a robot blocks the cell beside it) with one pocket above
# its third column; the pocket is a footprint of its own.
POCKET = """
##.###########
..............
..............
"""


@pytest.mark.parametrize("seed", range(6))
def test_two_robots_pass_in_a_lane_by_the_pocket_without_a_search(seed: int) -> None:
    """Each robot starts at one end of the lane and wants the other. Before the corridor
    swap footpibt's steps pushed one robot back to the far end and LaCAM had to search
    its way out, hundreds of configurations (a floor solve has 40 ms): seeds 0, 2 and
    4 here made 479, 492 and 588 for plans of 24-30 steps. Now the robot nearer the
    pocket backs out to it, the other following, and the first configurations PIBT
    makes are the plan."""
    graph = GridGraph(grid_from_text(POCKET))
    foot = _two_row_lanes(graph, [1])
    w = graph.width
    starts, goals = [w, 2 * w - 1], [2 * w - 1, w]
    result = solve_apart(graph, foot, starts, goals, time_limit_s=5.0, seed=seed)
    assert result.plan is not None, result.reason
    assert result.generated <= 2 * len(result.plan), (result.generated, len(result.plan))
    _check_footprint_plan(graph, foot, result.plan, starts, goals)
    assert any(2 in config for config in result.plan), "the pocket was used"
    paths = [[(v % w, v // w) for v in (c[i] for c in result.plan)] for i in range(2)]
    assert plan_problems(graph.passable, paths, [paths[0][0], paths[1][0]],
                         [paths[1][0], paths[0][0]]) == []


def _apart_cells(cells: list[int], foot: list[tuple[int, ...]], most: int) -> list[int]:
    out: list[int] = []
    for c in cells:
        if len(out) < most and all(o not in foot[c] for o in out):
            out.append(c)
    return out


def _no_cycle(waits: dict[int, list[int]]) -> bool:
    done: set[int] = set()
    on_path: set[int] = set()

    def visit(i: int) -> bool:
        if i in on_path:
            return False
        if i in done:
            return True
        on_path.add(i)
        ok = all(visit(j) for j in waits[i])
        on_path.discard(i)
        done.add(i)
        return ok

    return all(visit(i) for i in waits)


@settings(max_examples=60, deadline=None)
@given(seed=ROOMS, robots=st.integers(2, 7), moving=st.integers(1, 4),
       early=st.integers(0, 3), delay=st.sampled_from([0.0, 0.3, 0.6]),
       resolution=st.sampled_from([0.5, 0.35]))
def test_routes_from_a_floor_solve_never_conflict_and_all_arrive(
        *, seed: int, robots: int, moving: int, early: int, delay: float,
        resolution: float) -> None:
    """Random small floors, every robot parked but a few given legs to random cells,
    driven ``early`` steps, then the whole floor solved at once (when it is solved):
    run with random delays, no two robots ever share a cell or footprint or swap
    (at 0.35 m cells side neighbours are one footprint: the plan keeps footprints
    apart, so no solve there is refused for its orders, which before failed within a
    few examples), and every robot reaches the end of its route (a robot whose goal was taken keeps
    it pending, as giving way does, and goes on when ``continue_all`` can plan it)."""
    rng = random.Random(seed)
    rows, cols = 4, 6
    grid = [[rng.random() > 0.2 for _ in range(cols)] for _ in range(rows)]
    text = "\n".join("".join("." if f else "#" for f in row) for row in grid)
    plan = plan_from_grid(text, resolution=resolution)
    free: list[Cell] = [(int(r), int(c)) for r, c in zip(*plan.passable.nonzero(), strict=True)]
    if len(free) < robots + 1:
        return
    starts = _apart(plan, rng.sample(free, len(free)), robots)
    names = [f"R{i}" for i in range(len(starts))]
    sim = TrafficSim(plan, dict(zip(names, starts, strict=True)), seed=seed, delay=delay)
    for name in names:
        _parked(sim, name)
    for name in names[:moving]:
        if not sim.tm.leg_done(name):
            continue  # moved by an earlier leg's floor solve: on its way already
        try:
            sim.give(name, [rng.choice(free)], dwell=None)
        except PlanFailed:
            continue  # a leg that cannot be planned is not the point here
    sim.run(early)
    solved = sim.tm.solve_floor(sim.now)
    paths = _recorded_run(sim, 300)
    assert sim.violations == []
    assert plan_problems(plan.passable, paths) == []
    assert sim.tm.stats.overlaps == 0
    if plan.conflicts:
        # Planned with footprints: no solve is refused for its orders.
        refused = sim.tm.stats.floor_refusals
        assert not [r for r in refused if "cycle" in r or "which stays" in r], refused
    if solved:
        assert all(_route_done(sim, n) for n in names), [
            (n, sim.robots[n].cell, sim.tm.route_of(n).cells) for n in names]


@pytest.mark.parametrize("seed", range(3))
def test_a_robot_waiting_aside_goes_on_to_its_real_goal_with_the_rest(seed: int) -> None:
    """A robot that gave way waits aside with its real goal pending; a robot parked on
    its way back is no one's wait in the graph, so only its own retries looked at it
    (16 robots on a generated narrow floor: 150 s stood aside, shown as driving).
    Waiting aside past ``ASIDE_S``, it is planned on with every robot at once, and the
    parked one steps aside and comes back."""
    sim = TrafficSim(plan_from_grid(CORRIDOR), {"A": (0, 1), "P": (1, 2)}, seed=seed,
                     delay=0.3)
    _parked(sim, "A")
    _parked(sim, "P")
    sim.tm.tracks()["A"].pending = (frozenset({sim.tm.plan.index((1, 3))}), None)
    assert sim.tm.aside("A") and not sim.tm.leg_done("A")
    sim.run(40, until=lambda: sim.robots["A"].cell == (1, 3) and sim.at_goal("A"))
    assert sim.robots["A"].cell == (1, 3) and sim.tm.leg_done("A")
    assert not sim.tm.aside("A")
    sim.run(40, until=lambda: sim.robots["P"].cell == (1, 2) and sim.at_goal("P"))
    assert sim.robots["P"].cell == (1, 2), "the parked robot is back"
    assert sim.violations == [] and sim.failures == []
    assert sim.steps * STEP_S > ASIDE_S, "not at once: it first retries its own way"
