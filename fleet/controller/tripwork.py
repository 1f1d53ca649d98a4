"""Trips in motion: beginning them, following the robot's reports at each stop,
finishing them, and giving them up when a robot fails.

A trip is given up (``abort``) when its robot faults, goes offline or stalls too
long (``tripwatch`` keeps those limits). Whatever an aborted trip left on the trays
is taken to the dish return on a trip of its own (``TripKind.UNLOAD``) before the
robot serves again; one that cannot get there is reported as stranded.

Kept apart from ``core`` so that the controller's wiring and the restaurant's
rules each fit in one reading. What a dispatch round puts to the policy is in
``dispatcher`` (it begins trips here); starting a stop (spots taken, stepping aside,
handing over at the pass) is in ``stopstart``; what time alone decides about a trip
in ``tripwatch``; what the reports mean for the dishes, and leftovers, in
``dishprogress``.

It holds no controller: ``core`` hands it ``TripParts`` (the records it works on,
what it reads of the manager's closures, the robots' phases and a restart, and as
callables what it asks of the controller), and it hands those on to ``stopstart``,
``makeway`` and the dish rules.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from fleet.controller.commands import Command, SendInstantActions
from fleet.controller.dishprogress import (
    advance_dishes,
    back_at_pass,
    skippable,
    untaken,
)
from fleet.controller.passhold import holding
from fleet.controller.robots import RobotRecord
from fleet.controller.standins import stand_in_status
from fleet.controller.stopstart import start_stop
from fleet.dispatch import TripPlan
from fleet.domain import DishState, Stop, StopKind, Trip, TripKind, TripState
from fleet.domain import events as ev
from fleet.floor import PlaceKind
from fleet.floor.model import Cell
from fleet.vda import RobotState
from fleet.words import N_, Arg, Phrase, text

if TYPE_CHECKING:
    from fleet.controller.tripparts import TripParts


class TripWork:
    def __init__(self, parts: TripParts) -> None:
        self.parts = parts
        """What ``core`` hands trip work, and what ``stopstart`` and ``makeway`` use."""
        self.pending: set[str] = set()
        """Robots whose next leg is to be started."""
        self.bussing_requests: list[tuple[str, float]] = []
        """Tables whose bussing call waits for a robot, and when each called."""

    # -- robots free, spots claimed, trips begun -----------------------------------------
    def idle_robots(self) -> list[RobotRecord]:
        return [r for r in sorted(self.parts.robots.values(), key=lambda r: r.serial)
                if r.trip is None and r.cell is not None and r.on_duty]

    def bussing_due(self, table: str) -> bool:
        """A bussing call for ``table`` is waiting for a robot, or one is on its way."""
        if any(t == table for t, _ in self.bussing_requests):
            return True
        return any(r.trip is not None and r.trip.kind is TripKind.BUS
                   and any(s.place == table and s.kind is StopKind.COLLECT
                           for s in r.trip.stops[r.trip.next_stop:])
                   for r in self.parts.robots.values())

    def room_at(self, place: str, besides: str | None = None) -> int:
        """Spots of ``place`` free as ``start_stop`` will find them: nobody (but
        ``besides``) standing in or heading for the spot's footprint, not closed by
        the manager, and not owed to a robot bound for the place with no route yet.
        The one count of a place's room, for loading, leftovers and housekeeping."""
        parts = self.parts
        claimed = self.claimed_cells(besides=besides) | parts.closures().closed_cells()
        free = sum(1 for c in parts.plan.place(place).cells
                   if not claimed.intersection(parts.plan.footprint(c)))
        return max(0, free - self.bound_places(besides)[place])

    def bound_places(self, besides: str | None = None) -> Counter[str]:
        """Places robots (other than ``besides``) are bound for with no route there
        yet (their stop waits its turn, or is about to begin): each will take a spot
        there."""
        return Counter(r.trip.current.place for r in self.parts.robots.values()
                       if r.serial != besides and r.serial in self.pending
                       and r.trip is not None
                       and r.trip.current is not None and r.trip.current.cell is None)

    def strand(self, rec: RobotRecord, now: float, reason: str) -> None:
        """Tell the manager a loaded robot is out of service and why (once per reason)."""
        if rec.stranded == reason:
            return
        rec.stranded = reason
        n = rec.dishes_to_unload()
        self.parts.emit(ev.ROBOT_STRANDED, now, Phrase.of(
            "{robot} is out of service with {n} dish(es) on its trays: {reason}",
            robot=rec.serial, n=str(n), reason=text(reason)), robot=rec.serial,
                        data={"reason": reason})

    def claimed_cells(self, besides: str | None = None) -> set[Cell]:
        """Cells robots stand on or are heading for (a robot giving way on its way to a
        spot still heads for it): a spot there is taken."""
        claimed: set[Cell] = set()
        for rec in self.parts.robots.values():
            if rec.serial == besides:
                continue
            if rec.cell is not None:
                claimed.add(rec.cell)
            if rec.leg is not None:
                claimed.add(rec.leg.cells[-1])
                if (rec.leg.bound_for is not None and rec.in_traffic
                        and self.parts.traffic.giving_way(rec.serial)):
                    claimed.add(rec.leg.bound_for)
        return claimed

    def begin(self, plan: TripPlan, now: float) -> None:
        parts = self.parts
        rec = parts.robots[plan.robot]
        trip = Trip(trip_id=parts.new_trip_id(), robot=rec.serial, kind=plan.kind,
                    stops=list(plan.stops), created_at=now, state=TripState.ACTIVE,
                    dishes=plan.dish_ids)
        parts.trips[trip.trip_id] = trip
        rec.trip = trip
        for stop in plan.stops:
            if stop.kind is not StopKind.LOAD:
                continue
            for tray, dish_id in zip(stop.trays, stop.dishes, strict=False):
                self.assign(dish_id, trip, rec, tray, now)
        parts.store.save_trip(trip)
        parts.emit(ev.TRIP_ASSIGNED, now, trip_words(rec.serial, trip, plan.reason),
                   robot=rec.serial, trip_id=trip.trip_id)
        parts.set_mode(rec, now)
        self.pending.add(rec.serial)

    def assign(self, dish_id: str, trip: Trip, rec: RobotRecord, tray: str,
               now: float, *, words: Phrase | None = None) -> None:
        """A ready dish is now ``trip``'s, on ``tray``; a dish on two trays is listed
        once per tray, and assigned at the first. ``words`` say how, if not plainly."""
        parts = self.parts
        dish = parts.dish(dish_id)
        if dish.state is not DishState.READY:
            return
        dish.move(DishState.ASSIGNED)
        dish.trip_id, dish.robot, dish.tray = trip.trip_id, rec.serial, tray
        dish.attempts += 1
        parts.save(dish)
        parts.emit(ev.DISH_ASSIGNED, now, words or Phrase.of("{dish} on {robot} {tray}",
                                                             dish=dish_id, robot=rec.serial,
                                                             tray=tray),
                   robot=rec.serial, dish_id=dish_id, trip_id=trip.trip_id,
                   order_id=dish.order_id)

    def start_charging_trip(self, rec: RobotRecord, now: float) -> None:
        chargers = self.parts.plan.places_of(PlaceKind.CHARGER)
        if not chargers:
            return
        claimed = self.claimed_cells() | self.parts.closures().closed_cells()
        free = [p for p in chargers if any(c not in claimed for c in p.cells)] or chargers
        cell = rec.cell
        assert cell is not None
        times = self.parts.times[rec.model.name]
        best = min(free, key=lambda p: times.from_cell(cell, p.name))
        self.begin(TripPlan(robot=rec.serial, kind=TripKind.CHARGE,
                            stops=(Stop(best.name, StopKind.CHARGE),), dish_ids=(),
                            est_finish=now, est_waits={}), now)

    # -- legs ---------------------------------------------------------------------------
    def start_pending_legs(self, now: float) -> list[Command]:
        recovery = self.parts.recovery()
        if recovery is not None and recovery.placing(now):
            return []  # a robot the planner cannot see yet stands somewhere on the floor
        for serial in sorted(self.pending):
            rec = self.parts.robots[serial]
            if rec.retry_at is not None and now < rec.retry_at:
                continue
            if rec.trip is None or not rec.mode.available or rec.paused_by_manager:
                if rec.trip is None:
                    self.pending.discard(serial)
                continue
            if start_stop(self, rec, now):
                self.pending.discard(serial)
        return []

    # -- progress at the goal ----------------------------------------------------------------
    def on_progress(self, rec: RobotRecord, state: RobotState, now: float) -> list[Command]:
        leg, trip = rec.leg, rec.trip
        assert leg is not None and trip is not None
        stop = trip.current
        if stop is None or rec.serial in self.pending:
            return []
        done = self.parts.traffic.leg_done(rec.serial)
        if rec.calling_off and done and leg.reached == len(leg.cells) - 1:
            # Stopped short of a table it no longer has anything for: next stop.
            rec.calling_off = False
            trip.next_stop += 1
            rec.progress_at = now
            self.pending.add(rec.serial)
            return []
        if rec.rerouting and done and leg.reached == len(leg.cells) - 1:
            # Stopped short of a zone the manager blocked: the same stop, another way.
            rec.rerouting = False
            rec.progress_at = now
            self.pending.add(rec.serial)
            return []
        if not leg.at_goal or not done or not leg.taken:
            # Not there until the vehicle holds the leg's order: a one-node leg (it
            # stands at the pass already) is "done" in traffic before it is accepted.
            return []
        commands: list[Command] = []
        if rec.goal_since is None:
            rec.goal_since = now
            if rec.cancel_at_goal:
                # Its dishes were cancelled after the table was in the base: do nothing here.
                commands.append(self.cancel_order(rec, now))
            else:
                self.parts.emit(ev.ROBOT_ARRIVED, now,
                                Phrase.of("{robot} at {place}", robot=rec.serial,
                                          place=stop.place),
                                robot=rec.serial, trip_id=trip.trip_id)
        wanted = set(leg.action_ids)
        status = {a.action_id: a.status for a in state.action_states if a.action_id in wanted}
        for action_id, stand_in in leg.stand_ins.items():
            status[action_id] = stand_in_status(stand_in, stop, rec, now - rec.goal_since)
        advance_dishes(self.parts, rec, stop, status, now)
        if (all(status.get(a) is not None and status[a].done for a in leg.action_ids)
                and not untaken(self.parts, rec, stop)):
            if stop.kind is StopKind.UNLOAD:
                back_at_pass(self.parts, rec, stop, now)
                # Staff took what was on these trays, as at the pass they put it on.
                rec.aboard = tuple(t for t in rec.aboard if t not in stop.trays)
                if not rec.aboard:
                    rec.aboard_dishes = ()
                if not rec.to_unload():
                    rec.stranded = ""
            if stop.kind is StopKind.COLLECT:
                self.parts.store.drop_bussing_call(stop.place)  # answered: a restart forgets it
            if stop.kind is StopKind.LOAD and holding(self, rec, stop, now):
                return commands  # waits at the pass for a dish expected soon
            self.leave_stop(rec, now)
        return commands

    def leave_stop(self, rec: RobotRecord, now: float) -> None:
        """The stop's work is done: on to the next stop."""
        trip = rec.trip
        assert trip is not None
        self.moved(rec, now)
        trip.next_stop += 1
        rec.goal_since = None
        rec.cancel_at_goal = False
        rec.progress_at = now
        self.pending.add(rec.serial)

    def cancel_order(self, rec: RobotRecord, now: float) -> SendInstantActions:
        """Take the robot's order back (it stops, and a stop's work is not done)."""
        rec.cancel_sent = True
        return self.parts.instant(rec, "cancelOrder", now)

    def dishes_cancelled(self, dish_ids: list[str], now: float) -> list[Command]:
        """Robots carrying cancelled dishes skip the tables nothing is left for: short
        of the table if it is not in the released base yet, else on arrival."""
        commands: list[Command] = []
        robots = sorted({d for d in (self.parts.dish(i).robot for i in dish_ids) if d})
        for serial in robots:
            rec = self.parts.robots[serial]
            trip, leg = rec.trip, rec.leg
            if trip is None or leg is None or serial in self.pending:
                continue  # a stop not begun is skipped when it would begin
            stop = trip.current
            if stop is None or not skippable(self.parts, stop) or not leg.ends_at_goal:
                continue
            if rec.goal_since is not None:
                if not rec.cancel_sent:
                    commands.append(self.cancel_order(rec, now))
            elif self.parts.traffic.released(serial) >= len(leg.cells) - 1:
                rec.cancel_at_goal = True
            else:
                self.parts.traffic.stop(serial, now=now)
                leg.goal_actions = ()
                rec.calling_off = True
        return commands

    def moved(self, rec: RobotRecord, now: float) -> None:
        """The robot made progress: a stall reported for it is over."""
        if rec.stalled_at is None:
            return
        self.parts.emit(ev.ROBOT_MOVED_ON, now,
                        Phrase.of("{robot} is moving again after {s} s stalled", robot=rec.serial,
                                  s=f"{now - rec.stalled_at:.0f}"), robot=rec.serial)
        rec.stalled_at = None

    # -- the end of a trip -------------------------------------------------------------------
    def finish(self, rec: RobotRecord, now: float) -> None:
        trip = rec.trip
        assert trip is not None
        trip.state = TripState.DONE
        trip.finished_at = now
        rec.trip = None
        rec.note = ""
        self.parts.store.save_trip(trip)
        self.parts.emit(ev.TRIP_FINISHED, now,
                        Phrase.of("{robot} finished {trip}", robot=rec.serial, trip=trip.trip_id),
                        robot=rec.serial, trip_id=trip.trip_id)
        self.parts.set_mode(rec, now)
        self.parts.request_dispatch()

    def abort(self, rec: RobotRecord, now: float, reason: str) -> None:
        """Give the trip up: dishes not yet loaded go back to be dispatched, those on the
        trays fail (they have waited too long) and are taken back to the dish return
        on an unloading trip once the robot can move (``_send_to_unload``)."""
        trip = rec.trip
        if trip is None:
            return
        trays: set[str] = set(rec.aboard)
        dishes: set[str] = set(rec.aboard_dishes)
        for dish_id in trip.dishes:
            dish = self.parts.dish(dish_id)
            if dish.state.on_robot and dish.robot == rec.serial and dish.tray:
                trays.add(dish.tray)
                dishes.add(dish_id)
        for stop in trip.stops[trip.next_stop:]:
            if stop.kind is StopKind.UNLOAD:  # leftovers, or dirty dishes being bussed
                trays.update(stop.trays)
                dishes.update(d for d in stop.dishes if d)
        rec.aboard, rec.aboard_dishes = tuple(sorted(trays)), tuple(sorted(dishes))
        for dish_id in trip.dishes:
            dish = self.parts.dish(dish_id)
            if dish.state is DishState.ASSIGNED:
                dish.move(DishState.READY, reason=f"reassigned: {reason}")
                dish.trip_id = dish.robot = dish.tray = None
                self.parts.request_dispatch()
            elif dish.state.on_robot:
                self.parts.book.fail(dish, now, Phrase.of("{reason} with the dish on its tray",
                                                          reason=text(reason)))
            self.parts.save(dish)
        for stop in trip.stops[trip.next_stop:]:
            if stop.kind is StopKind.COLLECT:
                # Given up, the call is forgotten (it always was): a restart must not
                # bring back what the running controller dropped.
                self.parts.store.drop_bussing_call(stop.place)
        trip.state = TripState.ABORTED
        trip.reason = reason
        trip.finished_at = now
        rec.trip = None
        if rec.leg is not None and rec.in_traffic and not self.parts.traffic.leg_done(rec.serial):
            # Stop where it is released to; its next trip starts from there.
            self.parts.traffic.stop(rec.serial, now=now)
            rec.leg.goal_actions = ()
        self.pending.discard(rec.serial)
        self.parts.store.save_trip(trip)
        self.parts.emit(ev.TRIP_ABORTED, now, Phrase.of("{trip} aborted: {reason}",
                                                        trip=trip.trip_id, reason=text(reason)),
                        robot=rec.serial, trip_id=trip.trip_id)
        if rec.to_unload():
            if trip.kind is TripKind.UNLOAD:
                self.strand(rec, now, f"could not reach {trip.stops[0].place} to unload: "
                                      f"{reason} (tries again when it can)")
            self.parts.request_dispatch()


