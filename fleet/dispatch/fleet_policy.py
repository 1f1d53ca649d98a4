"""Our dispatch policy: least waiting from ready to on the table, fairly.

On every event the waiting dishes are taken most urgent first: HIGH priority,
then dishes that would miss the cold-food deadline even if sent straight away,
then oldest. The most urgent dish goes to the robot that can be at its pass
soonest (idle at the pass, then idle elsewhere, then one finishing a trip; a
charging robot pays a penalty so it is pulled off the charger only when that
clearly helps). If that robot is still busy the dish is held for it (no plan
now; the robot-freed event plans it), so older dishes are never overtaken.

The robot's remaining trays are then filled greedily with dishes from the same
pass while adding one costs less than serving it otherwise: the added waits and
detour for the trip against that dish's wait on the robot it would otherwise
get (ranked by its place in the queue) plus, in both cases, ``robot_weight``
per second of robot time, which is what batching saves in a rush. Nothing is
ever held back to wait for a batch to fill: a free robot leaves now.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fleet.dispatch.battery import needs_charge
from fleet.dispatch.ordering import dish_cost
from fleet.dispatch.passhold import HoldRule
from fleet.dispatch.serving import (
    ServeSettings,
    TripEstimate,
    at_pass_time,
    estimate_trip,
    serve_plan,
)
from fleet.dispatch.snapshots import DishView, RobotView, TripPlan, available_mode
from fleet.dispatch.travel_times import Travel
from fleet.domain import Priority, RobotMode
from fleet.words import Phrase


class FleetPolicy:
    name = "fleet"
    rides_along = True

    def __init__(self, settings: ServeSettings, *, robot_weight: float = 0.5,
                 charge_pull_percent: float = 50.0, charge_pull_penalty_s: float = 60.0,
                 hold_margin_s: float = 10.0, lookahead_s: float = 120.0,
                 cold_margin_s: float = 60.0) -> None:
        self.settings = settings
        self.robot_weight = robot_weight
        self.charge_pull_percent = charge_pull_percent
        self.charge_pull_penalty_s = charge_pull_penalty_s
        self.hold_margin_s = hold_margin_s
        self.lookahead_s = lookahead_s
        self.cold_margin_s = cold_margin_s
        self.pass_hold: HoldRule | None = HoldRule(settings, robot_weight=robot_weight,
                                                   cold_margin_s=cold_margin_s)

    # -- which robots and in which order ---------------------------------------------
    def eligible(self, now: float, robots: Sequence[RobotView]) -> list[RobotView]:
        out = []
        for r in robots:
            if not available_mode(r.mode) or needs_charge(r) or r.trays_free <= 0:
                continue
            if r.mode is RobotMode.CHARGING and r.battery < self.charge_pull_percent:
                continue
            if not r.free_by(now) and r.free_at - now > self.lookahead_s:
                continue
            out.append(r)
        return out

    def rank_key(self, robot: RobotView, pass_place: str, now: float,
                 times: Travel) -> tuple[float, int, float, str]:
        """Sooner at the pass first; charging and still-busy robots pay a margin."""
        t = at_pass_time(robot, pass_place, now, times)
        if robot.mode is RobotMode.CHARGING:
            t += self.charge_pull_penalty_s
        if not robot.free_by(now):
            t += self.hold_margin_s
        return (t, 0 if robot.at_pass == pass_place else 1, -robot.battery, robot.serial)

    def urgency(self, dish: DishView, now: float, times: Travel) -> tuple[int, int, float, str]:
        s = self.settings
        direct = s.load_s_per_tray * dish.trays + times.between(dish.pass_place, dish.table)
        at_risk = now - dish.ready_at + direct >= s.cold_food_s - self.cold_margin_s
        return (-int(dish.priority >= Priority.HIGH), 0 if at_risk else 1, dish.ready_at,
                dish.dish_id)

    # -- planning ---------------------------------------------------------------------
    def plan(self, now: float, dishes: Sequence[DishView], robots: Sequence[RobotView],
             times: Travel) -> list[TripPlan]:
        pool = self.eligible(now, robots)
        if not pool:
            return []
        most_trays = max(r.trays_free for r in pool)
        queue = sorted((d for d in dishes if d.trays <= most_trays
                        and math.isfinite(times.between(d.pass_place, d.table))),
                       key=lambda d: self.urgency(d, now, times))
        taken: set[str] = set()
        used: set[str] = set()
        plans: list[TripPlan] = []
        for seed in queue:
            if seed.dish_id in taken:
                continue
            free = [r for r in pool if r.serial not in used]
            if not free:
                break
            ranked = sorted((r for r in free if r.trays_free >= seed.trays),
                            key=lambda r: self.rank_key(r, seed.pass_place, now, times))
            for robot in ranked:
                est = estimate_trip(robot, [seed], now, times, self.settings)
                if not math.isfinite(est.cost) or not est.battery_ok(times):
                    continue
                rest = [d for d in queue if d.dish_id not in taken and d is not seed]
                others = [r for r in free if r is not robot]
                est = self._fill(est, rest, others, now, times)
                taken.update(d.dish_id for d in est.dishes)
                used.add(robot.serial)
                if robot.free_by(now):
                    plans.append(serve_plan(est, self._reason(est, seed)))
                break
        return plans

    def _fill(self, est: TripEstimate, rest: list[DishView], others: list[RobotView],
              now: float, times: Travel) -> TripEstimate:
        """Add dishes from the same pass while each lowers the total cost."""
        pass_place = est.dishes[0].pass_place
        soonest = sorted(at_pass_time(r, pass_place, now, times) for r in others)
        candidates = [d for d in rest if d.pass_place == pass_place]
        while candidates:
            room = est.robot.trays_free - est.trays
            best: tuple[float, TripEstimate, DishView] | None = None
            for d in list(candidates):
                if d.trays > room:
                    continue
                grown = estimate_trip(est.robot, [*est.dishes, d], now, times, self.settings)
                if not math.isfinite(grown.cost):
                    candidates.remove(d)
                    continue
                added = (grown.cost - est.cost) + self.robot_weight * (grown.busy_s - est.busy_s)
                saving = self._alone(d, est, rest, soonest, times) - added
                if saving > 0 and (best is None or saving > best[0]):
                    best = (saving, grown, d)
            if best is None:
                return est
            _, grown, d = best
            candidates.remove(d)
            if grown.battery_ok(times):
                est = grown
        return est

    def _alone(self, dish: DishView, est: TripEstimate, rest: list[DishView],
               soonest: list[float], times: Travel) -> float:
        """Cost of serving ``dish`` on the robot it would get instead (its queue place)."""
        s = self.settings
        place = sum(1 for d in rest if d is not dish and d.pass_place == dish.pass_place
                    and d.ready_at < dish.ready_at)
        back = est.order.finish + est.back_s
        at_pass = soonest[place] if place < len(soonest) else back
        at_pass = min(at_pass, back)
        leg = times.between(dish.pass_place, dish.table)
        arrive = at_pass + s.load_s_per_tray * dish.trays + leg
        cost = dish_cost(arrive - dish.ready_at, cold_food_s=s.cold_food_s,
                         late_weight=s.late_weight, weight=s.weight(dish))
        busy = s.load_s_per_tray * dish.trays + 2 * leg + s.guest_s
        return cost + self.robot_weight * busy

    @staticmethod
    def _reason(est: TripEstimate, seed: DishView) -> Phrase:
        where = Phrase.of("waiting at the pass" if est.robot.at_pass == seed.pass_place
                          else "nearest")
        return Phrase.of("{n} dish(es) for {tables}; {robot} {where}, at the pass in {s} s",
                         n=str(len(est.dishes)), tables=", ".join(est.order.order),
                         robot=est.robot.serial, where=where,
                         s=f"{est.at_pass - est.start:.0f}")
