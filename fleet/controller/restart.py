"""A restarted controller takes back the service it was running (DESIGN §9).

The order book comes back from the store whole (``fleet.controller.takeback``):
orders with their dishes, states, times and priorities, and the POS resending one
of them is a duplicate. Bussing calls a till was told "ok" for and no robot has
collected yet wait for a robot again. Ready
dishes simply wait for dispatch again. What cannot be taken on trust is where
the food is: a dish that was on its way may have been served, lost or still
sit on a tray while no controller was watching. So each robot's own reports
decide, and until a robot has been heard from, its dishes are held.

The rule, per robot, on its first reports after the restart:

1. A robot still driving or working an order of the dead controller is told
   to cancel it and is kept out of traffic until it stands still: the new run
   has no record of what that order released, so placing it while it drives
   could put another robot in its way. (Dispatch waits meanwhile, as it does
   for any robot not yet placed.)
2. Once it stands still, it joins traffic and its trays are read. Every held
   dish its loads match (by tray position, else load id, else count: see
   ``fleet.controller.trays``) is on that robot, whatever the record said.
   A robot with food on its trays gets a *fresh* serving trip to those tables
   (new trip and order ids, this run's): simpler and safer than stitching onto
   an order the vehicle had cancelled, and the trays say exactly what to serve.
   Loads nobody is waiting for go to the dish return (the trip's usual return
   of leftovers).
3. A held dish not on its robot's trays was served while nobody watched if the
   dead run's wait-for-the-guest action at its table shows FINISHED; else, if it
   was only assigned (never loaded), it never left the pass and is ready again;
   else it is failed, saying so. Never silently dropped, never served twice.

A robot that does not report (or cannot be placed) within ``REPORT_GRACE_S``
has its held dishes decided without it (assigned ones back to ready, loaded ones failed), as a
robot gone that long would have lost them while the controller ran. A robot
that will not stop its old order within ``HOLD_LIMIT_S`` is placed where it
reports, with a warning: dispatch must not wait forever on one vehicle.

Open trips of the dead run are closed as aborted: their robots' orders were
cancelled or finished, and the trays decide what is served next.

The recovery never holds the controller: ``core`` hands it the robot records, the
order book and the store it works on, and the few things it must ask of other parts
(an event recorded, an instant action, a robot placed in traffic, dispatch woken, a
trip begun) as callables in ``ServiceParts``. So it can be read, and tested, without
the controller, and the controller is the only module that knows them all.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fleet.controller.commands import Command
from fleet.controller.orderbook import OrderBook
from fleet.controller.robots import Instant, RobotRecord
from fleet.controller.trays import match_loads
from fleet.dispatch import TripPlan
from fleet.domain import Dish, DishState, Stop, StopKind, Trip, TripKind, TripState
from fleet.domain import events as ev
from fleet.domain.events import Emit
from fleet.store.base import Store
from fleet.vda import ActionStatus, ConnectionState, Load, RobotState
from fleet.words import Phrase

log = logging.getLogger(__name__)

REPORT_GRACE_S = 120.0
"""How long a robot may stay silent after a restart before its dishes are decided
without it (the same patience as for a robot gone offline mid-trip)."""
HOLD_LIMIT_S = 60.0
"""How long to wait for a robot to stop the order of the dead run."""
FIRST_REPORT_S = 5.0
"""How long after the start an online robot not yet heard from holds back new legs."""
LOST = "lost in a controller restart: not on any robot's trays"


@dataclass(frozen=True, slots=True)
class ServiceParts:
    """What a restart works on and asks of the controller's other parts, handed down by
    ``core``: narrow enough that this module needs no controller, and each operation
    named for what the restart wants done, not for who does it."""

    robots: Mapping[str, RobotRecord]
    """The fleet's records (the restart places robots and reads their trays)."""
    book: OrderBook
    store: Store
    emit: Emit
    instant: Instant
    """Sends an instant action (the dead run's order cancelled) until it is confirmed."""
    join_traffic: Callable[[RobotRecord, float], None]
    """Places a robot that stands still in traffic (it may have to wait for a cell)."""
    request_dispatch: Callable[[], None]
    begin_trip: Callable[[TripPlan, float], None]
    """Gives a robot a trip (``TripWork.begin``): what it carries is served again."""


