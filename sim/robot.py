"""A simulated serving robot that behaves like a VDA 5050 2.1 vehicle.

It takes orders by the acceptance flow (``sim.acceptance``), drives released
nodes one planning cell at a time and stops at the decision point, runs node
and instant actions (``sim.actions``), drains and charges its battery, and
reports its state on every event the spec lists (merged per loop turn) and at
least every 30 s. Its sensors stop it in front of a cell another robot holds or
a guest blocks; it records that waiting time.

Everything is driven by loop timers, never by a task per robot, so that a
move costs microseconds and a lunch rush runs on virtual time. Motion lives in
``sim.drive``, actions in ``sim.actions``, the order book in ``sim.acceptance``.

Long because one vehicle's reactions to each event (an order, an instant action, a
timer, a sensor) read and change the same state; motion, actions and the order book
are already apart.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random
from typing import Protocol

from fleet.domain import RobotModel
from fleet.floor.model import Cell
from fleet.link import Capabilities
from fleet.vda import (
    Action,
    BatteryState,
    ConnectionState,
    ErrorLevel,
    EStop,
    Load,
    Order,
    RobotError,
    RobotState,
)
from sim.acceptance import INSTANT_ACTIONS, NODE_ACTIONS, OrderTrack, Rejected
from sim.actions import ActionRunner
from sim.drive import Drive
from sim.world import World

log = logging.getLogger(__name__)

STATE_INTERVAL_S = 30.0
_ORDER_ERRORS = frozenset({"validationError", "orderError", "orderUpdateError",
                           "noOrderToCancel", "instantActionError", "noCharger"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class RobotListener(Protocol):
    """Who hears a simulated robot: its link."""

    def robot_state(self, state: RobotState) -> None: ...

    def robot_connection(self, state: ConnectionState, at: float) -> None: ...


@dataclass(frozen=True, slots=True)
class RobotTally:
    """What a robot did, for the run's report."""

    distance_m: float
    moves: int
    driving_s: float
    busy_s: float
    waiting_s: float
    """Stopped in front of an obstacle its sensors saw (a robot, a guest)."""
    waits: int
    states: int
    traffic_wait_s: float = 0.0
    """Stopped at the decision point, held back by the controller's traffic."""


