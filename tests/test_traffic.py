"""Traffic: head-on aisles, alcoves, held robots, and the manager's contract."""

from __future__ import annotations

from functools import partial

import pytest
from planbuild import plan_from_grid
from trafficsim import STEP_S, TrafficSim

from fleet.traffic import PlanFailed, TrafficManager

# Two 3x3 rooms joined by a one-robot aisle.
ROOMS = """
...#####...
...........
...#####...
"""

# A corridor with a dead-end alcove going south from (0, 3).
ALCOVE = """
.......
###.###
###.###
###.###
"""

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


def _both_at_goal(sim: TrafficSim) -> bool:
    return sim.at_goal("A") and sim.at_goal("B")


def test_head_on_in_a_one_robot_aisle_one_waits_and_both_arrive() -> None:
    for seed in range(10):
        sim = TrafficSim(plan_from_grid(ROOMS), {"A": (1, 0), "B": (1, 10)}, seed=seed,
                         delay=0.3, slow={"A": 0.7})
        sim.give("A", [(0, 10)])
        sim.give("B", [(2, 0)])
        sim.run(300, until=partial(_both_at_goal, sim))
        assert sim.violations == []
        assert sim.at_goal("A") and sim.at_goal("B")
        assert sim.waits > 0  # someone was held back at least once
        assert sim.tm.stats.overlaps == 0


def test_aisle_passes_are_ordered_one_robot_after_the_other() -> None:
    sim = TrafficSim(plan_from_grid(ROOMS), {"A": (1, 0), "B": (1, 10)}, seed=3, delay=0.5)
    sim.give("A", [(0, 10)])
    sim.give("B", [(2, 0)])
    inside: list[set[str]] = []
    aisle = {(1, c) for c in range(3, 8)}
    for _ in range(300):
        sim.step()
        inside.append({n for n, r in sim.robots.items() if r.cell in aisle})
        if sim.at_goal("A") and sim.at_goal("B"):
            break
    assert sim.violations == []
    assert all(len(names) <= 1 for names in inside)
    assert {"A"} in inside and {"B"} in inside


def test_a_robot_parked_at_an_alcove_entrance_steps_out_for_a_robot_going_in() -> None:
    """D parks at the alcove's entrance, open-ended. Before the whole-floor solve, P's
    leg in failed naming D ("blocked by D") until D was sent away; now D steps out
    into the corridor, lets P in and goes back (``floorsolve``)."""
    sim = TrafficSim(plan_from_grid(ALCOVE), {"D": (0, 0), "P": (0, 6)}, seed=1, delay=0.0)
    sim.give("D", [(1, 3)], dwell=None)
    sim.run(50, until=lambda: sim.at_goal("D"))
    sim.give("P", [(3, 3)])
    sim.run(100, until=lambda: sim.at_goal("P") and sim.at_goal("D"))
    assert sim.robots["P"].cell == (3, 3) and sim.robots["D"].cell == (1, 3)
    assert sim.at_goal("P") and sim.at_goal("D")
    assert sim.tm.stats.floor_solved == 1
    assert sim.violations == []


def test_a_dweller_overstaying_at_an_alcove_is_reported_and_the_robot_inside_waits() -> None:
    sim = TrafficSim(plan_from_grid(ALCOVE), {"P": (0, 6), "D": (0, 0)}, seed=2, delay=0.1)
    sim.give("P", [(3, 3)], dwell=5)
    sim.run(50, until=lambda: sim.at_goal("P"))
    sim.give("D", [(1, 3)], dwell=5)  # the guest is slow: D stays far longer than 5 steps
    sim.run(50, until=lambda: sim.at_goal("D"))
    sim.give("P", [(0, 6)])
    sim.run(60)
    assert sim.robots["P"].cell in {(3, 3), (2, 3)}  # inside, behind D, never through it
    stalls = [d for d in sim.deadlocks if "P" in d.robots]
    assert stalls and stalls[0].kind == "parked" and not stalls[0].recovered
    assert "P waits for D to leave (1, 3)" in stalls[0].reason
    assert stalls[0].blockers == ("D",)
    # An overstay is counted as a stall, not as a deadlock (a cycle).
    assert sim.tm.stats.stalls_detected >= 1 and sim.tm.stats.deadlocks_detected == 0
    sim.give("D", [(0, 0)])
    sim.run(100, until=lambda: sim.at_goal("P") and sim.at_goal("D"))
    assert sim.at_goal("P") and sim.at_goal("D")
    assert sim.violations == []


