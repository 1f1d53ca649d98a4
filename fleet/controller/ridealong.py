"""A dish ready for a table that a robot is about to take dishes to rides along.

Dispatch holds a dish while a robot serves its table or is bound for it (the
table's spots are that robot's), so a dish ready a few seconds after its tablemate
waited out the whole of that robot's visit, and then a trip of its own. On the
bistro's lunch rush (8 robots, seed 1) 42 of the 390 dishes served waited so while
the robot bound for their table had not yet begun loading at their pass: about
5 s of every dish's mean wait. When that robot has a free tray and its loading at
the dish's pass is still ahead of it (or under way), the dish joins its trip
instead: loaded at the same pass and presented at the table with the others.

A joined dish never changes what was already sent to the robot: it is added to a
loading stop not yet begun, or, when the robot is already on its way to the pass
or loading, as a second loading stop at the same pass right after the first (the
robot stays on its spot; staff load one more tray). Its table's stop is ahead, so
its drop is sent with that stop's own leg. The baseline policy, one dish a trip,
does not take riders (``Policy.rides_along``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fleet.dispatch import tray_slot
from fleet.domain import Dish, DishState, Stop, StopKind, TripKind, TripState
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.robots import RobotRecord
    from fleet.controller.tripwork import TripWork


def ride_along(work: TripWork, now: float) -> list[str]:
    """Join each waiting dish to a trip that is about to take dishes to its table
    from its pass, most urgent dish first; the dishes that joined."""
    parts = work.parts
    closed = parts.closures().closed_tables()
    joined: list[str] = []
    robots = sorted(parts.robots.values(), key=lambda r: r.serial)
    for dish in list(parts.book.waiting()):
        if dish.table in closed:
            continue
        pass_place = parts.book.dish_pass[dish.dish_id]
        for rec in robots:
            seat = _seat(work, rec, dish, pass_place)
            if seat is not None:
                _join(work, rec, dish, seat, now)
                joined.append(dish.dish_id)
                break
    return joined


def _seat(work: TripWork, rec: RobotRecord, dish: Dish,
          pass_place: str) -> tuple[int, int, tuple[str, ...]] | None:
    """(its loading stop, its table's stop, free trays) on ``rec``'s trip for
    ``dish``, or None when the trip is not one it can join."""
    trip = rec.trip
    if (trip is None or trip.kind is not TripKind.SERVE or trip.state is not TripState.ACTIVE
            or not rec.mode.available or rec.paused_by_manager or rec.cancel_sent
            or rec.calling_off or rec.rerouting or rec.off_duty is not None):
        return None
    ahead = range(trip.next_stop, len(trip.stops))
    load = next((i for i in ahead if trip.stops[i].kind is StopKind.LOAD), None)
    if load is None or trip.stops[load].place != pass_place:
        return None
    if any(trip.stops[i].kind is not StopKind.PARK for i in range(trip.next_stop, load)):
        return None  # something else first: the dish would ride around it
    serve = next((i for i in range(load + 1, len(trip.stops))
                  if trip.stops[i].kind is StopKind.SERVE
                  and trip.stops[i].place == dish.table), None)
    if serve is None:
        return None
    used = set(rec.loads) | set(rec.aboard)
    for stop in trip.stops[trip.next_stop:]:
        used.update(stop.trays)
    free = tuple(t for t in (tray_slot(i) for i in range(rec.trays)) if t not in used)
    if len(free) < dish.trays:
        return None
    return load, serve, free[:dish.trays]


def _join(work: TripWork, rec: RobotRecord, dish: Dish,
          seat: tuple[int, int, tuple[str, ...]], now: float) -> None:
    load, serve, trays = seat
    trip = rec.trip
    assert trip is not None
    ids = (dish.dish_id,) * len(trays)
    sent = load == trip.next_stop and rec.serial not in work.pending
    after = trip.stops[load + 1] if load + 1 < len(trip.stops) else None
    if sent and after is not None and after.kind is StopKind.LOAD \
            and after.place == trip.stops[load].place:
        load, sent = load + 1, False  # an earlier rider's stop, not begun: load with it
    stop = trip.stops[load]
    if sent:
        # Its actions went with the leg to the pass: staff load one more tray after.
        trip.stops.insert(load + 1, Stop(stop.place, StopKind.LOAD, dishes=ids, trays=trays))
        serve += 1
    else:
        trip.stops[load] = replace(stop, dishes=stop.dishes + ids, trays=stop.trays + trays)
    table = trip.stops[serve]
    trip.stops[serve] = replace(table, dishes=table.dishes + ids, trays=table.trays + trays)
    trip.dishes = (*trip.dishes, dish.dish_id)
    words = Phrase.of("{dish} rides along on {robot} {tray} to {table}", dish=dish.dish_id,
                      robot=rec.serial, tray=trays[0], table=dish.table)
    for tray in trays:
        work.assign(dish.dish_id, trip, rec, tray, now, words=words)
    work.parts.store.save_trip(trip)
    assert dish.state is DishState.ASSIGNED
