"""Starting a trip's next stop: which spot to drive to, and what to do when none is free.

A stop names a place (a table, the pass, a charger) with one or more spots. The
everyday case is short: plan a leg to a free spot and record it (a failed plan
is retried later, backing off). The rest of this module is the floor's corner
cases: a spot in a zone the manager blocked, a robot with nowhere to park
staying put, an idle robot standing on the only spot of a table stepping aside,
a trip waiting at a full pass handed to an idle robot already there. Split from
``tripwork`` so that the flow of a trip reads in one file and these cases in
another. It works on trip work (its pending robots, the spots claimed, a trip
finished or handed on) and on what ``core`` handed trip work (``TripParts``): no
controller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from fleet.controller.dishprogress import (
    going_back,
    leftovers,
    pass_for_leftovers,
    skippable,
    still_to_load,
)
from fleet.controller.legs import Leg
from fleet.controller.makeway import clear_spots, make_way
from fleet.controller.robots import RobotRecord
from fleet.controller.stops import StopWork, stop_work
from fleet.domain import DishState, Stop, StopKind, TripKind
from fleet.domain import events as ev
from fleet.domain.identity import id_part
from fleet.floor.model import Cell
from fleet.traffic import PlanFailed
from fleet.words import Phrase, text

if TYPE_CHECKING:
    from fleet.controller.tripwork import TripWork

LOAD_S_PER_TRAY = 5.0
GUEST_S = 20.0
UNLOAD_S_PER_TRAY = 6.0
COLLECT_S = 30.0
RETRY_MAX_S = 15.0
"""Longest wait before planning a leg that failed again (doubling from 2 s)."""


def start_stop(work: TripWork, rec: RobotRecord, now: float, *,
               reordered: bool = False) -> bool:
    """Start the trip's current stop, skipping tables with nothing left to serve and
    adding a stop for leftovers; the trip finishes when no stop is left. False when
    the stop cannot start yet (``rec.retry_at`` says when to try again).
    ``reordered``: a later table was just brought forward (once per call)."""
    parts = work.parts
    trip = rec.trip
    assert trip is not None
    while trip.current is not None and skippable(parts, trip.current):
        trip.next_stop += 1
    if trip.current is None and leftovers(parts, rec):
        trays = set(rec.loads).union(d.tray for d in going_back(parts, rec) if d.tray)
        trip.stops.append(Stop(pass_for_leftovers(parts, work, rec), StopKind.UNLOAD,
                               trays=tuple(sorted(trays))))
    stop = trip.current
    if stop is None:
        work.finish(rec, now)
        return True
    stop = trip.stops[trip.next_stop] = still_to_load(parts, stop)
    spots = (stop.cell,) if stop.cell is not None else parts.plan.place(stop.place).cells
    shut = parts.closures().closed_cells()
    if spots and all(c in shut for c in spots):
        if stop.kind is StopKind.PARK:
            return _skip_park(work, rec, now)
        rec.note_words = Phrase.of("waiting: {place} is in a zone the manager blocked",
                                   place=stop.place)
        rec.note = str(rec.note_words)
        rec.retry_at = now + 2.0
        return False
    spots = tuple(c for c in spots if c not in shut)
    claimed = work.claimed_cells(besides=rec.serial)
    goals = [c for c in spots if not claimed.intersection(parts.plan.footprint(c))]
    turn = (trip.trip_id, trip.next_stop, stop.place)
    ahead = queued_ahead(parts.robots.values(), rec, turn)
    if rec.cell in goals:
        # Already on a spot of the place: it stays. Queueing behind a robot that waits
        # for this very spot froze a pass with both spots held by robots in line.
        goals = [rec.cell]
        ahead = []
    elif len(ahead) >= len(goals):
        goals = []  # the free spots are owed to robots that have waited longer
    if not goals:
        if stop.kind is StopKind.PARK:
            # Somewhere to wait is no reason to wait: stay put, and let
            # housekeeping find another spot when there is one.
            return _skip_park(work, rec, now)
        if stop.kind is StopKind.LOAD and _hand_over(work, rec, spots, now):
            return True
        if stop.kind is StopKind.LOAD and swap_loads(work, rec, stop, spots, now):
            return False  # its new trip starts on the next round of pending legs
        if _leftovers_elsewhere(work, rec, stop):
            return start_stop(work, rec, now)
        if not reordered and another_table_first(work, rec, stop):
            return start_stop(work, rec, now, reordered=True)
        clear_spots(work, spots, now, asking=rec.serial)
        _call_off_parkers(work, rec, stop.place, now)
        # Every spot is taken by a robot that stands or works there (or owed to one
        # that waited longer): planning a route into it could only fail. Wait here,
        # in turn, until one frees.
        if rec.queued_for != turn:
            rec.queued_for, rec.queued_since = turn, now
        rec.note_words = (Phrase.of("waiting for a free spot at {place} ({n} ahead)",
                                    place=stop.place, n=str(len(ahead))) if ahead
                          else Phrase.of("waiting for a free spot at {place}", place=stop.place))
        rec.note = str(rec.note_words)
        rec.retry_at = now + 1.0
        return False
    rec.queued_for = None
    prefix = f"{trip.trip_id}.{trip.next_stop}"
    dwell = {StopKind.LOAD: LOAD_S_PER_TRAY * max(1, len(stop.trays)),
             StopKind.SERVE: GUEST_S, StopKind.COLLECT: COLLECT_S,
             StopKind.UNLOAD: UNLOAD_S_PER_TRAY * max(1, len(stop.trays))}.get(stop.kind)
    work_there = stop_work(stop, prefix, rec.model.actions, rec.supported_actions)
    if not _start_leg(work, rec, goals, work_there, dwell_s=dwell, now=now):
        return False
    rec.note = f"{trip.kind.value} trip: to {stop.place} ({stop.kind.value})"
    if stop.kind is StopKind.SERVE:
        for dish_id in stop.dishes:
            dish = parts.dish(dish_id)
            if dish.state is DishState.LOADED:
                dish.move(DishState.ON_THE_WAY)
                parts.save(dish)
    return True


def _call_off_parkers(work: TripWork, rec: RobotRecord, place: str, now: float) -> None:
    """Robots on their way to a spot of ``place`` only to wait there give it up to
    ``rec``, which has work there: their park trips end where they are, and
    housekeeping finds them somewhere else. (narrow-116, 16 robots: R4, bringing a
    dish back to the pass, queued for it while R16, sent to wait at the pass, stood
    in traffic on its way there; the dish failed after 181 s without progress.)"""
    for other in work.parts.robots.values():
        trip = other.trip
        stop = trip.current if trip is not None else None
        if (other is rec or trip is None or stop is None or trip.kind is not TripKind.PARK
                or stop.place != place or other.leg is None or other.leg.at_goal):
            continue
        work.abort(other, now, f"its spot at {place} is needed by {rec.serial}")


def queued_ahead(robots: Iterable[RobotRecord], rec: RobotRecord,
                 turn: tuple[str, int, str]) -> list[RobotRecord]:
    """Robots waiting for a free spot at the place of ``turn`` (trip, stop index, place)
    since before ``rec`` began to (all of them, if it has not yet), still at that very
    stop and ready to take a spot: one whose route keeps failing, or that is paused,
    faulted or offline, does not hold the others back, and a stop given up leaves the
    queue with it."""
    since = rec.queued_since if rec.queued_for == turn else float("inf")
    place = turn[2]
    return sorted((r for r in robots
                   if r is not rec and r.queued_for is not None and r.queued_for[2] == place
                   and r.queued_since < since and r.retry_at is not None and r.failures == 0
                   and r.mode.available and not r.paused_by_manager and r.trip is not None
                   and r.queued_for[:2] == (r.trip.trip_id, r.trip.next_stop)),
                  key=lambda r: r.queued_since)


def _leftovers_elsewhere(work: TripWork, rec: RobotRecord, stop: Stop) -> bool:
    """Leftovers queued for a full dish return go to a place with a spot to spare
    (another dish return, or a pass) when one has come free since the stop was
    chosen; True when the stop now names it. A line of loaded robots at a one-spot
    dish return stood 150 s on a generated floor while a pass spot stood empty."""
    trip = rec.trip
    assert trip is not None
    if stop.kind is not StopKind.UNLOAD or trip.kind is not TripKind.SERVE:
        return False
    place = pass_for_leftovers(work.parts, work, rec)
    if place == stop.place:
        return False
    trip.stops[trip.next_stop] = dataclasses.replace(stop, place=place)
    rec.queued_for = None
    return True


def another_table_first(work: TripWork, rec: RobotRecord, stop: Stop) -> bool:
    """A table whose every spot is taken (a guest still at the robot before) waits;
    a later table of the same trip with a spot free is served first, rather than
    every dish on the trays waiting in line. A robot queued behind two others for a
    food court table's one spot stood 150 s with another table's dishes aboard.
    True when the trip's stops were reordered."""
    trip = rec.trip
    assert trip is not None
    if stop.kind is not StopKind.SERVE:
        return False
    for j in range(trip.next_stop + 1, len(trip.stops)):
        later = trip.stops[j]
        if (later.kind is StopKind.SERVE and later.place != stop.place
                and later.place in work.parts.plan.places
                and work.room_at(later.place, besides=rec.serial) > 0):
            trip.stops.insert(trip.next_stop, trip.stops.pop(j))
            rec.queued_for = None
            work.parts.store.save_trip(trip)
            return True
    return False


