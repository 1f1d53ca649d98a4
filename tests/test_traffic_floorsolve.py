"""The whole-floor solve: a parked robot steps aside and back, and its plans never meet.

``floorsolve`` turns one LaCAM plan for every robot into orders of passing in the
dependency graph. These tests drive the manager through ``trafficsim``'s executor,
which moves robots only into released cells, with random delays, and referees
every step (cells, one-lane footprints, swaps); the paths it records are checked
again by ``plancheck``, which shares no code with the planners.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planbuild import plan_from_grid
from trafficsim import TrafficSim

from fleet.floor.model import Cell, FloorPlan
from fleet.traffic import PlanFailed
from fleet.traffic.plancheck import plan_problems

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


ROOMS = st.integers(0, 2**32 - 1)


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
    (at 0.35 m cells side neighbours are one footprint, so the plan's orders are
    taken from a plan blind to them),
    and every robot reaches the end of its route (a robot whose goal was taken keeps
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
    if solved:
        assert all(_route_done(sim, n) for n in names), [
            (n, sim.robots[n].cell, sim.tm.route_of(n).cells) for n in names]
