"""The floor manager's hands on the controller: pause and resume robots, stop the
whole floor, dock or charge a robot, close a table or an area, hurry an order.

Kept apart from ``core`` so that the rules of what a manager may do, and the
refusals that say why not, read in one place. Every operation takes ``now``,
records an event a person can read, and returns the instant actions to send;
the controller then runs its usual tail (dispatch, legs, release). A command
that names something the site does not have, or cannot be done now, raises
``CommandError`` with a stable ``code`` and the request ``field`` at fault, and
changes nothing.

It holds no controller: ``core`` hands it the robot records, the floor plan, the
traffic manager, the order book and the store it works on, and as callables what it
asks of others (an event recorded, an instant action, dispatch woken, trips begun
or given up through ``TripHands``), so the rules read, and are tested, without the
controller around them.

Long because each of the manager's dozen operations carries its own refusals, and
they share the robot, table and zone look-ups.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from fleet.controller.commands import Command
from fleet.controller.orderbook import OrderBook
from fleet.controller.robots import Instant, RobotRecord
from fleet.dispatch import TravelTimes, TripPlan
from fleet.domain import DishState, Priority, Stop, StopKind, TripKind
from fleet.domain import events as ev
from fleet.domain.events import Emit, Event
from fleet.errors import CommandError
from fleet.floor import FloorPlan, Place, PlaceKind
from fleet.floor.model import Cell
from fleet.words import N_, Phrase, text

PRIORITY_WORDS: dict[Priority, str] = {Priority.HIGH: N_("high"),
                                        Priority.NORMAL: N_("normal")}
"""A priority's word in the events log (the English is its name)."""
MANAGER_KINDS = frozenset({ev.TABLE_BLOCKED, ev.TABLE_UNBLOCKED, ev.ZONE_BLOCKED,
                           ev.ZONE_UNBLOCKED, ev.ROBOT_PAUSED, ev.ROBOT_RESUMED,
                           ev.ROBOT_SENT_TO_DOCK, ev.ALL_STOPPED, ev.ALL_RELEASED})
"""The events that carry the manager's settings (see ``FloorOps.restore``)."""

if TYPE_CHECKING:
    from fleet.store.base import Store
    from fleet.traffic import TrafficManager

_NOT_LOADED = (DishState.RECEIVED, DishState.READY, DishState.ASSIGNED)


class TripHands(Protocol):
    """What the manager's operations ask of trip work (``TripWork``): a robot sent to
    charge or to its dock gives up its trip and begins another, to a spot no other
    robot claims."""

    def abort(self, rec: RobotRecord, now: float, reason: str) -> None: ...

    def begin(self, plan: TripPlan, now: float) -> None: ...

    def start_charging_trip(self, rec: RobotRecord, now: float) -> None: ...

    def claimed_cells(self, besides: str | None = None) -> set[Cell]: ...


