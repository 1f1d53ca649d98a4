"""End to end, the whole-floor solve (issue 12, in the controller): a robot docked off
duty in the only aisle steps into a niche for a robot that must pass, and goes back
to its dock, sent its route by the controller as an update of its docking order.

Before, nothing moved it: to the planner a parked robot is a wall, and the
controller asks only idle robots on duty to step aside, so the dish for the table
behind it was never served.
"""

from __future__ import annotations

from e2e import ONE_TRAY, Rig, floor, run_rig

from fleet.domain import DishState
from fleet.floor.model import Cell, FloorPlan, PlaceKind

AISLE = """
.....#####.##
.............
.....########
"""
DOCK: Cell = (1, 10)
NICHE: Cell = (0, 10)


def aisle() -> FloorPlan:
    """Open floor with the pass on the left; a one-lane aisle to the right, with a
    parking spot halfway along it (a niche beside it) and a table at its end."""
    return floor(AISLE, {"pass": (PlaceKind.PASS, [(0, 0), (2, 0)]),
                         "parking": (PlaceKind.PARKING, [DOCK]),
                         "t-end": (PlaceKind.TABLE, [(1, 12)]),
                         "t-open": (PlaceKind.TABLE, [(2, 4)])}, name="aisle")


def test_a_docked_robot_steps_aside_into_a_niche_and_returns_to_its_dock() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        await rig.until(lambda: all(r.in_traffic for r in ctl.robots.values()), 30, "placed")
        await rig.runtime.execute(ctl.send_to_dock("B", rig.now()))
        await rig.until(lambda: rig.record("B").trip is None and rig.robots["B"].cell == DOCK
                        and rig.traffic.leg_done("B"), 120, "B parks at its dock")
        docked_at = rig.now()
        order = await rig.order("t-end")
        await rig.until(lambda: rig.dish(order).state is DishState.SERVED, 300,
                        "A serves the table behind B")
        await rig.until(lambda: rig.robots["A"].cell[1] < 5 and rig.robots["B"].cell == DOCK
                        and rig.traffic.leg_done("B"), 300, "A is out, B back at its dock")
        moved = [m.dst for m in rig.moves_of("B", since=docked_at)]
        assert NICHE in moved, moved
        assert [t for t in rig.trips_of("B") if t.created_at > docked_at] == []
        assert rig.traffic.stats.floor_solved >= 1

    run_rig(aisle(), {"A": (1, 1), "B": (1, 5)}, scene, model=ONE_TRAY)