def _held_in_front(picture: str) -> TrafficSim:
    sim = TrafficSim(plan_from_grid(picture), {"H": (0, 3), "R": (0, 0)}, seed=0, delay=0.0)
    sim.give("H", [(0, 9)], dwell=3)
    sim.give("R", [(0, 8)] if picture is LINE else [(1, 9)])
    sim.run(2)
    sim.hold("H")  # e-stop in the corridor
    return sim


def test_a_held_robot_is_never_passed_and_others_route_round_it() -> None:
    sim = _held_in_front(LOOP)
    held_at = sim.robots["H"].cell
    sim.run(100, until=lambda: sim.at_goal("R"))
    assert sim.at_goal("R")
    assert sim.robots["H"].cell == held_at
    assert sim.violations == []
    found = [d for d in sim.deadlocks if d.kind == "held"]
    assert found and found[0].recovered and found[0].action == "replanned R around"
    assert "R waits for H to leave" in found[0].reason and "H is held (e-stop)" in found[0].reason
    assert sim.tm.route_of("R").version >= 1
    assert any(cell[0] == 2 for cell in sim.tm.route_of("R").cells)  # the southern corridor


def test_a_held_robot_without_a_way_round_makes_others_wait_until_released() -> None:
    sim = _held_in_front(LINE)
    sim.run(40)
    assert not sim.at_goal("R")
    assert sim.robots["R"].cell[1] < sim.robots["H"].cell[1]
    found = [d for d in sim.deadlocks if d.kind == "held"]
    assert found and not found[0].recovered and found[0].blockers == ("H",)
    assert sim.tm.stats.stalls == 1 and sim.tm.stats.deadlocks_unrecovered == 0
    sim.unhold("H")
    sim.run(60, until=lambda: sim.at_goal("R") and sim.at_goal("H"))
    assert sim.at_goal("R") and sim.at_goal("H")
    assert sim.violations == []


def test_release_is_monotonic_and_reports_beyond_it_are_refused() -> None:
    tm = TrafficManager(plan_from_grid(LINE), max_release_ahead=3)
    tm.add_robot("A", (0, 0), step_s=STEP_S, now=0.0)
    route = tm.route("A", [(0, 9)], now=0.0)
    assert route.cells[0] == (0, 0) and route.goal == (0, 9) and route.leg == 1
    assert tm.release(now=0.0) == {"A": 3}
    with pytest.raises(ValueError, match="released"):
        tm.reached("A", 4, now=1.0)
    tm.reached("A", 2, now=1.0)
    assert tm.release(now=1.0) == {"A": 5}
    tm.hold("A", "paused")
    tm.reached("A", 5, now=2.0)
    assert tm.release(now=2.0) == {"A": 5}
    with pytest.raises(ValueError, match="still on leg"):
        tm.route("A", [(0, 0)], now=2.0)


def test_waiting_for_names_the_blocker_and_its_cell() -> None:
    tm = TrafficManager(plan_from_grid(LINE))
    tm.add_robot("A", (0, 2), step_s=STEP_S, now=0.0)
    tm.add_robot("B", (0, 0), step_s=STEP_S, now=0.0)
    tm.route("A", [(0, 9)], now=0.0)
    tm.route("B", [(0, 8)], now=0.0)
    tm.release(now=0.0)
    wait = tm.waiting_for("B")
    assert wait is not None and wait.blocker == "A" and str(wait).startswith("B waits for A")
    tm.remove_robot("A")
    tm.release(now=0.0)
    assert tm.waiting_for("B") is None
    assert tm.released("B") == 6


