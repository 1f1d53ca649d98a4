"""How many more robots a table can take, the count dispatch holds a table's dishes by.

A robot that reaches a table whose every spot is taken waits for one in the aisle,
loaded, in everyone's way; so a dish for a full table waits at its pass instead
(dishes of one order then reach the table one robot after the other, which a
guest does not mind; a robot parked in the aisle blocks everyone). Two things
made the count wrong, both seen on food-court-3 with 12 robots, seed 1 (a robot
queued for T31's one spot for 150-210 s until its trip was given up):

- Within one round of dispatch the policy saw the table's room once and planned a
  trip per dish: two stalls' dishes of one order, ready while the table was
  served, left together on two robots as soon as its spot freed.
  ``plan_within_room`` spends the room plan by plan and plans again without the
  tables that filled.
- Two tables whose spots are closer than a robot's width (T19 and T31, one spot
  each) are one spot for the robots: a robot at either makes the other's
  unusable, yet each table counted only robots bound for itself, so robots for
  T19 took turns at the spot while the one for T31 waited. ``shared_spots``
  names, per table, the tables a robot bound for it takes a spot from.

Pure functions of the floor plan and the trips, like the policies, so the rule is
checked without a controller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from fleet.dispatch import DishView, RobotView, TripPlan
from fleet.domain import StopKind, Trip
from fleet.floor.model import FloorPlan

AT_TABLE = (StopKind.SERVE, StopKind.COLLECT)
"""The stops for which a robot stands at a table's spot."""


def shared_spots(plan: FloorPlan) -> dict[str, tuple[str, ...]]:
    """Per table, the tables (itself first) a robot bound for it takes a spot from.

    A robot bound for table Q takes a spot of table T when every spot of Q overlaps
    a spot of T: whichever spot of Q it gets, one of T's is unusable while it is
    there. A table with a spot clear of T's may leave T alone, so it is not
    counted (dispatch then errs towards sending, as it did before)."""
    tables = plan.tables
    reach = {t.name: {f for c in t.cells for f in plan.footprint(c)} for t in tables}
    out: dict[str, tuple[str, ...]] = {}
    for q in tables:
        others = tuple(t.name for t in tables if t.name != q.name and q.cells
                       and all(c in reach[t.name] for c in q.cells))
        out[q.name] = (q.name, *others)
    return out


def table_room(plan: FloorPlan, trips: Iterable[Trip],
               shared: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Per table, its spots less the robots serving it or bound for it (or for a
    table that takes one of its spots), by the stops the trips have still to make."""
    room = {p.name: len(p.cells) for p in plan.tables}
    for trip in trips:
        for stop in trip.stops[trip.next_stop:]:
            if stop.kind in AT_TABLE:
                spend(room, (stop.place,), shared)
    return room


def spend(room: dict[str, int], places: Iterable[str],
          shared: Mapping[str, Sequence[str]]) -> None:
    """One robot is bound for each of ``places``: take its spot from every table."""
    for place in places:
        for table in shared.get(place, ()):
            room[table] -= 1


def plan_within_room(plan: Callable[[Sequence[DishView], Sequence[RobotView]], list[TripPlan]],
                     dishes: Sequence[DishView], robots: Sequence[RobotView],
                     room: Mapping[str, int], shared: Mapping[str, Sequence[str]]
                     ) -> list[TripPlan]:
    """The policy's trips (``plan(dishes, robots)``), none to a table with no room.

    A trip to a table that an earlier trip of the same round filled is dropped, and
    the policy plans again for the robots left without the dishes of full tables,
    so a robot whose trip was dropped may take other dishes. Each pass keeps at
    least the first trip (its tables had room), so this ends."""
    left = dict(room)
    plans: list[TripPlan] = []
    used: set[str] = set()
    while True:
        fits = [d for d in dishes if left.get(d.table, 1) > 0]
        free = [r for r in robots if r.serial not in used]
        if not fits or not free:
            return plans
        dropped = False
        for trip in plan(fits, free):
            tables = [s.place for s in trip.stops if s.kind in AT_TABLE]
            if all(left.get(t, 1) > 0 for t in tables):
                spend(left, tables, shared)
                plans.append(trip)
                used.add(trip.robot)
                dishes = [d for d in dishes if d.dish_id not in trip.dish_ids]
            else:
                dropped = True
        if not dropped:
            return plans