class FloorOps:
    """The manager's commands and the state they leave (blocked tables and zones,
    the floor stopped), over the parts ``core`` hands it."""

    def __init__(self, plan: FloorPlan, robots: Mapping[str, RobotRecord], *,
                 traffic: TrafficManager, book: OrderBook, store: Store,
                 times: Mapping[str, TravelTimes], trips: TripHands, emit: Emit,
                 instant: Instant, request_dispatch: Callable[[], None]) -> None:
        self.plan = plan
        self.robots = robots
        """The fleet's records: the manager pauses, docks and releases robots on them."""
        self.traffic = traffic
        """Closes and reopens zones (routes are planned round them)."""
        self.book = book
        self.store = store
        self.times = times
        """Travel times by model name, to pick the nearest free dock."""
        self.trips = trips
        self.emit = emit
        self.instant = instant
        self.request_dispatch = request_dispatch
        self.blocked_tables: dict[str, str] = {}
        """table -> the manager's reason."""
        self.blocked_zones: dict[str, str] = {}
        """zone -> the manager's reason."""
        self.areas: dict[str, frozenset[Cell]] = {}
        """Areas the manager drew (not zones of the plan), by name, kept after unblocking."""
        self.stopped_all = False
        self.paused_before_stop: set[str] = set()
        """Robots the manager had paused one by one when everything was stopped."""

    # -- names ------------------------------------------------------------------------
    def robot(self, serial: str) -> RobotRecord:
        rec = self.robots.get(serial)
        if rec is None:
            known = ", ".join(sorted(self.robots)) or "none"
            raise CommandError(f"no robot {serial!r} in this fleet (robots: {known})",
                               code="unknown_robot", field="serial")
        return rec

    def table(self, name: str) -> Place:
        try:
            place = self.plan.place(name)
        except KeyError:
            place = None
        if place is None or place.kind is not PlaceKind.TABLE:
            raise CommandError(f"no table {name!r} on floor plan {self.plan.name!r}",
                               code="unknown_table", field="table")
        return place

    # -- robots -----------------------------------------------------------------------
    def pause(self, serial: str, now: float) -> list[Command]:
        rec = self.robot(serial)
        rec.paused_by_manager = True
        self.emit(ev.ROBOT_PAUSED, now,
                  Phrase.of("{robot} paused by the manager", robot=serial), robot=serial)
        return [self.instant(rec, "startPause", now)]

    def resume(self, serial: str, now: float) -> list[Command]:
        """Back to work: unpaused, and on duty again if it was sent to its dock."""
        rec = self.robot(serial)
        paused = rec.paused_by_manager or (rec.state is not None and rec.state.paused)
        was = "off duty" if rec.off_duty is not None and not paused else "paused"
        rec.paused_by_manager = False
        rec.off_duty = None
        rec.withdrawn = ""
        self.request_dispatch()
        self.emit(ev.ROBOT_RESUMED, now,
                  Phrase.of("{robot} back to work (off duty until now)"
                            if was == "off duty" else
                            "{robot} back to work (paused until now)", robot=serial),
                  robot=serial)
        if was == "off duty":
            return []
        return [self.instant(rec, "stopPause", now)]

    def stop_all(self, now: float) -> list[Command]:
        """Every robot pauses where it stands; ``release_all`` lets them go on (those the
        manager had paused one by one before stay paused)."""
        commands: list[Command] = []
        already = sorted(s for s, r in self.robots.items() if r.paused_by_manager)
        for serial in sorted(self.robots):
            rec = self.robots[serial]
            rec.paused_by_manager = True
            commands.append(self.instant(rec, "startPause", now))
        if not self.stopped_all:
            self.paused_before_stop = set(already)
        self.stopped_all = True
        self.emit(ev.ALL_STOPPED, now, Phrase.of("all {n} robots stopped by the manager",
                                                 n=str(len(commands))),
                  data={"stopped_all": True, "already_paused": already})
        return commands

    def release_all(self, now: float) -> list[Command]:
        """Every robot the stop paused goes on; one the manager had paused by itself
        before stays paused, and robots sent to their dock stay off duty."""
        commands: list[Command] = []
        kept = sorted(self.paused_before_stop & set(self.robots))
        for serial in sorted(self.robots):
            if serial in self.paused_before_stop:
                continue
            rec = self.robots[serial]
            rec.paused_by_manager = False
            commands.append(self.instant(rec, "stopPause", now))
        self.stopped_all = False
        self.paused_before_stop = set()
        self.request_dispatch()
        said = Phrase.of("{n} robots released", n=str(len(commands)))
        if kept:
            said = Phrase.of("{said}; {robots} still paused", said=said, robots=", ".join(kept))
        self.emit(ev.ALL_RELEASED, now, said,
                  data={"stopped_all": False, "still_paused": kept})
        return commands

    def _free_now(self, rec: RobotRecord, what: str) -> None:
        """Refuse to take a robot off dishes, or one traffic does not know yet."""
        trip = rec.trip
        if rec.loaded or rec.to_unload():
            raise CommandError(f"{rec.serial} has dishes on its trays: it can be sent {what} "
                               f"after its trip", code="refused", field="serial")
        if trip is not None and trip.kind in (TripKind.SERVE, TripKind.BUS):
            raise CommandError(f"{rec.serial} is on a {trip.kind.value} trip ({trip.trip_id}): "
                               f"it can be sent {what} after it", code="refused", field="serial")
        if rec.cell is None or not rec.in_traffic:
            raise CommandError(f"{rec.serial} has not reported where it is yet",
                               code="refused", field="serial")

    def send_to_charge(self, serial: str, now: float) -> list[Command]:
        rec = self.robot(serial)
        self._free_now(rec, "to charge")
        if not self.plan.places_of(PlaceKind.CHARGER):
            raise CommandError(f"floor plan {self.plan.name!r} has no charger",
                               code="refused", field="serial")
        if rec.trip is not None:
            self.trips.abort(rec, now, f"{serial} sent to charge by the manager")
        self.trips.start_charging_trip(rec, now)
        return []

    def send_to_dock(self, serial: str, now: float) -> list[Command]:
        """A parking trip to a free parking spot (else a free charger, where it also
        charges); off duty there until ``resume``."""
        rec = self.robot(serial)
        self._free_now(rec, "to its dock")
        dock = self._dock_for(rec)
        if dock is None:
            raise CommandError(f"no free parking spot or charger for {serial}",
                               code="refused", field="serial")
        work = self.trips
        if rec.trip is not None:
            work.abort(rec, now, f"{serial} sent to its dock by the manager")
        rec.off_duty = dock.name
        assert rec.cell is not None
        if rec.cell not in dock.cells:
            charger = dock.kind is PlaceKind.CHARGER
            kind = (TripKind.CHARGE, StopKind.CHARGE) if charger else (TripKind.PARK,
                                                                         StopKind.PARK)
            work.begin(TripPlan(robot=serial, kind=kind[0], stops=(Stop(dock.name, kind[1]),),
                                dish_ids=(), est_finish=now,
                                reason=Phrase.of("sent to its dock")), now)
        self.emit(ev.ROBOT_SENT_TO_DOCK, now,
                  Phrase.of("{robot} off duty at dock {dock} until resumed", robot=serial,
                            dock=dock.name), robot=serial,
                  data={"dock": dock.name})
        return []

    def _dock_for(self, rec: RobotRecord) -> Place | None:
        plan = self.plan
        assert rec.cell is not None
        for kind in (PlaceKind.PARKING, PlaceKind.CHARGER):
            for place in plan.places_of(kind):
                if rec.cell in place.cells:
                    return place  # already there
        claimed = self.trips.claimed_cells(besides=rec.serial) | self.closed_cells()
        times = self.times[rec.model.name]
        for kind in (PlaceKind.PARKING, PlaceKind.CHARGER):
            free = [p for p in plan.places_of(kind) if any(c not in claimed for c in p.cells)]
            reachable = [(times.from_cell(rec.cell, p.name), p.name, p) for p in free]
            reachable = [r for r in reachable if math.isfinite(r[0])]
            if reachable:
                return min(reachable)[2]
        return None

    # -- tables -----------------------------------------------------------------------
    def block_table(self, table: str, reason: str, now: float) -> list[Command]:
        """No new trip goes to the table; its ready dishes wait. Robots already on
        their way there finish."""
        name = self.table(table).name
        self.blocked_tables[name] = reason
        coming = sorted(r.serial for r in self.robots.values() if r.trip is not None
                        and any(s.place == name and s.kind in (StopKind.SERVE, StopKind.COLLECT)
                                for s in r.trip.stops[r.trip.next_stop:]))
        said = _reasoned(Phrase.of("{table} blocked", table=name), reason)
        if coming:
            said = Phrase.of("{said}; {robots} already on the way there finishes"
                             if len(coming) == 1 else
                             "{said}; {robots} already on the way there finish",
                             said=said, robots=", ".join(coming))
        self.emit(ev.TABLE_BLOCKED, now, said, data={"table": name, "reason": reason})
        return []

    def unblock_table(self, table: str, now: float) -> list[Command]:
        """Its waiting dishes go out again. Unblocking an open table changes nothing."""
        name = self.table(table).name
        if self.blocked_tables.pop(name, None) is None:
            return []
        waiting = sum(1 for d in self.book.waiting() if d.table == name)
        self.request_dispatch()
        self.emit(ev.TABLE_UNBLOCKED, now,
                  Phrase.of("{table} unblocked; {n} waiting dish go out" if waiting == 1
                            else "{table} unblocked; {n} waiting dishes go out",
                            table=name, n=str(waiting)),
                  data={"table": name})
        return []

    def closed_tables(self) -> set[str]:
        """Tables no new trip may go to: blocked, or every serving spot closed."""
        closed = set(self.blocked_tables)
        shut = self.closed_cells()
        if shut:
            closed |= {t.name for t in self.plan.tables if t.cells
                       and all(c in shut for c in t.cells)}
        return closed

    # -- zones ------------------------------------------------------------------------
    def block_zone(self, zone: str, reason: str, now: float,
                   rect: Sequence[float] | None = None) -> list[Command]:
        """Keep robots out of a zone of the plan, or of the area ``rect`` = [x0, y0, x1, y1]
        metres given that name. Routes through it are planned round it; a robot that
        cannot get round stops at the end of what it was released, and tries again."""
        cells = self._zone_cells(zone, rect)
        stopped = self.traffic.close(zone, sorted(cells), now=now)
        self.blocked_zones[zone] = reason
        for serial in stopped:
            rec = self.robots.get(serial)
            if rec is not None and rec.trip is not None and rec.leg is not None:
                rec.rerouting = True
        said = _reasoned(Phrase.of("zone {zone} blocked ({n} cells)", zone=zone,
                                   n=str(len(cells))), reason)
        if stopped:
            said = Phrase.of("{said}; {robots} stop short of it and look for another way",
                             said=said, robots=", ".join(stopped))
        inside = sorted(r.serial for r in self.robots.values() if r.cell in cells)
        if inside:
            said = Phrase.of("{said}; {robots} inside may leave", said=said,
                             robots=", ".join(inside))
        self.emit(ev.ZONE_BLOCKED, now, said, data={
            "zone": zone, "reason": reason, "rect": None if rect is None else list(rect)})
        self.request_dispatch()
        return []

    def unblock_zone(self, zone: str, now: float) -> list[Command]:
        if zone not in self.blocked_zones:
            if zone in self.areas or any(z.name == zone for z in self.plan.zones):
                return []
            raise CommandError(f"no blocked zone {zone!r} (blocked: "
                               f"{', '.join(sorted(self.blocked_zones)) or 'none'})",
                               code="unknown_zone", field="zone")
        del self.blocked_zones[zone]
        self.traffic.reopen(zone)
        self.request_dispatch()
        self.emit(ev.ZONE_UNBLOCKED, now, Phrase.of("zone {zone} open again", zone=zone),
                  data={"zone": zone})
        return []

    # -- after a restart (the events ``restore`` replays: MANAGER_KINDS) --------------------
    def restore(self, events: Iterable[Event], now: float) -> list[str]:
        """Take back what the manager had set before the controller restarted (blocked
        tables and zones, robots paused or off duty, everything stopped), replaying the
        store's events in order; what was restored, in words. Nothing is sent: robots
        keep their own paused state, and a robot off duty is already at its dock."""
        tables: dict[str, str] = {}
        zones: dict[str, tuple[str, Sequence[float] | None]] = {}
        paused: set[str] = set()
        docked: dict[str, str] = {}
        stopped = False
        before: set[str] = set()
        for e in events:
            d = e.data
            if e.kind == ev.TABLE_BLOCKED and "table" in d:
                tables[d["table"]] = d.get("reason", "")
            elif e.kind == ev.TABLE_UNBLOCKED and "table" in d:
                tables.pop(d["table"], None)
            elif e.kind == ev.ZONE_BLOCKED and "zone" in d:
                zones[d["zone"]] = (d.get("reason", ""), d.get("rect"))
            elif e.kind == ev.ZONE_UNBLOCKED and "zone" in d:
                zones.pop(d["zone"], None)
            elif e.kind == ev.ROBOT_PAUSED and e.robot is not None:
                paused.add(e.robot)
            elif e.kind == ev.ROBOT_SENT_TO_DOCK and e.robot is not None and "dock" in d:
                docked[e.robot] = d["dock"]
            elif e.kind == ev.ROBOT_RESUMED and e.robot is not None:
                paused.discard(e.robot)
                docked.pop(e.robot, None)
            elif e.kind == ev.ALL_STOPPED and "stopped_all" in d:
                if not stopped:
                    before = set(d.get("already_paused", ()))
                stopped = True
                paused = set(self.robots)
            elif e.kind == ev.ALL_RELEASED and "stopped_all" in d:
                stopped = False
                paused = set(d.get("still_paused", ()))
                before = set()
        said: list[str] = []
        for table, reason in tables.items():
            if table in self.plan.places:
                self.blocked_tables[table] = reason
                said.append(f"table {table} blocked")
        for zone, (reason, rect) in zones.items():
            try:
                cells = self._zone_cells(zone, rect)
            except CommandError:
                continue  # the floor plan changed meanwhile: the zone is gone
            self.traffic.close(zone, sorted(cells), now=now)
            self.blocked_zones[zone] = reason
            said.append(f"zone {zone} blocked")
        for serial in paused & set(self.robots):
            self.robots[serial].paused_by_manager = True
            said.append(f"{serial} paused")
        for serial, dock in docked.items():
            if serial in self.robots:
                self.robots[serial].off_duty = dock
                said.append(f"{serial} off duty at {dock}")
        self.stopped_all = stopped
        self.paused_before_stop = before & set(self.robots) if stopped else set()
        if stopped:
            said.append("every robot stopped")
        return said

    def zone_cells(self, zone: str) -> frozenset[Cell]:
        """The cells of a blocked zone (empty when it is not blocked), to draw it."""
        if zone not in self.blocked_zones:
            return frozenset()
        return self.traffic.closed_cells(zone)

    def closed_cells(self) -> frozenset[Cell]:
        return self.traffic.closed_cells() if self.blocked_zones else frozenset()

    def _zone_cells(self, zone: str, rect: Sequence[float] | None) -> frozenset[Cell]:
        plan = self.plan
        named = next((z for z in plan.zones if z.name == zone), None)
        if rect is None:
            if named is not None:
                return frozenset((int(r), int(c)) for r, c in zip(*named.mask.nonzero(),
                                                                   strict=True))
            if zone in self.areas:
                return self.areas[zone]
            known = sorted({z.name for z in plan.zones} | set(self.areas))
            raise CommandError(f"no zone {zone!r} on floor plan {plan.name!r} (zones: "
                               f"{', '.join(known) or 'none'}); give rect [x0, y0, x1, y1] "
                               f"in metres to block a new area", code="unknown_zone",
                               field="zone")
        if named is not None:
            raise CommandError(f"{zone!r} is a zone of floor plan {plan.name!r}: block it "
                               f"without rect, or name the new area otherwise",
                               code="refused", field="rect")
        if len(rect) != 4 or not all(math.isfinite(v) for v in rect):
            raise CommandError(f"rect for {zone!r} must be four finite numbers [x0, y0, x1, y1] "
                               f"in metres, got {list(rect)}", code="refused", field="rect")
        x0, y0, x1, y1 = rect
        if not (x0 < x1 and y0 < y1):
            raise CommandError(f"rect for {zone!r} must have x0 < x1 and y0 < y1, got "
                               f"{list(rect)}", code="refused", field="rect")
        rows, cols = plan.shape
        cells = frozenset(
            (r, c) for r in range(rows) for c in range(cols)
            if plan.passable[r, c] and x0 <= plan.centre_of((r, c))[0] <= x1
            and y0 <= plan.centre_of((r, c))[1] <= y1)
        if not cells:
            width, height = plan.size_m
            raise CommandError(f"rect {list(rect)} for {zone!r} covers no floor a robot drives "
                               f"on (the floor is {width:.1f} x {height:.1f} m)",
                               code="refused", field="rect")
        self.areas[zone] = cells
        return cells

    # -- orders -----------------------------------------------------------------------
    def set_priority(self, order_id: str, priority: Priority, now: float) -> list[Command]:
        """The order's dishes not yet on a tray take the new priority at once."""
        order = self.book.orders.get(order_id)
        if order is None:
            raise CommandError(f"no order {order_id!r}", code="unknown_order", field="order_id")
        priority = Priority(priority)
        changed = [d for d in order.dishes if d.state in _NOT_LOADED]
        if not changed:
            raise CommandError(f"order {order_id}: every dish is already on a robot or "
                               f"finished; its priority cannot change anything",
                               code="refused", field="order_id")
        order.priority = priority
        for dish in changed:
            dish.priority = priority
            self.store.save_dish(dish)
        self.store.save_order(order)
        self.request_dispatch()
        n = len(changed)
        self.emit(ev.ORDER_REPRIORITISED, now, Phrase.of(
            "order {order} ({table}) now {priority} priority: {n} dish not yet loaded"
            if n == 1 else
            "order {order} ({table}) now {priority} priority: {n} dishes not yet loaded",
            order=order_id, table=order.table, priority=Phrase.of(PRIORITY_WORDS[priority]),
            n=str(n)), order_id=order_id)
        return []


def _reasoned(said: Phrase, reason: str) -> Phrase:
    """``said``, with the manager's reason after it as they typed it."""
    return Phrase.of("{said}: {reason}", said=said, reason=text(reason)) if reason else said