def _skip_park(work: TripWork, rec: RobotRecord, now: float) -> bool:
    """A park stop with nowhere to go: a park trip ends where the robot stands; a
    step aside within a trip is skipped, and the trip's own next stop begins (ending
    the trip there would leave the dishes it carries with no trip)."""
    trip = rec.trip
    assert trip is not None
    if trip.next_stop < len(trip.stops) - 1:
        trip.next_stop += 1
        return start_stop(work, rec, now)
    trip.next_stop = len(trip.stops)
    work.finish(rec, now)
    return True


ROUTE_FAILED_AFTER = 3
"""Failed plans in a row (about 14 s) before the manager hears of it."""


def _start_leg(trips: TripWork, rec: RobotRecord, goals: Sequence[Cell],
               work: StopWork, *, dwell_s: float | None, now: float) -> bool:
    """Plan and record the next leg; False (and a note) when it cannot be planned yet."""
    parts = trips.parts
    if not parts.traffic.leg_done(rec.serial):
        rec.note_words = Phrase.of("finishing its previous move")
        rec.note = str(rec.note_words)
        rec.retry_at = now + 1.0
        return False
    try:
        route = parts.traffic.route(rec.serial, goals, now=now, dwell_s=dwell_s)
    except PlanFailed as exc:
        rec.note_words = Phrase.of("cannot route yet: {reason}", reason=text(exc.reason))
        rec.note = str(rec.note_words)
        sent = make_way(trips, rec, exc, goals, now)
        if sent:
            rec.note_words = Phrase.of("{note} ({robots} asked to step aside)",
                                       note=rec.note_words, robots=", ".join(sent))
            rec.note = str(rec.note_words)
        rec.failures += 1
        rec.retry_at = now + min(RETRY_MAX_S, 2.0 * 2 ** min(rec.failures - 1, 4))
        if rec.failures == ROUTE_FAILED_AFTER:
            # Stuck for a while, not a passing crowd: worth a person's look.
            stop = rec.trip.current if rec.trip is not None else None
            where: str | Phrase = stop.place if stop is not None else Phrase.of("its goal")
            parts.emit(ev.ROUTE_FAILED, now, Phrase.of(
                "{robot} cannot reach {where}: {reason} (trying again)", robot=rec.serial,
                where=where, reason=text(exc.reason)), robot=rec.serial,
                     trip_id=rec.trip.trip_id if rec.trip is not None else None)
        return False
    rec.failures = 0
    rec.legs_sent += 1
    rec.previous_order = rec.leg.order_id if rec.leg is not None else None
    order_id = _order_id(parts.run_id, rec)
    rec.leg = Leg(order_id=order_id, cells=route.cells, goal_actions=work.actions,
                  goals=frozenset(goals), version=route.version,
                  action_ids=work.action_ids, stand_ins=work.stand_ins)
    rec.retry_at = None
    rec.progress_at = now
    rec.goal_since = None
    rec.cancel_sent = False
    rec.rerouting = False
    return True


