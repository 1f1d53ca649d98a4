"""The instrumented parts of ``fleet bench mqtt``'s latency measure.

Three stamps, all ``time.perf_counter`` in one process, tie a release to the
report that caused it:

- ``NodeReports`` (a robot listener) stamps the first report of each node of
  each order, as the vehicle hands it to its MQTT client;
- ``LatencyProbe`` (the controller) notes, when an ``on_state`` moved a leg on
  and returned that robot's order update, which report caused which update;
- ``TimedRobot`` stamps each order update as the vehicle takes it off the wire.

Nothing here changes what the parts do; each subclass only calls its parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from drivers.mqtt import MqttSettings
from fleet.assembly import build_controller
from fleet.controller.commands import Command, SendOrder
from fleet.controller.core import Controller
from fleet.domain import RobotModel
from fleet.floor import FloorPlan, PlaceKind
from fleet.intake import DishRequest, OrderRequest
from fleet.runtime import FleetRuntime
from fleet.store import MemoryStore
from fleet.vda import ConnectionState, Order, RobotState
from sim.mqtt_vehicle import MqttVehicle
from sim.robot import SimRobot
from sim.run import start_cells
from sim.world import World


class CountingController(Controller):
    """The controller, counting the states it handled (and when it handled the last)."""

    handled = 0
    last_at = 0.0

    def on_state(self, state: RobotState, now: float) -> list[Command]:
        commands = super().on_state(state, now)
        self.handled += 1
        self.last_at = time.perf_counter()
        return commands


C = TypeVar("C", bound=CountingController)


def probe_controller(plan: FloorPlan, model: RobotModel, serials: Sequence[str],
                     cls: type[C]) -> C:
    """``build_controller``'s parts (fields, traffic, policy) in an instrumented class."""
    models = dict.fromkeys(serials, model)
    base = build_controller(plan, models, store=MemoryStore())
    return cls(plan, models, policy=base.policy, store=base.store, fields=base.fields,
               traffic=base.traffic, guest_timeout_s=base.guest_timeout_s,
               cold_food_s=base.cold_food_s)


class LatencyProbe(CountingController):
    """The controller, noting which node report caused which order update."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caused: dict[tuple[str, int], tuple[str, int, float]] = {}
        """(orderId, orderUpdateId) -> (serial, lastNodeSequenceId reported, decided at)."""

    def on_state(self, state: RobotState, now: float) -> list[Command]:
        rec = self.robots.get(state.serial)
        leg = rec.leg if rec is not None else None
        before = leg.reached if leg is not None else 0
        commands = super().on_state(state, now)
        if leg is not None and leg.reached > before:
            decided = time.perf_counter()
            for command in commands:
                if (isinstance(command, SendOrder) and command.serial == state.serial
                        and command.order.order_id == leg.order_id):
                    self.caused[(leg.order_id, command.order.order_update_id)] = (
                        state.serial, state.last_node_sequence_id, decided)
        return commands


class TimedRobot(SimRobot):
    """A simulated robot that stamps each order (update) it is handed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: dict[tuple[str, int], float] = {}

    def receive_order(self, order: Order) -> None:
        self.received.setdefault((order.order_id, order.order_update_id), time.perf_counter())
        super().receive_order(order)


class NodeReports:
    """Listens to robots: when each first reported each node of each order."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, int], float] = {}
        self._last: dict[str, tuple[str, int]] = {}

    def robot_state(self, state: RobotState) -> None:
        key = (state.order_id, state.last_node_sequence_id)
        if state.order_id and self._last.get(state.serial) != key:
            self._last[state.serial] = key
            self.at.setdefault(key, time.perf_counter())

    def robot_connection(self, state: ConnectionState, at: float) -> None:
        """Connection changes carry no node."""

    @property
    def passed(self) -> int:
        """Nodes reported passed (the first node of an order is where the robot stood)."""
        return sum(1 for _, seq in self.at if seq > 0)


@dataclass(slots=True)
class TimedFleet:
    robots: list[TimedRobot]
    reports: NodeReports

    @property
    def node_reports(self) -> int:
        return self.reports.passed

    def latencies(self, probe: LatencyProbe) -> tuple[list[float], list[float], list[float]]:
        """Seconds per caused release: report -> vehicle has the update, report ->
        controller decided, decided -> vehicle has it."""
        by_serial = {r.serial: r for r in self.robots}
        total: list[float] = []
        inbound: list[float] = []
        outbound: list[float] = []
        for (order_id, update_id), (serial, seq, decided) in probe.caused.items():
            reported = self.reports.at.get((order_id, seq))
            received = by_serial[serial].received.get((order_id, update_id))
            if reported is None or received is None:
                continue
            total.append(received - reported)
            inbound.append(decided - reported)
            outbound.append(received - decided)
        return total, inbound, outbound


async def timed_fleet(stack: contextlib.AsyncExitStack, settings: Callable[[str], MqttSettings],
                      plan: FloorPlan, model: RobotModel, serials: Sequence[str]) -> TimedFleet:
    """Robots on one World, each a vehicle on the broker, online when this returns.
    Staff load in 1 s and guests take a dish in 2 s: the robots are meant to drive."""
    world = World(plan, seed=1, staff_load_s=lambda: 1.0, guest_take_s=lambda: 2.0,
                  guest_absent=lambda: False)
    reports = NodeReports()
    robots = [TimedRobot(serial, model, world, cell, seed=i)
              for i, (serial, cell) in enumerate(zip(serials, start_cells(plan, len(serials)),
                                                     strict=True))]
    for robot in robots:  # closed after the vehicles are gone
        stack.callback(robot.close)
    epoch = time.time() - asyncio.get_running_loop().time()
    vehicles = []
    for robot in robots:
        robot.attach(reports)
        vehicles.append(await stack.enter_async_context(MqttVehicle(
            robot, settings(f"{model.manufacturer}-{robot.serial}"), clock_epoch=epoch)))
    await asyncio.gather(*(v.wait_online(10.0) for v in vehicles))
    return TimedFleet(robots, reports)


async def report_at(robots: Sequence[SimRobot], hz: float) -> None:
    """Every robot reports at least ``hz`` times a second, spread over the period."""
    pause = 1.0 / hz / max(1, len(robots))
    while True:
        for robot in robots:
            robot.request_state()
            await asyncio.sleep(pause)


async def keep_busy(runtime: FleetRuntime, plan: FloorPlan, robots: int) -> None:
    """Keep as many dishes ready and waiting as there are robots, table by table and,
    on a site with several, pass by pass."""
    tables = [p.name for p in plan.places_of(PlaceKind.TABLE)]
    passes: list[str | None] = [p.name for p in plan.places_of(PlaceKind.PASS)]
    if len(passes) < 2:
        passes = [None]
    count = 0
    while True:
        for _ in range(max(0, robots - len(runtime.controller.waiting_dishes()))):
            count += 1
            order_id = f"bench-{count}"
            dish = DishRequest("dish", pass_place=passes[count % len(passes)])
            await runtime.submit(OrderRequest(order_id, tables[count % len(tables)], (dish,)))
            await runtime.mark_ready(order_id, 0)
        await asyncio.sleep(0.5)
