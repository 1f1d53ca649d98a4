"""The watch on a robot's trip, once a tick: what time alone decides about it.

A robot gone offline too long gives its trip up (its dishes go to another robot).
One with food riding on it (dishes on its trays, or ready dishes waiting at the
pass for it) that makes no progress is reported after ``no_progress_s`` (once per
stall, with what holds it, or at half that when nothing explains it) and its trip
is given up after ``stall_abort_s`` (both ``TripParts``, the controller's
settings), before the food is cold; a trip with nothing riding on it is given
``STALLED_S``. At a table, a guest who does not come within ``guest_timeout_s``
sends the robot on, its dishes failed or brought back. Split from ``tripwork``,
which owns the trips and is asked to give one up (``TripWork.abort``), so that
the time limits read in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet.controller.commands import Command
from fleet.controller.dishprogress import bring_back, second_visit
from fleet.controller.explain import UNEXPLAINED, stall_phrase
from fleet.domain import DishState, RobotMode, StopKind, Trip, TripKind
from fleet.domain import events as ev
from fleet.vda import ConnectionState
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.robots import RobotRecord
    from fleet.controller.tripparts import TripParts
    from fleet.controller.tripwork import TripWork

OFFLINE_ABORT_S = 120.0
"""A robot offline this long with a trip gives it up."""
STALLED_S = 600.0
"""The stall bound for a trip with no food riding on it (parking, charging, bussing):
nothing goes cold, so it is given a long while to sort itself out."""


def watch(work: TripWork, rec: RobotRecord, now: float) -> list[Command]:
    """The guest timeout (nobody took the dishes, so the robot moves on), robots
    gone for too long (their dishes go to another robot), and robots that stall
    with food riding on them (see the module docstring)."""
    trip = rec.trip
    if (trip is not None and rec.mode is RobotMode.OFFLINE
            and now - rec.last_state_at > OFFLINE_ABORT_S):
        work.abort(rec, now, f"{rec.serial} offline for {now - rec.last_state_at:.0f} s")
        return []
    if trip is not None and rec.goal_since is None and rec.mode is not RobotMode.OFFLINE:
        still = now - max(rec.progress_at, trip.created_at)
        riding = _riding(work.parts, rec, trip)
        if (riding and still >= work.parts.no_progress_s / 2 and rec.stalled_at is None
                and (reason := stall_phrase(work.parts, rec.serial, now))
                and (still >= work.parts.no_progress_s or reason.key == UNEXPLAINED)):
            # Nothing on the floor or in its reports holds it: a person should look
            # at half the time a robot waiting for another one is given.
            rec.stalled_at = now
            work.parts.emit(ev.ROBOT_STALLED, now,
                            Phrase.of("{robot} made no progress for {s} s with {n} dish(es) "
                                      "riding on it: {reason}", robot=rec.serial,
                                      s=f"{still:.0f}", n=str(riding), reason=reason),
                            robot=rec.serial, trip_id=trip.trip_id,
                            data={"reason": str(reason), "seconds": round(still)})
        if still > (work.parts.stall_abort_s if riding else STALLED_S):
            # Whatever holds it, its dishes should not wait on it (nor go cold on it).
            leg = rec.leg
            moving = (leg is not None and rec.in_traffic
                      and not work.parts.traffic.leg_done(rec.serial))
            work.abort(rec, now, f"{rec.serial} made no progress for {still:.0f} s")
            if moving and rec.connection is ConnectionState.ONLINE:
                # The base it was given is promised to it and kept from everyone
                # else (a table's spot, an aisle) for as long as it holds it. A
                # robot that has not moved for minutes may never get there: take
                # the order back, and it is placed again where it stands.
                return [work.parts.instant(rec, "cancelOrder", now)]
            return []
    if (trip is not None and trip.kind is TripKind.UNLOAD and not rec.to_unload()
            and rec.serial in work.pending):
        # Emptied where it stood (staff took the dishes): nowhere to go.
        trip.next_stop = len(trip.stops)
    if trip is None or rec.goal_since is None or rec.cancel_sent:
        return []
    stop = trip.current
    if stop is None or stop.kind is not StopKind.SERVE:
        return []
    if now - rec.goal_since < work.parts.guest_timeout_s:
        return []
    if rec.mode is RobotMode.OFFLINE or rec.stale:
        # Whether the guest took the dishes shows only in its reports (trays emptied,
        # the wait finished): judged blind, dishes a guest took while its link was
        # down were "brought back" to a pass where nothing came off the trays.
        return []
    again = second_visit(work.parts, rec, stop, now)
    if again is not None:
        work.parts.store.save_trip(trip)
    for dish_id in stop.dishes:
        if again is not None and dish_id in again.dishes:
            continue
        if bring_back(work.parts, rec, stop, dish_id, now):
            continue
        dish = work.parts.dish(dish_id)
        work.parts.book.fail(dish, now, Phrase.of(
            "nobody took it at {place} within {s} s", place=stop.place,
            s=f"{work.parts.guest_timeout_s:.0f}"))
        work.parts.save(dish)
    return [work.cancel_order(rec, now)]

def _riding(parts: TripParts, rec: RobotRecord, trip: Trip) -> int:
    """Dishes that wait on this robot: on its trays, or ready at the pass for it
    (they go cold as surely); for an unloading trip, what it brings back."""
    if trip.kind is TripKind.UNLOAD:
        return max(1, rec.dishes_to_unload()) if rec.to_unload() else 0
    return sum(1 for d in map(parts.dish, trip.dishes)
               if d.state is DishState.ASSIGNED or d.state.on_robot)
