"""A slow link (issue 17's long day: 30 robots behind a controller in its own process
at 20x, where a broker's fraction of a second is seconds of the site's): states reach
the controller after the orders they will show, and the resend timer fires before
the vehicle's answer can arrive. The controller must neither number a leg's updates
from 0 again (every later update then reads "older" than what the vehicle holds) nor
count a refusal once per state while the vehicle keeps listing it: both had robots
taken out of dispatch (24 of 30 in the long day) with nothing wrong with them."""

from __future__ import annotations

import pytest
from e2e import Rig, run_rig, small_room

from fleet.domain import DishState
from fleet.domain import events as ev


@pytest.mark.parametrize("lag_s", [0.0, 3.0, 7.0])
def test_a_slow_link_serves_every_dish_with_no_refusal_and_no_robot_withdrawn(
        lag_s: float) -> None:
    async def scene(rig: Rig) -> None:
        orders = [await rig.order(table, dishes=2)
                  for table in ("table-1", "table-2", "table-3", "table-1")]
        await rig.until(rig.all_final, 1500, "every dish ends")
        assert all(d.state is DishState.SERVED for d in rig.dishes), rig.describe()
        assert len(rig.dishes) == 2 * len(orders)
        assert rig.events(ev.ROBOT_WITHDRAWN) == []
        errors = [e.text for e in rig.events(ev.ROBOT_ERROR_REPORTED)]
        assert not [t for t in errors if "older than" in t], errors

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene, lag_s=lag_s)
