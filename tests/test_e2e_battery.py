"""End to end on a small battery: the robot goes to charge before it runs flat,
and never with dishes on its trays nor on a trip it cannot finish."""

from __future__ import annotations

import dataclasses
import itertools
from itertools import cycle

from e2e import Rig, run_rig, small_room
from simkit import MODEL, Recorder

from fleet.domain import DishState, TripKind, TripState
from fleet.domain import events as ev
from fleet.vda import RobotState

SMALL_BATTERY = dataclasses.replace(MODEL, name="small-battery", capacity_wh=20.0)
"""0.125 % a second driving: a few trips take it from 40 % below its 25 % threshold."""


def _last_before(states: list[RobotState], at: float) -> RobotState:
    return [s for s in states if s.timestamp <= at][-1]


def test_robot_charges_before_running_flat_and_never_with_dishes() -> None:
    model = SMALL_BATTERY

    async def scene(rig: Rig) -> None:
        heard = Recorder()
        robot = rig.robots["A"]
        robot.attach(heard)
        robot.request_state()
        tables = cycle(["table-1", "table-2", "table-3"])
        orders = []
        for _ in range(30):  # a dish every 25 s for 12.5 minutes
            orders.append(await rig.order(next(tables)))
            await rig.settle(25.0)
        await rig.until(rig.all_final, 1200, "every dish ends")
        await rig.until(lambda: rig.record("A").trip is None, 300, "the robot is done")

        states = heard.states
        assert min(s.battery.charge for s in states) > 0.0
        assert min(s.battery.charge for s in states) < model.low_percent, "the test is too easy"
        assert all(not s.loads for s in states if s.battery.charging), \
            "charging with dishes on a tray"

        trips = sorted(rig.trips_of("A"), key=lambda t: t.created_at)
        charges = [t for t in trips if t.kind is TripKind.CHARGE]
        assert charges, "never went to charge"
        first = _last_before(states, charges[0].created_at)
        assert first.battery.charge < model.low_percent
        for trip in charges:
            assert not _last_before(states, trip.created_at).loads, trip
        for trip in trips:
            if trip.kind is TripKind.SERVE:
                assert trip.state is TripState.DONE, trip
                assert _last_before(states, trip.created_at).battery.charge >= model.low_percent
        assert any(t.kind is TripKind.SERVE and t.created_at > charges[0].created_at
                   for t in trips), "served again after charging"
        assert all(rig.dish(o).state is DishState.SERVED for o in orders), rig.describe()
        # The manager is told, once a discharge (the API makes it an alert).
        lows = rig.events(ev.BATTERY_LOW)
        assert lows and all(e.robot == "A" for e in lows)
        for low in lows:
            assert _last_before(states, low.at).battery.charge < model.low_percent
            assert float(low.data["percent"]) < model.low_percent
        for before, after in itertools.pairwise(lows):
            between = [s.battery.charge for s in states if before.at < s.timestamp <= after.at]
            assert max(between) >= model.low_percent + 5, "warned again without a recharge"

    run_rig(small_room(), {"A": (1, 0)}, scene, model=model, batteries={"A": 40.0})