class SimRobot:
    """One simulated robot on a ``World``. See the module docstring."""

    def __init__(self, serial: str, model: RobotModel, world: World, start_cell: Cell, *,
                 seed: int = 0, manufacturer: str | None = None, battery: float = 100.0,
                 heading: Cell | None = None, can_sense_loads: bool = True,
                 minimal: bool = False, vehicle_serial: str | None = None) -> None:
        self.serial = serial
        """Its key on the site and in the world (``fleet.domain.identity``); the serial
        number it speaks with is ``capabilities.serial`` (``vehicle_serial``, by default
        the same)."""
        self.minimal = minimal
        """Behave as a strict third-party vehicle would (``sim.acceptance``: nodes need
        positions, deviations and its map; ``sim.actions``: no fleet parameters)."""
        self.model = model
        self.world = world
        self.plan = world.plan
        self.rng = Random(seed)
        self.capabilities = Capabilities(
            manufacturer=manufacturer or model.manufacturer, serial=vehicle_serial or serial,
            model=model.name,
            trays=model.trays, max_speed=model.speed,
            supported_actions=NODE_ACTIONS | INSTANT_ACTIONS, can_sense_loads=can_sense_loads)
        self.trays = tuple(f"tray{i}" for i in range(1, model.trays + 1))
        self._battery = float(battery)
        self.charging = False
        self.paused = False
        self.e_stop = EStop.NONE
        self.online = True
        self.loads: dict[str, Load] = {}
        self.errors: list[RobotError] = []
        self.track = OrderTrack(self.plan, start_cell,
                                map_id=model.map_id if minimal else None)
        self.actions = ActionRunner(self)
        self._listeners: list[RobotListener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.drive = Drive(self, start_cell, heading)
        self.driving = False
        # reporting
        self._flush_handle: asyncio.Handle | None = None
        self._tick_handle: asyncio.TimerHandle | None = None
        self._last_state = -math.inf
        self._t_settle = 0.0
        self._was_busy = False
        self._driving_s = 0.0
        self._busy_s = 0.0
        self._states = 0
        self._charge_handle: asyncio.TimerHandle | None = None
        world.place(serial, start_cell)

    # -- lifetime ----------------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(f"robot {self.serial} is not started")
        return self._loop

    @property
    def started(self) -> bool:
        return self._loop is not None

    def start(self) -> None:
        """Start reporting on the running loop (idempotent)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._t_settle = self._loop.time()
        self._schedule_tick()
        self.changed()

    def close(self) -> None:
        """Stop every timer; the robot stands where it is."""
        for handle in (self._flush_handle, self._tick_handle, self._charge_handle):
            if handle is not None:
                handle.cancel()
        self.drive.close()
        self.actions.close()
        self._flush_handle = self._tick_handle = self._charge_handle = None
        self._loop = None

    def attach(self, listener: RobotListener) -> None:
        self._listeners.append(listener)

    def detach(self, listener: RobotListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def now(self) -> float:
        loop = self._loop
        if loop is None:
            raise RuntimeError(f"robot {self.serial} is not started")
        return loop.time()

    # -- reporting ---------------------------------------------------------------------
    def changed(self) -> None:
        """Something the state reports changed: publish once this loop turn ends."""
        if self._flush_handle is None and self._loop is not None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        now = self.now()
        self._settle(now)
        self._was_busy = self.busy  # busy only changes with something reported
        self._last_state = now
        if not self.online or not self._listeners:
            return
        state = self.state(now)
        self._states += 1
        for listener in tuple(self._listeners):
            listener.robot_state(state)

    def _schedule_tick(self) -> None:
        due = max(self._last_state + STATE_INTERVAL_S, self.now())
        self._tick_handle = self.loop.call_at(due, self._tick)

    def _tick(self) -> None:
        if self.now() - self._last_state >= STATE_INTERVAL_S - 1e-6:
            self._flush()
        self._schedule_tick()

    @property
    def battery(self) -> float:
        """Percent, as of now."""
        if self._loop is not None:
            self._settle(self._loop.time())
        return self._battery

    @property
    def moving(self) -> bool:
        """Between two cells (holding both), frozen or not."""
        return self.drive.move is not None

    @property
    def busy(self) -> bool:
        return self.track.has_nodes or self.drive.move is not None or self.actions.busy

    def state(self, now: float | None = None) -> RobotState:
        """The state report as of now."""
        now = self.now() if now is None else now
        self._settle(now)
        track = self.track
        position = self.world.position(self.cell, self.heading, self.model.map_id)
        return RobotState(
            serial=self.serial, timestamp=now, order_id=track.order_id,
            order_update_id=track.order_update_id, last_node_id=track.last_node_id,
            last_node_sequence_id=track.last_node_seq,
            node_states=track.node_states(), edge_states=track.edge_states(),
            action_states=tuple(self.actions.states.values()),
            driving=self.driving, battery=BatteryState(round(self._battery, 3), self.charging),
            errors=tuple(self.errors), e_stop=self.e_stop, paused=self.paused,
            position=position,
            loads=(tuple(self.loads[t] for t in self.trays if t in self.loads)
                   if self.capabilities.can_sense_loads else None))

    def request_state(self) -> None:
        self.changed()

    def tally(self) -> RobotTally:
        now = self._t_settle
        if self._loop is not None:
            now = self.now()
            self._settle(now)
        d = self.drive
        return RobotTally(round(d.distance_m, 6), d.moves, self._driving_s, self._busy_s,
                          d.waiting_s(now), d.waits, self._states, d.traffic_wait_s(now))

    def _settle(self, now: float) -> None:
        """Bring battery and time tallies up to ``now``."""
        dt = now - self._t_settle
        if dt <= 0:
            return
        self._t_settle = now
        m = self.model
        if self.charging:
            self._battery = min(100.0, self._battery + m.charge_percent(dt))
        elif self.driving:
            self._battery = max(0.0, self._battery - m.drive_percent(dt))
            self._driving_s += dt
        else:
            self._battery = max(0.0, self._battery - m.idle_percent(dt))
        if self._was_busy:
            self._busy_s += dt

    def add_error(self, error_type: str, description: str, level: ErrorLevel = ErrorLevel.WARNING,
                  **references: str) -> None:
        """Report an error; ``references`` by field, ``order_id=...`` written as the
        spec's ``orderId`` (§7.1), so a master can tell which order it names."""
        self.report_error(error_type, description, level,
                          {_camel(k): v for k, v in references.items()})

    def report_error(self, error_type: str, description: str, level: ErrorLevel,
                     references: dict[str, str]) -> None:
        error = RobotError(error_type, level, description, references)
        if error in self.errors:
            return  # one condition, reported once (a resent order must not grow the list)
        self.errors.append(error)
        log.info("robot %s: %s: %s", self.serial, error_type, description)
        self.changed()

    def clear_errors(self, *types: str) -> None:
        kept = [e for e in self.errors if e.error_type not in types]
        if len(kept) != len(self.errors):
            self.errors = kept
            self.changed()

    # -- orders and instant actions (called by the link, on the loop) ------------------------
    def receive_order(self, order: Order) -> None:
        is_new = order.order_id != self.track.order_id
        try:
            added = self.track.receive(order, self.cell, self.busy)
        except Rejected as exc:
            self.report_error(exc.error_type, exc.description, ErrorLevel.WARNING, {
                "orderId": order.order_id, "orderUpdateId": str(order.order_update_id),
                **exc.references})
            return
        if added is None:
            return
        self.clear_errors(*_ORDER_ERRORS)
        if is_new:
            self.actions.new_order(added)
            self.track.traverse()
            self.actions.node_reached(added[0])
        else:
            kept = {a.action_id for step in added for a in step.node.actions}
            self.actions.forget(a.action_id for step in self.track.dropped
                                for a in step.node.actions if a.action_id not in kept)
            self.actions.extend(added)
            self.drive.run_stale = True
        self.changed()
        self.advance()

    def receive_instant_actions(self, actions: Sequence[Action]) -> None:
        for action in actions:
            self.actions.instant(action)
        self.changed()

    # -- holds: pause, e-stop, stuck, flat battery -------------------------------------------
    @property
    def holds(self) -> frozenset[str]:
        return frozenset(self.drive.holds)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self.drive.hold("paused")
        else:
            self.drive.release("paused")

    def set_e_stop(self, on: bool) -> None:
        self.e_stop = EStop.MANUAL if on else EStop.NONE
        if on:
            self.drive.hold("e-stop")
        else:
            self.drive.release("e-stop")

    def set_stuck(self, stuck: bool) -> None:
        if stuck:
            self.add_error("stuck", "the robot cannot move (wheel or obstacle)")
            self.drive.hold("stuck")
        else:
            self.clear_errors("stuck")
            self.drive.release("stuck")

    def set_online(self, online: bool) -> None:
        """The link to the controller drops or comes back; driving goes on."""
        if online == self.online:
            return
        self.online = online
        at = self.now()
        state = ConnectionState.ONLINE if online else ConnectionState.OFFLINE
        for listener in tuple(self._listeners):
            listener.robot_connection(state, at)
        if online:
            self.changed()

    def set_charging(self, on: bool) -> None:
        if on == self.charging:
            return
        self._settle(self.now())
        self.charging = on
        if self._charge_handle is not None:
            self._charge_handle.cancel()
            self._charge_handle = None
        if on:
            rate = self.model.charge_percent(1.0)
            self._charge_handle = self.loop.call_at(
                self.now() + max(0.0, 100.0 - self._battery) / rate, self._charged)
        self.changed()

    def _charged(self) -> None:
        self._charge_handle = None
        self._settle(self.now())
        self._battery = 100.0
        self.set_charging(False)

    # -- motion ------------------------------------------------------------------------------
    @property
    def cell(self) -> Cell:
        """Where the robot stands, or the cell it is leaving while it moves."""
        return self.drive.cell

    @property
    def heading(self) -> Cell | None:
        return self.drive.heading

    def set_driving(self, on: bool) -> None:
        if on != self.driving:
            self._settle(self.now())
            self.driving = on
            self.changed()

    def advance(self) -> None:
        """Drive on if nothing stops the robot; safe to call at any time."""
        self.drive.advance()