def _order_id(run_id: str, rec: RobotRecord) -> str:
    """Unique to this controller's run (``run_id``): a restarted controller must not
    send an id the vehicle still holds from the last run (it would read as a stale
    update)."""
    return f"{id_part(rec.serial)}-{run_id}-{rec.legs_sent}"


def _hand_over(work: TripWork, rec: RobotRecord, spots: tuple[Cell, ...], now: float) -> bool:
    """The pass is full of idle robots waiting there: the trip goes to one of them
    (it is where the dishes are) and this robot is free again."""
    trip = rec.trip
    assert trip is not None
    for other in work.idle_robots():
        if (other.cell in spots and not other.loaded and not other.to_unload()
                and other.trays >= rec.trays):
            trip.robot = other.serial
            other.trip, rec.trip = trip, None
            for dish_id in trip.dishes:
                dish = work.parts.dish(dish_id)
                if dish.robot == rec.serial:
                    dish.robot = other.serial
                    work.parts.save(dish)
            work.pending.discard(rec.serial)
            work.pending.add(other.serial)
            work.parts.emit(ev.TRIP_ASSIGNED, now, Phrase.of(
                "{trip} handed from {robot} to {other}, waiting at {place}", trip=trip.trip_id,
                robot=rec.serial, other=other.serial, place=trip.stops[0].place),
                          robot=other.serial, trip_id=trip.trip_id)
            work.parts.store.save_trip(trip)
            work.parts.set_mode(rec, now)
            work.parts.set_mode(other, now)
            work.parts.request_dispatch()
            return True
    return False


