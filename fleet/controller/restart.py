"""A restarted controller takes back the service it was running (DESIGN §9).

The order book comes back from the store whole: orders with their dishes, states,
times and priorities, and the POS resending one of them is a duplicate. Bussing
calls a till was told "ok" for and no robot has collected yet wait for a robot
again. Ready
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
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fleet.controller.commands import Command
from fleet.controller.floor_ops import MANAGER_KINDS
from fleet.controller.robots import RobotRecord
from fleet.controller.trays import match_loads
from fleet.dispatch import TripPlan
from fleet.domain import Dish, DishState, Order, Stop, StopKind, Trip, TripKind, TripState
from fleet.domain import events as ev
from fleet.vda import ActionStatus, ConnectionState, Load, RobotState
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.core import Controller
    from fleet.store.base import Store

log = logging.getLogger(__name__)

REPORT_GRACE_S = 120.0
"""How long a robot may stay silent after a restart before its dishes are decided
without it (the same patience as for a robot gone offline mid-trip)."""
HOLD_LIMIT_S = 60.0
"""How long to wait for a robot to stop the order of the dead run."""
FIRST_REPORT_S = 5.0
"""How long after the start an online robot not yet heard from holds back new legs."""
LOST = "lost in a controller restart: not on any robot's trays"


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

    def __init__(self, ctl: Controller, trips: list[Trip]) -> None:
        self.ctl = ctl
        self.old_trips = {t.trip_id: t for t in trips}
        self.held: dict[str, _Held] = {s: _Held(s) for s in ctl.robots}
        self.loose: list[str] = []
        """Held dishes whose robot this controller does not know."""
        for dish in ctl.book.dishes.values():
            if dish.state is DishState.ASSIGNED or dish.state.on_robot:
                if dish.robot in self.held:
                    self.held[dish.robot].dishes.append(dish.dish_id)
                else:
                    self.loose.append(dish.dish_id)
        self.started_at: float | None = None
        self.decided = False
        """Every held dish has been decided (robots that never came may still be held)."""

    # -- what the core asks ---------------------------------------------------------------
    def aboard(self, serial: str) -> list[tuple[str, str]]:
        """(tray, dish) held for this robot, in the order the dead run would have served
        them: what its reported loads are matched against (tray "" when the record
        has none)."""
        held = self.held.get(serial)
        if held is None:
            return []
        dishes = sorted(map(self.ctl.dish, held.dishes), key=self._planned_rank)
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
                   and not self.ctl.robots[s].in_traffic
                   and self.ctl.robots[s].connection is ConnectionState.ONLINE
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
                commands.append(self.ctl.instant(rec, "cancelOrder", now))
            return commands
        if state.busy:
            self.ctl.emit(ev.ROBOT_ERROR_REPORTED, now, Phrase.of(
                "{robot} did not stop its order from before the restart within {s} s; "
                "placed at the node it reports", robot=rec.serial, s=f"{HOLD_LIMIT_S:.0f}"),
                          robot=rec.serial)
        held.cancel_sent = False  # free to join now
        if not rec.in_traffic:
            self.ctl.join_traffic(rec, now)
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
                self._not_on_robot(self.ctl.dish(dish_id), held.finished, now,
                                   f"lost in a controller restart: {serial} {why}")
        if not self.decided and not any(h.dishes for h in self.held.values()):
            self.decided = True
            self.ctl.emit(ev.CONTROLLER_RESUMED, now, Phrase.of(
                "restart recovery done: every dish that was on a robot is accounted for"))
        if not self.held:
            self.ctl.recovery = None
        return commands

    # -- the steps ------------------------------------------------------------------------
    def _start(self, now: float) -> list[Command]:
        """Once, at the first moment the controller knows the time."""
        if self.started_at is not None:
            return []
        self.started_at = now
        ctl = self.ctl
        for trip in self.old_trips.values():
            trip.state = TripState.ABORTED
            trip.reason = "the controller restarted"
            trip.finished_at = now
            ctl.store.save_trip(trip)
        for dish_id in self.loose:
            dish = ctl.dish(dish_id)
            self._not_on_robot(dish, set(), now, f"{LOST} ({dish.robot} is not in this "
                               "controller's fleet)")
        held = sum(len(h.dishes) for h in self.held.values())
        open_orders = sum(1 for o in ctl.book.orders.values() if o.open)
        ctl.emit(ev.CONTROLLER_RESUMED, now, Phrase.of(
            "controller restarted: {orders} open order(s) taken back, {held} dish(es) held "
            "until their robots report", orders=str(open_orders), held=str(held)))
        return []

    def _settle(self, rec: RobotRecord, held: _Held, state: RobotState, now: float) -> None:
        """Step 2 and 3 of the module docstring, for a robot standing still in traffic."""
        ctl = self.ctl
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
            kept = [d for d in map(ctl.dish, held.dishes)
                    if d.state.on_robot and not self._served_meanwhile(d, held.finished)]
            record = match_loads([Load(d.tray or "", d.dish_id) for d in kept], rec.slots, [])
            on_trays = {dish_id: tray for tray, dish_id in record.trays.items()}
        others = [h for h in self.held.values() if h.dishes]
        carried: list[Dish] = []
        for dish_id, tray in on_trays.items():
            dish = ctl.book.dishes.get(dish_id)
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
            dish = ctl.dish(dish_id)
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
        ctl = self.ctl
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
            ctl.emit(ev.DISH_SERVED, now, Phrase.of(
                "{dish} served at {table} while the controller was down", dish=dish.dish_id,
                table=dish.table), robot=dish.robot, dish_id=dish.dish_id,
                     order_id=dish.order_id)
        elif dish.state is DishState.ASSIGNED:
            dish.move(DishState.READY, reason="put back: the controller restarted before it "
                                              "was loaded")
            dish.trip_id = dish.robot = dish.tray = None
            ctl.request_dispatch()
        else:
            ctl.book.fail(dish, now, reason)
        ctl.save(dish)

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
        self.ctl.work.begin(TripPlan(robot=rec.serial, kind=TripKind.SERVE, stops=stops,
                                     dish_ids=ids, est_finish=now,
                                     reason=Phrase.of("serves what it carried when the "
                                                      "controller restarted")), now)
        trip = rec.trip
        assert trip is not None
        for dish in dishes:
            dish.trip_id = trip.trip_id
            self.ctl.save(dish)
            self.ctl.emit(ev.DISH_ASSIGNED, now, Phrase.of(
                "{dish} still on {robot} {tray} after the restart", dish=dish.dish_id,
                robot=rec.serial, tray=str(dish.tray)), robot=rec.serial,
                          dish_id=dish.dish_id, trip_id=trip.trip_id, order_id=dish.order_id)

    def _planned_rank(self, dish: Dish) -> tuple[int, str]:
        trip = self.old_trips.get(dish.trip_id or "")
        if trip is not None:
            for i, stop in enumerate(trip.stops):
                if stop.kind is StopKind.SERVE and dish.dish_id in stop.dishes:
                    return (i, dish.dish_id)
        return (1 << 30, dish.dish_id)


def clock_shift(store: Store, epoch: float | None) -> float:
    """Seconds to add to the times an earlier run saved, to put them on this run's clock.
    Each run counts on the machine's monotonic clock, which a reboot starts again; the
    runs' wall-clock offsets (their ``ControllerStarted`` events) tie the two."""
    if epoch is None:
        return 0.0
    started = store.events(kinds={ev.CONTROLLER_STARTED})
    old = started[-1].data.get("epoch") if started else None
    return float(old) - epoch if isinstance(old, int | float) else 0.0


