"""Serving trips, shared by every policy: when a robot can be at a pass, what a trip
with given dishes costs and when it ends, and the ``TripPlan`` that carries it out.

Time line of a serving trip: the robot is free at ``free_at``, drives to the
pass (nothing if it waits there already), staff load ``load_s_per_tray`` per
tray, then the robot visits its tables in the best order, staying ``guest_s`` at
each. A dish's wait ends when the robot arrives at its table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from fleet.dispatch.battery import battery_ok
from fleet.dispatch.ordering import HIGH_PRIORITY_WEIGHT, TableOrder, best_table_order
from fleet.dispatch.snapshots import DishView, RobotView, TripPlan
from fleet.dispatch.travel_times import Travel
from fleet.domain import Priority, Stop, StopKind, TripKind
from fleet.words import Phrase


@dataclass(frozen=True, slots=True)
class ServeSettings:
    cold_food_s: float = 300.0
    guest_s: float = 20.0
    load_s_per_tray: float = 5.0
    late_weight: float = 10.0
    high_weight: float = HIGH_PRIORITY_WEIGHT

    def weight(self, dish: DishView) -> float:
        return self.high_weight if dish.priority >= Priority.HIGH else 1.0


def at_pass_time(robot: RobotView, pass_place: str, now: float, times: Travel) -> float:
    """When ``robot`` can be standing at ``pass_place``, ready to be loaded."""
    start = max(now, robot.free_at)
    if robot.at_pass == pass_place:
        return start
    return start + robot.times(times).from_cell(robot.cell, pass_place)


@dataclass(frozen=True, slots=True)
class TripEstimate:
    """What a serving trip would cost: ``busy_s`` counts the robot's time from ``start``
    through the drive back to the pass, the resource batching saves."""

    robot: RobotView
    dishes: tuple[DishView, ...]
    start: float
    at_pass: float
    depart: float
    order: TableOrder
    drive_s: float
    idle_s: float
    back_s: float

    @property
    def cost(self) -> float:
        return self.order.cost

    @property
    def busy_s(self) -> float:
        return self.order.finish + self.back_s - self.start

    @property
    def trays(self) -> int:
        return sum(d.trays for d in self.dishes)

    def battery_ok(self, times: Travel) -> bool:
        end = self.order.order[-1] if self.order.order else self.dishes[0].pass_place
        return battery_ok(self.robot, self.drive_s, self.robot.times(times),
                          idle_seconds=self.idle_s, end=end)


def estimate_trip(robot: RobotView, dishes: Sequence[DishView], now: float, times: Travel,
                  settings: ServeSettings) -> TripEstimate:
    """The best visiting order for ``dishes`` (all at one pass) and its times, at the
    robot's own pace."""
    times = robot.times(times)
    pass_place = dishes[0].pass_place
    start = max(now, robot.free_at)
    at_pass = at_pass_time(robot, pass_place, now, times)
    load_s = settings.load_s_per_tray * sum(d.trays for d in dishes)
    depart = at_pass + load_s
    by_table: dict[str, list[DishView]] = defaultdict(list)
    for dish in dishes:
        by_table[dish.table].append(dish)
    order = best_table_order(
        pass_place,
        [(table, [d.ready_at for d in group]) for table, group in by_table.items()],
        times=times, depart=depart, guest_s=settings.guest_s, cold_food_s=settings.cold_food_s,
        late_weight=settings.late_weight,
        weights=[[settings.weight(d) for d in group] for group in by_table.values()])
    guests_s = settings.guest_s * len(by_table)
    drive_s = (order.finish - depart - guests_s) + (at_pass - start)
    back_s = times.between(order.order[-1], pass_place) if order.order else 0.0
    return TripEstimate(robot=robot, dishes=tuple(dishes), start=start, at_pass=at_pass,
                        depart=depart, order=order, drive_s=drive_s, idle_s=load_s + guests_s,
                        back_s=back_s)


def serve_plan(est: TripEstimate, reason: Phrase | str = "") -> TripPlan:
    """The trip for ``est``: one LOAD stop at the pass, then one SERVE stop per table."""
    slots = iter(est.robot.slots())
    by_table: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for table in est.order.order:
        for dish in est.dishes:
            if dish.table == table:
                by_table[table].extend((dish.dish_id, next(slots)) for _ in range(dish.trays))
    loaded = [pair for table in est.order.order for pair in by_table[table]]
    stops = [Stop(place=est.dishes[0].pass_place, kind=StopKind.LOAD,
                  dishes=tuple(d for d, _ in loaded), trays=tuple(t for _, t in loaded))]
    stops.extend(Stop(place=table, kind=StopKind.SERVE,
                      dishes=tuple(d for d, _ in by_table[table]),
                      trays=tuple(t for _, t in by_table[table]))
                 for table in est.order.order)
    waits = {d.dish_id: est.order.arrival(d.table) - d.ready_at for d in est.dishes}
    return TripPlan(robot=est.robot.serial, kind=TripKind.SERVE, stops=tuple(stops),
                    dish_ids=tuple(d.dish_id for d in est.dishes), est_finish=est.order.finish,
                    est_waits=MappingProxyType(waits), est_start=est.start, reason=reason)