def swap_loads(work: TripWork, rec: RobotRecord, stop: Stop, spots: Sequence[Cell],
               now: float) -> bool:
    """The pass is full of robots that wait there to load at another pass: ``rec``'s
    trip goes to one of them (the dishes are where it stands) and ``rec`` takes that
    robot's trip, preferring one waiting to load where ``rec`` stands (each then loads
    at once). Neither has loaded anything yet. Robots parked at two stalls and sent
    to load at the other one stood on each other's spots, each waiting for the
    other to leave (food-court-15, 30 robots: six robots 150 s, three trips given up).
    True when the trips were swapped."""
    trip = rec.trip
    assert trip is not None
    if trip.next_stop != 0 or rec.loaded or rec.to_unload():
        return False
    mine = set(stop.trays)
    candidates: list[tuple[bool, str, RobotRecord]] = []
    for other in work.parts.robots.values():
        theirs = other.trip
        there = theirs.current if theirs is not None else None
        if (other is rec or theirs is None or there is None or other.cell not in spots
                or theirs.kind is not TripKind.SERVE or theirs.next_stop != 0
                or there.kind is not StopKind.LOAD or there.place == stop.place
                or other.serial not in work.pending or other.loaded or other.to_unload()
                or not other.mode.available or other.paused_by_manager
                or not work.parts.traffic.leg_done(other.serial)
                or not mine <= set(other.slots) or not set(there.trays) <= set(rec.slots)):
            continue
        home = rec.cell in work.parts.plan.place(there.place).cells
        candidates.append((not home, other.serial, other))
    if not candidates:
        return False
    other = min(candidates, key=lambda c: c[:2])[2]
    theirs = other.trip
    assert theirs is not None
    for taker, given in ((other, trip), (rec, theirs)):
        giver = given.robot
        given.robot, taker.trip = taker.serial, given
        for dish_id in given.dishes:
            dish = work.parts.dish(dish_id)
            if dish.robot == giver:
                dish.robot = taker.serial
                work.parts.save(dish)
        taker.queued_for, taker.retry_at, taker.progress_at = None, now, now
        work.parts.store.save_trip(given)
        work.parts.emit(ev.TRIP_ASSIGNED, now, Phrase.of(
            "{trip} handed from {robot} to {other}, waiting at {place}", trip=given.trip_id,
            robot=giver, other=taker.serial, place=given.stops[0].place),
                      robot=taker.serial, trip_id=given.trip_id)
    return True  # both stay pending: each starts its new trip's load in turn
