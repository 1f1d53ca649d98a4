"""End to end, making way (issue 11, liveness): a robot whose only way out of a
dead-end aisle is stood on by an idle robot gets out, because the idle robot is
asked to step aside onto open floor off that way (before, the planner named the
idle robot a wall, "every way is blocked", and nothing ever moved it); and
leftovers go where there is room rather than queue at a taken dish return."""

from __future__ import annotations

from e2e import Rig, floor, run_rig, small_room

from fleet.domain import DishState, StopKind, TripKind
from fleet.domain import events as ev
from fleet.floor.model import Cell, FloorPlan, PlaceKind

DEAD_END = """
.....#######
............
.....#######
"""
END: Cell = (1, 11)
IN_THE_AISLE: Cell = (1, 8)
RETURN_SPOT: Cell = (4, 0)


def dead_end() -> FloorPlan:
    """Open floor on the left; a one-lane aisle to the right with a table halfway
    along it and one at its end."""
    return floor(DEAD_END, {"pass": (PlaceKind.PASS, [(0, 0), (2, 0)]),
                            "charger": (PlaceKind.CHARGER, [(0, 4)]),
                            "t-end": (PlaceKind.TABLE, [END]),
                            "t-mid": (PlaceKind.TABLE, [IN_THE_AISLE]),
                            "t-open": (PlaceKind.TABLE, [(2, 4)])}, name="dead-end")


def test_an_idle_robot_in_a_dead_end_aisle_steps_aside_for_the_robot_behind_it() -> None:
    """A, low on battery at the end of the aisle, must reach the charger; B stands
    idle on a table's spot in the aisle (out of the way as housekeeping sees it:
    both pass spots are taken, so there is no home to send it to). B steps aside
    onto open floor off A's way (never deeper into the aisle), and A charges."""

    async def scene(rig: Rig) -> None:
        charged = await rig.until(lambda: rig.record("A").cell == (0, 4), 300,
                                  "A reaches the charger")
        b = rig.record("B").cell
        assert b is not None and (b[0] != 1 or b[1] <= 4), f"B left the aisle (at {b})"
        told = [e.text for e in rig.events(ev.TRIP_ASSIGNED) if e.robot == "B"]
        assert any("park trip" in t and "steps aside for A" in t for t in told), told
        assert charged < 120, f"A took {charged:.0f} s to get out"

    run_rig(dead_end(), {"A": END, "B": IN_THE_AISLE, "C": (0, 0), "D": (2, 0)}, scene,
            batteries={"A": 20.0})


def test_leftovers_go_to_a_pass_with_room_when_a_robot_stands_on_the_dish_return() -> None:
    """The dish return's one spot is stood on by a robot the manager paused there:
    a dish the guest did not take goes back to the pass, which has room, instead
    of waiting at the dish return for as long as the robot stays paused."""

    async def scene(rig: Rig) -> None:
        await rig.runtime.execute(rig.controller.pause("B", rig.now()))
        order = await rig.order("table-1")
        await rig.until(lambda: rig.dish(order).state.final, 300, "the dish ends")
        assert rig.dish(order).state is DishState.FAILED

        def unloaded() -> bool:
            trip = rig.record("A").trip
            return trip is None and not rig.robots["A"].loads

        await rig.until(unloaded, 120, "A unloads")
        served = [t for t in rig.controller.trips.values()
                  if t.robot == "A" and t.kind is TripKind.SERVE]
        assert [(s.kind, s.place) for s in served[0].stops][-1] == (StopKind.UNLOAD, "pass")
        assert rig.robots["A"].cell in rig.plan.place("pass").cells
        assert rig.record("B").cell == RETURN_SPOT

    run_rig(small_room(), {"A": (0, 0), "B": RETURN_SPOT}, scene,
            guest_absent=lambda: True, guest_timeout_s=30.0)
