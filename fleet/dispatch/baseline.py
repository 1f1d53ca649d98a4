"""The naive policy we measure ours against, kept deliberately plain.

First come first served (oldest ready dish first), the nearest idle robot (by
travel time to the dish's pass; none of look-ahead, charging robots or
batching), one dish per trip. It respects the same safety rules as ours: no
trip below the battery threshold or beyond what the battery can finish.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fleet.dispatch.battery import needs_charge
from fleet.dispatch.passhold import HoldRule
from fleet.dispatch.serving import ServeSettings, at_pass_time, estimate_trip, serve_plan
from fleet.dispatch.snapshots import DishView, RobotView, TripPlan
from fleet.dispatch.travel_times import Travel
from fleet.domain import RobotMode
from fleet.words import Phrase


class BaselinePolicy:
    name = "baseline"
    rides_along = False
    pass_hold: HoldRule | None = None

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings

    def plan(self, now: float, dishes: Sequence[DishView], robots: Sequence[RobotView],
             times: Travel) -> list[TripPlan]:
        idle = [r for r in robots
                if r.mode in (RobotMode.IDLE, RobotMode.WORKING) and r.free_by(now)
                and not needs_charge(r) and r.trays_free > 0]
        plans: list[TripPlan] = []
        for dish in sorted(dishes, key=lambda d: (d.ready_at, d.dish_id)):
            fits = [r for r in idle if r.trays_free >= dish.trays]
            fits.sort(key=lambda r: (at_pass_time(r, dish.pass_place, now, times), r.serial))
            for robot in fits:
                est = estimate_trip(robot, [dish], now, times, self.settings)
                if math.isfinite(est.cost) and est.battery_ok(times):
                    plans.append(serve_plan(est, Phrase.of(
                        "oldest dish, nearest idle robot {robot}", robot=robot.serial)))
                    idle.remove(robot)
                    break
            if not idle:
                break
        return plans
