"""The controller: orders in, trips out, robots driven leg by leg.

Sans-I/O: every method takes ``now`` and returns the commands to send
(``SendOrder``, ``SendInstantActions``); the runtime sends them over whatever
links it holds. The same core runs under the simulator's virtual clock, over
MQTT, or in a unit test, and never asks which.

Flow: a dish is marked ready -> dispatch makes trips -> each stop of a trip is
one leg (one VDA order) whose route the traffic manager plans and releases
piece by piece -> the robot's state reports (``ingest``) move the route, the
dishes and the trip on -> a freed robot triggers dispatch again. ``tick``
handles what time alone decides: guests who never come, robots gone quiet or
stalled with food aboard, legs that could not be planned yet, deadlocks.

Long because the controller still forwards each client command to the part that owns
it (issue 16, finding 1 names these wrappers to remove), beside the wiring of its
parts.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from fleet.controller.commands import Command, SendInstantActions
from fleet.controller.dispatcher import Dispatcher
from fleet.controller.floor_ops import FloorOps
from fleet.controller.ingest import IngestParts, take_state
from fleet.controller.lateness import tell_late
from fleet.controller.makeway import clear_for_yielders, park_off_the_aisles, step_elsewhere
from fleet.controller.orderbook import OrderBook
from fleet.controller.passhold import end_holds
from fleet.controller.restart import RestartRecovery, ServiceParts
from fleet.controller.retention import Retention
from fleet.controller.robots import RobotRecord, mode_from_state
from fleet.controller.sending import SendParts, release, resend
from fleet.controller.takeback import adopt_saved, resume
from fleet.controller.tripparts import TripParts
from fleet.controller.tripwatch import watch
from fleet.controller.tripwork import TripWork
from fleet.controller.view import FleetWindow
from fleet.controller.watchdog import Watchdog
from fleet.dispatch import Policy, TravelTimes
from fleet.domain import Dish, DishState, Priority, RobotMode, RobotModel, Trip
from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.errors import OrderError
from fleet.floor import FloorPlan
from fleet.intake import OrderRequest
from fleet.link import Capabilities
from fleet.routing import StationFields
from fleet.store.base import Store
from fleet.traffic import TrafficManager
from fleet.vda import Action, BlockingType, ConnectionState, RobotState
from fleet.words import N_, Phrase, text

log = logging.getLogger(__name__)

STATE_STALE_S = 45.0
"""VDA 5050 vehicles report at least every 30 s; quiet for longer means trouble."""
RESEND_AFTER_S = 5.0
TICK_S = 1.0
DEADLOCK_MEMORY_S = 15.0
JOIN_GRACE_S = 10.0
EVENTS_KEPT = 2_000
"""Events held in memory; older ones are in the store only. A busy floor emits 3,000
to 12,000 an hour, so the cap is reached in the first hour: one reached late in the
day (10,000 once) reads as memory growing for hours. Readers follow them every few
seconds (``events_since``)."""
"""At start-up, how long to wait for every configured robot to report where it is."""
_INSTEAD = {
    "pick": "staff load it while it waits at the pass, until its trays show the dish (or "
            "{dwell:g} s when it cannot sense them)",
    "drop": "a dish counts as presented when it arrives at the table; at the dish return it "
            "waits until its trays are empty (or {dwell:g} s)",
    "serve_wait": "it waits at the table until its trays are empty (or {dwell:g} s when it "
                  "cannot sense them)",
    "dock": "it stops at the charger without docking precisely",
    "charge": "it is never sent to charge: charge it by hand (its low battery is told)",
}
"""What is done instead of each piece of work (``ActionProfile`` role) a vehicle lacks."""
_CONNECTION = {
    ConnectionState.ONLINE: N_("{robot} online"),
    ConnectionState.OFFLINE: N_("{robot} offline"),
    ConnectionState.CONNECTIONBROKEN: N_("{robot} connectionbroken"),
}
"""A robot's link as the events log says it (VDA 5050's words, lower case)."""


class Controller:
    def __init__(self, plan: FloorPlan, models: Mapping[str, RobotModel], *, policy: Policy,
                 store: Store, fields: StationFields, traffic: TrafficManager,
                 guest_timeout_s: float = 90.0, cold_food_s: float = 300.0,
                 stall_abort_s: float = 180.0, no_progress_s: float = 60.0,
                 run_id: str | None = None) -> None:
        self.run_id = run_id if run_id is not None else secrets.token_hex(3)
        """Part of every orderId sent; random unless given (simulations fix it)."""
        self.plan = plan
        self.fields = fields
        self.traffic = traffic
        self.store = store
        self.policy = policy
        self.guest_timeout_s = guest_timeout_s
        self.cold_food_s = cold_food_s
        self.stall_abort_s = min(stall_abort_s, cold_food_s)
        """A trip with food riding on it that makes no progress this long is given up:
        never later than the food goes cold."""
        self.no_progress_s = min(no_progress_s, self.stall_abort_s)
        """A robot with food riding on it that makes no progress this long is reported."""
        self.events: list[Event] = []
        """The latest events (at most ``EVENTS_KEPT``); all of them are in the store."""
        self.events_trimmed = 0
        self._late_tables: set[str] = set()
        """Tables whose late dishes the manager was told of, until they leave the pass."""
        """Events dropped from the front of ``events`` so far."""
        self.robots: dict[str, RobotRecord] = {
            serial: RobotRecord(serial=serial, model=model) for serial, model in models.items()}
        max_trays = max((m.trays for m in models.values()), default=1)
        self.book = OrderBook(plan, max_trays=max_trays, emit=self._emit)
        self.times = {m.name: TravelTimes(plan, m, fields) for m in models.values()}
        self.trips: dict[str, Trip] = {}
        self.view = FleetWindow(plan, MappingProxyType(self.robots), traffic)
        """The fleet as the parts that only read it see it (``FleetView``)."""
        # Trip work reads the watchdog's phases, and the watchdog asks trip work to send
        # a robot elsewhere: the watchdog is built first and reaches trip work when asked.
        # The manager's operations ask trip work for trips, so they come after it, and
        # trip work reaches them (their closures) when asked in the same way.
        self.watchdog = Watchdog(
            self.view, emit=self.emit,
            step_elsewhere=lambda rec, now: step_elsewhere(self.work, rec, now))
        self.work = TripWork(TripParts(
            plan, self.robots, traffic, self.book, store, self.trips, self.times, policy,
            phases=self.watchdog, closures=lambda: self.manager,
            recovery=lambda: self.recovery, emit=self.emit, instant=self.instant,
            set_mode=self.set_mode, request_dispatch=self.request_dispatch,
            new_trip_id=self.new_trip_id, run_id=self.run_id,
            guest_timeout_s=self.guest_timeout_s, cold_food_s=self.cold_food_s,
            stall_abort_s=self.stall_abort_s, no_progress_s=self.no_progress_s))
        self._dispatcher = Dispatcher(self.work)
        self.manager = FloorOps(plan, self.robots, traffic=traffic, book=self.book, store=store,
                                times=self.times, trips=self.work, emit=self.emit,
                                instant=self.instant, request_dispatch=self.request_dispatch)
        self._ingest = IngestParts(plan, traffic, dish=self.dish, trips=self.work, emit=self.emit,
                                   join_traffic=self.join_traffic, set_mode=self.set_mode,
                                   recovery=lambda: self.recovery)
        self._sending = SendParts(plan, traffic, self.robots, instant=self.instant,
                                  emit=self.emit, abort_trip=self.work.abort)
        self.retention = Retention(self.robots, self.trips, self.book)
        """Lets closed orders and finished trips go from memory (the store keeps them)."""
        self._id_seq = 0
        """Numbers trip ids and instant-action ids alike: one counter, so no two ids
        this run makes share a number."""
        self._next_tick = 0.0
        self._dispatch_due = False
        self._started_at: float | None = None
        self._deadlocks: dict[tuple[str, ...], tuple[str, float]] = {}
        self.clock_shift = 0.0
        """Added to times an earlier run saved (see ``takeback.clock_shift``)."""
        self.recovery: RestartRecovery | None = None
        """A restart being reconciled with the robots (``fleet.controller.restart``)."""

    # -- events -----------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        self.events.append(event)
        if len(self.events) > EVENTS_KEPT:
            # A long day must not grow memory: the store keeps every event; here only
            # the latest, for readers that follow them (``events_since``).
            cut = len(self.events) - EVENTS_KEPT // 2
            del self.events[:cut]
            self.events_trimmed += cut
        self.store.record(event)
        log.debug("%s %s", event.kind, event.text)

    def events_since(self, cursor: int) -> tuple[list[Event], int]:
        """Events from the ``cursor``-th ever emitted on (those still kept), and the
        cursor to pass next time."""
        start = max(cursor - self.events_trimmed, 0)
        return self.events[start:], self.events_trimmed + len(self.events)

    def emit(self, kind: str, now: float, text: str | Phrase, *, robot: str | None = None,
             order_id: str | None = None, dish_id: str | None = None,
             trip_id: str | None = None, data: Mapping[str, Any] | None = None,
             words: Phrase | None = None) -> None:
        """Record an event. ``text`` given as a phrase is its English and its words at
        once, so the two cannot drift apart; ``words`` is for an event whose English
        says more than can be put in words (a detail that stays as written)."""
        if isinstance(text, Phrase):
            words = text if words is None else words
            text = str(text)
        self._emit(Event(kind, now, robot=robot, order_id=order_id, dish_id=dish_id,
                         trip_id=trip_id, text=text, words=words,
                         data=MappingProxyType({}) if data is None else data))

    def new_trip_id(self) -> str:
        self._id_seq += 1
        return f"trip-{self.run_id}-{self._id_seq}"

    def take_back_service(self, epoch: float | None = None) -> None:
        """Take back what an earlier run left in the store, before the first input
        (``fleet.controller.takeback``, handed the parts it and the recovery work on)."""
        parts = ServiceParts(robots=self.robots, book=self.book, store=self.store,
                             emit=self.emit, instant=self.instant,
                             join_traffic=self.join_traffic,
                             request_dispatch=self.request_dispatch, begin_trip=self.work.begin)
        self.clock_shift, self.recovery = resume(parts, self.manager, self.work.bussing_requests,
                                                 epoch)

    # -- intake (the POS, the kitchen display, the manager) ------------------------------
    def take_back_order(self, order_id: str) -> bool:
        """Whether the id is taken, by this run or an earlier one. An earlier run's
        order found in the store is taken into the book on the way (``takeback``): that
        is what makes a till's resend after a restart a duplicate, not a new order."""
        return order_id in self.book.orders or adopt_saved(self.store, self.book,
                                                           self.clock_shift, order_id)

    def submit(self, request: OrderRequest, now: float) -> list[Command]:
        self.take_back_order(request.order_id)  # a saved order with this id is a duplicate
        order = self.book.submit(request, now)
        self.store.save_order(order)
        return []

    def mark_ready(self, order_id: str, index: int, now: float) -> list[Command]:
        self.take_back_order(order_id)  # one let go from memory comes back from the store
        dish = self.book.mark_ready(order_id, index, now)
        if dish is not None:
            self.store.save_dish(dish)
            self._dispatch_due = True
        return self._after(now)

    def expect_ready(self, order_id: str, index: int, in_s: float,
                     now: float) -> list[Command]:
        """The kitchen's estimate for a cooking dish: kept (and saved, so a restart keeps
        it) for a robot about to leave its pass for its table to weigh waiting for it.
        Nothing is dispatched on it (only a ready dish is), so it runs no round either:
        a kitchen that tells changes nothing until a robot weighs what it told."""
        self.take_back_order(order_id)
        dish = self.book.expect_ready(order_id, index, in_s, now)
        if dish is not None:
            self.store.save_dish(dish)
        return []

    def cancel(self, order_id: str, reason: str, now: float) -> list[Command]:
        self.take_back_order(order_id)
        order = self.book.orders.get(order_id)
        if order is None:
            raise OrderError(f"unknown order {order_id!r}")
        cancelled = []
        for dish in order.dishes:
            if not dish.state.final:
                self.book.cancel_dish(dish, now, reason)
                self.store.save_dish(dish)
                cancelled.append(dish.dish_id)
        self.emit(ev.ORDER_CANCELLED, now, Phrase.of("order {order} cancelled: {reason}",
                                                     order=order_id, reason=text(reason)),
                  order_id=order_id)
        return self.work.dishes_cancelled(cancelled, now) + self._after(now)

    def served_by_staff(self, table: str, now: float, reason: str = "") -> list[Command]:
        """Staff carried the dishes waiting at the pass for ``table`` (ready, or given
        to a robot that has not loaded them yet): they end, and trips drop them.
        The way out for a table robots cannot reach, or a fleet short of robots."""
        dishes = [d for d in self.book.dishes.values() if d.table == table
                  and d.state in (DishState.READY, DishState.ASSIGNED)]
        if not dishes:
            raise OrderError(f"no dish for table {table!r} is waiting at the pass")
        why = reason or "served by staff"
        for dish in dishes:
            self.book.by_staff(dish, now, why)
            self.store.save_dish(dish)
        return self.work.dishes_cancelled([d.dish_id for d in dishes], now) + self._after(now)

    def request_bussing(self, table: str, now: float) -> list[Command]:
        """Once per table until a robot goes: a call made again (a till resending
        after no answer, a second press) changes nothing, so tills may resend it.
        Kept in the store until a robot has collected there (``takeback.resume``
        takes it back): the till that heard "ok" does not call again."""
        if self.work.bussing_due(table):
            return []
        self.store.save_bussing_call(table, now)  # before the till is told "ok"
        self.work.bussing_requests.append((table, now))
        self._dispatch_due = True
        return self._after(now)

    # -- robots ---------------------------------------------------------------
    def robot_connected(self, serial: str, capabilities: Capabilities, now: float = 0.0) -> None:
        """What the robot can do, from its factsheet (or the link's configured stand-in
        for one); called again whenever it may have changed. Each action of its model's
        profile the vehicle does not list is told once, with what is done instead: it
        is never sent (``fleet.controller.stops``)."""
        rec = self.robots[serial]
        rec.capabilities = capabilities
        missing = rec.model.actions.missing(capabilities.supported_actions)
        for role, kind in missing:
            if kind in rec.unsupported_told:
                continue
            instead = _INSTEAD[role].format(dwell=rec.model.actions.dwell_s)
            log.warning("%s: factsheet lacks action %r (%s)", serial, kind, role)
            self.emit(ev.ACTION_UNSUPPORTED, now, f"{serial} does not list action {kind!r} "
                      f"({role}) in its factsheet, so it is not sent: {instead}", robot=serial,
                      data={"action": kind, "role": role})
        rec.unsupported_told = frozenset(kind for _, kind in missing)

    def on_connection(self, serial: str, state: ConnectionState, now: float) -> list[Command]:
        rec = self.robots.get(serial)
        if rec is None:
            return []
        rec.connection = state
        self.emit(ev.ROBOT_CONNECTION_CHANGED, now, Phrase.of(_CONNECTION[state], robot=serial),
                  robot=serial)
        if rec.state is not None:
            self.set_mode(rec, now)
        return self._after(now)

    def on_state(self, state: RobotState, now: float) -> list[Command]:
        rec = self.robots.get(state.serial)
        if rec is None:
            log.warning("state from unknown robot %s ignored", state.serial)
            return []
        return take_state(self._ingest, rec, state, now) + self._after(now)

    def join_traffic(self, rec: RobotRecord, now: float) -> None:
        """A robot is planned around only once traffic knows where it stands."""
        assert rec.cell is not None
        try:
            self.traffic.add_robot(rec.serial, rec.cell, step_s=self.plan.resolution /
                                   rec.model.speed, now=now,
                                   turn_s=rec.model.turn_time + rec.model.speed /
                                   rec.model.acceleration)
        except ValueError as exc:
            # Another robot was released onto it while it was unknown: wait for it to clear.
            rec.note_words = Phrase.of("waiting to join traffic: {reason}", reason=text(str(exc)))
            rec.note = str(rec.note_words)
            log.warning("%s cannot join traffic yet: %s", rec.serial, exc)
            return
        rec.in_traffic = True
        self._dispatch_due = True

    def request_dispatch(self) -> None:
        """Something changed that dispatch should see (a robot freed, a dish back)."""
        self._dispatch_due = True

    def set_mode(self, rec: RobotRecord, now: float) -> None:
        if rec.state is None:
            return
        busy = rec.trip is not None
        mode = mode_from_state(rec.state, stale=rec.stale, connection=rec.connection, busy=busy,
                               map_id=rec.model.map_id)
        if mode is rec.mode:
            return
        old, rec.mode = rec.mode, mode
        self.emit(ev.ROBOT_MODE_CHANGED, now,
                  Phrase.of("{robot}: {old} -> {new}", robot=rec.serial,
                            old=Phrase.of(old.value), new=Phrase.of(mode.value)),
                  robot=rec.serial)
        if rec.in_traffic:
            if mode.available:
                self.traffic.unhold(rec.serial)
            else:
                self.traffic.hold(rec.serial, mode.value)
        if mode in (RobotMode.FAULT, RobotMode.MANUAL) and rec.trip is not None:
            self.work.abort(rec, now, f"{rec.serial} {mode.value}")
        if mode.available and not old.available:
            self._dispatch_due = True

    # -- manager commands (see ``floor_ops``) ----------------------------------------
    def pause(self, serial: str, now: float) -> list[Command]:
        return self.manager.pause(serial, now) + self._after(now)

    def resume(self, serial: str, now: float) -> list[Command]:
        return self.manager.resume(serial, now) + self._after(now)

    def stop_all(self, now: float) -> list[Command]:
        return self.manager.stop_all(now) + self._after(now)

    def release_all(self, now: float) -> list[Command]:
        return self.manager.release_all(now) + self._after(now)

    def send_to_charge(self, serial: str, now: float) -> list[Command]:
        return self.manager.send_to_charge(serial, now) + self._after(now)

    def send_to_dock(self, serial: str, now: float) -> list[Command]:
        return self.manager.send_to_dock(serial, now) + self._after(now)

    def block_table(self, table: str, reason: str, now: float) -> list[Command]:
        return self.manager.block_table(table, reason, now) + self._after(now)

    def unblock_table(self, table: str, now: float) -> list[Command]:
        return self.manager.unblock_table(table, now) + self._after(now)

    def block_zone(self, zone: str, reason: str, now: float,
                   rect: tuple[float, float, float, float] | None = None) -> list[Command]:
        return self.manager.block_zone(zone, reason, now, rect) + self._after(now)

    def unblock_zone(self, zone: str, now: float) -> list[Command]:
        return self.manager.unblock_zone(zone, now) + self._after(now)

    def set_priority(self, order_id: str, priority: Priority, now: float) -> list[Command]:
        return self.manager.set_priority(order_id, priority, now) + self._after(now)

    def instant(self, rec: RobotRecord, action_type: str, now: float) -> SendInstantActions:
        """An instant action, remembered until the robot's state lists it: one lost on
        the way (a dropped link) is sent again."""
        self._id_seq += 1
        action = Action(action_type, f"{action_type}-{self.run_id}-{self._id_seq}",
                        BlockingType.HARD)
        rec.supersede(action_type)
        rec.unconfirmed[action.action_id] = (action, now)
        if action_type == "cancelOrder":
            rec.cancels[action.action_id] = rec.state.order_id if rec.state is not None else ""
        return SendInstantActions(rec.serial, (action,))

    # -- time ---------------------------------------------------------------------
    def next_wakeup(self) -> float:
        return self._next_tick

    def tick(self, now: float) -> list[Command]:
        """Run what time alone decides; call at or after ``next_wakeup()``."""
        self._next_tick = now + TICK_S
        commands = self.recovery.on_tick(now) if self.recovery is not None else []
        if self.recovery is not None and self.recovery.over:
            self.recovery = None
        for rec in self.robots.values():
            if (rec.state is not None and not rec.stale
                    and now - rec.last_state_at > STATE_STALE_S):
                rec.stale = True
                self.set_mode(rec, now)
            commands += watch(self.work, rec, now)
            if rec.unconfirmed and rec.connection is ConnectionState.ONLINE:
                late = [a for a, sent in rec.unconfirmed.values() if now - sent > RESEND_AFTER_S]
                if late:
                    for action in late:
                        rec.unconfirmed[action.action_id] = (action, now)
                    commands.append(SendInstantActions(rec.serial, tuple(late)))
            leg = rec.leg
            if (leg is not None and not leg.acknowledged and rec.connection is
                    ConnectionState.ONLINE
                    and (leg.refused_now or now - leg.sent_at > RESEND_AFTER_S)):
                commands += resend(self._sending, rec, now)
        for deadlock in self.traffic.resolve_deadlocks(now=now):
            if deadlock.kind != "cycle":
                # A robot waiting on one that stays past its dwell (a slow guest) or
                # is held: the everyday case, for the log, not an alert; it is told
                # as a stall when it lasts (``tripwork``'s progress watch).
                if deadlock.recovered:
                    said = f"{deadlock.reason}: {deadlock.action}"
                    self.emit(ev.TRAFFIC_STALL, now, said,
                              words=Phrase.of("stall broken: {detail}", detail=text(said)))
                continue
            key = tuple(sorted(deadlock.robots))
            known = self._deadlocks.get(key)
            if known is None or known[0] != deadlock.reason:
                self.emit(ev.DEADLOCK_DETECTED, now, deadlock.reason,
                          words=Phrase.of("deadlock: {detail}", detail=text(deadlock.reason)))
            self._deadlocks[key] = (deadlock.reason, now)
            if deadlock.recovered:
                self.emit(ev.DEADLOCK_RESOLVED, now, deadlock.action,
                          words=Phrase.of("deadlock broken: {detail}",
                                          detail=text(deadlock.action)))
                del self._deadlocks[key]
        # Traffic reports a lasting situation again at each retry: tell people once,
        # and again only after it has been gone for a while.
        self._deadlocks = {k: v for k, v in self._deadlocks.items()
                           if now - v[1] < DEADLOCK_MEMORY_S}
        tell_late(self.waiting_dishes(), self.manager, self.robots, emit=self.emit,
                  told=self._late_tables, now=now)
        self.retention.sweep(now)
        self.watchdog.observe(now)
        self.watchdog.check(now)
        clear_for_yielders(self.work, now)
        park_off_the_aisles(self.work, self.work.idle_robots(), now)
        if (any(True for _ in self.book.waiting()) or self.work.bussing_requests
                or any(r.trip is None and r.to_unload() for r in self.robots.values())):
            self._dispatch_due = True
        return commands + self._after(now)

    # -- the common tail of every input ----------------------------------------------
    def _after(self, now: float) -> list[Command]:
        commands: list[Command] = []
        if self._dispatch_due and not self._joining(now):
            self._dispatch_due = False
            self._dispatcher.dispatch(now)
        end_holds(self.work, now)  # a dish waited for may have come, or time run out
        commands += self.work.start_pending_legs(now)
        commands += release(self._sending, now)
        return commands

    def _joining(self, now: float) -> bool:
        """Robots not yet placed in traffic that are online, or may still come online
        at start-up: moving others now could run into them. An online robot with no
        place on the floor at all (no position, or one off the plan) stops holding the
        site back after ``JOIN_GRACE_S``: it is left out (no trip while out of traffic)
        and the manager is told why."""
        if self._started_at is None:
            self._started_at = now
        starting = now - self._started_at < JOIN_GRACE_S
        waiting = False
        for r in self.robots.values():
            if r.in_traffic or r.connection is not ConnectionState.ONLINE:
                r.unplaced_since, r.unplaced_told = None, False
                waiting = waiting or (starting and not r.in_traffic)
                continue
            if r.unplaced_since is None:
                r.unplaced_since = now
            if now - r.unplaced_since < JOIN_GRACE_S or r.cell is not None:
                # A robot whose cell is known but taken still holds the others: moving
                # them now could run into it where it stands.
                waiting = True
            if r.cell is None and now - r.unplaced_since >= JOIN_GRACE_S and not r.unplaced_told:
                r.unplaced_told = True
                reason = self._unplaced_reason(r)
                self.emit(ev.ROBOT_UNPLACED, now, Phrase.of(
                    "{robot} is online but cannot be placed on the floor: {reason}; the "
                    "others carry on without it", robot=r.serial, reason=text(reason)),
                          robot=r.serial, data={"reason": reason})
                r.note = f"cannot be placed on the floor: {reason}"
        return waiting

    def _unplaced_reason(self, rec: RobotRecord) -> str:
        """Why a robot with no cell has none (called only for those)."""
        state = rec.state
        if state is None:
            return "it has sent no state"
        if state.position is not None:
            return (f"its position ({state.position.x:.2f}, {state.position.y:.2f}) m is "
                    f"off the plan or inside an obstacle")
        if not state.last_node_id:
            return "its state has no position and no last node"
        return f"its last node {state.last_node_id!r} is not one of this floor's"

    # -- reads (state ingestion, the port, the manager's lateness) -----------------------
    def dish(self, dish_id: str) -> Dish:
        return self.book.dishes[dish_id]

    def waiting_dishes(self) -> list[Dish]:
        """Dishes ready at the pass, not yet given to a robot (``OrderBook.waiting``)."""
        return list(self.book.waiting())