def _shift_order(order: Order, shift: float) -> Order:
    if shift:
        order.created_at += shift
        for dish in order.dishes:
            dish.created_at += shift
            for name in ("ready_at", "at_table_at", "served_at"):
                value = getattr(dish, name)
                if value is not None:
                    setattr(dish, name, value + shift)
    return order


def adopt_saved(ctl: Controller, order_id: str) -> bool:
    """Take an order an earlier run saved into the book, open or closed: a till that
    resends a closed order after a restart gets a duplicate, not a second order.
    False when no run ever saved it."""
    saved = ctl.store.order(order_id)
    if saved is None:
        return False
    ctl.book.adopt(_shift_order(saved, ctl.clock_shift))
    return True


def resume(ctl: Controller, epoch: float | None = None) -> None:
    """Take back the open orders and trips of ``ctl.store`` (a controller not yet
    running). Their times are put on this run's clock when both runs told their
    wall-clock offset (``epoch``): after a reboot the machine's monotonic clock starts
    again, and a dish ready for 2 minutes must not look ready for -3 hours."""
    ctl.clock_shift = clock_shift(ctl.store, epoch)
    if ctl.clock_shift:
        log.info("saved times moved by %.1f s onto this run's clock", ctl.clock_shift)
    for order in ctl.store.open_orders():
        ctl.book.adopt(_shift_order(order, ctl.clock_shift))
    restored = ctl.manager.restore(ctl.store.events(kinds=MANAGER_KINDS), now=0.0)
    if restored:
        log.info("restored the manager's settings: %s", "; ".join(restored))
    for table, called_at in ctl.store.bussing_calls():
        # Acknowledged and not yet collected: a robot of the dead run may have been on
        # its way, but that trip is closed below, so the call waits for a robot again.
        ctl.work.bussing_requests.append((table, called_at + ctl.clock_shift))
    if ctl.work.bussing_requests:
        log.info("bussing calls taken back: %s",
                 ", ".join(t for t, _ in ctl.work.bussing_requests))
        ctl.request_dispatch()
    trips = ctl.store.open_trips()
    for trip in trips:
        trip.created_at += ctl.clock_shift
        if trip.finished_at is not None:
            trip.finished_at += ctl.clock_shift
    if trips or any(not d.state.final for d in ctl.book.dishes.values()):
        ctl.recovery = RestartRecovery(ctl, trips)