def test_robots_cannot_be_added_onto_each_other() -> None:
    tm = TrafficManager(plan_from_grid(LINE))
    tm.add_robot("A", (0, 2), step_s=STEP_S, now=0.0)
    with pytest.raises(ValueError, match="A is on it"):
        tm.add_robot("B", (0, 2), step_s=STEP_S, now=0.0)


def test_a_parked_robot_on_the_only_way_fails_the_plan_and_is_named() -> None:
    tm = TrafficManager(plan_from_grid(LINE))
    tm.add_robot("A", (0, 0), step_s=STEP_S, now=0.0)
    tm.add_robot("B", (0, 5), step_s=STEP_S, now=0.0)
    with pytest.raises(PlanFailed) as failed:
        tm.route("A", [(0, 9)], now=0.0)
    assert failed.value.blockers == ("B",)
    assert tm.stats.plan_failures == 1
    assert tm.route_of("A").cells == ((0, 0),)  # nothing changed


# A one-robot aisle down into a room.
AISLE_TO_ROOM = """
.####
.####
.####
.####
.....
.....
.....
"""


def test_a_route_planned_through_a_dwelling_robot_gives_way_to_its_next_leg() -> None:
    """B is planned down the aisle through A's table spot, to pass once A has left.
    A's next leg ends, for good, on a cell of B's route: B's later pass there had
    made that cell unusable for A, while B waits on A (600 s on a generated floor).
    B's unreleased route is taken back, A goes first, and B is planned round it."""
    sim = TrafficSim(plan_from_grid(AISLE_TO_ROOM), {"A": (2, 0), "B": (0, 0)}, seed=0,
                     delay=0.0)
    sim.give("A", [(2, 0)], dwell=3)  # at the table for a while
    route = sim.give("B", [(6, 4)])
    assert (2, 0) in route.cells  # through A's spot, after A
    sim.run(10)
    assert sim.robots["B"].cell == (1, 0)  # right behind A, waiting for it
    park = route.cells[-2]  # a cell of B's route, in the room
    sim.give("A", [park], dwell=None)
    assert sim.tm.stats.yields == 1
    sim.run(100, until=lambda: sim.at_goal("A") and sim.at_goal("B"))
    assert sim.at_goal("A") and sim.at_goal("B")
    assert sim.robots["A"].cell == park
    assert sim.violations == []
    assert sim.tm.stats.overlaps == 0


# Two lanes of 0.3 m cells: a robot's footprint spans its neighbours.
TIGHT = """
..........
..........
"""


def test_a_robot_standing_closer_than_plans_allow_still_joins_and_both_move_off() -> None:
    """After a restart, robots may stand closer than a plan would put them (side by
    side in each other's footprint). The second is placed all the same (refusing
    froze a restarted site: neither robot was ever given a leg), and each can drive
    away from the other; no robot may be added onto a cell another stands on."""
    tm = TrafficManager(plan_from_grid(TIGHT, resolution=0.3))
    tm.add_robot("A", (0, 3), step_s=STEP_S, now=0.0)
    assert (0, 4) in tm.plan.footprint((0, 3))
    tm.add_robot("B", (0, 4), step_s=STEP_S, now=0.0)
    with pytest.raises(ValueError, match="A is on it"):
        tm.add_robot("C", (0, 3), step_s=STEP_S, now=0.0)
    tm.route("A", [(0, 0)], now=0.0)
    tm.route("B", [(0, 9)], now=0.0)
    released = tm.release(now=0.0)
    assert released["A"] >= 1 and released["B"] >= 1
    assert tm.stats.overlaps == 0