TRIP_WORDS: dict[TripKind, str] = {
    TripKind.SERVE: N_("serve"), TripKind.BUS: N_("bus"), TripKind.CHARGE: N_("charge"),
    TripKind.PARK: N_("park"), TripKind.UNLOAD: N_("unload")}
STOP_WORDS: dict[StopKind, str] = {
    StopKind.LOAD: N_("load"), StopKind.SERVE: N_("serve"), StopKind.COLLECT: N_("collect"),
    StopKind.UNLOAD: N_("unload"), StopKind.CHARGE: N_("charge"), StopKind.PARK: N_("park")}
"""Each kind's word in the events log (the English is the kind's own value)."""


def trip_words(robot: str, trip: Trip, reason: Phrase | str | None) -> Phrase:
    """A trip given to a robot, as the events log says it: "R3: serve trip load pass,
    serve table 7 (nearest idle robot)". Its kind and the kind of each stop are words
    of the catalogue, and so is the dispatcher's reason when it gave it as words."""
    stops: Phrase | None = None
    for s in trip.stops:
        stop = Phrase.of("{kind} {place}", kind=Phrase.of(STOP_WORDS[s.kind]), place=s.place)
        stops = stop if stops is None else Phrase.of("{stops}, {stop}", stops=stops, stop=stop)
    kind = Phrase.of(TRIP_WORDS[trip.kind])
    listed: Arg = stops if stops is not None else ""
    if reason:
        return Phrase.of("{robot}: {kind} trip {stops} ({reason})", robot=robot, kind=kind,
                         stops=listed,
                         reason=reason if isinstance(reason, Phrase) else text(reason))
    return Phrase.of("{robot}: {kind} trip {stops}", robot=robot, kind=kind, stops=listed)
