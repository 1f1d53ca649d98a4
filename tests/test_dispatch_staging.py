"""Dispatch against the robots' real movements (controller, simulated robots, virtual
clock): a robot on its way to wait at the pass counts as nearly there."""

from __future__ import annotations

from typing import Literal

from e2e import Rig, floor, run_rig

from fleet.domain import TripKind
from fleet.floor.model import FloorPlan, PlaceKind

HALL = """
........................
........................
........................
"""


def hall() -> FloorPlan:
    """A pass with two spots at the west end, a parking spot at the far east end, a
    table between them."""
    return floor(HALL, {"pass": (PlaceKind.PASS, [(0, 0), (1, 0)]),
                        "parking": (PlaceKind.PARKING, [(2, 23)]),
                        "charger": (PlaceKind.CHARGER, [(2, 20)]),
                        "table": (PlaceKind.TABLE, [(0, 12)])}, name="hall")


def carrier(policy: Literal["fleet", "baseline"]) -> str:
    """Who carries a dish that is ready while R1 drives to wait at the pass.

    R1 stands in the aisle near the pass, so housekeeping sends it to wait there. R2
    is parked far away (its battery too low to be staged at the pass, but good for a
    trip), and a loading spot is free for it too.
    """
    async def scene(rig: Rig) -> str:
        def r1_parking() -> bool:
            trip = rig.record("R1").trip
            return trip is not None and trip.kind is TripKind.PARK
        await rig.until(r1_parking, what="R1 sent to wait at the pass")
        oid = await rig.order("table")
        await rig.until(rig.all_final, what="the dish served")
        assert rig.dish(oid).served_at is not None
        (robot,) = {t.robot for t in rig.controller.trips.values() if t.kind is TripKind.SERVE}
        return robot

    return run_rig(hall(), {"R1": (2, 3), "R2": (2, 23)}, scene, batteries={"R2": 40.0},
                   policy=policy)


def test_a_dish_waits_for_the_robot_arriving_at_the_pass_not_one_across_the_floor() -> None:
    assert carrier("fleet") == "R1"


def test_the_baseline_still_sends_the_nearest_idle_robot() -> None:
    """The comparison stays naive: robots still on their way count for nothing."""
    assert carrier("baseline") == "R2"