@dataclass(slots=True)
class _Held:
    """A robot not yet reconciled, and what its reports have shown so far."""

    serial: str
    dishes: list[str] = field(default_factory=list)
    first_seen: float | None = None
    cancel_sent: bool = False
    finished: set[str] = field(default_factory=set)
    """Action ids its reports showed FINISHED (the dead run's, for step 3)."""


class RestartRecovery:
    """The controller's restart in progress; see the module docstring."""

    def __init__(self, parts: ServiceParts, trips: list[Trip]) -> None:
        self.parts = parts
        self.old_trips = {t.trip_id: t for t in trips}
        self.held: dict[str, _Held] = {s: _Held(s) for s in parts.robots}
        self.loose: list[str] = []
        """Held dishes whose robot this controller does not know."""
        for dish in parts.book.dishes.values():
            if dish.state is DishState.ASSIGNED or dish.state.on_robot:
                if dish.robot in self.held:
                    self.held[dish.robot].dishes.append(dish.dish_id)
                else:
                    self.loose.append(dish.dish_id)
        self.started_at: float | None = None
        self.decided = False
        """Every held dish has been decided (robots that never came may still be held)."""

    # -- what the core asks ---------------------------------------------------------------
    @property
    def over(self) -> bool:
        """Every robot has been reconciled: the core lets the recovery go."""
        return not self.held

    def aboard(self, serial: str) -> list[tuple[str, str]]:
        """(tray, dish) held for this robot, in the order the dead run would have served
        them: what its reported loads are matched against (tray "" when the record
        has none)."""
        held = self.held.get(serial)
        if held is None:
            return []
        dishes = sorted(map(self._dish, held.dishes), key=self._planned_rank)
        return [(d.tray or "", d.dish_id) for d in dishes]

    def placing(self, now: float) -> bool:
        """A robot heard from since the restart is not in traffic yet (it is stopping
        the dead run's order, or waits for a cell to clear): no robot starts a new
        leg meanwhile, for the planner cannot see it. A robot placed first was once
        given a leg through the cell of one still stopping its old order; neither
        could then move (1,832 s in a 50-kill campaign). Bounded by ``HOLD_LIMIT_S``
        per robot, as its placing is."""
        def unseen(s: str, h: _Held) -> bool:
            # Online but not heard from yet, just after the start: its first report
            # is due within a second or two.
            return (h.first_seen is None and self.started_at is not None
                    and now - self.started_at < FIRST_REPORT_S)

        return any((unseen(s, h) or (h.first_seen is not None
                                     and now - h.first_seen < HOLD_LIMIT_S))
                   and not self.parts.robots[s].in_traffic
                   and self.parts.robots[s].connection is ConnectionState.ONLINE
                   for s, h in self.held.items())

    def holding(self, serial: str) -> bool:
        """Keep this robot out of traffic: it may still be driving the dead run's order."""
        held = self.held.get(serial)
        return held is not None and held.cancel_sent

    def on_state(self, rec: RobotRecord, state: RobotState, now: float) -> list[Command]:
        """Called on every report before the core places the robot in traffic."""
        commands = self._start(now)
        held = self.held.get(rec.serial)
        if held is None:
            return commands
        if held.first_seen is None:
            held.first_seen = now
        held.finished.update(a.action_id for a in state.action_states
                             if a.status is ActionStatus.FINISHED)
        if state.busy and now - held.first_seen < HOLD_LIMIT_S:
            if not held.cancel_sent:
                held.cancel_sent = True
                rec.note = "stopping the order it had before the controller restarted"
                commands.append(self.parts.instant(rec, "cancelOrder", now))
            return commands
        if state.busy:
            self.parts.emit(ev.ROBOT_ERROR_REPORTED, now, Phrase.of(
                "{robot} did not stop its order from before the restart within {s} s; "
                "placed at the node it reports", robot=rec.serial, s=f"{HOLD_LIMIT_S:.0f}"),
                            robot=rec.serial)
        held.cancel_sent = False  # free to join now
        if not rec.in_traffic:
            self.parts.join_traffic(rec, now)
        if rec.in_traffic:
            self._settle(rec, held, state, now)
        return commands

    def on_tick(self, now: float) -> list[Command]:
        """Decide for robots that stayed silent; end the recovery when nothing is held."""
        commands = self._start(now)
        assert self.started_at is not None
        for serial, held in self.held.items():
            if not held.dishes:
                continue
            if held.first_seen is None and now - self.started_at >= REPORT_GRACE_S:
                why = f"did not report within {REPORT_GRACE_S:.0f} s"
            elif held.first_seen is not None and now - held.first_seen >= REPORT_GRACE_S:
                why = f"could not be placed within {REPORT_GRACE_S:.0f} s"
            else:
                continue
            # Gone that long mid-trip, it would have lost them with a running controller
            # too. It stays held: when it does come, it is stopped and placed, and what
            # is on its trays goes back to the kitchen.
            dishes, held.dishes = held.dishes, []
            for dish_id in dishes:
                self._not_on_robot(self._dish(dish_id), held.finished, now,
                                   f"lost in a controller restart: {serial} {why}")
        if not self.decided and not any(h.dishes for h in self.held.values()):
            self.decided = True
            self.parts.emit(ev.CONTROLLER_RESUMED, now, Phrase.of(
                "restart recovery done: every dish that was on a robot is accounted for"))
        return commands

    # -- the steps ------------------------------------------------------------------------
    def _start(self, now: float) -> list[Command]:
        """Once, at the first moment the controller knows the time."""
        if self.started_at is not None:
            return []
        self.started_at = now
        parts = self.parts
        for trip in self.old_trips.values():
            trip.state = TripState.ABORTED
            trip.reason = "the controller restarted"
            trip.finished_at = now
            parts.store.save_trip(trip)
        for dish_id in self.loose:
            dish = self._dish(dish_id)
            self._not_on_robot(dish, set(), now, f"{LOST} ({dish.robot} is not in this "
                               "controller's fleet)")
        held = sum(len(h.dishes) for h in self.held.values())
        open_orders = sum(1 for o in parts.book.orders.values() if o.open)
        parts.emit(ev.CONTROLLER_RESUMED, now, Phrase.of(
            "controller restarted: {orders} open order(s) taken back, {held} dish(es) held "
            "until their robots report", orders=str(open_orders), held=str(held)))
        return []

    def _settle(self, rec: RobotRecord, held: _Held, state: RobotState, now: float) -> None:
        """Step 2 and 3 of the module docstring, for a robot standing still in traffic."""
        del self.held[rec.serial]
        sensed = state.loads is not None
        if sensed:
            # Matched by tray, id or count (``ingest._read_trays``, with this robot's held
            # dishes as what it carries): a dish it still carries is on a tray here.
            on_trays = {load_id: tray for tray, load_id in rec.loads.items() if load_id}
        else:
            # It cannot sense its trays: what it was recorded carrying is still there
            # unless its own actions say the guest took it; on its recorded tray, or a
            # free one when the record has none.
            kept = [d for d in map(self._dish, held.dishes)
                    if d.state.on_robot and not self._served_meanwhile(d, held.finished)]
            record = match_loads([Load(d.tray or "", d.dish_id) for d in kept], rec.slots, [])
            on_trays = {dish_id: tray for tray, dish_id in record.trays.items()}
        others = [h for h in self.held.values() if h.dishes]
        carried: list[Dish] = []
        for dish_id, tray in on_trays.items():
            dish = self.parts.book.dishes.get(dish_id)
            if dish is None or dish.state.final or dish.state is DishState.READY \
                    or dish.state is DishState.RECEIVED:
                continue  # not ours to serve: it goes back with the leftovers
            for other in others:
                if dish_id in other.dishes:
                    other.dishes.remove(dish_id)
            if dish.state is DishState.ASSIGNED:
                dish.move(DishState.LOADED)
            dish.robot, dish.tray = rec.serial, tray
            carried.append(dish)
        for dish_id in held.dishes:
            dish = self._dish(dish_id)
            if dish_id not in on_trays and not dish.state.final:
                self._not_on_robot(dish, held.finished, now, LOST)
        if carried or rec.loads:
            self._serve_again(rec, carried, now)

    def _served_meanwhile(self, dish: Dish, finished: set[str]) -> bool:
        """The dead run's wait for the guest at the dish's table finished: served."""
        trip = self.old_trips.get(dish.trip_id or "")
        if trip is None:
            return False
        return any(stop.kind is StopKind.SERVE and dish.dish_id in stop.dishes
                   and f"{trip.trip_id}.{i}/wait" in finished
                   for i, stop in enumerate(trip.stops))

    def _not_on_robot(self, dish: Dish, finished: set[str], now: float, reason: str) -> None:
        """Step 3: a held dish its robot does not carry."""
        parts = self.parts
        if dish.state.final:
            return
        if dish.state.on_robot and self._served_meanwhile(dish, finished):
            while dish.state is not DishState.SERVED:
                dish.move({DishState.LOADED: DishState.ON_THE_WAY,
                           DishState.ON_THE_WAY: DishState.AT_TABLE,
                           DishState.AT_TABLE: DishState.SERVED}[dish.state])
            # When exactly is unknown: it was seen served now.
            dish.at_table_at = dish.at_table_at if dish.at_table_at is not None else now
            dish.served_at = now
            parts.emit(ev.DISH_SERVED, now, Phrase.of(
                "{dish} served at {table} while the controller was down", dish=dish.dish_id,
                table=dish.table), robot=dish.robot, dish_id=dish.dish_id,
                       order_id=dish.order_id)
        elif dish.state is DishState.ASSIGNED:
            dish.move(DishState.READY, reason="put back: the controller restarted before it "
                                              "was loaded")
            dish.trip_id = dish.robot = dish.tray = None
            parts.request_dispatch()
        else:
            parts.book.fail(dish, now, reason)
        parts.store.save_dish(dish)

    def _serve_again(self, rec: RobotRecord, dishes: list[Dish], now: float) -> None:
        """A fresh trip for what is on its trays: its tables in the order the dead
        run planned them; leftovers go back after (``TripWork`` adds that stop)."""
        by_table: dict[str, list[Dish]] = defaultdict(list)
        for dish in sorted(dishes, key=self._planned_rank):
            by_table[dish.table].append(dish)
        stops = tuple(Stop(table, StopKind.SERVE, tuple(d.dish_id for d in group),
                           tuple(d.tray or "" for d in group))
                      for table, group in by_table.items())
        ids = tuple(d.dish_id for d in dishes)
        self.parts.begin_trip(TripPlan(robot=rec.serial, kind=TripKind.SERVE, stops=stops,
                                       dish_ids=ids, est_finish=now,
                                       reason=Phrase.of("serves what it carried when the "
                                                        "controller restarted")), now)
        trip = rec.trip
        assert trip is not None
        for dish in dishes:
            dish.trip_id = trip.trip_id
            self.parts.store.save_dish(dish)
            self.parts.emit(ev.DISH_ASSIGNED, now, Phrase.of(
                "{dish} still on {robot} {tray} after the restart", dish=dish.dish_id,
                robot=rec.serial, tray=str(dish.tray)), robot=rec.serial,
                            dish_id=dish.dish_id, trip_id=trip.trip_id, order_id=dish.order_id)

    def _dish(self, dish_id: str) -> Dish:
        return self.parts.book.dishes[dish_id]

    def _planned_rank(self, dish: Dish) -> tuple[int, str]:
        trip = self.old_trips.get(dish.trip_id or "")
        if trip is not None:
            for i, stop in enumerate(trip.stops):
                if stop.kind is StopKind.SERVE and dish.dish_id in stop.dishes:
                    return (i, dish.dish_id)
        return (1 << 30, dish.dish_id)
